"""The Forecast page: the objective calculator always; with a model, the scenario forecast from its outputs.

Training on the demo warehouse takes most of a minute, so the tests with a model stand in a
hand-made model output (`ForecastInputs`) for the trained one: what is tested here is that the
page shows exactly what `apply_scenario` and the one jobs-to-open answer compute from it, and that
the sliders recompute them (the model itself is tested in tests/core/test_model.py). Without a
model the page starts the background training (`app.ui.training.start`, recorded here instead of
training for a minute) and shows its progress.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from app.ui import training
from app.ui.background import Jobs
from app.ui.widgets import money, plain
from core.filters import Filters
from core.formats import NNBSP
from core.metrics import headlines
from core.metrics.objectives import jobs_needed
from core.model import forecast, scenarios, store
from core.model.scenarios import Scenario, apply_scenario
from tests.app.pages_support import (
    assert_table,
    busiest_salesperson_month,
    charts,
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
    "fee": {"mae": 2000.0, "baseline_mae": 3000.0, "mape": 0.12, "rule_mae": 0.0, "rule_jobs": 70,
            "test_jobs": 72, "formula_missing_jobs": 2, "mae_gain_interval": [-200.0, 1500.0],
            "use_model": False},
    "fill": {"auc": 0.55, "auc_interval": [0.48, 0.62], "baseline_auc": 0.53,
             "auc_gain_interval": [-0.07, 0.12],
             "brier": 0.153, "baseline_brier": 0.157, "use_model": False,
             "reliability": [{"predicted": 0.1, "observed": 0.12, "jobs": 50}],
             "baseline_reliability": [{"predicted": 0.15, "observed": 0.1, "jobs": 50}]},
    "fill_stage": {"age_days": 30, "auc": 0.67, "auc_interval": [0.59, 0.75], "baseline_auc": 0.49,
                   "auc_gain_interval": [0.07, 0.3], "brier": 0.133, "baseline_brier": 0.14,
                   "use_model": True},
    "backtest": {"mae": 20000.0, "seasonal_naive_mae": 30000.0, "mae_3m": 36000.0,
                 "seasonal_naive_mae_3m": 51000.0},
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
        # learned rates off the slider's coarse steps: 4.8 % must not start at 5 %
        pitch_to_mer=0.3012,
        mer_to_placement=0.048,
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


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """No trained model; the trainings the page starts are recorded, not run."""
    started: list = []
    trainings = Jobs("test-training", "The training stopped")
    release = threading.Event()

    def start(db):
        started.append(db)

        def work(progress):
            progress("Training on the past (time-based split)", 0.1)
            release.wait()

        return trainings.start(training._key(db), work)

    monkeypatch.setattr(store, "load", lambda db: None)
    monkeypatch.setattr(store, "read_card", lambda db: None)
    monkeypatch.setattr(training, "start", start)
    monkeypatch.setattr(training, "TRAININGS", trainings)
    monkeypatch.setenv(training.AUTO_ENV, "1")
    yield started
    release.set()


def _shown(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_without_a_model_the_calculator_and_training_in_the_background(app, demo_con, no_model) -> None:
    at = open_page(app, "forecast")
    assert not at.exception
    f = default_filters(demo_con)
    needed = jobs_needed(demo_con, f, OBJECTIVE)
    assert_table(at, "forecast_jobs_needed", needed)
    mix = needed.set_index("job_type").loc["All"]
    total = mix["jobs_needed"]
    assert _shown(at) == {"Jobs to open per month": f"{total:,.1f}"}
    # The same answer opens the page as a sentence, with what it counts on.
    sentence = headlines.jobs_to_open_sentence(total, OBJECTIVE, mix["fill_rate"], mix["avg_fee"], "en")
    assert next(m.value for m in at.markdown if m.value.startswith("#### ")) == "#### " + plain(sentence)
    # a fresh warehouse without a model: the training starts by itself and shows its progress
    assert len(no_model) == 1
    assert any("Training the models in the background" in str(p.proto.text) for p in at.get("progress"))
    # The objective reads as an amount, thousands grouped.
    assert at.text_input(key="forecast_objective").value == "€100,000"
    # A new objective, typed as a French reader writes it, recomputes the calculator and is written back.
    at.text_input(key="forecast_objective").input("250 000 €").run()
    assert_table(at, "forecast_jobs_needed", jobs_needed(demo_con, f, 250_000.0))
    assert at.text_input(key="forecast_objective").value == "€250,000"
    assert not at.warning
    # What is not an amount is said so, and the last amount read stays in use.
    at.text_input(key="forecast_objective").input("deux cent mille").run()
    assert [w.value for w in at.warning] == [
        "“deux cent mille” is not an amount of euros: type it as 150 000 or 150k. Showing €250,000 meanwhile."]
    assert_table(at, "forecast_jobs_needed", jobs_needed(demo_con, f, 250_000.0))
    at.text_input(key="forecast_objective").input("150k").run()
    assert_table(at, "forecast_jobs_needed", jobs_needed(demo_con, f, 150_000.0))
    assert not at.warning
    assert len(no_model) == 1  # the same training, not a second one


def test_with_a_model_one_answer_that_the_scenario_moves(app, demo_con, stand_in_model) -> None:
    inputs = stand_in_model
    at = open_page(app, "forecast")
    assert not at.exception
    # the sliders start exactly at the learned values
    assert at.slider(key="forecast_m2p").value == 4.8 and at.slider(key="forecast_p2m").value == 30.12
    assert at.slider(key="forecast_jobs_pct").value == 0 and at.slider(key="forecast_fee_pct").value == 0
    learned = Scenario(monthly_objective=OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, learned))
    # one answer: at the learned values, the objectives' jobs to open per month
    mix = jobs_needed(demo_con, default_filters(demo_con), OBJECTIVE).set_index("job_type").loc["All"]
    assert _shown(at)["Jobs to open per month"] == f"{mix['jobs_needed']:,.1f}"
    assert len(charts(at)) >= 1
    assert_table(at, "forecast_open_jobs", forecast.open_jobs_predictions(demo_con, Filters(), {}))
    # Sliders: 20 % more jobs and a MER→placement rate at 9 %: the same number moves
    at.slider(key="forecast_jobs_pct").set_value(20).run()
    at.slider(key="forecast_m2p").set_value(9.0).run()
    scenario = Scenario(1.2, None, 0.09, 1.0, OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, scenario))
    moved = scenarios.jobs_needed(mix["fill_rate"], mix["avg_fee"], scenario, inputs)
    assert _shown(at)["Jobs to open per month"] == f"{moved:,.1f}" != f"{mix['jobs_needed']:,.1f}"
    moved_total = forecast_rows(inputs, scenario)["mid"].sum()
    assert money(moved_total) != money(forecast_rows(inputs, learned)["mid"].sum())
    # the reset brings every slider back to the learned values, and the answer with them
    at.button(key="forecast_reset").click().run()
    assert at.slider(key="forecast_m2p").value == 4.8 and at.slider(key="forecast_jobs_pct").value == 0
    assert _shown(at)["Jobs to open per month"] == f"{mix['jobs_needed']:,.1f}"
    assert_table(at, "forecast_months", forecast_rows(inputs, learned))


def test_the_model_card_says_when_the_rule_is_used(app, stand_in_model) -> None:
    at = open_page(app, "forecast")
    captions = " ".join(c.value for c in at.caption)
    # the fill model's AUC 0.55 has a gain interval including 0: no delta, the rule is named
    tile = next(m for m in at.metric if m.label == "P(filled) at opening (AUC)")
    assert tile.value == "0.55" and not tile.proto.delta
    assert "95 % interval 0.48–0.62. The model adds nothing yet" in captions
    assert "the product uses the fill rate by job type" in captions
    # the stage model's gain interval is above 0: its improvement is shown
    stage = next(m for m in at.metric if m.label.startswith("P(filled) of open jobs"))
    assert stage.proto.delta == "+0.18 vs rule"
    assert at.button(key="forecast_train").label == "Retrain the models"


def test_the_model_card_reads_in_french(app, stand_in_model, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores, gains, dates and amounts of the card in French formats: no `0.55`, no ISO timestamp."""
    monkeypatch.setenv("CROSSVIEW_LOCALE", "fr")
    at = open_page(app, "forecast")
    captions = " ".join(c.value for c in at.caption)
    assert ("Trained 01/11/2026 10:00 UTC on jobs opened 03/01/2022 to 31/10/2025; "
            "tested on jobs opened 01/11/2025 to 31/10/2026") in captions
    tile = next(m for m in at.metric if m.label == "P(filled) at opening (AUC)")
    assert tile.value == "0,55"
    assert "95 % interval 0,48–0,62. The model adds nothing yet: its gain over the fill rate by job type is " \
           "-0,07 to +0,12" in captions
    stage = next(m for m in at.metric if m.label.startswith("P(filled) of open jobs"))
    assert stage.proto.delta == "+0,18 vs rule"
    assert f"is -200{NNBSP}€ to +1{NNBSP}500{NNBSP}€ (95 % interval, it includes 0)" in captions
    assert "Salary × fee rate applies to 70 of 72 test fills" in captions


