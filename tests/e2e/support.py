"""What the browser tests share: where Chromium is, its flags, the planted HTML name, waiting for a run."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HTML_NAME = 'Zoé <img src=x onerror="document.title=\'pwned\'"> Martin'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]


def wait_for_app(pg) -> None:
    """Wait until Streamlit has finished running the script and drawn its output."""
    pg.wait_for_selector('[data-testid="stApp"]', state="attached")
    # The app root says whether the script is running; a rerun may start just after a click.
    pg.wait_for_timeout(300)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached",
                         timeout=120_000)
    pg.wait_for_function("() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0")
    pg.wait_for_timeout(300)


def screenshot(pg, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main area, so the window is grown to fit it first."""
    height = pg.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return main ? main.scrollHeight : document.body.scrollHeight;
    }""")
    width = pg.viewport_size["width"]
    pg.set_viewport_size({"width": width, "height": max(800, min(int(height) + 40, 8000))})
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size({"width": width, "height": 1000})
