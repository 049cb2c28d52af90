"""The model card on the Forecast page: each model beside its simple rule, and which one the product uses.

An improvement is drawn as one (a coloured delta) only when its 95 % interval excludes zero;
otherwise the tile says the model adds nothing yet and that the rule is used (`core.model.rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import widgets
from core import formats

RULES = {
    "win": "the win rate by deal type",
    "fee": "the median fee by job type × seniority",
    "fill": "the fill rate by job type",
    "fill_stage": "the fill rate by job type of jobs still open at that age",
}


def _score(value: float | None, signed: bool = False) -> str:
    """An AUC or a gain in AUC in the reader's locale: `0,55`, `+0,18` / `0.55`, `+0.18`."""
    text = formats.number(value, widgets.current_locale(), 2)
    return f"+{text}" if signed and not text.startswith("-") and value is not None else text


def _euros(value: float | None) -> str:
    """A gain in euros, signed: `+186 €`, `-259 €` / `+€186`, `-€259`."""
    text = widgets.money(value)
    return text if text.startswith("-") or value is None else f"+{text}"


def _interval(values: list[float] | None, write: Callable[[float], str]) -> str:
    return "no interval (too few test jobs)" if not values else f"{write(values[0])} to {write(values[1])}"


def _moment(stamp: object) -> str:
    """When a model was trained, in the reader's locale: `01/11/2026 10:00 UTC` / `2026-11-01 10:00 UTC`."""
    if formats.is_missing(stamp):
        return formats.MISSING
    moment = pd.Timestamp(stamp)
    zone = " UTC" if moment.tzinfo is not None and moment.utcoffset() == pd.Timedelta(0) else ""
    return f"{formats.day(moment, widgets.current_locale())} {moment:%H:%M}{zone}"


def _period(period: dict[str, Any]) -> str:
    locale = widgets.current_locale()
    return f"{formats.day(period.get('from'), locale)} to {formats.day(period.get('to'), locale)}"


def _sure(interval: list[float] | None) -> bool:
    return bool(interval) and interval[0] > 0


def verdict(section: dict[str, Any], name: str, gain_key: str, write: Callable[[float], str]) -> str:
    """One sentence: does the model surely beat its rule, and what does the product use. `write` writes
    a bound of the gain's interval."""
    gain = _interval(section.get(gain_key), write)
    if section.get("use_model"):
        return f"The model is used: its gain over {RULES[name]} is {gain} (95 % interval)."
    return (
        f"The model adds nothing yet: its gain over {RULES[name]} is {gain} (95 % "
        f"interval, it includes 0), so the product uses {RULES[name]}."
    )


def auc_verdict(section: dict[str, Any], name: str) -> str:
    """`verdict` of a probability model, judged by its gain in AUC."""
    return verdict(section, name, "auc_gain_interval", lambda gain: _score(gain, signed=True))


def _probability_tile(column, label: str, section: dict[str, Any], name: str) -> None:
    auc, low_high = section.get("auc"), section.get("auc_interval")
    gain = section.get("auc_gain_interval")
    locale = widgets.current_locale()
    delta = None
    if _sure(gain) and section.get("baseline_auc") is not None:
        delta = f"{_score(auc - section['baseline_auc'], signed=True)} vs rule"
    brier, rule_brier = (formats.number(section.get(k) or 0, locale, 3) for k in ("brier", "baseline_brier"))
    column.metric(label, _score(auc), delta=delta, border=True,
                  help=f"ROC AUC on the test period with its 95 % bootstrap interval; rule: {RULES[name]} "
                       f"(AUC {_score(section.get('baseline_auc') or 0)}). Brier {brier} vs {rule_brier} for the rule.")
    span = f"95 % interval {_score(low_high[0])}–{_score(low_high[1])}. " if low_high else ""
    column.caption(span + auc_verdict(section, name))


def _naive(near: float | None, naive: float | None) -> str:
    # the seasonal-naive error beside the forecast's, as words: the backtest gives no interval to judge by
    if near is None or not naive:
        return ""
    return f"The same month a year earlier would have erred by {widgets.money(naive)} a month."


def _reliability(section: dict[str, Any], title: str, key: str) -> None:
    model, rule = section.get("reliability") or [], section.get("baseline_reliability") or []
    if not model:
        return
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#BBBBBB", "dash": "dot"},
                    name="perfectly calibrated", hoverinfo="skip")
    for points, name, colour in ((model, "model", "#4C78A8"), (rule, "rule", "#F58518")):
        fig.add_scatter(x=[p["predicted"] for p in points], y=[p["observed"] for p in points],
                        mode="lines+markers", name=name, line_color=colour,
                        customdata=[p["jobs"] for p in points],
                        hovertemplate="predicted %{x:.0%}, filled %{y:.0%} of %{customdata} jobs<extra>"
                        + name + "</extra>")
    widgets.style_figure(fig, title, "Predicted fill probability (%)", "Share filled (%)")
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(tickformat=".0%")
    widgets.chart(fig, key)


