"""Warehouse build at scale: wall time, rows/s, peak memory, against a bare DuckDB read and naive pandas.

Generates the demo exports with `core.demo.generate` at `--scale` (300 gives over 1M CRM deals
and 5M pipeline events) into benchmarks/out/scale_<X>/ — or reuses them when that folder already
holds a complete data set (its truth/patterns.json is written last); `--reuse` refuses to
generate (generation at scale 300 takes minutes) — then measures, each in its own child
process so that peak memory (max RSS) is the step's own:

1. the build (`core.warehouse.build`: read, clean, link, load, derived tables, row accounts), and
   the build without linking and without the analytics' derived tables (reading + cleaning +
   loading, the part the 3x target is about; the derived tables' time in the full build is
   reported beside it);
2. a bare DuckDB `read_csv` of the same files into a database (auto-detected dialect, all
   columns as text, no cleaning): the floor any loader pays;
3. the same cleaning written naively in pandas (row-wise `apply` for dates, numbers and labels,
   Python loops for duplicates), on the first `--pandas-rows` rows of each file, its rows/s
   extrapolated to the full files (labelled as such).

Targets (2 cores, issue 2/7): build <= 90 s, <= 6 GB peak, build <= 3x the bare read,
ours >= 5x faster than naive pandas.

    python benchmarks/build_bench.py [--scale 300] [--seed 42] [--pandas-rows 200000] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"

BUILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
if sys.argv[5] == "nolink":
    # Read, clean and load only: neither the linking nor the analytics' derived tables.
    import core.warehouse as w
    w.link_all = lambda con, overrides, crm_only: None
    w.create_derived_tables = lambda con: None
from core.warehouse import build, connect
t = time.perf_counter()
summary = build(crm=Path(sys.argv[2]), bo=Path(sys.argv[3]), db=Path(sys.argv[4]))
seconds = time.perf_counter() - t
with connect(Path(sys.argv[4])) as con:
    steps = dict(con.execute("SELECT name, value FROM build_log WHERE kind = 'timing' "
                             "AND name IN ('clean', 'link', 'derive')").fetchall())
print(json.dumps({"seconds": seconds, "rows_in": sum(f["rows_in"] for f in summary["files"]), "steps": steps}))
"""

BARE = """
import json, sys, time
from pathlib import Path
import duckdb
files = json.loads(sys.argv[1])
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
rows = 0
for i, (path, encoding) in enumerate(files):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?, all_varchar = true, encoding = ?, "
                "null_padding = true, ignore_errors = true, strict_mode = false)", [path, encoding])
    rows += con.execute(f"SELECT COUNT(*) FROM t{i}").fetchone()[0]
con.execute("CHECKPOINT")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows}))
"""

NAIVE = r'''
import json, re, sys, time
import pandas as pd
files, limit = json.loads(sys.argv[1]), int(sys.argv[2])
NULLS = {"", "n/a", "na", "null", "-", "none", "#n/a"}
STAGES = {"closed won": "won", "closedwon": "won", "gagné": "won", "won": "won", "closed lost": "lost",
          "closedlost": "lost", "perdu": "lost", "lost": "lost"}

def nz(v):
    return None if v is None or (isinstance(v, float) and v != v) or str(v).strip().lower() in NULLS \
        else str(v).strip()

def num(v):
    v = nz(v)
    if v is None:
        return None
    s = re.sub(r"[\s\u00a0€%k]|eur", "", v.lower()).replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None

def date(v):
    v = nz(v)
    if v is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return pd.to_datetime(v, format=fmt).date()
        except (ValueError, TypeError):
            pass
    return None

t = time.perf_counter()
rows = 0
for path, encoding, sep, skip in files:
    df = pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, skiprows=skip, nrows=limit,
                     on_bad_lines="skip", engine="python")
    rows += len(df)
    issues = []
    for col in df.columns:
        lname = col.lower()
        if "date" in lname or lname.endswith("_at"):
            df[col] = df[col].apply(date)
        elif lname in ("amount", "fee_eur", "salary_k", "fee_rate", "minutes", "hourly_cost_eur", "employees"):
            df[col] = df[col].apply(num)
        elif "stage" in lname:
            df[col] = df[col].apply(lambda v: STAGES.get(str(nz(v)).lower(), nz(v)))
        else:
            df[col] = df[col].apply(nz)
    for _, row in df.iterrows():
        for col, value in row.items():
            if value is None:
                issues.append((col, "missing"))
    seen = set()
    keep = []
    for rec in df.itertuples(index=False):
        key = tuple(rec)
        keep.append(key not in seen)
        seen.add(key)
    df = df[keep]
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows}))
'''


def _measured(code: str, *args: str) -> tuple[dict, float, float]:
    """Run `code` in a grandchild Python; returns (its JSON output, wall seconds, peak RSS in GB).

    RUSAGE_CHILDREN's max RSS is the largest child so far, so each measure runs under a fresh
    wrapper process that reports its own child's peak.
    """
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run([sys.executable, '-c'] + sys.argv[1:], capture_output=True, text=True, check=False)\n"
        "wall = time.perf_counter() - t\n"
        "if p.returncode:\n"
        "    sys.stderr.write(p.stderr); sys.exit(p.returncode)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024\n"
        "print(json.dumps({'out': json.loads(p.stdout.strip().splitlines()[-1]), 'wall': wall, 'peak_gb': peak}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, code, *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["out"], result["wall"], result["peak_gb"]


