"""The product on a CRM export alone (issue 8, "Done when").

1. A generic "sales opportunities" export (tests/fixtures/crm_only, written once by make_fixture.py)
   whose headers are only understood through mapping.json, with a teams file and an accounts file:
   the report's `crm` numbers are checked against expectations computed here with plain pandas from
   the fixture files, owner spellings are grouped into people, and account spellings are linked.
2. The demo CRM export gives the same `crm` numbers through the HubSpot path as through the same
   file with renamed headers and a mapping file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputFileError
from core.filters import Filters
from core.report import REPORT_KEYS, build_report
from core.warehouse import build, connect

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "crm_only"
CRM, MAPPING = FIXTURE / "opportunities.csv", FIXTURE / "mapping.json"
TEAMS, ACCOUNTS = FIXTURE / "teams.csv", FIXTURE / "accounts.csv"

# The spellings planted in the fixture (make_fixture.py): CRM spelling -> person / account meant.
# Victor Hamon is in no teams file: his spellings must still form one person, without a team.
OWNER_SPELLINGS = {"jean dupont": "Jean Dupont", "DUPONT Jean": "Jean Dupont", "J. Dupont": "Jean Dupont",
                   "Lea Rousseau": "Léa Rousseau", "M. Lefebvre": "Marc Lefebvre",
                   "HAMON Victor": "Victor Hamon", "victor hamon": "Victor Hamon"}
FORMER_SALES = "Victor Hamon"
ACCOUNT_SPELLINGS = {"Kestrel Software SAS": "Kestrel Software", "KESTREL SOFTWARE": "Kestrel Software",
                     "Helix Biotech (Lyon)": "Helix Biotech", "Eastgate Bank - France": "Eastgate Bank",
                     "Northwind Trader": "Northwind Traders", "Orchid Pharma Inc.": "Orchid Pharma"}
NOT_AN_ACCOUNT = "Nimbus Dental"  # a company of the export that is in no accounts file
NO_TEAM = "(no team)"
Z = 1.96


def _slug(name: str) -> str:
    """The id part the build gives a name: lower-case ASCII words joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


# --- expectations, from the fixture files alone ----------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(CRM, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def expected_deals(raw: pd.DataFrame) -> pd.DataFrame:
    """The deals the build must keep, with the person, team and account each one means."""
    stages = json.loads(MAPPING.read_text(encoding="utf-8"))["stages"]
    teams = pd.read_csv(TEAMS, dtype=str).set_index("sales_agent")["regional_office"]
    accounts = set(pd.read_csv(ACCOUNTS, dtype=str)["account"])
    # The constants above cover every spelling in the export (else the expectations would be wrong).
    assert set(raw["sales_agent"]) <= set(teams.index) | set(OWNER_SPELLINGS) | {FORMER_SALES}
    assert set(raw["account"]) <= accounts | set(ACCOUNT_SPELLINGS) | {NOT_AN_ACCOUNT, ""}
    assert set(ACCOUNT_SPELLINGS.values()) <= accounts

    deals = raw.copy()  # an open prospect without creation date is kept (flagged missing.created_at)
    stage = deals["deal_stage"].map(stages).replace({"qualification": "open"})
    person = deals["sales_agent"].replace(OWNER_SPELLINGS)
    return pd.DataFrame({
        "stage": stage,
        "owner_raw": deals["sales_agent"],
        "stage_raw": deals["deal_stage"],
        "person": person,
        "team": person.map(teams).fillna(NO_TEAM),
        "account": deals["account"].replace(ACCOUNT_SPELLINGS),
        "linked": deals["account"].replace(ACCOUNT_SPELLINGS).isin(accounts),
        "created": pd.to_datetime(deals["engage_date"].replace("", None), format="%Y-%m-%d"),
        "closed": pd.to_datetime(deals["close_date"].replace("", None), format="%Y-%m-%d"),
        "amount": deals["close_value"].replace("", np.nan).astype(float),
    })


def _wilson_low(won: pd.Series, n: pd.Series) -> pd.Series:
    p = won / n
    centre = p + Z**2 / (2 * n)
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return (centre - half) / (1 + Z**2 / n)


def _rates(closed: pd.DataFrame, by: str) -> dict[str, float]:
    """won / (won + lost) per group, ranked by the lower end of the 95 % Wilson interval."""
    g = closed.groupby(by)["stage"].agg(won=lambda s: int((s == "won").sum()), deals="size").reset_index()
    g["rate"] = g["won"] / g["deals"]
    g["low"] = _wilson_low(g["won"], g["deals"])
    g = g.sort_values(["low", "rate", "deals", by], ascending=[False, False, False, True])
    return dict(zip(g[by], g["rate"]))


