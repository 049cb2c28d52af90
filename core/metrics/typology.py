"""Typology: groups of similar clients (k-means), named from what sets them apart, and how each performs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from core.filters import Filters, where
from core.formats import Locale, check_locale, number
from core.metrics.clients import _client_money, evenly_spaced
from core.metrics.common import wilson_interval
from core.metrics.derived import DECIDED_SQL, FILLED_STATUS, job_dates_sql

# Feature -> (words when the cluster is above average, words when below).
FEATURES: dict[str, tuple[str, str]] = {
    "employees": ("large companies", "small companies"),
    "jobs_opened": ("many jobs", "few jobs"),
    "avg_salary_k": ("high salaries", "low salaries"),
    "avg_fee_rate": ("high fee rates", "low fee rates"),
    "senior_share": ("senior roles", "junior roles"),
    "pitches_per_job": ("many pitches per job", "few pitches per job"),
    "effort_hours_per_job": ("effort-heavy", "light-touch"),
}
# The words of a typology's name in French, phrase by phrase (`_names` joins these phrases).
FRENCH_WORDS: dict[str, str] = {
    "large companies": "grandes entreprises", "small companies": "petites entreprises",
    "many jobs": "beaucoup de postes", "few jobs": "peu de postes",
    "high salaries": "salaires élevés", "low salaries": "salaires bas",
    "high fee rates": "taux d'honoraires élevés", "low fee rates": "taux d'honoraires bas",
    "senior roles": "postes seniors", "junior roles": "postes juniors",
    "many pitches per job": "beaucoup de présentations par poste",
    "few pitches per job": "peu de présentations par poste",
    "effort-heavy": "beaucoup d'effort par poste", "light-touch": "peu d'effort par poste",
    "typical clients": "clients dans la moyenne",
}
# Head counts and job counts are skewed: their logarithm is clustered, so that one giant does not
# make a cluster of its own.
LOG_FEATURES = ("employees", "jobs_opened")
K_RANGE = (2, 6)
RANDOM_STATE = 0
SILHOUETTE_SAMPLE = 2000
FIT_SAMPLE = 20000
NAME_THRESHOLD = 0.25  # |mean z-score| below this is "average", not a distinguishing feature

CLIENT_COLUMNS = ["client_id", "name", "cluster", "cluster_name", *FEATURES, "pc1", "pc2"]
PROFILE_COLUMNS = ["cluster", "cluster_name", "clients", "fill_rate", "fill_rate_ci_low", "fill_rate_ci_high",
                   "margin", "median_days_to_fill", "jobs", "filled_jobs", "decided_jobs", "turnover", "net_profit",
                   "turnover_per_client", *(f"mean_{name}" for name in FEATURES), "mean_rank", "performance_rank",
                   "is_best"]


def _client_features(con, f: Filters) -> pd.DataFrame:
    """Per client with a job opened in the period: features, money, job outcomes and the days to fill."""
    jobs_sql, jobs_params = where(f.period("j.opened_at"), f.jobs("j"))
    # An activity logged on a job carries that job's people and type there: filtering on them
    # first keeps every activity of the jobs in scope and reads only their part of the table.
    people_sql, act_params = where(f.jobs("x"))
    act_source = f"(SELECT x.job_id, x.minutes FROM activity_effort x WHERE {people_sql})"
    ev = f"SELECT job_id, pitches, first_placement_at AS first_placement FROM ({job_dates_sql('scope')})"
    per_client = con.execute(f"""
        WITH scope AS (SELECT j.job_id, j.client_id, j.salary_k, j.fee_rate, j.seniority, j.status,
                         j.opened_at, j.closed_at FROM jobs j WHERE j.client_id IS NOT NULL AND {jobs_sql}),
        ev AS ({ev}),
        act AS (SELECT a.job_id, SUM(COALESCE(a.minutes, 0)) / 60.0 AS hours
                FROM {act_source} a JOIN scope USING (job_id) GROUP BY 1),
        per_job AS (
            SELECT s.client_id, s.salary_k, s.fee_rate,
                   (s.seniority IN ('senior', 'executive'))::DOUBLE AS senior,
                   COALESCE(ev.pitches, 0) AS pitches, COALESCE(act.hours, 0) AS hours,
                   s.status = '{FILLED_STATUS}' AS filled, s.status IN {DECIDED_SQL} AS decided,
                   CASE WHEN s.status = '{FILLED_STATUS}'
                        THEN date_diff('day', s.opened_at, COALESCE(ev.first_placement, s.closed_at))
                   END::DOUBLE AS days_to_fill
            FROM scope s LEFT JOIN ev USING (job_id) LEFT JOIN act USING (job_id))
        SELECT client_id, COUNT(*)::BIGINT AS jobs_opened, AVG(salary_k) AS avg_salary_k,
               AVG(fee_rate) AS avg_fee_rate, AVG(senior) AS senior_share,
               SUM(pitches)::DOUBLE / COUNT(*) AS pitches_per_job,
               SUM(hours)::DOUBLE / COUNT(*) AS effort_hours_per_job,
               COUNT(*) FILTER (WHERE filled)::BIGINT AS filled_jobs,
               COUNT(*) FILTER (WHERE decided)::BIGINT AS decided_jobs,
               LIST(days_to_fill) FILTER (WHERE days_to_fill IS NOT NULL) AS fill_days
        FROM per_job GROUP BY 1
    """, jobs_params + act_params).df()
    # Name, head count and money as in the client economics.
    eco = _client_money(con, f)
    eco["employees"] = eco["employees"].astype(float)
    clients = per_client.merge(eco, on="client_id", how="inner")
    return clients.sort_values("client_id", ignore_index=True)


def _matrix(clients: pd.DataFrame) -> np.ndarray:
    x = clients[list(FEATURES)].astype(float).copy()
    for name in LOG_FEATURES:
        x[name] = np.log1p(x[name].clip(lower=0))
    x = x.fillna(x.median()).fillna(0.0)
    return StandardScaler().fit_transform(x.to_numpy())


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient from pairwise distances, as `sklearn.metrics.silhouette_score`.

    For each client: a = mean distance to the other members of its cluster, b = mean distance to
    the members of the nearest other cluster, s = (b − a) / max(a, b) (0 in a cluster of one).
    The per-cluster distance sums are one matrix product instead of scikit-learn's row-by-row
    loop; they agree to the last bits, far below the 1e-12 that separates two values of k.
    """
    classes, codes = np.unique(labels, return_inverse=True)
    n = len(codes)
    if not 1 < len(classes) < n:
        raise ValueError(f"the silhouette needs 2 to {n - 1} clusters, got {len(classes)}")
    freqs = np.bincount(codes).astype(float)
    members = np.zeros((n, len(classes)))
    members[np.arange(n), codes] = 1.0
    sums = distances @ members
    own = sums[np.arange(n), codes]
    sums[np.arange(n), codes] = np.inf
    nearest = (sums / freqs).min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = own / (freqs[codes] - 1)
        values = (nearest - own) / np.maximum(own, nearest)
    return float(np.mean(np.nan_to_num(values)))


