"""The Typology page shows exactly the core's clusters, their profiles and the best typology."""

from __future__ import annotations

import pytest

from core.filters import Filters
from core.metrics.typology import client_typology, typology_profiles, typology_verdict
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
    at = open_page(app, "typology")
    f = default_filters(demo_con)
    profiles = typology_profiles(demo_con, f)
    assert_table(at, "typology_profiles", profiles)
    assert_table(at, "typology_clients", client_typology(demo_con, f))
    # Last 12 months: a three-way tie, said as such (it used to be broken by size and called the best).
    assert not profiles["is_best"].any()
    assert typology_verdict(profiles).startswith("No single best typology")
    assert len(charts(at)) == 4  # fill rate, margin, days to fill, the client map


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
    assert not charts(at)


def test_each_typology_keeps_its_colour_across_the_charts(app, demo_con) -> None:
    """The bars and the client map colour the groups alike (two groups' colours used to swap)."""

    at = open_page(app, "typology")
    colours = []
    for chart in charts(at):
        traces = chart["figure"]["data"]
        colours.append({t["name"]: t["marker"]["color"] for t in traces})
    bars, scatter = colours[0], colours[-1]
    assert set(bars) == set(scatter) == set(typology_profiles(demo_con, default_filters(demo_con))["cluster_name"])
    assert bars == scatter
    assert all(c == bars for c in colours[:3])
    assert len(set(bars.values())) == len(bars)


def test_a_long_client_list_is_previewed_and_downloaded_whole(app, demo_con, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui import widgets

    monkeypatch.setattr(widgets, "PREVIEW_ROWS", 5)
    at = open_page(app, "typology")
    every = client_typology(demo_con, default_filters(demo_con))
    assert len(every) > 5
    assert_table(at, "typology_clients", every.head(5))
    assert any(f"first 5 of {len(every)} rows" in c.value for c in at.caption)


def test_typologies_are_named_in_the_readers_words(app, demo_con) -> None:
    from app.ui.widgets import LOCALE_KEY
    from core.metrics.typology import in_words

    at = open_page(app, "typology")
    at.segmented_control(key=LOCALE_KEY).set_value("fr").run()
    f = default_filters(demo_con)
    profiles = in_words(typology_profiles(demo_con, f), "fr")
    assert "Postes juniors, salaires bas" in set(profiles["cluster_name"])
    assert_table(at, "typology_profiles", profiles)
    assert_table(at, "typology_clients", in_words(client_typology(demo_con, f), "fr"))
    assert "Postes juniors, salaires bas" in next(m.value for m in at.markdown if m.value.startswith("#### "))
