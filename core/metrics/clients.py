"""Clients: turnover, net profit, average basket, repeat business, segments and what drives them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.metrics.derived import SEGMENTS, job_dates_sql, segment_case_sql

ECONOMICS_COLUMNS = ["client_id", "name", "sector", "employees", "jobs", "placements", "turnover", "refunds",
                     "effort_hours", "effort_cost", "net_profit", "avg_basket", "is_returning", "segment"]
REPEAT_COLUMNS = ["measure", "value"]
SEGMENT_COLUMNS = ["segment", "clients", "turnover", "revenue_share"]
PARETO_COLUMNS = ["rank", "client_id", "name", "turnover", "cumulative_share", "segment"]
DRIVER_COLUMNS = ["feature", "segment", "value", "test", "p_value", "significant"]
HISTORY_COLUMNS = ["job_id", "title", "job_type", "opened_at", "closed_at", "status", "pitches", "mers",
                   "offers", "placements", "fee", "effort_hours"]

SIGNIFICANCE = 0.05
KRUSKAL = "Kruskal-Wallis (segment medians)"
CHI_SQUARE = "chi-square (share of the segment)"

# Jobs with `repeat_job`: the client had opened an earlier job (computed on all jobs, whatever the filters,
# because a client's history does not depend on what the user looks at).
JOBS_WITH_REPEAT = """(SELECT jr.*, COALESCE(jr.opened_at > fo.first_opened, FALSE) AS repeat_job
                       FROM jobs jr LEFT JOIN (SELECT client_id, MIN(opened_at) AS first_opened
                                               FROM jobs GROUP BY 1) fo ON fo.client_id = jr.client_id)"""


def activity_effort_sql(f: Filters) -> tuple[str, list[object]]:
    """SQL of (client_id, hours, cost), one row per activity kept by `f`, and its parameters.

    Activities are attributed as in the build's `activity_effort` table (an activity follows the
    job it is logged on; one with no job follows its own staff member and has no job type). The
    period applies to `activity_date`; team, salesperson and job type filters to the attributed
    people and job type.
    """
    sql, params = where(f.period("x.activity_date"), f.jobs("x"))
    return ((f"SELECT x.client_id, COALESCE(x.minutes, 0) / 60.0 AS hours, x.cost FROM activity_effort x "
            f"WHERE {sql}"), params)


def economics_sql(f: Filters) -> tuple[str, list[object]]:
    """The SQL of `client_economics` and its parameters (shared by other client analyses)."""
    jobs_sql, jobs_params = where(f.period("j.opened_at"), f.jobs("j"))
    plc_sql, plc_params = where(f.period("p.invoiced_at"), f.jobs("j"), ("p.invoiced_at IS NOT NULL", []))
    act_sql, act_params = activity_effort_sql(f)
    sql = f"""
        WITH opened AS (
            SELECT j.client_id, COUNT(*) AS jobs, BOOL_OR(j.repeat_job) AS any_repeat
            FROM {JOBS_WITH_REPEAT} j WHERE {jobs_sql} GROUP BY 1),
        invoiced AS (
            SELECT j.client_id, COUNT(*) AS placements, SUM(p.fee_eur) AS turnover,
                   SUM(CASE WHEN p.guarantee_broken THEN p.fee_eur ELSE 0 END) AS refunds,
                   BOOL_OR(j.repeat_job) AS any_repeat
            FROM placements p JOIN {JOBS_WITH_REPEAT} j ON j.job_id = p.job_id
            WHERE {plc_sql} GROUP BY 1),
        effort AS (
            SELECT x.client_id, SUM(x.hours) AS effort_hours, SUM(x.cost) AS effort_cost
            FROM ({act_sql}) x GROUP BY 1),
        ids AS (SELECT client_id FROM opened UNION SELECT client_id FROM invoiced
                UNION SELECT client_id FROM effort),
        base AS (
            SELECT i.client_id, c.name, c.sector, c.employees,
                   COALESCE(o.jobs, 0)::BIGINT AS jobs,
                   COALESCE(v.placements, 0)::BIGINT AS placements,
                   COALESCE(v.turnover, 0)::DOUBLE AS turnover,
                   COALESCE(v.refunds, 0)::DOUBLE AS refunds,
                   COALESCE(e.effort_hours, 0)::DOUBLE AS effort_hours,
                   COALESCE(e.effort_cost, 0)::DOUBLE AS effort_cost,
                   (COALESCE(o.any_repeat, FALSE) OR COALESCE(v.any_repeat, FALSE)) AS is_returning
            FROM ids i
            LEFT JOIN clients c ON c.client_id = i.client_id
            LEFT JOIN opened o ON o.client_id = i.client_id
            LEFT JOIN invoiced v ON v.client_id = i.client_id
            LEFT JOIN effort e ON e.client_id = i.client_id
            WHERE i.client_id IS NOT NULL),
        ranked AS (
            SELECT client_id,
                   ROW_NUMBER() OVER (ORDER BY turnover DESC, client_id) AS rn, COUNT(*) OVER () AS n
            FROM base WHERE turnover > 0)
        SELECT b.client_id, b.name, b.sector, b.employees, b.jobs, b.placements, b.turnover, b.refunds,
               b.effort_hours, b.effort_cost, b.turnover - b.refunds - b.effort_cost AS net_profit,
               CASE WHEN b.placements > 0 THEN b.turnover / b.placements END AS avg_basket,
               b.is_returning,
               {segment_case_sql('r.rn', 'r.n')} AS segment
        FROM base b LEFT JOIN ranked r ON r.client_id = b.client_id
        ORDER BY b.turnover DESC, net_profit DESC, b.client_id
    """
    return sql, jobs_params + plc_params + act_params


def economics_totals_sql(f: Filters) -> tuple[str, list[object]]:
    """SQL of one row [turnover, refunds, effort_cost, net_profit]: the sums of `client_economics` over all
    its clients, and its parameters. The same placements and activities as `economics_sql` (on jobs with a
    client), without the per-client rows, repeat flags and segments the totals do not need (5× faster at
    1M deals)."""
    plc_sql, plc_params = where(f.period("p.invoiced_at"), f.jobs("j"), ("p.invoiced_at IS NOT NULL", []))
    act_sql, act_params = activity_effort_sql(f)
    sql = f"""
        WITH invoiced AS (
            SELECT COALESCE(SUM(p.fee_eur), 0)::DOUBLE AS turnover,
                   COALESCE(SUM(CASE WHEN p.guarantee_broken THEN p.fee_eur ELSE 0 END), 0)::DOUBLE AS refunds
            FROM placements p JOIN jobs j ON j.job_id = p.job_id
            WHERE {plc_sql} AND j.client_id IS NOT NULL),
        effort AS (
            SELECT COALESCE(SUM(x.cost), 0)::DOUBLE AS effort_cost FROM ({act_sql}) x WHERE x.client_id IS NOT NULL)
        SELECT turnover, refunds, effort_cost, turnover - refunds - effort_cost AS net_profit FROM invoiced, effort
    """
    return sql, plc_params + act_params


def client_economics(con, f: Filters) -> pd.DataFrame:
    """Turnover, refunds, effort and net profit per client, with the client's segment.

    Turnover is the sum of the placements' `fee_eur` invoiced in the period (dated by
    `invoiced_at`; a placement not invoiced yet is not turnover). Refunds are the fees of
    those placements whose guarantee broke (the candidate left during the guarantee period,
    the fee is paid back). Effort is the time
    logged in activities dated in the period, in hours, and its cost is minutes / 60 × the
    hourly cost of the staff member who logged it (0 when the cost is unknown). Net profit
    = turnover − refunds − effort cost. Average basket = turnover / placements. Jobs are the
    jobs opened in the period. A client is returning when at least one of the jobs behind
    its period activity (a job opened, or a placement invoiced, in the period) is a repeat
    job, i.e. the client had opened an earlier job. Segments rank the clients with turnover
    > 0 in the period by turnover: `top` = the first ceil(1 %), `large` = the next up to
    ceil(5 %), `medium` = the next up to ceil(20 %), `other` = the rest, including clients
    without turnover in the period. Team, salesperson and job type filters apply to the job
    (an activity not logged on a job follows the staff member who logged it and is left out
    when job types are chosen).

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        One row per client with a job opened, a placement invoiced or an activity in the
        period: client_id, name, sector, employees, jobs, placements, turnover, refunds,
        effort_hours, effort_cost, net_profit, avg_basket (NULL without placement),
        is_returning, segment; sorted by turnover, highest first.
    """
    sql, params = economics_sql(f)
    return con.execute(sql, params).df()[ECONOMICS_COLUMNS]


def _client_money(con, f: Filters) -> pd.DataFrame:
    """The money columns of `client_economics` alone, for the analyses that need nothing else.

    Same clients, turnover and net profit as `client_economics` (same definitions and
    filters), with the client's name and head count; jobs, returning clients and segments are
    not computed, which makes it much faster.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        client_id, name, employees, turnover, net_profit; one row per client of
        `client_economics`, in no particular order.
    """
    jobs_sql, jobs_params = where(f.period("j.opened_at"), f.jobs("j"))
    plc_sql, plc_params = where(f.period("p.invoiced_at"), f.jobs("j"), ("p.invoiced_at IS NOT NULL", []))
    act_sql, act_params = activity_effort_sql(f)
    return con.execute(f"""
        WITH invoiced AS (
            SELECT j.client_id, SUM(p.fee_eur) AS turnover,
                   SUM(CASE WHEN p.guarantee_broken THEN p.fee_eur ELSE 0 END) AS refunds
            FROM placements p JOIN jobs j ON j.job_id = p.job_id WHERE {plc_sql} GROUP BY 1),
        effort AS (SELECT x.client_id, SUM(x.cost) AS effort_cost FROM ({act_sql}) x GROUP BY 1),
        ids AS (SELECT j.client_id FROM jobs j WHERE {jobs_sql}
                UNION SELECT client_id FROM invoiced UNION SELECT client_id FROM effort)
        SELECT i.client_id, c.name, c.employees, COALESCE(v.turnover, 0)::DOUBLE AS turnover,
               COALESCE(v.turnover, 0)::DOUBLE - COALESCE(v.refunds, 0)::DOUBLE
               - COALESCE(e.effort_cost, 0)::DOUBLE AS net_profit
        FROM ids i LEFT JOIN clients c ON c.client_id = i.client_id
        LEFT JOIN invoiced v ON v.client_id = i.client_id
        LEFT JOIN effort e ON e.client_id = i.client_id
        WHERE i.client_id IS NOT NULL
    """, plc_params + act_params + jobs_params).df()


def repeat_business(con, f: Filters) -> pd.DataFrame:
    """Repeat business: clients with several jobs, revenue of returning clients.

    `share_clients_more_than_one_job` = clients that opened more than one job in the period /
    clients that opened at least one. `share_revenue_from_returning_clients` = turnover of
    returning clients / turnover, where a returning client (see `client_economics`) has at
    least one repeat job (a job opened after an earlier job of the same client) among the
    jobs behind its activity in the period. Dates and filters as in `client_economics`.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        Rows (measure, value) for: clients_with_jobs, clients_more_than_one_job,
        share_clients_more_than_one_job, returning_clients, turnover,
        turnover_from_returning_clients, share_revenue_from_returning_clients (floats). Shares
        are NaN when their denominator is 0; empty when no client is in scope.
    """
    eco = client_economics(con, f)
    if eco.empty:
        return pd.DataFrame(columns=REPEAT_COLUMNS)
    with_jobs = int((eco["jobs"] > 0).sum())
    several = int((eco["jobs"] > 1).sum())
    turnover = float(eco["turnover"].sum())
    returning_turnover = float(eco.loc[eco["is_returning"], "turnover"].sum())
    values = {
        "clients_with_jobs": with_jobs,
        "clients_more_than_one_job": several,
        "share_clients_more_than_one_job": several / with_jobs if with_jobs else None,
        "returning_clients": int(eco["is_returning"].sum()),
        "turnover": turnover,
        "turnover_from_returning_clients": returning_turnover,
        "share_revenue_from_returning_clients": returning_turnover / turnover if turnover else None,
    }
    return pd.DataFrame({"measure": list(values), "value": np.array(list(values.values()), dtype=float)})


def client_segments(con, f: Filters) -> pd.DataFrame:
    """Each client segment's size and share of revenue in the period.

    Segments as in `client_economics` (ranking by turnover in the filtered period; `other`
    also holds the clients without turnover). Revenue share = the segment's turnover / the
    turnover of all clients in scope.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        One row per segment, in the order top, large, medium, other: segment, clients,
        turnover, revenue_share (NULL when there is no turnover). Empty when no client is in scope.
    """
    eco = client_economics(con, f)
    if eco.empty:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    out = (eco.groupby("segment").agg(clients=("client_id", "size"), turnover=("turnover", "sum"))
           .reindex(list(SEGMENTS), fill_value=0).rename_axis("segment").reset_index())
    total = out["turnover"].sum()
    out["clients"] = out["clients"].astype("int64")
    out["turnover"] = out["turnover"].astype(float)
    out["revenue_share"] = out["turnover"] / total if total else np.nan
    return out[SEGMENT_COLUMNS]


def pareto(con, f: Filters) -> pd.DataFrame:
    """Clients ranked by turnover with the cumulative share of revenue (Pareto).

    Only clients with turnover > 0 in the period; rank 1 is the largest client, ties
    broken by client id. Cumulative share = turnover of the clients ranked so far / total.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters (as in `client_economics`).

    Returns:
        rank, client_id, name, turnover, cumulative_share, segment.
    """
    eco = client_economics(con, f)
    eco = eco[eco["turnover"] > 0].sort_values(["turnover", "client_id"], ascending=[False, True])
    eco = eco.reset_index(drop=True)
    eco["rank"] = np.arange(1, len(eco) + 1, dtype="int64")
    total = eco["turnover"].sum()
    eco["cumulative_share"] = eco["turnover"].cumsum() / total if total else pd.Series(dtype=float)
    return eco[PARETO_COLUMNS]


def _driver_features(con, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per client, over its jobs opened in the period: mean fee rate and salary, pitches per job and
    median days to the first pitch and MER; and the number of those jobs per job type and seniority."""
    jobs_sql, params = where(f.period("j.opened_at"), f.jobs("j"))
    scope = f"SELECT j.job_id, j.client_id, j.job_type, j.seniority, j.fee_rate, j.salary_k, j.opened_at " \
            f"FROM jobs j WHERE j.client_id IS NOT NULL AND {jobs_sql}"
    ev = ("SELECT job_id, pitches, first_pitch_at AS first_pitch, first_mer_at AS first_mer "
          f"FROM ({job_dates_sql('scope')})")
    per_client = con.execute(f"""
        WITH scope AS ({scope}),
        ev AS ({ev})
        -- Rounded: DuckDB's parallel float averages differ in the last bits from run to run,
        -- which would move the rank tests' ties and so the p-values.
        SELECT s.client_id, ROUND(AVG(s.fee_rate), 9) AS fee_rate, ROUND(AVG(s.salary_k), 9) AS salary_k,
               ROUND(SUM(COALESCE(ev.pitches, 0))::DOUBLE / COUNT(*), 9) AS pitches_per_job,
               MEDIAN(date_diff('day', s.opened_at, ev.first_pitch))::DOUBLE AS days_to_first_pitch,
               MEDIAN(date_diff('day', s.opened_at, ev.first_mer))::DOUBLE AS days_to_first_mer
        FROM scope s LEFT JOIN ev USING (job_id) GROUP BY 1
    """, params).df()
    levels = con.execute(f"""
        WITH scope AS ({scope})
        SELECT client_id, 'job_type' AS feature, job_type AS level, COUNT(*) AS n
        FROM scope WHERE job_type IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT client_id, 'seniority', seniority, COUNT(*) FROM scope WHERE seniority IS NOT NULL GROUP BY ALL
    """, params).df()
    return per_client, levels


