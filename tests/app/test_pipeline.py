"""The CRM pipeline page shows exactly the core's pipeline numbers for the sidebar filters."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.ui.widgets import LOCALE_KEY, money
from core.filters import Filters
from core.metrics import pipeline
from tests.app.pages_support import (
    assert_table,
    charts,
    custom_period,
    default_filters,
    idle_salesperson_month,
    infos,
    month_end,
    open_page,
    open_tab,
    tables_shown,
)

pytestmark = pytest.mark.demo


def busiest_owner_month(con) -> tuple[str, date, date]:
    """The resolved deal owner and calendar month with the most deals closed."""
    owner, month = con.execute("""
        SELECT owner_id, CAST(date_trunc('month', closed_at) AS DATE) FROM deals
        WHERE owner_id IS NOT NULL AND closed_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY COUNT(*) DESC, 1, 2 LIMIT 1
    """).fetchone()
    return owner, month, month_end(month)


RATES, WON = "Win rate and sales cycle", "Won and lost"


def assert_period_tables(at, con, f: Filters) -> None:
    """The period's win rates, sales cycles and top accounts, each on its tab."""
    open_tab(at, "pipeline_tab", RATES)
    assert_table(at, "pipeline_win_rate", pipeline.win_rate(con, f, by="owner"))
    assert_table(at, "pipeline_cycle", pipeline.sales_cycle(con, f, by="owner"))
    open_tab(at, "pipeline_tab", WON)
    assert_table(at, "pipeline_top_accounts", pipeline.top_accounts(con, f))


def test_default_filters(app, demo_con) -> None:
    at = open_page(app, "pipeline")
    f = default_filters(demo_con)
    headline = pipeline.crm_headline(demo_con, f).set_index("measure")
    shown = {m.label: m.value for m in at.metric}
    assert shown[headline.loc["won_amount", "label"]] == money(headline.loc["won_amount", "value"])
    # The page computes and sends only the open tab: the pipeline now.
    assert tables_shown(at) == {"pipeline_now", "pipeline_stale"}
    assert_table(at, "pipeline_now", pipeline.pipeline_now(demo_con, f))
    assert_table(at, "pipeline_stale", pipeline.stale_deals(demo_con, f))
    # The stages on the chart's axis are named as in the table, not by their codes.
    (now,) = [c["figure"] for c in charts(at)]
    stage_words = {"qualification": "Qualification", "pitch": "Pitch", "mer": "MER", "offer": "Offer",
                   "other": "Other", "(unknown)": "Unknown stage"}
    assert list(now["data"][0]["x"]) == [stage_words[s] for s in pipeline.pipeline_now(demo_con, f)["stage_detail"]]
    assert_period_tables(at, demo_con, f)
    assert_table(at, "pipeline_lost", pipeline.lost_reasons(demo_con, f))
    # The top accounts' legend names the segments in the words chosen in the sidebar, not by code.
    segments = set(pipeline.top_accounts(demo_con, f).head(20)["segment"])
    for locale, words in (("en", ("Top", "Large", "Medium", "Other")), ("fr", ("Top", "Grand", "Moyen", "Autre"))):
        at.segmented_control(key=LOCALE_KEY).set_value(locale).run()
        specs = [c["figure"] for c in charts(at)]
        accounts = next(s for s in specs if "largest won amount" in json.dumps(s["layout"]["title"]))
        named = dict(zip(("top", "large", "medium", "other"), words))
        assert [t["name"] for t in accounts["data"]] == [named[s] for s in named if s in segments]
    at.segmented_control(key=LOCALE_KEY).set_value("en").run()
    # The breakdown selector redraws the win rates by team.
    open_tab(at, "pipeline_tab", RATES)
    at.segmented_control(key="pipeline_by").set_value("team").run()
    assert_table(at, "pipeline_win_rate", pipeline.win_rate(demo_con, f, by="team"))
    assert_table(at, "pipeline_cycle", pipeline.sales_cycle(demo_con, f, by="team"))


def test_one_salesperson_one_month(app, demo_con) -> None:
    owner, start, end = busiest_owner_month(demo_con)
    at = open_page(app, "pipeline", custom_period(start, end, owner))
    f = Filters(date_from=start, date_to=end, sales=(owner,))
    assert not pipeline.win_rate(demo_con, f).empty
    assert_table(at, "pipeline_now", pipeline.pipeline_now(demo_con, f))
    assert_period_tables(at, demo_con, f)


def test_idle_salesperson_month_says_why(app, demo_con) -> None:
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "pipeline", custom_period(start, end, sales_id))
    assert any("No deal was won or lost" in text for text in infos(open_tab(at, "pipeline_tab", RATES)))
    assert any("No deal was won in this period" in text for text in infos(open_tab(at, "pipeline_tab", WON)))


@pytest.fixture(scope="module")
def crm_only_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    """A warehouse built from the demo CRM export alone (no back office)."""
    from core.warehouse import build

    db = tmp_path_factory.mktemp("crm_only") / "crossview.duckdb"
    build(crm=demo_dir / "crm" / "hubspot_deals.csv", bo=None, db=db)
    return db


def test_crm_only_warehouse(make_app, crm_only_db: Path) -> None:
    from core.warehouse import connect

    at = open_page(make_app(crm_only_db), "pipeline")
    with connect(crm_only_db) as con:
        f = default_filters(con)
        headline = pipeline.crm_headline(con, f).set_index("measure")
        assert_table(open_tab(at, "pipeline_tab", RATES), "pipeline_win_rate", pipeline.win_rate(con, f, by="owner"))
    shown = {m.label: m.value for m in at.metric}
    assert shown[headline.loc["won_amount", "label"]] == money(headline.loc["won_amount", "value"])
    # The back-office pages say what they need instead of failing.
    for page in ("seasonality", "clients", "funnel"):
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception
        assert any("needs the back-office (BO) export" in text for text in infos(at)), page
    # The forecast has a CRM-only form (the amount won, from the deals: tests/app/test_forecast.py).
    at.switch_page("../pages/forecast.py").run()
    assert not at.exception and not any("needs the back-office (BO) export" in text for text in infos(at))
