"""Features of a job, built only from what the agency knew when the job was opened (or at a later date).

Two families:

* **Opening features** (`opening_features`): the job itself (type, seniority, salary, fee rate,
  salesperson, coach, team, month of opening), the client's static record (sector, head count)
  and the client's history computed strictly from jobs and placements dated *before* the job's
  `opened_at` (past jobs capped at 10, jobs opened / filled and turnover invoiced in the previous
  365 days, all-time fill rate and average fee, tenure capped at two years, days since the last
  job, lifetime segment as of the start of the opening month), plus the market as of the start of the opening month (fill
  rate and MER→placement rate of the previous 12 months).
* **Stage features** (`stage_features`): at a chosen date `at` — days the job has been open and
  the pitches, MERs and offers logged up to `at` (inclusive).

No feature reads a row dated after the job's opening date (opening features) or after `at`
(stage features): the model cannot learn from the future by construction, and
tests/core/test_model.py checks it by adding future rows and seeing nothing change.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from core.metrics.derived import DECIDED_STATUSES as CLOSED_STATUSES
from core.metrics.derived import segment_case_sql

# Columns the models read, by kind (the ColumnTransformer encodes categorical ones).
CATEGORICAL = ["job_type", "seniority", "sales_id", "coach_id", "team", "sector", "client_segment"]
NUMERIC_OPENING = [
    "salary_k",
    "fee_rate",
    "nominal_fee",
    "month_of_year",
    "client_employees",
    "client_past_jobs",
    "client_jobs_12m",
    "client_fills_12m",
    "client_turnover_12m",
    "client_past_fill_rate",
    "client_past_avg_fee",
    "client_tenure_days",
    "days_since_client_last_job",
    "client_pitches_per_job_12m",
    "sales_pitch_to_mer_12m",
    "market_fill_rate_12m",
    "market_mer_to_placement_12m",
]
# Counts and durations that only grow with the agency's age are windowed or capped, so that the
# test period (the most recent months) does not hold values never seen in training.
PAST_JOBS_CAP = 10
TENURE_CAP_DAYS = 730
RECENCY_CAP_DAYS = 730
NUMERIC_STAGE = ["days_open", "pitches", "mers", "offers"]

# The contract terms: where both are known the fee is salary × fee rate (the contract formula,
# `core.model.rules`), so the fee model learns without them what the formula cannot tell: the fee
# of a job whose salary or rate is missing at opening.
CONTRACT_TERMS = ("salary_k", "fee_rate", "nominal_fee")
FEE_FEATURES = [c for c in CATEGORICAL + NUMERIC_OPENING if c not in CONTRACT_TERMS]
FILL_FEATURES = CATEGORICAL + NUMERIC_OPENING
STAGE_FEATURES = CATEGORICAL + NUMERIC_OPENING + NUMERIC_STAGE

# Words shown to managers in explanations.
FEATURE_LABELS = {
    "job_type": "job type",
    "seniority": "seniority",
    "sales_id": "salesperson",
    "coach_id": "coach",
    "team": "team",
    "sector": "client sector",
    "client_segment": "client segment",
    "salary_k": "salary",
    "fee_rate": "fee rate",
    "nominal_fee": "salary × fee rate",
    "month_of_year": "month opened",
    "client_employees": "client size",
    "client_past_jobs": "client's past jobs",
    "client_jobs_12m": "client's jobs (12 months)",
    "client_fills_12m": "client's fills (12 months)",
    "client_turnover_12m": "client's turnover (12 months)",
    "client_past_fill_rate": "client's past fill rate",
    "client_past_avg_fee": "client's past average fee",
    "client_tenure_days": "client tenure",
    "days_since_client_last_job": "days since client's last job",
    "client_pitches_per_job_12m": "client's pitches per job (12 months)",
    "sales_pitch_to_mer_12m": "salesperson's pitch→MER (12 months)",
    "market_fill_rate_12m": "agency fill rate (12 months)",
    "market_mer_to_placement_12m": "agency MER→placement (12 months)",
    "days_open": "days open",
    "pitches": "pitches so far",
    "mers": "MERs so far",
    "offers": "offers so far",
}

MISSING_CATEGORY = "(unknown)"

_OPENING_SQL = f"""
WITH j AS (
    SELECT * FROM jobs WHERE opened_at IS NOT NULL
),
job_fees AS (
    SELECT job_id, SUM(fee_eur) AS fee_eur, MIN(invoiced_at) AS invoiced_at, COUNT(*) AS n_placements
    FROM placements GROUP BY job_id
),
client_placements AS (
    SELECT pj.client_id, p.invoiced_at, p.fee_eur
    FROM placements p JOIN jobs pj USING (job_id)
    WHERE p.invoiced_at IS NOT NULL AND p.fee_eur IS NOT NULL
),
past_jobs AS (
    -- strictly earlier jobs of the same client; a past job counts as closed / filled only
    -- when it was closed before this job opened
    SELECT j.job_id,
           COUNT(p.job_id) AS client_past_jobs,
           COUNT(p.job_id) FILTER (WHERE p.opened_at >= j.opened_at - INTERVAL 365 DAY) AS client_jobs_12m,
           COUNT(p.job_id) FILTER (WHERE p.closed_at < j.opened_at
                                   AND p.status IN {CLOSED_STATUSES}) AS client_past_closed,
           COUNT(p.job_id) FILTER (WHERE p.closed_at < j.opened_at AND p.status = 'filled')
               AS client_past_fills,
           COUNT(p.job_id) FILTER (WHERE p.closed_at < j.opened_at AND p.status = 'filled'
                                   AND p.closed_at >= j.opened_at - INTERVAL 365 DAY) AS client_fills_12m,
           MIN(p.opened_at) AS first_opened,
           MAX(p.opened_at) AS last_opened
    FROM j LEFT JOIN j AS p ON p.client_id = j.client_id AND p.opened_at < j.opened_at
    GROUP BY j.job_id
),
past_money AS (
    SELECT j.job_id, SUM(cp.fee_eur) AS turnover, COUNT(cp.fee_eur) AS placements,
           SUM(cp.fee_eur) FILTER (WHERE cp.invoiced_at >= j.opened_at - INTERVAL 365 DAY) AS turnover_12m
    FROM j JOIN client_placements cp ON cp.client_id = j.client_id AND cp.invoiced_at < j.opened_at
    GROUP BY j.job_id
),
months AS (
    SELECT DISTINCT date_trunc('month', opened_at)::DATE AS m FROM j
),
month_turnover AS (
    -- each client's turnover invoiced before the month starts: the lifetime segment as known then
    SELECT mo.m, cp.client_id, SUM(cp.fee_eur) AS turnover
    FROM months mo JOIN client_placements cp ON cp.invoiced_at < mo.m
    GROUP BY mo.m, cp.client_id HAVING SUM(cp.fee_eur) > 0
),
month_segment AS (
    SELECT m, client_id,
           {segment_case_sql('rn', 'n')} AS client_segment
    FROM (SELECT m, client_id,
                 ROW_NUMBER() OVER (PARTITION BY m ORDER BY turnover DESC, client_id) AS rn,
                 COUNT(*) OVER (PARTITION BY m) AS n
          FROM month_turnover)
),
client_month AS (
    SELECT client_id, m, SUM(jobs) AS jobs, SUM(pitches) AS pitches
    FROM (SELECT client_id, date_trunc('month', opened_at)::DATE AS m, COUNT(*) AS jobs, 0 AS pitches
          FROM j GROUP BY ALL
          UNION ALL
          SELECT x.client_id, date_trunc('month', e.event_date)::DATE, 0, COUNT(*)
          FROM pipeline_events e JOIN jobs x USING (job_id)
          WHERE e.stage = 'pitch' AND e.event_date IS NOT NULL GROUP BY ALL)
    GROUP BY ALL
),
client_pitch AS (
    -- pitches and jobs of the client in the 12 full months before the opening month
    SELECT j.job_id, SUM(cm.pitches) / NULLIF(SUM(cm.jobs), 0) AS client_pitches_per_job_12m
    FROM j JOIN client_month cm
      ON cm.client_id = j.client_id AND cm.m < date_trunc('month', j.opened_at)
     AND cm.m >= date_trunc('month', j.opened_at) - INTERVAL 12 MONTH
    GROUP BY j.job_id
),
sales_month AS (
    SELECT x.sales_id, date_trunc('month', e.event_date)::DATE AS m,
           COUNT(*) FILTER (WHERE e.stage = 'pitch') AS pitches, COUNT(*) FILTER (WHERE e.stage = 'mer') AS mers
    FROM pipeline_events e JOIN jobs x USING (job_id)
    WHERE e.event_date IS NOT NULL AND x.sales_id IS NOT NULL GROUP BY ALL
),
sales_rate AS (
    -- the salesperson's pitch→MER over the 12 full months before the opening month
    SELECT mo.m, sm.sales_id, SUM(sm.mers) / NULLIF(SUM(sm.pitches), 0) AS sales_pitch_to_mer_12m
    FROM months mo JOIN sales_month sm ON sm.m < mo.m AND sm.m >= mo.m - INTERVAL 12 MONTH
    GROUP BY ALL
),
market_fill AS (
    SELECT mo.m, AVG(CASE WHEN x.status = 'filled' THEN 1.0 ELSE 0.0 END) AS market_fill_rate_12m
    FROM months mo JOIN jobs x
      ON x.closed_at < mo.m AND x.closed_at >= mo.m - INTERVAL 12 MONTH AND x.status IN {CLOSED_STATUSES}
    GROUP BY mo.m
),
market_mer AS (
    SELECT mo.m,
           COUNT(*) FILTER (WHERE e.stage = 'placement')
             / NULLIF(COUNT(*) FILTER (WHERE e.stage = 'mer'), 0) AS market_mer_to_placement_12m
    FROM months mo JOIN pipeline_events e
      ON e.event_date < mo.m AND e.event_date >= mo.m - INTERVAL 12 MONTH
    GROUP BY mo.m
)
SELECT j.job_id, j.client_id, j.title, j.opened_at, j.closed_at, j.status,
       jf.fee_eur, jf.invoiced_at,
       j.job_type, j.seniority, j.sales_id, j.coach_id, s.team, c.sector,
       COALESCE(ms.client_segment, 'none') AS client_segment,
       j.salary_k, j.fee_rate, j.salary_k * 1000 * j.fee_rate AS nominal_fee,
       month(j.opened_at) AS month_of_year,
       c.employees AS client_employees,
       LEAST(pj.client_past_jobs, {PAST_JOBS_CAP}) AS client_past_jobs,
       pj.client_jobs_12m, pj.client_fills_12m,
       COALESCE(pm.turnover_12m, 0) AS client_turnover_12m,
       pj.client_past_fills / NULLIF(pj.client_past_closed, 0) AS client_past_fill_rate,
       pm.turnover / NULLIF(pm.placements, 0) AS client_past_avg_fee,
       -- LEAST ignores NULLs: cap only when there is a past job (a new client has no tenure)
       CASE WHEN pj.first_opened IS NOT NULL
            THEN LEAST(date_diff('day', pj.first_opened, j.opened_at), {TENURE_CAP_DAYS}) END AS client_tenure_days,
       CASE WHEN pj.last_opened IS NOT NULL
            THEN LEAST(date_diff('day', pj.last_opened, j.opened_at), {RECENCY_CAP_DAYS}) END
           AS days_since_client_last_job,
       cpi.client_pitches_per_job_12m, sr.sales_pitch_to_mer_12m,
       mf.market_fill_rate_12m, mm.market_mer_to_placement_12m