def _kruskal(groups: list[np.ndarray]) -> float:
    groups = [g for g in groups if len(g) > 0]
    if len(groups) < 2 or sum(len(g) for g in groups) < 3:
        return np.nan
    from scipy import stats  # imported here: scipy.stats takes ~1.5 s to load, and most pages never test

    try:
        return float(stats.kruskal(*groups).pvalue)
    except ValueError:  # all values identical: no difference to test
        return np.nan


def _chi_square(table: pd.DataFrame) -> float:
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return np.nan
    from scipy import stats  # see _kruskal

    return float(stats.chi2_contingency(table.to_numpy()).pvalue)


def segment_drivers(con, f: Filters) -> pd.DataFrame:
    """What sets the segments apart: attributes compared across segments.

    Segments as in `client_economics`. Numeric features are compared with the
    Kruskal-Wallis test (scipy.stats.kruskal, do the segments' distributions differ?) and
    shown as each segment's median: `employees` (client head count), `fee_rate` (mean
    fee rate of the client's jobs opened in the period), `salary_k`, `pitches_per_job`
    (pitches logged on those jobs / jobs), `days_to_first_pitch` and `days_to_first_mer`
    (speed of answer: median days from a job's opening to its first pitch, its first MER).
    Categorical features are compared with Pearson's chi-square test of independence
    (scipy.stats.chi2_contingency) and shown as each segment's share per level:
    `sector` counts clients; `job_type` and `seniority` count the jobs opened in the period.
    A difference is flagged significant when p < 0.05. Segments with no value are left out
    of a test; a test needs two segments with data (and, for Kruskal-Wallis, three values
    that are not all equal), otherwise its p-value is NULL and nothing is flagged. With few
    clients in `top`/`large` the chi-square approximation is rough: read it as a hint.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters (jobs by `opened_at`, revenue by `invoiced_at`).

    Returns:
        feature (e.g. `employees`, `sector: Banking`), segment, value (median, or share in
        [0, 1]), test, p_value, significant. Empty when no client is in scope.
    """
    eco = client_economics(con, f)
    if eco.empty:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    seg = eco.set_index("client_id")["segment"]
    per_client, levels = _driver_features(con, f)
    clients = eco[["client_id", "segment", "employees", "sector"]].merge(per_client, on="client_id",
                                                                          how="left")
    levels["segment"] = levels["client_id"].map(seg)
    clients["n"] = 1

    rows: list[dict[str, object]] = []
    present = [s for s in SEGMENTS if (clients["segment"] == s).any()]
    for feature in ("employees", "fee_rate", "salary_k", "pitches_per_job", "days_to_first_pitch",
                    "days_to_first_mer"):
        values = pd.to_numeric(clients[feature], errors="coerce").astype(float)
        groups = {s: values[clients["segment"] == s].dropna().to_numpy() for s in present}
        p = _kruskal(list(groups.values()))
        rows += [{"feature": feature, "segment": s, "value": float(np.median(g)) if len(g) else np.nan,
                  "test": KRUSKAL, "p_value": p} for s, g in groups.items()]
    counts = [("sector", clients.rename(columns={"sector": "level"}))]
    counts += [(name, levels[levels["feature"] == name]) for name in ("job_type", "seniority")]
    for feature, frame in counts:
        known = frame.dropna(subset=["level", "segment"])
        if known.empty:
            continue
        table = known.pivot_table(index="segment", columns="level", values="n", aggfunc="sum", fill_value=0)
        table = table.reindex(present, fill_value=0)
        p = _chi_square(table)
        shares = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
        for level in table.columns:
            rows += [{"feature": f"{feature}: {level}", "segment": s, "value": float(shares.at[s, level]),
                      "test": CHI_SQUARE, "p_value": p} for s in present]
    out = pd.DataFrame(rows, columns=DRIVER_COLUMNS[:-1])
    out["significant"] = (out["p_value"] < SIGNIFICANCE).fillna(False).astype(bool)
    return out[DRIVER_COLUMNS]


