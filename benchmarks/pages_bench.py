"""Page render times in Streamlit's AppTest, and the slowest filtered metric query.

For each page of the app's navigation (`app.main.PAGES`), the app is run from its entry file
(`app/main.py`) in `streamlit.testing.v1.AppTest` against a warehouse, then:
- cold: every `st.cache_data` result is cleared, then the switch to the page is timed (default
  filters: the last 12 months); the read-only connection is already open and Python modules are
  imported (one untimed pass over every page first), so this is a first visit on a running server;
- filter change: the sidebar's team filter is set to one team, a different one each time, and
  the rerun is timed; the median is what a user feels when narrowing the view.
Warehouses: the demo one (built from data/demo into a temporary folder, with the forecast models
trained so the Forecast page draws its charts, unless --db is given) and every warehouse under
benchmarks/out/ with at least 1M CRM deals (the build benchmark's --keep).

Queries: every registered metric function (`core.metrics.glossary.functions()`) that takes
filters is called with a narrow filter (one team, the last 12 months before the as-of date); the
median of --repeat runs after a warm-up, slowest first.

Targets (2 cores): every page <= 1 s on the demo warehouse, <= 3 s at 1M deals; the slowest
filtered query <= 300 ms at 1M deals.

    python benchmarks/pages_bench.py [--db FILE] [--repeat 3] [--no-scale]
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
# Without a server, Streamlit warns that there is no runtime on every cache creation and outside
# script runs; each run re-applies the config's log level, so these two loggers are disabled.
for name in ("caching.cache_data_api", "scriptrunner_utils.script_run_context"):
    logging.getLogger(f"streamlit.runtime.{name}").disabled = True

import streamlit as st
from report_bench import demo_db, narrow_filters, scale_dbs
from streamlit.testing.v1 import AppTest

from app.main import PAGES
from core.metrics.common import filter_options
from core.metrics.glossary import functions
from core.model.store import read_card
from core.model.train import train_and_save
from core.warehouse import connect

ENTRY = str(ROOT / "app" / "main.py")
TEAMS_KEY = "flt_teams"
TARGET_PAGE_S = {"demo": 1.0, "1M": 3.0}
TARGET_QUERY_S = 0.3


def _timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return seconds


def time_pages(db: Path, teams: list[str], repeat: int) -> list[dict[str, object]]:
    """Per page: cold render (default filters) and the median of `repeat` one-team filter changes."""
    os.environ["CROSSVIEW_DB"] = str(db)
    at = AppTest.from_file(ENTRY, default_timeout=600)
    _timed_run(at)
    rows = []
    for group, pages in PAGES.items():
        for file, title, _ in pages:
            at.multiselect(key=TEAMS_KEY).set_value([])  # back to the default filters
            st.cache_data.clear()
            at.switch_page(f"../pages/{file}")
            row: dict[str, object] = {"page": title, "group": group or "Overview"}
            try:
                row["cold_s"] = round(_timed_run(at), 3)
                changes = []
                for i in range(repeat):
                    at.multiselect(key=TEAMS_KEY).set_value([teams[i % len(teams)]])
                    changes.append(_timed_run(at))
                row["filter_change_s"] = round(statistics.median(changes), 3)
            except RuntimeError as err:  # a page that fails is reported, not hidden
                row["error"] = str(err).splitlines()[0][:200]
            rows.append(row)
    return rows


def _extra_args(con) -> dict[str, object]:
    """Values for the metric arguments without a default: an objective, and the busiest client."""
    client = con.execute("SELECT client_id FROM jobs GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1").fetchone()
    return {"objective_eur": 150_000.0, "client_id": client[0] if client else ""}


def time_queries(db: Path, repeat: int) -> list[dict[str, object]]:
    """Every registered metric taking filters, narrow filter, median seconds; slowest first."""
    rows = []
    with connect(db) as con:
        narrow, extra = narrow_filters(con), _extra_args(con)
        for _, fn in functions():
            params = list(inspect.signature(fn).parameters.values())
            if len(params) < 2 or params[1].name not in ("f", "filters"):
                continue
            kwargs = {p.name: extra[p.name] for p in params[2:] if p.default is p.empty}
            fn(con, narrow, **kwargs)  # warm-up
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                fn(con, narrow, **kwargs)
                runs.append(time.perf_counter() - start)
            rows.append({"function": f"{fn.__module__.split('.')[-1]}.{fn.__name__}",
                         "median_s": round(statistics.median(runs), 4)})
    return sorted(rows, key=lambda r: -r["median_s"])


def _measure(db: Path, scale: str, repeat: int) -> dict[str, object]:
    with connect(db) as con:
        teams = filter_options(con)["teams"]
        deals = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
    pages = time_pages(db, teams, repeat)
    for row in pages:
        row["ok"] = "error" not in row and max(row["cold_s"], row["filter_change_s"]) <= TARGET_PAGE_S[scale]
    return {"scale": scale, "db": str(db), "deals": deals, "model": read_card(db) is not None, "pages": pages,
            "queries": time_queries(db, repeat)}


def run(db: Path | None = None, repeat: int = 3, scale: bool = True) -> dict[str, object]:
    """Every figure: pages and queries on the demo warehouse and on each 1M-deal warehouse found."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CROSSVIEW_UPLOADS", str(Path(tmp) / "uploads"))  # the app writes nothing else
        demo = db
        if demo is None:
            demo = demo_db(Path(tmp))
            train_and_save(demo)
        with connect(demo) as con:
            teams = filter_options(con)["teams"]
        time_pages(demo, teams, 1)  # untimed: imports every page's modules
        results.append(_measure(demo, "demo", repeat))
        for big in scale_dbs() if scale else []:
            results.append(_measure(big, "1M", repeat))
    return {"warehouses": results, "scale_found": any(r["scale"] == "1M" for r in results)}


