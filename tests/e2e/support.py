"""What the browser tests share: where Chromium is, its flags, the planted HTML name, waiting for a run,
and starting the app with its own settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HTML_NAME = 'Zoé <img src=x onerror="document.title=\'pwned\'"> Martin'
# A chart's box (`app/ui/charts.py`), and what it is once drawn or failed.
CHART = "crossview-chart"
CHART_FAILED = "crossview-chart-failed"
CHART_DONE = f".js-plotly-plot, .{CHART_FAILED}"
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
    # Charts are drawn once the page's Plotly has loaded (`app/ui/charts.py`), or say they could not be.
    pg.wait_for_function(f"() => [...document.querySelectorAll('.{CHART}')].every(c => c.matches('{CHART_DONE}'))")
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


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Poll Streamlit's health endpoint until it answers `ok` (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


@contextmanager
def running_app(db: Path, uploads: Path, log: Path, options: Sequence[str] = (), port: int | None = None,
                env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app/serve.py` (the app, `app/main.py`) on the warehouse `db`, with extra command-line `options`; yields its URL.

    Args:
        db: the warehouse file (CROSSVIEW_DB); uploads: the uploads folder (CROSSVIEW_UPLOADS).
        log: where the server's output goes (read it when a test fails).
        options: Streamlit settings for this run only, e.g. `["--server.maxUploadSize", "1"]`.
        port: the port to listen on (a free one when None).
        env: extra environment variables.
    """
    port = port or free_port()
    full_env = dict(os.environ, CROSSVIEW_DB=str(db), CROSSVIEW_UPLOADS=str(uploads), **(env or {}))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "serve.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *options],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
