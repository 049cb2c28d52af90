"""Funnel: pitch → MER → offer → placement, what makes a job close, and each salesperson's conversion."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import state, widgets
from core.filters import Filters
from core.metrics import funnel, headlines

GRAINS = {"year": "Year", "quarter": "Quarter", "month": "Month"}
STAGE_PLURALS = {"pitch": "pitches", "mer": "MERs", "offer": "offers"}


def _funnel(f: Filters) -> bool:
    stages = state.cached(funnel.funnel_overall, f)
    widgets.definition(funnel.funnel_overall)
    if stages.empty or stages["events"].sum() == 0:
        widgets.empty_state("No pitch, MER, offer or placement was logged in this period for these filters.")
        return False
    fig = go.Figure(
        go.Funnel(
            y=stages["stage"].map(widgets.value_words),
            x=stages["events"],
            # d3 formats: the layout's separators put them in the reader's locale.
            texttemplate="%{value:,.0f} (%{percentPrevious:.1%})",
            hovertemplate="%{y}: %{value:,.0f} events, %{percentPrevious:.1%} of the stage before<extra></extra>",
            marker_color=stages["stage"].map(widgets.STAGE_COLOURS),
        )
    )
    widgets.style_figure(
        fig, "Pipeline events by stage, by event date (and % of the previous stage)", "Events (count)", "Stage"
    )
    widgets.chart(fig, "funnel_chart")
    widgets.show_table(stages, pct_cols=("conversion_from_previous",), key="funnel_overall")
    return True


def _default_grain(f: Filters) -> str:
    """Whole periods for a trend: months over a period of up to two years, years beyond (quarters of
    a rolling 12 months would start and end part-way)."""
    if f.date_from is None or f.date_to is None or (f.date_to - f.date_from).days > 731:
        return "year"
    return "month"


# A fragment: the grain only changes the trend chart.
@st.fragment
def _mer_trend(f: Filters) -> None:
    grain = st.segmented_control(
        "Per", list(GRAINS), format_func=GRAINS.get, default=_default_grain(f), key="funnel_grain",
        required=True,
    )
    trend = state.cached(funnel.mer_to_placement_over_time, f, grain=grain)
    widgets.definition(funnel.mer_to_placement_over_time)
    fig = go.Figure(go.Scatter(
        x=trend["period"], y=trend["mer_to_placement_rate"], mode="lines+markers",
        customdata=trend[["placements", "mers"]],
        line_color=widgets.STAGE_COLOURS["placement"],
        hovertemplate="%{x|%b %Y}: %{y:.1%} (%{customdata[0]} placements / %{customdata[1]} MERs)<extra></extra>",
    ))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    widgets.style_figure(fig, f"MER → placement ratio per {grain} (placement and MER events by their date)",
                         GRAINS[grain], "Placements / MERs (%)")
    widgets.chart(fig, "funnel_mer_trend_chart")
    with st.expander("Numbers behind the chart"):
        widgets.show_table(trend, pct_cols=("mer_to_placement_rate",), key="funnel_trend")
    st.markdown("**Where the ratio moved: early vs late half of the period, by factor**")
    widgets.definition(funnel.mer_to_placement_factors)
    widgets.show_table(
        state.cached(funnel.mer_to_placement_factors, f),
        key="funnel_factors",
        pct_cols=("early_rate", "late_rate", "rate_change", "early_share_of_mers", "late_share_of_mers"),
    )


def _closing(f: Filters) -> None:
    curve = state.cached(funnel.fill_probability_by_count, f)
    if curve.empty:
        widgets.empty_state("No job opened in this period has a known outcome yet for these filters.")
        return
    stage = st.segmented_control(
        "Events counted", ["pitch", "mer", "offer"], format_func=widgets.value_words, default="pitch",
        key="funnel_close_stage", required=True,
    )
    widgets.headline(headlines.events_to_close_sentence(curve, stage, widgets.current_locale()))
    groups = funnel.count_groups(curve, stage=stage)
    labels = [str(lo) if lo == hi else f"{lo}–{hi}" for lo, hi in zip(groups["low"], groups["high"])]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=groups["rate"],
            customdata=groups[["filled", "jobs"]],
            marker_color=widgets.STAGE_COLOURS[stage],
            error_y={"type": "data", "symmetric": False, "array": groups["upper"] - groups["rate"],
                     "arrayminus": groups["rate"] - groups["lower"]},
            hovertemplate="%{x}: %{y:.1%} filled (%{customdata[0]:,.0f} of %{customdata[1]:,.0f} jobs)"
                          "<extra></extra>",
        )
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    # Labels such as "6" and "11–40" together: without this Plotly reads the axis as numbers and drops "11–40".
    fig.update_xaxes(type="category")
    widgets.style_figure(
        fig,
        f"Share of jobs filled by the number of {STAGE_PLURALS[stage]} they received "
        f"(groups of at least {funnel.MIN_JOBS_PER_GROUP} jobs, with their 95% interval)",
        f"{STAGE_PLURALS[stage].capitalize()} on the job",
        "Jobs filled (%)",
    )
    widgets.chart(fig, "funnel_fill_chart")
    widgets.definition(funnel.count_groups, label="How the groups are made")
    with st.expander("Every count, for pitches, MERs and offers"):
        widgets.definition(funnel.fill_probability_by_count)
        widgets.show_table(curve, pct_cols=("fill_probability",), key="funnel_fill")
    st.markdown("**Candidates per opportunity**")
    widgets.definition(funnel.candidates_per_opportunity)
    widgets.show_table(state.cached(funnel.candidates_per_opportunity, f), key="funnel_candidates")
    _closing_duration(f)
    st.markdown("**New vs repeat jobs**")
    new_repeat = state.cached(funnel.new_vs_repeat, f)
    widgets.answers([headlines.new_vs_repeat_answer(new_repeat, widgets.current_locale())])
    widgets.definition(funnel.new_vs_repeat)
    widgets.show_table(
        new_repeat,
        money_cols=("avg_fee",),
        pct_cols=("fill_rate",),
        days_cols=("median_days",),
        key="funnel_new_repeat",
    )


def _closing_duration(f: Filters) -> None:
    st.markdown("**Closing duration**")
    closing = state.cached(funnel.closing_duration, f)
    widgets.definition(funnel.closing_duration)
    if closing.empty:
        widgets.empty_state("No job was filled in this period for these filters.")
        return
    fig = widgets.bars_with_range(
        closing, "job_type", "median_days", "p25", "p75", widgets.STAGE_COLOURS["placement"],
        "%{x}: median %{y:.0f} days (half of the jobs between %{customdata[0]:.0f} and "
        "%{customdata[1]:.0f}; %{customdata[2]} jobs filled)",
        ("p25", "p75", "jobs_filled"),
    )
    widgets.style_figure(
        fig, "Days from opening to placement by job type (median, bars to the quartiles)", "Job type", "Days"
    )
    widgets.chart(fig, "funnel_closing_chart")
    widgets.show_table(closing, days_cols=("median_days", "p25", "p75"), key="funnel_closing")


def _people(rates: pd.DataFrame, fn, label: str, key: str) -> None:
    widgets.definition(fn)
    if rates.empty:
        widgets.empty_state(f"No pitch on a {label}'s jobs in this period for these filters.")
        return
    fig = widgets.bars_with_range(
        rates, "name" if "name" in rates else "team", "pitch_to_mer_rate", "ci_low", "ci_high",
        widgets.STAGE_COLOURS["mer"], "%{x}: %{y:.1%} (%{customdata[0]} MERs / %{customdata[1]} pitches)",
        ("mers", "pitches"),
    )
    fig.update_yaxes(tickformat=".0%")
    widgets.style_figure(
        fig, f"Pitch → MER rate per {label}, with its 95% interval", label.capitalize(), "MERs / pitches (%)"
    )
    widgets.chart(fig, f"{key}_chart")
    widgets.show_table(rates, pct_cols=("pitch_to_mer_rate", "ci_low", "ci_high"), key=key)


def run() -> None:
    st.title("Funnel")
    st.caption("Events are counted by their date; jobs by their opening date.")
    if not widgets.requires_bo(state.connection()):
        return
    f = state.current_filters()
    widgets.headline(state.cached(headlines.mer_to_placement_trend, f, locale=widgets.current_locale()))
    # Only the open tab is computed and sent: the browser draws its charts, not the six of the page.
    overall, closing, people = st.tabs(
        ["Funnel over time", "What makes a job close", "Salespeople and teams"], key="funnel_tab",
        on_change="rerun",
    )
    if overall.open:
        with overall:
            if _funnel(f):
                _mer_trend(f)
    if closing.open:
        with closing:
            _closing(f)
    if people.open:
        with people:
            # The teams' rates are sums of the salespeople's counts: one query for both.
            by_sales = state.cached(funnel.pitch_to_mer_by_sales, f)
            _people(by_sales, funnel.pitch_to_mer_by_sales, "salesperson", "funnel_by_sales")
            _people(funnel.team_pitch_to_mer(by_sales), funnel.pitch_to_mer_by_team, "team", "funnel_by_team")


run()
