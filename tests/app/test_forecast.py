"""The Forecast page: the objective calculator always; with a model, the scenario forecast from its outputs.

Training on the demo warehouse takes most of a minute, so the tests with a model stand in a
hand-made model output (`ForecastInputs`) for the trained one: what is tested here is that the
page shows exactly what `apply_scenario` computes from it, and that the sliders recompute it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from app.ui.widgets import money
from core.filters import Filters
from core.metrics.objectives import jobs_needed
from core.model import forecast, scenarios, store, train
from core.model.scenarios import Scenario, apply_scenario
from tests.app.pages_support import (
    assert_table,
    busiest_salesperson_month,
    custom_period,
    default_filters,
    idle_salesperson_month,
    infos,
    open_page,
)

pytestmark = pytest.mark.demo

OBJECTIVE = 100_000.0
CARD = {
    "trained_at": "2026-11-01T10:00:00+00:00",
    "checksum": "stand-in",
    "train_period": {"from": "2022-01-03", "to": "2025-10-31"},
    "test_period": {"from": "2025-11-01", "to": "2026-10-31"},
    "fee": {"mae": 2000.0, "baseline_mae": 3000.0, "mape": 0.12},
    "fill": {"auc": 0.8, "baseline_auc": 0.6, "brier": 0.15, "baseline_brier": 0.2},
    "backtest": {"mae": 20000.0, "seasonal_naive_mae": 30000.0},
    "importances": {"fee": [{"feature": "salary_k", "importance": 900.0, "std": 10.0, "label": "salary"}]},
}


def stand_in_inputs() -> forecast.ForecastInputs:
    months = pd.date_range("2026-11-01", periods=12, freq="MS")
    timing = np.zeros((2, 12))
    timing[0, 1], timing[1, 3] = 1.0, 0.5
    return forecast.ForecastInputs(
        as_of=pd.Timestamp("2026-10-31").date(),
        months=months,
        open_p=np.array([0.5, 0.2]),
        open_fee=np.array([10_000.0, 20_000.0]),
        open_timing=timing,
        booked=np.full(12, 5_000.0),
        new_jobs=np.full(12, 10.0),
        new_p=0.3,
        new_fee=12_000.0,
        new_kernel=np.eye(12) * 0.5,
        pitch_to_mer=0.3,
        mer_to_placement=0.08,
        residual_low=-0.2,
        residual_high=0.25,
        history=pd.DataFrame(
            {
                "month": pd.date_range("2024-11-01", periods=24, freq="MS"),
                "revenue": np.arange(24, dtype=float) * 1_000.0,
            }
        ),
    )


@pytest.fixture
def stand_in_model(monkeypatch: pytest.MonkeyPatch) -> forecast.ForecastInputs:
    inputs = stand_in_inputs()
    bundle = {"card": CARD}
    monkeypatch.setattr(store, "load", lambda db: bundle)
    monkeypatch.setattr(store, "read_card", lambda db: CARD)
    monkeypatch.setattr(train, "read_card", lambda db: CARD)
    monkeypatch.setattr(store, "warehouse_checksum", lambda con: "stand-in")
    monkeypatch.setattr(forecast, "forecast_inputs", lambda con, bundle: inputs)
    jobs = pd.DataFrame(
        {
            "job_id": ["J1"],
            "client_id": ["C1"],
            "client": ["Acme"],
            "title": ["Developer"],
            "job_type": ["Developer"],
            "opened_at": [pd.Timestamp("2026-10-01")],
            "days_open": [30],
            "predicted_fee": [12_000.0],
            "fill_probability": [0.4],
            "expected_amount": [4_800.0],
            "drivers": ["salary +1 000 €"],
        }
    )
    monkeypatch.setattr(forecast, "open_jobs_predictions", lambda con, f, bundle: jobs)
    return inputs


def forecast_rows(inputs: forecast.ForecastInputs, scenario: Scenario) -> pd.DataFrame:
    frame = apply_scenario(inputs, scenario)
    return frame[frame["kind"] == "forecast"]


def test_without_a_model_the_objective_calculator_and_a_train_button(app, demo_con, monkeypatch) -> None:
    monkeypatch.setattr(store, "load", lambda db: None)
    monkeypatch.setattr(store, "read_card", lambda db: None)
    at = open_page(app, "forecast")
    f = default_filters(demo_con)
    needed = jobs_needed(demo_con, f, OBJECTIVE)
    assert_table(at, "forecast_jobs_needed", needed)
    total = needed.set_index("job_type").loc["All", "jobs_needed"]
    assert at.metric[0].value == f"{total:,.1f}"
    assert any("No revenue forecast yet" in text for text in infos(at))
    assert at.button(key="forecast_train").label == "Train the models"
    # A new objective recomputes the calculator.
    at.number_input(key="forecast_objective").set_value(250_000.0).run()
    assert_table(at, "forecast_jobs_needed", jobs_needed(demo_con, f, 250_000.0))


def test_with_a_model_the_scenario_recomputes_the_forecast(app, demo_con, stand_in_model) -> None:
    inputs = stand_in_model
    at = open_page(app, "forecast")
    learned = Scenario(1.0, 0.3, 0.08, 12_000.0, OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, learned))
    shown = {m.label: m.value for m in at.metric}
    assert (
        shown["Jobs to open per month under this scenario"]
        == f"{scenarios.jobs_needed(inputs, learned):,.1f}"
    )
    assert len(at.get("plotly_chart")) == 1
    assert_table(at, "forecast_open_jobs", forecast.open_jobs_predictions(demo_con, Filters(), {}))
    # Sliders: 20 % more jobs and a MER→placement rate back at 9 %.
    at.slider(key="forecast_jobs_pct").set_value(20).run()
    at.slider(key="forecast_m2p").set_value(9.0).run()
    scenario = Scenario(1.2, 0.3, 0.09, 12_000.0, OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, scenario))
    shown = {m.label: m.value for m in at.metric}
    assert (
        shown["Jobs to open per month under this scenario"]
        == f"{scenarios.jobs_needed(inputs, scenario):,.1f}"
    )
    assert money(forecast_rows(inputs, scenario)["mid"].sum()) != money(
        forecast_rows(inputs, learned)["mid"].sum()
    )


def test_one_salesperson_one_month(app, demo_con, monkeypatch) -> None:
    monkeypatch.setattr(store, "load", lambda db: None)
    monkeypatch.setattr(store, "read_card", lambda db: None)
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "forecast", custom_period(start, end, sales_id))
    needed = jobs_needed(demo_con, Filters(date_from=start, date_to=end, sales=(sales_id,)), OBJECTIVE)
    assert_table(at, "forecast_jobs_needed", needed)


def test_idle_salesperson_month_says_why(app, demo_con, monkeypatch) -> None:
    monkeypatch.setattr(store, "load", lambda db: None)
    monkeypatch.setattr(store, "read_card", lambda db: None)
    sales_id, start, end = idle_salesperson_month(demo_con)
    at = open_page(app, "forecast", custom_period(start, end, sales_id))
    assert any("no fill rate or fee to plan with" in text for text in infos(at))


def test_without_pipeline_events_the_rate_sliders_step_aside(app, stand_in_model, monkeypatch) -> None:
    # No events, no learned rate: the sliders used to start at NaN and pass it to the scenario.
    inputs = dataclasses.replace(stand_in_model, pitch_to_mer=float("nan"), mer_to_placement=float("nan"))
    # Another model version, so the page's cached model outputs are not the other tests'.
    card = {**CARD, "trained_at": "2026-11-02T10:00:00+00:00"}
    monkeypatch.setattr(store, "load", lambda db: {"card": card})
    monkeypatch.setattr(store, "read_card", lambda db: card)
    monkeypatch.setattr(train, "read_card", lambda db: card)
    monkeypatch.setattr(forecast, "forecast_inputs", lambda con, bundle: inputs)
    at = open_page(app, "forecast")
    assert not at.exception
    assert [s.key for s in at.slider] == ["forecast_jobs_pct", "forecast_fee"]
    unchanged = Scenario(1.0, None, None, 12_000.0, OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, unchanged))
