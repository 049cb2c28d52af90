"""The Time wasters page shows exactly the core's ranked list, with the effort vs return scatter."""

from __future__ import annotations

import pytest

from core.filters import Filters
from core.metrics.time_wasters import time_wasters
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


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "time_wasters")
    f = default_filters(demo_con)
    assert_table(at, "time_wasters_ranked", time_wasters(demo_con, f))
    assert len(charts(at)) == 1


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "time_wasters", custom_period(start, end, sales_id))
    expected = time_wasters(demo_con, Filters(date_from=start, date_to=end, sales=(sales_id,)))
    assert not expected.empty
    assert_table(at, "time_wasters_ranked", expected)


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "time_wasters", custom_period(start, end, sales_id))
    assert any("No client had a job" in text for text in infos(at))
    assert not charts(at)