def client_history(con, f: Filters, client_id: str) -> pd.DataFrame:
    """One client's jobs with their funnel, fees and effort (the client detail view).

    Jobs opened in the period (team, salesperson and job type filters as everywhere). For each job: pitches, MERs,
    offers and placements logged on it, the fees of its placements and the hours of
    activity logged on it, whatever their dates, so that a job's story is whole.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.
        client_id: the BO client id.

    Returns:
        job_id, title, job_type, opened_at, closed_at, status, pitches, mers, offers,
        placements, fee, effort_hours; newest job first.
    """
    jobs_sql, params = where(f.period("j.opened_at"), f.jobs("j"))
    return con.execute(f"""
        WITH scope AS (SELECT j.* FROM jobs j WHERE j.client_id = ? AND {jobs_sql}),
        ev AS (SELECT e.job_id,
                      COUNT(*) FILTER (WHERE e.stage = 'pitch') AS pitches,
                      COUNT(*) FILTER (WHERE e.stage = 'mer') AS mers,
                      COUNT(*) FILTER (WHERE e.stage = 'offer') AS offers
               FROM pipeline_events e JOIN scope USING (job_id) GROUP BY 1),
        plc AS (SELECT p.job_id, COUNT(*) AS placements, SUM(p.fee_eur) AS fee
                FROM placements p JOIN scope USING (job_id) GROUP BY 1),
        act AS (SELECT a.job_id, SUM(COALESCE(a.minutes, 0)) / 60.0 AS effort_hours
                FROM activities a JOIN scope USING (job_id) GROUP BY 1)
        SELECT s.job_id, s.title, s.job_type, s.opened_at, s.closed_at, s.status,
               COALESCE(ev.pitches, 0)::BIGINT AS pitches, COALESCE(ev.mers, 0)::BIGINT AS mers,
               COALESCE(ev.offers, 0)::BIGINT AS offers, COALESCE(plc.placements, 0)::BIGINT AS placements,
               COALESCE(plc.fee, 0)::DOUBLE AS fee, COALESCE(act.effort_hours, 0)::DOUBLE AS effort_hours
        FROM scope s LEFT JOIN ev USING (job_id) LEFT JOIN plc USING (job_id) LEFT JOIN act USING (job_id)
        ORDER BY s.opened_at DESC NULLS LAST, s.job_id
    """, [client_id] + params).df()[HISTORY_COLUMNS]


