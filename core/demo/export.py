"""Formatting the demo world as the tools export it, with the dirt planted, file by file.

BO files: French back office (`;`, cp1252, dd/mm/yyyy, decimal comma, oui/non).
CRM file: HubSpot English export (UTF-8 with BOM, `,`, `YYYY-MM-DD HH:MM`).
Each `*_rows` function returns the text rows of one file (or chunk), the extra-field text
of malformed records and the dirt counts, per the counting rules of docs/data-quality.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.demo import vocab as V
from core.demo.dirt import BO_RULES, CRM_RULES, Planter
from core.demo.formats import fr_date, fr_decimal, hubspot_datetime, ids, ints, iso_day, with_year, year_of
from core.demo.world import D_ASOF, STAFF, rng_for

BO_ENCODING = "cp1252"
BO_SEP = ";"
ACTIVITIES_TITLE = "Export activités — généré le 31/10/2026"
CRM_COLUMNS = ["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner",
               "Create Date", "Close Date", "Deal Type", "Closed Lost Reason", "Pipeline", "Deal probability",
               "Last Modified Date"]
_FILE_NO = {name: i for i, name in enumerate(["staff.csv", "clients.csv", "jobs.csv", "candidates.csv",
                                               "pipeline_events.csv", "placements.csv", "activities.csv",
                                               "hubspot_deals.csv"], start=100)}


def _rng(seed: int, file: str, chunk: int = 0) -> np.random.Generator:
    return rng_for(seed, _FILE_NO[file], chunk)


def _future(days: np.ndarray) -> np.ndarray:
    """A year typo that throws a date decades ahead: 2024 -> 2042, 2026 -> 2062."""
    y = year_of(days)
    return with_year(days, 2000 + (y % 10) * 10 + (y // 10) % 10)


def _impossible_fr(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dates no calendar has (`30/02/2024`, `31/06/2025`): unreadable, still day-first."""
    y = year_of(days).astype(str).astype(object)
    return np.where(rng.random(len(days)) < 0.5, "30/02/" + y, "31/06/" + y)


