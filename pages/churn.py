"""Churn and lifetime value: who stops working with the agency, when and after what, and what it is worth."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core import labels
from core.filters import Filters
from core.metrics import churn, common, headlines

RELATIONSHIP_COLOURS = {"loyal": "#54A24B", "broken": "#E45756"}
EVENT_COLOURS = {
    "broken guarantee": "#E45756",
    "lost job": "#F58518",
    "long unfilled job": "#EECA3B",
    "no incident": "#C9CED6",
}


def _churn_rate(f: Filters) -> None:
    st.subheader("Churn rate by year")
    # A trend needs its years: every complete year is drawn, the years of the chosen period darker.
    by_year = state.cached(churn.churn_by_year, f.without_period())
    widgets.definition(churn.churn_by_year)
    if by_year.empty:
        widgets.empty_state(
            "No complete year in the data for these filters: churn needs a client active "
            "in one year and a whole following year to look at."
        )
        return
    first = f.date_from.year if f.date_from else 0
    last = f.date_to.year if f.date_to else 9999
    in_period = by_year["year"].between(first, last)
    fig = go.Figure(
        go.Bar(
            x=by_year["year"],
            y=by_year["churn_rate"],
            marker_color=in_period.map({True: "#E45756", False: "#F2B8B9"}),
            customdata=by_year[["churned", "active_prev_year"]],
            hovertemplate="%{x}: %{y:.1%} (%{customdata[0]:,.0f} of %{customdata[1]:,.0f} clients)<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    fig.update_layout(bargap=0.5)
    fig.update_yaxes(tickformat=".0%")
    widgets.style_figure(
        fig, "Share of the previous year's active clients who opened no job (the period's years darker)", "Year",
        "Churn rate (%)",
    )
    widgets.chart(fig, "churn_rate_chart")
    widgets.show_table(by_year, pct_cols=("churn_rate",), key="churn_by_year")


def _timing(f: Filters) -> None:
    st.subheader("When and after what they leave")
    reasons = state.cached(churn.churn_reasons, f)
    widgets.definition(churn.churn_timing)
    if reasons.empty:
        widgets.empty_state("No client churned in this period for these filters.")
        return
    locale = widgets.current_locale()
    named = {event: labels.value_label(event, locale) for event in EVENT_COLOURS}
    fig = widgets.bars(
        reasons.assign(last_event=reasons["last_event"].map(named)), "last_event", "clients",
        "%{x}: %{y} churns (%{customdata[0]:.0%}), median %{customdata[1]:,.0f} days since the last job",
        colour_by="last_event", colours={named[e]: colour for e, colour in EVENT_COLOURS.items()},
        custom=("share", "median_days_since_last_job"),
    )
    fig.update_layout(showlegend=False)
    widgets.style_figure(
        fig, "Last incident before a client left", "Last incident", "Churned clients (count)"
    )
    widgets.chart(fig, "churn_reasons_chart")
    widgets.show_table(
        reasons,
        pct_cols=("share",),
        days_cols=("median_days_since_last_job", "median_tenure_days"),
        key="churn_reasons",
    )
    with st.expander("Every churn, latest first"):
        widgets.show_table(
            state.cached(churn.churn_timing, f),
            days_cols=("tenure_days", "days_since_last_job"),
            key="churn_timing",
        )


def _lifetime_value(f: Filters) -> None:
    st.subheader("Lifetime value: loyal vs broken relationships")
    clv = state.cached(churn.lifetime_value, f)
    widgets.definition(churn.lifetime_value)
    if clv.empty or clv["clients"].sum() == 0:
        widgets.empty_state("No loyal or broken relationship for these filters.")
        return
    fig = go.Figure()
    relationship = clv["relationship"].map(widgets.value_words)
    for measure, name, pattern in (("mean_clv", "Mean", ""), ("median_clv", "Median", "/")):
        fig.add_bar(
            x=relationship,
            y=clv[measure],
            name=name,
            customdata=clv["clients"],
            marker={"color": clv["relationship"].map(RELATIONSHIP_COLOURS), "pattern_shape": pattern},
            hovertemplate="%{x}: €%{y:,.0f} (%{customdata} clients)<extra>" + name + "</extra>",
        )
    widgets.style_figure(
        fig,
        "Client lifetime value (lifetime net profit), mean and median",
        "Relationship",
        "Lifetime value (€)",
    )
    fig.update_yaxes(tickprefix="€")
    widgets.chart(fig, "churn_clv_chart")
    widgets.show_table(clv, money_cols=("mean_clv", "median_clv", "mean_turnover"), key="churn_clv")


def _at_risk(f: Filters) -> None:
    st.subheader("At risk now")
    st.caption(f"Now is the data's last date, {state.cached(common.as_of):%d %B %Y}.")
    at_risk = state.cached(churn.at_risk_clients, f)
    widgets.definition(churn.at_risk_clients)
    if at_risk.empty:
        widgets.empty_state("No client is silent for much longer than its usual rhythm for these filters.")
        return
    widgets.show_table(
        at_risk,
        money_cols=("turnover", "net_profit"),
        days_cols=("median_gap_days", "days_silent"),
        key="churn_at_risk",
    )


def run() -> None:
    st.title("Churn & lifetime value")
    st.caption("A client active in year Y−1 (it opened a job) that opens no job in year Y has churned in Y.")
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    # The headline reads the frame the churn chart draws: one query for both.
    all_years = state.cached(churn.churn_by_year, f.without_period())
    widgets.headline(headlines.churn_period_sentence(all_years, f, widgets.current_locale()))
    _churn_rate(f)
    _timing(f)
    _lifetime_value(f)
    _at_risk(f)


run()