FROM j
LEFT JOIN job_fees jf USING (job_id)
LEFT JOIN past_jobs pj USING (job_id)
LEFT JOIN past_money pm USING (job_id)
LEFT JOIN staff s ON s.staff_id = j.sales_id
LEFT JOIN clients c ON c.client_id = j.client_id
LEFT JOIN month_segment ms ON ms.client_id = j.client_id AND ms.m = date_trunc('month', j.opened_at)::DATE
LEFT JOIN client_pitch cpi USING (job_id)
LEFT JOIN sales_rate sr ON sr.sales_id = j.sales_id AND sr.m = date_trunc('month', j.opened_at)::DATE
LEFT JOIN market_fill mf ON mf.m = date_trunc('month', j.opened_at)::DATE
LEFT JOIN market_mer mm ON mm.m = date_trunc('month', j.opened_at)::DATE
ORDER BY j.opened_at, j.job_id
"""

_STAGE_SQL = """
SELECT s.job_id, s.at,
       date_diff('day', j.opened_at, s.at) AS days_open,
       COUNT(e.event_id) FILTER (WHERE e.stage = 'pitch') AS pitches,
       COUNT(e.event_id) FILTER (WHERE e.stage = 'mer') AS mers,
       COUNT(e.event_id) FILTER (WHERE e.stage = 'offer') AS offers
