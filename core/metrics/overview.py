"""Overview: the headline numbers of the period and their change against the previous period."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.filters import Filters, where
from core.metrics.churn import churn_by_year, years_in_period
from core.metrics.clients import economics_totals_sql
from core.metrics.common import as_of, events_in_scope, has_bo, invoicing_pending_from
from core.metrics.pipeline import crm_headline, headline_frame

BO_MEASURES = (
    ("turnover", "Turnover (invoiced)", "eur"),
    ("net_profit", "Net profit", "eur"),
    ("booked", "Fees booked", "eur"),
    ("placements", "Placements made", "count"),
    ("jobs_opened", "Jobs opened", "count"),
    ("fill_rate", "Fill rate", "rate"),
    ("mer_to_placement", "MER → placement", "rate"),
    ("active_clients", "Active clients", "count"),
    ("churned_clients", "Churned clients", "count"),
)
HEADLINE_COLUMNS = ["measure", "label", "value", "previous", "change", "unit", "note"]
# Measures dated by the invoice: incomplete while placements made are still to be invoiced.
_INVOICED = ("turnover", "net_profit")


def _churn_years(every_year: pd.DataFrame, filters: Filters) -> list[int]:
    """The complete calendar years the period overlaps (the churn years `churn_by_year` reports for it)."""
    lo, hi = years_in_period(filters)
    return [int(y) for y in every_year["year"] if lo <= y <= hi]


def _churn(every_year: pd.DataFrame, years: list[int]) -> tuple[int | None, int | None]:
    """(clients churned in `years`, clients active in the years before them), as `churn_by_year` counts."""
    if not years:
        return None, None
    rows = every_year[every_year["year"].isin(years)]
    return int(rows["churned"].sum()), int(rows["active_prev_year"].sum())


def _bo_values(con, filters: Filters) -> dict[str, float | None]:
    eco_sql, eco_params = economics_totals_sql(filters)
    turnover, net_profit = con.execute(f"SELECT turnover, net_profit FROM ({eco_sql})", eco_params).fetchone()
    booked_sql, booked_params = where(filters.period("x.placed_at"), filters.jobs("x"))
    booked = con.execute(f"SELECT SUM(x.fee_eur) FROM placement_facts x WHERE {booked_sql}",
                         booked_params).fetchone()[0]
    jobs_sql, jobs_params = where(filters.period("j.opened_at"), filters.jobs("j"))
    ev_sql, ev_params = events_in_scope(filters)
    jobs_opened, fill_rate, active, mers, placed = con.execute(f"""
        SELECT (SELECT COUNT(*) FROM job_facts j WHERE {jobs_sql}),
               (SELECT COUNT(*) FILTER (WHERE j.is_filled) / NULLIF(COUNT(*) FILTER (WHERE j.is_decided), 0)
                FROM job_facts j WHERE {jobs_sql}),
               (SELECT COUNT(DISTINCT j.client_id) FROM job_facts j WHERE {jobs_sql}),
               COUNT(*) FILTER (WHERE e.stage = 'mer'),
               COUNT(*) FILTER (WHERE e.stage = 'placement')
        FROM ({ev_sql}) e
        WHERE e.stage IN ('mer', 'placement')""", jobs_params * 3 + ev_params).fetchone()
    return {
        "turnover": float(turnover or 0.0),
        "net_profit": float(net_profit or 0.0),
        "booked": float(booked or 0.0),
        "placements": int(placed or 0),
        "jobs_opened": jobs_opened,
        "fill_rate": fill_rate,
        "mer_to_placement": placed / mers if mers else None,
        "active_clients": active,
    }


def _years_label(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def headline(con, filters: Filters) -> pd.DataFrame:
    """Headline numbers of the period, each with its value for the previous period of the same length and the
    change. turnover = fees invoiced in the period (by invoice date); net profit = turnover − refunds (fees of
    those placements whose guarantee broke) − effort cost (both exactly as in the client economics); fees
    booked = fees of the placements made in the period (by placement date, `placement_facts.placed_at`),
    invoiced or not; placements made = placement events dated in the period (by placement date, as the funnel
    counts them); jobs opened = jobs opened in the period; fill rate = filled / decided (filled, lost or
    cancelled) among the jobs opened in the period; MER → placement = placement events / MER events dated
    in the period (both by event date, as the funnel); active clients = clients that opened at least one job
    in the period; churned clients = clients churned in the complete calendar years the period overlaps,
    exactly as on the Churn page (`churn_by_year`: active in Y−1, no job opened in Y), its label naming the
    years; its previous value is the churn of as many years just before. With a closed period (from and to
    dates), `previous` holds each measure for the period of the same length just before and change = value /
    previous − 1. Incomplete periods are not compared: when the period runs past the data's last date, no
    measure is; when it reaches the months whose placements are not all invoiced yet
    (`invoicing_pending_from`), turnover and net profit are not, and `note` says why. Without a BO export
    the headline is the CRM's (see `crm_headline`).

    Args:
        con: warehouse connection.
        filters: the global filters.

    Returns:
        DataFrame [measure, label, value, previous, change, unit, note], unit `eur`, `count`, `rate` or
        `days`; note is NULL unless the measure is incomplete or not compared.
    """
    if not has_bo(con):
        return crm_headline(con, filters)
    closed = filters.date_from is not None and filters.date_to is not None
    values = _bo_values(con, filters)
    previous = _bo_values(con, filters.previous_period()) if closed else None
    notes: dict[str, str] = {}
    # Churn of every year, counted once: the period's years and the years before are read from it.
    every_year = churn_by_year(con, replace(filters, date_from=None, date_to=None))
    years = _churn_years(every_year, filters)
    values["churned_clients"], base = _churn(every_year, years)
    if years:
        before = list(range(years[0] - len(years), years[0]))
        if previous is not None:
            previous["churned_clients"] = _churn(every_year, before)[0] if before[0] > 0 else None
        notes["churned_clients"] = (
            f"Clients active in {years[0] - 1} ({base}) that opened no job in {years[0]}." if len(years) == 1
            else f"Clients active one year that opened no job the next, over {_years_label(years)} "
                 f"({base} clients active the years before).")
    else:
        notes["churned_clients"] = "Churn is counted by calendar year: no complete year in this period."
    now, pending = as_of(con), invoicing_pending_from(con)
    if previous is not None and now is not None and filters.date_to > now:
        previous = None
        notes.update({m: f"The period runs past the data's last date ({now:%d %b %Y}): not compared."
                      for m, _, _ in BO_MEASURES if m not in notes})
    if previous is not None and pending is not None and filters.date_to >= pending:
        for measure in _INVOICED:
            previous[measure] = None
            notes[measure] = (f"Placements made since {pending:%b %Y} are not all invoiced yet: "
                              "not compared with the previous period (see fees booked).")
    frame = headline_frame(BO_MEASURES, values, previous)
    if years:
        frame.loc[frame["measure"] == "churned_clients", "label"] = f"Churned clients in {_years_label(years)}"
    frame["note"] = frame["measure"].map(notes)
    return frame[HEADLINE_COLUMNS]