def expected_crm(deals: pd.DataFrame) -> dict:
    """The report's `crm` object for these deals, unfiltered (docs/report.md)."""
    closed = deals[deals["stage"].isin(["won", "lost"])]
    won = deals[deals["stage"] == "won"]
    by_month = won.groupby(won["closed"].dt.strftime("%Y-%m"))["amount"].sum().sort_index()
    accounts = won[won["account"] != ""].groupby("account")["amount"].sum().reset_index()
    accounts = accounts[accounts["amount"] > 0].sort_values(["amount", "account"], ascending=[False, True])
    n_won, n_lost = len(won), int((deals["stage"] == "lost").sum())
    return {
        "deals": len(deals),
        "won": n_won,
        "lost": n_lost,
        "open": int((deals["stage"] == "open").sum()),
        "win_rate": n_won / (n_won + n_lost),
        "win_rate_by_owner": _rates(closed, "person"),
        "win_rate_by_team": _rates(closed, "team"),
        "cycle_days_median": float((won["closed"] - won["created"]).dt.days.median()),
        "won_amount": float(won["amount"].sum()),
        "won_amount_by_month": [{"month": m, "amount": float(a)} for m, a in by_month.items()],
        "top_accounts": accounts["account"].head(20).tolist(),
    }


def assert_crm(actual: dict, expected: dict) -> None:
    assert list(actual) == list(expected)
    for key in ("deals", "won", "lost", "open", "won_amount", "won_amount_by_month", "top_accounts"):
        assert actual[key] == expected[key], key
    assert actual["win_rate"] == pytest.approx(expected["win_rate"], rel=1e-12)
    assert actual["cycle_days_median"] == expected["cycle_days_median"]
    for key in ("win_rate_by_owner", "win_rate_by_team"):
        assert list(actual[key]) == list(expected[key]), key  # same ranking
        assert actual[key] == pytest.approx(expected[key], rel=1e-12), key


# --- the build ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crm_only") / "crossview.duckdb"
    summary = build(crm=CRM, bo=None, db=path, mapping=MAPPING, teams=TEAMS, accounts=ACCOUNTS)
    assert summary["crm_only"]
    return path


@pytest.fixture
def con(db: Path):
    with connect(db) as c:
        yield c


def test_fixture_is_small_and_as_described(raw, expected_deals):
    assert sum(p.stat().st_size for p in FIXTURE.iterdir() if p.suffix in (".csv", ".json")) < 100_000
    assert len(raw) == 320 and len(expected_deals) == 320
    open_ = raw[raw["deal_stage"].isin(["Engaging", "Prospecting"])]
    assert (open_["close_date"] == "").all() and (open_["close_value"] == "").all()
    assert {"Permanant Placement", "Executive Serach", "Interim Stafing", "Assesment Centre"} <= set(raw["product"])
    # No value rule changes a kept deal, so plain pandas on the file gives the expected numbers:
    # won amounts between 1 000 € and 20 × their median, no close date before its engage date.
    won = expected_deals[expected_deals["stage"] == "won"]
    assert won["amount"].between(1000, 20 * won["amount"].median()).all()
    assert (expected_deals["closed"].dropna() >= expected_deals.loc[expected_deals["closed"].notna(), "created"]).all()
    sectors = set(pd.read_csv(ACCOUNTS, dtype=str)["sector"])
    assert {"Technolgy", "technology", "Technology ", "Helthcare", "Finanace", "Retial"} <= sectors


def test_headers_are_not_recognised_without_the_mapping(tmp_path):
    with pytest.raises(InputFileError, match="lacks required column"):
        build(crm=CRM, bo=None, db=tmp_path / "w.duckdb", teams=TEAMS, accounts=ACCOUNTS)
    assert not (tmp_path / "w.duckdb").exists()


