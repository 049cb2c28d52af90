"""Model training speed on the demo warehouse, and the figures of the model card.

Builds the demo warehouse from data/demo into a temporary folder (unless --db is given), then
times `core.model.train.train_and_save` (features, time-split fit, evaluation with permutation
importances, 12-origin revenue backtest, refit on all closed jobs, save) --repeat times and
reports the median wall time and process CPU time, the time to compute the forecast inputs and
to apply a scenario (what the Forecast page does), the test-period metrics against the
simple rules (with 95 % bootstrap intervals and which of model or rule the product uses), and the
revenue backtest (calibrated and uncalibrated errors, next 3 months vs seasonal naive, level
calibration, interval by horizon).

Target (2 cores): full training < 60 s; a scenario well under 1 s.

    python benchmarks/train_bench.py [--db FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.model.forecast import forecast_inputs
from core.model.scenarios import Scenario, apply_scenario
from core.model.store import load
from core.model.train import train_and_save
from core.warehouse import build, connect

DEMO = ROOT / "data" / "demo"


def _timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def run(db: Path, repeat: int) -> dict:
    """Train `repeat` times on `db`; time the forecast and a scenario; return the figures."""
    walls, cpus, card = [], [], {}
    for _ in range(repeat):
        wall, cpu, card = _timed(lambda: train_and_save(db))
        walls.append(wall)
        cpus.append(cpu)
    bundle = load(db)
    with connect(db) as con:
        inputs_s, _, inputs = _timed(lambda: forecast_inputs(con, bundle))
    scenario = Scenario(
        jobs_opened_factor=1.2, mer_to_placement_rate=0.09, fee_factor=1.1, monthly_objective=150000
    )
    scenario_s, _, _ = _timed(lambda: [apply_scenario(inputs, scenario) for _ in range(100)])
    return {
        "train_wall_s": round(statistics.median(walls), 1),
        "train_cpu_s": round(statistics.median(cpus), 1),
        "forecast_inputs_s": round(inputs_s, 2),
        "scenario_ms": round(scenario_s * 10, 2),
        "rows": card["rows"],
        "train_period": card["train_period"],
        "test_period": card["test_period"],
        "fee": {k: v for k, v in card["fee"].items()},
        "fill": {k: v for k, v in card["fill"].items() if "reliability" not in k},
        "fill_stage": {k: v for k, v in card["fill_stage"].items() if "reliability" not in k},
        "use": card["use"],
        "expected_by_month": {k: card["expected_by_month"][k] for k in ("mae", "baseline_mae")},
        "backtest": {
            k: card["backtest"][k]
            for k in (
                "mae",
                "mae_uncalibrated",
                "seasonal_naive_mae",
                "mae_3m",
                "seasonal_naive_mae_3m",
                "booked_mae",
                "pairs",
                "calibration",
                "calibration_by_origin",
                "residual_q10",
                "residual_q50",
                "residual_q90",
                "uncalibrated_residual_q10",
                "uncalibrated_residual_q50",
                "uncalibrated_residual_q90",
                "interval",
                "by_horizon",
            )
        },
        "top_drivers": {
            "fee": [d["feature"] for d in card["importances"]["fee"][:5]],
            "fill": [d["feature"] for d in card["importances"]["fill"][:5]],
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="an existing warehouse (default: build the demo one in a temporary folder)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    if args.db:
        result = run(Path(args.db), args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "crossview.duckdb"
            build(crm=DEMO / "crm" / "hubspot_deals.csv", bo=DEMO / "bo", db=db)
            result = run(db, args.repeat)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