def _choose_k(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of the k-means with the best silhouette for k in K_RANGE (k = 1 when too few).

    Above FIT_SAMPLE clients, k-means is fitted on a fixed random sample and the others are
    assigned to the nearest centre, which keeps the answer fast at any scale.
    """
    distinct = len(np.unique(z.round(9), axis=0))
    fit = z
    if len(z) > FIT_SAMPLE:
        fit = z[np.sort(np.random.default_rng(RANDOM_STATE).choice(len(z), FIT_SAMPLE, replace=False))]
    best: tuple[float, KMeans] | None = None
    # The silhouette of every k is taken on the same clients (the sample silhouette_score draws with
    # this random state), so their distances are computed once instead of once per k.
    sample = check_random_state(RANDOM_STATE).permutation(len(fit))[:min(len(fit), SILHOUETTE_SAMPLE)]
    # One thread: on a shared machine, k-means' thread pool costs far more than it saves on small data.
    with threadpool_limits(limits=1):
        distances = pairwise_distances(fit[sample])
        for k in range(K_RANGE[0], min(K_RANGE[1], distinct, len(fit) - 1) + 1):
            model = KMeans(n_clusters=k, n_init=4, random_state=RANDOM_STATE).fit(fit)
            score = _silhouette(distances, model.labels_[sample])
            if best is None or score > best[0] + 1e-12:
                best = (score, model)
        if best is None:
            return np.zeros(len(z), dtype=int), z.mean(axis=0, keepdims=True)
        return best[1].predict(z), best[1].cluster_centers_


def _names(centres: np.ndarray) -> list[str]:
    names: list[str] = []
    keys = list(FEATURES)
    for centre in centres:
        # Rounded so that equal distinctions tie exactly and the feature order decides.
        order = np.argsort(-np.round(np.abs(centre), 6), kind="stable")[:2]
        words = [FEATURES[keys[i]][0 if centre[i] > 0 else 1]
                 for i in order if abs(centre[i]) >= NAME_THRESHOLD]
        name = ", ".join(words) if words else "typical clients"
        name = name[0].upper() + name[1:]
        if name in names:
            name = f"{name} ({names.count(name) + 1})"
        names.append(name)
    return names


def typology_name(name: str, locale: Locale) -> str:
    """A typology's name (made by `_names` in English: "Junior roles, low salaries (2)") in the
    reader's words: "Postes juniors, salaires bas (2)" in French."""
    if check_locale(locale) == "en":
        return name
    phrases, paren, rank = name.partition(" (")
    words = ", ".join(FRENCH_WORDS.get(p.lower(), p) for p in phrases.split(", "))
    return words[:1].upper() + words[1:] + paren + rank


def in_words(frame: pd.DataFrame, locale: Locale) -> pd.DataFrame:
    """`frame` (profiles or clients) with its `cluster_name` in the reader's words (`typology_name`)."""
    if check_locale(locale) == "en":
        return frame
    # A few typologies for up to tens of thousands of clients: each name is translated once.
    names = {name: typology_name(name, locale) for name in frame["cluster_name"].unique()}
    return frame.assign(cluster_name=frame["cluster_name"].map(names))


def _fit(con, f: Filters) -> pd.DataFrame:
    clients = _client_features(con, f)
    if clients.empty:
        return clients
    z = _matrix(clients)
    labels, centres = _choose_k(z)
    # Number clusters by size (largest = 1), then by position, so that labels do not depend on k-means' order.
    sizes = np.bincount(labels, minlength=len(centres))
    order = sorted(range(len(centres)), key=lambda c: (-sizes[c], tuple(np.round(centres[c], 9))))
    renumber = {old: new for new, old in enumerate(order)}
    clients["cluster"] = (pd.Series(labels).map(renumber) + 1).astype("int64")
    names = _names(centres[order])
    clients["cluster_name"] = clients["cluster"].map({i + 1: name for i, name in enumerate(names)})
    if z.shape[0] >= 2 and z.shape[1] >= 2:
        pcs = PCA(n_components=2, random_state=RANDOM_STATE).fit_transform(z)
    else:
        pcs = np.zeros((z.shape[0], 2))
    clients["pc1"], clients["pc2"] = pcs[:, 0], pcs[:, 1]
    return clients


def client_typology(con, f: Filters) -> pd.DataFrame:
    """Each client's typology: the group of similar clients it belongs to.

    Clients that opened at least one job in the period are described by seven features:
    head count (`employees`), `jobs_opened`, `avg_salary_k` and `avg_fee_rate` of those
    jobs, `senior_share` (share of senior or executive jobs), `pitches_per_job` and
    `effort_hours_per_job` (activity hours logged on those jobs per job). Head count and
    jobs are log-scaled, missing values take the median, every feature is standardised
    (z-scores), and k-means (scikit-learn, random_state 0) is run for k = 2..6; the k with
    the best silhouette score is kept (k is at most the number of distinct clients and
    below the number of clients: with fewer than three clients, one group). Each
    cluster is named from its one or two most distinguishing features, those whose mean
    z-score is furthest from 0 (at least 0.25): e.g. "Large companies, senior roles".
    Clusters are numbered by size, largest first. pc1 and pc2 place clients on the two
    principal components of the standardised features, for a scatter plot.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters (jobs by `opened_at`).

    Returns:
        client_id, name, cluster, cluster_name, the seven features (unscaled), pc1, pc2.
    """
    clients = _fit(con, f)
    if clients.empty:
        return pd.DataFrame(columns=CLIENT_COLUMNS)
    return clients[CLIENT_COLUMNS]


def typology_profiles(con, f: Filters) -> pd.DataFrame:
    """Each typology's profile and performance, and the one that works best when one clearly does.

    Clusters as in `client_typology`. Performance: fill rate = jobs filled / jobs decided
    (filled, lost or cancelled) among the cluster's jobs opened in the period, with its 95 %
    Wilson interval; margin = net profit / turnover (both as in `client_economics`, summed
    over the cluster's clients); median_days_to_fill = median days from a filled job's opening
    to its first placement event (its close date when there is none). Typologies are ranked
    as in `rank_typologies`; the verdict in words is `typology_verdict`.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        cluster, cluster_name, clients, fill_rate, fill_rate_ci_low, fill_rate_ci_high, margin,
        median_days_to_fill, jobs, filled_jobs, decided_jobs, turnover, net_profit,
        turnover_per_client, mean_<feature> for each feature, mean_rank, performance_rank
        (1 = first), is_best.
    """
    clients = _fit(con, f)
    if clients.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    days = clients[["cluster", "fill_days"]].explode("fill_days")
    days["fill_days"] = pd.to_numeric(days["fill_days"], errors="coerce")
    means = clients.groupby("cluster")[list(FEATURES)].mean().add_prefix("mean_")
    out = clients.groupby(["cluster", "cluster_name"]).agg(
        clients=("client_id", "size"), jobs=("jobs_opened", "sum"), filled_jobs=("filled_jobs", "sum"),
        decided_jobs=("decided_jobs", "sum"), turnover=("turnover", "sum"), net_profit=("net_profit", "sum"),
    ).reset_index().set_index("cluster").join(days.groupby("cluster")["fill_days"].median()
                                              .rename("median_days_to_fill")).join(means).reset_index()
    out["fill_rate"] = out["filled_jobs"] / out["decided_jobs"].replace(0, np.nan)
    out["margin"] = out["net_profit"] / out["turnover"].where(out["turnover"] > 0)
    out["turnover_per_client"] = out["turnover"] / out["clients"]
    for col in ("jobs", "filled_jobs", "decided_jobs", "clients"):
        out[col] = out[col].astype("int64")
    return rank_typologies(out)[PROFILE_COLUMNS].sort_values("cluster").reset_index(drop=True)


def rank_typologies(profiles: pd.DataFrame) -> pd.DataFrame:
    """Rank typologies on fill rate, margin and speed, and name the best one only when it is clearly best.

    mean_rank = the mean of the typology's ranks on fill rate (higher first), margin (higher first)
    and median days to fill (fewer first); a missing value ranks last, equal values share their
    rank. performance_rank orders by mean rank, then by size (larger first). A typology is the
    best (`is_best`) only when it has the lowest mean rank on its own (a shared lowest mean rank is a
    tie, and no typology is named) and the difference is real: its fill rate's 95 % Wilson
    interval lies entirely above every other typology's (margin and speed have no such
    interval and only rank). With one typology, none is best: there is nothing to compare.

    Args:
        profiles: one row per typology with cluster, clients, fill_rate, filled_jobs, decided_jobs,
            margin and median_days_to_fill.

    Returns:
        The same rows with fill_rate_ci_low, fill_rate_ci_high, mean_rank, performance_rank and is_best.
    """
    out = profiles.copy()
    out["fill_rate_ci_low"], out["fill_rate_ci_high"] = wilson_interval(out["filled_jobs"], out["decided_jobs"])
    out["mean_rank"] = pd.concat([out["fill_rate"].rank(ascending=False, na_option="bottom"),
                                  out["margin"].rank(ascending=False, na_option="bottom"),
                                  out["median_days_to_fill"].rank(ascending=True, na_option="bottom")],
                                 axis=1).mean(axis=1)
    order = pd.DataFrame({"score": out["mean_rank"], "clients": -out["clients"], "cluster": out["cluster"]})
    out["performance_rank"] = 0
    out.loc[order.sort_values(["score", "clients", "cluster"]).index, "performance_rank"] = np.arange(
        1, len(out) + 1)
    out["performance_rank"] = out["performance_rank"].astype("int64")
    out["is_best"] = False
    if len(out) > 1:
        first = out["mean_rank"] == out["mean_rank"].min()
        if first.sum() == 1:
            others_high = out.loc[~first, "fill_rate_ci_high"].fillna(1.0)
            if (out.loc[first, "fill_rate_ci_low"].fillna(0.0).iloc[0] > others_high).all():
                out["is_best"] = first
    return out


def typology_verdict(profiles: pd.DataFrame, locale: Locale = "en") -> str:
    """The ranking of `typology_profiles` in one sentence: the best typology, a tie, or no clear best.

    Args:
        profiles: the result of `typology_profiles`.
        locale: `fr` or `en`.

    Returns:
        A sentence for the page (empty when there is no typology).
    """
    fr = check_locale(locale) == "fr"
    if profiles.empty:
        return ""
    profiles = in_words(profiles, locale)
    if len(profiles) == 1:
        return ("Tous ces clients forment un seul groupe : aucune autre typologie à laquelle le comparer."
                if fr else "All these clients form one group: there is no other typology to compare it with.")
    best = profiles.loc[profiles["is_best"], "cluster_name"]
    if not best.empty:
        if fr:
            return (f"L'agence travaille le mieux avec « {best.iloc[0]} » : première en taux de pourvoi, marge et "
                    "rapidité, et son taux de pourvoi dépasse celui de chaque autre typologie au-delà du hasard "
                    "(intervalles à 95 % disjoints).")
        return (f'The agency works best with "{best.iloc[0]}": first on fill rate, margin and speed, and its fill '
                "rate is above every other typology's beyond chance (95 % intervals apart).")
    low = profiles["mean_rank"].min()
    tied = profiles.loc[profiles["mean_rank"] == low, "cluster_name"].tolist()
    rank = number(low, locale, 1)
    if len(tied) > 1:
        if fr:
            names = [f"« {name} »" for name in tied]
            return (f"Pas de meilleure typologie : {', '.join(names[:-1])} et {names[-1]} sont à égalité "
                    f"(rang moyen {rank} en taux de pourvoi, marge et rapidité).")
        names = [f'"{name}"' for name in tied]
        return (f"No single best typology: {', '.join(names[:-1])} and {names[-1]} tie "
                f"(mean rank {rank} on fill rate, margin and speed).")
    if fr:
        return (f"« {tied[0]} » est première en taux de pourvoi, marge et rapidité, mais son taux de pourvoi "
                "n'est pas nettement au-dessus des autres (intervalles à 95 % qui se recouvrent) : l'écart peut "
                "être le hasard, aucune meilleure typologie n'est désignée.")
    return (f'"{tied[0]}" ranks first on fill rate, margin and speed, but its fill rate is not clearly above the '
            "others' (95 % intervals overlap): the difference may be chance, so no best typology is named.")


# Beyond this many clients the map draws a sample: tens of thousands of points are slow and unreadable.
MAP_MAX_POINTS = 2_000


def map_sample(clients: pd.DataFrame, max_points: int = MAP_MAX_POINTS) -> pd.DataFrame:
    """The clients the typology map draws: all of them up to `max_points`, else a sample that keeps
    each typology's share (each typology's clients in client-id order, taken at evenly spaced
    positions; at least one per typology). The same inputs give the same sample.

    Args:
        clients: the output of `client_typology`.
    """
    if len(clients) <= max_points:
        return clients
    parts = []
    for _, group in clients.sort_values("client_id").groupby("cluster", sort=True):
        n = max(1, round(max_points * len(group) / len(clients)))
        parts.append(evenly_spaced(group, n))
    return pd.concat(parts)