def test_cli_build_and_json_report(tmp_path, expected_deals):
    db_file = tmp_path / "cli.duckdb"
    run = subprocess.run([sys.executable, "-m", "core", "build", "--crm", str(CRM), "--db", str(db_file),
                          "--mapping", str(MAPPING), "--teams", str(TEAMS), "--accounts", str(ACCOUNTS), "--quiet"],
                         cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "opportunities.csv" in run.stdout
    run = subprocess.run([sys.executable, "-m", "core", "report", "--db", str(db_file), "--json"],
                         cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert list(report) == list(REPORT_KEYS)
    assert_crm(report["crm"], expected_crm(expected_deals))


def test_report_crm_numbers(con, db, expected_deals):
    expected = expected_crm(expected_deals)
    assert_crm(build_report(con, Filters(), db_path=db)["crm"], expected)
    # The figures these numbers come from, stated once so a change in the fixture is noticed.
    assert (expected["deals"], expected["won"], expected["lost"], expected["open"]) == (320, 137, 110, 73)
    assert expected["won_amount"] == 2_295_800.0 and expected["cycle_days_median"] == 68.0
    assert expected["top_accounts"][:3] == ["Kestrel Software", NOT_AN_ACCOUNT, "Corvana Health"]
    assert list(expected["win_rate_by_team"]) == [NO_TEAM, "Paris", "Lyon", "Lille"]


def test_report_crm_numbers_with_period_and_team(con, expected_deals):
    """Deals created in the period count in `deals`/`open`; won and lost are dated by their close date."""
    first, last = date(2026, 1, 1), date(2026, 6, 30)
    f = Filters(date_from=first, date_to=last, teams=("Lyon",))
    d = expected_deals[expected_deals["team"] == "Lyon"]
    created = d[d["created"].between(pd.Timestamp(first), pd.Timestamp(last))]
    closed = d[d["closed"].between(pd.Timestamp(first), pd.Timestamp(last))]
    crm = build_report(con, f)["crm"]
    won = closed[closed["stage"] == "won"]
    assert crm["deals"] == len(created)
    assert crm["open"] == int((created["stage"] == "open").sum())
    assert (crm["won"], crm["lost"]) == (len(won), int((closed["stage"] == "lost").sum()))
    assert crm["won_amount"] == float(won["amount"].sum())
    assert crm["win_rate_by_owner"] == pytest.approx(_rates(closed, "person"), rel=1e-12)
    assert set(crm["win_rate_by_owner"]) == {"Marc Lefebvre", "Hugo Moreau", "Léa Rousseau"}
    assert list(crm["win_rate_by_team"]) == ["Lyon"]


def _is_empty(value) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return value is None or value == []


def test_bo_keys_present_and_empty(con, db, raw):
    report = build_report(con, Filters(), db_path=db)
    assert list(report) == list(REPORT_KEYS)
    for key in REPORT_KEYS:
        if key not in ("data_quality", "links", "crm"):
            assert _is_empty(report[key]), key
    assert report["segments"] == {"top": [], "large": [], "medium": []}
    quality = report["data_quality"]
    rules = quality["opportunities.csv"].pop("rules")
    assert quality == {
        "accounts.csv": {"rows_in": 24, "clean": 24, "quarantined": 0, "duplicates": 0, "rules": [],
                         "unknown_stages": []},
        "opportunities.csv": {"rows_in": len(raw), "clean": len(raw), "quarantined": 0, "duplicates": 0,
                              "unknown_stages": []},
        "teams.csv": {"rows_in": 8, "clean": 8, "quarantined": 0, "duplicates": 0, "rules": [],
                      "unknown_stages": []},
    }
    # The one rule that touched rows flags the prospects without creation date: totals unchanged.
    assert [(r["rule"], r["rows"], r["deals_before"], r["deals_after"]) for r in rules] == [
        ("missing.created_at", 3, len(raw), len(raw))]
    assert int((raw["engage_date"] == "").sum()) == 3


def test_blanks_of_open_deals_are_not_issues(con, expected_deals):
    """Open deals without close date, amount or company raise nothing; what is logged is only the
    prospects without creation date (flagged, kept), the stage labels not spelt as canonical and the owner spellings resolved."""
    rules = {(r, c): n for r, c, n in con.execute(
        'SELECT rule, "column", COUNT(*) FROM data_issues GROUP BY ALL').fetchall()}
    assert rules == {
        ("missing.created_at", "created_at"): 3,
        ("inconsistent.stage_label", "stage"): int((~expected_deals["stage_raw"].isin(["open", "won", "lost"])).sum()),
        ("inconsistent.owner_name", "owner"): int((expected_deals["owner_raw"] != expected_deals["person"]).sum()),
    }
    open_ = con.execute("SELECT COUNT(*), COUNT(amount), COUNT(closed_at), COUNT(company) FROM deals "
                        "WHERE stage = 'open'").fetchone()
    assert open_[0] == 73 and open_[1:3] == (0, 0) and open_[3] < open_[0]


def test_owner_spellings_grouped_into_people(con, raw):
    links = con.execute("SELECT crm_owner, o.staff_id, status, s.name, s.team FROM owner_links o "
                        "JOIN staff s USING (staff_id) ORDER BY crm_owner").df()
    assert set(links["crm_owner"]) == set(raw["sales_agent"])
    assert (links["status"] == "auto").all()
    assert (links["name"] == links["crm_owner"].replace(OWNER_SPELLINGS)).all()
    staff = con.execute("SELECT staff_id, name, team FROM staff ORDER BY staff_id").fetchall()
    teams = pd.read_csv(TEAMS, dtype=str)
    assert staff == sorted([("crm:" + _slug(n), n, t)
                            for n, t in zip(teams["sales_agent"], teams["regional_office"])]
                           + [("crm:victor-hamon", FORMER_SALES, NO_TEAM)])
    managers = con.execute("SELECT team, manager FROM teams WHERE team <> ? ORDER BY team", [NO_TEAM]).fetchall()
    assert managers == [("Lille", "Agnès Blanc"), ("Lyon", "Olivier Petit"), ("Paris", "Irène Caron")]
    unresolved = con.execute("SELECT COUNT(*) FROM deals WHERE owner_id IS NULL").fetchone()[0]
    assert unresolved == 0


def test_accounts_link_the_companies(con, raw, expected_deals):
    links = {c: (i, s) for c, i, s in con.execute(
        "SELECT crm_company, client_id, status FROM client_links").fetchall()}
    assert set(links) == set(raw["account"]) - {""}
    for spelling, account in ACCOUNT_SPELLINGS.items():
        assert links[spelling] == ("acc:" + _slug(account), "auto"), spelling
    for account in pd.read_csv(ACCOUNTS, dtype=str)["account"]:
        if account in links:
            assert links[account] == ("acc:" + _slug(account), "auto"), account
    assert links[NOT_AN_ACCOUNT] == (None, "none")
    report = build_report(con, Filters())
    assert report["links"] == {"auto": len(links) - 1, "review": 0, "none": 1, "override": 0,
                               "deal_coverage": pytest.approx(expected_deals["linked"].mean(), rel=1e-12)}
    accounts = pd.read_csv(ACCOUNTS, dtype={"employees": int}, keep_default_na=False)
    clients = con.execute("SELECT client_id, name, employees, city FROM clients ORDER BY client_id").fetchall()
    assert clients == sorted(zip("acc:" + accounts["account"].map(_slug), accounts["account"],
                                 accounts["employees"], accounts["office_location"]))


# --- the demo export through the HubSpot path and through a mapped layout -------------------------------

# HubSpot header -> (canonical field, the header of an equivalent generic export).
HUBSPOT_AS_GENERIC = {
    "Record ID": ("deal_id", "ref"), "Deal Name": ("deal_name", "title"),
    "Associated Company": ("company", "organisation"), "Amount": ("amount", "value_eur"),
    "Deal Stage": ("stage", "status_label"), "Deal owner": ("owner", "rep"),
    "Create Date": ("created_at", "opened_on"), "Close Date": ("closed_at", "closed_on"),
    "Deal Type": ("deal_type", "business_kind"), "Closed Lost Reason": ("lost_reason", "why_lost"),
    "Pipeline": ("pipeline", "funnel"), "Deal probability": ("probability", "likelihood"),
    "Last Modified Date": ("updated_at", "touched_on"),
}


@pytest.mark.demo
def test_demo_crm_same_through_hubspot_and_mapped_layout(tmp_path, demo_dir):
    hubspot = demo_dir / "crm" / "hubspot_deals.csv"
    data = hubspot.read_bytes()
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    end = data.index(b"\n")
    header = data[len(bom):end].decode("utf-8").rstrip("\r")
    assert header.split(",") == list(HUBSPOT_AS_GENERIC)
    # Same bytes but the header row: every cell, encoding and line ending as exported.
    generic = tmp_path / "deals_export.csv"
    new_header = ",".join(g for _, g in HUBSPOT_AS_GENERIC.values()) + ("\r" if data[end - 1:end] == b"\r" else "")
    generic.write_bytes(bom + new_header.encode("utf-8") + data[end:])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"crm": dict(HUBSPOT_AS_GENERIC.values())}), encoding="utf-8")

    with pytest.raises(InputFileError, match="lacks required column"):
        build(crm=generic, bo=None, db=tmp_path / "refused.duckdb")
    build(crm=hubspot, bo=None, db=tmp_path / "hubspot.duckdb")
    build(crm=generic, bo=None, db=tmp_path / "mapped.duckdb", mapping=mapping)

    reports, deals, accounts = [], [], []
    for name in ("hubspot", "mapped"):
        with connect(tmp_path / f"{name}.duckdb") as c:
            reports.append([build_report(c, f)["crm"] for f in (
                Filters(), Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)))])
            deals.append(c.execute("SELECT * FROM deals ORDER BY deal_id").df())
            accounts.append(c.execute("SELECT rows_in, rows_clean, rows_quarantined, rows_merged "
                                      "FROM row_accounts WHERE source = 'crm'").fetchall())
    assert reports[0] == reports[1]
    assert reports[0][0]["deals"] > 3000 and reports[0][0]["won"] > 0 and reports[0][0]["top_accounts"]
    pd.testing.assert_frame_equal(deals[0], deals[1])
    assert accounts[0] == accounts[1]


def test_reconcile_refuses_a_crm_only_warehouse(db, capsys):
    from core.__main__ import main

    assert main(["reconcile", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "no back-office export" in err and "--bo" in err
