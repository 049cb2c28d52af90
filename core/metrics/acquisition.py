"""Client acquisition: how many new clients the agency wins per period."""

from __future__ import annotations

import pandas as pd

from core.filters import Filters, where
from core.metrics.common import as_of

GRAINS = ("month", "quarter", "year")
NEW_CLIENT_COLUMNS = ["period", "new_clients", "complete", "exports_start"]


def new_clients(con, f: Filters, grain: str = "quarter") -> pd.DataFrame:
    """New clients won per period: a client is new in the period in which it opened its first job ever.

    The first job is the client's earliest `opened_at` over all its jobs, whatever the filters;
    the period filter applies to that date, and the team, salesperson, job type and segment
    filters to that first job (the client was won by that team, on that kind of job). Every
    period between the first and the last one with a new client is listed, with zeros.
    A period is complete when it ends on or before the as-of date. The first period of the
    exports (the one holding the earliest job opened, whatever the filters) counts every client
    already working with the agency when the exports start, not clients won then: `exports_start`
    marks it, so that it is not read as a peak of acquisition.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.
        grain: `month`, `quarter` or `year`.

    Returns:
        period (first day), new_clients, complete, exports_start. Empty when no client's first job
        is in scope.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, not {grain!r}")
    cond, params = where(f.period("j.opened_at"), f.jobs("j"))
    # `grain` is one of GRAINS (checked above), so it can be written into the SQL text.
    frame = con.execute(f"""
        WITH first_jobs AS (
            SELECT * FROM (
                SELECT j.*, ROW_NUMBER() OVER (PARTITION BY j.client_id ORDER BY j.opened_at, j.job_id) AS rn
                FROM jobs j WHERE j.opened_at IS NOT NULL AND j.client_id IS NOT NULL)
            WHERE rn = 1),
        won AS (
            SELECT date_trunc('{grain}', j.opened_at) AS p, COUNT(*) AS n
            FROM first_jobs j WHERE {cond} GROUP BY 1),
        grid AS (
            SELECT unnest(generate_series(MIN(p), MAX(p), INTERVAL 1 {grain})) AS p
            FROM won HAVING COUNT(*) > 0)
        SELECT CAST(g.p AS DATE) AS period, COALESCE(w.n, 0)::BIGINT AS new_clients,
               g.p = (SELECT date_trunc('{grain}', MIN(opened_at)) FROM jobs) AS exports_start
        FROM grid g LEFT JOIN won w ON w.p = g.p ORDER BY 1""", params).df()
    if frame.empty:
        return pd.DataFrame(columns=NEW_CLIENT_COLUMNS)
    frame["period"] = pd.to_datetime(frame["period"])
    step = {"month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}
    now = as_of(con)
    ends = frame["period"] + step[grain] - pd.Timedelta(days=1)
    frame["complete"] = ends <= pd.Timestamp(now) if now is not None else False
    return frame[NEW_CLIENT_COLUMNS]