FROM model_snapshots s
JOIN jobs j USING (job_id)
LEFT JOIN pipeline_events e ON e.job_id = s.job_id AND e.event_date <= s.at
GROUP BY s.job_id, s.at, j.opened_at
"""


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Types the models expect: categories as plain strings (missing → a label), numbers as floats."""
    out = frame.copy()
    for col in CATEGORICAL:
        if col in out:
            out[col] = out[col].astype(object).where(out[col].notna(), MISSING_CATEGORY).astype(str)
    for col in NUMERIC_OPENING + NUMERIC_STAGE:
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("opened_at", "closed_at", "invoiced_at", "at"):
        if col in out:
            out[col] = pd.to_datetime(out[col])
    return out


def opening_features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per job (with an opening date): its features as known on the day it was opened.

    Client history counts only the client's jobs opened strictly before this job, a past job
    is "closed"/"filled" only when it was closed before this job opened, and turnover is the
    client's placement fees invoiced before this job opened. Quantities that only grow with
    the agency's age (past jobs, tenure) are capped and counts are over the previous 365 days,
    so that recent jobs do not carry values never seen in older ones. The client segment is the lifetime
    segment (top 1 % / next to 5 % / next to 20 % / other of clients ranked by turnover, as in
    `core.metrics.derived.segment_case_sql`) computed on invoices dated before the first day of the
    opening month; `none` for clients without any turnover yet. Market rates are the agency's
    fill rate of jobs closed and its MER→placement ratio of events logged in the 12 months
    before the opening month.

    Args:
        con: a DuckDB connection to the warehouse (read-only is enough).

    Returns:
        DataFrame with the job's ids and outcome (`job_id`, `client_id`, `title`, `opened_at`,
        `closed_at`, `status`, `fee_eur` = total placement fee, `invoiced_at` = first invoice)
        followed by the columns of `CATEGORICAL` and `NUMERIC_OPENING`. The outcome columns are
        targets, never features.
    """
    return _tidy(con.execute(_OPENING_SQL).df())


def stage_features(con: duckdb.DuckDBPyConnection, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Pipeline so far for (job, date) snapshots: days open and pitches, MERs, offers up to `at`.

    Args:
        con: a DuckDB connection to the warehouse.
        snapshots: DataFrame[job_id, at] — one row per job and date of observation.

    Returns:
        DataFrame[job_id, at, days_open, pitches, mers, offers], one row per snapshot whose job
        exists; events dated after `at` are not counted.
    """
    model_snapshots = snapshots[["job_id", "at"]].copy()
    model_snapshots["at"] = pd.to_datetime(model_snapshots["at"]).dt.date
    # The frame is read through DuckDB's replacement scan of the local variable rather than a
    # registered view: nothing is added to a connection other sessions may share.
    out = con.execute(_STAGE_SQL).df()
    return _tidy(out)


