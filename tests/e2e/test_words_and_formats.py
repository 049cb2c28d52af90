"""Every page in business words and French formats, as a sales manager sees it in Chromium.

Visible text (the page's HTML and its charts' SVG text) must hold no snake_case name, no
"None"/"nan", and no unformatted number (1,000 or more without a separator, more than two
decimals). The French CSV download must open into columns with `;` and decimal commas and hold
the table's numbers. Table cells are drawn on a canvas: their formats are checked by the unit
tests of `core.tables` and here through the CSV.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.support import ARTIFACTS, CHROMIUM, screenshot, wait_for_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed"),
]

# snake_case words, except inside a path or a file name (`pipeline_events.csv`).
SNAKE = re.compile(r"(?<![/\\.\w])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b(?![/\\]|\.\w)")
MISSING_WORDS = re.compile(r"\b(?:None|nan|NaN|NaT)\b")
# 4+ digits in a row that are not a year (1900-2099) and not part of a word or a longer number.
BARE_THOUSANDS = re.compile(r"(?<![\w.,/\-:])(?!(?:19|20)\d\d\b)\d{4,}(?![\w/\-:])")
# A number with 3+ digits after a decimal mark (French: a comma; a dot there is English or raw).
LONG_DECIMALS = re.compile(r"\d[.,]\d{3,}")
# An amount written the English way, the euro sign first (French: `1 234 €`, also on a chart's axis).
EURO_FIRST = re.compile(r"€[ \u00a0\u202f]?-?\d")
# A decimal written the English way (French: `0,55`); the dots of a dotted name or a file are not numbers.
ENGLISH_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
# A percentage written the English way, its sign glued to the number (French: `12,3 %`).
GLUED_PERCENT = re.compile(r"\d%")
# A month named in English on a chart (`Nov 2025`; French: `nov. 2025`).
ENGLISH_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")

def _visible_text(pg) -> str:
    """The main area's visible text, one line per text node, then its charts' SVG text, one line per
    label line; icons (Material Symbols ligatures such as `keyboard_arrow_right`) are left out."""
    return pg.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const lines = [];
        const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const parent = node.parentElement;
            if (!parent || parent.closest('svg') || !node.textContent.trim()) continue;
            if (!parent.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
            if (getComputedStyle(parent).fontFamily.includes('Material')) continue;
            lines.push(node.textContent);
        }
        // Plotly writes a multi-line label as <tspan>s of one <text>: one line each.
        for (const t of main.querySelectorAll('svg text')) {
            const parts = t.querySelectorAll('tspan.line');
            lines.push(parts.length ? [...parts].map(l => l.textContent).join('\\n') : t.textContent);
        }
        return lines.join('\\n');
    }""")


def _chart_text(pg, titles: bool = True) -> str:
    """The text of the main area's charts (axes, legends, labels; titles unless told), one line per text element."""
    return pg.evaluate("""(titles) => [...document.querySelectorAll('[data-testid="stMain"] svg text')]
        .filter(t => titles || !t.matches('.gtitle, .xtitle, .ytitle, [class*="xtitle"], [class*="ytitle"]'))
        .map(t => t.textContent).join('\\n')""", titles)


def chart_problems(text: str, numbers: str = "") -> list[str]:
    """What in a chart's `text` is not in French formats (beyond `problems`): months named in English;
    in its `numbers` (ticks, labels, legends: not the titles, whose prose is English, `95% interval`),
    percentages with their sign glued."""
    return sorted({f"month in English: {m.group(0)!r}" for m in ENGLISH_MONTH.finditer(text)}
                  | {f"percent sign glued: {numbers[max(0, m.start() - 10):m.end()]!r}"
                     for m in GLUED_PERCENT.finditer(numbers)})


def problems(text: str) -> list[str]:
    """What in `text` is not in business words or French formats."""
    found = []
    for pattern, what in ((SNAKE, "snake_case"), (MISSING_WORDS, "missing value"),
                          (BARE_THOUSANDS, "no thousands separator"), (LONG_DECIMALS, "more than 2 decimals"),
                          (EURO_FIRST, "euro sign before the amount"), (ENGLISH_DECIMAL, "decimal point")):
        found += [f"{what}: {m.group(0)!r} in {text[max(0, m.start() - 25):m.end() + 15]!r}"
                  for m in pattern.finditer(text)]
    return sorted(set(found))


