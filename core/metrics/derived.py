"""Facts: every business fact the analyses share, computed once at the end of a build and read everywhere.

In the spirit of dbt marts, each fact table is one model with its definition, written from the clean
tables after cleaning and linking (a warehouse never changes after its build). The analyses, the
report and the model read these tables; none of them decides again what a decided job, a placement
date, a client segment or a churned client is. The rules every table applies are also the constants
of this module (`DECIDED_STATUSES`, `SEGMENT_SHARES`, `segment_case_sql`), so that code which must
apply them to other rows imports them instead of writing them again.

A warehouse built before a fact table existed is not served by a second path: `core.warehouse.connect`
refuses it and asks for a rebuild (see `core.schema.SCHEMA_VERSION`).
"""

from __future__ import annotations

from core.schema import TABLES_BY_NAME

# The outcome of a job is known once it is filled, lost or cancelled; an open job may still be filled.
FILLED_STATUS = "filled"
UNFILLED_STATUSES = ("lost", "cancelled")
DECIDED_STATUSES = (FILLED_STATUS, *UNFILLED_STATUSES)

# Client segments: clients with turnover > 0 ranked by turnover (ties by client id); `top` is the
# first ceil(1 %), `large` the next up to ceil(5 %), `medium` the next up to ceil(20 %), the rest
# `other` (clients without turnover included).
SEGMENTS = ("top", "large", "medium", "other")
SEGMENT_SHARES = (("top", 0.01), ("large", 0.05), ("medium", 0.20))


def sql_list(values: tuple[str, ...]) -> str:
    """A fixed tuple of code constants as a SQL list literal, e.g. `('filled', 'lost')`."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


DECIDED_SQL = sql_list(DECIDED_STATUSES)
UNFILLED_SQL = sql_list(UNFILLED_STATUSES)


def segment_case_sql(rank: str, count: str) -> str:
    """SQL CASE giving the segment of the client ranked `rank` among `count` clients with turnover.

    `rank` and `count` are SQL expressions from the calling code (1 = the largest turnover);
    a client without turnover has a NULL rank and falls in `other`.
    """
    whens = " ".join(f"WHEN {rank} <= CEIL({count} * {share}) THEN '{name}'" for name, share in SEGMENT_SHARES)
    return f"CASE {whens} ELSE 'other' END"


# Lifetime client segments: the ranking above over each client's fees of all time.
LIFETIME_SEGMENT_SQL = f"""
    SELECT client_id, {segment_case_sql('rn', 'n')} AS segment
    FROM (SELECT client_id, ROW_NUMBER() OVER (ORDER BY turnover DESC, client_id) AS rn, COUNT(*) OVER () AS n
          FROM (SELECT client_id, SUM(fee_eur) AS turnover FROM placement_facts
                GROUP BY client_id HAVING SUM(fee_eur) > 0))
