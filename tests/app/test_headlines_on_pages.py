"""Every page opens with its headline answer: the first sentence on the page is the core's, word for word."""

from __future__ import annotations

import pytest

from app.ui.widgets import plain
from core.metrics import clients, headlines, typology
from tests.app.pages_support import default_filters, open_page

pytestmark = pytest.mark.demo

# page → the core's headline for the default filters, in English (the tests' locale).
EXPECTED = {
    "overview": lambda con, f: headlines.overview_headline(con, f, "en"),
    "clients": lambda con, f: headlines.pareto_sentence(clients.pareto(con, f), "en"),
    "time_wasters": lambda con, f: headlines.time_wasters_headline(con, f, "en"),
    "typology": lambda con, f: typology.typology_verdict(typology.typology_profiles(con, f), "en"),
    "churn": lambda con, f: headlines.churn_headline(con, f, "en"),
    "seasonality": lambda con, f: headlines.seasonality_headline(con, f, "en"),
    "funnel": lambda con, f: headlines.mer_to_placement_trend(con, f, "en"),
    "pipeline": lambda con, f: headlines.win_rate_headline(con, f, "en"),
    "data": lambda con, f: headlines.data_headline(con, "en"),
}


def _walk(node):
    """The page's elements in the order they are drawn."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _headlines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("#### ")]


def _drawn_before_the_headline(at) -> list[str]:
    """What the page draws above its first headline, other than its title and caption."""
    before = []
    for node in _walk(at.main):
        kind = getattr(node, "type", None)
        if kind == "markdown" and str(node.value).startswith("#### "):
            return before
        if kind in ("expander", "bidi_component", "arrow_data_frame", "metric", "tabs", "markdown"):
            before.append(kind)
    return before


@pytest.mark.parametrize("page", list(EXPECTED))
def test_the_page_opens_with_its_headline(app, demo_con, page: str) -> None:
    at = open_page(app, page)
    expected = EXPECTED[page](demo_con, default_filters(demo_con))
    assert expected and any(ch.isdigit() for ch in expected), expected
    shown = _headlines(at)
    assert shown, f"{page}: no headline"
    assert shown[0] == "#### " + plain(expected)
    assert _drawn_before_the_headline(at) == [], f"{page}: the headline is not the first thing on the page"
