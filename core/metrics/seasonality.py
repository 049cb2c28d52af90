"""Seasonality: jobs opened, placements and revenue by month, and the month-of-year seasonal index."""

from __future__ import annotations

import calendar

import pandas as pd

from core.filters import Filters, where
from core.metrics.common import as_of, invoicing_pending_from

MEASURES = ("jobs_opened", "placements", "revenue")
MONTHLY_COLUMNS = ["month", "jobs_opened", "placements", "revenue", "booked", "status"]
# A month is `complete`, `running` (the as-of date falls in it before its last day) or `not all invoiced`
# (placements made from then on are still to be invoiced: `invoicing_pending_from`).
MONTH_STATUSES = ("complete", "not all invoiced", "running")
INDEX_COLUMNS = ["month_of_year", "month_name", "mean_value", "index", "is_peak", "is_trough"]
HEATMAP_COLUMNS = ["year", "month_of_year", "value"]


def _measure(measure: str) -> str:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    return measure


def monthly_activity(con, f: Filters) -> pd.DataFrame:
    """Jobs opened, placements and revenue per calendar month, each month marked complete or not.

    Jobs opened are counted by the month of `opened_at`; placements and revenue (the
    placements' `fee_eur`, before any guarantee refund) by the month of `invoiced_at`
    (revenue invoiced); booked = the fees of the placements made in the month (by
    placement date, `placement_facts.placed_at`), invoiced or not. The period filter applies
    to those dates; team, salesperson and job type filters apply to the job (a placement
    follows its job). Every month between the first and the last month with data is listed,
    with zeros for quiet months. status: `running` for the month of the as-of date when it is
    not its last day, `not all invoiced` from the month whose placements are not all invoiced
    yet (`invoicing_pending_from`): their revenue is still to come, so a fall there is not a fall
    in business; `complete` otherwise.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        One row per month: month (first day of the month), jobs_opened, placements,
        revenue (€), booked (€), status. Empty when nothing matches.
    """
    jobs_sql, jobs_params = where(f.period("j.opened_at"), f.jobs("j"))
    plc_sql, plc_params = where(f.period("p.invoiced_at"), f.jobs("j"))
    booked_sql, booked_params = where(f.period("x.placed_at"), f.jobs("x"))
    sql = f"""
        WITH opened AS (
            SELECT date_trunc('month', j.opened_at) AS m, COUNT(*) AS n
            FROM jobs j WHERE j.opened_at IS NOT NULL AND {jobs_sql} GROUP BY 1),
        invoiced AS (
            SELECT date_trunc('month', p.invoiced_at) AS m, COUNT(*) AS n, SUM(p.fee_eur) AS revenue
            FROM placements p JOIN jobs j USING (job_id)
            WHERE p.invoiced_at IS NOT NULL AND {plc_sql} GROUP BY 1),
        booked AS (
            SELECT date_trunc('month', x.placed_at) AS m, SUM(x.fee_eur) AS fees
            FROM placement_facts x WHERE x.placed_at IS NOT NULL AND {booked_sql} GROUP BY 1),
        bounds AS (SELECT MIN(m) AS lo, MAX(m) AS hi
                   FROM (SELECT m FROM opened UNION ALL SELECT m FROM invoiced UNION ALL SELECT m FROM booked)),
        grid AS (SELECT unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS m
                 FROM bounds WHERE lo IS NOT NULL)
        SELECT CAST(g.m AS DATE) AS month,
               COALESCE(o.n, 0)::BIGINT AS jobs_opened,
               COALESCE(i.n, 0)::BIGINT AS placements,
               COALESCE(i.revenue, 0)::DOUBLE AS revenue,
               COALESCE(b.fees, 0)::DOUBLE AS booked,
               CASE WHEN g.m = date_trunc('month', ?::DATE) AND ?::DATE < last_day(?::DATE) THEN 'running'
                    WHEN g.m >= ?::DATE THEN 'not all invoiced' ELSE 'complete' END AS status
        FROM grid g LEFT JOIN opened o ON o.m = g.m LEFT JOIN invoiced i ON i.m = g.m
        LEFT JOIN booked b ON b.m = g.m
        ORDER BY 1
    """
    now, pending = as_of(con), invoicing_pending_from(con)
    return con.execute(sql, jobs_params + plc_params + booked_params
                       + [now, now, now, pending]).df()[MONTHLY_COLUMNS]


