"""The Churn page shows exactly the core's churn rates, reasons, lifetime values and clients at risk."""

from __future__ import annotations

import pytest

from core.filters import Filters
from core.metrics.churn import at_risk_clients, churn_by_year, churn_reasons, churn_timing, lifetime_value
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


def assert_all_tables(at, con, f: Filters) -> None:
    # The churn trend is drawn over every complete year, whatever the period (a trend needs its years).
    assert_table(at, "churn_by_year", churn_by_year(con, f.without_period()))
    assert_table(at, "churn_reasons", churn_reasons(con, f))
    assert_table(at, "churn_timing", churn_timing(con, f))
    assert_table(at, "churn_clv", lifetime_value(con, f))
    assert_table(at, "churn_at_risk", at_risk_clients(con, f))


def test_all_time(app, demo_con) -> None:
    at = open_page(app, "churn", {"period": "All time"})
    f = Filters()
    assert len(churn_by_year(demo_con, f)) >= 3
    assert_all_tables(at, demo_con, f)
    assert len(charts(at)) == 3  # churn rate, reasons, CLV


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "churn")
    f = default_filters(demo_con)
    # The last 12 months overlap one complete churn year; the chart still shows the trend of all of them.
    assert len(churn_by_year(demo_con, f)) == 1
    assert len(churn_by_year(demo_con, f.without_period())) >= 3
    assert_all_tables(at, demo_con, f)


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "churn", custom_period(start, end, sales_id))
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    assert_table(at, "churn_clv", lifetime_value(demo_con, f))
    assert_table(at, "churn_at_risk", at_risk_clients(demo_con, f))
    # The month lies in a complete year: that year's churn, as seen on this salesperson's jobs, is one of
    # the years drawn.
    assert list(churn_by_year(demo_con, f)["year"]) == [start.year]
    by_year = churn_by_year(demo_con, f.without_period())
    assert start.year in set(by_year["year"])
    assert_table(at, "churn_by_year", by_year)
    assert_table(at, "churn_reasons", churn_reasons(demo_con, f))


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    at = open_page(app, "churn", custom_period(start, end, sales_id))
    assert churn_by_year(demo_con, f).empty and churn_reasons(demo_con, f).empty
    messages = infos(at)
    assert_table(at, "churn_by_year", churn_by_year(demo_con, f.without_period()))
    assert any("No client churned" in text for text in messages)
    # Lifetimes and the clients at risk now do not depend on the period (here: a salesperson who left).
    assert_table(at, "churn_clv", lifetime_value(demo_con, f))
    assert at_risk_clients(demo_con, f).empty
    assert any("No client is silent" in text for text in messages)
