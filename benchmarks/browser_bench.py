"""Page times as a sales manager feels them: a real `streamlit run` driven by Chromium (Playwright).

What is timed, on a warehouse (the demo one built into a temporary folder unless --db is given):
- fresh start: from launching the server to the Overview drawn in a browser (the server's import
  and start, the first page's load, queries and drawing);
- first visit, per page: a new browser context (a new session, nothing in the browser's cache)
  opens the page's URL; time until the page is idle;
- warm, per page: in one session that has already seen every page, a click on the page in the
  sidebar; time until idle;
- returning browser (--returning): a manager's browser that has opened Crossview before keeps
  Streamlit's scripts in its cache (the server marks them immutable for a year). With such a browser,
  the server is started again on the same port: fresh start, then per page a first visit in a new
  tab (a new session); time until idle;
- several users (--users N): N browser contexts, each on the Overview, change the period at the
  same time (--changes times each, alternating "All time" and "Last 12 months"); the browser's
  time to idle per change, the server's time per rerun (measured inside the app, which appends
  each rerun's duration to $CROSSVIEW_RERUN_LOG), errors, and the server's memory (RSS) after.
"Idle" = the app ran its script for this action (its root's `data-test-script-state` went to
`running` and back to `notRunning`), no skeleton or spinner is left, and the page's title is
drawn. Each figure is the median of --runs (5) runs. The machine's load average is printed
before and after, since six people share its 2 cores.

Chromium: /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking
--disable-component-update --disable-sync; window 1440×900.

Targets (issue 15): on the demo, each page <= 1.0 s warm and <= 2.0 s on first visit; the app
usable <= 5 s after a fresh start; several users: server p95 per rerun <= 1.5 s at 1M deals.

    python benchmarks/browser_bench.py [--db FILE] [--runs 5] [--users 10] [--changes 3]
                                       [--profile DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from app.main import PAGES
from tests.e2e.support import CHART, CHART_DONE, CHART_FAILED, free_port, wait_healthy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1440, "height": 900}
TARGETS = {"first_visit_s": 2.0, "warm_s": 1.0, "fresh_start_s": 5.0, "server_p95_s": 1.5}

# Installed in every page before Streamlit starts: notes when a script run starts and ends.
WATCH_RUNS = """
(() => {
  window.__cvRuns = 0;
  window.__cvRunning = false;
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { requestAnimationFrame(watch); return; }
    // A fast run can flip the state to running and back before the observer is called: every
    // value the attribute took is read from the records (each one's old value, then the current one).
    const note = (records) => {
      const values = records.map(r => r.oldValue).concat([app.getAttribute('data-test-script-state')]);
      for (const value of values.slice(1)) {
        const running = value === 'running';
        if (window.__cvRunning && !running) window.__cvRuns += 1;
        window.__cvRunning = running;
      }
    };
    note([{oldValue: null}]);
    new MutationObserver(note).observe(app, {attributes: true, attributeOldValue: true,
                                             attributeFilter: ['data-test-script-state']});
  };
  watch();
})();
"""
IDLE = """
([runs, title]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || window.__cvRuns < runs || app.getAttribute('data-test-script-state') === 'running') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && status.innerText.trim() !== '') return false;
  // Charts are drawn once the page's Plotly has loaded (app/ui/charts.py), or say they could not be.
  if ([...document.querySelectorAll('.""" + CHART + """')].some(c => !c.matches('""" + CHART_DONE + """'))) return false;
  if (!title) return true;
  return [...document.querySelectorAll('[data-testid="stMain"] h1')].some(h => h.innerText.includes(title));
}
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def rss_mb(pid: int) -> float:
    """Resident memory of the process `pid` and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                                  check=False).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


@contextmanager
def server(db: Path, work: Path, profile: Path | None,
           port: int | None = None) -> Iterator[tuple[str, subprocess.Popen, Path, float]]:
    """`streamlit run app/serve.py` (the app, `app/main.py`) on `db` and `port` (a free one when None);
    yields (url, process, rerun log, seconds until healthy)."""
    port = port or free_port()
    log = work / "reruns.jsonl"
    env = dict(os.environ, CROSSVIEW_DB=str(db), CROSSVIEW_UPLOADS=str(work / "uploads"),
               CROSSVIEW_RERUN_LOG=str(log))
    if profile is not None:
        env["CROSSVIEW_PROFILE"] = str(profile)
    started = time.perf_counter()
    with (work / "streamlit.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "serve.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout=120)
            yield url, proc, log, started
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def pages() -> list[tuple[str, str, str]]:
    """(nav title, URL path, page's own title) of every page, Overview first."""
    own = {"typology.py": "Client typology"}
    return [(title, "" if file == "overview.py" else file.removesuffix(".py"), own.get(file, title))
            for group in PAGES.values() for file, title, _ in group]


async def _idle(pg, runs: int, title: str | None, timeout_ms: int = 180_000) -> None:
    await pg.wait_for_function(IDLE, arg=[runs, title], timeout=timeout_ms, polling=20)
    if await pg.locator(f".{CHART_FAILED}").count():
        raise RuntimeError(f"{pg.url}: a chart could not be drawn, so its time would not count")


async def _runs(pg) -> int:
    return await pg.evaluate("window.__cvRuns")


def _server_runs(log: Path, since: float) -> list[dict[str, object]]:
    if not log.exists():
        return []
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r for r in rows if float(r["at"]) >= since]


