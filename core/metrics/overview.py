"""Overview: the headline numbers of the period and their change against the previous period."""

from __future__ import annotations

import pandas as pd

from core.filters import Filters, where
from core.metrics.clients import economics_sql
from core.metrics.common import has_bo
from core.metrics.derived import DECIDED_SQL, FILLED_STATUS
from core.metrics.pipeline import crm_headline, headline_frame

BO_MEASURES = (
    ("turnover", "Turnover", "eur"),
    ("net_profit", "Net profit", "eur"),
    ("placements", "Placements", "count"),
    ("jobs_opened", "Jobs opened", "count"),
    ("fill_rate", "Fill rate", "rate"),
    ("mer_to_placement", "MER → placement", "rate"),
    ("active_clients", "Active clients", "count"),
    ("churned_clients", "Churned clients", "count"),
)


def _churned(con, filters: Filters) -> int | None:
    if filters.date_from is None or filters.date_to is None:
        return None
    before = filters.previous_period()
    now_sql, now_params = where(filters.period("j.opened_at"), filters.jobs("j"))
    prev_sql, prev_params = where(before.period("j.opened_at"), before.jobs("j"))
    return con.execute(f"""
        SELECT COUNT(*) FROM (
            SELECT DISTINCT j.client_id FROM jobs j WHERE {prev_sql}
            EXCEPT SELECT DISTINCT j.client_id FROM jobs j WHERE {now_sql})""",
        prev_params + now_params).fetchone()[0]


def _bo_values(con, filters: Filters) -> dict[str, float | None]:
    eco_sql, eco_params = economics_sql(filters)
    turnover, net_profit, placements = con.execute(
        f"SELECT SUM(turnover), SUM(net_profit), SUM(placements) FROM ({eco_sql})", eco_params).fetchone()
    jobs_sql, jobs_params = where(filters.period("j.opened_at"), filters.jobs("j"))
    ev_sql, ev_params = where(filters.period("e.event_date"), filters.jobs("j"))
    jobs_opened, fill_rate, active, mers, placed = con.execute(f"""
        SELECT (SELECT COUNT(*) FROM jobs j WHERE {jobs_sql}),
               (SELECT COUNT(*) FILTER (WHERE j.status = '{FILLED_STATUS}')
                       / NULLIF(COUNT(*) FILTER (WHERE j.status IN {DECIDED_SQL}), 0)
                FROM jobs j WHERE {jobs_sql}),
               (SELECT COUNT(DISTINCT j.client_id) FROM jobs j WHERE {jobs_sql}),
               COUNT(*) FILTER (WHERE e.stage = 'mer'),
               COUNT(*) FILTER (WHERE e.stage = 'placement')
        FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id
        WHERE e.stage IN ('mer', 'placement') AND {ev_sql}""", jobs_params * 3 + ev_params).fetchone()
    return {
        "turnover": float(turnover or 0.0),
        "net_profit": float(net_profit or 0.0),
        "placements": int(placements or 0),
        "jobs_opened": jobs_opened,
        "fill_rate": fill_rate,
        "mer_to_placement": placed / mers if mers else None,
        "active_clients": active,
        "churned_clients": _churned(con, filters),
    }


def headline(con, filters: Filters) -> pd.DataFrame:
    """Headline numbers of the period, each with its value for the previous period of the same length and the
    change. turnover = fees invoiced in the period; net profit = turnover − refunds (fees of those placements
    whose guarantee broke) − effort cost (both exactly as in the client economics); placements = placements
    invoiced in the period; jobs opened = jobs opened in the period; fill rate = filled / decided (filled,
    lost or cancelled) among the jobs opened in the period; MER → placement = placement events / MER events
    dated in the period; active clients = clients that opened at least one job in the period; churned clients
    = clients that opened a job in the previous period of the same length and none in this one (needs a closed
    period, else NULL). With a closed period (from and to dates), `previous` holds each measure for the period
    of the same length just before and change = value / previous − 1; otherwise both are NULL. Without a BO
    export the headline is the CRM's (see `crm_headline`).

    Args:
        con: warehouse connection.
        filters: the global filters.

    Returns:
        DataFrame [measure, label, value, previous, change, unit], unit `eur`, `count`, `rate` or
        `days`.
    """
    if not has_bo(con):
        return crm_headline(con, filters)
    closed = filters.date_from is not None and filters.date_to is not None
    previous = _bo_values(con, filters.previous_period()) if closed else None
    return headline_frame(BO_MEASURES, _bo_values(con, filters), previous)