def _files(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, int]]]:
    crm = data / "crm" / "hubspot_deals.csv"
    bo = sorted((data / "bo").glob("*.csv"))
    # DuckDB reads UTF-8, UTF-16 and strict latin-1 only: the cp1252 BO files are read as UTF-8 with
    # errors ignored (the floor of parsing the same bytes, not a correct load).
    bare = [(str(crm), "utf-8")] + [(str(p), "utf-8") for p in bo]
    naive = [(str(crm), "utf-8-sig", ",", 0)] + [(str(p), "cp1252", ";", 1 if p.stem == "activities" else 0)
                                                   for p in bo]
    return bare, naive


def run(scale: float, seed: int = 42, pandas_rows: int = 200_000, keep: bool = False, reuse: bool = False) -> dict:
    """Generate (if needed), build and measure; returns the figures.

    Args:
        reuse: only reuse existing data: fail instead of generating when there is none.
    """
    data = OUT / f"scale_{scale:g}"
    marker = data / "truth" / "patterns.json"
    figures: dict[str, object] = {"scale": scale, "data_reused": marker.exists()}
    if not marker.exists():
        if reuse:
            raise SystemExit(f"--reuse: no complete demo data in {data} (missing {marker.name}).")
        from core.demo import generate

        t = time.perf_counter()
        generate(data, seed=seed, scale=scale)
        figures["generate_s"] = time.perf_counter() - t
    truth = json.loads(marker.read_text(encoding="utf-8"))
    figures["rows_written"] = truth.get("rows_written")
    db = OUT / f"bench_{scale:g}.duckdb"
    out, wall, peak = _measured(BUILD, str(ROOT), str(data / "crm" / "hubspot_deals.csv"), str(data / "bo"),
                                str(db), "link")
    figures.update(build_s=wall, build_inner_s=out["seconds"], build_peak_gb=peak, rows_in=out["rows_in"],
                   link_s=out["steps"].get("link"), derive_s=out["steps"].get("derive"))
    # Into its own file: the kept warehouse (--keep) is the full, linked build.
    nolink_db = OUT / f"bench_{scale:g}_nolink.duckdb"
    out, wall, peak = _measured(BUILD, str(ROOT), str(data / "crm" / "hubspot_deals.csv"), str(data / "bo"),
                                str(nolink_db), "nolink")
    nolink_db.unlink(missing_ok=True)
    figures.update(clean_s=out["seconds"], clean_peak_gb=peak)
    bare, naive = _files(data)
    bare_db = OUT / f"bare_{scale:g}.duckdb"
    bare_db.unlink(missing_ok=True)
    out, wall, peak = _measured(BARE, json.dumps(bare), str(bare_db))
    figures.update(bare_s=out["seconds"], bare_rows=out["rows"], bare_peak_gb=peak)
    bare_db.unlink(missing_ok=True)
    out, wall, peak = _measured(NAIVE, json.dumps(naive), str(pandas_rows))
    naive_rate = out["rows"] / out["seconds"]
    figures.update(naive_rows=out["rows"], naive_s=out["seconds"], naive_rate=naive_rate,
                   naive_extrapolated_s=figures["rows_in"] / naive_rate, naive_peak_gb=peak)
    if not keep:
        db.unlink(missing_ok=True)
    return figures


def markdown(f: dict) -> str:
    """The figures as a markdown table."""
    rows_in = f["rows_in"]
    lines = [f"Build benchmark, demo scale {f['scale']:g} ({rows_in:,} input rows), 2 cores.", "",
             "| measure | value | target |", "|---|---|---|",
             f"| build wall time (read, clean, link, load) | {f['build_s']:.1f} s | ≤ 90 s |",
             f"| build rows/s | {rows_in / f['build_s']:,.0f} | |",
             f"| build peak memory | {f['build_peak_gb']:.2f} GB | ≤ 6 GB |",
             f"| build without linking or derived tables (read, clean, load) | {f['clean_s']:.1f} s | |",
             f"| bare DuckDB read_csv of the same files | {f['bare_s']:.1f} s | |",
             f"| ratio read, clean, load / bare read | {f['clean_s'] / f['bare_s']:.2f}x | ≤ 3x |",
             f"| derived tables (in the full build) | {f['derive_s']:.1f} s | |",
             (f"| ratio read, clean, load and derived tables / bare read | "
              f"{(f['clean_s'] + f['derive_s']) / f['bare_s']:.2f}x | |"),
             f"| ratio full build / bare read | {f['build_s'] / f['bare_s']:.1f}x | |",
             (f"| naive pandas cleaning ({f['naive_rows']:,} rows measured, extrapolated) | "
              f"{f['naive_extrapolated_s']:.0f} s | |"),
             f"| naive pandas / ours (without linking) | {f['naive_extrapolated_s'] / f['clean_s']:.1f}x | ≥ 5x |"]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=300)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--pandas-rows", type=int, default=200_000)
    p.add_argument("--keep", action="store_true", help="keep the built warehouse")
    p.add_argument("--reuse", action="store_true",
                   help="use the demo data already in benchmarks/out/scale_<X>/; never generate it")
    args = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    figures = run(args.scale, args.seed, args.pandas_rows, args.keep, args.reuse)
    text = markdown(figures)
    (OUT / f"build_bench_{args.scale:g}.md").write_text(text, encoding="utf-8")
    (OUT / f"build_bench_{args.scale:g}.json").write_text(json.dumps(figures, indent=2, default=str))
    print(text)


if __name__ == "__main__":
    main()