async def _tab(browser, returning):
    """A new tab: in the returning browser's context when given (its cache kept), else in a new context."""
    if returning is not None:
        return await returning.new_page()
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(WATCH_RUNS)
    return await context.new_page()


async def _close(pg, returning) -> None:
    await (pg.close() if returning is not None else pg.context.close())


async def fresh_start(browser, url: str, started: float, returning=None) -> float:
    pg = await _tab(browser, returning)
    await pg.goto(url)
    await _idle(pg, 1, "Overview")
    seconds = time.perf_counter() - started
    await _close(pg, returning)
    return seconds


async def returning_browser(browser, url: str):
    """A browser context that has opened every page of the app at `url` once (its cache filled)."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(WATCH_RUNS)
    for _, path, title in pages():
        pg = await context.new_page()
        await pg.goto(f"{url}/{path}")
        await _idle(pg, 1, title)
        await pg.close()
    return context


async def first_start(browser, work: Path) -> dict[str, float]:
    """The very first start: no warehouse yet, so the app builds the demo one in the background. Seconds
    from launching the server to (1) its first page drawn, saying what it waits for (the build's
    progress), and (2) the Overview drawn once the build is over (the page follows the build itself)."""
    db = work / "first" / "crossview.duckdb"
    out: dict[str, float] = {}
    with server(db, work, None) as (url, _, _, started):
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(WATCH_RUNS)
        pg = await context.new_page()
        await pg.goto(url)
        await _idle(pg, 1, "Welcome to Crossview")
        await pg.locator('[data-testid="stProgress"]').first.wait_for(timeout=60_000)
        out["waiting_page_s"] = round(time.perf_counter() - started, 2)
        await pg.locator('[data-testid="stMain"] h1', has_text="Overview").first.wait_for(timeout=300_000)
        await _idle(pg, 0, "Overview")
        out["overview_s"] = round(time.perf_counter() - started, 2)
        await context.close()
    return out


# Where a first visit's time goes, from Chromium's own clock (ms since the navigation started):
# the HTML and script bundle loaded, the app's first script run over, the page idle.
TIMING = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return {dom_ready_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
          resources: resources.length,
          kilobytes: Math.round(resources.reduce((s, r) => s + (r.transferSize || 0), 0) / 1024),
          idle_ms: performance.now()};
}
"""


async def first_visits(browser, url: str, runs: int,
                       returning=None) -> tuple[dict[str, list[float]], dict[str, list[dict]]]:
    out: dict[str, list[float]] = {}
    timings: dict[str, list[dict]] = {}
    for nav, path, title in pages():
        for _ in range(runs):
            pg = await _tab(browser, returning)
            start = time.perf_counter()
            try:
                await pg.goto(f"{url}/{path}")
                await _idle(pg, 1, title)
                out.setdefault(nav, []).append(time.perf_counter() - start)
                timings.setdefault(nav, []).append(await pg.evaluate(TIMING))
            except PlaywrightTimeout:
                out.setdefault(nav, []).append(math.inf)  # counted as slower than any target
            finally:
                await _close(pg, returning)
    return out, timings


