"""Shared pieces of the analytics: the data's "now", what the warehouse holds, filter choices, intervals.

Nothing here caches: the app caches each analysis's result once, keyed by the warehouse file's
version and the filters (`app.ui.state.cached`), and the shared facts are tables of the build."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.filters import Filters, where

# The dates that say how far the data goes. Future dates were already set to NULL by the
# cleaner (rule `time_order.future_date`), so a plain MAX ignores them.
_AS_OF_SOURCES = (
    ("jobs", "opened_at"),
    ("pipeline_events", "event_date"),
    ("placements", "invoiced_at"),
    ("deals", "created_at"),
)
_FIRST_DATE_SOURCES = (("jobs", "opened_at"), ("deals", "created_at"))


def _tables(con) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    return {r[0] for r in rows}


def _has_rows(con, table: str) -> bool:
    # `table` only ever comes from the fixed names in this module.
    if table not in _tables(con):
        return False
    return con.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]


def _extreme_date(con, sources: tuple[tuple[str, str], ...], fn: str) -> date | None:
    present = _tables(con)
    parts = [f'SELECT {fn}("{col}") AS d FROM "{tab}"' for tab, col in sources if tab in present]
    if not parts:
        return None
    value = con.execute(f"SELECT {fn}(d) FROM ({' UNION ALL '.join(parts)})").fetchone()[0]
    return pd.Timestamp(value).date() if value is not None else None


def events_in_scope(f: Filters) -> tuple[str, list[object]]:
    """SQL of the pipeline events (the columns of `pipeline_events`) dated in the period on jobs that pass
    the job filters, and its parameters; use it as `FROM (<sql>) e`.

    The jobs are joined only when a job filter applies: the build quarantines every event whose job is
    not in `jobs` (rule `invalid.orphan`), so without one the join keeps every event, and it cost 0.3 s
    of a 0.4 s count over 9.4M events.
    """
    jobs_sql, jobs_params = f.jobs("j")
    period_sql, period_params = f.period("e.event_date")
    if jobs_sql == "TRUE":
        return f"SELECT e.* FROM pipeline_events e WHERE {period_sql}", period_params
    cond, params = where((period_sql, period_params), (jobs_sql, jobs_params))
    return f"SELECT e.* FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id WHERE {cond}", params


def as_of(con) -> date | None:
    """The data's "now": the latest date the warehouse knows of.

    Every analysis that needs a "today" (open jobs, at-risk clients, the current partial
    year, forecasts, stale deals) uses this date instead of the calendar, so that the same
    warehouse always gives the same answers. It is the latest of the last job opened, the
    last pipeline event, the last invoice and the last CRM deal created; dates the cleaner
    flagged as in the future are NULL in the warehouse and so ignored.

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        The as-of date, or None when the warehouse holds no dated record at all.
    """
    return _extreme_date(con, _AS_OF_SOURCES, "max")


def last_complete_year(now: date | None) -> int | None:
    """The last calendar year entirely on or before the as-of date `now` (None without a date)."""
    if now is None:
        return None
    return now.year if (now.month, now.day) == (12, 31) else now.year - 1


def invoicing_pending_from(con) -> date | None:
    """First day of the first month whose placements are not all invoiced yet, or None.

    A placement made (dated by its placement date, `placement_facts.placed_at`) but without an
    invoice date is pending when it was made no longer before the as-of date than the longest
    placement-to-invoice delay of the invoiced placements: its invoice may still come. Older ones
    without an invoice are not waited for. From the month of the earliest pending placement on,
    invoiced revenue is incomplete: fees already earned are still to be invoiced, so a fall in
    those months is not a fall in business.

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        The first day of that month, or None when nothing is pending.
    """
    now = as_of(con)
    if now is None:
        return None
    value = con.execute("""
        SELECT date_trunc('month', MIN(placed_at))::DATE FROM placement_facts
        WHERE NOT is_invoiced AND placed_at <= ?::DATE
          AND placed_at >= ?::DATE - (SELECT COALESCE(MAX(invoiced_at - placed_at), 0)::INTEGER FROM placement_facts
                                      WHERE is_invoiced AND invoiced_at >= placed_at)""", [now, now]).fetchone()[0]
    return pd.Timestamp(value).date() if value is not None else None


def has_bo(con) -> bool:
    """Whether the warehouse holds a back-office export (at least one BO job).

    The client, seasonality, funnel and churn analyses need the BO; a CRM-only build has
    none and the pages say so instead of showing empty charts.

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        True when the `jobs` table has at least one row.
    """
    return _has_rows(con, "jobs")


def has_crm(con) -> bool:
    """Whether the warehouse holds a CRM export (at least one deal).

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        True when the `deals` table has at least one row.
    """
    return _has_rows(con, "deals")


def filter_options(con) -> dict[str, object]:
    """The choices the global filters offer: teams, staff, job types, date range.

    Teams are those of the staff list (the `teams` table when the staff list is empty);
    the date range runs from the first job opened or deal created to the as-of date.

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        A dict with `teams` (sorted list of names), `staff` (DataFrame with columns
        staff_id, name, team, role, sorted by name), `job_types` (sorted list),
        `first_date` and `last_date` (dates, or None when the warehouse is empty).
    """
    present = _tables(con)
    staff = (
        con.execute("SELECT staff_id, name, team, role FROM staff ORDER BY name, staff_id").df()
        if "staff" in present
        else pd.DataFrame(columns=["staff_id", "name", "team", "role"])
    )
    teams: set[str] = {t for t in staff["team"].dropna().tolist()}
    if "teams" in present:
        teams |= {r[0] for r in con.execute("SELECT team FROM teams WHERE team IS NOT NULL").fetchall()}
    job_types = (
        [r[0] for r in con.execute(
            "SELECT DISTINCT job_type FROM jobs WHERE job_type IS NOT NULL ORDER BY 1").fetchall()]
        if "jobs" in present
        else []
    )
    return {
        "teams": sorted(teams),
        "staff": staff.reset_index(drop=True),
        "job_types": job_types,
        "first_date": _extreme_date(con, _FIRST_DATE_SOURCES, "min"),
        "last_date": as_of(con),
    }


def wilson_interval(successes, trials, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion successes / trials (vectorised).

    Used wherever a rate is shown beside its count, so that a rate on 5 trials is read
    with its (wide) uncertainty rather than ranked above a rate on 500. With z = 1.96 it
    is the usual 95 % interval; unlike the normal approximation it stays within [0, 1]
    and behaves at 0 and at 100 %.

    Args:
        successes: number(s) of successes (scalar, list, array or Series).
        trials: number(s) of trials, same shape.
        z: the normal quantile of the confidence level (1.96 for 95 %).

    Returns:
        (low, high) as float arrays; NaN where trials is 0 or missing.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_safe = np.where(n > 0, n, np.nan)
        p = k / n_safe
        denom = 1 + z**2 / n_safe
        centre = (p + z**2 / (2 * n_safe)) / denom
        half = z * np.sqrt(p * (1 - p) / n_safe + z**2 / (4 * n_safe**2)) / denom
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    return low, high