def _choice(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


# --- staff, clients, candidates -------------------------------------------------------------------------


def staff_rows(seed: int) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """staff.csv: a few role labels typed as job titles, one row exported twice."""
    rng = _rng(seed, "staff.csv")
    s = STAFF
    plain = s["name"].str.normalize("NFKD").str.encode("ascii", errors="ignore").str.decode("ascii")
    email = plain.str.lower().str.replace(" ", ".", regex=False) + "@recrutement.example"
    frame = pd.DataFrame({
        "staff_id": s["staff_id"], "name": s["name"], "email": email, "role": s["role"], "team": s["team"],
        "start_date": fr_date(np.array([iso_day(t) for t in s["start_date"]])),
        "end_date": [fr_date(np.array([iso_day(t)]))[0] if isinstance(t, str) else "" for t in s["end_date"]],
        "hourly_cost_eur": fr_decimal(s["hourly_cost_eur"].to_numpy(), 2),
    })
    p = Planter(frame, rng, BO_RULES["staff.csv"])
    role = frame["role"].to_numpy()
    for r, k in (("sales", 2), ("coach", 1)):
        idx = p.pick(0, role == r, minimum=k)
        p.set("inconsistent.staff_role", idx, "role", _choice(rng, V.STAFF_ROLE_VARIANTS[r], len(idx)))
    p.copies("duplicate.exact_row", p.pick(0, minimum=1), spread=3)
    out, extra = p.result()
    return out, extra, p.counts


def client_ids(clients: pd.DataFrame) -> np.ndarray:
    """BO client id of every client row (numbered in order of creation)."""
    width = max(4, len(str(len(clients))))
    return ids("C", clients["no"].to_numpy() + 1, width)


def clients_rows(seed: int, clients: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """clients.csv in order of creation."""
    rng = _rng(seed, "clients.csv")
    c = clients.sort_values("no")
    created = c["created"].to_numpy()
    frame = pd.DataFrame({"client_id": client_ids(c), "name": c["name"].to_numpy(),
                          "sector": c["sector"].to_numpy(), "employees": ints(c["employees"].to_numpy()),
                          "city": c["city"].to_numpy(), "created_at": fr_date(created)})
    p = Planter(frame, rng, BO_RULES["clients.csv"])
    _bo_duplicates(p, rng, "client_id", {"employees": lambda r: ints(r["employees"].astype(int) + 10)})
    idx = p.pick(0.007)
    p.set("invalid.unparseable_date", idx, "created_at", _impossible_fr(created[idx], rng))
    idx = p.pick(0.003, year_of(created) >= 2023)
    p.set("time_order.future_date", idx, "created_at", fr_date(_future(created[idx])))
    out, extra = p.result()
    return out, extra, p.counts


def candidates_rows(seed: int, cands: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """candidates.csv: ids and non-personal attributes only."""
    rng = _rng(seed, "candidates.csv")
    n = len(cands)
    created = cands["created"].to_numpy()
    city = np.where(rng.random(n) < 0.03, "-", cands["city"].to_numpy())
    frame = pd.DataFrame({"candidate_id": ids("K", np.arange(1, n + 1), max(7, len(str(n)))),
                          "source": cands["source"].to_numpy(), "seniority": cands["seniority"].to_numpy(),
                          "city": city, "created_at": fr_date(created)})
    p = Planter(frame, rng, BO_RULES["candidates.csv"])
    other_source = {"source": lambda r: np.where(r["source"] == "LinkedIn", "Jobboard", "LinkedIn")}
    _bo_duplicates(p, rng, "candidate_id", other_source)
    idx = p.pick(0.005)
    p.set("invalid.unparseable_date", idx, "created_at", _impossible_fr(created[idx], rng))
    idx = p.pick(0.002, year_of(created) >= 2023)
    p.set("time_order.future_date", idx, "created_at", fr_date(_future(created[idx])))
    p.bad_field(p.pick(0.002), "vivier 2023")
    out, extra = p.result()
    return out, extra, p.counts


def _bo_duplicates(p: Planter, rng: np.random.Generator, id_col: str, change: dict,
                   rate_exact: float = 0.005, rate_pk: float = 0.004, rate_missing: float = 0.003,
                   missing_change: dict | None = None) -> None:
    """Rows exported twice, a second version of a record under the same id, and rows without id."""
    p.copies("duplicate.exact_row", p.pick(rate_exact))
    idx = p.pick(rate_pk)
    rows = p.f.loc[idx].copy()
    for col, fn in change.items():
        rows[col] = fn(rows)
    p.add("duplicate.primary_key", rows, idx)
    idx = p.pick(rate_missing)
    rows = p.f.loc[idx].copy()
    rows[id_col] = ""
    for col, fn in (missing_change or {}).items():
        rows[col] = fn(rows)
    p.add("missing.primary_key", rows, idx)


def _unused_ids(prefix: str, width: int, state: dict[str, int], k: int) -> np.ndarray:
    """`k` ids no real record has: one digit longer than the real ones (`width` digits), from 9000…"""
    start = state.setdefault(prefix, 9 * 10 ** width)
    state[prefix] = start + k
    return ids(prefix, np.arange(start, start + k), width + 1)


# --- jobs and placements --------------------------------------------------------------------------------


def job_ids(n: int) -> np.ndarray:
    return ids("J", np.arange(1, n + 1), max(6, len(str(n))))


def jobs_rows(seed: int, jobs: pd.DataFrame, cid: np.ndarray,
              state: dict[str, int]) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """jobs.csv: units typed wrong, French status labels, impossible dates, orphans."""
    rng = _rng(seed, "jobs.csv")
    j = jobs
    n = len(j)
    opened, closed = j["opened"].to_numpy(), j["closed"].to_numpy()
    status = j["status"].to_numpy()
    salary = j["salary_k"].to_numpy()
    frame = pd.DataFrame({
        "job_id": job_ids(n), "client_id": cid[j["client"].to_numpy()], "title": j["title"].to_numpy(),
        "job_type": j["job_type"].to_numpy(), "seniority": j["seniority"].to_numpy(),
        "salary_k": fr_decimal(salary, 1), "fee_rate": fr_decimal(j["fee_rate"].to_numpy(), 2),
        "opened_at": fr_date(opened), "closed_at": np.where(closed >= 0, fr_date(np.maximum(closed, 0)), ""),
        "status": status, "sales_id": STAFF["staff_id"].to_numpy()[j["sales"].to_numpy()],
        "coach_id": STAFF["staff_id"].to_numpy()[j["coach"].to_numpy()],
    })
    p = Planter(frame, rng, BO_RULES["jobs.csv"])
    _bo_duplicates(p, rng, "job_id", {"salary_k": lambda r: fr_decimal(salary[r.index] + 2, 1)})
    idx = p.pick(0.004)
    rows = p.f.loc[idx].copy()
    rows["job_id"] = _unused_ids("J", max(6, len(str(n))), state, len(idx))
    rows["client_id"] = _unused_ids("C", len(cid[0]) - 1, state, len(idx))
    p.add("invalid.orphan", rows, idx)

    idx = p.pick(0.01)
    p.set("outlier.salary_in_euros", idx, "salary_k", ints(np.rint(salary[idx] * 1000)))
    idx = p.pick(0.005)
    p.set("invalid.unparseable_number", idx, "salary_k",
          _choice(rng, ("45-50", "n.c.", "selon profil"), len(idx)))
    idx = p.pick(0.01)
    p.set("invalid.fee_rate_percent", idx, "fee_rate", ints(np.rint(j["fee_rate"].to_numpy()[idx] * 100)))
    idx = p.pick(0.004)
    p.set("invalid.fee_rate_range", idx, "fee_rate", _choice(rng, ("0", "-0,2", "150"), len(idx)))
    idx = p.pick(0.03)
    labels = np.empty(len(idx), dtype=object)
    for st, variants in V.JOB_STATUS_VARIANTS.items():  # four statuses
        sel = status[idx] == st
        labels[sel] = _choice(rng, variants, int(sel.sum()))
    p.set("inconsistent.job_status", idx, "status", labels)
    ended = np.isin(status, ["lost", "cancelled"])
    idx = p.pick(0.005, ended)
    p.set("time_order.closed_before_opened", idx, "closed_at",
          fr_date(opened[idx] - rng.integers(3, 60, len(idx))))
    idx = p.pick(0.003, ended & (year_of(np.maximum(closed, 0)) >= 2023))
    p.set("time_order.future_date", idx, "closed_at", fr_date(_future(closed[idx])))
    out, extra = p.result()
    return out, extra, p.counts


def placements_rows(seed: int, placements: pd.DataFrame, jid: np.ndarray, cand_ids: np.ndarray,
                    state: dict[str, int]) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """placements.csv: fees with a sign typo, start dates decades ahead, orphans, guarantees not
    yet settled (`?`, `à vérifier`, `en cours`) and the export's totals row of fees at the bottom."""
    rng = _rng(seed, "placements.csv")
    pl = placements
    n = len(pl)
    inv, brk, start = pl["invoiced"].to_numpy(), pl["broken_at"].to_numpy(), pl["start"].to_numpy()
    token = _choice(rng, ("", "", "", "null", "-"), n)
    frame = pd.DataFrame({
        "placement_id": ids("P", np.arange(1, n + 1), max(6, len(str(n)))),
        "job_id": jid[pl["job"].to_numpy()], "candidate_id": cand_ids[pl["cand"].to_numpy()],
        "start_date": fr_date(start), "fee_eur": fr_decimal(pl["fee"].to_numpy(), 2),
        "invoiced_at": np.where(inv >= 0, fr_date(np.maximum(inv, 0)), ""),
        "guarantee_broken": np.where(pl["broken"].to_numpy(), "oui", "non"),
        "broken_at": np.where(brk >= 0, fr_date(np.maximum(brk, 0)), token),
    })
    p = Planter(frame, rng, BO_RULES["placements.csv"])
    fee = pl["fee"].to_numpy()
    _bo_duplicates(p, rng, "placement_id", {"fee_eur": lambda r: fr_decimal(fee[r.index] + 500, 2)})
    idx = p.pick(0.005)
    rows = p.f.loc[idx].copy()
    rows["job_id"] = _unused_ids("J", len(jid[0]) - 1, state, len(idx))
    rows["placement_id"] = _unused_ids("P", max(6, len(str(n))), state, len(idx))
    p.add("invalid.orphan", rows, idx)
    idx = p.pick(0.01)
    p.set("invalid.negative_fee", idx, "fee_eur", fr_decimal(-fee[idx], 2))
    idx = p.pick(0.003, year_of(start) >= 2023)
    p.set("time_order.future_date", idx, "start_date", fr_date(_future(start[idx])))
    # Only on guarantees that did not break: the cleaner reads these as unknown (NULL), which
    # counts like `non` everywhere, so refunds and churn incidents stay as planted.
    idx = p.pick(0.005, p.f["guarantee_broken"].to_numpy() == "non")
    p.set("invalid.unparseable_boolean", idx, "guarantee_broken",
          _choice(rng, ("?", "à vérifier", "en cours"), len(idx)))
    p.totals_row("Total", "fee_eur")
    out, extra = p.result()
    return out, extra, p.counts


# --- pipeline events and activities (chunked) -----------------------------------------------------------


def events_rows(seed: int, chunk: int, ev: pd.DataFrame, jobs: pd.DataFrame, jid: np.ndarray,
                cand_ids: np.ndarray, first_no: int, width: int,
                state: dict[str, int]) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """pipeline_events.csv rows of one chunk; event ids continue from `first_no`."""
    rng = _rng(seed, "pipeline_events.csv", chunk)
    n = len(ev)
    days = ev["day"].to_numpy()
    stage = ev["stage"].to_numpy()
    frame = pd.DataFrame({"event_id": ids("E", np.arange(first_no, first_no + n), width),
                          "job_id": jid[ev["job"].to_numpy()],
                          "candidate_id": cand_ids[ev["cand"].to_numpy()],
                          "stage": stage, "event_date": fr_date(days),
                          "staff_id": STAFF["staff_id"].to_numpy()[ev["staff"].to_numpy()]})
    p = Planter(frame, rng, BO_RULES["pipeline_events.csv"])
    other_staff = STAFF["staff_id"].to_numpy()[(ev["staff"].to_numpy() + 1) % len(STAFF)]
    # The quarantined and merged extras differ from every real event (a day later), so that
    # they can only be read as what they were planted as.
    shifted = fr_date(np.where(days >= D_ASOF, days - 1, days + 1))
    _bo_duplicates(p, rng, "event_id", {"staff_id": lambda r: other_staff[r.index]}, 0.005, 0.003, 0.003,
                   missing_change={"event_date": lambda r: shifted[r.index]})
    idx = p.pick(0.004)
    rows = p.f.loc[idx].copy()
    rows["job_id"] = _unused_ids("J", len(jid[0]) - 1, state, len(idx))
    rows["event_id"] = _unused_ids("E", width, state, len(idx))
    p.add("invalid.orphan", rows, idx)
    idx = p.pick(0.003)
    rows = p.f.loc[idx].copy()
    rows["stage"] = _choice(rng, V.UNKNOWN_EVENT_STAGES, len(idx))
    rows["event_date"] = shifted[idx]
    rows["event_id"] = _unused_ids("E", width, state, len(idx))
    p.add("invalid.unknown_event_stage", rows, idx)
    idx = p.pick(0.01, np.isin(stage, ["pitch", "mer"]))
    p.copies("duplicate.event", idx, {"event_id": _unused_ids("E", width, state, len(idx))}, spread=200)

    idx = p.pick(0.02)
    labels = np.empty(len(idx), dtype=object)
    for st, variants in V.EVENT_STAGE_VARIANTS.items():  # four stages
        sel = stage[idx] == st
        labels[sel] = _choice(rng, variants, int(sel.sum()))
    p.set("inconsistent.event_stage", idx, "stage", labels)
    opened = jobs["opened"].to_numpy()[jobs.index.get_indexer(ev["job"].to_numpy())]
    idx = p.pick(0.005, stage == "pitch")
    p.set("time_order.event_before_job_opened", idx, "event_date",
          fr_date(opened[idx] - rng.integers(1, 30, len(idx))))
    idx = p.pick(0.002, (stage == "pitch") & (year_of(days) >= 2023))
    p.set("time_order.future_date", idx, "event_date", fr_date(_future(days[idx])))
    out, extra = p.result()
    return out, extra, p.counts


def activities_rows(seed: int, chunk: int, acts: pd.DataFrame, jid: np.ndarray, cid: np.ndarray,
                    first_no: int, width: int,
                    state: dict[str, int]) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """activities.csv rows of one chunk; activity ids continue from `first_no`."""
    rng = _rng(seed, "activities.csv", chunk)
    n = len(acts)
    days = acts["day"].to_numpy()
    job = acts["job"].to_numpy()
    no_job = _choice(rng, ("", "", "", "", "", "", "", "N/A", "N/A", "-"), n)
    minutes = acts["minutes"].to_numpy()
    frame = pd.DataFrame({"activity_id": ids("A", np.arange(first_no, first_no + n), width),
                          "staff_id": STAFF["staff_id"].to_numpy()[acts["staff"].to_numpy()],
                          "client_id": cid[acts["client"].to_numpy()],
                          "job_id": np.where(job >= 0, jid[np.maximum(job, 0)], no_job),
                          "type": acts["type"].to_numpy(), "activity_date": fr_date(days),
                          "minutes": ints(minutes)})
    p = Planter(frame, rng, BO_RULES["activities.csv"])
    _bo_duplicates(p, rng, "activity_id", {"minutes": lambda r: ints(minutes[r.index] + 5)},
                   0.005, 0.003, 0.003)
    idx = p.pick(0.004)
    rows = p.f.loc[idx].copy()
    rows["client_id"] = _unused_ids("C", len(cid[0]) - 1, state, len(idx))
    rows["activity_id"] = _unused_ids("A", width, state, len(idx))
    rows["job_id"] = ""
    p.add("invalid.orphan", rows, idx)
    idx = p.pick(0.01)
    p.set("invalid.negative_minutes", idx, "minutes",
          _choice(rng, ("0", "-30", "-15", "2000", "1500"), len(idx)))
    idx = p.pick(0.003)
    p.set("invalid.unparseable_number", idx, "minutes",
          _choice(rng, ("trente", "quarante", "une heure"), len(idx)))
    idx = p.pick(0.003)
    p.set("invalid.unparseable_date", idx, "activity_date", _impossible_fr(days[idx], rng))
    idx = p.pick(0.0015, year_of(days) >= 2023)
    p.set("time_order.future_date", idx, "activity_date", fr_date(_future(days[idx])))
    p.bad_field(p.pick(0.002), "RDV client")
    out, extra = p.result()
    return out, extra, p.counts


# --- CRM deals (chunked) ---------------------------------------------------------------------------------


def _amount_text(amount: np.ndarray, style: np.ndarray) -> np.ndarray:
    """`18500`, `18 500 €` (space or no-break space) or `18500.00`; empty when missing."""
    a = np.nan_to_num(amount).astype("int64")
    plain = ints(a)
    th = ints(a // 1000)
    rest = pd.Series(ints(a % 1000), dtype=object).str.zfill(3).to_numpy(dtype=object)
    spaced = np.where(style == 1, th + " " + rest + " €", th + "\u00a0" + rest + " €")
    text = np.select([style == 0, style == 3], [plain, plain + ".00"], spaced)
    return np.where(np.isnan(amount), "", text)


def crm_rows(seed: int, chunk: int, d: pd.DataFrame, jid: np.ndarray, cid: np.ndarray, owners: np.ndarray,
             first_id: int) -> tuple[pd.DataFrame, pd.Series, dict[str, int], pd.DataFrame, int]:
    """hubspot_deals.csv rows of one chunk, with dirt.

    Returns (rows, extra fields, counts, truth rows [deal_id, job_id, company, client_id], next id).
    """
    rng = _rng(seed, "hubspot_deals.csv", chunk)
    d = d.copy()
    d["forced"] = False

    # Re-entered deals: the same deal typed again 1-12 days later under a new id. The original
    # is chosen so that no other deal of the same company, owner and title follows within 30 days.
    key = [d["root"], d["owner"], d["title"]]
    gap_next = (d.groupby(key, sort=False)["created"].shift(-1) - d["created"]).fillna(10**6).to_numpy()
    ok = (np.isin(d["stage"].to_numpy(), ["open", "lost"]) & (d["created"].to_numpy() + 12 <= D_ASOF)
          & (gap_next > 30) & (d["company"].astype(str).str.strip() != "").to_numpy())
    pool = np.flatnonzero(ok)
    k = min(len(pool), max(1, round(0.01 * len(d))))
    src = np.sort(rng.choice(pool, k, replace=False))
    copy = d.loc[src].copy()
    copy["created"] = copy["created"] + rng.integers(1, 13, k)
    copy["created_min"] = rng.integers(8 * 60, 19 * 60, k)
    copy["stage"], copy["step"], copy["amount"], copy["closed"] = "open", 0, np.nan, -1
    copy["lost_reason"], copy["probability"] = "", "0.2"
    copy["updated"], copy["updated_min"] = copy["created"], copy["created_min"]
    copy["reentered"] = True
    d.loc[src, "forced"] = True
    copy["forced"] = True
    d["reentered"] = False
    d = pd.concat([d, copy], ignore_index=True)
    d = d.sort_values(["created", "created_min"], kind="mergesort").reset_index(drop=True)
    n = len(d)
    deal_no = first_id + np.cumsum(rng.integers(1, 40, n))
    d["deal_id"] = ints(deal_no)

    stage = d["stage"].to_numpy()
    job = d["job"].to_numpy()
    crm_only = job < 0
    created, closed, updated = d["created"].to_numpy(), d["closed"].to_numpy(), d["updated"].to_numpy()
    style = rng.choice(4, n, p=[0.80, 0.06, 0.04, 0.10])
    amount = d["amount"].to_numpy(dtype=float)
    amount_text = _amount_text(amount, style)
    amount_text = np.where(np.isnan(amount) & (rng.random(n) < 0.15), "N/A", amount_text)
    frame = pd.DataFrame({
        "Record ID": d["deal_id"], "Deal Name": d["deal_name"], "Associated Company": d["company"],
        "Amount": amount_text, "Deal Stage": stage,
        "Deal owner": STAFF["name"].to_numpy()[d["owner"].to_numpy()],
        "Create Date": hubspot_datetime(created, d["created_min"].to_numpy()),
        "Close Date": np.where(closed >= 0,
                               hubspot_datetime(np.maximum(closed, 0), d["closed_min"].to_numpy()), ""),
        "Deal Type": d["deal_type"], "Closed Lost Reason": d["lost_reason"], "Pipeline": d["pipeline"],
        "Deal probability": d["probability"],
        "Last Modified Date": np.where(updated >= 0, hubspot_datetime(np.maximum(updated, 0),
                                                                      d["updated_min"].to_numpy()), ""),
    })
    p = Planter(frame, rng, CRM_RULES)
    p.taken |= d["forced"].to_numpy()
    p.counts["duplicate.reentered_deal"] += int(d["reentered"].sum())
    dup_src = p.pick(0.01)

    # Rows that will be quarantined (all CRM-only deals, otherwise spotless).
    idx = p.pick(0.005, crm_only)
    p.set("missing.deal_id", idx, "Record ID", "")
    idx = p.pick(0.004, crm_only)
    p.set("missing.created_at", idx, "Create Date", "")
    idx = p.pick(0.003, crm_only & (stage == "open") & (closed < 0) & (year_of(created) >= 2023))
    p.set("time_order.future_date", idx, "Create Date",
          hubspot_datetime(_future(created[idx]), d["created_min"].to_numpy()[idx]))
    p.counts["missing.created_at"] += len(idx)
    idx = p.pick(0.003, crm_only)
    p.set("invalid.unknown_stage", idx, "Deal Stage", _choice(rng, V.UNKNOWN_STAGES, len(idx)))
    p.bad_field(p.pick(0.003, crm_only), "voir mail du client")
    clean = p.taken.copy()

    # Value dirt on rows that stay.
    won, lost, opn = stage == "won", stage == "lost", stage == "open"
    has_amount = ~np.isnan(amount)
    idx = p.pick(0.012 * won.mean(), won, minimum=1)
    p.set("missing.won_amount", idx, "Amount", _choice(rng, ("", "", "N/A"), len(idx)))
    idx = p.pick(0.006 * won.mean(), won)
    p.set("missing.won_company", idx, "Associated Company", "")
    idx = p.pick(0.01 * (won | lost).mean(), won | lost)
    p.set("missing.closed_at", idx, "Close Date", "")
    # missing.closed_at looks at close dates as exported: one flagged as before the creation is
    # not also counted as missing.
    idx = p.pick(0.005 * lost.mean(), lost)
    p.set("time_order.closed_before_created", idx, "Close Date",
          hubspot_datetime(created[idx] - rng.integers(3, 40, len(idx)), d["closed_min"].to_numpy()[idx]))
    idx = p.pick(0.005, has_amount)
    p.set("invalid.negative_amount", idx, "Amount", "-" + ints(amount[idx]))
    idx = p.pick(0.01, has_amount)
    whole, tenth = ints(amount[idx] // 1000), ints((amount[idx] % 1000) // 100)
    plain_k = np.where(tenth == "0", whole, whole + "." + tenth)
    text_k = np.where(tenth == "0", whole, whole + "," + tenth) + " k€"
    p.set("outlier.amount_in_k", idx, "Amount", np.where(rng.random(len(idx)) < 0.6, plain_k, text_k))
    idx = p.pick(0.004, has_amount & (lost | opn))
    p.set("outlier.amount_extreme", idx, "Amount", ints(amount[idx] * 100))
    idx = p.pick(0.004, lost | opn)
    p.set("invalid.unparseable_number", idx, "Amount", _choice(rng, ("TBC", "à chiffrer"), len(idx)))
    idx = p.pick(0.005, opn & (updated >= 0))
    p.set("invalid.unparseable_date", idx, "Last Modified Date",
          year_of(updated[idx]).astype(str).astype(object) + "-02-30 10:00")

    # Labels and owners as people type them, except on rows that must stay spotless.
    free = ~clean
    open_label = np.empty(n, dtype=object)
    for step, (labels, share) in enumerate(V.STAGE_OPEN_BY_STEP):  # four open steps
        sel = d["step"].to_numpy() == step
        open_label[sel] = np.asarray(labels, dtype=object)[rng.choice(len(labels), int(sel.sum()), p=share)]
    label = np.select([won, lost], [np.asarray(V.STAGE_WON, dtype=object)[rng.choice(len(V.STAGE_WON), n,
                                                                                     p=V.STAGE_WON_SHARE)],
                                    np.asarray(V.STAGE_LOST, dtype=object)[rng.choice(len(V.STAGE_LOST), n,
                                                                                      p=V.STAGE_LOST_SHARE)]],
                      open_label)
    label = np.where(rng.random(n) < 0.05, stage, label)
    set_label = free & (p.f["Deal Stage"].to_numpy() == stage)
    p.f.loc[set_label, "Deal Stage"] = label[set_label]
    p.counts["inconsistent.stage_label"] += int((set_label & (label != stage)).sum())

    variant = free & (rng.random(n) < 0.07)
    pick = rng.integers(1, 5, n)
    p.f.loc[variant, "Deal owner"] = owners[d["owner"].to_numpy(), pick][variant]
    p.counts["inconsistent.owner_name"] += int(variant.sum())

    p.copies("duplicate.exact_row", dup_src)
    client = d["client"].to_numpy()
    truth = pd.DataFrame({"deal_id": p.f["Record ID"],
                          "job_id": np.where(job >= 0, jid[np.maximum(job, 0)], ""),
                          "company": p.f["Associated Company"].astype(str).str.strip(),
                          "owner": p.f["Deal owner"],
                          "owner_id": STAFF["staff_id"].to_numpy()[d["owner"].to_numpy()],
                          "stage_raw": p.f["Deal Stage"], "stage": stage,
                          "client_id": np.where(client >= 0, cid[np.maximum(client, 0)], "")})
    out, extra = p.result()
    return out, extra, p.counts, truth, int(deal_no[-1]) if n else first_id
