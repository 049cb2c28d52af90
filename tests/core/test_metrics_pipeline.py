from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics import pipeline
from tests.core.fixtures_analytics_b import DEALS, HOSTILE, LINKS, STAFF
from tests.helpers import warehouse

ALL = Filters()


@pytest.fixture
def con():
    return warehouse(
        {
            "staff": STAFF,
            "deals": DEALS,
            "client_links": LINKS,
            "clients": [{"client_id": "A", "name": "Acme Corp"}, {"client_id": "B", "name": "Beta"}],
        }
    )


def test_pipeline_now(con):
    df = pipeline.pipeline_now(con, ALL)
    assert list(df.columns) == [
        "stage_detail",
        "deals",
        "amount",
        "weighted_amount",
        "deals_with_probability",
    ]
    assert df["stage_detail"].tolist() == ["qualification", "mer", "(unknown)"]
    assert df["deals"].tolist() == [1, 1, 1]
    assert df["amount"].tolist() == [3000.0, 12000.0, 0.0]
    assert df["weighted_amount"][:2].tolist() == pytest.approx([600.0, 6000.0]) and pd.isna(
        df["weighted_amount"][2]
    )
    assert pipeline.pipeline_now(con, Filters(teams=("North",)))["stage_detail"].tolist() == ["mer"]


def test_stale_deals(con):
    df = pipeline.stale_deals(con, ALL)
    assert df["deal_id"].tolist() == ["D6", "D8"]  # as-of = 2024-06-01, the last deal created
    assert df["days_overdue"][0] == 17 and pd.isna(df["days_overdue"][1])
    assert df["days_since_update"].tolist() == [12, 107]
    assert df["reason"].tolist() == ["past expected close date", "no change for over 60 days"]
    assert df["owner"].tolist() == ["Ana Roy", "Bob Li"]
    assert pipeline.stale_deals(con, ALL, days=200)["deal_id"].tolist() == ["D6"]


def test_win_rate_by_owner_team_month(con):
    owner = pipeline.win_rate(con, ALL, by="owner")
    assert list(owner.columns) == ["owner", "deals", "won", "lost", "win_rate", "ci_low", "ci_high"]
    assert owner[["owner", "won", "lost"]].values.tolist() == [["Ana Roy", 2, 0], ["Bob Li", 1, 2]]
    assert owner["win_rate"].tolist() == pytest.approx([1.0, 1 / 3])
    assert owner["ci_low"][0] == pytest.approx(0.3424, abs=1e-4) and owner["ci_high"][0] == 1.0
    team = pipeline.win_rate(con, ALL, by="team")
    assert team[["team", "win_rate"]].values.tolist() == [["North", 1.0], ["South", pytest.approx(1 / 3)]]
    month = pipeline.win_rate(con, ALL, by="month")
    assert [pd.Timestamp(m).strftime("%Y-%m") for m in month["month"]] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert month["win_rate"].tolist() == [1.0, 0.0, 0.5, 1.0]
    kind = pipeline.win_rate(con, ALL, by="deal_type")
    assert kind[["deal_type", "deals", "win_rate"]].values.tolist() == [["existing", 1, 1.0], ["new", 4, 0.5]]
    with pytest.raises(ValueError):
        pipeline.win_rate(con, ALL, by="owner_id; DROP TABLE deals")


def test_win_rate_by_family_normalises_names(con):
    fam = pipeline.win_rate(con, ALL, by="family")
    assert fam[["family", "deals", "won"]].values.tolist() == [
        ["java developer", 2, 2],
        ["data analyst", 1, 1],
        ["sales manager", 2, 0],
    ]


def test_win_rate_period_is_close_date(con):
    df = pipeline.win_rate(con, Filters(date_from=date(2024, 3, 1), date_to=date(2024, 3, 31)), by="owner")
    assert df[["owner", "won", "lost"]].values.tolist() == [["Ana Roy", 1, 0], ["Bob Li", 0, 1]]


