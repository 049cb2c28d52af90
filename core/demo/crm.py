"""The CRM side of the demo: HubSpot deals typed by the salespeople, before dirt.

About one deal per BO job (created a few days after the job opened, named after the job,
amount close to the expected fee, won/lost/open as the job went), plus CRM-only deals:
prospects that never reached the BO and early lost deals with BO clients. Company
strings are the BO name as salespeople type it (case, accents, legal suffixes, city,
spaces, typos); owners are staff names with the usual variants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.demo import vocab as V
from core.demo.world import D_ASOF, D_LAST, SALES_IDX, STAFF, fix_sales, rng_for, seasonal_days, titles

RNG_VARIANTS, RNG_DEALS, RNG_EXTRA = 20, 21, 22
_NEAR = {c: n for c, n in zip("azertyuiopqsdfghjklmwxcvbn", "zaeryutioplqsdfhgjkmlxwvcnb")}
_EXACT_SLOT_SHARE = (0.55, 0.20, 0.15, 0.10)


def _strip_accents(s: pd.Series) -> pd.Series:
    return s.str.normalize("NFKD").str.encode("ascii", errors="ignore").str.decode("ascii")


def _typo(name: str, u: float, how: int) -> str:
    """One-letter typo in the longest word: a neighbour key, a dropped or a doubled letter."""
    words = name.split(" ")
    w = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[w]
    if len(word) < 5:
        return name
    p = 1 + int(u * (len(word) - 2))
    c = word[p]
    if how == 0:
        new = word[:p] + _NEAR.get(c.lower(), c) + word[p + 1:]
    elif how == 1:
        new = word[:p] + word[p + 1:]
    else:
        new = word[:p] + c + word[p:]
    return " ".join(words[:w] + [new] + words[w + 1:])


def _transpose(name: str, u: float) -> str:
    """Two neighbouring letters of the longest word swapped."""
    words = name.split(" ")
    w = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[w]
    if len(word) < 5:
        return name
    p = 1 + int(u * (len(word) - 3))
    if word[p] == word[p + 1]:
        p = p - 1 if p > 1 else p + 1
    new = word[:p] + word[p + 1] + word[p] + word[p + 2:]
    return " ".join(words[:w] + [new] + words[w + 1:])


def company_variants(seed: int, names: pd.Series, cities: pd.Series, careful: np.ndarray,
                     prospects: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Four strings per company as salespeople type it (slot 0 = the exact name).

    `careful` companies (look-alikes, duplicate records) only get case and spacing variants, so
    that a variant never makes one of them read as its look-alike. Prospects get case and legal
    suffix variants. Any string that two companies would share is replaced by the exact name.
    Returns (client variants [n, 4], prospect variants [p, 4]).
    """
    rng = rng_for(seed, RNG_VARIANTS)
    names = names.astype(object).reset_index(drop=True)
    n = len(names)
    out = np.empty((n, 4), dtype=object)
    out[:, 0] = names.to_numpy()
    kinds = rng.choice(8, size=(n, 3), p=[0.15, 0.08, 0.22, 0.08, 0.08, 0.12, 0.14, 0.13])
    kinds = np.where(careful[:, None], rng.choice([0, 5], size=(n, 3)), kinds)
    u = rng.random((n, 3))
    how = rng.integers(0, 3, (n, 3))
    suffix = np.asarray(V.LEGAL_SUFFIXES, dtype=object)[rng.integers(0, len(V.LEGAL_SUFFIXES), (n, 3))]
    case = rng.integers(0, 3, (n, 3))
    for s in range(3):
        k = kinds[:, s]
        v = names.copy()
        cased = np.select([case[:, s] == 0, case[:, s] == 1], [names.str.lower(), names.str.upper()],
                          names.str.title())
        v[k == 0] = cased[k == 0]
        stripped = _strip_accents(names)
        v[k == 1] = np.where(stripped == names, names.str.lower(), stripped)[k == 1]
        v[k == 2] = (names + " " + suffix[:, s])[k == 2]
        v[k == 3] = (names + " (" + cities.astype(object).reset_index(drop=True) + ")")[k == 3]
        v[k == 4] = (names + " - France")[k == 4]
        spaced = names.str.replace(" ", "  ", n=1, regex=False)
        v[k == 5] = np.where(spaced == names, " " + names + " ", spaced)[k == 5]
        sel = np.flatnonzero(k == 6)
        v[sel] = [_typo(nm, uu, hh) for nm, uu, hh in zip(names[sel], u[sel, s], how[sel, s])]
        sel = np.flatnonzero(k == 7)
        v[sel] = [_transpose(nm, uu) for nm, uu in zip(names[sel], u[sel, s])]
        out[:, s + 1] = v.to_numpy()

    pn = pd.Series(prospects, dtype=object)
    pv = np.empty((len(pn), 4), dtype=object)
    pv[:, 0] = pn.to_numpy()
    pv[:, 1] = pn.str.upper().to_numpy()
    pv[:, 2] = (pn + " " + np.asarray(V.LEGAL_SUFFIXES, dtype=object)[rng.integers(0, 4, len(pn))]).to_numpy()
    pv[:, 3] = pn.to_numpy()

    # A string two companies would share is ambiguous by construction: use the exact name instead.
    owner = np.concatenate([np.repeat(np.arange(n), 4), -1 - np.repeat(np.arange(len(pn)), 4)])
    text = pd.Series(np.concatenate([out.ravel(), pv.ravel()]), dtype=object).str.strip()
    shared = pd.Series(owner).groupby(text.to_numpy()).nunique()
    bad = text.isin(shared.index[shared > 1]).to_numpy()
    exact = np.concatenate([np.repeat(out[:, 0], 4), np.repeat(pv[:, 0], 4)])
    flat = np.where(bad, exact, np.concatenate([out.ravel(), pv.ravel()]))
    return flat[: 4 * n].reshape(n, 4), flat[4 * n:].reshape(len(pn), 4)


