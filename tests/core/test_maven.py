"""The public Maven Analytics CRM + Sales Opportunities data (a sample, tests/fixtures/maven/README.md),
built through the mapping of docs/inputs.md: the report gives what plain pandas gives on the raw files.

No cleaning rule may change a value of this file: its small amounts (MG Special at 55) are real, its
dearest product (GTK 500 at ~27 000) is not an outlier, its won deals for the same account and product
a few days apart are distinct deals, and its prospects have no engage date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.__main__ import main
from core.filters import Filters
from core.report import build_report
from core.warehouse import build, connect

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "maven"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    deals = pd.read_csv(HERE / "sales_pipeline.csv", dtype={"close_value": float})
    teams = pd.read_csv(HERE / "sales_teams.csv")
    return deals.merge(teams, on="sales_agent", how="left", validate="many_to_one")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("maven") / "w.duckdb"
    build(crm=HERE / "sales_pipeline.csv", bo=None, db=out, mapping=HERE / "mapping.json",
          teams=HERE / "sales_teams.csv", accounts=HERE / "accounts.csv")
    return out


@pytest.fixture(scope="module")
def report(db: Path) -> dict:
    with connect(db) as con:
        return build_report(con, Filters(), db_path=db)


def test_sample_is_what_the_readme_says(raw):
    assert sum(p.stat().st_size for p in HERE.glob("*.csv")) < 400_000
    assert len(raw) == 4253
    # Every account of the sample comes with all its rows (no account half-sampled): the accounts
    # kept are every other one in name order.
    accounts = sorted(pd.read_csv(HERE / "accounts.csv")["account"])
    assert sorted(raw["account"].dropna().unique()) == accounts[::2]


def test_headline_figures_equal_pandas_on_the_raw_file(raw, report):
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])]
    won = raw[raw["deal_stage"] == "Won"]
    crm = report["crm"]
    assert (crm["won"], crm["lost"]) == (len(won), int((raw["deal_stage"] == "Lost").sum()))
    assert crm["win_rate"] == pytest.approx(len(won) / len(closed), rel=1e-12)
    assert crm["won_amount"] == won["close_value"].sum()
    cycle = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["engage_date"])).dt.days
    assert crm["cycle_days_median"] == float(cycle.median())
    # The numbers these come from, stated once so that a change of the sample is noticed.
    assert (len(won), len(closed), won["close_value"].sum()) == (2273, 3575, 5366832.0)


def test_win_rate_by_regional_office_equals_pandas(raw, report):
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])]
    expected = (closed["deal_stage"] == "Won").groupby(closed["regional_office"]).mean()
    assert report["crm"]["win_rate_by_team"] == pytest.approx(expected.to_dict(), rel=1e-12)
    assert set(expected.index) == {"Central", "East", "West"}


def test_top_5_accounts_by_won_amount_equal_pandas(raw, report):
    won = raw[raw["deal_stage"] == "Won"]
    totals = won.groupby("account")["close_value"].sum().reset_index()
    top = totals.sort_values(["close_value", "account"], ascending=[False, True])["account"].head(5).tolist()
    assert report["crm"]["top_accounts"][:5] == top


def test_no_rule_changed_a_value(db, raw, report):
    """Flags and merges of open copies only: no amount, stage or date of a closed deal was changed."""
    with connect(db) as con:
        changed = con.execute("SELECT rule, action, COUNT(*) FROM data_issues WHERE action <> 'flagged' "
                              "AND rule <> 'inconsistent.stage_label' GROUP BY ALL").fetchall()
        merged = [r[0] for r in con.execute(
            "SELECT record_id FROM data_issues WHERE rule = 'duplicate.reentered_deal'").fetchall()]
        deals = con.execute("SELECT deal_id, amount, created_at, closed_at FROM deals WHERE stage <> 'open'"
                            ).df().set_index("deal_id").sort_index()
    assert changed == [("duplicate.reentered_deal", "merged", len(merged))]
    # The entries merged are open copies (Engaging/Prospecting) beside a deal of the same account,
    # product and agent: no closed deal is lost, so the closed figures are pandas' exactly.
    assert set(raw.set_index("opportunity_id").loc[merged, "deal_stage"]) <= {"Engaging", "Prospecting"}
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])].set_index("opportunity_id").sort_index()
    assert list(deals.index) == list(closed.index)
    assert deals["amount"].tolist() == closed["close_value"].tolist()
    assert (deals["closed_at"].astype(str) == closed["close_date"]).all()
    assert (deals["created_at"].astype(str) == closed["engage_date"]).all()
    assert report["data_quality"]["sales_pipeline.csv"]["quarantined"] == 0


def test_cli_build_and_json_report(tmp_path, capsys, raw):
    db = tmp_path / "m.duckdb"
    assert main(["build", "--crm", str(HERE / "sales_pipeline.csv"), "--db", str(db), "--mapping",
                 str(HERE / "mapping.json"), "--teams", str(HERE / "sales_teams.csv"), "--accounts",
                 str(HERE / "accounts.csv"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Effect of each CRM rule" in out and "note:" not in out
    assert main(["report", "--db", str(db), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    won = raw[raw["deal_stage"] == "Won"]
    assert rep["crm"]["won_amount"] == won["close_value"].sum()
    rules = rep["data_quality"]["sales_pipeline.csv"]["rules"]
    assert all(r["won_amount_before"] == r["won_amount_after"] for r in rules)
