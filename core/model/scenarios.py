"""What-if scenarios on the revenue forecast, recomputed from cached model outputs (no retraining).

A scenario changes the learned assumptions:

* `jobs_opened_factor`: jobs opened per month relative to the learned seasonal rate (1.2 = +20 %).
* `pitch_to_mer_rate`, `mer_to_placement_rate`: the funnel rates; a job's fill probability is
  scaled by new rate / learned rate (the funnel is multiplicative: expected placements per job =
  pitches × pitch→MER × MER→placement), capped at 1. Applies to open and future jobs.
* `fee_factor`: every predicted fee relative to the learned one (1.1 = +10 %); fees already
  invoiced or booked are not changed.
* `monthly_objective`: revenue per month, €; drawn on the chart, and the jobs to open per month
  to reach it (`jobs_needed`).

The scenario acts on the estimated part of the forecast (open and future jobs); the level
calibration learned in the backtest (`ForecastInputs.level`) then multiplies that part, as it does
in the learned forecast; booked revenue is added unchanged.

**Jobs to open per month** has one answer: `core.metrics.objectives.jobs_needed` (objective /
(fill rate × average fee) over the job-type mix of the period). The scenario moves that same number
(`jobs_needed`): the fill rate is scaled like every fill probability, the fee by `fee_factor`;
at the learned values it is exactly the objectives answer.
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
    fee_factor: float = 1.0
    monthly_objective: float | None = None


def _ratio(new: float | None, learned: float) -> float:
    if new is None or not learned or math.isnan(learned):
        return 1.0
    return new / learned


def fill_scale(inputs: ForecastInputs | None, scenario: Scenario) -> float:
    """How much the scenario's funnel rates multiply a fill probability (1.0 at the learned rates)."""
    if inputs is None:
        return 1.0
    return _ratio(scenario.pitch_to_mer_rate, inputs.pitch_to_mer) * _ratio(
        scenario.mer_to_placement_rate, inputs.mer_to_placement
    )


def planned_fill_rate_and_fee(
    fill_rate: float, avg_fee: float, scenario: Scenario, inputs: ForecastInputs | None = None
) -> tuple[float, float]:
    """The fill rate and the average fee a plan counts on under the scenario: min(1, fill rate × funnel
    scale) and average fee × fee factor (the learned ones at the learned values)."""
    return min(1.0, fill_rate * fill_scale(inputs, scenario)), avg_fee * scenario.fee_factor


def jobs_needed(
    fill_rate: float, avg_fee: float, scenario: Scenario, inputs: ForecastInputs | None = None
) -> float | None:
    """Jobs to open per month to reach `scenario.monthly_objective`, under the scenario.

    objective / (min(1, fill rate × funnel scale) × average fee × fee factor), where the fill rate
    and the average fee are those of `core.metrics.objectives.jobs_needed`'s `All` row and the
    funnel scale is the scenario's rates / the learned ones (`fill_scale`). At the learned values
    this is the objectives answer.

    Args:
        fill_rate, avg_fee: the `All` row of `objectives.jobs_needed` (share-weighted mix).
        scenario: the what-if (its `monthly_objective` is the objective).
        inputs: the forecast inputs holding the learned funnel rates; None: rates unchanged.

    Returns:
        Jobs per month; None without an objective or when a job is worth nothing.
    """
    if scenario.monthly_objective is None or fill_rate is None or avg_fee is None:
        return None
    rate, fee = planned_fill_rate_and_fee(fill_rate, avg_fee, scenario, inputs)
    value = rate * fee
    if not value > 0:
        return None
    return scenario.monthly_objective / value


def _new_job_value(inputs: ForecastInputs, scenario: Scenario) -> float:
    return min(1.0, inputs.new_p * fill_scale(inputs, scenario)) * inputs.new_fee * scenario.fee_factor


def apply_scenario(inputs: ForecastInputs, scenario: Scenario) -> pd.DataFrame:
    """The monthly revenue forecast under `scenario`, with the actual history before it.

    Args:
        inputs: `core.model.forecast.forecast_inputs(...)` (cache it: it holds the model outputs).
        scenario: the what-if.

    Returns:
        DataFrame[month, low, mid, high, booked, kind, jobs_opened, objective]: `month` is the
        first day of the month; `kind` is `actual` (the last 24 invoiced months: low = mid = high)
        or `forecast` (12 months, €: `mid` = booked + level × (open jobs + jobs to open), the
        calibrated forecast, `low`–`high` the 10 %–90 % interval from the backtest,
        low <= mid <= high, mid >= booked); `booked` the fees of placements already made expected
        to be invoiced that month (0 for actual months); `jobs_opened` the expected jobs opened
        that month under the scenario; `objective` the monthly objective.
    """
    p_scale = fill_scale(inputs, scenario)
    open_value = np.minimum(1.0, inputs.open_p * p_scale) * inputs.open_fee * scenario.fee_factor
    new_jobs = inputs.new_jobs * scenario.jobs_opened_factor
    estimated = (
        open_value @ inputs.open_timing if len(open_value) else np.zeros(len(inputs.months))
    ) + inputs.new_kernel @ new_jobs * _new_job_value(inputs, scenario)
    mid = inputs.booked + inputs.level * estimated
    objective = np.nan if scenario.monthly_objective is None else float(scenario.monthly_objective)
    future = pd.DataFrame(
        {
            "month": inputs.months,
            "low": np.maximum(np.minimum(mid * (1 + inputs.residual_low), mid), 0.0),
            "mid": mid,
            "high": np.maximum(mid * (1 + inputs.residual_high), mid),
            "booked": inputs.booked,
            "kind": "forecast",
            "jobs_opened": new_jobs,
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
            "booked": 0.0,
            "kind": "actual",
            "jobs_opened": np.nan,
            "objective": objective,
        }
    )
    return pd.concat([actual, future], ignore_index=True) if len(actual) else future
