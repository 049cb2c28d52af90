"""The Typology page shows exactly the core's clusters, their profiles and the best typology."""

from __future__ import annotations

import pytest

from core.filters import Filters
from core.metrics.typology import client_typology, typology_profiles
from tests.app.pages_support import (
    assert_table,
    busiest_salesperson_month,
    custom_period,
    default_filters,
    idle_salesperson_month,
    infos,
    open_page,
)

pytestmark = pytest.mark.demo


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "typology")
    f = default_filters(demo_con)
    profiles = typology_profiles(demo_con, f)
    assert_table(at, "typology_profiles", profiles)
    assert_table(at, "typology_clients", client_typology(demo_con, f))
    best = profiles.loc[profiles["is_best"], "cluster_name"].iloc[0]
    assert any(best in s.value for s in at.success)
    assert len(at.get("plotly_chart")) == 4  # fill rate, margin, days to fill, the client map


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "typology", custom_period(start, end, sales_id))
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    expected = typology_profiles(demo_con, f)
    assert not expected.empty
    assert_table(at, "typology_profiles", expected)
    assert_table(at, "typology_clients", client_typology(demo_con, f))


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "typology", custom_period(start, end, sales_id))
    assert any("nothing to group" in text for text in infos(at))
    assert not at.get("plotly_chart")
