"""Uploads over `server.maxUploadSize` are refused with a message, by the page and by the server.

The app is started with a 1 MB limit on the command line (the shipped config says 200 MB), so a
~2 MB export is over it. The warehouse must not change and nothing may be written to the uploads.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import ARTIFACTS, CHROMIUM, running_app, screenshot, wait_for_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed"),
]

LIMIT_MB = 1


@pytest.fixture(scope="module")
def limited_app(e2e_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app with a 1 MB upload limit; yields its URL and its uploads folder."""
    folder = tmp_path_factory.mktemp("upload_limit")
    uploads = folder / "uploads"
    with running_app(e2e_db, uploads, folder / "streamlit.log",
                     options=["--server.maxUploadSize", str(LIMIT_MB)]) as url:
        yield url, uploads


@pytest.fixture(scope="module")
def big_export(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo HubSpot export with its rows written three times: a real layout, about 2 MB."""
    raw = (demo_dir / "crm" / "hubspot_deals.csv").read_bytes()
    header, _, rows = raw.partition(b"\n")
    path = tmp_path_factory.mktemp("big") / "hubspot_deals_2mb.csv"
    path.write_bytes(header + b"\n" + rows * 3)
    assert 1.8e6 < path.stat().st_size < 2.5e6
    return path


def _fingerprint(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def _open_upload_step(pg, url: str) -> None:
    pg.goto(url)
    wait_for_app(pg)
    pg.locator('[data-testid="stSidebarNav"] a', has_text="Data & linking").click()
    wait_for_app(pg)
    pg.locator('[data-testid="stFileUploader"]').first.wait_for()


def _no_error_shown(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in pg.locator('[data-testid="stApp"]').inner_text()


def test_a_file_over_the_limit_is_refused_and_changes_nothing(page, limited_app, big_export: Path,
                                                                e2e_db: Path) -> None:
    url, uploads = limited_app
    before = _fingerprint(e2e_db)
    _open_upload_step(page, url)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/_stcore/upload_file/" in r.url else None)

    uploaders = page.locator('[data-testid="stFileUploader"]')
    # Before any upload, each drop zone states the limit.
    assert f"{LIMIT_MB}MB per file" in uploaders.nth(1).inner_text()
    uploader = uploaders.first
    uploader.locator('input[type="file"]').set_input_files(str(big_export))
    chip = uploader.locator('[data-testid="stFileChip"]')
    chip.wait_for()
    # The file is marked in error, announced to screen readers, and the message shows on hover.
    assert chip.get_attribute("aria-invalid") == "true"
    assert chip.locator('[data-testid="stFileChipIconError"]').is_visible()
    assert uploader.get_by_role("alert").inner_text() == f"Error: File must be {LIMIT_MB}.0MB or smaller."
    wait_for_app(page)
    chip.hover()
    tooltip = page.get_by_role("tooltip").filter(has_text=f"File must be {LIMIT_MB}.0MB or smaller.")
    tooltip.wait_for()
    # Wait for its fade-in to end, so the screenshot shows what the user reads.
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload_over_limit.png"))  # as is: growing the window drops the hover
    _no_error_shown(page)
    assert sent == [], "the browser never sends a file over the limit"
    assert page.get_by_role("button", name=re.compile("Rebuild the warehouse from these files")).is_disabled()
    assert not (uploads / "crm").exists() or not any((uploads / "crm").iterdir())
    assert _fingerprint(e2e_db) == before


def test_the_server_refuses_a_file_over_the_limit_sent_without_the_page(page, limited_app, big_export: Path,
                                                                        demo_dir: Path, e2e_db: Path) -> None:
    """The browser's check can be skipped by a script: the server enforces the limit itself (HTTP 413)."""
    url = limited_app[0]
    before = _fingerprint(e2e_db)
    _open_upload_step(page, url)
    # Learn this session's upload address and XSRF token from a legitimate small upload.
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as info:
        page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(
            str(demo_dir / "crm" / "hubspot_deals.csv"))
    legit = info.value
    session_url = legit.url.rsplit("/", 1)[0]
    headers = {k: v for k, v in legit.headers.items() if k.lower() == "x-xsrftoken"}
    content = big_export.read_bytes()
    response = page.request.put(f"{session_url}/forged-file-id", headers=headers, fail_on_status_code=False,
                                multipart={"file": {"name": "big.csv", "mimeType": "text/csv", "buffer": content}})
    assert response.status == 413, (response.status, response.text()[:200])
    small = page.request.put(f"{session_url}/small-file-id", headers=headers, fail_on_status_code=False,
                             multipart={"file": {"name": "small.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}})
    assert small.status in (200, 204), "the same request under the limit is accepted: the 413 is the size"
    assert _fingerprint(e2e_db) == before
    wait_for_app(page)
    _no_error_shown(page)


def test_a_file_under_the_limit_is_accepted(page, limited_app, demo_dir: Path, e2e_db: Path) -> None:
    url, uploads = limited_app
    export = demo_dir / "crm" / "hubspot_deals.csv"
    assert export.stat().st_size < LIMIT_MB * 1024 * 1024
    before = _fingerprint(e2e_db)
    _open_upload_step(page, url)
    page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(str(export))
    # The app read it: the next step (column mapping) says what it found.
    page.get_by_text(re.compile(r"Read hubspot_deals\.csv: [\d,]+ rows")).wait_for()
    wait_for_app(page)
    _no_error_shown(page)
    assert page.get_by_text(re.compile("or smaller")).count() == 0
    assert (uploads / "crm" / "hubspot_deals.csv").read_bytes() == export.read_bytes()
    assert _fingerprint(e2e_db) == before, "uploading alone does not rebuild"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, ARTIFACTS / "upload_under_limit.png")