async def warm_visits(browser, url: str, runs: int) -> dict[str, list[float]]:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(WATCH_RUNS)
    pg = await context.new_page()
    await pg.goto(url)
    await _idle(pg, 1, "Overview")
    out: dict[str, list[float]] = {}
    listed = pages()
    for round_ in range(runs + 1):  # the first round warms every page; it is not counted
        for nav, _, title in listed:
            before = await _runs(pg)
            start = time.perf_counter()
            await pg.locator('[data-testid="stSidebarNav"] a', has_text=nav).first.click()
            try:
                await _idle(pg, before + 1, title)
                seconds = time.perf_counter() - start
            except PlaywrightTimeout:
                seconds = math.inf
            if round_:
                out.setdefault(nav, []).append(seconds)
    await context.close()
    return out


# The sidebar's period box shows `preset`: the pick reached the app.
PICKED = """
([preset]) => {
  const box = document.querySelector('[data-testid="stSidebar"] [data-testid="stSelectbox"] input');
  return !!box && box.value === preset;
}
"""


# The Overview redrawn for a new period: idle, and its caption (the period it shows) no longer `before`.
# A run that starts and ends between two frames never shows in the script-state attribute, so a change
# is recognised by what the page says, not only by the runs counted.
# The page's first caption: on the Overview, the period it shows.
CAPTION_OF_PAGE = """document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]')"""
REDRAWN = """
([runs, before]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') === 'running') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  const caption = """ + CAPTION_OF_PAGE + """;
  return window.__cvRuns >= runs || (!!caption && caption.innerText !== before);
}
"""
CAPTION = """() => {
  const caption = """ + CAPTION_OF_PAGE + """;
  return caption ? caption.innerText : '';
}"""


async def _pick_period(pg, preset: str, retried: list[str]) -> None:
    """Choose `preset` in the sidebar's period box. Under load a click can land on the list while a
    rerun redraws it and be lost; the pick is then made once more, and counted."""
    for attempt in (1, 2):
        await pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        option = pg.locator('[role="option"]', has_text=preset).first
        await option.wait_for(state="visible", timeout=60_000)
        await option.click()
        try:
            await pg.wait_for_function(PICKED, arg=[preset], timeout=30_000, polling=50)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            retried.append(preset)


async def _one_user(browser, url: str, changes: int, times: list[float], errors: list[str],
                    retried: list[str]) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(WATCH_RUNS)
    pg = await context.new_page()
    try:
        await pg.goto(url)
        await _idle(pg, 1, "Overview", timeout_ms=300_000)
        for i in range(changes):
            preset = "All time" if i % 2 == 0 else "Last 12 months"
            before, caption = await _runs(pg), await pg.evaluate(CAPTION)
            start = time.perf_counter()
            await _pick_period(pg, preset, retried)
            await pg.wait_for_function(REDRAWN, arg=[before + 1, caption], timeout=300_000, polling=20)
            times.append(time.perf_counter() - start)
            if await pg.locator('[data-testid="stException"]').count():
                errors.append("exception shown")
    except PlaywrightError as err:  # a timeout or a crash of one user is counted, not fatal
        errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:120]}; {await _state(pg)}")
    finally:
        await context.close()


async def _state(pg) -> str:
    """What a stuck page shows: its script runs seen, the script state, the status widget's text."""
    try:
        return await pg.evaluate("""() => {
          const app = document.querySelector('[data-testid="stApp"]');
          const status = document.querySelector('[data-testid="stStatusWidget"]');
          const period = document.querySelector('[data-testid="stSidebar"] [data-testid="stSelectbox"] input');
          const busy = document.querySelectorAll('[data-testid="stSkeleton"], [data-testid="stSpinner"]').length;
          const titles = [...document.querySelectorAll('[data-testid="stMain"] h1')].map(h => h.innerText);
          const caption = """ + CAPTION_OF_PAGE + """;
          return `runs ${window.__cvRuns}, script ${app && app.getAttribute('data-test-script-state')}, `
               + `status "${status ? status.innerText.trim() : ''}", period "${period ? period.value : ''}", `
               + `${busy} skeletons or spinners, titles ${JSON.stringify(titles)}, `
               + `page says "${caption ? caption.innerText.slice(0, 80) : ''}"`;
        }""")
    except PlaywrightError as err:
        return f"page state unreadable ({type(err).__name__})"


