import json
from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics.churn import churn_by_year
from core.metrics.clients import client_economics
from core.metrics.seasonality import monthly_activity, seasonal_index
from core.report import REPORT_KEYS, build_report, default_objective, format_report
from tests.core.fixtures_analytics_b import HOSTILE, agency_with_crm
from tests.helpers import warehouse

ISSUE_KEYS = {
    "seasonality",
    "revenue_by_month",
    "clients",
    "segments",
    "time_wasters",
    "churn_rate_by_year",
    "clv",
    "funnel",
    "pitch_to_mer_by_sales",
    "pitch_to_mer_by_team",
    "closing_days_median",
    "fill_rate",
    "jobs_needed_per_month",
    "data_quality",
    "links",
    "crm",
    "forecast",
    "model",
}


@pytest.fixture
def con():
    return agency_with_crm()


@pytest.fixture
def report(con):
    return build_report(con, Filters(), objective_eur=52000.0)


def test_report_has_exactly_the_public_keys(report):
    assert set(REPORT_KEYS) == ISSUE_KEYS
    assert list(report) == list(REPORT_KEYS)
    json.dumps(report, allow_nan=False)  # plain JSON: no NaN, no numpy or pandas types


def test_report_funnel_numbers(report):
    assert report["funnel"] == {
        "pitch_to_mer": 5 / 8,
        "mer_to_offer": 2 / 5,
        "offer_to_placement": 1.0,
        "mer_to_placement_by_year": {"2022": 1 / 3, "2023": 0.5},
    }
    assert report["pitch_to_mer_by_sales"] == {"Bob Li": 1.0, "Ana Roy": 0.6}
    assert report["pitch_to_mer_by_team"] == {"South": 1.0, "North": 0.6}
    assert report["closing_days_median"] == 49.5
    assert report["fill_rate"] == {"new": 1.0, "repeat": 0.0}
    assert report["jobs_needed_per_month"] == pytest.approx({"objective_eur": 52000.0, "jobs": 10.0})


def test_report_client_sections_are_the_metric_functions(con, report):
    eco = client_economics(con, Filters())
    assert [c["client_id"] for c in report["clients"]] == eco["client_id"].tolist() == ["A", "B"]
    assert report["clients"][1] == {
        "client_id": "B",
        "name": "Beta",
        "turnover": 8000.0,
        "net_profit": -30.0,
        "placements": 1,
        "jobs": 3,
        "avg_basket": 8000.0,
        "segment": "other",
    }
    assert report["segments"] == {"top": ["A"], "large": [], "medium": []}
    index = seasonal_index(con, Filters(), "jobs_opened")
    assert report["seasonality"]["index_by_month"] == pytest.approx(
        dict(zip(index["month_of_year"], index["index"]))
    )
    assert all(isinstance(m, int) for m in report["seasonality"]["index_by_month"])
    monthly = monthly_activity(con, Filters())
    assert report["revenue_by_month"] == [
        {"month": pd.Timestamp(m).strftime("%Y-%m"), "revenue": float(r)}
        for m, r in zip(monthly["month"], monthly["revenue"])
    ]
    churn = churn_by_year(con, Filters())
    assert report["churn_rate_by_year"] == pytest.approx(
        {str(y): r for y, r in zip(churn["year"], churn["churn_rate"])}, nan_ok=True
    )
    assert set(report["clv"]) == {"loyal", "broken"}
    assert all(c in {"A", "B"} for c in report["time_wasters"])


def test_report_quality_links_and_crm(report):
    assert report["data_quality"] == {
        "deals.csv": {"rows_in": 10, "clean": 8, "quarantined": 1, "duplicates": 1, "rules": [],
                      "unknown_stages": []},
        "jobs.csv": {"rows_in": 5, "clean": 5, "quarantined": 0, "duplicates": 0, "rules": [],
                     "unknown_stages": []},
    }
    links = report["links"]
    assert (links["auto"], links["review"], links["none"]) == (2, 0, 1)
    assert links["deal_coverage"] == pytest.approx(0.5)  # D1, D2, D3, D6 of 8 deals
    assert report["crm"] == {
        "deals": 8,
        "won": 3,
        "lost": 2,
        "open": 3,
        "win_rate": 0.6,
        "win_rate_by_owner": {"Ana Roy": 1.0, "Bob Li": 1 / 3},
        "win_rate_by_team": {"North": 1.0, "South": 1 / 3},
        "cycle_days_median": 30.0,
        "won_amount": 37000.0,
        "won_amount_by_month": [
            {"month": "2024-01", "amount": 10000.0},
            {"month": "2024-03", "amount": 20000.0},
            {"month": "2024-04", "amount": 7000.0},
        ],
        "top_accounts": ["Beta", "Acme", "Gamma"],
    }


def test_report_filtered(con):
    rep = build_report(
        con, Filters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31)), objective_eur=8000.0
    )
    assert rep["funnel"]["mer_to_placement_by_year"] == {"2023": 0.5}
    assert rep["pitch_to_mer_by_sales"] == {"Bob Li": 1.0}
    assert rep["fill_rate"] == {"new": 1.0, "repeat": 0.0}
    assert rep["crm"]["deals"] == 0 and rep["crm"]["top_accounts"] == []
    # Data quality and links describe the whole warehouse.
    assert rep["data_quality"]["deals.csv"]["rows_in"] == 10


