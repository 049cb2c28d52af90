"""The recruitment funnel: pitch → MER → offer → placement, what makes a job close, and who converts.

Events are the BO's `pipeline_events` (duplicate events already merged by the build), counted by
their `event_date`; a job's events are attributed to the job's salesperson (`jobs.sales_id`).
Jobs-based measures (fill rate, fill probability, candidates per job) take the jobs opened in
the period; closing duration takes the jobs whose placement falls in the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.metrics.common import events_in_scope, wilson_interval
from core.metrics.derived import DECIDED_SQL, LIFETIME_SEGMENT_SQL, job_dates_sql

GRAINS = {"year": "year", "quarter": "quarter", "month": "month"}

_STAGES_SQL = "(VALUES ('pitch', 1), ('mer', 2), ('offer', 3), ('placement', 4)) AS s(stage, stage_order)"


# A group of jobs needs this many to have its fill rate compared: below it, one job more or
# less moves the rate by several points.
MIN_JOBS_PER_GROUP = 30

def _df(con, sql: str, params: list[object]) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {sorted(GRAINS)}, not {grain!r}")
    return GRAINS[grain]


def _ci(frame: pd.DataFrame, successes: str, trials: str) -> pd.DataFrame:
    # A period boundary can put a MER in the period and its pitch before it: the interval
    # is computed on successes capped at the trials so it stays defined.
    capped = np.minimum(frame[successes].to_numpy(dtype=float), frame[trials].to_numpy(dtype=float))
    low, high = wilson_interval(capped, frame[trials])
    frame["ci_low"] = low
    frame["ci_high"] = high
    return frame


def _first_dates(con, stage: str, jobs_cte: str) -> str:
    """SQL of (job_id, first date of a `stage` event) for the jobs of the CTE `jobs_cte`, from the build's
    job facts (`job_facts`)."""
    column = {"pitch": "first_pitch_at", "placement": "first_placement_at"}[stage]
    alias = {"pitch": "first_pitch", "placement": "placed_at"}[stage]
    return f"SELECT job_id, {column} AS {alias} FROM ({job_dates_sql(jobs_cte)})"


def funnel_overall(con, filters: Filters) -> pd.DataFrame:
    """Pipeline events per stage (pitch, MER, offer, placement) dated in the period, and each stage's
    conversion from the previous one. Conversion from the previous stage = events of this stage / events of
    the previous stage, both counted by event date in the same period (so it is a flow ratio, not a cohort):
    e.g. pitch→MER = MERs in the period / pitches in the period. Events belong to jobs that pass the job
    filters (team or person through the job's salesperson, job type, client segment).

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `pipeline_events.event_date`.

    Returns:
        DataFrame [stage, events, conversion_from_previous], one row per stage in funnel order;
        conversion is NULL for `pitch` and when the previous stage has no event.
    """
    events, params = events_in_scope(filters)
    return _df(con, f"""
        WITH counts AS (
            SELECT e.stage, COUNT(*) AS n FROM ({events}) e GROUP BY e.stage)
        SELECT s.stage, COALESCE(c.n, 0)::BIGINT AS events,
               COALESCE(c.n, 0) / NULLIF(LAG(COALESCE(c.n, 0)) OVER (ORDER BY s.stage_order), 0)
                   AS conversion_from_previous
        FROM {_STAGES_SQL} LEFT JOIN counts c ON c.stage = s.stage
        ORDER BY s.stage_order""", params)


def mer_to_placement_over_time(con, filters: Filters, grain: str = "year") -> pd.DataFrame:
    """MER→placement ratio per period: placements dated in the period / MERs (client meets candidate) dated in
    the same period. Both are counted from the pipeline events by event date (duplicates merged), for jobs
    that pass the job filters. A falling ratio means more meetings are needed for each placement.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `pipeline_events.event_date`.
        grain: `year`, `quarter` or `month`.

    Returns:
        DataFrame [period (DATE, first day), mers, placements, mer_to_placement_rate]; the rate is
        NULL for a period without MER.
    """
    unit = _grain(grain)
    events, params = events_in_scope(filters)
    return _df(con, f"""
        SELECT date_trunc('{unit}', e.event_date)::DATE AS period,
               COUNT(*) FILTER (WHERE e.stage = 'mer') AS mers,
               COUNT(*) FILTER (WHERE e.stage = 'placement') AS placements,
               COUNT(*) FILTER (WHERE e.stage = 'placement')
                   / NULLIF(COUNT(*) FILTER (WHERE e.stage = 'mer'), 0) AS mer_to_placement_rate
        FROM ({events}) e
        WHERE e.stage IN ('mer', 'placement') AND e.event_date IS NOT NULL
        GROUP BY 1 ORDER BY 1""", params)


def mer_to_placement_factors(con, filters: Filters) -> pd.DataFrame:
    """The MER→placement ratio broken down by job type, seniority, client segment, salesperson, coach and time
    to first pitch, compared between the early and the late half of the period. The filtered MER and placement
    events are split at the middle date of their range: `early` = events up to and including `split_date`,
    `late` = after it. For each factor value the ratio (placements / MERs, by event date) is given in both
    halves with its change (late − early), and the value's share of all MERs in each half: a fall concentrated
    in one value points at it; a shift of MERs towards a low-ratio value is a mix effect. Client segment is
    the lifetime segment (`none` for clients that never paid a fee); time to first pitch is the days from the
    job's opening to its first pitch (`0-7 days`, `8-14 days`, `15-30 days`, `31+ days`, `no pitch`). The row
    `overall`/`all` gives the whole ratio.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `pipeline_events.event_date`.

    Returns:
        DataFrame [factor, value, early_mers, early_placements, early_rate, late_mers,
        late_placements, late_rate, rate_change, early_share_of_mers, late_share_of_mers,
        split_date], sorted by factor and value.
    """
    cond, params = where(filters.period("e.event_date"), filters.jobs("j"))
    return _df(con, f"""
        WITH ev AS (
            SELECT e.stage, e.event_date, j.job_id, j.job_type, j.seniority, j.client_id,
                   j.sales_id, j.coach_id, j.opened_at
            FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id
            WHERE {cond} AND e.stage IN ('mer', 'placement') AND e.event_date IS NOT NULL),
        bounds AS (
            SELECT MIN(event_date) + ((MAX(event_date) - MIN(event_date)) // 2)::INTEGER AS split_date
            FROM ev),
        first_pitch AS ({_first_dates(con, "pitch", "ev")}),
        seg AS ({LIFETIME_SEGMENT_SQL}),
        base AS (
            SELECT ev.stage,
                   CASE WHEN ev.event_date <= b.split_date THEN 'early' ELSE 'late' END AS half,
                   b.split_date,
                   'all' AS overall,
                   COALESCE(ev.job_type, '(unknown)') AS job_type,
                   COALESCE(ev.seniority, '(unknown)') AS seniority,
                   COALESCE(seg.segment, 'none') AS client_segment,
                   COALESCE(ss.name, '(unknown)') AS salesperson,
                   COALESCE(sc.name, '(unknown)') AS coach,
                   CASE WHEN fp.first_pitch IS NULL THEN 'no pitch'
                        WHEN ev.opened_at IS NULL THEN '(unknown)'
                        WHEN fp.first_pitch - ev.opened_at <= 7 THEN '0-7 days'
                        WHEN fp.first_pitch - ev.opened_at <= 14 THEN '8-14 days'
                        WHEN fp.first_pitch - ev.opened_at <= 30 THEN '15-30 days'
                        ELSE '31+ days' END AS time_to_first_pitch
            FROM ev CROSS JOIN bounds b
            LEFT JOIN first_pitch fp ON fp.job_id = ev.job_id
            LEFT JOIN seg ON seg.client_id = ev.client_id
            LEFT JOIN staff ss ON ss.staff_id = ev.sales_id
            LEFT JOIN staff sc ON sc.staff_id = ev.coach_id),
        -- Count each combination once, then spread the counts over the factors (far fewer rows).
        combos AS (SELECT *, COUNT(*) AS n FROM base GROUP BY ALL),
        long AS (
            UNPIVOT combos
            ON overall, job_type, seniority, client_segment, salesperson, coach, time_to_first_pitch
            INTO NAME factor VALUE value),
        agg AS (
            SELECT factor, value, ANY_VALUE(split_date) AS split_date,
                   SUM(n) FILTER (WHERE half = 'early' AND stage = 'mer') AS early_mers,
                   SUM(n) FILTER (WHERE half = 'early' AND stage = 'placement') AS early_placements,
                   SUM(n) FILTER (WHERE half = 'late' AND stage = 'mer') AS late_mers,
                   SUM(n) FILTER (WHERE half = 'late' AND stage = 'placement') AS late_placements
            FROM long GROUP BY factor, value),
        counts AS (
            SELECT factor, value, split_date,
                   COALESCE(early_mers, 0)::BIGINT AS early_mers,
                   COALESCE(early_placements, 0)::BIGINT AS early_placements,
                   COALESCE(late_mers, 0)::BIGINT AS late_mers,
                   COALESCE(late_placements, 0)::BIGINT AS late_placements
            FROM agg)
        SELECT factor, value,
               early_mers, early_placements, early_placements / NULLIF(early_mers, 0) AS early_rate,
               late_mers, late_placements, late_placements / NULLIF(late_mers, 0) AS late_rate,
               late_placements / NULLIF(late_mers, 0)
                   - early_placements / NULLIF(early_mers, 0) AS rate_change,
               early_mers / NULLIF(SUM(early_mers) OVER (PARTITION BY factor), 0) AS early_share_of_mers,
               late_mers / NULLIF(SUM(late_mers) OVER (PARTITION BY factor), 0) AS late_share_of_mers,
               split_date
        FROM counts
        ORDER BY CASE factor WHEN 'overall' THEN 0 ELSE 1 END, factor, value""", params)


def count_groups(curve: pd.DataFrame, min_jobs: int = MIN_JOBS_PER_GROUP, stage: str | None = None) -> pd.DataFrame:
    """Consecutive counts grouped until each group holds at least `min_jobs` jobs.

    The one reading of "how many events it takes to close": the Funnel's chart draws these groups
    and its headline (`headlines.events_to_close_sentence`) compares them.

    Args:
        curve: `fill_probability_by_count` (count, jobs, fill_probability, and stage).
        min_jobs: least jobs per group; a last group smaller than that joins the one before.
        stage: the stage whose counts are grouped (`pitch`, `mer`, `offer`); None: `curve` is one stage.

    Returns:
        low, high (the counts the group spans), jobs, filled, rate, lower, upper (Wilson 95 %
        interval of the rate), in count order. Empty when there are no jobs.
    """
    rows = (curve if stage is None else curve[curve["stage"] == stage]).sort_values("count")
    groups: list[dict[str, float]] = []
    current: dict[str, float] | None = None
    for count, jobs, probability in zip(rows["count"], rows["jobs"], rows["fill_probability"]):
        if jobs <= 0:
            continue
        filled = round(float(probability) * int(jobs))
        if current is None:
            current = {"low": int(count), "high": int(count), "jobs": 0, "filled": 0}
        current["high"] = int(count)
        current["jobs"] += int(jobs)
        current["filled"] += filled
        if current["jobs"] >= min_jobs:
            groups.append(current)
            current = None
    if current is not None:
        if groups:
            groups[-1] = {"low": groups[-1]["low"], "high": current["high"],
                          "jobs": groups[-1]["jobs"] + current["jobs"],
                          "filled": groups[-1]["filled"] + current["filled"]}
        else:
            groups.append(current)
    out = pd.DataFrame(groups, columns=["low", "high", "jobs", "filled"])
    if out.empty:
        return out.assign(rate=pd.Series(dtype=float), lower=pd.Series(dtype=float), upper=pd.Series(dtype=float))
    out["rate"] = out["filled"] / out["jobs"]
    out["lower"], out["upper"] = wilson_interval(out["filled"].to_numpy(), out["jobs"].to_numpy())
    return out


def fill_probability_by_count(con, filters: Filters) -> pd.DataFrame:
    """Chance that a job is filled as a function of how many pitches, MERs and offers it received.

    Jobs: those opened in the period (job filters applied) whose outcome is known (status filled,
    lost or cancelled); a job counts as filled when its status is `filled`. For each stage and each
    count n, fill probability = filled jobs with exactly n events of that stage / jobs with n. How
    many events it takes to close is read from this curve by `count_groups` (counts grouped until
    each group holds enough jobs to be compared), which the Funnel's chart and headline share.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `jobs.opened_at`.

    Returns:
        DataFrame [stage, count, jobs, fill_probability] for stages pitch, mer, offer.
    """
    cond, params = where(filters.period("j.opened_at"), filters.jobs("j"))
    curve = _df(con, f"""
        -- One row per (pitches, MERs, offers, outcome) first: the three curves then read few rows.
        WITH per_job AS (
            SELECT j.pitches AS pitch, j.mers AS mer, j.offers AS offer, j.is_filled AS filled, COUNT(*) AS jobs
            FROM job_facts j WHERE {cond} AND j.is_decided GROUP BY ALL),
        long AS (UNPIVOT per_job ON pitch, mer, offer INTO NAME stage VALUE n)
        SELECT l.stage, l.n::BIGINT AS count, SUM(l.jobs)::BIGINT AS jobs,
               COALESCE(SUM(l.jobs) FILTER (WHERE l.filled), 0) / SUM(l.jobs) AS fill_probability
        FROM long l JOIN {_STAGES_SQL} ON s.stage = l.stage
        GROUP BY l.stage, s.stage_order, l.n ORDER BY s.stage_order, l.n""", params)
    return curve


def candidates_per_opportunity(con, filters: Filters) -> pd.DataFrame:
    """Candidates per job (opportunity) by job type: distinct candidates with at least one pipeline event on
    the job. Jobs opened in the period that pass the job filters, including jobs with no candidate (0); the
    `All` row covers every job type.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `jobs.opened_at`.

    Returns:
        DataFrame [job_type, jobs, candidates, candidates_per_job, median_candidates_per_job],
        job types by number of jobs, `All` last.
    """
    cond, params = where(filters.period("j.opened_at"), filters.jobs("j"))
    return _df(con, f"""
        WITH jb AS (SELECT j.job_id, COALESCE(j.job_type, '(unknown)') AS job_type FROM jobs j WHERE {cond}),
        c AS (
            SELECT job_id, COUNT(DISTINCT candidate_id) AS n FROM pipeline_events
            WHERE job_id IN (SELECT job_id FROM jb) GROUP BY job_id),
        per_job AS (SELECT jb.job_type, COALESCE(c.n, 0) AS n FROM jb LEFT JOIN c ON c.job_id = jb.job_id)
        SELECT CASE WHEN GROUPING(job_type) = 1 THEN 'All' ELSE job_type END AS job_type,
               COUNT(*)::BIGINT AS jobs, SUM(n)::BIGINT AS candidates,
               AVG(n) AS candidates_per_job, MEDIAN(n)::DOUBLE AS median_candidates_per_job
        FROM per_job
        GROUP BY GROUPING SETS ((job_type), ())
        ORDER BY GROUPING(job_type), jobs DESC, job_type""", params)


# Filled jobs with their first placement date and the days from opening to it.
_FILLS_SQL = """
    SELECT j.job_id, COALESCE(j.job_type, '(unknown)') AS job_type, j.placed_at - j.opened_at AS days, j.placed_at
    FROM job_facts j
    WHERE {cond} AND j.opened_at IS NOT NULL AND j.placed_at IS NOT NULL
"""


def closing_duration(con, filters: Filters) -> pd.DataFrame:
    """Closing duration: days from a job's opening to its (first) placement, median and quartiles, by job
    type. Jobs filled in the period, i.e. whose first placement event is dated in the period (job filters
    applied); a placement dated before the job's opening (a suspect opening date) is left out. p25/p75 are the
    25th and 75th percentiles (linear interpolation). The `All` row covers every job type.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to the placement date.

    Returns:
        DataFrame [job_type, jobs_filled, median_days, p25, p75], job types by jobs filled, `All` last.
    """
    jcond, jparams = filters.jobs("j")
    pcond, pparams = filters.period("placed_at")
    return _df(con, f"""
        WITH fills AS ({_FILLS_SQL.format(cond=jcond)})
        SELECT CASE WHEN GROUPING(job_type) = 1 THEN 'All' ELSE job_type END AS job_type,
               COUNT(*)::BIGINT AS jobs_filled, MEDIAN(days)::DOUBLE AS median_days,
               quantile_cont(days, 0.25) AS p25, quantile_cont(days, 0.75) AS p75
        FROM fills WHERE days >= 0 AND {pcond}
        GROUP BY GROUPING SETS ((job_type), ())
        HAVING COUNT(*) > 0
        ORDER BY GROUPING(job_type), jobs_filled DESC, job_type""", jparams + pparams)


def new_vs_repeat(con, filters: Filters) -> pd.DataFrame:
    """New vs repeat jobs compared on fill rate, speed and fee; a job is repeat when its client had an earlier
    job (`jobs.is_repeat`). Jobs opened in the period (job filters applied). Fill rate = filled jobs / jobs
    whose outcome is known (filled, lost or cancelled). Median days = median days from opening to first
    placement of the filled jobs. Average fee = mean of the fees invoiced per filled job (sum of its
    placements' `fee_eur`; filled jobs without a recorded placement are left out). Decided jobs and
    filled jobs are the two counts of the fill rate, kept so that the rates can be tested against chance.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `jobs.opened_at`.

    Returns:
        DataFrame [job_kind (`new`, `repeat`), jobs, decided_jobs, filled_jobs, fill_rate, median_days,
        avg_fee]; both rows always present (0 jobs and NULL rates when none).
    """
    cond, params = where(filters.period("j.opened_at"), filters.jobs("j"))
    return _df(con, f"""
        WITH jb AS (
            SELECT j.job_id, j.status, j.opened_at,
                   CASE WHEN COALESCE(j.is_repeat, FALSE) THEN 'repeat' ELSE 'new' END AS job_kind
            FROM jobs j WHERE {cond}),
        placed AS ({_first_dates(con, "placement", "jb")}),
        fee AS (
            SELECT job_id, SUM(fee_eur) AS fee FROM placements
            WHERE job_id IN (SELECT job_id FROM jb) GROUP BY job_id),
        agg AS (
            SELECT jb.job_kind, COUNT(*) AS jobs,
                   COUNT(*) FILTER (WHERE jb.status IN {DECIDED_SQL}) AS decided_jobs,
                   COUNT(*) FILTER (WHERE jb.status = 'filled') AS filled_jobs,
                   MEDIAN(p.placed_at - jb.opened_at) FILTER (
                       WHERE jb.status = 'filled' AND p.placed_at >= jb.opened_at)::DOUBLE AS median_days,
                   AVG(fee.fee) FILTER (WHERE jb.status = 'filled') AS avg_fee
            FROM jb LEFT JOIN placed p ON p.job_id = jb.job_id LEFT JOIN fee ON fee.job_id = jb.job_id
            GROUP BY jb.job_kind)
        SELECT k.job_kind, COALESCE(agg.jobs, 0)::BIGINT AS jobs, COALESCE(agg.decided_jobs, 0)::BIGINT AS decided_jobs,
               COALESCE(agg.filled_jobs, 0)::BIGINT AS filled_jobs,
               agg.filled_jobs / NULLIF(agg.decided_jobs, 0) AS fill_rate, agg.median_days, agg.avg_fee
        FROM (VALUES ('new', 1), ('repeat', 2)) AS k(job_kind, o) LEFT JOIN agg ON agg.job_kind = k.job_kind
        ORDER BY k.o""", params)


def pitch_to_mer_by_sales(con, filters: Filters) -> pd.DataFrame:
    """Pitch→MER conversion per salesperson: MERs / pitches dated in the period on the jobs they are the
    salesperson of, with counts and a 95 % Wilson interval. Events are attributed to the job's salesperson
    (`jobs.sales_id`), whoever logged them; only staff with role `sales` are listed (coaches are not). Read
    the rate with its counts and interval: a rate on 5 pitches is far less certain than one on 500.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `pipeline_events.event_date`.

    Returns:
        DataFrame [staff_id, name, team, pitches, mers, pitch_to_mer_rate, ci_low, ci_high], ranked
        by the interval's lower end (then by rate).
    """
    cond, params = where(filters.period("e.event_date"), filters.jobs("j"))
    frame = _df(con, f"""
        WITH counts AS (
            SELECT j.sales_id, COUNT(*) FILTER (WHERE e.stage = 'pitch') AS pitches,
                   COUNT(*) FILTER (WHERE e.stage = 'mer') AS mers
            FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id
            WHERE {cond} AND e.stage IN ('pitch', 'mer')
            GROUP BY j.sales_id)
        SELECT s.staff_id, s.name, s.team, c.pitches, c.mers,
               c.mers / NULLIF(c.pitches, 0) AS pitch_to_mer_rate
        FROM counts c JOIN staff s ON s.staff_id = c.sales_id
        WHERE s.role = 'sales'""", params)
    return _ranked(_ci(frame, "mers", "pitches"), "name")


def pitch_to_mer_by_team(con, filters: Filters) -> pd.DataFrame:
    """Pitch→MER conversion per team: MERs / pitches dated in the period on the jobs of the team's
    salespeople, with counts and a 95 % Wilson interval. Same attribution as per salesperson (the job's
    `sales_id`, role `sales` only), grouped by the salesperson's team.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `pipeline_events.event_date`.

    Returns:
        DataFrame [team, pitches, mers, pitch_to_mer_rate, ci_low, ci_high], ranked by the
        interval's lower end (then by rate).
    """
    return team_pitch_to_mer(pitch_to_mer_by_sales(con, filters))


def team_pitch_to_mer(by_sales: pd.DataFrame) -> pd.DataFrame:
    """Per-team pitch→MER from the per-salesperson counts (`pitch_to_mer_by_sales`): sums of pitches and MERs.

    Args:
        by_sales: the result of `pitch_to_mer_by_sales`.

    Returns:
        DataFrame [team, pitches, mers, pitch_to_mer_rate, ci_low, ci_high], ranked by the
        interval's lower end; a salesperson without team counts in `(no team)`.
    """
    frame = by_sales.assign(team=by_sales["team"].fillna("(no team)"))
    teams = frame.groupby("team", as_index=False)[["pitches", "mers"]].sum()
    teams["pitch_to_mer_rate"] = teams["mers"] / teams["pitches"].where(teams["pitches"] > 0)
    return _ranked(_ci(teams, "mers", "pitches"), "team")


def _ranked(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    # Ranked by the interval's lower end, so that a rate on 5 pitches does not outrank one on 500.
    return frame.sort_values(["ci_low", "pitch_to_mer_rate", name], ascending=[False, False, True],
                             na_position="last", kind="stable").reset_index(drop=True)
