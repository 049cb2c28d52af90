"""Forecast & objectives: jobs to open for a revenue objective, and the revenue forecast with scenarios."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core.filters import Filters
from core.metrics import objectives
from core.model import forecast, scenarios, store, train

DEFAULT_OBJECTIVE = 100_000.0


# Loading the models and computing their outputs takes seconds: once per warehouse and model version,
# so that moving a scenario slider only re-applies the scenario (milliseconds).
@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def _model(
    db: str, version: tuple | None, trained_at: str | None, _con: Any
) -> tuple[dict | None, forecast.ForecastInputs | None, bool]:
    bundle = store.load(Path(db))
    if bundle is None:
        return None, None, False
    stale = store.warehouse_checksum(_con) != bundle["card"].get("checksum")
    return bundle, forecast.forecast_inputs(_con, bundle), stale


@st.cache_data(max_entries=64, show_spinner=False)
def _open_jobs(
    db: str, version: tuple | None, trained_at: str | None, filters: str, _f: Filters, _bundle: dict
) -> pd.DataFrame:
    # Keyed by the warehouse, the model and the filters' repr; the bundle itself is not hashable.
    return forecast.open_jobs_predictions(state.connection(), _f, _bundle)


def _objective(f: Filters) -> float:
    st.subheader("Jobs to open per month for an objective")
    objective = st.number_input(
        "Monthly revenue objective (€)",
        min_value=0.0,
        value=DEFAULT_OBJECTIVE,
        step=10_000.0,
        format="%.0f",
        key="forecast_objective",
    )
    needed = state.cached(objectives.jobs_needed, f, objective_eur=objective)
    widgets.definition(objectives.jobs_needed)
    total = needed.loc[needed["job_type"] == "All", "jobs_needed"]
    if total.isna().all():
        widgets.empty_state(
            "No job opened in this period has a known outcome for these filters, so there is no "
            "fill rate or fee to plan with."
        )
        return objective
    st.metric(
        "Jobs to open per month",
        f"{total.iloc[0]:,.1f}",
        border=True,
        help="Objective / (fill rate × average fee), over the job-type mix of the filtered period.",
    )
    widgets.show_table(
        needed,
        money_cols=("avg_fee", "expected_fee_per_job"),
        pct_cols=("share_of_jobs", "fill_rate"),
        key="forecast_jobs_needed",
    )
    return objective


def _rate_slider(column, label: str, learned: float, key: str) -> float | None:
    """A conversion-rate slider starting at the learned rate; None (keep the model's) when none was learned."""
    if math.isnan(learned):
        # A warehouse without pipeline events has no rate to start from or to scale.
        column.caption(f"{label}: no pipeline events to learn it from.")
        return None
    percent = column.slider(
        label, 0.0, 100.0, round(learned * 100, 1), step=0.5, key=key, help=f"Learned: {widgets.pct(learned)}"
    )
    return percent / 100


def _scenario(inputs: forecast.ForecastInputs, objective: float) -> scenarios.Scenario:
    st.subheader("Revenue forecast and scenario")
    st.caption(
        f"From the data's last date, {inputs.as_of:%d %B %Y}, for the whole agency (the sidebar filters "
        "do not apply here). Move the sliders to see what if; the objective above draws the red line."
    )
    a, b, c, d = st.columns(4)
    jobs = a.slider("Jobs opened vs usual (%)", -50, 100, 0, step=5, key="forecast_jobs_pct")
    p2m = _rate_slider(b, "Pitch → MER rate (%)", inputs.pitch_to_mer, "forecast_p2m")
    m2p = _rate_slider(c, "MER → placement rate (%)", inputs.mer_to_placement, "forecast_m2p")
    fee = d.slider(
        "Average fee (€)",
        0.0,
        max(round(inputs.new_fee * 3, -3), 1_000.0),
        round(inputs.new_fee, -2),
        step=500.0,
        format="€%.0f",
        key="forecast_fee",
        help=f"Learned: {widgets.money(inputs.new_fee)}",
    )
    return scenarios.Scenario(
        jobs_opened_factor=1 + jobs / 100,
        pitch_to_mer_rate=p2m,
        mer_to_placement_rate=m2p,
        avg_fee=fee,
        monthly_objective=objective,
    )


def _chart(frame: pd.DataFrame) -> None:
    ahead = frame[frame["kind"] == "forecast"]
    past = frame[frame["kind"] == "actual"]
    fig = go.Figure()
    fig.add_scatter(x=ahead["month"], y=ahead["high"], line_width=0, showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=ahead["month"],
        y=ahead["low"],
        fill="tonexty",
        line_width=0,
        name="10–90% interval",
        fillcolor="rgba(76,120,168,0.2)",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=past["month"],
        y=past["mid"],
        name="Invoiced",
        line_color="#333333",
        hovertemplate="%{x|%b %Y}: €%{y:,.0f}<extra>Invoiced</extra>",
    )
    fig.add_scatter(
        x=ahead["month"],
        y=ahead["mid"],
        name="Forecast",
        line={"color": "#4C78A8", "dash": "dash"},
        customdata=ahead[["low", "high"]],
        hovertemplate="%{x|%b %Y}: €%{y:,.0f} "
        "(€%{customdata[0]:,.0f}–€%{customdata[1]:,.0f})<extra>Forecast</extra>",
    )
    fig.add_scatter(
        x=frame["month"],
        y=frame["objective"],
        name="Objective",
        line={"color": "#E45756", "dash": "dot"},
        hovertemplate="€%{y:,.0f}<extra>Objective</extra>",
    )
    widgets.style_figure(
        fig, "Revenue per month: invoiced, then forecast under the scenario", "Month", "Revenue (€)"
    )
    fig.update_yaxes(tickprefix="€")
    st.plotly_chart(fig, key="forecast_chart")


# A fragment: the objective and the scenario sliders redraw only this part, from cached model outputs.
@st.fragment
def _plan(f: Filters, inputs: forecast.ForecastInputs | None) -> None:
    objective = _objective(f)
    if inputs is None:
        return
    frame = scenarios.apply_scenario(inputs, _scenario(inputs, objective))
    widgets.definition(scenarios.apply_scenario)
    needed = frame["jobs_needed"].iloc[-1]
    st.metric(
        "Jobs to open per month under this scenario",
        "—" if pd.isna(needed) else f"{needed:,.1f}",
        border=True,
        help="Objective / expected amount of one new job (P(fill) × fee) under the scenario.",
    )
    _chart(frame)
    widgets.show_table(
        frame[frame["kind"] == "forecast"],
        money_cols=("low", "mid", "high", "objective"),
        key="forecast_months",
    )


def _train(db: Path, label: str) -> None:
    if st.button(label, type="primary", key="forecast_train", icon=":material/model_training:"):
        with st.status("Training the models…", expanded=True) as status:
            card = train.train_and_save(
                db, progress=lambda step, fraction: status.write(f"{fraction:.0%} {step}")
            )
            status.update(label=f"Trained in {card.get('seconds', '?')} s", state="complete")
        st.rerun()


def _vs_baseline(value: float | None, baseline: float | None, lower_is_better: bool = True) -> str | None:
    if value is None or not baseline:
        return None
    return (
        f"{(value / baseline - 1) * 100:+.0f}% vs baseline"
        if lower_is_better
        else f"{value - baseline:+.2f} vs baseline"
    )


def _model_card(db: Path, bundle: dict, f: Filters) -> None:
    st.subheader("Model card")
    card = train.model_report(db) or {}
    period = (card.get("train_period") or {}), (card.get("test_period") or {})
    st.caption(
        f"Trained {card.get('trained_at')} on jobs opened {period[0].get('from')} to {period[0].get('to')}; "
        f"tested on jobs opened {period[1].get('from')} to {period[1].get('to')} (never seen in training)."
    )
    fee, fill, back = card.get("fee") or {}, card.get("fill") or {}, card.get("backtest") or {}
    tiles = (
        (
            "Fee error (MAE)",
            widgets.money(fee.get("mae")),
            _vs_baseline(fee.get("mae"), fee.get("baseline_mae")),
        ),
        (
            "Fill ranking (ROC AUC)",
            f"{fill.get('auc') or 0:.2f}",
            _vs_baseline(fill.get("auc"), fill.get("baseline_auc"), lower_is_better=False),
        ),
        (
            "Fill calibration (Brier)",
            f"{fill.get('brier') or 0:.3f}",
            _vs_baseline(fill.get("brier"), fill.get("baseline_brier")),
        ),
        (
            "Monthly revenue error (backtest MAE)",
            widgets.money(back.get("mae")),
            _vs_baseline(back.get("mae"), back.get("seasonal_naive_mae")),
        ),
    )
    for column, (label, value, delta) in zip(st.columns(len(tiles)), tiles):
        column.metric(
            label, value, delta=delta, delta_color="normal" if "AUC" in label else "inverse", border=True
        )
    st.caption(
        "Baselines: median fee by job type × seniority; fill rate by job type; the same month a year "
        "earlier for the revenue backtest."
    )
    st.markdown("**Top drivers of the fee (permutation importance on the test period)**")
    drivers = pd.DataFrame(
        bundle["card"].get("importances", {}).get("fee", []), columns=["label", "importance", "std"]
    )
    widgets.show_table(drivers.head(10), key="forecast_drivers")
    st.subheader("Open jobs now")
    jobs = _open_jobs(
        str(db), state.warehouse_version(), bundle["card"].get("trained_at"), repr(f), f, bundle
    )
    widgets.definition(forecast.open_jobs_predictions)
    if jobs.empty:
        widgets.empty_state("No job is open now for these filters.")
        return
    widgets.show_table(
        jobs,
        money_cols=("predicted_fee", "expected_amount"),
        pct_cols=("fill_probability",),
        key="forecast_open_jobs",
    )


def run() -> None:
    st.title("Forecast & objectives")
    con = state.connection()
    if not widgets.requires_bo(con):
        return
    f = state.current_filters()
    db = state.warehouse_path()
    card = store.read_card(db)
    bundle, inputs, stale = _model(str(db), state.warehouse_version(), (card or {}).get("trained_at"), con)
    _plan(f, inputs)
    st.divider()
    if bundle is None:
        st.info(
            "No revenue forecast yet: the models have not been trained on this warehouse. Training takes "
            "about a minute.",
            icon=":material/model_training:",
        )
        _train(db, "Train the models")
        return
    if stale:
        st.warning("The warehouse changed since the models were trained.", icon=":material/update:")
        _train(db, "Retrain the models")
    _model_card(db, bundle, f)


run()