async def several_users(browser, url: str, users: int, changes: int, log: Path, proc) -> dict[str, object]:
    since = time.time()
    times: list[float] = []
    errors: list[str] = []
    retried: list[str] = []
    await asyncio.gather(*(_one_user(browser, url, changes, times, errors, retried) for _ in range(users)))
    runs = _server_runs(log, since)
    server = sorted(float(r["seconds"]) for r in runs)
    return {
        "users": users, "changes_each": changes, "errors": errors, "picks_retried": len(retried),
        "browser_to_idle_s": _summary(times),
        "server_rerun_s": _summary(server),
        # the CPU time of each rerun's own thread: what of its time was work, not waiting
        "server_rerun_thread_cpu_s": _summary(sorted(float(r["cpu_seconds"]) for r in runs)),
        "server_reruns": [{"ended_s": round(float(r["at"]) - since, 2), "seconds": r["seconds"],
                           "cpu_seconds": r["cpu_seconds"], "page": r["page"]} for r in runs],
        "server_rss_mb": round(rss_mb(proc.pid), 1),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(statistics.median(values), 3), "p95": round(_percentile(values, 0.95), 3),
            "max": round(max(values), 3)}


def _chromium(folder: Path, nice: int) -> str:
    """Chromium's path, or a wrapper in `folder` that starts it at niceness `nice`."""
    if not nice:
        return CHROMIUM
    wrapper = folder / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def bench(db: Path, runs: int, users: int, changes: int, profile: Path | None,
                browser_nice: int = 0, first_start_too: bool = False,
                returning_too: bool = False) -> dict[str, object]:
    from playwright.async_api import async_playwright

    result: dict[str, object] = {"warehouse": str(db), "load_before": load(), "runs": runs,
                                 "browser_nice": browser_nice}
    # The browser is started first: a manager's browser is already open when the app starts.
    async with async_playwright() as p:
        with tempfile.TemporaryDirectory() as tmp:
            browser = await p.chromium.launch(executable_path=_chromium(Path(tmp), browser_nice), headless=True,
                                              args=CHROMIUM_ARGS)
            if first_start_too:
                result["first_start"] = await first_start(browser, Path(tmp))
            port, launched = free_port(), time.time()
            with server(db, Path(tmp), profile, port) as (url, proc, log, started):
                result["server_healthy_s"] = round(time.perf_counter() - started, 2)
                result["fresh_start_s"] = round(await fresh_start(browser, url, started), 2)
                first_run = _server_runs(log, launched)[:1]  # the log also holds the first start's runs
                if first_run:
                    result["fresh_start_server_run_s"] = round(float(first_run[0]["seconds"]), 3)
                    result["fresh_start_server_run_cpu_s"] = round(float(first_run[0]["cpu_seconds"]), 3)
                if runs:
                    result["pages"] = await page_visits(browser, url, runs, log)
                result["server_rss_mb_after_pages"] = round(rss_mb(proc.pid), 1)
                if users:
                    result["several_users"] = await several_users(browser, url, users, changes, log, proc)
                returning = await returning_browser(browser, url) if returning_too else None
            if returning is not None:
                result["returning_browser"] = await returning_visits(browser, returning, db, Path(tmp), port, runs)
            await browser.close()
    result["load_after"] = load()
    return result


async def returning_visits(browser, returning, db: Path, work: Path, port: int, runs: int) -> dict[str, object]:
    """The server started again on the same port, for a browser that has opened the app before: its fresh
    start, and each page's first visit in a new tab (median of `runs`)."""
    again = work / "again"
    again.mkdir()
    with server(db, again, None, port) as (url, _, log, started):
        out: dict[str, object] = {"fresh_start_s": round(await fresh_start(browser, url, started, returning), 2)}
        since = time.time()
        first, _ = await first_visits(browser, url, runs, returning)
        server_runs = _server_runs(log, since)
        out["pages"] = {nav: {"first_visit_s": round(statistics.median(first[nav]), 3),
                              "server_first_s": _median_server(server_runs, nav),
                              "timeouts": sum(math.isinf(v) for v in first[nav])}
                        for nav, _, _ in pages() if nav in first}
    await returning.close()
    return out


