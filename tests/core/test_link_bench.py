"""The linking benchmark runs (tiny size here; the full run is `python benchmarks/link_bench.py`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "link_bench.py"


def test_link_bench_small_run():
    spec = importlib.util.spec_from_file_location("link_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.run(n_queries=1500, n_clients=600, seed=1)
    assert figures["crm_strings"] == 1500 and figures["clients"] == 600
    assert figures["blocking_recall"] >= 0.98
    assert figures["auto_precision"] >= 0.98