def show(card: dict[str, Any]) -> None:
    """Draw the stored model card (`core.model.train` card dict)."""
    fee, fill, stage = card.get("fee") or {}, card.get("fill") or {}, card.get("fill_stage") or {}
    back = card.get("backtest") or {}
    train, test = card.get("train_period") or {}, card.get("test_period") or {}
    st.caption(
        f"Trained {_moment(card.get('trained_at'))} on jobs opened {_period(train)}; "
        f"tested on jobs opened {_period(test)} (never seen in training)."
    )
    a, b, c, d = st.columns(4)
    a.metric("Fee: contract formula (MAE)", widgets.money(fee.get("rule_mae")), border=True,
             help="Salary × fee rate, on the test fills where both are known.")
    a.caption(f"Salary × fee rate applies to {widgets.count(fee.get('rule_jobs', 0))} of {widgets.count(fee.get('test_jobs', 0))} "
              "test fills "
              "and is the fee the product uses wherever it applies.")
    gain = fee.get("mae_gain_interval")
    b.metric("Fee without salary or rate (MAE)", widgets.money(fee.get("mae")),
             delta=f"{_euros(fee['mae'] - fee['baseline_mae'])} vs rule" if _sure(gain) else None,
             delta_color="inverse", border=True,
             help=f"The model without the contract terms, on every test fill, against {RULES['fee']} "
                  f"(MAE {widgets.money(fee.get('baseline_mae'))}).")
    b.caption(f"{widgets.count(fee.get('formula_missing_jobs', 0))} test fills lacked the salary or the rate. "
              + verdict(fee, "fee", "mae_gain_interval", _euros))
    _probability_tile(c, "P(filled) at opening (AUC)", fill, "fill")
    age = stage.get("age_days", 30)
    _probability_tile(d, f"P(filled) of open jobs at {age} days (AUC)", stage, "fill_stage")
    near, naive = back.get("mae_3m"), back.get("seasonal_naive_mae_3m")
    st.metric("Revenue, next 3 months (backtest MAE per month)", widgets.money(near), border=True,
              help="Forecasts made at each of the last 12 month starts with only what was known then "
                   "(placements booked, invoices dated before the origin), against what was invoiced.")
    st.caption(_naive(near, naive))
    left, right = st.columns(2)
    with left:
        _reliability(fill, "Reliability at opening: predicted vs observed", "forecast_reliability_fill")
    with right:
        _reliability(stage, "Reliability of open jobs: predicted vs observed", "forecast_reliability_stage")


def show_deals(card: dict[str, Any]) -> None:
    """Draw the model card of a CRM-only warehouse (`core.model.deals` card dict)."""
    win, crm, back = card.get("win") or {}, card.get("crm_probability") or {}, card.get("backtest") or {}
    train, test = card.get("train_period") or {}, card.get("test_period") or {}
    st.caption(
        f"Trained {_moment(card.get('trained_at'))} on deals created {_period(train)}; "
        f"tested on deals created {_period(test)} and closed (never seen in training)."
    )
    a, b, c = st.columns(3)
    _probability_tile(a, "P(won) of a deal (AUC)", win, "win")
    if crm.get("judged"):
        b.metric("The CRM's own probability (AUC)", _score(crm.get("crm_auc") or 0), border=True,
                 help=f"On the {widgets.count(crm.get('test_deals'))} test deals that have one; "
                      f"Brier {formats.number(crm.get('crm_brier') or 0, widgets.current_locale(), 3)}.")
    else:
        b.metric("The CRM's own probability", "not judged", border=True)
        b.caption(crm.get("reason") or "")
    near, naive = back.get("mae_3m"), back.get("seasonal_naive_mae_3m")
    c.metric("Won amount, next 3 months (backtest MAE per month)", widgets.money(near), border=True,
             help="Forecasts made at each of the last 12 month starts with the deals known then, "
                  "against the amount won.")
    c.caption(_naive(near, naive) if back.get("pairs") else
              "No backtest yet: the CRM holds less than two years of deals, so no month has a same month "
              "a year earlier to compare with.")
    _reliability(win, "Reliability of P(won): predicted vs observed", "forecast_reliability_win")