async def page_visits(browser, url: str, runs: int, log: Path) -> dict[str, dict[str, object]]:
    """Per page: first visit and warm times (median of `runs`), the server's own run times, the browser's timing."""
    since = time.time()
    first, timings = await first_visits(browser, url, runs)
    first_server = _server_runs(log, since)
    since = time.time()
    warm = await warm_visits(browser, url, runs)
    warm_server = _server_runs(log, since)
    return {
        nav: {"first_visit_s": round(statistics.median(first[nav]), 3),
              "warm_s": round(statistics.median(warm[nav]), 3),
              "server_first_s": _median_server(first_server, nav),
              "server_warm_s": _median_server(warm_server, nav),
              "browser_first": ({k: statistics.median(t[k] for t in timings[nav]) for k in timings[nav][0]}
                                if timings.get(nav) else {}),
              "timeouts": sum(math.isinf(v) for v in first[nav] + warm[nav])}
        for nav, _, _ in pages()}


def _median_server(rows: list[dict[str, object]], nav: str) -> float | None:
    values = [float(r["seconds"]) for r in rows if r["page"] == nav]
    return round(statistics.median(values), 3) if values else None


def print_report(result: dict[str, object]) -> None:
    print(f"warehouse {result['warehouse']}; load average before {result['load_before']}, after {result['load_after']}")
    print(f"fresh start to the Overview drawn: {result['fresh_start_s']} s (server healthy after "
          f"{result['server_healthy_s']} s; its first script run {result.get('fresh_start_server_run_s')} s, "
          f"{result.get('fresh_start_server_run_cpu_s')} s of CPU; target <= {TARGETS['fresh_start_s']} s)")
    if "first_start" in result:
        first = result["first_start"]
        print(f"first start without a warehouse: page saying what it waits for after {first['waiting_page_s']} s, "
              f"Overview after {first['overview_s']} s (the demo built in the background)")
    print(f"{'page':<26}{'first visit':>12}{'warm':>8}{'server 1st':>12}{'server warm':>12}   (median of "
          f"{result['runs']}; targets {TARGETS['first_visit_s']} s / {TARGETS['warm_s']} s)")
    for nav, row in result.get("pages", {}).items():  # type: ignore[union-attr]
        print(f"{nav:<26}{row['first_visit_s']:>12.2f}{row['warm_s']:>8.2f}"
              f"{row['server_first_s'] or float('nan'):>12.2f}{row['server_warm_s'] or float('nan'):>12.2f}")
    print(f"server memory after the pages: {result['server_rss_mb_after_pages']} MB")
    users = result.get("several_users")
    if users:
        print(f"several users: {users}")
    returning = result.get("returning_browser")
    if returning:
        print(f"returning browser, server started again: fresh start {returning['fresh_start_s']} s; first visit "
              "in a new tab: " + ", ".join(f"{nav} {row['first_visit_s']:.2f}"
                                           for nav, row in returning["pages"].items()))


def run(db: Path | None = None, runs: int = 5, users: int = 10, changes: int = 3,
        profile: Path | None = None, browser_nice: int = 0, first_start_too: bool = True,
        returning_too: bool = True) -> dict[str, object]:
    """Every figure above as a dict (for benchmarks/run_all.py); the demo warehouse when `db` is None."""
    with tempfile.TemporaryDirectory() as tmp:
        if db is None:
            from report_bench import demo_db

            db = demo_db(Path(tmp))
        return asyncio.run(bench(db, runs, users, changes, profile, browser_nice, first_start_too, returning_too))


def _ok(value: float | None, target: float) -> str:
    return "–" if value is None else f"{value:.2f}{'' if value <= target else ' ✗'}"