def markdown(result: dict[str, object], slowest: int = 5) -> str:
    """Per warehouse: a page table and the slowest filtered queries (for docs/benchmarks.md)."""
    lines = []
    for w in result["warehouses"]:
        target = TARGET_PAGE_S[w["scale"]]
        model = "trained" if w["model"] else "not trained: the Forecast page shows only its objective calculator"
        lines += [(f"Pages on the {w['scale']} warehouse ({w['deals']:,} deals; forecast models {model}), "
                   "AppTest, seconds:"), "",
                  "| page | first visit (cold) | filter change (median) | target | met |", "|---|---|---|---|---|"]
        for p in w["pages"]:
            if "error" in p:
                lines.append(f"| {p['page']} | error: {p['error']} | | ≤ {target:g} s | no |")
            else:
                lines.append(f"| {p['page']} | {p['cold_s']:.2f} | {p['filter_change_s']:.2f} | ≤ {target:g} s "
                             f"| {'yes' if p['ok'] else 'no'} |")
        lines += ["", (f"Slowest filtered queries on the {w['scale']} warehouse (one team, last 12 months), "
                       "median ms:"), "", "| function | ms | target | met |", "|---|---|---|---|"]
        for q in w["queries"][:slowest]:
            met = ("yes" if q["median_s"] <= TARGET_QUERY_S else "no") if w["scale"] == "1M" else "n/a"
            target = f"≤ {TARGET_QUERY_S * 1000:.0f} ms" if w["scale"] == "1M" else "(at 1M only)"
            lines.append(f"| {q['function']} | {q['median_s'] * 1000:.0f} | {target} | {met} |")
        lines.append("")
    if not result["scale_found"]:
        lines.append("1M warehouse: not run (no warehouse with ≥ 1M deals under benchmarks/out/).")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="time this warehouse instead of building the demo one")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-scale", action="store_true", help="skip the 1M-deal warehouses")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    result = run(Path(args.db) if args.db else None, args.repeat, not args.no_scale)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
