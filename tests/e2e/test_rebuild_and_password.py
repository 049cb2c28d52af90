"""In a browser: a session whose filters a rebuild left behind keeps working, and the shared password
protects downloads (issue 16).

- Rebuild then click: a page opened on a custom period of the demo data; the warehouse is rebuilt (as
  another session's upload would) from an export of other years; the next click resets the period
  with a notice instead of "This app has encountered an error".
- Password: before signing in nothing can be downloaded; once signed in the page holds no /media
  address until a download is clicked; the file then exists only until the session's next runs; a
  reload keeps the browser signed in (the session cookie), a new browser asks again.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import ARTIFACTS, CHROMIUM, running_app, screenshot, wait_for_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed"),
]

PASSWORD = "a long shared phrase"


def _no_error(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.get_by_text("This app has encountered an error").count() == 0


@pytest.fixture
def own_db(e2e_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "wh" / "crossview.duckdb"
    db.parent.mkdir()
    shutil.copy(e2e_db, db)
    return db


def test_a_rebuild_with_other_dates_under_an_open_page_then_a_click(page, own_db: Path, tmp_path: Path) -> None:
    from core.warehouse import build

    crm = tmp_path / "old_deals.csv"
    crm.write_text("Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date\n"
                   "1,A,Acme,1000,won,Ann,2015-01-02,2015-02-01\n2,B,Beta,2000,open,Ann,2015-03-02,\n",
                   encoding="utf-8")
    with running_app(own_db, tmp_path / "uploads", tmp_path / "streamlit.log") as url:
        page.goto(f"{url}/?period=Custom&from=2025-02-01&to=2025-05-31")
        wait_for_app(page)
        _no_error(page)
        # Another session rebuilds the warehouse: its data is two deals of 2015.
        build(crm=crm, bo=None, db=tmp_path / "new" / "crossview.duckdb")
        os.replace(tmp_path / "new" / "crossview.duckdb", own_db)
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="CRM pipeline").click()
        wait_for_app(page)
        _no_error(page)
        page.get_by_text("no longer covers the chosen period").wait_for()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, ARTIFACTS / "rebuild_then_click.png")
        # The period follows the new data: the next clicks work too.
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Overview").click()
        wait_for_app(page)
        _no_error(page)


@pytest.fixture
def password_app(e2e_db: Path, tmp_path: Path) -> Iterator[str]:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(f'[access]\npassword = "{PASSWORD}"\n', encoding="utf-8")
    with running_app(e2e_db, tmp_path / "uploads", tmp_path / "streamlit.log",
                     options=["--secrets.files", str(secrets_file)]) as url:
        yield url


def _media(pg) -> list[str]:
    """The app's media addresses in the page (not the static fonts under ./static/media/)."""
    return re.findall(r'(?<!static)/media/[0-9a-f]+\.\w+', pg.content())


def _sign_in(pg, url: str) -> None:
    pg.goto(url)
    pg.get_by_label("Password", exact=True).fill(PASSWORD)
    pg.get_by_role("button", name="Enter").click()
    pg.locator('[data-testid="stSidebarNav"]').wait_for()
    wait_for_app(pg)


def test_password_mode_keeps_downloads_behind_the_sign_in(browser, password_app: str) -> None:
    url = password_app
    visitor = browser.new_context()
    stranger = visitor.new_page()
    stranger.goto(url)
    stranger.get_by_label("Password", exact=True).wait_for()
    wait_for_app(stranger)
    assert stranger.get_by_role("button", name=re.compile("Download CSV")).count() == 0
    assert not _media(stranger)

    user = browser.new_context(accept_downloads=True)
    pg = user.new_page()
    pg.set_default_timeout(60_000)
    _sign_in(pg, url)
    pg.locator('[data-testid="stSidebarNav"] a').filter(has_text="Clients").first.click()
    wait_for_app(pg)
    button = pg.get_by_role("button", name=re.compile("Download CSV")).first
    button.wait_for()
    assert not _media(pg), "no download address exists before a click"
    with pg.expect_download() as download:
        button.click()
    media = download.value.url
    assert "/media/" in media and download.value.path().read_bytes().startswith(b"\xef\xbb\xbf")

    # A reload keeps the browser signed in (the session cookie) and runs the page again, twice.
    pg.reload()
    pg.locator('[data-testid="stSidebarNav"]').wait_for()
    wait_for_app(pg)
    assert pg.get_by_label("Password", exact=True).count() == 0
    pg.locator('[data-testid="stSidebarNav"] a').filter(has_text="Overview").click()
    wait_for_app(pg)
    assert visitor.request.get(media).status == 404, "the download's address is gone after the next runs"

    # Another browser (no cookie) is asked for the password; a forged cookie does not sign it in.
    other = browser.new_context()
    other.add_cookies([{"name": "crossview_access", "value": "1.abc.0000", "url": url}])
    fresh = other.new_page()
    fresh.goto(url)
    fresh.get_by_label("Password", exact=True).wait_for()
    _no_error(fresh)
    for context in (visitor, user, other):
        context.close()
