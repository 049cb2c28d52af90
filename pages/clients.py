"""Clients: turnover, net profit and basket per client, segments and their drivers, one client in detail."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core import formats, labels
from core.filters import Filters
from core.metrics import acquisition, clients, headlines

MONEY = ("turnover", "refunds", "effort_cost", "net_profit", "avg_basket", "fee")
# Column of client_history -> (funnel stage, label).
STAGES = {
    "pitches": ("pitch", "Pitch"),
    "mers": ("mer", "MER"),
    "offers": ("offer", "Offer"),
    "placements": ("placement", "Placement"),
}


def _economics(f: Filters, economics: pd.DataFrame) -> None:
    st.subheader("Economics per client")
    repeat = state.cached(clients.repeat_business, f)
    values = dict(zip(repeat["measure"], repeat["value"]))
    left, middle, right = st.columns(3)
    left.metric(
        "Clients with more than one job",
        widgets.pct(values.get("share_clients_more_than_one_job")),
        border=True,
        help="Clients that opened more than one job / clients that opened one.",
    )
    middle.metric(
        "Revenue from returning clients",
        widgets.pct(values.get("share_revenue_from_returning_clients")),
        border=True,
        help="Turnover of clients with a repeat job / turnover.",
    )
    right.metric("Returning clients", widgets.count(values.get("returning_clients")), border=True)
    widgets.definition(clients.repeat_business, label="Definition: repeat business")
    widgets.definition(clients.client_economics, label="Definition: economics per client")
    picked = widgets.show_table(economics, money_cols=MONEY, key="clients_economics", selectable=True, preview=True)
    st.caption("Select a row to open that client's detail below.")
    # A row picked in the table drives the detail view; only a new pick overrides the search box.
    chosen = economics["client_id"].iloc[picked[0]] if picked else None
    if chosen is not None and chosen != st.session_state.get("clients_last_pick"):
        st.session_state["clients_detail"] = chosen
    st.session_state["clients_last_pick"] = chosen


def _segments(f: Filters) -> None:
    st.subheader("Segments and Pareto")
    pareto = state.cached(clients.pareto, f)
    widgets.definition(clients.pareto)
    if pareto.empty:
        widgets.empty_state("No client brought revenue in this period for these filters.")
        return
    locale = widgets.current_locale()
    named = {s: labels.value_label(s, locale) for s in widgets.SEGMENT_COLOURS}
    bars, curve = clients.pareto_view(pareto)
    if len(bars) < len(pareto):
        st.caption(f"The {formats.integer(len(bars), locale)} largest of {formats.integer(len(pareto), locale)} "
                   "clients are drawn as bars; the cumulative share covers all of them.")
    fig = widgets.bars(
        bars.assign(segment=bars["segment"].map(named)), "rank", "turnover",
        "#%{x} %{customdata[0]} (%{customdata[1]}): €%{y:,.0f}", colour_by="segment",
        colours={named[s]: colour for s, colour in widgets.SEGMENT_COLOURS.items()}, custom=("name", "segment"),
    )
    fig.add_scatter(
        x=curve["rank"],
        y=curve["cumulative_share"],
        yaxis="y2",
        name="Cumulative share",
        line_color="#333333",
        hovertemplate="Top %{x} clients: %{y:.1%} of turnover<extra></extra>",
    )
    fig.update_layout(
        bargap=0.1,
        yaxis={"tickprefix": "€"},
        yaxis2={
            "title": "Cumulative share of turnover (%)",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "range": [0, 1.02],
            "dtick": 0.2,
            "showgrid": False,
        },
    )
    widgets.style_figure(
        fig, "Pareto: clients ranked by turnover (bars coloured by segment)", "Client rank", "Turnover (€)"
    )
    widgets.chart(fig, "clients_pareto_chart")
    widgets.definition(clients.client_segments, label="Definition: segments")
    widgets.show_table(
        state.cached(clients.client_segments, f),
        money_cols=("turnover",),
        pct_cols=("revenue_share",),
        key="clients_segments",
    )
    st.subheader("What sets the segments apart")
    widgets.definition(clients.segment_drivers)
    drivers = state.cached(clients.segment_drivers, f)
    widgets.answers(headlines.segment_driver_answers(drivers, widgets.current_locale()))
    with st.expander("Every attribute compared, segment by segment"):
        widgets.show_table(drivers, key="clients_drivers")


# A fragment: picking a client in the search box redraws only the detail view.
@st.fragment
def _detail(f: Filters, economics: pd.DataFrame) -> None:
    st.subheader("Client detail")
    picked = st.session_state.get("clients_detail")
    if picked is not None and not economics["client_id"].eq(picked).any():
        st.session_state.pop("clients_detail", None)  # the client is out of the current filters
        picked = None
    query = st.text_input("Find a client", key="clients_detail_query", placeholder="Part of a name or client number")
    choices, matches = clients.client_choices(economics, query, keep=picked)
    names = dict(zip(choices["client_id"], choices["name"]))
    locale = widgets.current_locale()
    if matches > clients.CLIENT_CHOICES:
        st.caption(f"The {formats.integer(clients.CLIENT_CHOICES, locale)} largest of {formats.integer(matches, locale)} "
                   "matching clients are listed: type more of a name to narrow the list.")
    client_id = st.selectbox(
        "Client",
        list(names),
        index=None,
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        placeholder="Pick a client or select a row above",
        key="clients_detail",
    )
    if client_id is None:
        return
    row = economics.loc[economics["client_id"] == client_id].iloc[0]
    cols = st.columns(4)
    for col, (label, value) in zip(
        cols,
        (
            ("Turnover", widgets.money(row["turnover"])),
            ("Net profit", widgets.money(row["net_profit"])),
            ("Effort", formats.hours(row["effort_hours"], widgets.current_locale())),
            ("Segment", row["segment"]),
        ),
    ):
        col.metric(label, value, border=True)
    history = state.cached(clients.client_history, f, client_id=client_id)
    widgets.definition(clients.client_history)
    if history.empty:
        widgets.empty_state("This client opened no job in this period for these filters.")
        return
    fig = go.Figure(
        go.Funnel(
            y=[label for _, label in STAGES.values()],
            x=history[list(STAGES)].sum().to_numpy(),
            marker_color=[widgets.STAGE_COLOURS[stage] for stage, _ in STAGES.values()],
            textinfo="value+percent previous",
        )
    )
    widgets.style_figure(
        fig, f"Funnel of {names.get(client_id, client_id)}'s jobs", "Events (count)", "Stage"
    )
    widgets.chart(fig, "clients_detail_funnel")
    widgets.show_table(history, money_cols=("fee",), key="clients_history")


def _new_clients(f: Filters) -> None:
    st.subheader("New clients won per quarter")
    # A trend needs its quarters: every quarter of the history, whatever the period chosen.
    won = state.cached(acquisition.new_clients, f.without_period(), grain="quarter")
    widgets.definition(acquisition.new_clients)
    if won.empty:
        widgets.empty_state("No client's first job matches these filters.")
        return
    locale = widgets.current_locale()
    fig = go.Figure(go.Bar(
        x=won["period"].map(lambda p: formats.quarter(p, locale)),
        y=won["new_clients"],
        # The exports' first quarter holds every client already there: grey, not a peak of acquisition.
        marker_color=won["complete"].map({True: "#1B3A6B", False: "#A9B7D0"}).mask(won["exports_start"], "#D3D7DE"),
        hovertemplate="%{x}: %{y:,.0f} new clients<extra></extra>",
    ))
    fig.update_xaxes(type="category")
    widgets.style_figure(fig, "Clients whose first job was opened in the quarter (a quarter still running lighter)",
                         "Quarter", "New clients (count)")
    widgets.chart(fig, "clients_new_chart")
    st.caption("The first quarter of the exports (in grey) counts every client already working with the agency "
               "when the exports start, not clients won then; the next quarters may still hold some of them.")
    widgets.show_table(won, key="clients_new")


def run() -> None:
    st.title("Clients")
    st.caption("Revenue is the placement fees, dated by invoice; net profit removes refunds and effort cost.")
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    economics = state.cached(clients.client_economics, f)
    if economics.empty:
        widgets.empty_state(
            "No client opened a job, was invoiced or had logged activity in this period for these filters."
        )
        return
    locale = widgets.current_locale()
    widgets.headline(headlines.pareto_sentence(state.cached(clients.pareto, f), locale))
    st.markdown(widgets.plain(state.cached(headlines.new_clients, f, locale=locale)))
    _economics(f, economics)
    _segments(f)
    _new_clients(f)
    _detail(f, economics)


run()
