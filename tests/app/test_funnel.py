"""The Funnel page shows exactly the core's funnel, MER→placement trend, closing and people."""

from __future__ import annotations

import json

import pytest

from core.filters import Filters
from core.metrics import funnel
from tests.app.pages_support import (
    assert_table,
    busiest_salesperson_month,
    charts,
    custom_period,
    default_filters,
    idle_salesperson_month,
    infos,
    open_page,
    open_tab,
    tables_shown,
)

pytestmark = pytest.mark.demo

# The tables of each tab; the page computes and sends only the open tab.
TABS = {
    "Funnel over time": {"funnel_overall": funnel.funnel_overall, "funnel_factors": funnel.mer_to_placement_factors},
    "What makes a job close": {
        "funnel_candidates": funnel.candidates_per_opportunity,
        "funnel_closing": funnel.closing_duration,
        "funnel_new_repeat": funnel.new_vs_repeat,
    },
    "Salespeople and teams": {"funnel_by_sales": funnel.pitch_to_mer_by_sales,
                              "funnel_by_team": funnel.pitch_to_mer_by_team},
}


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "funnel")
    f = default_filters(demo_con)
    # The first tab: the funnel and the MER→placement trend.
    assert tables_shown(at) == {"funnel_overall", "funnel_trend", "funnel_factors"}
    for key, fn in TABS["Funnel over time"].items():
        assert_table(at, key, fn(demo_con, f))
    assert len(charts(at)) == 2
    # The default 12 months are read per month: a quarter grain would start and end part-way.
    assert at.segmented_control(key="funnel_grain").value == "month"
    assert_table(at, "funnel_trend", funnel.mer_to_placement_over_time(demo_con, f, grain="month"))
    # The first stage has no conversion rate: its cell says so with a dash, not the grid's "None".
    assert funnel.funnel_overall(demo_con, f)["conversion_from_previous"].isna().iloc[0]
    assert at.dataframe and all(frame.proto.placeholder == "–" for frame in at.dataframe)
    # The grain selector redraws the trend with the core's numbers for that grain.
    at.segmented_control(key="funnel_grain").set_value("quarter").run()
    assert_table(at, "funnel_trend", funnel.mer_to_placement_over_time(demo_con, f, grain="quarter"))


@pytest.mark.parametrize(("locale", "words"), [("fr", ["Présentation", "MER", "Offre", "Placement"]),
                                               ("en", ["Pitch", "MER", "Offer", "Placement"])])
def test_the_funnels_stages_read_in_the_readers_words(app, monkeypatch: pytest.MonkeyPatch, locale, words) -> None:
    """The funnel's stages are named as in its table, in the sidebar's language."""
    monkeypatch.setenv("CROSSVIEW_LOCALE", locale)
    at = open_page(app, "funnel")
    specs = [c["figure"] for c in charts(at)]
    (stages,) = [s["data"][0]["y"] for s in specs if s["data"][0]["type"] == "funnel"]
    assert list(stages) == words


def test_what_makes_a_job_close(app, demo_con) -> None:
    at = open_tab(open_page(app, "funnel"), "funnel_tab", "What makes a job close")
    f = default_filters(demo_con)
    assert tables_shown(at) == {"funnel_fill", *TABS["What makes a job close"]}
    for key, fn in TABS["What makes a job close"].items():
        assert_table(at, key, fn(demo_con, f))
    assert_table(at, "funnel_fill", funnel.fill_probability_by_count(demo_con, f))
    # fill rate per group of counts, closing duration
    assert len(charts(at)) == 2
    # One bar per group of pitch counts, every group on a category axis (a numeric axis drops "11–40").
    groups = funnel.count_groups(funnel.fill_probability_by_count(demo_con, f), stage="pitch")
    specs = [c["figure"] for c in charts(at)]
    closing = next(s for s in specs if "Share of jobs filled" in json.dumps(s["layout"]["title"]))
    assert closing["layout"]["xaxis"]["type"] == "category"
    assert closing["data"][0]["x"] == [str(lo) if lo == hi else f"{lo}–{hi}"
                                       for lo, hi in zip(groups["low"], groups["high"])]
    assert len(groups) >= 3 and groups["jobs"].min() >= funnel.MIN_JOBS_PER_GROUP


def test_salespeople_and_teams(app, demo_con) -> None:
    at = open_tab(open_page(app, "funnel"), "funnel_tab", "Salespeople and teams")
    f = default_filters(demo_con)
    assert tables_shown(at) == set(TABS["Salespeople and teams"])
    for key, fn in TABS["Salespeople and teams"].items():
        assert_table(at, key, fn(demo_con, f))
    assert len(charts(at)) == 2


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "funnel", custom_period(start, end, sales_id))
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    overall = funnel.funnel_overall(demo_con, f)
    assert overall["events"].sum() > 0
    assert_table(at, "funnel_overall", overall)
    by_sales = funnel.pitch_to_mer_by_sales(demo_con, f)
    assert list(by_sales["staff_id"]) == [sales_id]
    assert_table(open_tab(at, "funnel_tab", "Salespeople and teams"), "funnel_by_sales", by_sales)


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "funnel", custom_period(start, end, sales_id))
    assert any("No pitch, MER, offer or placement" in text for text in infos(at))
    assert not charts(at)
    open_tab(at, "funnel_tab", "Salespeople and teams")
    assert any("No pitch on a salesperson's jobs" in text for text in infos(at))
    assert not charts(at)
