"""The Overview page shows exactly the core's headline numbers for the filters in the sidebar."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import pandas as pd
import pytest

from app.ui.widgets import count, days, money, pct
from core.filters import Filters
from core.metrics.common import as_of, filter_options
from core.metrics.overview import headline
from core.metrics.seasonality import monthly_activity
from tests.app.conftest import assert_no_exception, last_12_months
from tests.app.pages_support import charts

FORMAT = {"eur": money, "rate": pct, "days": days, "count": count}


def expected_metrics(con, f: Filters) -> list[tuple[str, str]]:
    frame = headline(con, f)
    return [(row.label, FORMAT[row.unit](row.value)) for row in frame.itertuples()]


def shown_metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def busiest_salesperson_month(con) -> tuple[str, date, date]:
    """The salesperson and calendar month with the most revenue invoiced on their jobs."""
    sales_id, month = con.execute("""
        SELECT j.sales_id, date_trunc('month', p.invoiced_at) AS m
        FROM placements p JOIN jobs j USING (job_id)
        WHERE j.sales_id IS NOT NULL AND p.invoiced_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY sum(p.fee_eur) DESC, 1, 2 LIMIT 1
    """).fetchone()
    start = pd.Timestamp(month).date()
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return sales_id, start, end


@pytest.mark.demo
def test_default_filters_show_the_headline_of_the_last_12_months(app, demo_con) -> None:
    at = app.run()
    assert_no_exception(at)
    f = last_12_months(as_of(demo_con))
    assert shown_metrics(at) == expected_metrics(demo_con, f)
    numbers = headline(demo_con, f).set_index("measure")
    turnover = numbers.loc["turnover", "value"]
    assert at.metric[0].label == "Turnover (invoiced)" and at.metric[0].value == f"€{turnover:,.0f}"
    # Placements made since August 2026 are not all invoiced: turnover is not set against the previous
    # 12 months (it read −40.9 %), and the page says why; fees booked (by placement date) are compared.
    assert not at.metric[0].delta
    assert numbers.loc["turnover", "note"] in [c.value for c in at.caption]
    assert at.metric[2].label == "Fees booked"
    assert at.metric[2].delta == f"{numbers.loc['booked', 'change'] * 100:+.1f}%"
    assert len(charts(at)) == 1
    assert not monthly_activity(demo_con, f).empty


@pytest.mark.demo
def test_one_salesperson_one_month(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = app.run()
    at.sidebar.selectbox(key="flt_preset").select("Custom").run()
    at.sidebar.date_input(key="flt_period").set_value((start, end)).run()
    at.sidebar.multiselect(key="flt_sales").select(sales_id).run()
    assert_no_exception(at)
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    assert shown_metrics(at) == expected_metrics(demo_con, f)
    revenue = headline(demo_con, f).set_index("measure").loc["turnover", "value"]
    assert revenue > 0 and at.metric[0].value == money(revenue)
    # The view is in the URL, so a link reproduces it.
    assert at.query_params["person"] == sales_id
    assert (at.query_params["period"], at.query_params["from"], at.query_params["to"]) == (
        "Custom", start.isoformat(), end.isoformat())


@pytest.mark.demo
def test_a_link_reproduces_the_view(app, demo_con) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    app.query_params = {"period": "Custom", "from": start.isoformat(), "to": end.isoformat(), "person": sales_id}
    at = app.run()
    assert_no_exception(at)
    assert at.session_state["flt_sales"] == [sales_id]
    f = Filters(date_from=start, date_to=end, sales=(sales_id,))
    assert shown_metrics(at) == expected_metrics(demo_con, f)


@pytest.mark.demo
def test_empty_period_says_why(app, demo_con) -> None:
    first = filter_options(demo_con)["first_date"]
    app.query_params = {"period": "Custom", "from": first.isoformat(), "to": first.isoformat()}
    at = app.run()
    assert_no_exception(at)
    f = Filters(date_from=first, date_to=first)
    assert monthly_activity(demo_con, f)["revenue"].fillna(0).sum() == 0
    assert any("No revenue invoiced" in i.value for i in at.info)
    assert not charts(at)


@pytest.mark.demo
def test_data_health_lines_link_to_the_data_page(app) -> None:
    at = app.run()
    links = [link.proto.label for link in at.get("page_link")]
    assert any(label.startswith("Data quality:") for label in links)
    assert any(label.startswith("Linking:") for label in links)


def test_crm_only_shows_the_crm_headline(make_app, crm_only_db) -> None:
    from core.metrics.pipeline import crm_headline
    from core.warehouse import connect

    app = make_app(crm_only_db)
    app.query_params = {"period": "All time"}
    at = app.run()
    assert_no_exception(at)
    assert any("CRM export only" in i.value for i in at.info)
    with connect(crm_only_db) as con:
        assert shown_metrics(at) == expected_metrics(con, Filters())
        won = crm_headline(con, Filters()).set_index("measure").loc["won", "value"]
    assert won == 1
    assert not any(link.proto.label.startswith("Linking:") for link in at.get("page_link"))


@pytest.mark.demo
def test_data_health_line_counts_the_names_to_review(app, demo_con) -> None:
    from core.link import coverage, review_queue

    at = app.run()
    assert_no_exception(at)
    labels = [link.proto.label for link in at.get("page_link")]
    shares = coverage(demo_con).set_index("measure")["after_review"]
    queue = review_queue(demo_con, status="review", kind="client")
    assert len(queue) > 0
    assert (f"Linking: {pct(shares['deals'])} of CRM deals and {pct(shares['revenue'])} of BO revenue linked; "
            f"{count(len(queue))} company names to review.") in labels, labels


def test_the_other_periods_are_computed_in_the_background(app, demo_con, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the Overview is drawn, its numbers for the other presets are computed behind it, once; choosing
    one of them then reads the cache and shows the same numbers core gives for that period."""
    from app.ui import state
    from app.ui.filters import preset_filters
    from core.metrics import overview as overview_metrics
    from core.metrics import seasonality

    calls: dict[str, list[Filters]] = {"headline": [], "monthly_activity": []}

    def counted(module, name):
        real = getattr(module, name)

        @functools.wraps(real)
        def wrapper(con, f):
            calls[name].append(f)
            return real(con, f)

        monkeypatch.setattr(module, name, wrapper)

    counted(overview_metrics, "headline")
    counted(seasonality, "monthly_activity")
    monkeypatch.setattr(state, "_WARMED", set())
    state._cached_call.clear()

    at = app.run()
    assert_no_exception(at)
    state._warming.join(timeout=120)
    shown = last_12_months(as_of(demo_con))
    now, first = as_of(demo_con), filter_options(demo_con)["first_date"]
    others = [preset_filters(shown, p, now, first) for p in ("This year", "Last quarter", "All time")]
    for name, seen in calls.items():
        assert seen == [shown, *others], name
    # Another session opening the Overview starts no second warm-up of the same periods.
    assert state.warm([(overview_metrics.headline, (others[0],))]) is None
    at.selectbox(key=state.PRESET_KEY).set_value("All time").run()
    assert_no_exception(at)
    assert len(calls["headline"]) == 4 and len(calls["monthly_activity"]) == 4
    turnover = headline(demo_con, others[2]).set_index("measure").loc["turnover"]
    assert {m.label: m.value for m in at.metric}[turnover["label"]] == money(turnover["value"])


