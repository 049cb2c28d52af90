"""Typology: groups of similar clients, what each looks like and which one the agency works best with."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

from app.ui import state, widgets
from core import formats, labels
from core.filters import Filters
from core.metrics import typology

# (column, chart title, axis title, tick format, hover format)
PERFORMANCE = (
    ("fill_rate", "Fill rate", "Fill rate (%)", ".0%", "%{y:.1%}"),
    ("margin", "Margin (net profit / turnover)", "Margin (%)", ".0%", "%{y:.1%}"),
    ("median_days_to_fill", "Median days to fill", "Days", ",.0f", "%{y:,.0f} days"),
)


def _colours(profiles: pd.DataFrame) -> dict[str, str]:
    """One colour per typology, in cluster order, for every chart of the page."""
    names = profiles.sort_values("cluster")["cluster_name"].tolist()
    palette = qualitative.Plotly
    return {n: palette[i % len(palette)] for i, n in enumerate(names)}


def _performance(profiles: pd.DataFrame) -> None:
    colours = _colours(profiles)
    for column, (measure, title, axis, tick, hover) in zip(st.columns(len(PERFORMANCE)), PERFORMANCE):
        fig = widgets.bars(profiles.sort_values("cluster"), "cluster_name", measure,
                           "%{x}: " + hover + " (%{customdata[0]} clients)", colour_by="cluster_name",
                           colours=colours, custom=("clients",))
        # Names wrapped on short lines, upright: three charts side by side leave each bar a narrow label.
        fig.update_xaxes(tickvals=list(colours), ticktext=["<br>".join(textwrap.wrap(n, 12)) for n in colours],
                         tickangle=0)
        fig.update_yaxes(tickformat=tick)
        fig.update_layout(showlegend=False)
        widgets.style_figure(fig, title, "Typology", axis)
        widgets.chart(fig, f"typology_{measure}_chart", column)


# What a client's point says when hovered, after its name: (column, d3 number format).
MAP_HOVER = (("employees", ",.0f"), ("jobs_opened", ",.0f"), ("avg_salary_k", ".0f"), ("avg_fee_rate", ".1%"))


def _scatter(shown: pd.DataFrame, colours: dict[str, str], locale: formats.Locale) -> go.Figure:
    """One trace of points per typology, in the typologies' order and colours, hovered in business words.
    Built with graph objects: plotly express took some 0.1 s per rerun for this chart."""
    hover = "<b>%{customdata[0]}</b>" + "".join(
        f"<br>{labels.label(column, locale)}: %{{customdata[{i}]:{fmt}}}" for i, (column, fmt) in enumerate(MAP_HOVER, 1))
    custom = ["name", *(column for column, _ in MAP_HOVER)]
    return go.Figure([
        go.Scatter(x=rows["pc1"], y=rows["pc2"], mode="markers", name=name, marker_color=colour,
                   customdata=rows[custom], hovertemplate=hover + "<extra></extra>")
        for name, colour in colours.items() if not (rows := shown[shown["cluster_name"] == name]).empty
    ], layout={"legend_title_text": ""})


def _map(f: Filters, profiles: pd.DataFrame) -> pd.DataFrame:
    locale = widgets.current_locale()
    clients = typology.in_words(state.cached(typology.client_typology, f), locale)
    widgets.definition(typology.client_typology)
    shown = typology.map_sample(clients)
    if len(shown) < len(clients):
        st.caption(f"{formats.integer(len(shown), locale)} of {formats.integer(len(clients), locale)} clients drawn, "
                   "each typology in its share; the download of the table below lists them all.")
    fig = _scatter(shown, _colours(profiles), locale)
    widgets.style_figure(
        fig,
        "Clients on the two main axes of their features (similar clients are close)",
        "First principal component (no unit)",
        "Second principal component (no unit)",
    )
    widgets.chart(fig, "typology_map_chart")
    return clients


def run() -> None:
    st.title("Client typology")
    st.caption(
        "Clients that opened a job in the period, grouped by size, volume, salaries, fee rates, "
        "seniority, pitches and effort per job."
    )
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    profiles = state.cached(typology.typology_profiles, f)
    if profiles.empty:
        widgets.definition(typology.typology_profiles)
        widgets.empty_state(
            "No client opened a job in this period for these filters, so there is nothing to group."
        )
        return
    locale = widgets.current_locale()
    widgets.headline(typology.typology_verdict(profiles, locale))
    widgets.definition(typology.typology_profiles)
    # Typologies are named in the reader's words on every chart and table (and in their downloads).
    profiles = typology.in_words(profiles, locale)
    _performance(profiles)
    st.subheader("Profiles")
    widgets.show_table(
        profiles,
        money_cols=("turnover", "net_profit", "turnover_per_client"),
        pct_cols=("fill_rate", "fill_rate_ci_low", "fill_rate_ci_high", "margin", "mean_senior_share",
                  "mean_avg_fee_rate"),
        days_cols=("median_days_to_fill",),
        key="typology_profiles",
    )
    st.subheader("Clients and their typology")
    clients = _map(f, profiles)
    # One row per client: at 1M deals some 69,000, too many to send at every rerun; the CSV has them all.
    widgets.show_table(clients, pct_cols=("avg_fee_rate", "senior_share"), key="typology_clients", preview=True)


run()
