"""CRM pipeline: what is open now, what is stuck, how often and how fast deals are won, why they are lost."""

from __future__ import annotations

import streamlit as st

from app.ui import model_card, state, widgets
from core.filters import Filters
from core.metrics import common, headlines, pipeline
from core.model import deals, store

BREAKDOWNS = {
    "owner": "Owner",
    "team": "Team",
    "month": "Month of close",
    "deal_type": "Deal type",
    "family": "Deal name family",
}


def _now(f: Filters) -> None:
    st.subheader("Open pipeline now")
    now = state.cached(pipeline.pipeline_now, f)
    widgets.definition(pipeline.pipeline_now)
    if now.empty:
        widgets.empty_state("No deal is open for these filters.")
    else:
        fig = widgets.bars(
            now, "stage_detail", "amount", "%{x}: €%{y:,.0f} in %{customdata[0]} deals (weighted €%{customdata[1]:,.0f})",
            # Funnel stages keep their colour from the other pages; CRM-only stages are grey.
            colour=now["stage_detail"].map(widgets.STAGE_COLOURS).fillna("#C9CED6"),
            custom=("deals", "weighted_amount"),
        )
        widgets.style_figure(fig, "Open deals by stage", "Stage", "Amount (€)")
        fig.update_yaxes(tickprefix="€")
        widgets.chart(fig, "pipeline_now_chart")
        widgets.show_table(now, money_cols=("amount", "weighted_amount"), key="pipeline_now")
    st.subheader("Stale deals")
    stale = state.cached(pipeline.stale_deals, f)
    widgets.definition(pipeline.stale_deals)
    if stale.empty:
        widgets.empty_state("No open deal is past its expected close date or untouched for long.")
    else:
        widgets.show_table(
            stale,
            money_cols=("amount",),
            days_cols=("days_overdue", "days_since_update"),
            key="pipeline_stale",
        )


def _win_odds() -> None:
    """A CRM-only warehouse: the open deals' win probability and expected amount from its deals model."""
    db = state.warehouse_path()
    bundle = store.load(db)
    st.subheader("Open deals: win probability and expected amount")
    if bundle is None or bundle.get("kind") != "crm":
        widgets.empty_state("The deals model is not trained yet: it trains after each build, and from the "
                            "Forecast page.")
        return
    deals_now = state.cached(_open_deals_table, bundle["card"].get("trained_at"))
    widgets.definition(deals.open_deals_predictions)
    st.caption(model_card.auc_verdict(bundle["card"].get("win") or {}, "win"))
    widgets.show_table(deals_now, money_cols=("amount", "expected_amount"),
                       pct_cols=("crm_probability", "win_probability"), key="pipeline_win_odds")


def _open_deals_table(con, trained_at: str | None):
    # keyed by the model's training time: a retrain gives new probabilities
    return deals.open_deals_predictions(con, store.load(state.warehouse_path()))


# A fragment: the breakdown only changes the win-rate and sales-cycle views.
@st.fragment
def _win_rates(f: Filters) -> None:
    by = st.segmented_control(
        "By", list(BREAKDOWNS), format_func=BREAKDOWNS.get, default="owner", key="pipeline_by", required=True
    )
    rates = state.cached(pipeline.win_rate, f, by=by)
    widgets.definition(pipeline.win_rate)
    if rates.empty:
        widgets.empty_state("No deal was won or lost in this period for these filters.")
        return
    fig = widgets.bars_with_range(
        rates, by, "win_rate", "ci_low", "ci_high", "#54A24B",
        "%{x}: %{y:.1%} (%{customdata[0]} won of %{customdata[1]} closed)", ("won", "deals"),
    )
    fig.update_yaxes(tickformat=".0%")
    widgets.style_figure(
        fig,
        f"Win rate by {BREAKDOWNS[by].lower()}, with its 95% interval",
        BREAKDOWNS[by],
        "Won / (won + lost) (%)",
    )
    widgets.chart(fig, "pipeline_win_rate_chart")
    widgets.show_table(rates, pct_cols=("win_rate", "ci_low", "ci_high"), key="pipeline_win_rate")
    widgets.definition(pipeline.sales_cycle, label="Definition: sales cycle")
    widgets.show_table(
        state.cached(pipeline.sales_cycle, f, by=by),
        key="pipeline_cycle",
        days_cols=("median_days", "p25_days", "p75_days", "mean_days"),
    )


