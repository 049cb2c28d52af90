"""Time wasters: clients who take a lot of the agency's effort and bring little back."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core import formats, labels
from core.metrics import headlines, time_wasters

QUADRANT_COLOURS = {
    "time waster": "#E45756",
    "key account": "#1B3A6B",
    "efficient": "#54A24B",
    "low stakes": "#C9CED6",
}


def _scatter(ranked: pd.DataFrame) -> None:
    locale = widgets.current_locale()
    named = {q: labels.value_label(q, locale) for q in QUADRANT_COLOURS}
    points, density = time_wasters.effort_return_view(ranked)
    fig = px.scatter(
        points.assign(quadrant=points["quadrant"].map(named)),
        x="effort_score",
        y="return_score",
        color="quadrant",
        color_discrete_map={named[q]: colour for q, colour in QUADRANT_COLOURS.items()},
        category_orders={"quadrant": list(named.values())},
        hover_name="name",
        # SVG even beyond 1,000 points (plotly express would switch to WebGL, which the app's Plotly lacks).
        render_mode="svg",
        hover_data={
            "rank": True,
            "activity_hours": ":,.1f",
            "pitches": ":,",
            "jobs_opened": ":,",
            "turnover": ":,.0f",
            "net_profit": ":,.0f",
            "waste_score": ":.2f",
            "effort_score": ":.2f",
            "return_score": ":.2f",
            "quadrant": False,
        },
        labels={
            "activity_hours": "Activity hours",
            "jobs_opened": "Jobs opened",
            "turnover": "Turnover (€)",
            "net_profit": "Net profit (€)",
            "waste_score": "Waste score",
            "effort_score": "Effort score",
            "return_score": "Return score",
            "pitches": "Pitches",
            "rank": "Rank",
        },
    )
    fig.update_traces(marker={"size": 10, "opacity": 0.8})
    if not density.empty:
        st.caption(f"{formats.integer(len(ranked), locale)} clients: the {formats.integer(len(points), locale)} "
                   f"time wasters first in the ranking are points, the "
                   f"{formats.integer(len(ranked) - len(points), locale)} others are counted by area (darker: more).")
        fig.add_trace(go.Heatmap(
            x=density["effort_score"], y=density["return_score"], z=density["clients"],
            colorscale="Greys", showscale=False, xgap=1, ygap=1, name="other clients",
            hovertemplate="%{z:,.0f} clients here<extra></extra>"))
        # The density goes under the points.
        fig.data = (fig.data[-1], *fig.data[:-1])
    fig.update_layout(legend_title_text="")
    # The quadrants are cut at the median scores of the clients shown (see the definition).
    fig.add_vline(x=ranked["effort_score"].median(), line_dash="dot", annotation_text="median effort")
    fig.add_hline(y=ranked["return_score"].median(), line_dash="dot", annotation_text="median return")
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])
    widgets.style_figure(
        fig,
        "Effort vs return per client: time wasters are bottom right",
        "Effort score (0–1, percentile of hours, pitches, jobs)",
        "Return score (0–1, percentile of turnover, net profit)",
    )
    widgets.chart(fig, "time_wasters_scatter")


def run() -> None:
    st.title("Time wasters")
    st.caption(
        "Clients whose effort (activity hours, pitches, jobs opened) is high and whose return "
        "(turnover, net profit) is low, compared with the other clients of the period."
    )
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    ranked = state.cached(time_wasters.time_wasters, f)
    if ranked.empty:
        widgets.empty_state(
            "No client had a job, a placement or logged activity in this period for these filters."
        )
        return
    widgets.headline(headlines.time_wasters_sentence(ranked, widgets.current_locale()))
    widgets.definition(time_wasters.time_wasters)
    _scatter(ranked)
    st.subheader("Ranked list, most wasteful first")
    widgets.show_table(ranked, money_cols=("turnover", "net_profit"), key="time_wasters_ranked", preview=True)


run()
