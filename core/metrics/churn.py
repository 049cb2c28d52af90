"""Churn, retention and lifetime value: who stops opening jobs, when and after what, and who may be next."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.metrics.clients import _client_money
from core.metrics.common import as_of, last_complete_year
from core.metrics.derived import UNFILLED_SQL, job_dates_sql

BY_YEAR_COLUMNS = ["year", "active_prev_year", "churned", "churn_rate"]
TIMING_COLUMNS = ["client_id", "name", "churn_year", "first_job_at", "last_job_at", "jobs", "tenure_days",
                  "last_job_status", "days_since_last_job", "last_event", "last_event_at",
                  "had_broken_guarantee", "had_lost_job", "had_long_unfilled_job"]
REASON_COLUMNS = ["last_event", "clients", "share", "clients_with_incident", "median_days_since_last_job",
                  "median_tenure_days"]
LIFETIME_COLUMNS = ["client_id", "name", "first_job_at", "last_job_at", "years_active", "jobs", "turnover",
                    "clv", "churn_year", "last_event", "relationship"]
CLV_COLUMNS = ["relationship", "clients", "mean_clv", "median_clv", "mean_turnover", "mean_jobs",
               "mean_years_active"]
AT_RISK_COLUMNS = ["client_id", "name", "jobs", "first_job_at", "last_job_at", "median_gap_days",
                   "days_silent", "silence_ratio", "turnover", "net_profit"]

EVENTS = ("broken guarantee", "lost job", "long unfilled job", "no incident")
LONG_UNFILLED_DAYS = 90
INCIDENT_WINDOW_DAYS = 365
LOYAL_MIN_YEARS = 3
AT_RISK_MIN_JOBS = 3
AT_RISK_MIN_DAYS = 90
AT_RISK_GAP_FACTOR = 2


def years_in_period(f: Filters) -> tuple[int, int]:
    """The calendar years (first, last) the period overlaps: the churn years it selects."""
    return (f.date_from.year if f.date_from else 0, f.date_to.year if f.date_to else 9999)


def _churn_events_sql(f: Filters, now: date, last_year: int) -> tuple[str, list[object]]:
    """SQL of (client_id, churn_year) for churn years in the period, up to the last complete year."""
    jobs_sql, params = where(f.jobs("j"))
    lo, hi = years_in_period(f)
    sql = f"""
        WITH active AS (SELECT DISTINCT j.client_id, year(j.opened_at) AS y FROM jobs j
                        WHERE j.opened_at IS NOT NULL AND j.opened_at <= ? AND j.client_id IS NOT NULL
                          AND {jobs_sql})
        SELECT a.client_id, a.y + 1 AS churn_year
        FROM active a LEFT JOIN active n ON n.client_id = a.client_id AND n.y = a.y + 1
        WHERE n.client_id IS NULL AND a.y + 1 <= ? AND a.y + 1 BETWEEN ? AND ?
    """
    return sql, [now] + params + [last_year, lo, hi]


def churn_by_year(con, f: Filters) -> pd.DataFrame:
    """Churn rate per calendar year.

    A client is active in a year when it opened at least one job that year. A client
    active in Y−1 that opens no job in Y has churned in Y; churn_rate = churned /
    clients active in Y−1. Only complete years are reported (a year is complete when it
    ends on or before the as-of date): the current partial year is left out, because a
    client who has not opened a job yet may still do so before 31 December; its clients
    at risk are listed by `at_risk_clients`. The period filter selects the churn years Y
    it overlaps. Team, salesperson and job type filters apply to the jobs that
    make a client active (churn as seen by that team, on those job types). This is the one
    definition of a churned client: the Overview counts the same clients (the churn years its
    period overlaps, named in its label) and the warehouse's `client_years.churned` holds it for
    every client. A quarter is no unit of churn: a client that opens a job or two a year is not
    lost for a quiet quarter, which is why the Overview once showed more "churned" clients than
    active ones for a salesperson's quarter.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        One row per complete year after the first year with jobs: year, active_prev_year,
        churned, churn_rate (NULL when nobody was active in Y−1).
    """
    now = as_of(con)
    last_year = last_complete_year(now)
    if now is None:
        return pd.DataFrame(columns=BY_YEAR_COLUMNS)
    jobs_sql, params = where(f.jobs("j"))
    lo, hi = years_in_period(f)
    out = con.execute(f"""
        WITH active AS (SELECT DISTINCT j.client_id, year(j.opened_at) AS y FROM jobs j
                        WHERE j.opened_at IS NOT NULL AND j.opened_at <= ? AND j.client_id IS NOT NULL
                          AND {jobs_sql}),
        years AS (SELECT unnest(range(MIN(y) + 1, ? + 1)) AS y FROM active HAVING MIN(y) IS NOT NULL)
        SELECT years.y AS year, COUNT(a.client_id)::BIGINT AS active_prev_year,
               COUNT(a.client_id) FILTER (WHERE n.client_id IS NULL)::BIGINT AS churned
        FROM years
        LEFT JOIN active a ON a.y = years.y - 1
        LEFT JOIN active n ON n.client_id = a.client_id AND n.y = years.y
        WHERE years.y BETWEEN ? AND ?
        GROUP BY 1 ORDER BY 1
    """, [now] + params + [last_year, lo, hi]).df()
    out["year"] = out["year"].astype("int64")
    out["churn_rate"] = out["churned"] / out["active_prev_year"].replace(0, np.nan)
    return out[BY_YEAR_COLUMNS]


def churn_timing(con, f: Filters) -> pd.DataFrame:
    """When and after what clients leave: one row per churn (client, churn year).

    Churn as in `churn_by_year`. For each churned client, counted on its jobs opened
    before the churn year: first and last job opened, number of jobs, tenure (days from
    the first to the last job), the last job's status and the days from the last job
    opened to 1 January of the churn year. last_event is the last incident of the
    relationship: the latest one dated from 365 days before the last job opened to the end
    of the churn year (an incident in the churn year concerns the earlier jobs and may be
    why no new job came): `broken guarantee` (a placement's guarantee broke, dated
    `broken_at`, else its invoice date), `lost job` (a job closed as lost or cancelled,
    dated `closed_at`) or `long unfilled job` (a job still without placement 90 days after
    its opening, dated opening + 90 days); `no incident` when there was none. On the same
    date, a broken guarantee wins over a lost job, which wins over a long unfilled job.
    The had_* columns say whether each kind of incident happened at all in that window.
    Filters as in `churn_by_year`.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        client_id, name, churn_year, first_job_at, last_job_at, jobs, tenure_days,
        last_job_status, days_since_last_job, last_event, last_event_at, had_broken_guarantee,
        had_lost_job, had_long_unfilled_job; latest churn first.
    """
    now = as_of(con)
    last_year = last_complete_year(now)
    if now is None:
        return pd.DataFrame(columns=TIMING_COLUMNS)
    events_sql, events_params = _churn_events_sql(f, now, last_year)
    jobs_sql, jobs_params = where(f.jobs("j"))
    fills = f"SELECT job_id, first_placement_at AS placed_at FROM ({job_dates_sql('scoped')})"
    out = con.execute(f"""
        WITH churn AS ({events_sql}),
        scoped AS (SELECT j.* FROM jobs j WHERE j.opened_at IS NOT NULL AND {jobs_sql}),
        fills AS ({fills}),
        incidents AS (
            SELECT j.client_id, COALESCE(p.broken_at, p.invoiced_at) AS at, 1 AS priority
            FROM placements p JOIN scoped j ON j.job_id = p.job_id WHERE p.guarantee_broken
            UNION ALL
            SELECT j.client_id, j.closed_at, 2 FROM scoped j WHERE j.status IN {UNFILLED_SQL}
            UNION ALL
            -- Still without placement on day 90: first placement, else close, else "now" comes later.
            SELECT j.client_id, j.opened_at + {LONG_UNFILLED_DAYS}, 3
            FROM scoped j LEFT JOIN fills ON fills.job_id = j.job_id
            WHERE COALESCE(fills.placed_at, j.closed_at, ?::DATE) > j.opened_at + {LONG_UNFILLED_DAYS}
        ),
        history AS (
            SELECT c.client_id, c.churn_year, MIN(j.opened_at) AS first_job_at,
                   MAX(j.opened_at) AS last_job_at, COUNT(*) AS jobs,
                   arg_max(j.status, (j.opened_at, j.job_id)) AS last_job_status
            FROM churn c JOIN scoped j ON j.client_id = c.client_id
             AND j.opened_at < make_date(CAST(c.churn_year AS INTEGER), 1, 1)
            GROUP BY 1, 2),
        last_incident AS (
            SELECT h.client_id, h.churn_year,
                   arg_min(i.priority, (-epoch(i.at), i.priority)) AS priority, MAX(i.at) AS at,
                   BOOL_OR(i.priority = 1) AS had_broken_guarantee, BOOL_OR(i.priority = 2) AS had_lost_job,
                   BOOL_OR(i.priority = 3) AS had_long_unfilled_job
            FROM history h JOIN incidents i ON i.client_id = h.client_id
             AND i.at >= h.last_job_at - {INCIDENT_WINDOW_DAYS}
             AND i.at < make_date(CAST(h.churn_year AS INTEGER) + 1, 1, 1) AND i.at <= ?::DATE
            GROUP BY 1, 2)
        SELECT h.client_id, c.name, h.churn_year::BIGINT AS churn_year, h.first_job_at, h.last_job_at,
               h.jobs::BIGINT AS jobs, date_diff('day', h.first_job_at, h.last_job_at)::BIGINT AS tenure_days,
               h.last_job_status,
               date_diff('day', h.last_job_at, make_date(CAST(h.churn_year AS INTEGER), 1, 1))::BIGINT
                   AS days_since_last_job,
               CASE li.priority WHEN 1 THEN 'broken guarantee' WHEN 2 THEN 'lost job'
                    WHEN 3 THEN 'long unfilled job' ELSE 'no incident' END AS last_event,
               li.at AS last_event_at,
               COALESCE(li.had_broken_guarantee, FALSE) AS had_broken_guarantee,
               COALESCE(li.had_lost_job, FALSE) AS had_lost_job,
               COALESCE(li.had_long_unfilled_job, FALSE) AS had_long_unfilled_job
        FROM history h LEFT JOIN last_incident li USING (client_id, churn_year)
        LEFT JOIN clients c ON c.client_id = h.client_id
        ORDER BY h.churn_year DESC, h.client_id
    """, events_params + jobs_params + [now, now]).df()
    return out[TIMING_COLUMNS]


def churn_reasons(con, f: Filters) -> pd.DataFrame:
    """Why clients leave: churns grouped by the last incident of the relationship.

    Churns and incidents as in `churn_timing`. clients = churns whose last incident is of
    that kind; share = clients / all churns; clients_with_incident = churns that had an
    incident of that kind at all in the window, last or not (for `no incident`: churns without any
    incident), since one lost job after a broken guarantee hides the guarantee otherwise.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        last_event (broken guarantee, lost job, long unfilled job, no incident), clients, share,
        clients_with_incident, median_days_since_last_job, median_tenure_days. Empty when
        nobody churned.
    """
    timing = churn_timing(con, f)
    if timing.empty:
        return pd.DataFrame(columns=REASON_COLUMNS)
    out = timing.groupby("last_event").agg(
        clients=("client_id", "size"), median_days_since_last_job=("days_since_last_job", "median"),
        median_tenure_days=("tenure_days", "median"),
    ).reindex(list(EVENTS)).rename_axis("last_event").reset_index()
    out["clients"] = out["clients"].fillna(0).astype("int64")
    out["share"] = out["clients"] / out["clients"].sum()
    had = timing[["had_broken_guarantee", "had_lost_job", "had_long_unfilled_job"]]
    out["clients_with_incident"] = np.append(had.sum().to_numpy(), (~had.any(axis=1)).sum()).astype("int64")
    return out[REASON_COLUMNS]


def client_lifetime(con, f: Filters) -> pd.DataFrame:
    """Each client's whole relationship: lifetime value and kind of relationship.

    Lifetime value (clv) = the client's net profit over all its history up to the as-of
    date: all fees invoiced − refunds of broken guarantees − effort cost (as in
    `client_economics`, without the period). A client has churned for good when it
    opened no job since its last churn (its last job's year + 1 is a complete year).
    `loyal`: not churned for good and active (opened a job) in at least 3 distinct
    calendar years. `broken`: churned for good after an incident (the last event of
    `churn_timing` is a broken guarantee, a lost job or a long unfilled job). Other
    clients (recent, or gone without incident) are `other`. The period filter does not
    apply (a lifetime is whole); team, salesperson and job type filters do.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        client_id, name, first_job_at, last_job_at, years_active, jobs, turnover, clv,
        churn_year (of the final churn, NULL when still active), last_event, relationship.
    """
    now = as_of(con)
    if now is None:
        return pd.DataFrame(columns=LIFETIME_COLUMNS)
    whole = f.without_period()
    jobs_sql, params = where(f.jobs("j"))
    jobs = con.execute(f"""
        SELECT j.client_id, MIN(j.opened_at) AS first_job_at, MAX(j.opened_at) AS last_job_at,
               COUNT(DISTINCT year(j.opened_at))::BIGINT AS years_active, COUNT(*)::BIGINT AS jobs
        FROM jobs j
        WHERE j.opened_at IS NOT NULL AND j.opened_at <= ? AND j.client_id IS NOT NULL AND {jobs_sql}
        GROUP BY 1
    """, [now] + params).df()
    if jobs.empty:
        return pd.DataFrame(columns=LIFETIME_COLUMNS)
    # The money of `client_economics` without its other columns: the same figures, much faster.
    eco = _client_money(con, whole)[["client_id", "name", "turnover", "net_profit"]]
    out = jobs.merge(eco, on="client_id", how="left").rename(columns={"net_profit": "clv"})
    out[["turnover", "clv"]] = out[["turnover", "clv"]].fillna(0.0)
    timing = churn_timing(con, whole)[["client_id", "churn_year", "last_event"]]
    final = timing.sort_values("churn_year").drop_duplicates("client_id", keep="last")
    out = out.merge(final, on="client_id", how="left")
    # A churn is final when no job was opened after it.
    last_year = pd.to_datetime(out["last_job_at"]).dt.year
    gone = out["churn_year"].notna() & (out["churn_year"] == last_year + 1)
    out.loc[~gone, ["churn_year", "last_event"]] = None
    out["churn_year"] = out["churn_year"].astype("Int64")
    out["relationship"] = np.select(
        [~gone & (out["years_active"] >= LOYAL_MIN_YEARS), gone & out["last_event"].isin(EVENTS[:3])],
        ["loyal", "broken"], default="other")
    out = out.sort_values(["clv", "client_id"], ascending=[False, True]).reset_index(drop=True)
    return out[LIFETIME_COLUMNS]


def lifetime_value(con, f: Filters) -> pd.DataFrame:
    """Lifetime value of loyal versus broken client relationships.

    Relationships and clv as in `client_lifetime`: `loyal` = still active and active in at
    least 3 distinct years; `broken` = gone for good after a broken guarantee, a lost job
    or a long unfilled job. clv = lifetime net profit (fees − refunds − effort cost).

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters (the period does not apply).

    Returns:
        Two rows, loyal then broken: relationship, clients, mean_clv, median_clv,
        mean_turnover, mean_jobs, mean_years_active (NULL means for an empty group). Empty
        when the warehouse has no job.
    """
    lifetime = client_lifetime(con, f)
    if lifetime.empty:
        return pd.DataFrame(columns=CLV_COLUMNS)
    out = lifetime.groupby("relationship").agg(
        clients=("client_id", "size"), mean_clv=("clv", "mean"), median_clv=("clv", "median"),
        mean_turnover=("turnover", "mean"), mean_jobs=("jobs", "mean"),
        mean_years_active=("years_active", "mean"),
    ).reindex(["loyal", "broken"]).rename_axis("relationship").reset_index()
    out["clients"] = out["clients"].fillna(0).astype("int64")
    return out[CLV_COLUMNS]


def at_risk_clients(con, f: Filters) -> pd.DataFrame:
    """Clients at risk of churning now: silent for much longer than their own rhythm.

    For clients with at least 3 jobs opened up to the as-of date, the rhythm is the
    median gap in days between two consecutive job openings. A client is at risk when
    its silence (days from its last job opened to the as-of date) is more than twice its
    median gap and more than 90 days, and it has not already churned (its last job was
    opened in the last complete year or later). silence_ratio = days_silent /
    median_gap_days. turnover and net_profit are lifetime (the value at stake). The period
    filter does not apply ("now" is the as-of date); the other filters apply to the jobs.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        client_id, name, jobs, first_job_at, last_job_at, median_gap_days, days_silent,
        silence_ratio, turnover, net_profit; largest lifetime turnover first.
    """
    now = as_of(con)
    if now is None:
        return pd.DataFrame(columns=AT_RISK_COLUMNS)
    jobs_sql, params = where(f.jobs("j"))
    risk = con.execute(f"""
        WITH scoped AS (
            SELECT j.client_id, j.opened_at,
                   date_diff('day', LAG(j.opened_at) OVER (PARTITION BY j.client_id ORDER BY j.opened_at),
                             j.opened_at) AS gap
            FROM jobs j
            WHERE j.opened_at IS NOT NULL AND j.opened_at <= ? AND j.client_id IS NOT NULL AND {jobs_sql}),
        rhythm AS (SELECT client_id, COUNT(*)::BIGINT AS jobs, MIN(opened_at) AS first_job_at,
                          MAX(opened_at) AS last_job_at, quantile_cont(gap, 0.5)::DOUBLE AS median_gap_days
                   FROM scoped GROUP BY 1 HAVING COUNT(*) >= ?)
        SELECT client_id, jobs, first_job_at, last_job_at, median_gap_days,
               date_diff('day', last_job_at, ?::DATE)::BIGINT AS days_silent
        FROM rhythm
        WHERE date_diff('day', last_job_at, ?::DATE) > ? * median_gap_days
          AND date_diff('day', last_job_at, ?::DATE) > ?
          AND year(last_job_at) >= ?
    """, [now] + params + [AT_RISK_MIN_JOBS, now, now, AT_RISK_GAP_FACTOR, now, AT_RISK_MIN_DAYS,
                           last_complete_year(now)]).df()
    if risk.empty:
        return pd.DataFrame(columns=AT_RISK_COLUMNS)
    eco = _client_money(con, f.without_period())[["client_id", "name", "turnover", "net_profit"]]
    out = risk.merge(eco, on="client_id", how="left")
    out["silence_ratio"] = out["days_silent"] / out["median_gap_days"].replace(0, np.nan)
    out = out.sort_values(["turnover", "silence_ratio", "client_id"], ascending=[False, False, True])
    return out.reset_index(drop=True)[AT_RISK_COLUMNS]
