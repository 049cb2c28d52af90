"""Shared steps of the analysis pages' AppTests: open a page with filters, read its tables, pick filters."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.filters import Filters
from core.metrics.common import as_of
from tests.app.conftest import assert_no_exception, last_12_months


def charts(at: AppTest) -> list[dict]:
    """The charts a run drew (`app/ui/charts.py`), each as its browser receives it: `{"figure": {"data":
    …, "layout": …}, "config": …}`."""
    return [json.loads(e.proto.bytes) for e in at.get("bidi_component") if e.proto.component_name == "crossview_chart"]


def open_page(app: AppTest, page: str, query: dict[str, str] | None = None) -> AppTest:
    """Run the app from its entry file with the filters in `query` (the URL), then switch to `page`."""
    if query:
        app.query_params = query
    at = app.run()
    assert_no_exception(at)
    at.switch_page(f"../pages/{page}.py").run()
    assert_no_exception(at)
    return at


def custom_period(start: date, end: date, sales_id: str | None = None) -> dict[str, str]:
    """The URL of a custom period, optionally for one salesperson."""
    query = {"period": "Custom", "from": start.isoformat(), "to": end.isoformat()}
    if sales_id:
        query["person"] = sales_id
    return query


def default_filters(con) -> Filters:
    """The filters the app starts with: the last 12 months up to the data's as-of date."""
    return last_12_months(as_of(con))


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab `label` of the tabs `key` (the pages compute only the open tab) and rerun."""
    at.session_state[key] = label
    at.run()
    assert_no_exception(at)
    assert [t.label for t in at.tabs if t.label == label], f"no tab {label!r}"
    return at


def tables_shown(at: AppTest) -> set[str]:
    """The keys of the tables on the page (each `show_table` draws a download button `<key>_download`)."""
    return {button.key.removesuffix("_download") for button in at.download_button if button.key}


def table(at: AppTest, key: str) -> pd.DataFrame:
    """The table shown by `show_table(..., key=key)`: each table is drawn just before its download button."""
    keys = [button.key for button in at.download_button]
    assert f"{key}_download" in keys, f"no table {key!r} on the page; tables: {keys}"
    return at.dataframe[keys.index(f"{key}_download")].value


def assert_table(at: AppTest, key: str, expected: pd.DataFrame) -> None:
    """The table on the page holds exactly the core function's rows and values."""
    shown = table(at, key).reset_index(drop=True)
    expected = expected.reset_index(drop=True)
    assert list(shown.columns) == list(expected.columns)
    for column in expected.columns:
        # Dates travel to the browser as timestamps; compare them as timestamps.
        if expected[column].map(lambda v: isinstance(v, date)).any():
            expected[column] = pd.to_datetime(expected[column])
            shown[column] = pd.to_datetime(shown[column])
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False, check_exact=False, rtol=1e-9)


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def busiest_salesperson_month(con) -> tuple[str, date, date]:
    """The salesperson and calendar month with the most pipeline events and jobs on their jobs."""
    sales_id, month = con.execute("""
        WITH activity AS (
            SELECT j.sales_id, date_trunc('month', e.event_date) AS m
            FROM pipeline_events e JOIN jobs j USING (job_id)
            UNION ALL SELECT sales_id, date_trunc('month', opened_at) FROM jobs
            UNION ALL SELECT j.sales_id, date_trunc('month', p.invoiced_at)
            FROM placements p JOIN jobs j USING (job_id))
        SELECT a.sales_id, CAST(a.m AS DATE) FROM activity a JOIN staff s ON s.staff_id = a.sales_id
        WHERE a.m IS NOT NULL AND s.role = 'sales'
        GROUP BY 1, 2 ORDER BY COUNT(*) DESC, 1, 2 LIMIT 1
    """).fetchone()
    return sales_id, month, month_end(month)


def month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def idle_salesperson_month(con) -> tuple[str, date, date]:
    """The latest salesperson and month in which nothing at all happened on their side.

    No job of theirs opened, closed, worked on or invoiced, no activity logged by them and no
    deal of theirs created or closed: every period view of the pages is empty for it (e.g. the
    months before a salesperson joined).
    """
    row = con.execute("""
        WITH months AS (
            SELECT CAST(unnest(generate_series(date_trunc('month', (SELECT MIN(opened_at) FROM jobs)),
                                               date_trunc('month', (SELECT MAX(opened_at) FROM jobs)),
                                               INTERVAL 1 MONTH)) AS DATE) AS m),
        busy AS (
            SELECT sales_id AS s, date_trunc('month', opened_at) AS m FROM jobs
            UNION SELECT sales_id, date_trunc('month', closed_at) FROM jobs
            UNION SELECT j.sales_id, date_trunc('month', e.event_date)
            FROM pipeline_events e JOIN jobs j USING (job_id)
            UNION SELECT j.sales_id, date_trunc('month', p.invoiced_at)
            FROM placements p JOIN jobs j USING (job_id)
            UNION SELECT staff_id, date_trunc('month', activity_date) FROM activities
            UNION SELECT j.sales_id, date_trunc('month', a.activity_date)
            FROM activities a JOIN jobs j USING (job_id)
            UNION SELECT owner_id, date_trunc('month', created_at) FROM deals
            UNION SELECT owner_id, date_trunc('month', closed_at) FROM deals)
        SELECT s.staff_id, m.m FROM staff s, months m
        WHERE s.role = 'sales' AND NOT EXISTS (SELECT 1 FROM busy b WHERE b.s = s.staff_id AND b.m = m.m)
        ORDER BY m.m DESC, s.staff_id LIMIT 1
    """).fetchone()
    assert row is not None, "every salesperson is busy every month"
    return row[0], row[1], month_end(row[1])
