"""The Clients page shows exactly the core's client economics, segments, drivers and one client's history."""

from __future__ import annotations

import json

import pytest

from app.ui.widgets import count, money, pct
from core.filters import Filters
from core.metrics.acquisition import new_clients
from core.metrics.clients import (
    client_economics,
    client_history,
    client_segments,
    pareto,
    repeat_business,
    segment_drivers,
)
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


def repeat_metrics(con, f: Filters) -> list[tuple[str, str]]:
    values = repeat_business(con, f).set_index("measure")["value"]
    return [
        ("Clients with more than one job", pct(values["share_clients_more_than_one_job"])),
        ("Revenue from returning clients", pct(values["share_revenue_from_returning_clients"])),
        ("Returning clients", count(values["returning_clients"])),
    ]


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "clients")
    f = default_filters(demo_con)
    assert [(m.label, m.value) for m in at.metric] == repeat_metrics(demo_con, f)
    assert_table(at, "clients_economics", client_economics(demo_con, f))
    assert_table(at, "clients_segments", client_segments(demo_con, f))
    assert_table(at, "clients_drivers", segment_drivers(demo_con, f))
    assert len(charts(at)) == 2  # the Pareto chart, new clients per quarter
    assert not pareto(demo_con, f).empty
    # New clients: every quarter of the history, whatever the period (a trend needs its quarters).
    won = new_clients(demo_con, f.without_period(), grain="quarter")
    assert len(won) >= 16 and not won["complete"].iloc[-1]
    assert_table(at, "clients_new", won)
    # The exports' first quarter, which counts every client already there, is the one grey bar.
    assert won["exports_start"].tolist() == [True] + [False] * (len(won) - 1)
    (bars,) = next(c["figure"] for c in charts(at)
                   if "first job was opened" in json.dumps(c["figure"]["layout"]["title"]))["data"]
    assert [colour == "#D3D7DE" for colour in bars["marker"]["color"]] == won["exports_start"].tolist()


def test_client_detail(app, demo_con) -> None:
    at = open_page(app, "clients")
    f = default_filters(demo_con)
    top = client_economics(demo_con, f).iloc[0]
    at.selectbox(key="clients_detail").select(top["client_id"]).run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Turnover"] == money(top["turnover"])
    assert shown["Net profit"] == money(top["net_profit"])
    assert shown["Segment"] == top["segment"]
    assert_table(at, "clients_history", client_history(demo_con, f, top["client_id"]))
    assert len(charts(at)) == 3  # Pareto, new clients, and the client's funnel


def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "clients", custom_period(start, end, sales_id))
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    expected = client_economics(demo_con, f)
    assert not expected.empty
    assert_table(at, "clients_economics", expected)
    assert [(m.label, m.value) for m in at.metric] == repeat_metrics(demo_con, f)


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "clients", custom_period(start, end, sales_id))
    assert any("No client opened a job" in text for text in infos(at))
    assert not charts(at)


def test_client_search_narrows_the_picker(app, demo_con) -> None:
    at = open_page(app, "clients")
    economics = client_economics(demo_con, default_filters(demo_con))
    target = economics.iloc[len(economics) // 2]
    at.text_input(key="clients_detail_query").input(target["name"][2:9].upper()).run()
    offered = at.selectbox(key="clients_detail").options
    wanted = economics[economics["name"].str.casefold().str.contains(target["name"][2:9].casefold(), regex=False)]
    assert 1 <= len(offered) == len(wanted)
    assert f"{target['name']} ({target['client_id']})" in offered
    at.selectbox(key="clients_detail").select(target["client_id"]).run()
    assert {m.label: m.value for m in at.metric}["Turnover"] == money(target["turnover"])