def owner_variants() -> np.ndarray:
    """Per staff index: the exact name (column 0), then the variants people type (columns 1-4)."""
    out = np.empty((len(STAFF), 5), dtype=object)
    for i, name in enumerate(STAFF["name"]):  # fourteen people
        first, last = name.split(" ", 1)
        plain = _strip_accents(pd.Series([name])).iloc[0]
        fifth = plain if plain != name else f"{first}  {last}"
        out[i] = [name, name.lower(), f"{first[0]}. {last}", f"{last.upper()} {first}", fifth]
    return out


def _titles(rng: np.random.Generator, n: int) -> np.ndarray:
    t = rng.choice(len(V.JOB_TYPES), n, p=V.JOB_TYPE_SHARE)
    s = rng.choice(4, n, p=V.SENIORITY_SHARE)
    return titles(s, t, rng.random(n))


def make_deals(seed: int, chunk: int, jobs: pd.DataFrame, clients: pd.DataFrame, variants: np.ndarray,
               prospect_variants: np.ndarray) -> pd.DataFrame:
    """The clean deals of one slice of jobs, with the CRM-only deals of the same period.

    Columns: job (jobs row label or -1), root (company key: BO client of the original record,
    or -1 - prospect), company, title, deal_name, amount, stage (open|won|lost), step (0-3 for
    open deals), owner (staff index), created/closed/updated (day, -1 when empty) and their
    minutes, deal_type, lost_reason, pipeline.
    """
    rng = rng_for(seed, RNG_DEALS, chunk)
    j = jobs
    m = len(j)
    # Some salespeople forget to enter their deals more often than others.
    miss = pd.Series(STAFF["staff_id"].to_numpy()[j["sales"].to_numpy()]).map({"S05": 0.15, "S08": 0.08}) \
        .fillna(0.02).to_numpy()
    has = (rng.random(m) >= miss) | (j["opened"].to_numpy() == D_LAST)
    jd = j[has]
    n = len(jd)
    opened = jd["opened"].to_numpy()
    created = np.minimum(opened + np.minimum(rng.exponential(2.5, n).astype(int), 10), D_ASOF)
    created = np.where(opened == D_LAST, D_ASOF, created)
    status = jd["status"].to_numpy()
    stage = np.select([status == "filled", status == "open"], ["won", "open"], "lost").astype(object)
    age = D_ASOF - opened
    step = np.clip(age // 20, 0, 3)
    step = np.where(jd["n_mer"].to_numpy() == 0, np.minimum(step, 1), step)
    fee = jd["salary_k"].to_numpy() * 1000 * jd["fee_rate"].to_numpy()
    amount = fee * rng.uniform(0.88, 1.12, n)
    off = (stage == "won") & (rng.random(n) < 0.08)
    amount = np.where(off, amount * rng.uniform(0.7, 1.35, n), amount)
    amount = np.round(amount / 100) * 100
    amount = np.where((stage == "open") & (rng.random(n) < 0.3), np.nan, amount)
    won_close = np.clip(jd["placed_day"].to_numpy() + rng.integers(0, 6, n), created, D_ASOF)
    lost_close = np.clip(jd["closed"].to_numpy() + rng.integers(-2, 7, n), created, D_ASOF)
    expected = np.where(rng.random(n) < 0.5, created + rng.integers(30, 101, n), -1)
    closed = np.select([stage == "won", stage == "lost"], [won_close, lost_close], expected)
    client = jd["client"].to_numpy()
    root = np.where(clients["dup_of"].to_numpy()[client] >= 0, clients["dup_of"].to_numpy()[client], client)
    slot = rng.choice(4, n, p=_EXACT_SLOT_SHARE)
    job_deals = pd.DataFrame({
        "job": jd.index.to_numpy(), "client": client, "root": root, "company": variants[client, slot],
        "title": jd["title"].to_numpy(), "city": clients["city"].to_numpy()[client], "amount": amount,
        "stage": stage, "step": step, "owner": jd["sales"].to_numpy(), "created": created, "closed": closed,
        "deal_type": np.where(jd["rank"].to_numpy() == 0, "newbusiness", "existingbusiness"),
    })

    # CRM-only deals over the same period: prospects, and early lost deals with BO clients.
    rng = rng_for(seed, RNG_EXTRA, chunk)
    k = round(0.40 * m)
    lo, hi = int(j["opened"].min()), int(j["opened"].max())
    is_prospect = rng.random(k) < 0.55
    n_p = len(prospect_variants)
    pw = 1 / np.sqrt(np.arange(1, n_p + 1))
    prospect = rng.choice(n_p, k, p=pw / pw.sum())
    src = j.iloc[rng.integers(0, m, k)]
    p_day = seasonal_days(rng, np.full(k, lo), np.full(k, hi))
    src_client = src["client"].to_numpy()
    # Within this chunk's period and the client's active years (both hold the source job's day).
    c_day = seasonal_days(rng, np.maximum(clients["start"].to_numpy()[src_client], lo),
                          np.minimum(clients["end"].to_numpy()[src_client], hi))
    x_created = np.where(is_prospect, p_day, c_day)
    u = rng.random(k)
    x_stage = np.where(is_prospect, np.select([u < 0.60, u < 0.93], ["lost", "open"], "won"),
                       np.where(u < 0.85, "lost", "open")).astype(object)
    stale = (x_stage == "open") & (x_created < D_ASOF - 400) & (rng.random(k) < 0.7)
    x_stage = np.where(stale, "lost", x_stage)
    x_client = src["client"].to_numpy()
    x_dup_of = clients["dup_of"].to_numpy()[x_client]
    x_root = np.where(is_prospect, -1 - prospect, np.where(x_dup_of >= 0, x_dup_of, x_client))
    x_slot = rng.choice(4, k, p=_EXACT_SLOT_SHARE)
    x_company = np.where(is_prospect, prospect_variants[prospect, x_slot], variants[x_client, x_slot])
    x_owner = np.where(is_prospect, rng.choice(SALES_IDX, k), clients["sales"].to_numpy()[x_client])
    x_owner = fix_sales(x_owner, x_created)
    x_amount = np.round(rng.lognormal(np.log(11000), 0.35, k) / 100) * 100
    x_amount = np.where((x_stage == "open") & (rng.random(k) < 0.4), np.nan, x_amount)
    x_closed = np.select(
        [x_stage == "lost", x_stage == "won"],
        [np.minimum(x_created + rng.integers(5, 61, k), D_ASOF),
         np.minimum(x_created + rng.integers(20, 91, k), D_ASOF)],
        np.where(rng.random(k) < 0.5, x_created + rng.integers(30, 101, k), -1))
    extra = pd.DataFrame({
        "job": -1, "client": np.where(is_prospect, -1, x_client), "root": x_root, "company": x_company,
        "title": _titles(rng, k),
        "city": np.where(is_prospect, "Paris", clients["city"].to_numpy()[x_client]), "amount": x_amount,
        "stage": x_stage, "step": rng.integers(0, 2, k), "owner": x_owner, "created": x_created,
        "closed": x_closed,
        "deal_type": np.where(is_prospect | (rng.random(k) < 0.5), "newbusiness", "existingbusiness"),
    })
    deals = pd.concat([job_deals, extra], ignore_index=True)
    return _finish(rng, deals)


def _finish(rng: np.random.Generator, d: pd.DataFrame) -> pd.DataFrame:
    """Times, names, optional HubSpot fields; and no accidental re-entered look-alike pair."""
    d = d.sort_values("created", kind="mergesort").reset_index(drop=True)
    n = len(d)
    d["created_min"] = rng.integers(8 * 60, 19 * 60, n)
    d["closed_min"] = rng.integers(8 * 60, 20 * 60, n)
    stage = d["stage"].to_numpy()
    closed = d["closed"].to_numpy()
    created = d["created"].to_numpy()
    upd = np.where(stage == "open", created + (rng.random(n) * (D_ASOF - created)).astype(int),
                   np.minimum(np.maximum(closed, 0) + rng.integers(0, 21, n), D_ASOF))
    d["updated"] = np.where(rng.random(n) < 0.08, -1, np.maximum(upd, d["created"].to_numpy()))
    d["updated_min"] = rng.integers(0, 1440, n)

    # Two deals of one company, same title and owner, 14 days apart or less, would read as a
    # re-entered deal: the later one gets a position number in its title.
    key = [d["root"], d["owner"], d["title"]]
    prev = d.groupby(key, sort=False)["created"].shift()
    close = (d["created"] - prev <= 14).to_numpy()
    nth = d.groupby(key, sort=False).cumcount().to_numpy() + 1
    d["title"] = np.where(close, d["title"] + " #" + nth.astype(str).astype(object), d["title"])

    fmt = rng.choice(5, n, p=[0.55, 0.15, 0.10, 0.10, 0.10])
    comp = d["company"].astype(object).str.strip()
    t = d["title"].astype(object)
    d["deal_name"] = np.select([fmt == 0, fmt == 1, fmt == 2, fmt == 3],
                               [comp + " - " + t, t + " - " + comp, t, "Recrutement " + t],
                               comp + " / " + t + " (" + d["city"].astype(object) + ")")
    lost = stage == "lost"
    reasons = np.asarray(V.LOST_REASONS, dtype=object)[rng.integers(0, len(V.LOST_REASONS), n)]
    r = rng.random(n)
    d["lost_reason"] = np.where(lost & (r < 0.65), reasons, np.where(lost & (r < 0.75), "N/A", ""))
    p = rng.random(n)
    d["pipeline"] = np.select([p < 0.75, p < 0.95], ["Sales Pipeline", "Recrutement CDI"], "")
    dt = rng.random(n)
    d["deal_type"] = np.select([dt < 0.06, dt < 0.09], ["", "-"], d["deal_type"])
    step_text = np.array([f"{x:g}" for x in V.STEP_PROBABILITY], dtype=object)[d["step"].to_numpy()]
    prob_text = np.select([stage == "won", stage == "lost"], ["1", "0"], step_text)
    d["probability"] = np.where(rng.random(n) < 0.1, "", prob_text)
    return d