# A bar or a point per client is slow to draw and unreadable beyond a few hundred.
PARETO_MAX_POINTS = 500


def evenly_spaced(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """`n` rows of `frame` at evenly spaced positions, its first and last rows included."""
    if len(frame) <= n:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, n).round().astype(int))]


CLIENT_CHOICES = 200


def client_choices(economics: pd.DataFrame, query: str = "", keep: str | None = None,
                   limit: int = CLIENT_CHOICES) -> tuple[pd.DataFrame, int]:
    """The clients a picker offers: those whose name or client number contains `query` (case and
    surrounding spaces ignored; every client when it is empty), in the order of `economics` (largest
    turnover first), at most `limit` of them, plus `keep` (the client already picked) when it is in
    `economics`. A list of 69,000 names would take seconds to send and draw at every rerun.

    Args:
        economics: `client_economics` (client_id, name, …).

    Returns:
        (DataFrame [client_id, name], how many clients match `query` in all).
    """
    wanted = query.strip().casefold()
    ids, names = economics["client_id"].astype(str), economics["name"].fillna("").astype(str)
    match = (ids.str.casefold().str.contains(wanted, regex=False)
             | names.str.casefold().str.contains(wanted, regex=False)) if wanted else ids.notna()
    shown = match & (match.cumsum() <= limit)
    if keep is not None:
        shown |= ids == keep
    return economics.loc[shown, ["client_id", "name"]].reset_index(drop=True), int(match.sum())


def pareto_view(ranked: pd.DataFrame, max_points: int = PARETO_MAX_POINTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the Pareto chart draws: bars for the largest clients, the cumulative curve over all of them.

    Args:
        ranked: the output of `pareto` (rank order).
        max_points: most bars, and most points of the curve.

    Returns:
        (bars, curve): bars = the first `max_points` rows of `ranked`; curve = at most `max_points`
        rows at evenly spaced ranks, the first and the last included (every row when fewer).
    """
    return ranked.head(max_points), evenly_spaced(ranked, max_points)