def test_report_default_objective_keeps_the_pace():
    monthly = pd.DataFrame(
        {"month": pd.to_datetime(["2024-01-01", "2024-04-01"]), "revenue": [10000.0, 30400.0]}
    )
    assert default_objective(monthly) == 10000.0  # 40 400 € over 4 months, to the nearest 1 000 €
    assert default_objective(monthly.iloc[0:0]) is None


def test_report_without_bo_keeps_every_key_empty():
    con = warehouse(
        {
            "deals": [
                {
                    "deal_id": "D1",
                    "stage": "won",
                    "amount": 5000.0,
                    "company": "Acme",
                    "owner_raw": "Ann",
                    "created_at": date(2024, 1, 1),
                    "closed_at": date(2024, 1, 11),
                }
            ]
        }
    )
    rep = build_report(con, Filters())
    assert list(rep) == list(REPORT_KEYS)
    assert rep["clients"] == [] and rep["revenue_by_month"] == [] and rep["time_wasters"] == []
    assert rep["segments"] == {"top": [], "large": [], "medium": []}
    assert rep["seasonality"]["peak_month"] is None and rep["funnel"]["mer_to_placement_by_year"] == {}
    assert rep["fill_rate"] == {"new": None, "repeat": None} and rep["closing_days_median"] is None
    assert rep["crm"]["won"] == 1 and rep["crm"]["win_rate_by_owner"] == {"Ann": 1.0}
    assert rep["crm"]["top_accounts"] == ["Acme"]
    assert rep["forecast"] == [] and rep["model"] is None
    json.dumps(rep, allow_nan=False)


def test_report_on_empty_warehouse():
    rep = build_report(warehouse({}), Filters())
    assert list(rep) == list(REPORT_KEYS)
    assert rep["crm"]["deals"] == 0 and rep["crm"]["win_rate"] is None and rep["data_quality"] == {}
    assert "Crossview report" in format_report(rep)


def test_no_trained_model_gives_no_forecast(con, tmp_path):
    rep = build_report(con, Filters(), db_path=tmp_path / "crossview.duckdb")
    assert rep["forecast"] == [] and rep["model"] is None


def test_report_hostile_filters(con):
    for text in HOSTILE:
        rep = build_report(con, Filters(teams=(text,), sales=(text,), job_types=(text,)))
        assert rep["clients"] == [] and rep["pitch_to_mer_by_sales"] == {} and rep["crm"]["deals"] == 0
    assert con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 5


def test_format_report_shows_the_same_numbers(report):
    text = format_report(report)
    assert "pitch→MER 62.5%" in text
    assert "Bob Li 100.0%, Ana Roy 60.0%" in text
    assert "win rate 60.0%" in text and "37 000 €" in text
    assert "Jobs to open per month for 52 000 € a month: 10" in text


@pytest.mark.demo
def test_demo_report_recovers_planted_patterns(demo_con, demo_truth):
    rep = build_report(demo_con, Filters())
    assert list(rep) == list(REPORT_KEYS)
    json.dumps(rep, allow_nan=False)
    years = rep["funnel"]["mer_to_placement_by_year"]
    assert years["2022"] > years["2026"]
    planted = demo_truth["sales_pitch_to_mer"]
    got = pd.Series({n: rep["pitch_to_mer_by_sales"][n] for n in planted})
    assert got.rank().corr(pd.Series(planted).rank()) > 0.9
    assert rep["crm"]["deals"] > 0 and rep["crm"]["win_rate_by_owner"]
    assert rep["seasonality"]["peak_month"] == demo_truth["seasonality"]["peak_month"]
    assert rep["seasonality"]["trough_month"] == demo_truth["seasonality"]["trough_month"]
    wasters = set(demo_truth["time_wasters"])  # the same bar as the time-waster analysis's own test
    assert len(wasters & set(rep["time_wasters"][: max(10, len(wasters) + 2)])) >= 0.75 * len(wasters)
    assert set(demo_truth["dominant_clients"]) <= set(rep["segments"]["top"] + rep["segments"]["large"])
    assert rep["data_quality"] and rep["links"]["deal_coverage"] > 0.5


@pytest.mark.demo
def test_demo_filtered_report_is_consistent(demo_con):
    f = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), teams=("Lyon",))
    rep = build_report(demo_con, f)
    assert set(rep["pitch_to_mer_by_team"]) == {"Lyon"}
    assert set(rep["funnel"]["mer_to_placement_by_year"]) == {"2025"}
    assert all(m["month"].startswith("2025") for m in rep["crm"]["won_amount_by_month"])


def test_trained_model_fills_forecast_and_model(con, tmp_path, monkeypatch):
    import core.model.forecast
    import core.model.store
    import core.model.train

    db = tmp_path / "crossview.duckdb"
    rows = [{"month": "2026-11", "low": 1.0, "mid": 2.0, "high": 3.0}]
    monkeypatch.setattr(core.model.store, "load", lambda path: {"card": {}} if path == db else None)
    monkeypatch.setattr(core.model.forecast, "forecast_report", lambda c, bundle: rows)
    monkeypatch.setattr(core.model.train, "model_report", lambda path: {"trained_at": "2026-11-23"})
    rep = build_report(con, Filters(), db_path=db)
    assert rep["forecast"] == rows and rep["model"] == {"trained_at": "2026-11-23"}
