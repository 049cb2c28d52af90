"""The fee and fill models, the revenue forecast and its scenarios.

- `features`: what is known of a job at opening (or at a later date), without future rows.
- `train`: `train_and_save(db, progress)` trains, evaluates against baselines, backtests and
  stores the models beside the warehouse; `model_report(db)` gives the report's `model` key.
- `store`: `load(db)`, `is_stale(db)`, `read_card(db)`, `warehouse_checksum(con)`.
- `forecast`: `forecast_inputs(con, bundle)` (cached outputs), `forecast(con, bundle, scenario)`,
  `forecast_report(con, bundle)`, `open_jobs_predictions(con, filters, bundle)`.
- `scenarios`: `Scenario`, `apply_scenario(inputs, scenario)`, `jobs_needed(inputs, scenario)`.
"""

from core.model.store import is_stale, load

__all__ = ["is_stale", "load"]