def test_one_salesperson_one_month(app, demo_con, no_model) -> None:
    sales_id, start, end = busiest_salesperson_month(demo_con)
    at = open_page(app, "forecast", custom_period(start, end, sales_id))
    needed = jobs_needed(demo_con, Filters(date_from=start, date_to=end, sales=(sales_id,)), OBJECTIVE)
    assert_table(at, "forecast_jobs_needed", needed)


def test_idle_salesperson_month_says_why(app, demo_con, no_model) -> None:
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
    monkeypatch.setattr(forecast, "forecast_inputs", lambda con, bundle: inputs)
    at = open_page(app, "forecast")
    assert not at.exception
    assert [s.key for s in at.slider] == ["forecast_jobs_pct", "forecast_fee_pct"]
    unchanged = Scenario(monthly_objective=OBJECTIVE)
    assert_table(at, "forecast_months", forecast_rows(inputs, unchanged))


def test_a_crm_only_warehouse_gets_its_forecast_and_win_odds(make_app, tmp_path) -> None:
    from pathlib import Path

    from core.model import deals
    from core.model.train import train_and_save
    from core.warehouse import build, connect

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "crm_only"
    db = tmp_path / "crossview.duckdb"
    build(crm=fixture / "opportunities.csv", bo=None, db=db, mapping=fixture / "mapping.json",
          teams=fixture / "teams.csv", accounts=fixture / "accounts.csv")
    train_and_save(db)
    bundle = store.load(db)
    with connect(db) as con:
        expected = deals.deals_forecast(con, bundle)
        odds = deals.open_deals_predictions(con, bundle)
    at = open_page(make_app(db), "forecast")
    assert not at.exception
    assert_table(at, "forecast_months", expected[expected["kind"] == "forecast"].drop(columns="booked"))
    assert any(m.label == "P(won) of a deal (AUC)" for m in at.metric)
    at = open_page(make_app(db), "pipeline")
    assert not at.exception
    assert_table(at, "pipeline_win_odds", odds)