def test_sales_cycle(con):
    df = pipeline.sales_cycle(con, ALL, by="owner")
    assert list(df.columns) == ["owner", "won_deals", "median_days", "p25_days", "p75_days", "mean_days"]
    assert df[["owner", "won_deals", "median_days", "mean_days"]].values.tolist() == [
        ["Ana Roy", 2, 30.0, 30.0],
        ["Bob Li", 1, 40.0, 40.0],
    ]
    assert pipeline.sales_cycle(con, ALL, by="team")["team"].tolist() == ["North", "South"]


def test_won_amount_by_month_and_seasonality(con):
    df = pipeline.won_amount_by_month(con, ALL)
    assert list(df.columns) == ["month", "won_deals", "amount", "avg_deal_size"]
    assert [pd.Timestamp(m).strftime("%Y-%m") for m in df["month"]] == ["2024-01", "2024-03", "2024-04"]
    assert df["amount"].tolist() == [10000.0, 20000.0, 7000.0]
    season = pipeline.won_seasonality(con, ALL)
    assert list(season.columns) == [
        "month_of_year",
        "month_name",
        "mean_amount",
        "index",
        "is_peak",
        "is_trough",
    ]
    assert season["month_of_year"].tolist() == [1, 2, 3, 4]
    assert season["mean_amount"].tolist() == [10000.0, 0.0, 20000.0, 7000.0]
    assert season["index"].tolist() == pytest.approx([10000 / 9250, 0.0, 20000 / 9250, 7000 / 9250])
    assert season.loc[season["is_peak"], "month_name"].tolist() == ["March"]
    assert season.loc[season["is_trough"], "month_of_year"].tolist() == [2]


def test_top_accounts(con):
    df = pipeline.top_accounts(con, ALL)
    assert list(df.columns) == [
        "rank",
        "account",
        "client_id",
        "won_deals",
        "won_amount",
        "cumulative_share",
        "segment",
    ]
    assert df["account"].tolist() == ["Beta", "Acme Corp", "Gamma"]
    assert df["client_id"].tolist()[:2] == ["B", "A"] and pd.isna(df["client_id"][2])
    assert df["won_amount"].tolist() == [20000.0, 10000.0, 7000.0]
    assert df["cumulative_share"].tolist() == pytest.approx([20 / 37, 30 / 37, 1.0])
    assert df["segment"].tolist() == ["top", "other", "other"]


def test_lost_reasons(con):
    df = pipeline.lost_reasons(con, ALL)
    assert df.to_dict("records") == [
        {"lost_reason": "Price", "deals": 1, "share": 0.5, "amount": 5000.0},
        {"lost_reason": "(not given)", "deals": 1, "share": 0.5, "amount": 8000.0},
    ]
    assert pipeline.lost_reasons(con, Filters(date_from=date(2024, 3, 1))).empty


def test_crm_headline_with_previous_period(con):
    all_time = pipeline.crm_headline(con, ALL).set_index("measure")
    assert all_time["value"].to_dict() == pytest.approx(
        {
            "deals": 8,
            "won": 3,
            "lost": 2,
            "open": 3,
            "win_rate": 0.6,
            "won_amount": 37000.0,
            "avg_deal_size": 37000 / 3,
            "cycle_days_median": 30.0,
            "open_amount": 15000.0,
        }
    )
    assert all_time["previous"].isna().all()
    df = pipeline.crm_headline(con, Filters(date_from=date(2024, 3, 1), date_to=date(2024, 4, 30)))
    assert list(df.columns) == ["measure", "label", "value", "previous", "change", "unit", "note"]
    got = df.set_index("measure")
    assert got["value"].to_dict() == pytest.approx(
        {
            "deals": 2,
            "won": 2,
            "lost": 1,
            "open": 0,
            "win_rate": 2 / 3,
            "won_amount": 27000.0,
            "avg_deal_size": 13500.0,
            "cycle_days_median": 35.0,
            "open_amount": 3000.0,  # open on 30 April: D8 (created 1 February, still open)
        }
    )
    # Previous period: 2023-12-31 .. 2024-02-29.
    assert pd.isna(got.loc["open", "previous"])  # not compared: deals created earlier had longer to close
    assert got["previous"].drop("open").to_dict() == pytest.approx(
        {
            "deals": 4,
            "won": 1,
            "lost": 1,
            "win_rate": 0.5,
            "won_amount": 10000.0,
            "avg_deal_size": 10000.0,
            "cycle_days_median": 30.0,
            "open_amount": 23000.0,  # open on 29 February: D2 (closed 2 March) and D8
        }
    )
    assert got.loc["deals", "change"] == pytest.approx(-0.5)
    assert got.loc["won_amount", "unit"] == "eur"


