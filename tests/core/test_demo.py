"""The demo generator: layout, determinism, truth consistency, planted dirt counted right, scale.

The dirt recount below is an independent, deliberately plain reading of the files against the
rules of docs/data-quality.md: it proves that each planted issue is counted once and that the
planting did not trip any other rule by accident.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.demo import generate
from core.schema import BO_INPUT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
CRM_HEADER = ["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner",
              "Create Date", "Close Date", "Deal Type", "Closed Lost Reason", "Pipeline", "Deal probability",
              "Last Modified Date"]
NULLS = {"", "N/A", "n/a", "NA", "null", "NULL", "-", "—", "none", "#N/A"}
TOTAL_LABELS = {"total", "totals", "totaux", "grand total", "sous-total", "subtotal", "somme", "sum"}
BOOLEANS = {"oui", "non", "yes", "no", "true", "false", "vrai", "faux", "1", "0", "x"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_small")
    generate(out, seed=7, scale=0.05)
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo_full")
    summary = generate(out, seed=42, scale=1.0)
    return out, summary


def _patterns(out: Path) -> dict:
    return json.loads((out / "truth" / "patterns.json").read_text(encoding="utf-8"))


def _read(path: Path, sep: str, encoding: str, skip: int = 0) -> tuple[pd.DataFrame, int]:
    """Records with exactly the header's fields, and the number of records with more (which
    are otherwise well-formed: their first fields are the header's)."""
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=sep))[skip:]
    header, data = rows[0], rows[1:]
    good = [r for r in data if len(r) == len(header)]
    return pd.DataFrame(good, columns=header, dtype=object), sum(len(r) > len(header) for r in data)


def _bo(out: Path, name: str) -> tuple[pd.DataFrame, int]:
    return _read(out / "bo" / f"{name}.csv", ";", "cp1252", skip=1 if name == "activities" else 0)


def _crm(out: Path) -> tuple[pd.DataFrame, int]:
    return _read(out / "crm" / "hubspot_deals.csv", ",", "utf-8")


# --- layout and determinism -----------------------------------------------------------------------------


def test_layout_headers_and_encodings(small: Path) -> None:
    crm = (small / "crm" / "hubspot_deals.csv").read_bytes()
    assert crm.startswith(b"\xef\xbb\xbf")
    assert crm[3:].decode("utf-8").split("\n", 1)[0] == ",".join(CRM_HEADER)
    for name, cols in BO_INPUT_COLUMNS.items():
        raw = (small / "bo" / f"{name}.csv").read_bytes()
        if name in ("activities", "staff"):
            assert b"\xe9" in raw  # é, as cp1252 writes it
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        lines = raw.decode("cp1252").split("\r\n")
        if name == "activities":
            assert lines[0] == "Export activités — généré le 31/10/2026"
            lines = lines[1:]
        assert lines[0] == ";".join(cols)
    for name in ("staff", "clients", "jobs", "candidates", "pipeline_events", "placements", "activities",
                 "company_truth", "deal_truth", "client_duplicates", "patterns"):
        folder = "truth" if name in ("company_truth", "deal_truth", "client_duplicates", "patterns") else "bo"
        ext = "json" if name == "patterns" else "csv"
        assert (small / folder / f"{name}.{ext}").is_file()


def test_french_bo_formats(small: Path) -> None:
    jobs, _ = _bo(small, "jobs")
    assert jobs["opened_at"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert jobs["fee_rate"].str.contains(",").mean() > 0.9
    staff, _ = _bo(small, "staff")
    assert staff["hourly_cost_eur"].str.fullmatch(r"\d+,\d{2}").all()
    placements, _ = _bo(small, "placements")
    assert placements["fee_eur"].str.fullmatch(r"-?\d+,\d{2}").all()
    assert placements["placement_id"].iloc[-1] == "Total"
    flags = placements["guarantee_broken"].iloc[:-1]
    planted = _patterns(small)["dirt"]["placements.csv"]["invalid.unparseable_boolean"]
    unreadable = flags[~flags.isin(["oui", "non"])]
    assert 0 < len(unreadable) == planted
    crm, _ = _crm(small)
    created = crm["Create Date"][crm["Create Date"] != ""]
    assert created.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()


def test_same_seed_same_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", seed=7, scale=0.05)
    generate(tmp_path / "other", seed=8, scale=0.05)
    for f in sorted(p.relative_to(small) for p in small.rglob("*") if p.is_file()):
        assert (tmp_path / "again" / f).read_bytes() == (small / f).read_bytes(), f
    assert (tmp_path / "other" / "bo" / "jobs.csv").read_bytes() != (small / "bo" / "jobs.csv").read_bytes()


def test_committed_demo_is_the_generators_output(full: tuple[Path, dict]) -> None:
    out, summary = full
    committed = ROOT / "data" / "demo"
    for f in sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()):
        assert (committed / f).read_bytes() == (out / f).read_bytes(), f"{f} differs: regenerate data/demo"
    assert summary["megabytes"] < 8


