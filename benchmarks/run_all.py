"""Run every benchmark and write docs/benchmarks.md: one table per benchmark, with targets.

Each benchmark's `run()` runs in its own child process (peak-memory figures stay its own) and
its figures are saved to benchmarks/out/<name>_bench.json; `--only` reruns some benchmarks and takes
the others' figures from their last saved run (the table says when and under what load each
was measured). Order: the scale build first with --keep, so that the report and pages benchmarks
find its 1M-deal warehouse; the demo warehouse is built once, into a temporary folder, with its
forecast models trained, and shared by the train, report and pages benchmarks.

    python benchmarks/run_all.py [--scale 300] [--quick] [--only build link report train pages browser]

--quick is a smoke run: scale 1, small linking sizes, one repeat, demo warehouse only; its figures
go to benchmarks/out/*_quick.json and benchmarks/out/benchmarks_quick.md, never to docs/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
OUT = BENCH / "out"
DOC = ROOT / "docs" / "benchmarks.md"
NAMES = ("build", "link", "train", "report", "pages", "browser")

# Runs `<module>.run(**kwargs)` in a child; "db" arrives as text and becomes a Path; with
# "no_scale", the warehouses of >= 1M deals are not looked for (a smoke run stays small).
CHILD = """
import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import importlib
module = importlib.import_module(sys.argv[3])
kwargs = json.loads(sys.argv[4])
if kwargs.pop("no_scale", False):
    module.scale_dbs = lambda: []
if kwargs.get("db"):
    kwargs["db"] = Path(kwargs["db"])
