"""The Seasonality page shows exactly the core's monthly series and seasonal index for the sidebar filters."""

from __future__ import annotations

import calendar

import pytest

from core.filters import Filters
from core.metrics.seasonality import monthly_activity, seasonal_index
from tests.app.pages_support import (
    assert_table,
    busiest_salesperson_month,
    charts,
    custom_period,
    default_filters,
    idle_salesperson_month,
    infos,
    open_page,
)

pytestmark = pytest.mark.demo


NAMES = {"jobs_opened": "jobs opened", "placements": "placements invoiced", "revenue": "revenue invoiced (€)"}


def peak_and_trough(con, f: Filters, measure: str = "jobs_opened") -> list[tuple[str, str]]:
    index = seasonal_index(con, f, measure)
    return [
        (f"Peak month of {NAMES[measure]}", index.loc[index["is_peak"], "month_name"].iloc[0]),
        (f"Trough month of {NAMES[measure]}", index.loc[index["is_trough"], "month_name"].iloc[0]),
    ]


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "seasonality")
    f = default_filters(demo_con)
    assert_table(at, "seasonality_monthly", monthly_activity(demo_con, f))
    assert_table(at, "seasonality_index", seasonal_index(demo_con, f))
    assert [(m.label, m.value) for m in at.metric] == peak_and_trough(demo_con, f)
    assert len(charts(at)) == 3
    # The measure selector redraws the month-of-year views with that measure.
    at.segmented_control(key="seasonality_measure").set_value("revenue").run()
    assert_table(at, "seasonality_index", seasonal_index(demo_con, f, "revenue"))
    assert [(m.label, m.value) for m in at.metric] == peak_and_trough(demo_con, f, "revenue")


def test_all_time_names_the_planted_peak_and_trough(app, demo_con, demo_truth) -> None:
    at = open_page(app, "seasonality", {"period": "All time"})
    months = {m.label: m.value for m in at.metric}
    assert months["Peak month of jobs opened"] == calendar.month_name[demo_truth["seasonality"]["peak_month"]]
    assert months["Trough month of jobs opened"] == calendar.month_name[demo_truth["seasonality"]["trough_month"]]


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "seasonality", custom_period(start, end, sales_id))
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    expected = monthly_activity(demo_con, f)
    assert len(expected) == 1
    assert_table(at, "seasonality_monthly", expected)
    assert_table(at, "seasonality_index", seasonal_index(demo_con, f))


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "seasonality", custom_period(start, end, sales_id))
    assert any("No job opened and no placement invoiced" in text for text in infos(at))
    assert not charts(at)
    assert not at.dataframe