def features_at(con: duckdb.DuckDBPyConnection, opening: pd.DataFrame, at: pd.Series | date) -> pd.DataFrame:
    """Opening features of `opening`'s jobs joined with their pipeline as of `at`.

    Args:
        con: a DuckDB connection to the warehouse.
        opening: rows of `opening_features` (the jobs to observe).
        at: one observation date for all jobs, or a Series aligned with `opening` (one per job).

    Returns:
        `opening` with `at` and the `NUMERIC_STAGE` columns added, same row order.
    """
    frame = opening.reset_index(drop=True).copy()
    frame["at"] = pd.to_datetime(at.to_numpy()) if isinstance(at, pd.Series) else pd.Timestamp(at)
    if frame.empty:
        for col in NUMERIC_STAGE:
            frame[col] = pd.Series(dtype=float)
        return frame
    stage = stage_features(con, frame[["job_id", "at"]].drop_duplicates())
    return frame.merge(stage, on=["job_id", "at"], how="left", validate="many_to_one")


def fill_snapshots(
    opening: pd.DataFrame, offsets_days: tuple[int, ...], before: pd.Timestamp
) -> pd.DataFrame:
    """Observation dates for training the fill model: each closed job seen at several ages.

    A job contributes one snapshot per offset (days after opening) at which it was still open
    (before its close date) and which lies before `before` (the training cut-off), so that
    P(filled | still open at that age, pipeline so far) is learned; offset 0 is the opening day.

    Args:
        opening: rows of `opening_features` for closed jobs.
        offsets_days: ages at which to observe a job, in days.
        before: snapshots must be strictly earlier than this date.

    Returns:
        DataFrame[job_id, at].
    """
    opened = opening["opened_at"].to_numpy()
    closed = opening["closed_at"].to_numpy()
    parts = []
    for offset in offsets_days:
        at = opened + np.timedelta64(offset, "D")
        keep = (at < before) & ((offset == 0) | (at < closed))
        parts.append(pd.DataFrame({"job_id": opening["job_id"].to_numpy()[keep], "at": at[keep]}))
    return pd.concat(parts, ignore_index=True)
