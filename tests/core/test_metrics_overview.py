from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics.clients import client_economics
from core.metrics.overview import BO_MEASURES, headline
from tests.core.fixtures_analytics_b import HOSTILE, agency
from tests.helpers import warehouse

COLUMNS = ["measure", "label", "value", "previous", "change", "unit"]


@pytest.fixture
def con():
    return agency()


def test_headline_all_time(con):
    df = headline(con, Filters())
    assert list(df.columns) == COLUMNS
    assert df["measure"].tolist() == [m for m, _, _ in BO_MEASURES]
    got = df.set_index("measure")["value"]
    # 18 000 € of fees, 8 000 € refunded (P3's guarantee broke), effort 2 h × 60 € + 1 h × 30 €.
    assert got["turnover"] == 18000.0 and got["net_profit"] == 18000 - 8000 - 150
    assert got["placements"] == 2 and got["jobs_opened"] == 5
    assert got["fill_rate"] == 0.5  # J1, J3 filled of J1, J2, J3, J5 decided
    assert got["mer_to_placement"] == pytest.approx(2 / 5)
    assert got["active_clients"] == 2
    assert df[["previous", "change"]].isna().all().all()
    assert df.set_index("measure")["value"].isna().tolist() == [False] * 7 + [
        True
    ]  # churn needs a closed period


def test_headline_closed_period_against_previous(con):
    df = headline(con, Filters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))).set_index("measure")
    assert df["value"].to_dict() == pytest.approx(
        {
            "turnover": 8000.0,
            "net_profit": -30.0,
            "placements": 1,
            "jobs_opened": 3,
            "fill_rate": 0.5,
            "mer_to_placement": 0.5,
            "active_clients": 1,
            "churned_clients": 1,
        }
    )
    # Previous period 2022-01-01 .. 2022-12-31: client A was active and did not come back.
    assert df["previous"].to_dict() == pytest.approx(
        {
            "turnover": 10000.0,
            "net_profit": 9880.0,
            "placements": 1,
            "jobs_opened": 2,
            "fill_rate": 0.5,
            "mer_to_placement": 1 / 3,
            "active_clients": 1,
            "churned_clients": 0,
        }
    )
    assert df.loc["turnover", "change"] == pytest.approx(-0.2)
    assert df.loc["mer_to_placement", "change"] == pytest.approx(0.5)
    assert pd.isna(df.loc["churned_clients", "change"])  # 1 against 0: no relative change
    assert df.loc["turnover", "unit"] == "eur" and df.loc["fill_rate", "unit"] == "rate"


def test_headline_is_the_client_economics_total(con):
    f = Filters(date_from=date(2022, 1, 1), date_to=date(2023, 6, 30), teams=("South",))
    eco = client_economics(con, f)
    got = headline(con, f).set_index("measure")["value"]
    assert got["turnover"] == eco["turnover"].sum() == 8000.0
    assert got["net_profit"] == pytest.approx(eco["net_profit"].sum())


def test_headline_without_bo_is_the_crm_headline():
    con = warehouse(
        {
            "deals": [
                {
                    "deal_id": "D1",
                    "stage": "won",
                    "amount": 5000.0,
                    "created_at": date(2024, 1, 1),
                    "closed_at": date(2024, 1, 11),
                },
                {"deal_id": "D2", "stage": "open", "created_at": date(2024, 2, 1)},
            ]
        }
    )
    got = headline(con, Filters()).set_index("measure")["value"]
    assert (
        got["deals"] == 2
        and got["won"] == 1
        and got["won_amount"] == 5000.0
        and got["cycle_days_median"] == 10
    )


def test_headline_empty_and_hostile(con):
    empty = headline(warehouse({}), Filters())
    assert list(empty.columns) == COLUMNS
    for text in HOSTILE:
        df = headline(
            con,
            Filters(
                date_from=date(2023, 1, 1),
                date_to=date(2023, 12, 31),
                teams=(text,),
                sales=(text,),
                job_types=(text,),
            ),
        )
        assert df.set_index("measure").loc["jobs_opened", "value"] == 0
    assert con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 5


def test_headline_reads_the_builds_attributed_activities(con):
    before = headline(con, Filters()).set_index("measure").loc["net_profit", "value"]
    # The effort is read from the derived table: 100 € more cost there is 100 € less net profit.
    con.execute("UPDATE activity_effort SET cost = cost + 100 "
                "WHERE rowid = (SELECT min(rowid) FROM activity_effort)")
    net = headline(con, Filters()).set_index("measure").loc["net_profit", "value"]
    assert net == before - 100
