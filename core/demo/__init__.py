"""The demo data generator: `generate(out, seed, scale)` writes a HubSpot deals export, a BO
export folder and the truth of what was planted in them (see docs/demo.md).

Layout written under `out`:
    crm/hubspot_deals.csv              HubSpot EN export (UTF-8 with BOM, `,`)
    bo/{staff,clients,jobs,candidates,pipeline_events,placements,activities}.csv
                                       French BO (`;`, cp1252, dd/mm/yyyy, decimal comma)
    truth/patterns.json, company_truth.csv, deal_truth.csv, client_duplicates.csv

Same seed and scale, same bytes. Jobs, their events, activities and deals are generated
and written in chunks of jobs, so memory stays bounded at large scales.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.demo import vocab as V
from core.demo.crm import company_variants, make_deals, owner_variants
from core.demo.dirt import add_counts
from core.demo.export import (
    ACTIVITIES_TITLE,
    BO_ENCODING,
    BO_SEP,
    CRM_COLUMNS,
    activities_rows,
    candidates_rows,
    client_ids,
    clients_rows,
    crm_rows,
    events_rows,
    job_ids,
    jobs_rows,
    placements_rows,
    staff_rows,
)
from core.demo.formats import CsvWriter, ids, month_of, year_of
from core.demo.world import (
    MER_TO_PLACEMENT_TARGET,
    STAFF,
    client_activities,
    job_activities,
    job_events,
    make_world,
)
from core.errors import UserError
from core.schema import BO_INPUT_COLUMNS

CHUNK_JOBS = 50_000
ID_WIDTH = 8


def generate(out: Path, seed: int = 42, scale: float = 1.0) -> dict[str, object]:
    """Write the demo CRM export, BO folder and truth under `out`.

    Args:
        out: folder to write into (created; files already there are overwritten).
        seed: random seed; the same seed and scale give byte-identical files.
        scale: multiplies clients, jobs, deals and events (1 = about 300 clients, 2,500 jobs,
            3,500 deals, 33,000 pipeline events; 300 = over 1M deals and 9M events).

    Returns:
        Summary: rows written per file, seconds taken, bytes on disk, where.
    """
    if not scale > 0:
        raise UserError(f"--scale must be a positive number, not {scale}.")
    t0 = time.perf_counter()
    out = Path(out)
    bo_dir, crm_dir, truth_dir = out / "bo", out / "crm", out / "truth"
    for d in (bo_dir, crm_dir, truth_dir):
        d.mkdir(parents=True, exist_ok=True)

    world = make_world(seed, scale)
    clients, jobs = world.clients, world.jobs
    cid = client_ids(clients)
    jid = job_ids(len(jobs))
    cand_ids = ids("K", np.arange(1, len(world.candidates) + 1), max(7, len(str(len(world.candidates)))))
    dirt: dict[str, dict[str, int]] = {}
    state: dict[str, int] = {}

    def bo_writer(name: str, title: str | None = None) -> CsvWriter:
        return CsvWriter(bo_dir / f"{name}.csv", BO_INPUT_COLUMNS[name], BO_SEP, BO_ENCODING, "\r\n", title)

    def write_whole(name: str, rows: tuple[pd.DataFrame, pd.Series, dict[str, int]]) -> int:
        frame, extra, counts = rows
        w = bo_writer(name)
        w.write(frame, extra)
        add_counts(dirt, f"{name}.csv", counts)
        return w.rows

    rows_written = {
        "staff": write_whole("staff", staff_rows(seed)),
        "clients": write_whole("clients", clients_rows(seed, clients)),
        "candidates": write_whole("candidates", candidates_rows(seed, world.candidates)),
        "jobs": write_whole("jobs", jobs_rows(seed, jobs, cid, state)),
        "placements": write_whole("placements",
                                  placements_rows(seed, world.placements, jid, cand_ids, state)),
    }

    careful = clients["role"].isin(["lookalike", "duplicate", "dup_original"]).to_numpy()
    variants, prospect_variants = company_variants(seed, clients["name"], clients["city"], careful,
                                                   world.prospects)
    owners = owner_variants()
    ev_w = bo_writer("pipeline_events")
    act_w = bo_writer("activities", ACTIVITIES_TITLE)
    crm_w = CsvWriter(crm_dir / "hubspot_deals.csv", CRM_COLUMNS, ",", "utf-8", "\n", bom=True)

    bounds = list(range(0, len(jobs), CHUNK_JOBS)) + [len(jobs)]
    starts = jobs["opened"].to_numpy()[bounds[:-1]]
    c_acts = client_activities(seed, clients, 0)
    c_chunk = np.maximum(np.searchsorted(starts, c_acts["day"].to_numpy(), side="right") - 1, 0)
    years = np.arange(2022, 2027)
    mers = np.zeros(len(years), dtype=np.int64)
    places = np.zeros(len(years), dtype=np.int64)
    pitch_by = np.zeros(len(STAFF), dtype=np.int64)
    mer_by = np.zeros(len(STAFF), dtype=np.int64)
    next_event, next_act, next_deal = 1, 1, 10_000_000_000
    truth_parts: list[pd.DataFrame] = []
    for c in range(len(bounds) - 1):
        jc = jobs.iloc[bounds[c]: bounds[c + 1]]
        ev = job_events(seed, jc, c)
        y = year_of(ev["day"].to_numpy()) - 2022
        st = ev["stage"].to_numpy()
        mers += np.bincount(y[st == "mer"], minlength=len(years))[: len(years)]
        places += np.bincount(y[st == "placement"], minlength=len(years))[: len(years)]
        pitch_by += np.bincount(ev["sales"].to_numpy()[st == "pitch"], minlength=len(STAFF))
        mer_by += np.bincount(ev["sales"].to_numpy()[st == "mer"], minlength=len(STAFF))
        frame, extra, counts = events_rows(seed, c, ev, jobs, jid, cand_ids, next_event, ID_WIDTH, state)
        ev_w.write(frame, extra)
        add_counts(dirt, "pipeline_events.csv", counts)
        next_event += len(ev)
        del ev, frame, extra

        acts = pd.concat([job_activities(seed, jc, c), c_acts[c_chunk == c]], ignore_index=True)
        acts = acts.sort_values(["day", "client", "job"], kind="mergesort").reset_index(drop=True)
        frame, extra, counts = activities_rows(seed, c, acts, jid, cid, next_act, ID_WIDTH, state)
        act_w.write(frame, extra)
        add_counts(dirt, "activities.csv", counts)
        next_act += len(acts)
        del acts, frame, extra

        deals = make_deals(seed, c, jc, clients, variants, prospect_variants)
        frame, extra, counts, truth, next_deal = crm_rows(seed, c, deals, jid, cid, owners, next_deal)
        crm_w.write(frame, extra)
        add_counts(dirt, "hubspot_deals.csv", counts)
        truth_parts.append(truth)
        del deals, frame, extra
    rows_written.update(pipeline_events=ev_w.rows, activities=act_w.rows, deals=crm_w.rows)

    truth = pd.concat(truth_parts, ignore_index=True)
    _write_truth(truth_dir, world, cid, jobs, truth, dirt, seed, scale,
                 realised={"mer": mers, "placement": places, "pitch_by": pitch_by, "mer_by": mer_by},
                 rows=rows_written)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"out": str(out), "seed": seed, "scale": scale, **rows_written,
            "megabytes": round(size / 1e6, 1), "seconds": round(time.perf_counter() - t0, 1)}


def _write_truth(folder: Path, world, cid: np.ndarray, jobs: pd.DataFrame, truth: pd.DataFrame,
                 dirt: dict[str, dict[str, int]], seed: int, scale: float, realised: dict[str, np.ndarray],
                 rows: dict[str, int]) -> None:
    """patterns.json and the linking truth files (never read by the build)."""
    clients = world.clients
    role = clients["role"].to_numpy()
    by_month = np.bincount(month_of(jobs["opened"].to_numpy()), minlength=13)[1:]
    last_year = pd.Series(year_of(jobs["opened"].to_numpy())).groupby(jobs["client"].to_numpy()).max()
    churned = np.flatnonzero(clients["churned"].to_numpy())
    years = [str(y) for y in range(2022, 2027)]
    mer_rate = {y: round(float(p / m), 4)
                for y, p, m in zip(years, realised["placement"], realised["mer"]) if m}
    sales = STAFF.index[STAFF["role"] == "sales"]
    pitch_rate = {STAFF.at[i, "name"]: round(float(realised["mer_by"][i] / realised["pitch_by"][i]), 4)
                  for i in sales if realised["pitch_by"][i]}
    known = truth[~truth["stage_raw"].isin(V.UNKNOWN_STAGES)]
    labels = known.drop_duplicates("stage_raw")[["stage_raw", "stage"]]
    stage_labels = dict(sorted(labels.itertuples(index=False)))
    owner_map = dict(sorted(truth.drop_duplicates("owner")[["owner", "owner_id"]].itertuples(index=False)))
    patterns = {
        "as_of": V.AS_OF.isoformat(),
        "seed": seed,
        "scale": scale,
        "seasonality": {"peak_month": int(np.argmax(by_month)) + 1,
                        "trough_month": int(np.argmin(by_month)) + 1,
                        "jobs_opened_by_month": {str(m + 1): int(c) for m, c in enumerate(by_month)}},
        "dominant_clients": sorted(cid[role == "dominant"].tolist()),
        "time_wasters": sorted(cid[role == "time_waster"].tolist()),
        "churned_clients": dict(sorted((cid[i], str(int(last_year[i]) + 1)) for i in churned)),
        "mer_to_placement_by_year": mer_rate,
        "mer_to_placement_target": {str(y): r for y, r in MER_TO_PLACEMENT_TARGET.items()},
        "sales_pitch_to_mer": pitch_rate,
        "sales_pitch_to_mer_target": {STAFF.at[i, "name"]: float(STAFF.at[i, "pitch_to_mer"]) for i in sales},
        "stage_labels": stage_labels,
        "owner_variants": owner_map,
        "lookalike_clients": sorted([sorted([cid[a], cid[b]]) for a, b in world.truth["lookalike_pairs"]]),
        "dirt": {f: dict(sorted(c.items())) for f, c in sorted(dirt.items())},
        "rows_written": rows,
    }
    text = json.dumps(patterns, ensure_ascii=False, indent=2) + "\n"
    (folder / "patterns.json").write_text(text, encoding="utf-8")

    companies = (truth.loc[truth["company"] != "", ["company", "client_id"]].drop_duplicates("company")
                 .sort_values("company").rename(columns={"company": "crm_company"}))
    companies.to_csv(folder / "company_truth.csv", index=False, lineterminator="\n")
    deals = truth.loc[truth["deal_id"] != "", ["deal_id", "job_id"]].drop_duplicates("deal_id")
    deals.to_csv(folder / "deal_truth.csv", index=False, lineterminator="\n")
    dup = clients.index[clients["dup_of"].to_numpy() >= 0].to_numpy()
    pairs = np.sort(np.stack([cid[clients["dup_of"].to_numpy()[dup]], cid[dup]], axis=1), axis=1)
    pd.DataFrame(pairs, columns=["client_id", "duplicate_client_id"]).sort_values("client_id").to_csv(
        folder / "client_duplicates.csv", index=False, lineterminator="\n")