Path(sys.argv[5]).write_text(json.dumps(module.run(**kwargs), default=str), encoding="utf-8")
"""


def _child(module: str, **kwargs: object) -> dict:
    """`module.run(**kwargs)` in a child process, with when and under what load it ran."""
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    print(f"[{started}] {module} {kwargs} (load {load:.1f})", flush=True)
    # The figures come back through a file: stdout is the benchmark's own (progress, profiles).
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "figures.json"
        proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(BENCH), module, json.dumps(kwargs),
                               str(result)], cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{module} failed:\n{proc.stderr[-3000:]}")
        figures = json.loads(result.read_text(encoding="utf-8"))
    return dict(figures, measured_at=started, load=round(load, 1))


def _saved(name: str, scale: float, quick: bool) -> Path:
    # The build's figures share the file build_bench.py's own main() writes (one per scale).
    return OUT / (f"build_bench_{scale:g}.json" if name == "build" else f"{name}_bench{'_quick' * quick}.json")


def _row(measure: str, value: str, target: str = "", met: bool | None = None) -> str:
    return f"| {measure} | {value} | {target} | {'' if met is None else ('yes' if met else 'no')} |"


def _table(rows: list[str]) -> list[str]:
    return ["| measure | value | target | met |", "|---|---|---|---|", *rows, ""]


def _when(f: dict) -> str:
    if "load" not in f:
        return f"Measured by the benchmark's own command, written {f['measured_at']} (load not recorded)."
    return f"Measured {f['measured_at']}, load average {f['load']} at the start."


def build_section(f: dict) -> list[str]:
    rows = f.get("rows_written") or {}
    ratio, naive = f["clean_s"] / f["bare_s"], f["naive_extrapolated_s"] / f["clean_s"]
    derive = f.get("derive_s") or 0.0
    return [f"## Build at scale {f['scale']:g}", "", _when(f) + " `python benchmarks/build_bench.py --scale "
            f"{f['scale']:g} --keep`.", "", *_table([
                _row("CRM deals", f"{rows.get('deals', 0):,}", "≥ 1,000,000", rows.get("deals", 0) >= 1_000_000),
                _row("pipeline events", f"{rows.get('pipeline_events', 0):,}", "≥ 5,000,000",
                     rows.get("pipeline_events", 0) >= 5_000_000),
                _row("build wall time (read, clean, link, derived tables, load)", f"{f['build_s']:.1f} s", "≤ 90 s",
                     f["build_s"] <= 90),
                _row("build peak memory", f"{f['build_peak_gb']:.2f} GB", "≤ 6 GB", f["build_peak_gb"] <= 6),
                _row("build without linking or derived tables (read, clean, load)", f"{f['clean_s']:.1f} s"),
                _row("bare DuckDB read_csv of the same files", f"{f['bare_s']:.1f} s"),
                _row("read, clean, load / bare read", f"{ratio:.2f}x", "≤ 3x", ratio <= 3),
                _row("derived analytics tables (their step in the full build)", f"{derive:.1f} s"),
                _row("read, clean, load and derived tables / bare read", f"{(f['clean_s'] + derive) / f['bare_s']:.2f}x"),
                _row(f"naive pandas cleaning ({f['naive_rows']:,} rows timed, extrapolated)",
                     f"{f['naive_extrapolated_s']:.0f} s"),
                _row("naive pandas / ours (without linking)", f"{naive:.1f}x", "≥ 5x", naive >= 5)])]


def link_section(f: dict) -> list[str]:
    return [f"## Linking {f['crm_strings']:,.0f} CRM company names to {f['clients']:,.0f} BO clients", "",
            _when(f) + " `python benchmarks/link_bench.py`.", "", *_table([
                _row("wall time", f"{f['seconds']:.1f} s", "≤ 30 s", f["seconds"] <= 30),
                _row("peak memory", f"{f['peak_mb']:,.0f} MB", "≤ 2,048 MB", f["peak_mb"] <= 2048),
                _row("true pairs kept by blocking", f"{f['blocking_recall']:.2%}", "≥ 98%",
                     f["blocking_recall"] >= 0.98),
                _row("precision of auto links", f"{f['auto_precision']:.2%}"),
                _row("recall of auto links", f"{f['auto_recall']:.2%}"),
                _row("share sent to review", f"{f['review_share']:.2%}")])]


def train_section(f: dict) -> list[str]:
    return ["## Model training (demo warehouse)", "", _when(f) + " `python benchmarks/train_bench.py`.", "",
            *_table([_row("training wall time (median)", f"{f['train_wall_s']:.1f} s", "< 60 s",
                          f["train_wall_s"] < 60),
                     _row("forecast inputs", f"{f['forecast_inputs_s']:.2f} s"),
                     _row("one scenario", f"{f['scenario_ms']:.2f} ms", "< 1,000 ms", f["scenario_ms"] < 1000)])]


def report_section(f: dict) -> list[str]:
    rows = []
    for r in f["report"]:
        measure = f"JSON report, {r['scale']} warehouse ({r['deals']:,} deals), filters: {r['filters']}"
        if "target_s" in r:
            sign = "≤" if r["scale"] == "1M" else "<"
            rows.append(_row(measure, f"{r['median_s']:.2f} s", f"{sign} {r['target_s']:g} s", bool(r["ok"])))
        else:
            rows.append(_row(measure, f"{r['median_s']:.2f} s"))
    if not f["scale_found"]:
        rows.append(_row("JSON report at 1M deals", "not run (no 1M warehouse)", "≤ 10 s"))
    return ["## JSON report", "", _when(f) + " `python benchmarks/report_bench.py` (median of runs after a "
            "warm-up).", "", *_table(rows)]


def pages_section(f: dict) -> list[str]:
    sys.path[:0] = [str(ROOT), str(BENCH)]
    from pages_bench import markdown

    return ["## Pages and filtered queries", "", _when(f) + " `python benchmarks/pages_bench.py`: each page "
            "opened from `app/main.py` in Streamlit's `AppTest`, first with empty result caches and the "
            "default filters, then with the team filter changed to one team (a new value each time).", "",
            markdown(f)]


def browser_section(f: dict) -> list[str]:
    sys.path[:0] = [str(ROOT), str(BENCH)]
    from browser_bench import markdown

    return ["## Pages in a real browser (Chromium)", "", _when(f) + " `python benchmarks/browser_bench.py`: "
            "a `streamlit run` of the app on the demo warehouse driven by Playwright in Chromium (1440×900); "
            "time from the action to the page idle (its script run over, no skeleton or spinner, its title "
            "drawn). First visit: a new browser session opens the page's address; warm: a click in the "
            "sidebar of a session that has seen every page. Server run: the script's own time, measured "
            "inside the app (`CROSSVIEW_RERUN_LOG`).", "", markdown(f), ""]


SECTIONS = {"build": build_section, "link": link_section, "train": train_section, "report": report_section,
            "pages": pages_section, "browser": browser_section}


def write_doc(figures: dict[str, dict], commands: list[str], doc: Path = DOC) -> None:
    """`doc` (docs/benchmarks.md) from the figures of each benchmark (missing ones: "not run yet")."""
    lines = ["# Benchmarks", "",
             ("Speed and memory of Crossview at scale, measured on a machine with 2 CPU cores shared with "
              "other work: the one-minute load average at the start of each benchmark is given, and "
              "figures taken above a load of 2 are pessimistic. Written by "
              f"`python benchmarks/run_all.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."), "",
             "Commands:", "", "```bash", *commands, "```", ""]
    for name in NAMES:
        if name in figures:
            lines += SECTIONS[name](figures[name])
        else:
            lines += [f"## {name.capitalize()}", "", "Not run yet.", ""]
    doc.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def run(scale: float = 300, quick: bool = False, only: tuple[str, ...] = NAMES) -> dict[str, dict]:
    """Run the benchmarks in `only`, reuse the saved figures of the others; returns all figures.

    A benchmark that fails is reported on stderr and the others still run; its last saved
    figures, if any, stay in the page with the date they were measured.
    """
    OUT.mkdir(parents=True, exist_ok=True)
    scale = 1 if quick else scale
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        demo = str(Path(tmp) / "crossview.duckdb")
        runs = {
            "build": lambda: _child("build_bench", scale=scale, pandas_rows=20_000 if quick else 200_000, keep=True),
            "link": lambda: _child("link_bench", **({"n_queries": 5000, "n_clients": 2000} if quick else {})),
            "train": lambda: _child("train_bench", db=demo, repeat=repeat),
            "report": lambda: _child("report_bench", db=demo, repeat=repeat, no_scale=quick),
            "pages": lambda: _child("pages_bench", db=demo, repeat=repeat, no_scale=quick),
            "browser": lambda: _child("browser_bench", db=demo, runs=1 if quick else 5, users=2 if quick else 10),
        }
        if any(name in only for name in ("train", "report", "pages", "browser")):
            sys.path[:0] = [str(ROOT), str(BENCH)]
            from report_bench import demo_db

            from core.model.train import train_and_save

            train_and_save(demo_db(Path(tmp)))  # so the Forecast page draws its charts
        for name in NAMES:
            if name in only:
                try:
                    figures = runs[name]()
                except RuntimeError as err:
                    print(err, file=sys.stderr)
                    continue
                _saved(name, scale, quick).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    figures = {}
    for name in NAMES:
        path = _saved(name, scale, quick)
        if path.exists():
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
            figures[name] = {"measured_at": written, **json.loads(path.read_text(encoding="utf-8"))}
    return figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=300, help="demo scale of the build benchmark (300: 1M deals)")
    p.add_argument("--quick", action="store_true", help="smoke run: small sizes, one repeat")
    p.add_argument("--only", nargs="*", choices=NAMES, default=list(NAMES),
                   help="benchmarks to rerun (none: rewrite the page from the saved figures)")
    args = p.parse_args()
    start = time.perf_counter()
    figures = run(args.scale, args.quick, tuple(args.only))
    scale = 1 if args.quick else args.scale
    commands = [f"python benchmarks/run_all.py --scale {scale:g}   # every benchmark below, then this file",
                f"python benchmarks/build_bench.py --scale {scale:g} --keep",
                "python benchmarks/link_bench.py", "python benchmarks/train_bench.py",
                "python benchmarks/report_bench.py", "python benchmarks/pages_bench.py",
                "python benchmarks/browser_bench.py"]
    doc = OUT / "benchmarks_quick.md" if args.quick else DOC
    write_doc(figures, commands, doc)
    print(f"wrote {doc} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
