"""The JSON report's speed: full and filtered, on the demo warehouse and at the 1M-deal scale.

Times `core.report.build_report` (every analysis of the report, JSON-ready) on:
- the demo warehouse (built from data/demo into a temporary folder unless --db is given):
  the full report, and a filtered one (the last 12 months before the as-of date, one team);
- every warehouse under benchmarks/out/ holding at least 1M CRM deals (the scale build of the
  build benchmark), full and filtered.
Each figure is the median of --repeat runs after one warm-up run (the first query on a fresh
connection pays DuckDB's start-up); `cpu_s` is the process CPU time of a run (all DuckDB threads),
which a busy machine inflates less than wall time. --profile prints the most expensive calls.

Targets (2 cores): filtered report on the demo warehouse < 1 s; full report at 1M deals ≤ 10 s.

    python benchmarks/report_bench.py [--db FILE] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.filters import Filters
from core.metrics.common import as_of, filter_options
from core.report import build_report
from core.warehouse import build, connect

DEMO = ROOT / "data" / "demo"
SCALE_DIR = ROOT / "benchmarks" / "out"
SCALE_DEALS = 1_000_000
TARGET_FILTERED_DEMO_S = 1.0
TARGET_FULL_1M_S = 10.0


def demo_db(folder: Path) -> Path:
    """Build the demo warehouse from data/demo into `folder`."""
    db = folder / "crossview.duckdb"
    build(crm=DEMO / "crm" / "hubspot_deals.csv", bo=DEMO / "bo", db=db)
    return db


def narrow_filters(con) -> Filters:
    """The last 12 months before the as-of date, for the first team (a typical manager's view)."""
    now = as_of(con)
    teams = filter_options(con)["teams"]
    return Filters(date_from=now - timedelta(days=364) if now else None, date_to=now, teams=tuple(teams[:1]))


def time_report(db: Path, filters: Filters, repeat: int, profile: bool = False) -> dict[str, object]:
    """Median and min seconds of `build_report(con, filters, db)` over `repeat` runs after a warm-up."""
    with connect(db) as con:
        build_report(con, filters, db_path=db)
        runs, cpu = [], []
        profiler = cProfile.Profile() if profile else None
        for _ in range(repeat):
            if profiler:
                profiler.enable()
            start, start_cpu = time.perf_counter(), time.process_time()
            build_report(con, filters, db_path=db)
            runs.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            if profiler:
                profiler.disable()
        deals = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
        events = con.execute("SELECT COUNT(*) FROM pipeline_events").fetchone()[0]
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue(), file=sys.stderr)
    return {"db": str(db), "deals": deals, "events": events, "filters": _describe(filters),
            "median_s": round(statistics.median(runs), 3), "min_s": round(min(runs), 3),
            "cpu_s": round(statistics.median(cpu), 3), "runs": len(runs)}


def _describe(f: Filters) -> str:
    if f == Filters():
        return "none (full report)"
    parts = [f"{f.date_from}..{f.date_to}"] if f.date_from or f.date_to else []
    parts += [f"team {t}" for t in f.teams]
    return ", ".join(parts)


def scale_dbs() -> list[Path]:
    """Warehouses under benchmarks/out/ with at least 1M deals."""
    found = []
    for db in sorted(SCALE_DIR.glob("**/*.duckdb")) if SCALE_DIR.exists() else []:
        try:
            with connect(db) as con:
                if con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] >= SCALE_DEALS:
                    found.append(db)
        except (duckdb.Error, OSError):  # a half-written or foreign file is not a benchmark warehouse
            continue
    return found


def run(db: Path | None = None, repeat: int = 3, profile: bool = False) -> dict[str, object]:
    """Every figure of the benchmark, with its target and whether it is met."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = db or demo_db(Path(tmp))
        with connect(demo) as con:
            narrow = narrow_filters(con)
        full = time_report(demo, Filters(), repeat, profile)
        filtered = time_report(demo, narrow, repeat, profile)
        filtered["target_s"] = TARGET_FILTERED_DEMO_S
        filtered["ok"] = filtered["median_s"] < TARGET_FILTERED_DEMO_S
        results += [dict(full, scale="demo"), dict(filtered, scale="demo")]
    for big in scale_dbs():
        with connect(big) as con:
            narrow = narrow_filters(con)
        full = time_report(big, Filters(), max(1, repeat // 2), profile)
        full["target_s"] = TARGET_FULL_1M_S
        full["ok"] = full["median_s"] <= TARGET_FULL_1M_S
        results += [dict(full, scale="1M"), dict(time_report(big, narrow, max(1, repeat // 2)), scale="1M")]
    return {"report": results, "scale_found": any(r["scale"] == "1M" for r in results)}


def markdown(result: dict[str, object]) -> str:
    """The figures as a markdown table (for docs/benchmarks.md)."""
    lines = ["| warehouse | deals | events | filters | median (s) | CPU (s) | target |",
             "|---|---|---|---|---|---|---|"]
    for r in result["report"]:
        target = ""
        if "target_s" in r:
            sign = "≤" if r["scale"] == "1M" else "<"
            target = f"{sign} {r['target_s']} s ({'met' if r['ok'] else 'MISSED'})"
        lines.append(f"| {r['scale']} | {r['deals']:,} | {r['events']:,} | {r['filters']} | {r['median_s']} "
                     f"| {r['cpu_s']} | {target} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="time this warehouse instead of building the demo one")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile", action="store_true", help="print the 25 most expensive calls to stderr")
    args = p.parse_args()
    result = run(Path(args.db) if args.db else None, args.repeat, args.profile)
    print(json.dumps(result, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
