"""What-if scenarios on the revenue forecast, recomputed from cached model outputs (no retraining).

A scenario changes the learned assumptions:

* `jobs_opened_factor`: jobs opened per month relative to the learned seasonal rate (1.2 = +20 %).
* `pitch_to_mer_rate`, `mer_to_placement_rate`: the funnel rates; a job's fill probability is
  scaled by new rate / learned rate (the funnel is multiplicative: expected placements per job =
  pitches × pitch→MER × MER→placement), capped at 1. Applies to open and future jobs.
* `avg_fee`: average fee of a filled job, €; every predicted fee is scaled by avg_fee / learned
  average (fees already invoiced or booked are not changed).
* `monthly_objective`: revenue per month, €; gives the jobs to open per month to reach it.

The scenario acts on the raw forecast; the level calibration learned in the backtest
(`ForecastInputs.level`) then multiplies it, as it does the learned forecast, so a scenario moves
the forecast the product shows by the same relative amount as the raw one.

Jobs needed per month (steady state): objective / (level × expected amount of one new job
(P(fill) × fee under the scenario)) — a month's revenue, once the pipeline has run at a constant
opening rate for longer than the opening → invoice delay, is the opening rate × that amount,
corrected by the same level as the forecast it is compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model.forecast import ForecastInputs


@dataclass(frozen=True)
class Scenario:
    """A what-if on the forecast; None / 1.0 keeps the learned value."""

    jobs_opened_factor: float = 1.0
    pitch_to_mer_rate: float | None = None
    mer_to_placement_rate: float | None = None
    avg_fee: float | None = None
    monthly_objective: float | None = None


def _ratio(new: float | None, learned: float) -> float:
    if new is None or not learned or math.isnan(learned):
        return 1.0
    return new / learned


def jobs_needed(inputs: ForecastInputs, scenario: Scenario) -> float | None:
    """Jobs to open per month to reach `scenario.monthly_objective` in steady state.

    Returns:
        objective / (level × P(fill) × fee of an average new job under the scenario); None
        without an objective or when a new job is worth nothing.
    """
    if scenario.monthly_objective is None:
        return None
    value = inputs.level * _new_job_value(inputs, scenario)
    return scenario.monthly_objective / value if value > 0 else None


def _p_scale(inputs: ForecastInputs, scenario: Scenario) -> float:
    return _ratio(scenario.pitch_to_mer_rate, inputs.pitch_to_mer) * _ratio(
        scenario.mer_to_placement_rate, inputs.mer_to_placement
    )


def _fee_scale(inputs: ForecastInputs, scenario: Scenario) -> float:
    return _ratio(scenario.avg_fee, inputs.new_fee)


def _new_job_value(inputs: ForecastInputs, scenario: Scenario) -> float:
    return min(1.0, inputs.new_p * _p_scale(inputs, scenario)) * inputs.new_fee * _fee_scale(inputs, scenario)


def apply_scenario(inputs: ForecastInputs, scenario: Scenario) -> pd.DataFrame:
    """The monthly revenue forecast under `scenario`, with the actual history before it.

    Args:
        inputs: `core.model.forecast.forecast_inputs(...)` (cache it: it holds the model outputs).
        scenario: the what-if.

    Returns:
        DataFrame[month, low, mid, high, kind, jobs_opened, jobs_needed, objective]: `month` is the
        first day of the month; `kind` is `actual` (the last 24 invoiced months: low = mid = high)
        or `forecast` (12 months, €: `mid` the calibrated forecast, `low`–`high` the 10 %–90 %
        interval from the backtest, low <= mid <= high); `jobs_opened`
        the expected jobs opened that month under the scenario; `jobs_needed` the jobs to open per
        month for the objective (NaN without one); `objective` the monthly objective.
    """
    p_scale = _p_scale(inputs, scenario)
    fee_scale = _fee_scale(inputs, scenario)
    open_value = np.minimum(1.0, inputs.open_p * p_scale) * inputs.open_fee * fee_scale
    new_jobs = inputs.new_jobs * scenario.jobs_opened_factor
    mid = inputs.level * (
        (open_value @ inputs.open_timing if len(open_value) else np.zeros(len(inputs.months)))
        + inputs.booked
        + inputs.new_kernel @ new_jobs * _new_job_value(inputs, scenario)
    )
    needed = jobs_needed(inputs, scenario)
    objective = np.nan if scenario.monthly_objective is None else float(scenario.monthly_objective)
    future = pd.DataFrame(
        {
            "month": inputs.months,
            "low": np.maximum(np.minimum(mid * (1 + inputs.residual_low), mid), 0.0),
            "mid": mid,
            "high": np.maximum(mid * (1 + inputs.residual_high), mid),
            "kind": "forecast",
            "jobs_opened": new_jobs,
            "jobs_needed": np.nan if needed is None else needed,
            "objective": objective,
        }
    )
    past = inputs.history.tail(24)
    actual = pd.DataFrame(
        {
            "month": pd.to_datetime(past["month"]).to_numpy(),
            "low": past["revenue"].to_numpy(float),
            "mid": past["revenue"].to_numpy(float),
            "high": past["revenue"].to_numpy(float),
            "kind": "actual",
            "jobs_opened": np.nan,
            "jobs_needed": np.nan,
            "objective": objective,
        }
    )
    return pd.concat([actual, future], ignore_index=True) if len(actual) else future
