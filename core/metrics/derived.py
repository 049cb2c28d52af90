"""Derived tables: facts the analyses would otherwise recompute from the largest tables on every query.

They are computed once, at the end of a build, from the clean tables (a warehouse never changes
after its build). An analysis reads a derived table only when it is complete for the warehouse it
is given (`derived_ready`); otherwise it computes the same rows from the clean tables, so
warehouses built before the table existed, and small test warehouses, give the same answers.
"""

from __future__ import annotations

from core.schema import TABLES_BY_NAME

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


_JOB_EVENTS = """
    SELECT e.job_id, COUNT(*) AS events, COUNT(*) FILTER (WHERE e.stage = 'pitch') AS pitches,
           MIN(e.event_date) FILTER (WHERE e.stage = 'pitch') AS first_pitch_at,
           MIN(e.event_date) FILTER (WHERE e.stage = 'mer') AS first_mer_at,
           MIN(e.event_date) FILTER (WHERE e.stage = 'placement') AS first_placement_at
    FROM pipeline_events e {where} GROUP BY 1"""
JOB_EVENTS_SELECT = _JOB_EVENTS.format(where="")

# Each derived table, the rows it is made from, and its ORDER BY (so that the filters the
# analyses use most, team and period, skip the parts of the table they do not need).
_DERIVED = {
    "activity_effort": (ACTIVITY_EFFORT_SELECT, "sales_id, activity_date"),
    "job_events": (JOB_EVENTS_SELECT, "job_id"),
}
# A derived table is complete when it accounts for every row of its source table.
_COMPLETE = {
    "activity_effort": ("SELECT COUNT(*) FROM activity_effort", "SELECT COUNT(*) FROM activities"),
    "job_events": ("SELECT COALESCE(SUM(events), 0) FROM job_events", "SELECT COUNT(*) FROM pipeline_events"),
}


def create_derived_tables(con) -> None:
    """(Re)create every derived table from the clean tables of a warehouse being built.

    `activity_effort`: one row per activity, attributed as in `ACTIVITY_EFFORT_SELECT`, sorted
    by salesperson then date, so that a query on a team or a period reads only the part of the
    table that holds it. `job_events`: one row per job id of `pipeline_events` (`JOB_EVENTS_SELECT`).

    Args:
        con: a writable DuckDB connection holding the clean tables (activities, jobs, staff,
            pipeline_events).
    """
    for name, (select, order) in _DERIVED.items():
        table = TABLES_BY_NAME[name]
        con.execute(table.ddl().replace("CREATE TABLE", "CREATE OR REPLACE TABLE", 1))
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM ({select}) ORDER BY {order}')


def derived_ready(con, name: str) -> bool:
    """Whether the derived table `name` is complete for this warehouse.

    A warehouse built before the table existed lacks it or has it empty; a complete one
    accounts for every row of its source: `activity_effort` has one row per activity, and the
    `events` of `job_events` add up to the rows of `pipeline_events`.

    Args:
        con: a DuckDB connection to the warehouse.
        name: `activity_effort` or `job_events`.

    Returns:
        True when the table exists and is complete.
    """
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if name not in present:
        return False
    done, source = _COMPLETE[name]
    return con.execute(f"SELECT ({done}) = ({source})").fetchone()[0]


def job_events_sql(con, jobs_cte: str) -> str:
    """SQL of the `job_events` rows of the jobs in the CTE `jobs_cte` (a CTE with a job_id column).

    Read from the build's table when it is complete (`derived_ready`), else summed up from
    `pipeline_events` the same way: the rows are the same, only slower to get.

    Args:
        con: a DuckDB connection to the warehouse.
        jobs_cte: name of a CTE of the calling query, from a fixed set in the code.
    """
    scope = f"job_id IN (SELECT job_id FROM {jobs_cte})"
    if derived_ready(con, "job_events"):
        return f"SELECT * FROM job_events WHERE {scope}"
    return _JOB_EVENTS.format(where=f"WHERE e.{scope}")