def markdown(f: dict) -> str:
    """The figures as a markdown table per measure, each beside its target (✗ = target missed)."""
    lines = [(f"Load average (1, 5, 15 min) before: {f['load_before']}, after: {f['load_after']}. "
             f"Fresh start to the Overview drawn: **{f['fresh_start_s']} s** (server healthy after "
             f"{f['server_healthy_s']} s; target ≤ {TARGETS['fresh_start_s']:g} s)."
             + (f" First start without a warehouse: the page saying what it waits for after "
                f"**{f['first_start']['waiting_page_s']} s**, the Overview after {f['first_start']['overview_s']} s "
                "(the demo warehouse built in the background)." if "first_start" in f else "")), "",
             ("| page | first visit (s) | first visit, returning browser (s) | warm (s) | server run, first (s) "
              "| server run, warm (s) | first visit: HTML and scripts ready (s) |"),
             "|---|---|---|---|---|---|---|"]
    returning = f.get("returning_browser") or {"pages": {}}
    if "fresh_start_s" in returning:
        lines[0] += (f" With a returning browser (its cache kept from an earlier visit), the server started again: "
                     f"Overview drawn after **{returning['fresh_start_s']} s**.")
    for nav, row in f.get("pages", {}).items():
        ready = row.get("browser_first", {}).get("dom_ready_ms")
        again = returning["pages"].get(nav, {}).get("first_visit_s")
        lines.append(f"| {nav} | {_ok(row['first_visit_s'], TARGETS['first_visit_s'])} | "
                     f"{_ok(again, TARGETS['first_visit_s'])} | "
                     f"{_ok(row['warm_s'], TARGETS['warm_s'])} | {_ok(row['server_first_s'], 99)} | "
                     f"{_ok(row['server_warm_s'], 99)} | {_ok(None if ready is None else ready / 1000, 99)} |")
    lines += ["", (f"Medians of {f['runs']} runs; targets: first visit ≤ {TARGETS['first_visit_s']:g} s, "
              f"warm ≤ {TARGETS['warm_s']:g} s. Server memory after the pages: {f['server_rss_mb_after_pages']} MB.")]
    users = f.get("several_users")
    if users:
        b, s_, c = users["browser_to_idle_s"], users["server_rerun_s"], users["server_rerun_thread_cpu_s"]
        lines += ["", (f"Several users: {users['users']} Chromium contexts on the same machine, each changing the "
                  f"period {users['changes_each']} times at once: browser time to idle p50 {b.get('p50')} s, "
                  f"p95 {b.get('p95')} s (n = {b.get('n')}); server time per rerun p50 {s_.get('p50')} s, "
                  f"p95 {s_.get('p95')} s (n = {s_.get('n')}; target ≤ {TARGETS['server_p95_s']:g} s at 1M deals), "
                  f"of which CPU time of the rerun's thread p50 {c.get('p50')} s, p95 {c.get('p95')} s; "
                  f"{len(users['errors'])} errors; server memory {users['server_rss_mb']} MB.")]
    return "\n".join(lines)


def _package(filename: str) -> str:
    """Which part of the stack a profiled function belongs to."""
    for name in ("streamlit", "plotly", "pandas", "numpy", "duckdb", "pyarrow", "scipy", "sklearn"):
        if f"/{name}/" in filename:
            return name
    if str(ROOT) in filename:
        return Path(filename).relative_to(ROOT).parts[0] + "/"
    return "builtins" if filename.startswith(("~", "<")) else "other"


def profile_summary(folder: Path, top: int = 15) -> str:
    """Own time (tottime) of every profiled rerun in `folder`, per package and per function."""
    import pstats

    files = sorted(folder.glob("*.prof"))
    if not files:
        return "no profile"
    stats = pstats.Stats(str(files[0]))
    for extra in files[1:]:
        stats.add(str(extra))
    by_package: dict[str, float] = {}
    rows = []
    for (filename, line, name), (_, _, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] = by_package.get(_package(filename), 0.0) + tottime
        rows.append((cumtime, tottime, f"{Path(filename).name}:{line} {name}", filename))
    total = sum(by_package.values())
    lines = [f"{len(files)} reruns profiled, {total:.1f} s of own time in all:"]
    lines += [f"  {name:<12}{seconds:8.2f} s {seconds / total:6.1%}"
              for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])]
    lines.append(f"slowest functions by cumulative time (s), of {ROOT.name}'s code and the libraries:")
    lines += [f"  {cum:8.2f} {own:8.2f}  {where}" for cum, own, where, _ in sorted(rows, reverse=True)[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="warehouse to serve (default: the demo, built now)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--users", type=int, default=10, help="browser sessions changing filters at once (0: skip)")
    parser.add_argument("--changes", type=int, default=3, help="filter changes per user")
    parser.add_argument("--profile", type=Path, help="folder for a cProfile of every server rerun")
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    parser.add_argument("--no-first-start", action="store_true",
                        help="skip the very first start (no warehouse: the demo one is built in the background)")
    parser.add_argument("--no-returning", action="store_true",
                        help="skip the returning browser (the server started again for a browser that has "
                             "opened the app before)")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="run Chromium at this niceness (19: the server gets the CPU first, as when the "
                             "browsers are on the managers' own machines)")
    args = parser.parse_args()
    result = run(args.db, args.runs, args.users, args.changes, args.profile, args.browser_nice,
                 not args.no_first_start, not args.no_returning)
    print_report(result)
    if args.profile:
        print(profile_summary(args.profile))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
