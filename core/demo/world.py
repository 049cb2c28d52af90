"""The back-office world of the demo: staff, clients, jobs and what happened on them.

Everything is drawn with numpy from seeded generators, one generator per component
(and per chunk of jobs), so a seed always gives the same world and large scales can be
generated chunk by chunk in bounded memory.

Planted business patterns (recorded in truth/patterns.json by the caller):
seasonal job openings (peak March, trough August), dominant clients, time-waster
clients, churned clients, look-alike client names, duplicate client records, a
MER->placement ratio falling year by year, and salespeople with different
pitch->MER conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from core.demo import vocab as V
from core.demo.formats import day, iso_day, month_of, year_of

D0 = day(V.FIRST_JOB_DAY)
D_LAST = day(V.LAST_JOB_DAY)
D_ASOF = day(V.AS_OF)

# Planted MER->placement targets by calendar year (placements in the year / MERs in the year).
MER_TO_PLACEMENT_TARGET = {2022: 0.09, 2023: 0.08, 2024: 0.07, 2025: 0.06, 2026: 0.05}

STAFF = pd.DataFrame(V.STAFF, columns=["staff_id", "name", "role", "team", "start_date", "end_date",
                                      "hourly_cost_eur", "pitch_to_mer"])
SALES_IDX = np.flatnonzero(STAFF["role"].to_numpy() == "sales")
SALES_RATE = STAFF["pitch_to_mer"].fillna(0.0).to_numpy(dtype=float)
_START_DAY = np.array([iso_day(s) for s in STAFF["start_date"]])
_END_DAY = np.array([iso_day(s) if isinstance(s, str) else 10**6 for s in STAFF["end_date"]])
_IDX = {sid: i for i, sid in enumerate(STAFF["staff_id"])}
_TEAMS = sorted(set(STAFF["team"]))
_TEAM_OF = np.array([_TEAMS.index(t) for t in STAFF["team"]])
_TEAM_COACHES = [np.flatnonzero((_TEAM_OF == t) & (STAFF["role"].to_numpy() == "coach")) for t in
                 range(len(_TEAMS))]

# Component numbers for the seeded generators.
RNG_CLIENTS, RNG_JOBS, RNG_EVENTS, RNG_ACTS, RNG_CLIENT_ACTS, RNG_CANDS, RNG_PLACE = range(1, 8)


def fix_sales(sales: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The Lyon accounts go to the successor after the departure, never to him before his arrival."""
    for gone, new in V.SUCCESSOR.items():  # one departure
        g, n = _IDX[gone], _IDX[new]
        sales = np.where((sales == g) & (days > _END_DAY[g]), n, sales)
        sales = np.where((sales == n) & (days < _START_DAY[n]), g, sales)
    return sales


def rng_for(seed: int, component: int, chunk: int = 0) -> np.random.Generator:
    """The generator of one component (and chunk): independent of every other one."""
    return np.random.default_rng([seed, component, chunk])


@dataclass
class World:
    """The clean back office, before any dirt. Indices (not ids) link the frames."""

    clients: pd.DataFrame
    jobs: pd.DataFrame
    candidates: pd.DataFrame
    placements: pd.DataFrame
    prospects: list[str]
    truth: dict[str, object] = field(default_factory=dict)


def _day_cdf() -> np.ndarray:
    """Cumulative weight of job openings per day from D0 to D_LAST: season x trend x weekday."""
    days = np.arange(D0, D_LAST + 1)
    w = np.asarray(V.MONTH_WEIGHT)[month_of(days) - 1] * (1 + 0.04 * (year_of(days) - 2022))
    weekday = (days + 3) % 7
    w = w * np.where(weekday == 5, 0.08, np.where(weekday == 6, 0.03, 1.0))
    return np.cumsum(w)


_CDF = _day_cdf()
_CDF0 = np.concatenate([[0.0], _CDF])


