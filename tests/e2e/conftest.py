"""A real `streamlit run` of the app on a free port, driven by Playwright in Debian's Chromium.

The app reads a warehouse built in a temporary folder from a copy of the demo exports in
which one coach's name holds HTML, so the browser can check that data is shown as text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, HTML_NAME, running_app


@pytest.fixture(scope="session")
def e2e_inputs(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    """The demo exports, copied, with HTML planted in one coach's name."""
    import csv
    import io

    out = tmp_path_factory.mktemp("e2e_inputs")
    shutil.copytree(demo_dir / "crm", out / "crm")
    shutil.copytree(demo_dir / "bo", out / "bo")
    staff_file = out / "bo" / "staff.csv"
    raw = staff_file.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1252"
    text = raw.decode(encoding)
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    name_at, role_at = header.index("name"), header.index("role")
    coach = next(r for r in rows[1:] if r[role_at].strip().lower() == "coach")
    coach[name_at] = HTML_NAME
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    staff_file.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    return out


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory, e2e_inputs: Path) -> Path:
    from core.warehouse import build

    db = tmp_path_factory.mktemp("e2e_wh") / "crossview.duckdb"
    build(crm=e2e_inputs / "crm" / "hubspot_deals.csv", bo=e2e_inputs / "bo", db=db)
    return db


@pytest.fixture(scope="session")
def app_url(e2e_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the app (`app/serve.py`) against the e2e warehouse; stop it at the end."""
    with running_app(e2e_db, tmp_path_factory.mktemp("e2e_uploads"),
                     tmp_path_factory.mktemp("e2e_log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path: Path):
    # A French manager's browser: the app's default words and formats follow its language.
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True, locale="fr-FR")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
