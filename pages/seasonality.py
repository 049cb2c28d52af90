"""Seasonality: when clients open jobs, when placements happen and when revenue is invoiced."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core.filters import Filters
from core.metrics import headlines, seasonality

MEASURES = {"jobs_opened": "Jobs opened", "placements": "Placements invoiced", "revenue": "Revenue invoiced (€)"}
COLOURS = {"jobs_opened": "#4C78A8", "placements": "#54A24B", "revenue": "#C9CED6"}


def _monthly_series(f: Filters) -> None:
    st.subheader("Month by month")
    monthly = state.cached(seasonality.monthly_activity, f)
    widgets.definition(seasonality.monthly_activity)
    if monthly.empty:
        widgets.empty_state("No job opened and no placement invoiced in this period for these filters.")
        return
    fig = go.Figure()
    # Months whose placements are not all invoiced yet (or still running) are hatched: their bars will grow.
    fig.add_bar(
        x=monthly["month"],
        y=monthly["revenue"],
        name=MEASURES["revenue"],
        marker_color=COLOURS["revenue"],
        marker_pattern_shape=monthly["status"].map({"complete": ""}).fillna("/").tolist(),
        customdata=monthly["status"],
        hovertemplate="%{x|%b %Y}: €%{y:,.0f} (%{customdata})<extra>Revenue invoiced</extra>",
    )
    for measure in ("jobs_opened", "placements"):
        fig.add_scatter(
            x=monthly["month"],
            y=monthly[measure],
            name=MEASURES[measure],
            yaxis="y2",
            mode="lines+markers",
            line_color=COLOURS[measure],
            hovertemplate="%{x|%b %Y}: %{y:,.0f}<extra>" + MEASURES[measure] + "</extra>",
        )
    fig.update_layout(
        yaxis={"tickprefix": "€"},
        yaxis2={
            "title": "Jobs opened / placements (count)",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickformat": ",.0f",
        },
    )
    widgets.style_figure(fig, "Per month (hatched: not all invoiced yet)", "Month", "Revenue invoiced (€)")
    widgets.chart(fig, "seasonality_monthly_chart")
    widgets.show_table(monthly, money_cols=("revenue", "booked"), key="seasonality_monthly")


# A fragment: changing the measure redraws only the month-of-year views, not the monthly series.
@st.fragment
def _month_of_year(f: Filters) -> None:
    st.subheader("Month of year")
    measure = st.segmented_control(
        "Measure", list(MEASURES), format_func=MEASURES.get, default="jobs_opened",
        key="seasonality_measure", required=True,
    )
    index = state.cached(seasonality.seasonal_index, f, measure=measure)
    widgets.definition(seasonality.seasonal_index)
    if index.empty:
        widgets.empty_state(
            f"No complete month of {MEASURES[measure].lower()} in this period for these "
            "filters: the seasonal index needs at least one whole month."
        )
        return
    left, right = st.columns(2)
    left.metric(
        f"Peak month of {MEASURES[measure].lower()}",
        ", ".join(index.loc[index["is_peak"], "month_name"]),
        border=True,
        help="The calendar month with the highest seasonal index (BO jobs; the CRM pipeline page shows "
             "when deals are won).",
    )
    right.metric(
        f"Trough month of {MEASURES[measure].lower()}",
        ", ".join(index.loc[index["is_trough"], "month_name"]),
        border=True,
        help="The calendar month with the lowest seasonal index.",
    )
    bar_colours = (
        index["is_peak"].map({True: "#54A24B", False: "#4C78A8"}).where(~index["is_trough"], "#E45756")
    )
    unit = "€" if measure == "revenue" else ""
    fig = go.Figure(
        go.Bar(
            x=index["month_name"],
            y=index["index"],
            customdata=index["mean_value"],
            marker_color=bar_colours,
            hovertemplate="%{x}: index %{y:.2f} (average " + unit + "%{customdata:,.1f})<extra></extra>",
        )
    )
    fig.add_hline(y=1.0, line_dash="dot", annotation_text="average month")
    widgets.style_figure(
        fig,
        f"Seasonal index of {MEASURES[measure].lower()} (1 = average month)",
        "Calendar month",
        "Index (× average month)",
    )
    widgets.chart(fig, "seasonality_index_chart")
    heat = state.cached(seasonality.seasonality_heatmap, f, measure=measure)
    heat_fig = go.Figure(
        go.Heatmap(
            x=heat["month_of_year"],
            y=heat["year"],
            z=heat["value"],
            colorscale="Blues",
            colorbar={"title": MEASURES[measure]},
            hovertemplate="%{y}, month %{x}: " + unit + "%{z:,.0f}<extra></extra>",
        )
    )
    heat_fig.update_xaxes(tickmode="array", tickvals=index["month_of_year"], ticktext=index["month_name"])
    heat_fig.update_yaxes(type="category", autorange="reversed")
    widgets.style_figure(
        heat_fig, f"{MEASURES[measure]} by year and calendar month", "Calendar month", "Year"
    )
    widgets.chart(heat_fig, "seasonality_heatmap_chart")
    widgets.show_table(index, money_cols=("mean_value",) if unit else (), key="seasonality_index")


def run() -> None:
    st.title("Seasonality")
    st.caption("Jobs are dated by their opening; placements and revenue by their invoice date.")
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    widgets.headline(state.cached(headlines.seasonality_headline, f, locale=widgets.current_locale()))
    _monthly_series(f)
    _month_of_year(f)


run()