@pytest.mark.demo
@pytest.mark.parametrize(("locale", "hover", "prefix", "suffix"), [
    ("fr", "%{x|%b %Y}<br>%{y:,.0f}\u202f€ invoiced", None, "\u202f€"),
    ("en", "%{x|%b %Y}<br>€%{y:,.0f} invoiced", "€", None),
])
def test_the_chart_writes_amounts_as_the_reader_does(app, monkeypatch: pytest.MonkeyPatch, locale, hover, prefix,
                                                     suffix) -> None:
    """The euro sign goes after the amount in French (`1 234 €`), before it in English (`€1,234`), in the
    revenue chart's hover and on its axis."""
    monkeypatch.setenv("CROSSVIEW_LOCALE", locale)
    at = app.run()
    assert_no_exception(at)
    (chart,) = charts(at)
    spec = chart["figure"]
    assert {trace["hovertemplate"] for trace in spec["data"]} == {hover + "<extra></extra>"}
    assert (spec["layout"]["yaxis"].get("tickprefix"), spec["layout"]["yaxis"].get("ticksuffix")) == (prefix, suffix)
    # Month names on the axis and in the hover: French ones in French, Plotly's own in English.
    config = chart["config"]
    assert config.get("locale") == ("fr" if locale == "fr" else None)
    if locale == "fr":
        assert config["locales"]["fr"]["format"]["shortMonths"][10] == "nov."


@pytest.mark.demo
@pytest.mark.parametrize(("locale", "shown"), [("fr", "{:%d/%m/%Y}"), ("en", "{:%Y-%m-%d}")])
def test_the_period_reads_in_the_readers_date_format(app, demo_con, monkeypatch: pytest.MonkeyPatch, locale,
                                                     shown) -> None:
    monkeypatch.setenv("CROSSVIEW_LOCALE", locale)
    at = app.run()
    assert_no_exception(at)
    f = last_12_months(as_of(demo_con))
    assert at.caption[0].value.startswith(f"{shown.format(f.date_from)} – {shown.format(f.date_to)}")