FUNCTIONS = [
    pipeline.pipeline_now,
    pipeline.stale_deals,
    pipeline.win_rate,
    pipeline.sales_cycle,
    pipeline.won_amount_by_month,
    pipeline.won_seasonality,
    pipeline.top_accounts,
    pipeline.lost_reasons,
    pipeline.crm_headline,
]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.__name__)
def test_empty_and_hostile(fn, con):
    expected = list(fn(con, ALL).columns)
    assert list(fn(warehouse({}), ALL).columns) == expected
    for text in HOSTILE:
        fn(con, Filters(teams=(text,), sales=(text,), job_types=(text,)))
    assert con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 8
    assert (
        pipeline.crm_headline(con, Filters(sales=("' OR 1=1 --",))).set_index("measure").loc["deals", "value"]
        == 0
    )


@pytest.mark.parametrize("by", pipeline.BREAKDOWNS)
def test_every_breakdown_on_empty_warehouse(by):
    assert pipeline.win_rate(warehouse({}), ALL, by=by).empty
    assert pipeline.sales_cycle(warehouse({}), ALL, by=by).empty


def test_family_handles_the_usual_deal_name_layouts():
    names = [
        ("E1", "Recrutement Senior Data Scientist", "Zeta"),
        ("E2", "Data Scientist - Zeta Group (Paris)", "Zeta Group (Paris)"),
        ("E3", "Zeta / Junior Data Scientist #4 (Lyon)", "Zeta"),
        ("E4", "Zeta", "Zeta"),
        ("E5", "Account Executive H/F", "Omega"),
    ]
    con = warehouse(
        {
            "deals": [
                {
                    "deal_id": i,
                    "deal_name": n,
                    "company": c,
                    "stage": "won",
                    "created_at": date(2024, 1, 1),
                    "closed_at": date(2024, 2, 1),
                }
                for i, n, c in names
            ]
        }
    )
    fam = pipeline.win_rate(con, ALL, by="family")
    assert dict(zip(fam["family"], fam["deals"])) == {
        "data scientist": 3,
        "account executive": 1,
        "(unnamed)": 1,
    }


@pytest.mark.demo
def test_demo_open_pipeline_is_compared_with_the_pipeline_as_it_stood(demo_con):
    """'Open pipeline €1,164,600 ↑ +1901 %' set today's open deals against last year's deals still open today.
    The pipeline at the end of each period is rebuilt here from the deals' creation and close dates."""
    from datetime import date

    end, before = date(2026, 10, 31), date(2025, 10, 31)
    f = Filters(date_from=date(2025, 11, 1), date_to=end)
    got = pipeline.crm_headline(demo_con, f).set_index("measure")
    deals = demo_con.execute("SELECT stage, amount, created_at, closed_at FROM deals").df()
    created, closed = pd.to_datetime(deals["created_at"]), pd.to_datetime(deals["closed_at"])

    def open_on(day):
        day = pd.Timestamp(day)
        still_open = ((deals["stage"] == "open") & closed.isna()) | (closed > day)
        return float(deals.loc[(created <= day) & still_open, "amount"].sum())

    assert got.loc["open_amount", "value"] == pytest.approx(open_on(end))
    assert got.loc["open_amount", "previous"] == pytest.approx(open_on(before))
    assert got.loc["open_amount", "change"] == pytest.approx(open_on(end) / open_on(before) - 1)
    assert pd.isna(got.loc["open", "change"]) and "not compared" in got.loc["open", "note"]


def test_crm_headline_of_a_period_running_past_the_data_is_not_compared(con):
    got = pipeline.crm_headline(con, Filters(date_from=date(2024, 5, 1), date_to=date(2024, 12, 31)))
    assert got["previous"].isna().all() and got["change"].isna().all()
    assert got["note"].str.contains("runs past the data's last date").all()
