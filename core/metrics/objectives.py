"""Objectives: how many jobs to open each month to reach a revenue objective."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import UserError
from core.filters import Filters, where
from core.metrics.derived import DECIDED_SQL

COLUMNS = ["job_type", "share_of_jobs", "fill_rate", "avg_fee", "expected_fee_per_job", "jobs_needed"]


def jobs_needed(con, filters: Filters, objective_eur: float) -> pd.DataFrame:
    """Jobs to open per month to reach a monthly revenue objective: objective / (fill rate × average fee),
    over the job-type mix of the period. Inputs, from the jobs opened in the period (job filters applied), per
    job type: share of jobs = the type's jobs / jobs of all types; fill rate = filled jobs / jobs whose
    outcome is known (filled, lost or cancelled); average fee = mean fee invoiced per filled job (sum of its
    placements' `fee_eur`). Expected fee per job opened = fill rate × average fee (0 when no job of the type
    was filled). Over the mix, the expected fee of one job opened is the share-weighted sum of the types'
    expected fees, and jobs needed per month = objective / that amount, split across types by their share. The
    `All` row shows the mix: its fill rate is the share-weighted fill rate and its average fee the expected
    fee / that fill rate, so that objective / (fill rate × average fee) = jobs needed holds on every row. Job
    types with no decided job yet (unknown fill rate) stay out of the mix and have NULL inputs.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `jobs.opened_at`.
        objective_eur: the monthly revenue objective, € (0 or more).

    Returns:
        DataFrame [job_type, share_of_jobs, fill_rate, avg_fee, expected_fee_per_job, jobs_needed],
        job types by share, then the total row `All`; jobs_needed is NULL when the expected fee is 0.

    Raises:
        UserError: the objective is negative.
    """
    if objective_eur < 0:
        raise UserError("The monthly objective must be an amount in euros of 0 or more.")
    cond, params = where(filters.period("j.opened_at"), filters.jobs("j"))
    per_type = con.execute(f"""
        WITH jb AS (
            SELECT j.job_id, COALESCE(j.job_type, '(unknown)') AS job_type, j.status
            FROM jobs j WHERE {cond}),
        fee AS (SELECT job_id, SUM(fee_eur) AS fee FROM placements
                WHERE job_id IN (SELECT job_id FROM jb) GROUP BY job_id)
        SELECT jb.job_type, COUNT(*) AS jobs,
               COUNT(*) FILTER (WHERE jb.status IN {DECIDED_SQL}) AS decided,
               COUNT(*) FILTER (WHERE jb.status = 'filled') AS filled,
               AVG(fee.fee) FILTER (WHERE jb.status = 'filled') AS avg_fee
        FROM jb LEFT JOIN fee ON fee.job_id = jb.job_id
        GROUP BY jb.job_type ORDER BY jobs DESC, jb.job_type""", params).df()
    if per_type.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "job_type" else float) for c in COLUMNS})

    fill_rate = per_type["filled"] / per_type["decided"].where(per_type["decided"] > 0)
    avg_fee = per_type["avg_fee"].astype(float)
    expected = (fill_rate * avg_fee).where(per_type["filled"] > 0, 0.0).where(fill_rate.notna())
    in_mix = expected.notna()
    share = (per_type["jobs"] / per_type.loc[in_mix, "jobs"].sum()).where(in_mix)
    mix_expected = float((share * expected).sum()) if in_mix.any() else np.nan
    total_jobs = objective_eur / mix_expected if mix_expected > 0 else np.nan
    mix_fill = float((share * fill_rate).sum()) if in_mix.any() else np.nan

    out = pd.DataFrame({
        "job_type": per_type["job_type"],
        "share_of_jobs": share,
        "fill_rate": fill_rate,
        "avg_fee": avg_fee,
        "expected_fee_per_job": expected,
        "jobs_needed": share * total_jobs,
    }).sort_values(["share_of_jobs", "job_type"], ascending=[False, True], na_position="last")
    total = pd.DataFrame([{
        "job_type": "All",
        "share_of_jobs": 1.0 if in_mix.any() else np.nan,
        "fill_rate": mix_fill,
        "avg_fee": mix_expected / mix_fill if mix_fill > 0 else np.nan,
        "expected_fee_per_job": mix_expected,
        "jobs_needed": total_jobs,
    }])
    return pd.concat([out, total], ignore_index=True).astype({c: float for c in COLUMNS[1:]})