def test_scale_grows_counts_linearly(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=3, scale=0.1)
    b = generate(tmp_path / "b", seed=3, scale=0.4)
    for key in ("clients", "jobs", "deals", "pipeline_events", "activities", "candidates"):
        assert 3.0 < b[key] / a[key] < 5.0, key


def test_rejects_bad_scale(tmp_path: Path) -> None:
    from core.errors import UserError

    with pytest.raises(UserError):
        generate(tmp_path, scale=0)


# --- truth ------------------------------------------------------------------------------------------------


def test_truth_covers_every_company_deal_and_label(full: tuple[Path, dict]) -> None:
    out, _ = full
    p = _patterns(out)
    crm, _ = _crm(out)
    companies = pd.read_csv(out / "truth" / "company_truth.csv", dtype=str, keep_default_na=False)
    deals = pd.read_csv(out / "truth" / "deal_truth.csv", dtype=str, keep_default_na=False)
    jobs, _ = _bo(out, "jobs")
    clients, _ = _bo(out, "clients")
    text = (out / "crm" / "hubspot_deals.csv").read_text(encoding="utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))[1:]
    written = {r[2].strip() for r in records} - {""}
    assert written == set(companies["crm_company"])
    assert companies["crm_company"].is_unique
    assert set(companies["client_id"]) - {""} <= set(clients["client_id"])
    ids = {r[0] for r in records} - {""}
    assert ids <= set(deals["deal_id"]) and deals["deal_id"].is_unique
    assert set(deals["job_id"]) - {""} <= set(jobs["job_id"])
    assert (deals["job_id"] != "").mean() > 0.6
    # Prospects are not near any BO client: none of their strings shares a first word with one.
    first = clients["name"].str.split().str[0].str.casefold()
    prospects = companies.loc[companies["client_id"] == "", "crm_company"].str.split().str[0].str.casefold()
    assert not set(prospects) & set(first[~first.isin(["groupe", "maison", "banque"])])
    labels = set(crm["Deal Stage"])
    assert labels - set(p["stage_labels"]) <= {"zz_archive_2023", "Stage 7 (old pipeline)", "A relancer ???"}
    assert set(p["stage_labels"].values()) == {"open", "won", "lost"}
    assert set(crm["Deal owner"]) <= set(p["owner_variants"])
    staff, _ = _bo(out, "staff")
    assert set(p["owner_variants"].values()) <= set(staff["staff_id"])


def test_planted_patterns_exist_in_the_data(full: tuple[Path, dict]) -> None:
    out, _ = full
    p = _patterns(out)
    assert p["as_of"] == "2026-10-31"
    jobs, _ = _bo(out, "jobs")
    clients, _ = _bo(out, "clients")
    jobs = jobs[jobs["job_id"].str.startswith("J0")]
    opened = pd.to_datetime(jobs["opened_at"], format="%d/%m/%Y")
    assert opened.min() == pd.Timestamp("2022-01-03") and opened.max() == pd.Timestamp("2026-10-30")
    assert p["seasonality"] == {**p["seasonality"], "peak_month": 3, "trough_month": 8}
    per_client = jobs.groupby("client_id").size()
    assert len(p["dominant_clients"]) >= 5 and len(p["time_wasters"]) >= 6
    assert per_client[p["dominant_clients"]].min() > 4 * per_client.median()
    assert per_client[p["time_wasters"]].min() > per_client.median()
    planted = p["dominant_clients"] + p["time_wasters"] + list(p["churned_clients"])
    assert set(planted) <= set(clients["client_id"])
    year = opened.dt.year
    for cid, churn in p["churned_clients"].items():
        years = set(year[jobs["client_id"] == cid])
        assert int(churn) - 1 in years and max(years) == int(churn) - 1
    rates = [p["mer_to_placement_by_year"][str(y)] for y in range(2022, 2027)]
    assert rates == sorted(rates, reverse=True) and 0.08 < rates[0] < 0.10 and 0.04 < rates[-1] < 0.06
    sales = p["sales_pitch_to_mer"]
    assert len(sales) == 8 and max(sales.values()) - min(sales.values()) > 0.2
    order = sorted(sales, key=sales.get)
    target = p["sales_pitch_to_mer_target"]
    assert order == sorted(target, key=target.get)
    dups = pd.read_csv(out / "truth" / "client_duplicates.csv", dtype=str)
    assert len(dups) >= 3 and (dups["client_id"] < dups["duplicate_client_id"]).all()
    assert set(dups.stack()) <= set(clients["client_id"])
    assert len(p["lookalike_clients"]) >= 3


def test_dominant_clients_have_the_largest_turnover(full: tuple[Path, dict]) -> None:
    out, _ = full
    p = _patterns(out)
    jobs, _ = _bo(out, "jobs")
    pl, _ = _bo(out, "placements")
    pl = pl.drop_duplicates("placement_id").merge(jobs.drop_duplicates("job_id")[["job_id", "client_id"]])
    fee = pl["fee_eur"].str.replace(",", ".").astype(float).abs()
    turnover = fee.groupby(pl["client_id"]).sum().sort_values(ascending=False)
    large = int(np.ceil(0.05 * len(turnover)))
    assert set(p["dominant_clients"]) <= set(turnover.index[:large])
    assert turnover.reindex(p["time_wasters"]).fillna(0).max() < turnover.median() * 2


# --- dirt -------------------------------------------------------------------------------------------------


def _rule_ids() -> set[str]:
    text = (ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    # Shapes only real exports have (several currencies, ids Excel rewrote, unsaved XLSX formulas, numbers
    # beyond an INTEGER) are not planted in the demo's CSV files: the layout corpus and the hostile-input
    # tests exercise them (tests/core/test_crm_layouts.py, tests/core/test_hostile_inputs.py).
    text = text.split("## Real CRM exports")[0]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)`", text, flags=re.MULTILINE)) - {"missing.null_token"}


def test_every_rule_is_recorded_and_planted(full: tuple[Path, dict]) -> None:
    out, _ = full
    dirt = _patterns(out)["dirt"]
    assert set(dirt) == {"hubspot_deals.csv", "staff.csv", "clients.csv", "jobs.csv", "candidates.csv",
                         "pipeline_events.csv", "placements.csv", "activities.csv"}
    recorded = {rule for counts in dirt.values() for rule in counts}
    assert recorded == _rule_ids()
    planted = {rule for counts in dirt.values() for rule, c in counts.items() if c > 0}
    assert planted == _rule_ids()
    for counts in dirt.values():
        assert "missing.null_token" not in counts


def _fr_number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")


def _fr_day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")


def _totals(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Totals rows (a totals label in the first cell of one of the last three records) and the
    rows that stay. `_read` leaves out records with too many fields; in the seed-42 set none is
    among the last three records of a file, so the last three rows read are those records."""
    first = df.iloc[:, 0].str.strip().str.casefold()
    hit = first.isin(TOTAL_LABELS) & (np.arange(len(df)) >= len(df) - 3)
    return df[~hit], int(hit.sum())


def _dup_counts(df: pd.DataFrame, id_col: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Exact copies, same-id versions and id-less rows; returns the rows that stay."""
    exact = df.duplicated(keep="first")
    rest = df[~exact]
    blank = rest[id_col] == ""
    pk = rest[id_col].duplicated(keep="first") & ~blank
    return rest[~blank & ~pk], {"duplicate.exact_row": int(exact.sum()),
                                "missing.primary_key": int(blank.sum()),
                                "duplicate.primary_key": int(pk.sum())}


def _future(days: pd.Series, main: pd.Series) -> pd.Series:
    return days > main.quantile(0.99) + pd.Timedelta(days=366)


def _check(expected: dict[str, int], found: dict[str, int], file: str) -> None:
    for rule, count in found.items():
        assert expected.get(rule) == count, f"{file} {rule}: recorded {expected.get(rule)}, found {count}"


def test_bo_dirt_recount(full: tuple[Path, dict]) -> None:
    out, _ = full
    dirt = _patterns(out)["dirt"]

    staff, _ = _bo(out, "staff")
    staff, totals = _totals(staff)
    kept, found = _dup_counts(staff, "staff_id")
    found["invalid.totals_row"] = totals
    found["inconsistent.staff_role"] = int((~kept["role"].isin(["sales", "coach"])).sum())
    _check(dirt["staff.csv"], found, "staff.csv")

    clients, bad = _bo(out, "clients")
    clients, totals = _totals(clients)
    kept, found = _dup_counts(clients, "client_id")
    found["invalid.totals_row"] = totals
    created = _fr_day(kept["created_at"])
    found["invalid.unparseable_date"] = int(created.isna().sum())
    found["time_order.future_date"] = int(_future(created, created).sum())
    _check(dirt["clients.csv"], found, "clients.csv")
    client_ids = set(kept["client_id"])

    cands, bad = _bo(out, "candidates")
    cands, totals = _totals(cands)
    kept, found = _dup_counts(cands, "candidate_id")
    found["invalid.totals_row"] = totals
    created = _fr_day(kept["created_at"])
    found.update({"invalid.bad_field_count": bad, "invalid.unparseable_date": int(created.isna().sum()),
                  "time_order.future_date": int(_future(created, created).sum())})
    _check(dirt["candidates.csv"], found, "candidates.csv")

    jobs, bad = _bo(out, "jobs")
    jobs, totals = _totals(jobs)
    kept, found = _dup_counts(jobs, "job_id")
    found["invalid.totals_row"] = totals
    orphan = ~kept["client_id"].isin(client_ids)
    kept = kept[~orphan]
    salary, fee = _fr_number(kept["salary_k"]), _fr_number(kept["fee_rate"])
    opened, closed = _fr_day(kept["opened_at"]), _fr_day(kept["closed_at"].replace("", None))
    future = _future(closed, opened)
    found.update({
        "invalid.bad_field_count": bad, "invalid.orphan": int(orphan.sum()),
        "outlier.salary_in_euros": int((salary > 1000).sum()),
        "invalid.unparseable_number": int(salary.isna().sum()),
        "invalid.fee_rate_percent": int(((fee > 1) & (fee <= 100)).sum()),
        "invalid.fee_rate_range": int(((fee <= 0) | (fee > 100)).sum()),
        "inconsistent.job_status": int((~kept["status"].isin(["open", "filled", "lost", "cancelled"])).sum()),
        "time_order.closed_before_opened": int((closed < opened).sum()),
        "time_order.future_date": int(future.sum() + _future(opened, opened).sum()),
        "invalid.unparseable_date": int(opened.isna().sum()
                                        + (closed.isna() & (kept["closed_at"] != "")).sum()),
    })
    assert (kept.loc[kept["status"] == "open", "closed_at"] == "").all()
    _check(dirt["jobs.csv"], found, "jobs.csv")
    job_opened = dict(zip(kept["job_id"], opened))

    ev, bad = _bo(out, "pipeline_events")
    ev, totals = _totals(ev)
    kept, found = _dup_counts(ev, "event_id")
    found["invalid.totals_row"] = totals
    orphan = ~kept["job_id"].isin(job_opened)
    kept = kept[~orphan]
    labels = {"pitch": "pitch", "mer": "mer", "offer": "offer", "placement": "placement", "Pitch": "pitch",
              "présentation": "pitch", "Mise en relation": "mer", "MER ": "mer", "Offre": "offer",
              "placed": "placement", "Placement": "placement"}
    canon = kept["stage"].map(labels)
    unknown = canon.isna()
    kept, canon = kept[~unknown], canon[~unknown]
    same = kept.assign(stage=canon).duplicated(["job_id", "candidate_id", "stage", "event_date"])
    day = _fr_day(kept["event_date"])
    found.update({
        "invalid.bad_field_count": bad, "invalid.orphan": int(orphan.sum()),
        "invalid.unknown_event_stage": int(unknown.sum()),
        "inconsistent.event_stage": int((kept["stage"] != canon).sum()), "duplicate.event": int(same.sum()),
        "time_order.event_before_job_opened": int((day < kept["job_id"].map(job_opened)).sum()),
        "time_order.future_date": int(_future(day, day).sum()),
        "invalid.unparseable_date": int(day.isna().sum()),
    })
    _check(dirt["pipeline_events.csv"], found, "pipeline_events.csv")

    pl, bad = _bo(out, "placements")
    footer = pl.iloc[-1]
    pl, totals = _totals(pl)
    kept, found = _dup_counts(pl, "placement_id")
    found["invalid.totals_row"] = totals
    orphan = ~kept["job_id"].isin(job_opened)
    kept = kept[~orphan]
    start = _fr_day(kept["start_date"])
    flag = kept["guarantee_broken"]
    unreadable = ~flag.isin(NULLS) & ~flag.str.casefold().isin(BOOLEANS)
    found.update({"invalid.bad_field_count": bad, "invalid.orphan": int(orphan.sum()),
                  "invalid.negative_fee": int((_fr_number(kept["fee_eur"]) < 0).sum()),
                  "time_order.future_date": int(_future(start, start).sum()),
                  "invalid.unparseable_boolean": int(unreadable.sum())})
    # The totals row is the fee sum of every row above it, as the back office computes it.
    assert footer["placement_id"] == "Total" and footer.drop(["placement_id", "fee_eur"]).eq("").all()
    assert _fr_number(pd.Series([footer["fee_eur"]]))[0] == pytest.approx(_fr_number(pl["fee_eur"]).sum())
    assert ((kept["guarantee_broken"] == "oui") == (kept["broken_at"].str.match(r"\d"))).all()
    _check(dirt["placements.csv"], found, "placements.csv")

    acts, bad = _bo(out, "activities")
    acts, totals = _totals(acts)
    kept, found = _dup_counts(acts, "activity_id")
    found["invalid.totals_row"] = totals
    job = kept["job_id"].where(~kept["job_id"].isin(NULLS), None)
    orphan = ~kept["client_id"].isin(client_ids) | (job.notna() & ~job.isin(job_opened))
    kept = kept[~orphan]
    minutes = pd.to_numeric(kept["minutes"], errors="coerce")
    day = _fr_day(kept["activity_date"])
    found.update({"invalid.bad_field_count": bad, "invalid.orphan": int(orphan.sum()),
                  "invalid.negative_minutes": int(((minutes <= 0) | (minutes > 1440)).sum()),
                  "invalid.unparseable_number": int(minutes.isna().sum()),
                  "invalid.unparseable_date": int(day.isna().sum()),
                  "time_order.future_date": int(_future(day, day).sum())})
    _check(dirt["activities.csv"], found, "activities.csv")


def _amount(text: str) -> tuple[float | None, str | None]:
    """(value, rule) of one CRM amount cell, per the catalogue."""
    if text in NULLS:
        return None, None
    t = text.replace("\u00a0", " ").replace("€", "").strip()
    in_k = t.endswith("k")
    t = t.rstrip("k").strip().replace(" ", "")
    t = t.replace(",", ".") if in_k else t
    try:
        v = float(t)
    except ValueError:
        return None, "invalid.unparseable_number"
    if v < 0:
        return -v, "invalid.negative_amount"
    if in_k or 0 < v < 1000:
        return v * 1000, "outlier.amount_in_k"
    return v, None


def _norm(s: pd.Series) -> pd.Series:
    s = s.map(lambda x: unicodedata.normalize("NFKD", x).encode("ascii", "ignore").decode().casefold())
    return s.str.replace(r"[^a-z0-9]+", "", regex=True)


def test_crm_dirt_recount(full: tuple[Path, dict]) -> None:
    out, _ = full
    p = _patterns(out)
    expected = p["dirt"]["hubspot_deals.csv"]
    crm, bad = _crm(out)
    crm, totals = _totals(crm)
    found = {"invalid.bad_field_count": bad, "invalid.totals_row": totals}
    exact = crm.duplicated(keep="first")
    found["duplicate.exact_row"] = int(exact.sum())
    d = crm[~exact].copy()
    when = {c: pd.to_datetime(d[c].replace("", None), format="%Y-%m-%d %H:%M", errors="coerce")
            for c in ("Create Date", "Close Date", "Last Modified Date")}
    found["invalid.unparseable_date"] = int(sum((when[c].isna() & (d[c] != "")).sum() for c in when))
    created = when["Create Date"]
    future = created > created.quantile(0.99) + pd.Timedelta(days=366)
    found["time_order.future_date"] = int(future.sum())
    found["missing.created_at"] = int((created.isna() | future).sum())
    found["missing.deal_id"] = int((d["Record ID"] == "").sum())
    canon = d["Deal Stage"].map(p["stage_labels"])
    found["invalid.unknown_stage"] = int(canon.isna().sum())
    keep = ~(created.isna() | future | (d["Record ID"] == "") | canon.isna())
    d, canon, created, closed = d[keep], canon[keep], created[keep], when["Close Date"][keep]
    found["inconsistent.stage_label"] = int((d["Deal Stage"] != canon).sum())
    staff, _ = _bo(out, "staff")
    found["inconsistent.owner_name"] = int((~d["Deal owner"].isin(set(staff["name"]))).sum())

    parsed = d["Amount"].map(_amount)
    value = parsed.str[0].astype(float)
    rule = parsed.str[1]
    for r in ("invalid.unparseable_number", "invalid.negative_amount", "outlier.amount_in_k"):
        found[r] = int((rule == r).sum())
    extreme = value > 20 * value[canon == "won"].median()
    found["outlier.amount_extreme"] = int(extreme.sum())
    won = canon == "won"
    found["missing.won_amount"] = int((won & value.isna() & rule.isna()).sum())
    found["missing.won_company"] = int((won & (d["Associated Company"].str.strip() == "")).sum())
    before = closed < created
    found["time_order.closed_before_created"] = int(before.sum())
    found["missing.closed_at"] = int((canon.isin(["won", "lost"]) & closed.isna()).sum())

    # Re-entered: same company (its true client), same name, same owner, created 14 days apart at most.
    truth = pd.read_csv(out / "truth" / "company_truth.csv", dtype=str, keep_default_na=False)
    true_client = truth["client_id"].where(truth["client_id"] != "", truth["crm_company"])
    who = dict(zip(truth["crm_company"], true_client))
    dups = pd.read_csv(out / "truth" / "client_duplicates.csv", dtype=str)
    ref = dict(zip(dups["duplicate_client_id"], dups["client_id"]))
    company = d["Associated Company"].str.strip().map(who).map(lambda c: ref.get(c, c))
    key = pd.DataFrame({"c": company, "n": _norm(d["Deal Name"]),
                        "o": d["Deal owner"].map(p["owner_variants"]), "t": created})
    key = key.dropna(subset=["c"]).sort_values("t", kind="mergesort")
    gap = key.groupby(["c", "n", "o"])["t"].diff()
    found["duplicate.reentered_deal"] = int((gap <= pd.Timedelta(days=14)).sum())
    _check(expected, found, "hubspot_deals.csv")


def test_dirt_rates_are_realistic(full: tuple[Path, dict]) -> None:
    out, summary = full
    dirt = _patterns(out)["dirt"]
    rows = {"hubspot_deals.csv": summary["deals"], "jobs.csv": summary["jobs"],
            "pipeline_events.csv": summary["pipeline_events"], "activities.csv": summary["activities"]}
    for file, n in rows.items():
        for rule, count in dirt[file].items():
            if rule not in ("inconsistent.stage_label", "inconsistent.owner_name"):
                assert count / n <= 0.035, (file, rule)


def test_events_never_before_as_of_or_job(full: tuple[Path, dict]) -> None:
    out, _ = full
    ev, _ = _bo(out, "pipeline_events")
    day = _fr_day(ev["event_date"])
    assert day[day.dt.year < 2030].max() <= pd.Timestamp(date(2026, 10, 31))
    crm, _ = _crm(out)
    created = pd.to_datetime(crm["Create Date"].replace("", None), format="%Y-%m-%d %H:%M", errors="coerce")
    assert created[created.dt.year < 2030].max().normalize() == pd.Timestamp(date(2026, 10, 31))


def test_chunked_generation_keeps_ids_and_truth_consistent(tmp_path: Path, monkeypatch) -> None:
    import core.demo

    monkeypatch.setattr(core.demo, "CHUNK_JOBS", 150)
    summary = generate(tmp_path, seed=5, scale=0.25)
    assert summary["jobs"] > 4 * 150
    dirt = _patterns(tmp_path)["dirt"]
    # Across chunks, ids repeat only where a second version of a record was planted.
    ev, _ = _bo(tmp_path, "pipeline_events")
    ids = ev.drop_duplicates()["event_id"]
    assert ids[ids != ""].duplicated().sum() == dirt["pipeline_events.csv"]["duplicate.primary_key"]
    acts, _ = _bo(tmp_path, "activities")
    ids = acts.drop_duplicates()["activity_id"]
    assert ids[ids != ""].duplicated().sum() == dirt["activities.csv"]["duplicate.primary_key"]
    crm, _ = _crm(tmp_path)
    ids = crm.drop_duplicates()["Record ID"]
    assert ids[ids != ""].is_unique
    deals = pd.read_csv(tmp_path / "truth" / "deal_truth.csv", dtype=str, keep_default_na=False)
    assert set(ids) - {""} <= set(deals["deal_id"])
    jobs, _ = _bo(tmp_path, "jobs")
    assert set(deals["job_id"]) - {""} <= set(jobs["job_id"])
