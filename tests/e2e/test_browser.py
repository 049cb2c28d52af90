"""The app in a real browser: every page renders, filters change numbers, downloads are right, HTML stays text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.support import ARTIFACTS, CHART, CHROMIUM, HTML_NAME, screenshot, wait_for_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed"),
]


def _nav_links(pg) -> list[tuple[str, str]]:
    links = pg.locator('[data-testid="stSidebarNav"] a')
    # A link's text is its icon's ligature name, then its title, on separate lines.
    return [(links.nth(i).inner_text().strip().splitlines()[-1].strip(), links.nth(i).get_attribute("href"))
            for i in range(links.count())]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _metric_values(pg) -> list[str]:
    values = pg.locator('[data-testid="stMetricValue"]')
    return [values.nth(i).inner_text() for i in range(values.count())]


# The titles of the page's charts drawn over their legend: the title above the chart (the page's text)
# or in it (Plotly's).
TITLES_OVER_LEGENDS = f"""() => [...document.querySelectorAll('.{CHART}')].flatMap(chart => {{
    const heading = chart.previousElementSibling;
    const titles = [...chart.querySelectorAll('.gtitle')].concat(heading && !heading.hidden ? [heading] : []);
    const over = (a, b) => a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right
                           && a.top < b.bottom && b.top < a.bottom;
    return titles.filter(t => [...chart.querySelectorAll('.legend')].some(
        legend => over(t.getBoundingClientRect(), legend.getBoundingClientRect()))).map(t => t.textContent);
}})"""


def test_every_page_renders_without_exception(page, app_url: str) -> None:
    # Nothing is fetched from elsewhere (the app runs offline), and every request of the app is answered.
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.goto(app_url)
    wait_for_app(page)
    links = _nav_links(page)
    labels = [label for label, _ in links]
    assert "Overview" in labels and "Data & linking" in labels, labels
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures, charts, no_preload, overlaps = [], {}, [], []
    for label, href in links:
        response = page.goto(href)
        # The page's HTML, however the server encoded it for the browser, starts loading the charts' Plotly.
        if b"window.crossviewPlotly" not in response.body():
            no_preload.append(label)
        wait_for_app(page)
        screenshot(page, ARTIFACTS / f"{_slug(label)}.png")
        if page.locator('[data-testid="stException"]').count():
            failures.append(label)
        # Every chart box holds a drawn Plotly chart (the bundle the server serves loaded and ran).
        charts[label] = (page.locator(f".{CHART}").count(), page.locator(f".{CHART}.js-plotly-plot:has(.main-svg)").count())
        overlaps += [f"{label}: {title!r}" for title in page.evaluate(TITLES_OVER_LEGENDS)]
    assert failures == [], f"pages showing an exception: {failures}"
    assert no_preload == [], f"pages whose HTML does not preload the charts' Plotly: {no_preload}"
    assert failed == [], failed
    assert overlaps == [], f"chart titles drawn over their legend: {overlaps}"
    assert all(boxes == drawn for boxes, drawn in charts.values()), charts
    assert charts["Overview"][0] == 1 and sum(boxes for boxes, _ in charts.values()) >= 10, charts


def test_changing_the_period_changes_the_numbers(page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    before = _metric_values(page)
    assert before, "the Overview shows headline numbers"
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.locator('[role="option"]', has_text="All time").click()
    wait_for_app(page)
    after = _metric_values(page)
    assert after and after != before
    assert "period=All+time" in page.url or "period=All%20time" in page.url


def test_download_is_exactly_the_table_shown(page, app_url: str, e2e_db: Path) -> None:
    from core.metrics.quality import quality_summary
    from core.tables import locale_csv_bytes
    from core.warehouse import connect

    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Data & linking").click()
    wait_for_app(page)
    page.get_by_role("tab", name=re.compile("Data quality")).click()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, ARTIFACTS / "data_quality_tab.png")
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    content = Path(info.value.path()).read_bytes()
    with connect(e2e_db) as con:
        expected = locale_csv_bytes(quality_summary(con), "fr")  # the app's default locale
    assert content == expected
    assert content.startswith(b"\xef\xbb\xbf")
    for tab in ("Linking", "Reconciliation"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(500)
        screenshot(page, ARTIFACTS / f"data_{tab.lower()}_tab.png")


def test_a_name_holding_html_is_shown_as_text(page, app_url: str, e2e_db: Path) -> None:
    from core.warehouse import connect

    with connect(e2e_db) as con:
        staff_id = con.execute("SELECT staff_id FROM staff WHERE name = ?", [HTML_NAME]).fetchone()[0]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/?role=coach&person={staff_id}")
    wait_for_app(page)
    chips = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').all_inner_texts()
    assert any(HTML_NAME in text for text in chips), chips
    assert page.locator('img[src="x"]').count() == 0
    assert page.title() != "pwned" and dialogs == []
    assert page.locator('[data-testid="stException"]').count() == 0


def test_uploading_an_unknown_layout_opens_the_mapping_step(page, app_url: str, tmp_path: Path) -> None:
    from tests.app.conftest import GENERIC_CRM

    export = tmp_path / "opportunities.csv"
    export.write_text(GENERIC_CRM, encoding="utf-8")
    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Data & linking").click()
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(export))
    page.get_by_text("This export needs a mapping").wait_for()
    wait_for_app(page)
    assert page.get_by_role("button", name="Save this mapping").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, ARTIFACTS / "data_mapping_step.png")


def test_a_chart_downloads_as_a_png_with_its_title(page, app_url: str) -> None:
    """The chart's title is the page's text above it, and the PNG download draws it back in the image."""
    import struct

    page.goto(f"{app_url}/typology")
    wait_for_app(page)
    chart = page.locator(f".{CHART}").last
    title = chart.locator("xpath=preceding-sibling::*[1]").inner_text().strip()
    assert title.startswith("Clients on the two main axes")
    assert chart.locator(".gtitle").count() == 0 or chart.locator(".gtitle").inner_text() == ""
    chart.hover()
    with page.expect_download() as download:
        chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
    assert download.value.suggested_filename == f"{title}.png"
    image = Path(download.value.path()).read_bytes()
    width, height = struct.unpack(">II", image[16:24])  # the PNG's header: its size in pixels
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and height == 450 and width > 600 and len(image) > 20_000
