"""Forecast & objectives: jobs to open for a revenue objective, and the revenue forecast with scenarios."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import model_card, state, training, widgets
from core import formats
from core.filters import Filters
from core.metrics import headlines, objectives
from core.metrics.common import has_bo, has_crm
from core.model import deals, forecast, scenarios, store

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


JOBS_KEY, FEE_KEY, P2M_KEY, M2P_KEY = "forecast_jobs_pct", "forecast_fee_pct", "forecast_p2m", "forecast_m2p"


def _learned_percent(rate: float) -> float:
    # the slider's value for a learned rate: to the hundredth of a point, on the slider's step
    return round(rate * 100, 2)


def _reset(inputs: forecast.ForecastInputs) -> None:
    """Every scenario slider back at the learned value (a button's callback, run before the widgets)."""
    st.session_state[JOBS_KEY] = 0
    st.session_state[FEE_KEY] = 0
    for key, rate in ((P2M_KEY, inputs.pitch_to_mer), (M2P_KEY, inputs.mer_to_placement)):
        if not math.isnan(rate):
            st.session_state[key] = _learned_percent(rate)


def _rate_slider(column, label: str, learned: float, key: str) -> float | None:
    """A conversion-rate slider starting exactly at the learned rate; None means the learned rate.

    None (keep the model's) also when no rate was learned.
    """
    if math.isnan(learned):
        # A warehouse without pipeline events has no rate to start from or to scale.
        column.caption(f"{label}: no pipeline events to learn it from.")
        return None
    start = _learned_percent(learned)
    st.session_state.setdefault(key, start)
    percent = column.slider(label, 0.0, 100.0, step=0.01, format=widgets.slider_format(2), key=key,
                            help=f"Learned: {widgets.pct(learned, 2)}")
    return None if percent == start else percent / 100


def _scenario(inputs: forecast.ForecastInputs, objective: float) -> scenarios.Scenario:
    st.caption(
        f"The sliders start at the values learned from the data up to {inputs.as_of:%d %B %Y}; they move the "
        "jobs to open below and the revenue forecast. The forecast is for the whole agency (the sidebar "
        "filters do not apply to it)."
    )
    a, b, c, d = st.columns(4)
    st.session_state.setdefault(JOBS_KEY, 0)
    st.session_state.setdefault(FEE_KEY, 0)
    jobs = a.slider("Jobs opened vs usual (%)", -50, 100, step=5, key=JOBS_KEY)
    p2m = _rate_slider(b, "Pitch → MER rate (%)", inputs.pitch_to_mer, P2M_KEY)
    m2p = _rate_slider(c, "MER → placement rate (%)", inputs.mer_to_placement, M2P_KEY)
    fee = d.slider("Fees vs learned (%)", -50, 100, step=5, key=FEE_KEY,
                   help=f"Learned average fee of a new job: {widgets.money(inputs.new_fee)}")
    st.button("Reset to the learned values", key="forecast_reset", on_click=_reset, args=(inputs,),
              icon=":material/restart_alt:")
    return scenarios.Scenario(
        jobs_opened_factor=1 + jobs / 100,
        pitch_to_mer_rate=p2m,
        mer_to_placement_rate=m2p,
        fee_factor=1 + fee / 100,
        monthly_objective=objective,
    )


def _chart(frame: pd.DataFrame, actual: str = "Invoiced") -> None:
    ahead = frame[frame["kind"] == "forecast"]
    past = frame[frame["kind"] == "actual"]
    fig = go.Figure()
    fig.add_scatter(x=ahead["month"], y=ahead["high"], line_width=0, showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=ahead["month"],
        y=ahead["low"],
        fill="tonexty",
        line_width=0,
        name=f"{formats.percent_range(10, 90, widgets.current_locale())} interval",
        fillcolor="rgba(76,120,168,0.2)",
        hoverinfo="skip",
    )
    if ahead["booked"].any():
        fig.add_bar(
            x=ahead["month"],
            y=ahead["booked"],
            name="Booked (placements made, not invoiced)",
            marker_color="#9ECAE9",
            hovertemplate="%{x|%b %Y}: €%{y:,.0f}<extra>Booked</extra>",
        )
    fig.add_scatter(
        x=past["month"],
        y=past["mid"],
        name=actual,
        line_color="#333333",
        hovertemplate="%{x|%b %Y}: €%{y:,.0f}<extra>" + actual + "</extra>",
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
    if "objective" in frame:
        fig.add_scatter(
            x=frame["month"],
            y=frame["objective"],
            name="Objective",
            line={"color": "#E45756", "dash": "dot"},
            hovertemplate="€%{y:,.0f}<extra>Objective</extra>",
        )
    widgets.style_figure(
        fig, "Revenue per month: so far, then booked and forecast", "Month", "Revenue (€)"
    )
    fig.update_yaxes(tickprefix="€")
    widgets.chart(fig, "forecast_chart")


# A fragment: the objective and the scenario sliders redraw only this part, from cached model outputs.
@st.fragment
def _plan(f: Filters, inputs: forecast.ForecastInputs | None) -> None:
    answer_slot = st.container()
    st.subheader("Jobs to open per month for an objective")
    objective = widgets.amount_input("Monthly revenue objective (€)", "forecast_objective", DEFAULT_OBJECTIVE)
    needed = state.cached(objectives.jobs_needed, f, objective_eur=objective)
    scenario = (_scenario(inputs, objective) if inputs is not None
                else scenarios.Scenario(monthly_objective=objective))
    mix = needed.loc[needed["job_type"] == "All"]
    answer = None if mix.empty else scenarios.jobs_needed(
        float(mix["fill_rate"].iloc[0]), float(mix["avg_fee"].iloc[0]), scenario, inputs
    )
    if answer is None or math.isnan(answer):
        widgets.empty_state(
            "No job opened in this period has a known outcome for these filters, so there is no "
            "fill rate or fee to plan with."
        )
    else:
        rate, fee = scenarios.planned_fill_rate_and_fee(
            float(mix["fill_rate"].iloc[0]), float(mix["avg_fee"].iloc[0]), scenario, inputs)
        with answer_slot:
            widgets.headline(headlines.jobs_to_open_sentence(answer, objective, rate, fee, widgets.current_locale()))
        st.metric("Jobs to open per month", formats.number(answer, widgets.current_locale(), 1), border=True,
                  help="Objective / (fill rate × average fee) over the job-type mix of the filtered period "
                       "(the table below); the scenario's rates scale the fill rate, its fees the fee.")
    widgets.definition(objectives.jobs_needed)
    widgets.show_table(needed, money_cols=("avg_fee", "expected_fee_per_job"),
                       pct_cols=("share_of_jobs", "fill_rate"), key="forecast_jobs_needed")
    if inputs is None:
        return
    st.subheader("Revenue forecast under the scenario")
    frame = scenarios.apply_scenario(inputs, scenario)
    widgets.definition(scenarios.apply_scenario)
    _chart(frame)
    widgets.show_table(
        frame[frame["kind"] == "forecast"],
        money_cols=("low", "mid", "high", "booked", "objective"),
        key="forecast_months",
    )


def _open_jobs_table(db: Path, bundle: dict, f: Filters) -> None:
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


@st.cache_data(max_entries=4, show_spinner="Forecasting from the open deals…")
def _deals_forecast(db: str, version: tuple | None, trained_at: str | None, _bundle: dict) -> pd.DataFrame:
    return deals.deals_forecast(state.connection(), _bundle)


def _crm_only(db: Path) -> None:
    """A CRM export alone: the amount won, forecast from the open deals weighted by their win odds."""
    st.caption("The data is a CRM export only: the forecast is of the amount won, from the open deals "
               "weighted by their win probability, and from the deals expected to be created.")
    card = store.read_card(db)
    bundle = store.load(db)
    checksum = store.warehouse_checksum(state.connection())
    stale = bundle is not None and checksum != bundle["card"].get("checksum")
    if bundle is not None and bundle.get("kind") == "crm":
        frame = _deals_forecast(str(db), state.warehouse_version(), (card or {}).get("trained_at"), bundle)
        widgets.definition(deals.deals_forecast)
        _chart(frame, actual="Won")
        widgets.show_table(frame[frame["kind"] == "forecast"].drop(columns="booked"),
                           money_cols=("low", "mid", "high"), key="forecast_months")
    st.divider()
    st.subheader("Model card")
    training.panel(db, has_model=bundle is not None, stale=stale)
    if bundle is not None and bundle.get("kind") == "crm":
        model_card.show_deals(bundle["card"])


def run() -> None:
    st.title("Forecast & objectives")
    con = state.connection()
    if not has_bo(con) and has_crm(con):
        _crm_only(state.warehouse_path())
        return
    if not widgets.requires_bo(con):
        return
    f = state.current_filters()
    db = state.warehouse_path()
    card = store.read_card(db)
    bundle, inputs, stale = _model(str(db), state.warehouse_version(), (card or {}).get("trained_at"), con)
    _plan(f, inputs)
    st.divider()
    st.subheader("Model card")
    training.panel(db, has_model=bundle is not None, stale=stale)
    if bundle is None:
        return
    model_card.show(bundle["card"])
    _open_jobs_table(db, bundle, f)


run()
