"""Data & linking: upload and rebuild, how clean the data is, the CRM ↔ BO links, and the reconciliation."""

from __future__ import annotations

import streamlit as st

from app.ui.health import linking_line, quality_line
from app.ui.linking import client_review, coverage_table, owner_review, saved_decisions
from app.ui.quality import effects_table, quarantine_table, rule_switches, unknown_stages_table
from app.ui.state import cached, current_filters
from app.ui.upload_step import upload_and_rebuild
from app.ui.widgets import current_locale, definition, empty_state, headline, period_label, show_table
from core.link.reconcile import reconciliation
from core.metrics.common import has_bo, has_crm
from core.metrics.headlines import data_headline
from core.metrics.quality import issues_by_rule, quality_summary, rule_effects

RECONCILIATION = {
    "won_without_placement": ("CRM deals won with no BO placement", ("amount",), ()),
    "placements_without_deal": ("BO placements with no CRM deal", ("fee_eur",), ()),
    "amount_mismatch": ("Won deals whose CRM amount differs from the BO fee by more than 10%",
                        ("amount", "fee_eur", "difference"), ("difference_share",)),
    "crm_completeness_by_sales": ("How complete each salesperson's CRM is against the BO", (),
                                  ("jobs_without_deal_share", "deals_without_amount_share")),
}


def quality() -> None:
    st.caption(quality_line())
    st.subheader("Rows per file")
    show_table(cached(quality_summary), key="data_quality_summary", name="rows per file")
    definition(quality_summary, label="Definition: rows per file")
    unknown_stages_table()
    st.subheader("What each cleaning rule did to the totals")
    effects_table()
    definition(rule_effects, label="Definition: rule effects")
    rule_switches()
    st.subheader("Cleaning decisions by rule")
    show_table(cached(issues_by_rule), key="data_issues_by_rule", name="issues by rule")
    definition("Each rule id is `<kind>.<name>` (kinds: missing, outlier, time_order, inconsistent, invalid, "
               "duplicate), described in docs/data-quality.md. Actions: `fixed` = value changed, the original "
               "kept in the log; `flagged` = value kept or emptied, row kept; `quarantined` = row kept out of "
               "the analyses; `merged` = duplicate folded into the first record.", label="Definition: rules and actions")
    st.subheader("Quarantined rows")
    quarantine_table()


def linking() -> None:
    if not (cached(has_crm) and cached(has_bo)):
        empty_state("Linking needs both a CRM export and a back-office export.")
        return
    st.caption(linking_line())
    st.subheader("Coverage")
    coverage_table()
    st.subheader("Review queue")
    client_review()
    st.subheader("Deal owners")
    owner_review()
    st.subheader("Saved decisions")
    saved_decisions()


def reconcile() -> None:
    if not (cached(has_crm) and cached(has_bo)):
        empty_state("The reconciliation compares the CRM with the back office: it needs both exports.")
        return
    f = current_filters()
    st.caption(f"{period_label(f)}, with the sidebar's team and people filters.")
    sections = cached(reconciliation, f)
    for name, (title, money_cols, pct_cols) in RECONCILIATION.items():
        frame = sections.get(name)
        st.subheader(f"{title} ({0 if frame is None else len(frame):,})")
        if frame is None or frame.empty:
            empty_state("Nothing to report for these filters.")
        else:
            show_table(frame, money_cols=money_cols, pct_cols=pct_cols, key=f"data_{name}", name=name,
                       height=300, preview=True)


st.title("Data & linking")
headline(cached(data_headline, locale=current_locale()))
upload_tab, quality_tab, linking_tab, reconcile_tab = st.tabs(
    ["Upload & rebuild", "Data quality", "Linking", "Reconciliation"])
with upload_tab:
    upload_and_rebuild()
with quality_tab:
    quality()
with linking_tab:
    linking()
with reconcile_tab:
    reconcile()
