from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics.seasonality import (
    HEATMAP_COLUMNS,
    INDEX_COLUMNS,
    MONTHLY_COLUMNS,
    monthly_activity,
    seasonal_index,
    seasonality_heatmap,
)
from tests.helpers import warehouse

HOSTILE = "x'); DROP TABLE jobs; --"


def _job(i: int, d: date, job_type: str = "Dev", sales: str = "S1") -> dict:
    return {"job_id": f"J{i}", "client_id": "A", "job_type": job_type, "opened_at": d, "sales_id": sales}


@pytest.fixture
def con():
    jobs = [_job(1, date(2023, 1, 5)), _job(2, date(2023, 1, 6)), _job(3, date(2023, 1, 7), "Sales", "S2"),
            _job(4, date(2023, 6, 10)), _job(5, date(2023, 12, 20)), _job(6, date(2023, 12, 21)),
            _job(7, date(2024, 1, 10))] + [_job(10 + i, date(2024, 2, 5)) for i in range(5)]
    return warehouse({
        "staff": [{"staff_id": "S1", "name": "Ana", "role": "sales", "team": "North"},
                  {"staff_id": "S2", "name": "Bob", "role": "sales", "team": "South"}],
        "jobs": jobs,
        "placements": [
            {"placement_id": "P1", "job_id": "J1", "fee_eur": 1000.0, "invoiced_at": date(2023, 2, 1)},
            {"placement_id": "P2", "job_id": "J3", "fee_eur": 500.0, "invoiced_at": date(2023, 2, 15),
             "guarantee_broken": True},
        ],
    })


def test_monthly_activity_fills_quiet_months(con):
    m = monthly_activity(con, Filters())
    assert list(m.columns) == MONTHLY_COLUMNS
    assert len(m) == 14  # Jan 2023 .. Feb 2024
    assert pd.Timestamp(m["month"].iloc[0]) == pd.Timestamp("2023-01-01")
    feb = m[pd.to_datetime(m["month"]) == "2023-02-01"].iloc[0]
    assert (feb.jobs_opened, feb.placements, feb.revenue) == (0, 2, 1500.0)
    assert m["jobs_opened"].sum() == 12 and m["jobs_opened"].iloc[0] == 3


def test_monthly_activity_filters_follow_the_job(con):
    m = monthly_activity(con, Filters(teams=("South",)))
    assert m["jobs_opened"].sum() == 1 and m["revenue"].sum() == 500.0
    m = monthly_activity(con, Filters(date_from=date(2023, 2, 10), date_to=date(2023, 6, 30)))
    assert m["jobs_opened"].sum() == 1 and m["placements"].sum() == 1 and m["revenue"].sum() == 500.0


def test_seasonal_index_uses_complete_years_only(con):
    # as-of 2024-02-05: 2023 is the only complete year; 6 jobs / 12 months = 0.5 per average month.
    s = seasonal_index(con, Filters())
    assert list(s.columns) == INDEX_COLUMNS and len(s) == 12
    jan, jun, dec = (s[s.month_of_year == m].iloc[0] for m in (1, 6, 12))
    assert (jan.mean_value, jan["index"]) == (3.0, 6.0)
    assert jun["index"] == 2.0 and dec["index"] == 4.0
    assert s.loc[s.is_peak, "month_name"].tolist() == ["January"]
    assert s.loc[s.is_trough, "month_of_year"].tolist() == [2]  # first of the zero months


def test_seasonal_index_without_a_complete_year(con):
    # Complete months Jun 2023 .. Jan 2024: Jan 1, Jun 1, Jul-Nov 0, Dec 2 -> mean 0.5.
    s = seasonal_index(con, Filters(date_from=date(2023, 6, 1), date_to=date(2024, 1, 31)))
    assert s["month_of_year"].tolist() == [1, 6, 7, 8, 9, 10, 11, 12]
    assert s.set_index("month_of_year")["index"].to_dict()[12] == 4.0
    assert s.loc[s.is_peak, "month_of_year"].tolist() == [12]
    assert s.loc[s.is_trough, "month_of_year"].tolist() == [7]


def test_seasonal_index_revenue(con):
    s = seasonal_index(con, Filters(), measure="revenue")
    assert s.loc[s.month_of_year == 2, "index"].iloc[0] == pytest.approx(12.0)
    with pytest.raises(ValueError):
        seasonal_index(con, Filters(), measure="revenue; DROP TABLE jobs")


def test_heatmap(con):
    h = seasonality_heatmap(con, Filters())
    assert list(h.columns) == HEATMAP_COLUMNS
    assert h[(h.year == 2024) & (h.month_of_year == 2)]["value"].iloc[0] == 5.0
    assert h["value"].sum() == 12.0


def test_empty_and_hostile(con):
    for frame, cols in ((monthly_activity(con, Filters(job_types=(HOSTILE,))), MONTHLY_COLUMNS),
                        (seasonal_index(con, Filters(teams=(HOSTILE,))), INDEX_COLUMNS),
                        (seasonality_heatmap(con, Filters(sales=(HOSTILE,))), HEATMAP_COLUMNS),
                        (seasonal_index(warehouse({}), Filters()), INDEX_COLUMNS)):
        assert frame.empty and list(frame.columns) == cols
    assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 12


@pytest.mark.demo
def test_demo_peak_and_trough(demo_con, demo_truth):
    s = seasonal_index(demo_con, Filters())
    assert s.loc[s.is_peak, "month_of_year"].iloc[0] == demo_truth["seasonality"]["peak_month"]
    assert s.loc[s.is_trough, "month_of_year"].iloc[0] == demo_truth["seasonality"]["trough_month"]