def test_the_checks_catch_what_they_name() -> None:
    found = [p.split(" in ")[0] for p in problems("fill_rate 4381 None 21.453k 7.773 €10300 AUC 0.55")]
    assert sorted(found) == [
        "decimal point: '0.55'", "decimal point: '7.773'", "euro sign before the amount: '€1'",
        "missing value: 'None'", "more than 2 decimals: '1.453'", "more than 2 decimals: '7.773'",
        "no thousands separator: '10300'", "no thousands separator: '4381'", "snake_case: 'fill_rate'"]
    assert [p.split(" in ")[0] for p in problems("€500k")] == ["euro sign before the amount: '€5'"]
    assert problems("/tmp/e2e_uploads0/x and pipeline_events.csv") == []
    assert problems("e2e_uploads0/") == []
    assert chart_problems("Nov 2025\nmars 2026\nMonth") == ["month in English: 'Nov 2025'"]
    assert chart_problems("nov. 2025\njanv. 2026\nmai 2026", "12,3\u202f%\n35\u202f%") == []
    assert chart_problems("", "Taux\n35%") == ["percent sign glued: 'Taux\\n35%'"]
    assert problems("Chiffre d'affaires : 1\u202f234\u202f€, 12,3\u202f%, 02/12/2026, nov. 2026, 2026, 500k\u202f€") == []


def _pages() -> list[tuple[str, str]]:
    from app.main import PAGES

    return [(file, title) for group in PAGES.values() for file, title, _ in group]


@pytest.mark.parametrize(("file", "title"), _pages())
def test_page_reads_in_business_words_and_french_formats(page, app_url: str, file: str, title: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    wait_for_app(page)
    if file == "forecast.py":
        # The forecast's chart and model card are drawn once the models, trained in the background, are ready.
        page.get_by_text("Training the models").wait_for(state="detached", timeout=300_000)
        wait_for_app(page)
        assert page.get_by_text("Model card").count() and page.locator(".js-plotly-plot").count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, ARTIFACTS / f"words_{Path(file).stem}.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    found = problems(_visible_text(page)) + chart_problems(_chart_text(page), _chart_text(page, titles=False))
    # Every other tab of the page too: a tab's content is drawn only once it is opened.
    tabs = page.locator('[data-testid="stMain"] [role="tab"]')
    for i in range(1, tabs.count()):
        name = tabs.nth(i).inner_text().strip()
        tabs.nth(i).click()
        wait_for_app(page)
        screenshot(page, ARTIFACTS / f"words_{Path(file).stem}_tab{i}.png")
        assert page.locator('[data-testid="stException"]').count() == 0, f"{title}, {name}"
        found += [f"{name}: {p}" for p in problems(_visible_text(page)) + chart_problems(_chart_text(page), _chart_text(page, titles=False))]
    assert found == [], f"{title}: {found}"


def test_french_csv_opens_into_columns_and_holds_the_table(page, app_url: str, e2e_db: Path) -> None:
    from core.metrics.common import as_of
    from core.metrics.seasonality import monthly_activity
    from core.warehouse import connect
    from tests.app.pages_support import default_filters

    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Seasonality").click()
    wait_for_app(page)
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0]
    assert problems(header) == [] and header.count(";") == 5, header
    csv = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(csv.columns) == ["Mois", "Postes ouverts", "Placements", "Chiffre d'affaires (€)",
                                 "Honoraires placés (€)", "Statut"]
    with connect(e2e_db) as con:
        assert as_of(con) is not None
        expected = monthly_activity(con, default_filters(con))
    assert csv["Mois"].tolist() == expected["month"].dt.strftime("%d/%m/%Y").tolist()
    assert csv["Postes ouverts"].tolist() == expected["jobs_opened"].tolist()
    assert csv["Chiffre d'affaires (€)"].round(2).tolist() == expected["revenue"].round(2).tolist()
    assert csv["Honoraires placés (€)"].round(2).tolist() == expected["booked"].round(2).tolist()


@pytest.mark.parametrize(("browser_locale", "opening"), [("en-US", "Turnover: "), ("fr-FR", "Chiffre d'affaires"),
                                                         ("de-DE", "Chiffre d'affaires")])
def test_the_default_words_follow_the_browser_language(browser, app_url: str, browser_locale: str,
                                                       opening: str) -> None:
    # No $CROSSVIEW_LOCALE on this server: English for an English browser, French for a French one and
    # for any other language (the agency's own).
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale=browser_locale)
    try:
        pg = context.new_page()
        pg.goto(app_url)
        wait_for_app(pg)
        headline = pg.locator('[data-testid="stMain"] h4').first.inner_text()
        assert headline.startswith(opening), headline
    finally:
        context.close()