def seasonality_heatmap(con, f: Filters, measure: str = "jobs_opened") -> pd.DataFrame:
    """One measure laid out year × month of year, for a heatmap.

    The values are those of `monthly_activity` (same dates and filters), every month
    with data included, the current partial month too.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.
        measure: `jobs_opened`, `placements` or `revenue`.

    Returns:
        One row per month: year, month_of_year (1–12), value.
    """
    col = _measure(measure)
    monthly = monthly_activity(con, f)
    months = pd.to_datetime(monthly["month"])
    return pd.DataFrame({
        "year": months.dt.year.astype("int64"),
        "month_of_year": months.dt.month.astype("int64"),
        "value": monthly[col].astype(float),
    })[HEATMAP_COLUMNS]


def _complete_months(con, f: Filters, monthly: pd.DataFrame) -> pd.DataFrame:
    """Months entirely inside the filtered period and before the as-of date."""
    start = pd.to_datetime(monthly["month"])
    end = start + pd.offsets.MonthEnd(0)
    keep = pd.Series(True, index=monthly.index)
    now = as_of(con)
    if now is not None:
        keep &= end <= pd.Timestamp(now)
    if f.date_from is not None:
        keep &= start >= pd.Timestamp(f.date_from)
    if f.date_to is not None:
        keep &= end <= pd.Timestamp(f.date_to)
    return monthly[keep].assign(year=start[keep].dt.year, month_of_year=start[keep].dt.month)


def seasonal_index(con, f: Filters, measure: str = "jobs_opened") -> pd.DataFrame:
    """Seasonal index of one measure per calendar month, peak and trough named.

    Each calendar month's mean value over the years, divided by the mean of those twelve
    (or fewer) monthly means: 1.20 means that month is 20 % busier than an average month.
    Only complete months count (entirely inside the filtered period and on or before
    the as-of date). When the data holds at least one complete calendar year, only complete
    years are used, so that every month is averaged over the same years and a trend does
    not favour the months of a partial year; otherwise every complete month is used.
    The peak is the month with the highest index, the trough the lowest (first one on ties).

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters (dates and filters as in `monthly_activity`).
        measure: `jobs_opened` (client demand, the default), `placements` or `revenue`.

    Returns:
        One row per calendar month with data: month_of_year (1–12), month_name,
        mean_value, index, is_peak, is_trough. Empty when there is no complete month.
    """
    col = _measure(measure)
    months = _complete_months(con, f, monthly_activity(con, f))
    full_years = months.groupby("year")["month_of_year"].transform("nunique") == 12
    if full_years.any():
        months = months[full_years]
    if months.empty:
        return pd.DataFrame(columns=INDEX_COLUMNS)
    out = (months.groupby("month_of_year", as_index=False)[col].mean()
           .rename(columns={col: "mean_value"}).sort_values("month_of_year"))
    overall = out["mean_value"].mean()
    out["mean_value"] = out["mean_value"].astype(float)
    out["index"] = out["mean_value"] / overall if overall else float("nan")
    out["month_name"] = [calendar.month_name[m] for m in out["month_of_year"]]
    has_index = out["index"].notna().any()
    out["is_peak"] = (out.index == out["index"].idxmax()) if has_index else False
    out["is_trough"] = (out.index == out["index"].idxmin()) if has_index else False
    out["month_of_year"] = out["month_of_year"].astype("int64")
    return out[INDEX_COLUMNS].reset_index(drop=True)
