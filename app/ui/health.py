"""The data's health in one sentence each: how clean the inputs were, how well CRM and BO are linked."""

from __future__ import annotations

import pandas as pd

from app.ui.state import cached
from app.ui.widgets import count, pct


def _total(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].sum()) if column in frame.columns and not frame.empty else 0.0


def quality_line() -> str:
    """E.g. 'Data quality: 12,345 rows read, 98.7% clean, 40 quarantined, 120 merged duplicates, 800 values fixed or flagged.'"""
    from core.metrics.quality import issues_by_rule, quality_summary

    summary = cached(quality_summary)
    rows_in = _total(summary, "rows_in")
    if rows_in == 0:
        return "Data quality: no rows were read."
    clean = _total(summary, "rows_clean")
    issues = cached(issues_by_rule)
    return (
        f"Data quality: {count(rows_in)} rows read, {pct(clean / rows_in)} loaded clean, "
        f"{count(_total(summary, 'rows_quarantined'))} quarantined, "
        f"{count(_total(summary, 'rows_merged'))} merged as duplicates, "
        f"{count(_total(issues, 'rows'))} cleaning decisions logged."
    )


def linking_line() -> str:
    """E.g. 'Linking: 93.1% of CRM deals and 95.0% of BO revenue linked; 14 company names to review.'"""
    from core.link import coverage
    from core.link.review import link_count

    cov = cached(coverage)
    shares = dict(zip(cov["measure"], cov["after_review"]))
    parts = [f"{pct(shares[m])} of {what}" for m, what in (("deals", "CRM deals"), ("revenue", "BO revenue"))
             if m in shares]
    linked = f"{' and '.join(parts)} linked; " if parts else ""
    return f"Linking: {linked}{count(cached(link_count, 'review', 'client'))} company names to review."