def _won(f: Filters) -> None:
    st.subheader("Won amount")
    by_month = state.cached(pipeline.won_amount_by_month, f)
    widgets.definition(pipeline.won_amount_by_month)
    if by_month.empty:
        widgets.empty_state("No deal was won in this period for these filters.")
        return
    fig = widgets.bars(by_month, "month", "amount",
                       "%{x|%b %Y}: €%{y:,.0f} (%{customdata[0]} deals, average €%{customdata[1]:,.0f})",
                       colour="#54A24B", custom=("won_deals", "avg_deal_size"))
    widgets.style_figure(fig, "Won amount per month of close", "Month", "Won amount (€)")
    fig.update_yaxes(tickprefix="€")
    widgets.chart(fig, "pipeline_won_chart")
    season = state.cached(pipeline.won_seasonality, f)
    widgets.definition(pipeline.won_seasonality)
    fig = widgets.bars(season, "month_name", "index", "%{x}: index %{y:.2f} (average €%{customdata[0]:,.0f})",
                       colour="#4C78A8", custom=("mean_amount",))
    fig.add_hline(y=1.0, line_dash="dot", annotation_text="average month")
    widgets.style_figure(
        fig, "Seasonality of CRM deals won, by month of close (1 = average month)", "Calendar month of close",
        "Index (× average)"
    )
    widgets.chart(fig, "pipeline_season_chart")
    st.subheader("Top accounts")
    accounts = state.cached(pipeline.top_accounts, f)
    widgets.definition(pipeline.top_accounts)
    fig = widgets.bars(accounts.head(20), "account", "won_amount", "%{x}: €%{y:,.0f} won in %{customdata[0]} deals",
                       colour_by="segment", colours=widgets.SEGMENT_COLOURS, custom=("won_deals",))
    fig.update_yaxes(tickprefix="€")
    widgets.style_figure(
        fig, "The 20 accounts with the largest won amount, by segment", "Account", "Won amount (€)"
    )
    widgets.chart(fig, "pipeline_accounts_chart")
    widgets.show_table(
        accounts, money_cols=("won_amount",), pct_cols=("cumulative_share",), key="pipeline_top_accounts"
    )
    st.subheader("Lost reasons")
    lost = state.cached(pipeline.lost_reasons, f)
    widgets.definition(pipeline.lost_reasons)
    if lost.empty:
        widgets.empty_state("The CRM export gives no lost reason for the deals lost in this period.")
    else:
        widgets.show_table(lost, money_cols=("amount",), pct_cols=("share",), key="pipeline_lost")


def run() -> None:
    st.title("CRM pipeline")
    st.caption("CRM deals as exported and cleaned; amounts in euros; snapshots are at the data's last date.")
    if not common.has_crm(state.connection()):
        widgets.empty_state("This page needs a CRM deals export: upload one on the Data page.")
        return
    f = state.current_filters()
    numbers = state.cached(pipeline.crm_headline, f)
    widgets.headline(headlines.win_rate_sentence(numbers, widgets.current_locale()))
    widgets.metric_row(numbers)
    for note in numbers["note"].dropna().unique():
        st.caption(note)
    widgets.definition(pipeline.crm_headline, label="Definition: headline numbers")
    # Only the open tab is computed and sent: the browser draws its charts, not every chart of the page.
    now, rates, won = st.tabs(["Pipeline now", "Win rate and sales cycle", "Won and lost"], key="pipeline_tab",
                              on_change="rerun")
    if now.open:
        with now:
            _now(f)
            if not common.has_bo(state.connection()):
                _win_odds()
    if rates.open:
        with rates:
            _win_rates(f)
    if won.open:
        with won:
            _won(f)


run()