_TYPE_NAMES = list(V.JOB_TYPES)
_N_TITLES = np.array([len(V.JOB_TYPES[t][2]) for t in _TYPE_NAMES])
_TITLE_GROUPS = [[V.SENIORITY_PREFIX[s] + t for t in V.JOB_TYPES[name][2]]
                 for s in range(4) for name in _TYPE_NAMES]
_TITLE_FLAT = np.array([t for group in _TITLE_GROUPS for t in group], dtype=object)
_TITLE_OFF = np.r_[0, np.cumsum([len(g) for g in _TITLE_GROUPS])[:-1]]


def titles(sen: np.ndarray, jtype: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Job titles for seniority and job-type indices; `u` in [0, 1) picks the title of the family."""
    return _TITLE_FLAT[_TITLE_OFF[sen * len(_TYPE_NAMES) + jtype] + (u * _N_TITLES[jtype]).astype(int)]


def seasonal_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One day per row, drawn from the seasonal opening rate restricted to [lo, hi] (day numbers)."""
    a, b = np.asarray(lo) - D0, np.asarray(hi) - D0
    u = _CDF0[a] + rng.random(len(a)) * (_CDF0[b + 1] - _CDF0[a])
    idx = np.clip(np.searchsorted(_CDF, u, side="right"), a, b)
    return idx + D0


def _brands(rng: np.random.Generator, n: int, reserved: tuple[str, ...]) -> list[str]:
    """`n` invented brand words, none close to another (nor to `reserved`) at demo scale."""
    syl = np.asarray(V.SYLLABLES, dtype=object)
    draws = max(4 * n, 400)
    # Four-syllable words only when tens of thousands of names are needed.
    k = rng.choice([2, 3, 4], size=draws, p=[0.45, 0.55, 0.0] if n <= 5000 else [0.1, 0.5, 0.4])
    parts = syl[rng.integers(0, len(syl), size=(draws, 4))]
    used = np.arange(4)[None, :] < k[:, None]
    same = (parts[:, :, None] == parts[:, None, :]) & used[:, :, None] & used[:, None, :]
    repeated = (same.sum(axis=(1, 2)) > k)
    text = parts[:, 0] + parts[:, 1] + np.where(k >= 3, parts[:, 2], "") + np.where(k == 4, parts[:, 3], "")
    words = pd.Series(text, dtype=object)
    words = words[~repeated].str.capitalize()
    words = words[words.str.len().between(5, 10 if n <= 5000 else 13)]
    words = pd.Series(list(reserved) + words.drop_duplicates().tolist(), dtype=object).drop_duplicates()
    cand = words.tolist()
    if len(cand) <= 8000:
        # Drop any word too close to an earlier one, so that only planted look-alikes look alike.
        sim = process.cdist(cand, cand, scorer=fuzz.ratio, score_cutoff=72, dtype=np.uint8, workers=1)
        close_to_earlier = np.triu(sim > 0, k=1).any(axis=0)
        cand = np.asarray(cand, dtype=object)[~close_to_earlier].tolist()
    cand = cand[len(reserved):]
    if len(cand) < n:
        raise RuntimeError("not enough distinct brand names; lower the scale")
    return cand[:n]


_SECTOR_WORDS = np.array([w for sector in V.SECTORS for w in V.SECTOR_WORDS[sector]], dtype=object)


def sector_words(sector: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """A descriptive word of each sector (`Software`, `Santé`…); `pick` in 0-4 chooses which."""
    return _SECTOR_WORDS[np.asarray(sector) * 5 + pick]


def _strip_accents(s: pd.Series) -> pd.Series:
    return s.str.normalize("NFKD").str.encode("ascii", errors="ignore").str.decode("ascii")


def make_clients(seed: int, scale: float) -> tuple[pd.DataFrame, list[str], dict[str, object]]:
    """BO clients with their planted role, activity window and yearly job intensity."""
    rng = rng_for(seed, RNG_CLIENTS)
    n = max(12, round(300 * scale))
    n_dom = max(1, round(0.02 * n))
    n_tw = max(1, round(8 / 300 * n))
    n_la = max(1, round(4 / 300 * n))
    n_dup = max(1, round(4 / 300 * n))
    n_prospects = max(3, round(0.25 * n))

    role = np.full(n, "normal", dtype=object)
    perm = rng.permutation(n)
    cut = np.cumsum([n_dom, n_tw, 2 * n_la, n_dup])
    role[perm[: cut[0]]] = "dominant"
    role[perm[cut[0]: cut[1]]] = "time_waster"
    la_idx = perm[cut[1]: cut[2]]
    role[la_idx] = "lookalike"
    dup_orig = perm[cut[2]: cut[3]]
    role[dup_orig] = "dup_original"

    sector = rng.choice(len(V.SECTORS), size=n)
    brands = _brands(rng, n + n_prospects, reserved=("Acme", "Orvel"))
    words = sector_words(sector, rng.integers(0, 5, n))
    form = rng.choice(5, size=n, p=[0.62, 0.16, 0.08, 0.06, 0.08])
    b = np.asarray(brands[:n], dtype=object)
    names = np.select([form == 0, form == 1, form == 2, form == 3],
                      [b + " " + words, b, "Groupe " + b, "Maison " + b], b + " & Associés")
    # Look-alike pairs: two different companies whose names differ by one meaningful word.
    pairs = []
    for i in range(n_la):
        a_i, b_i = la_idx[2 * i], la_idx[2 * i + 1]
        if i < len(V.LOOKALIKE_FIXED):
            na, nb = V.LOOKALIKE_FIXED[i]
        else:
            wa, wb = V.LOOKALIKE_WORDS[i % len(V.LOOKALIKE_WORDS)]
            na, nb = f"{b[a_i]} {wa}", f"{b[a_i]} {wb}"
        names[a_i], names[b_i] = na, nb
        pairs.append((a_i, b_i))

    city = rng.choice(len(V.CITIES), size=n, p=V.CITY_SHARE)
    emp = np.where(role == "dominant", rng.lognormal(np.log(8000), 0.5, n),
                   np.where(role == "time_waster", rng.lognormal(np.log(600), 0.8, n),
                            rng.lognormal(np.log(250), 1.2, n)))
    emp = np.clip(np.rint(emp), 5, 120000).astype(int)

    # Activity windows: most clients are there from the start; churned ones stop in some year.
    late = (rng.random(n) < 0.45) & np.isin(role, ["normal", "lookalike"])
    start = np.where(late, rng.integers(D0, iso_day("2026-05-01"), n), D0)
    can_churn = (role == "normal") & (year_of(start) <= 2025)
    churned = can_churn & (rng.random(n) < 0.34)
    last_year = rng.integers(np.minimum(year_of(start), 2025), 2026)
    jan1 = (last_year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype("int64")
    year_lo = np.maximum(start + 30, jan1)
    year_hi = (last_year - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype("int64") - 1
    end = np.where(churned, rng.integers(np.minimum(year_lo, year_hi), year_hi + 1), D_LAST)
    end = np.clip(end, start, D_LAST)

    years = (end - start + 1) / 365.25
    lam = rng.lognormal(np.log(1.1), 0.75, n)
    lam = np.where(role == "dup_original", np.maximum(lam * 1.5, 2.5), lam)
    target = 2500 * scale
    fixed = np.where(role == "dominant", 22.0, np.where(role == "time_waster", 5.6, 0.0))
    free = fixed == 0
    budget = max(target - (fixed * years).sum(), 0.2 * target)
    lam = np.where(free, lam * budget / max((lam * years)[free].sum(), 1e-9), fixed)

    sales_pool = SALES_IDX[STAFF.loc[SALES_IDX, "staff_id"].to_numpy() != "S07"]
    sales = rng.choice(sales_pool, size=n)
    base_fee = np.where(role == "dominant", rng.choice([0.15, 0.18], n), rng.choice(V.FEE_RATES, n))
    main_type = rng.choice(len(V.JOB_TYPES), size=n, p=V.JOB_TYPE_SHARE)

    clients = pd.DataFrame({
        "name": names, "sector": np.asarray(V.SECTORS, dtype=object)[sector],
        "employees": emp, "city": np.asarray(V.CITIES, dtype=object)[city], "role": role,
        "start": start, "end": end, "churned": churned, "lam": lam, "sales": sales,
        "base_fee": base_fee, "main_type": main_type, "dup_of": -1,
    })
    prospect_words = sector_words(rng.choice(len(V.SECTORS), n_prospects), rng.integers(0, 5, n_prospects))
    prospects = (np.asarray(brands[n:], dtype=object) + " " + prospect_words).tolist()

    # Duplicate client records: the same company typed again under a new record.
    dup_rows = clients.loc[dup_orig].copy()
    base = dup_rows["name"].astype(object)
    kind = rng.integers(0, 3, len(dup_rows))
    dup_rows["name"] = np.select([kind == 0, kind == 1],
                                 [base.str.upper() + " SAS", _strip_accents(base) + " SA"], base + " SARL")
    dup_rows["dup_of"] = dup_orig
    dup_rows["role"] = "duplicate"
    dup_rows["employees"] = np.maximum(dup_rows["employees"].to_numpy() + rng.integers(-20, 20, n_dup), 5)
    clients = pd.concat([clients, dup_rows], ignore_index=True)
    meta = {"lookalike_pairs": pairs, "n_original": n}
    return clients, prospects, meta


def make_jobs(seed: int, scale: float, clients: pd.DataFrame, n_original: int) -> pd.DataFrame:
    """Jobs with their outcome (filled, lost, cancelled, open) and the counts of their pipeline."""
    rng = rng_for(seed, RNG_JOBS)
    orig = clients.iloc[:n_original]
    years = (orig["end"] - orig["start"] + 1).to_numpy() / 365.25
    n_jobs = np.maximum(1, rng.poisson(orig["lam"].to_numpy() * years))
    client = np.repeat(np.arange(n_original), n_jobs)
    lo, hi = orig["start"].to_numpy()[client], orig["end"].to_numpy()[client]
    opened = seasonal_days(rng, lo, hi)
    # A churned client's last job falls in its last active year, so the churn year is exact.
    first_of_client = np.r_[0, np.cumsum(n_jobs)[:-1]]
    churned_first = first_of_client[orig["churned"].to_numpy()]
    opened[churned_first] = orig["end"].to_numpy()[orig["churned"].to_numpy()]
    # Exactly the stated first and last opening days.
    full = (lo == D0) & (hi == D_LAST)
    opened[np.flatnonzero(full)[np.argmin(opened[full])]] = D0
    opened[np.flatnonzero(full)[np.argmax(opened[full])]] = D_LAST

    # Duplicate records take over part of their original's later jobs.
    dup_of = clients["dup_of"].to_numpy()
    record_of = np.full(len(clients), -1)
    record_of[dup_of[dup_of >= 0]] = np.flatnonzero(dup_of >= 0)
    target = record_of[client]
    median = pd.Series(opened).groupby(client).transform("median").to_numpy()
    last = pd.Series(opened).groupby(client).transform("max").to_numpy() == opened
    take = (target >= 0) & (opened >= median) & ((rng.random(len(client)) < 0.6) | last)
    client = np.where(take, target, client)

    order = np.lexsort((client, opened))
    client, opened = client[order], opened[order]
    m = len(client)
    role = clients["role"].to_numpy()[client]

    main = clients["main_type"].to_numpy()[client]
    jtype = np.where(rng.random(m) < 0.5, main, rng.choice(len(V.JOB_TYPES), size=m, p=V.JOB_TYPE_SHARE))
    sen = rng.choice(4, size=m, p=V.SENIORITY_SHARE)
    type_names = list(V.JOB_TYPES)
    base_sal = np.array([V.JOB_TYPES[t][0] for t in type_names])[jtype]
    salary = base_sal * np.asarray(V.SENIORITY_SALARY)[sen] * rng.lognormal(0, 0.12, m)
    salary = np.clip(np.round(salary * 2) / 2, 28, 180)
    fee_rate = np.where(rng.random(m) < 0.15, rng.choice(V.FEE_RATES, m),
                        clients["base_fee"].to_numpy()[client])
    title = titles(sen, jtype, rng.random(m))

    # People: the client's salesperson (sometimes another one), a coach of that salesperson's team.
    sales = np.where(rng.random(m) < 0.85, clients["sales"].to_numpy()[client], rng.choice(SALES_IDX, m))
    sales = fix_sales(sales, opened)
    team = _TEAM_OF[sales]
    pick = rng.random(m)
    coach = np.empty(m, dtype=int)
    for t, coaches in enumerate(_TEAM_COACHES):  # four teams
        sel = team == t
        coach[sel] = coaches[(pick[sel] * len(coaches)).astype(int)]
    # Only Lille's second coach joined during the period: before that, Lille's first coach.
    coach = np.where(opened < _START_DAY[coach], _IDX["C05"], coach)

    # Pipeline sizes: ~8 pitches per job, time wasters get many more; MERs at the salesperson's rate.
    n_pitch = 1 + rng.poisson(np.where(role == "time_waster", 13.0, 7.0))
    n_mer = rng.binomial(n_pitch, SALES_RATE[sales])

    fill_days = np.array([V.JOB_TYPES[t][1] for t in type_names])[jtype] * np.where(sen == 3, 1.3, 1.0)
    d_fill = np.clip(np.rint(rng.lognormal(np.log(fill_days), 0.45)), 14, 240).astype(int)
    d_other = np.clip(np.rint(rng.lognormal(np.log(85), 0.5, m)), 15, 300).astype(int)

    rank = pd.Series(np.arange(m)).groupby(client).cumcount().to_numpy()
    year = year_of(opened)

    # Which jobs get filled: exactly the planted MER->placement share of each opening year's MERs,
    # drawn with weights (time wasters almost never, dominant clients and repeat jobs more often).
    k_client = np.select([role == "time_waster", role == "dominant"], [0.03, 1.4], 1.0)
    churn_last = clients["churned"].to_numpy()[client] & (year == year_of(clients["end"].to_numpy()[client]))
    k_client = np.where(churn_last, 0.6, k_client)
    k_type = np.array([{"Sales": 1.2, "Ops": 1.1, "Data": 0.85, "Developer": 0.9}.get(t, 1.0)
                       for t in type_names])[jtype]
    weight = n_mer * k_client * k_type * np.where(rank == 0, 0.7, 1.1)
    eligible = (n_mer >= 1) & (opened + d_fill <= D_ASOF)
    key = np.where(eligible, rng.exponential(size=m) / np.maximum(weight, 1e-9), np.inf)
    # Quotas are per calendar year of the placement, against the MERs expected in that year
    # (a MER comes on average 30 % into the job's life plus about nine days).
    mer_day = opened + (0.3 * d_other).astype(int) + 9
    counted = mer_day <= D_ASOF
    mer_by_year = np.bincount(year_of(np.minimum(mer_day, D_ASOF))[counted] - 2022, weights=n_mer[counted],
                              minlength=5)
    target_rate = np.array([MER_TO_PLACEMENT_TARGET[y] for y in range(2022, 2027)])
    quota = np.rint(target_rate * mer_by_year).astype(int)
    place_year = year_of(np.minimum(opened + d_fill, D_ASOF))
    order = np.lexsort((key, place_year))
    group_start = np.searchsorted(place_year[order], place_year[order], side="left")
    pos = np.arange(m) - group_start
    filled = np.zeros(m, dtype=bool)
    filled[order] = (pos < quota[place_year[order] - 2022]) & eligible[order]

    close_other = opened + d_other
    is_open = ~filled & (close_other > D_ASOF)
    lost_share = np.where(role == "time_waster", 0.8, 0.65)
    status = np.where(filled, "filled", np.where(is_open, "open",
                      np.where(rng.random(m) < lost_share, "lost", "cancelled"))).astype(object)
    placed_day = np.where(filled, opened + d_fill, -1)
    closed = np.where(filled, placed_day, np.where(is_open, -1, close_other))
    span = np.where(filled, d_fill, np.where(is_open, d_other, close_other - opened))
    offer_day = np.where(filled, placed_day - rng.integers(2, 9, m), -1)
    offer_declined = ~filled & (n_mer >= 1) & (rng.random(m) < 0.2)
    offer_second = filled & (n_mer >= 2) & (rng.random(m) < 0.25)

    return pd.DataFrame({
        "client": client, "title": title, "job_type": np.asarray(type_names, dtype=object)[jtype],
        "seniority": np.asarray(V.SENIORITIES, dtype=object)[sen], "salary_k": salary, "fee_rate": fee_rate,
        "opened": opened, "closed": closed, "status": status, "sales": sales, "coach": coach,
        "n_pitch": n_pitch, "n_mer": n_mer, "filled": filled, "placed_day": placed_day,
        "offer_day": offer_day, "offer_declined": offer_declined, "offer_second": offer_second,
        "span": span, "rank": rank, "role": role, "churn_last": churn_last,
    })


def make_candidates(seed: int, jobs: pd.DataFrame) -> pd.DataFrame:
    """The candidate pool (created over time) and, on `jobs`, each job's first candidate index.

    Pitch k of a job presents candidate `cand_base - k`: distinct candidates within a job,
    all created before the job opened (recent candidates are presented first).
    """
    rng = rng_for(seed, RNG_CANDS)
    m = len(jobs)
    n = max(60, round(3.0 * m))
    created = np.sort(rng.integers(iso_day("2021-06-01"), D_ASOF + 1, n))
    top = np.searchsorted(created, jobs["opened"].to_numpy(), side="right") - 1
    n_pitch = jobs["n_pitch"].to_numpy()
    room = np.maximum(top - (n_pitch - 1), 0)
    back = (rng.random(m) * np.minimum(max(30, round(0.04 * n)), room + 1)).astype(int)
    jobs["cand_base"] = np.maximum(top - back, n_pitch - 1)
    return pd.DataFrame({
        "source": np.asarray(V.CANDIDATE_SOURCES, dtype=object)[
            rng.choice(len(V.CANDIDATE_SOURCES), n, p=V.CANDIDATE_SOURCE_SHARE)],
        "seniority": np.asarray(V.SENIORITIES, dtype=object)[rng.choice(4, n, p=V.SENIORITY_SHARE)],
        "city": np.asarray(V.CITIES, dtype=object)[rng.choice(len(V.CITIES), n, p=V.CITY_SHARE)],
        "created": created,
    })


def make_placements(seed: int, jobs: pd.DataFrame) -> pd.DataFrame:
    """One placement per filled job: fee = salary x fee rate, invoiced a few weeks after the start."""
    rng = rng_for(seed, RNG_PLACE)
    f = jobs.index[jobs["filled"]].to_numpy()
    j = jobs.loc[f]
    n = len(f)
    start = j["placed_day"].to_numpy() + rng.integers(21, 76, n)
    invoiced = start + rng.integers(5, 31, n)
    invoiced = np.where(invoiced > D_ASOF, -1, invoiced)  # not invoiced yet on the as-of day
    p_break = np.where(j["churn_last"].to_numpy(), 0.35, 0.06)
    broken_at = start + rng.integers(10, 86, n)
    broken = (rng.random(n) < p_break) & (broken_at <= D_ASOF)
    fee = np.rint(j["salary_k"].to_numpy() * 1000 * j["fee_rate"].to_numpy())
    out = pd.DataFrame({"job": f, "cand": j["cand_base"].to_numpy(), "placed_day": j["placed_day"].to_numpy(),
                        "start": start, "fee": fee, "invoiced": invoiced, "broken": broken,
                        "broken_at": np.where(broken, broken_at, -1)})
    return out.sort_values(["placed_day", "job"], kind="mergesort").reset_index(drop=True)


def make_world(seed: int, scale: float) -> World:
    """The whole clean back office for a seed and scale."""
    clients, prospects, meta = make_clients(seed, scale)
    jobs = make_jobs(seed, scale, clients, meta["n_original"])
    # Client records are numbered in the order they were created (before their first job).
    first = pd.Series(jobs["opened"].to_numpy()).groupby(jobs["client"].to_numpy()).min()
    rng = rng_for(seed, RNG_CLIENTS, 1)
    created = first.reindex(range(len(clients))).fillna(D_LAST).to_numpy().astype(int)
    # A duplicate record starts its life with the first job typed under it.
    dup = clients["dup_of"].to_numpy() >= 0
    clients.loc[dup, "start"] = created[dup]
    # A record exists before any job and before the account's first logged effort.
    created = np.minimum(created, clients["start"].to_numpy())
    created = np.maximum(created - rng.integers(0, 300, len(clients)), iso_day("2014-01-06"))
    clients["created"] = created
    order = np.lexsort((np.arange(len(clients)), created))
    new_no = np.empty(len(clients), dtype=int)
    new_no[order] = np.arange(len(clients))
    clients["no"] = new_no
    candidates = make_candidates(seed, jobs)
    placements = make_placements(seed, jobs)
    return World(clients=clients, jobs=jobs, candidates=candidates, placements=placements,
                 prospects=prospects, truth={"lookalike_pairs": meta["lookalike_pairs"]})


def job_events(seed: int, jobs: pd.DataFrame, chunk: int) -> pd.DataFrame:
    """Pipeline events of a slice of jobs: pitches, MERs, offers and the placement.

    Returns columns job (row label in the jobs frame), cand, stage, day, staff (index), sales (index).
    Events after the as-of day have not happened yet and are left out.
    """
    rng = rng_for(seed, RNG_EVENTS, chunk)
    j = jobs
    n_pitch = j["n_pitch"].to_numpy()
    rep = np.repeat(np.arange(len(j)), n_pitch)
    k = np.arange(len(rep)) - np.repeat(np.r_[0, np.cumsum(n_pitch)[:-1]], n_pitch)
    opened, span = j["opened"].to_numpy()[rep], j["span"].to_numpy()[rep]
    filled = j["filled"].to_numpy()[rep]
    closed = j["closed"].to_numpy()[rep]
    end = np.where(closed >= 0, closed, 10**7)
    pitch = opened + 1 + (rng.random(len(rep)) * np.maximum(1, 0.6 * span)).astype(int)
    pitch = np.minimum(pitch, np.maximum(end - 1, opened + 1))
    is_mer = k < j["n_mer"].to_numpy()[rep]
    mer = np.minimum(pitch + rng.integers(3, 15, len(rep)), end)
    placed_chain = filled & (k == 0)
    offer = j["offer_day"].to_numpy()[rep]
    mer = np.where(placed_chain, np.minimum(mer, offer - 1), mer)
    pitch = np.where(placed_chain, np.maximum(np.minimum(pitch, mer - 2), opened + 1), pitch)
    declined = j["offer_declined"].to_numpy()[rep] & (k == 0)
    declined_day = np.minimum(mer + rng.integers(4, 13, len(rep)), end)
    second = j["offer_second"].to_numpy()[rep] & (k == 1)
    second_day = np.minimum(mer + rng.integers(3, 11, len(rep)), j["placed_day"].to_numpy()[rep])
    second_day = np.maximum(second_day, mer)

    cand = j["cand_base"].to_numpy()[rep] - k
    parts = [
        (np.ones(len(rep), bool), "pitch", pitch),
        (is_mer, "mer", mer),
        (placed_chain, "offer", offer),
        (declined, "offer", declined_day),
        (second, "offer", second_day),
        (placed_chain, "placement", j["placed_day"].to_numpy()[rep]),
    ]
    sel = [np.flatnonzero(mask) for mask, _, _ in parts]
    idx = np.concatenate(sel)
    stage = np.concatenate([np.full(len(s), st, dtype=object) for s, (_, st, _) in zip(sel, parts)])
    days = np.concatenate([d[s] for s, (_, _, d) in zip(sel, parts)])
    order_stage = np.concatenate([np.full(len(s), i) for i, s in enumerate(sel)])
    ev = pd.DataFrame({"job": j.index.to_numpy()[rep[idx]], "cand": cand[idx], "stage": stage, "day": days,
                       "ord": order_stage})
    ev = ev[ev["day"] <= D_ASOF]
    sales = j["sales"].to_numpy()[rep[idx]][ev.index.to_numpy()]
    coach = j["coach"].to_numpy()[rep[idx]][ev.index.to_numpy()]
    by_sales = (ev["stage"].isin(["pitch", "mer"]).to_numpy()) & (rng.random(len(ev)) < 0.3)
    ev = ev.assign(staff=np.where(by_sales, sales, coach), sales=sales)
    ev = ev.sort_values(["day", "job", "ord", "cand"], kind="mergesort")
    return ev.drop(columns="ord").reset_index(drop=True)


def job_activities(seed: int, jobs: pd.DataFrame, chunk: int) -> pd.DataFrame:
    """Calls, e-mails and meetings logged on a slice of jobs (time wasters take far more)."""
    rng = rng_for(seed, RNG_ACTS, chunk)
    j = jobs
    lam = np.where(j["role"].to_numpy() == "time_waster", 22.0, 5.0)
    n = rng.poisson(lam)
    rep = np.repeat(np.arange(len(j)), n)
    opened = j["opened"].to_numpy()[rep]
    span = np.minimum(j["span"].to_numpy()[rep], D_ASOF - opened)
    days = np.minimum(opened + (rng.random(len(rep)) * (span + 10)).astype(int), D_ASOF)
    return _activity_rows(rng, days, j["client"].to_numpy()[rep], j.index.to_numpy()[rep],
                          j["sales"].to_numpy()[rep], j["coach"].to_numpy()[rep], 0.4)


def client_activities(seed: int, clients: pd.DataFrame, chunk: int) -> pd.DataFrame:
    """Account-management effort not tied to a job (time wasters again take far more)."""
    rng = rng_for(seed, RNG_CLIENT_ACTS, chunk)
    c = clients
    role = c["role"].to_numpy()
    years = (c["end"] - c["start"] + 1).to_numpy() / 365.25
    n = rng.poisson(np.select([role == "time_waster", role == "dominant"], [26.0, 12.0], 3.0) * years)
    rep = np.repeat(np.arange(len(c)), n)
    start, end = c["start"].to_numpy()[rep], c["end"].to_numpy()[rep]
    days = np.minimum(start + (rng.random(len(rep)) * (end - start + 30)).astype(int), D_ASOF)
    sales = fix_sales(c["sales"].to_numpy()[rep], days)
    coach = np.array([cs[0] for cs in _TEAM_COACHES])[_TEAM_OF[sales]]
    return _activity_rows(rng, days, c.index.to_numpy()[rep], np.full(len(rep), -1), sales, coach, 0.75)


def _activity_rows(rng, days, client, job, sales, coach, p_sales) -> pd.DataFrame:
    n = len(days)
    kind = rng.choice(len(V.ACTIVITY_TYPES), n, p=V.ACTIVITY_TYPE_SHARE)
    lo = np.array([a for a, _ in V.ACTIVITY_MINUTES])[kind]
    hi = np.array([b for _, b in V.ACTIVITY_MINUTES])[kind]
    minutes = (rng.integers(lo, hi + 1) // 5) * 5
    minutes = np.maximum(minutes, 5)
    staff = np.where(rng.random(n) < p_sales, sales, coach)
    out = pd.DataFrame({"day": days, "client": client, "job": job, "staff": staff,
                        "type": np.asarray(V.ACTIVITY_TYPES, dtype=object)[kind], "minutes": minutes})
    return out.sort_values(["day", "client", "job"], kind="mergesort").reset_index(drop=True)