"""

# An activity is attributed to the job it is logged on (its client when it names none, the job's
# people and job type); an activity with no job, or whose job is not in the warehouse, stands for
# itself: its own staff member takes the place of the job's people, and it has no job type.
ACTIVITY_EFFORT_SELECT = """
    SELECT aj.job_id, COALESCE(a.client_id, aj.client_id) AS client_id, a.activity_date,
           CASE WHEN aj.job_id IS NULL THEN a.staff_id ELSE aj.sales_id END AS sales_id,
           CASE WHEN aj.job_id IS NULL THEN a.staff_id ELSE aj.coach_id END AS coach_id,
           aj.job_type,
           a.minutes,
           COALESCE(a.minutes, 0) / 60.0 * COALESCE(s.hourly_cost_eur, 0) AS cost
    FROM activities a
    LEFT JOIN jobs aj ON aj.job_id = a.job_id
    LEFT JOIN staff s ON s.staff_id = a.staff_id"""

JOB_EVENTS_SELECT = """
    SELECT e.job_id, COUNT(*) AS events, COUNT(*) FILTER (WHERE e.stage = 'pitch') AS pitches,
           MIN(e.event_date) FILTER (WHERE e.stage = 'pitch') AS first_pitch_at,
           MIN(e.event_date) FILTER (WHERE e.stage = 'mer') AS first_mer_at,
           MIN(e.event_date) FILTER (WHERE e.stage = 'placement') AS first_placement_at
    FROM pipeline_events e GROUP BY 1"""

# One row per job: its status and the dates of its story (reads `job_events`, written before it).
JOB_FACTS_SELECT = f"""
    WITH ev AS (
        SELECT job_id, COUNT(*) FILTER (WHERE stage = 'mer') AS mers,
               COUNT(*) FILTER (WHERE stage = 'offer') AS offers,
               COUNT(*) FILTER (WHERE stage = 'placement') AS placement_events
        FROM pipeline_events GROUP BY 1),
    plc AS (
        SELECT job_id, COUNT(*) AS placements, SUM(fee_eur) AS fees, MIN(invoiced_at) AS invoiced_at,
               COUNT(*) FILTER (WHERE invoiced_at IS NULL) AS placements_not_invoiced
        FROM placements GROUP BY 1)
    SELECT j.job_id, j.client_id, j.sales_id, j.coach_id, j.job_type, j.seniority, j.status,
           COALESCE(j.status IN {DECIDED_SQL}, FALSE) AS is_decided,
           COALESCE(j.status = '{FILLED_STATUS}', FALSE) AS is_filled,
           j.opened_at, je.first_pitch_at, je.first_mer_at,
           CASE WHEN j.status IN {DECIDED_SQL} THEN j.closed_at END AS decided_at,
           CASE WHEN j.status = '{FILLED_STATUS}' THEN j.closed_at END AS filled_at,
           je.first_placement_at AS placed_at,
           plc.invoiced_at,
           COALESCE(je.pitches, 0)::BIGINT AS pitches, COALESCE(ev.mers, 0)::BIGINT AS mers,
           COALESCE(ev.offers, 0)::BIGINT AS offers,
           COALESCE(ev.placement_events, 0)::BIGINT AS placement_events,
           COALESCE(plc.placements, 0)::BIGINT AS placements,
           COALESCE(plc.placements_not_invoiced, 0)::BIGINT AS placements_not_invoiced,
           COALESCE(plc.fees, 0)::DOUBLE AS fees
    FROM jobs j
    LEFT JOIN job_events je ON je.job_id = j.job_id
    LEFT JOIN ev ON ev.job_id = j.job_id
    LEFT JOIN plc ON plc.job_id = j.job_id"""

# One row per placement: booked when made (placement date), invoiced when billed (invoice date).
PLACEMENT_FACTS_SELECT = """
    WITH by_candidate AS (
        SELECT job_id, candidate_id, MIN(event_date) AS placed_at FROM pipeline_events
        WHERE stage = 'placement' AND candidate_id IS NOT NULL GROUP BY ALL)
    SELECT p.placement_id, p.job_id, j.client_id, j.sales_id, j.coach_id, j.job_type,
           COALESCE(c.placed_at, je.first_placement_at, p.start_date, p.invoiced_at) AS placed_at,
           CASE WHEN c.placed_at IS NOT NULL THEN 'placement event'
                WHEN je.first_placement_at IS NOT NULL THEN 'job placement event'
                WHEN p.start_date IS NOT NULL THEN 'start date'
                WHEN p.invoiced_at IS NOT NULL THEN 'invoice date' END AS placed_at_basis,
           p.start_date, p.invoiced_at, p.invoiced_at IS NOT NULL AS is_invoiced,
           COALESCE(p.fee_eur, 0)::DOUBLE AS fee_eur,
           COALESCE(p.guarantee_broken, FALSE) AS refunded, p.broken_at
    FROM placements p
    LEFT JOIN jobs j ON j.job_id = p.job_id
    LEFT JOIN by_candidate c ON c.job_id = p.job_id AND c.candidate_id = p.candidate_id
    LEFT JOIN job_events je ON je.job_id = p.job_id"""

# Booked and invoiced revenue side by side, per calendar month (reads `placement_facts`).
REVENUE_MONTHS_SELECT = """
    WITH booked AS (
        SELECT date_trunc('month', placed_at)::DATE AS month, COUNT(*) AS placements, SUM(fee_eur) AS fees,
               SUM(fee_eur) FILTER (WHERE NOT is_invoiced) AS not_invoiced
        FROM placement_facts WHERE placed_at IS NOT NULL GROUP BY 1),
    invoiced AS (
        SELECT date_trunc('month', invoiced_at)::DATE AS month, COUNT(*) AS placements, SUM(fee_eur) AS fees
        FROM placement_facts WHERE is_invoiced GROUP BY 1),
    months AS (SELECT month FROM booked UNION SELECT month FROM invoiced)
    SELECT m.month, COALESCE(b.placements, 0)::BIGINT AS booked_placements,
           COALESCE(b.fees, 0)::DOUBLE AS booked_fees,
           COALESCE(b.not_invoiced, 0)::DOUBLE AS booked_not_invoiced,
           COALESCE(i.placements, 0)::BIGINT AS invoiced_placements,
           COALESCE(i.fees, 0)::DOUBLE AS invoiced_fees
    FROM months m LEFT JOIN booked b ON b.month = m.month LEFT JOIN invoiced i ON i.month = m.month"""

# One row per client and calendar year, from its first year with a job, a fee or an activity to the
# as-of year (the `?` parameters are the as-of date's year, then the last complete year).
CLIENT_YEARS_SELECT = f"""
    WITH opened AS (
        SELECT client_id, year(opened_at) AS year, COUNT(*) AS jobs FROM jobs
        WHERE client_id IS NOT NULL AND opened_at IS NOT NULL GROUP BY ALL),
    invoiced AS (
        SELECT client_id, year(invoiced_at) AS year, COUNT(*) AS placements, SUM(fee_eur) AS turnover,
               SUM(fee_eur) FILTER (WHERE refunded) AS refunds
        FROM placement_facts WHERE client_id IS NOT NULL AND is_invoiced GROUP BY ALL),
    booked AS (
        SELECT client_id, year(placed_at) AS year, SUM(fee_eur) AS booked FROM placement_facts
        WHERE client_id IS NOT NULL AND placed_at IS NOT NULL GROUP BY ALL),
    effort AS (
        SELECT client_id, year(activity_date) AS year, SUM(cost) AS effort_cost FROM activity_effort
        WHERE client_id IS NOT NULL AND activity_date IS NOT NULL GROUP BY ALL),
    firsts AS (
        SELECT client_id, MIN(year) AS first_year FROM (
            SELECT client_id, year FROM opened UNION ALL SELECT client_id, year FROM invoiced
            UNION ALL SELECT client_id, year FROM effort) GROUP BY 1),
    grid AS (SELECT client_id, unnest(range(first_year, GREATEST(first_year, ?) + 1)) AS year FROM firsts),
    base AS (
        SELECT g.client_id, g.year::BIGINT AS year, COALESCE(o.jobs, 0)::BIGINT AS jobs_opened,
               o.client_id IS NOT NULL AS active, p.client_id IS NOT NULL AS active_prev_year,
               g.year <= ? AS year_complete,
               COALESCE(i.placements, 0)::BIGINT AS placements_invoiced,
               COALESCE(i.turnover, 0)::DOUBLE AS turnover, COALESCE(i.refunds, 0)::DOUBLE AS refunds,
               COALESCE(e.effort_cost, 0)::DOUBLE AS effort_cost, COALESCE(b.booked, 0)::DOUBLE AS booked
        FROM grid g
        LEFT JOIN opened o ON o.client_id = g.client_id AND o.year = g.year
        LEFT JOIN opened p ON p.client_id = g.client_id AND p.year = g.year - 1
        LEFT JOIN invoiced i ON i.client_id = g.client_id AND i.year = g.year
        LEFT JOIN booked b ON b.client_id = g.client_id AND b.year = g.year
        LEFT JOIN effort e ON e.client_id = g.client_id AND e.year = g.year),
    ranked AS (
        SELECT client_id, year, ROW_NUMBER() OVER (PARTITION BY year ORDER BY turnover DESC, client_id) AS rn,
               COUNT(*) OVER (PARTITION BY year) AS n
        FROM base WHERE turnover > 0)
    SELECT b.client_id, b.year, b.jobs_opened, b.active, b.active_prev_year,
           CASE WHEN b.year_complete THEN b.active_prev_year AND NOT b.active END AS churned,
           b.year_complete, b.placements_invoiced, b.turnover, b.refunds, b.effort_cost,
           b.turnover - b.refunds - b.effort_cost AS net_profit, b.booked,
           {segment_case_sql('r.rn', 'r.n')} AS segment
    FROM base b LEFT JOIN ranked r ON r.client_id = b.client_id AND r.year = b.year"""

def job_dates_sql(jobs_cte: str) -> str:
    """SQL of (job_id, pitches, first_pitch_at, first_mer_at, first_placement_at) from `job_facts` for the
    jobs in the CTE `jobs_cte` (a CTE with a job_id column, named by the calling code)."""
    return ("SELECT job_id, pitches, first_pitch_at, first_mer_at, placed_at AS first_placement_at "
            f"FROM job_facts WHERE job_id IN (SELECT job_id FROM {jobs_cte})")


# Each fact table, the rows it is made from and its ORDER BY (so that the filters the analyses use
# most, team and period, skip the parts of the table they do not need), in build order: a table may
# read those before it.
_FACTS = {
    "activity_effort": (ACTIVITY_EFFORT_SELECT, "sales_id, activity_date"),
    "job_events": (JOB_EVENTS_SELECT, "job_id"),
    "job_facts": (JOB_FACTS_SELECT, "sales_id, opened_at, job_id"),
    "placement_facts": (PLACEMENT_FACTS_SELECT, "placed_at, placement_id"),
    "revenue_months": (REVENUE_MONTHS_SELECT, "month"),
    "client_years": (CLIENT_YEARS_SELECT, "client_id, year"),
}
FACT_TABLES = tuple(_FACTS)


def create_derived_tables(con) -> None:
    """(Re)create every fact table from the clean tables of a warehouse being built.

    `activity_effort`: one row per activity, attributed as in `ACTIVITY_EFFORT_SELECT`.
    `job_events`: one row per job id of `pipeline_events`. `job_facts`: one row per job, its
    status and dates. `placement_facts`: one row per placement, its placement and invoice dates.
    `revenue_months`: booked and invoiced fees per month. `client_years`: one row per client and
    year, its activity, churn status, money and segment. docs/schema.md gives every column.

    Args:
        con: a writable DuckDB connection holding the clean tables (activities, jobs, staff,
            pipeline_events, placements).
    """
    from core.metrics.common import as_of, last_complete_year

    now = as_of(con)
    year, last_complete = (now.year, last_complete_year(now)) if now is not None else (0, -1)
    for name, (select, order) in _FACTS.items():
        table = TABLES_BY_NAME[name]
        con.execute(table.ddl().replace("CREATE TABLE", "CREATE OR REPLACE TABLE", 1))
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        params = [year, last_complete] if name == "client_years" else []
        con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM ({select}) ORDER BY {order}', params)


# Invariants of the fact tables, each as SQL that returns the rows breaking it (dbt's tests, in spirit).
FACT_CHECKS = {
    "job_facts has one row per job": """
        SELECT job_id FROM job_facts GROUP BY job_id HAVING COUNT(*) > 1
        UNION ALL SELECT 'rows' WHERE (SELECT COUNT(*) FROM job_facts) <> (SELECT COUNT(*) FROM jobs)""",
    "placement_facts has one row per placement": """
        SELECT 'rows' WHERE (SELECT COUNT(*) FROM placement_facts) <> (SELECT COUNT(*) FROM placements)""",
    "invoiced fees never exceed booked fees": """
        SELECT 'total' WHERE (SELECT SUM(invoiced_fees) FROM revenue_months)
                             > (SELECT SUM(booked_fees) FROM revenue_months) + 0.005""",
    "client_years has one row per client and year": """
        SELECT client_id FROM client_years GROUP BY client_id, year HAVING COUNT(*) > 1""",
}


def check_facts(con) -> list[str]:
    """The invariants of `FACT_CHECKS` that the fact tables break (none after a sound build).

    Args:
        con: a DuckDB connection to a warehouse holding the fact tables.

    Returns:
        The names of the broken invariants, empty when all hold.
    """
    return [name for name, sql in FACT_CHECKS.items() if con.execute(f"SELECT EXISTS ({sql})").fetchone()[0]]
