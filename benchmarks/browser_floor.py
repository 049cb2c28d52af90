"""The floor under any page's first visit: a trivial Streamlit app timed exactly like browser_bench.py.

Throw-away apps are written to a temporary folder and served by `streamlit run`: a title and a line of
text; a title and a three-bar Plotly chart; the same bars drawn by Streamlit's own `st.bar_chart`
(Vega-Lite); a title and a three-row table. A new Chromium context (nothing cached)
opens each one `--runs` times; the time from the navigation to idle (browser_bench's IDLE) is reported.
What a page of the app takes beyond these figures is the app's own.

    python benchmarks/browser_floor.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_bench import CHROMIUM, CHROMIUM_ARGS, IDLE, VIEWPORT, WATCH_RUNS, load

from tests.e2e.support import free_port, wait_healthy

APPS = {
    "title and text": 'import streamlit as st\nst.title("Floor")\nst.write("Nothing but a title and a line.")\n',
    "title and one Plotly chart": (
        "import plotly.graph_objects as go\nimport streamlit as st\nst.title(\"Floor\")\n"
        "st.plotly_chart(go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2])))\n"),
    # Streamlit's own charts draw with Vega-Lite, another bundle: what a first visit would cost without Plotly.
    "title and one Vega-Lite chart": (
        "import pandas as pd\nimport streamlit as st\nst.title(\"Floor\")\n"
        "st.bar_chart(pd.DataFrame({\"x\": [1, 2, 3], \"y\": [3, 1, 2]}), x=\"x\", y=\"y\")\n"),
    "title and one table": (
        "import pandas as pd\nimport streamlit as st\nst.title(\"Floor\")\n"
        "st.dataframe(pd.DataFrame({\"x\": [1, 2, 3], \"y\": [3, 1, 2]}))\n"),
}


async def _first_visits(url: str, runs: int) -> list[float]:
    from playwright.async_api import async_playwright

    seconds = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = await browser.new_context(viewport=VIEWPORT)
            await context.add_init_script(WATCH_RUNS)
            page = await context.new_page()
            start = time.perf_counter()
            await page.goto(url)
            await page.wait_for_function(IDLE, arg=[1, "Floor"], timeout=120_000, polling=20)
            seconds.append(time.perf_counter() - start)
            await context.close()
        await browser.close()
    return seconds


def run(runs: int) -> dict[str, list[float]]:
    """First-visit seconds of each trivial app, `runs` times each."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in APPS.items():
            script = Path(tmp) / "floor.py"
            script.write_text(source, encoding="utf-8")
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, proc)
                out[name] = asyncio.run(_first_visits(url, runs))
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before {load()}")
    for name, seconds in run(args.runs).items():
        print(f"{name:30s} first visit median {statistics.median(seconds):.2f} s "
              f"({', '.join(f'{s:.2f}' for s in seconds)})")
    print(f"load average after {load()}")


if __name__ == "__main__":
    main()
