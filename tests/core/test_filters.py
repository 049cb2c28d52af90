from datetime import date

import duckdb
import pytest

from core.errors import UserError
from core.filters import Filters, resolve_sales_names, where
from core.schema import TABLES_BY_NAME


@pytest.fixture
def con():
    c = duckdb.connect()
    for name in ("staff", "jobs", "placements"):
        c.execute(TABLES_BY_NAME[name].ddl())
    c.execute("""INSERT INTO staff (staff_id, name, role, team) VALUES
        ('S1', 'Ana Roy', 'sales', 'North'), ('S2', 'Bob Li', 'sales', 'South'),
        ('C1', 'Cy Ode', 'coach', 'North')""")
    c.execute("""INSERT INTO jobs (job_id, client_id, job_type, opened_at, sales_id, coach_id) VALUES
        ('J1', 'A', 'Dev', DATE '2024-01-10', 'S1', 'C1'),
        ('J2', 'B', 'Sales', DATE '2024-02-10', 'S2', 'C1'),
        ('J3', 'A', 'Dev', DATE '2024-03-10', 'S2', 'C1')""")
    return c


def _job_ids(con, f: Filters) -> list[str]:
    sql, params = where(f.period("j.opened_at"), f.jobs("j"))
    return [r[0] for r in con.execute(f"SELECT job_id FROM jobs j WHERE {sql} ORDER BY 1", params).fetchall()]


def test_no_filter_keeps_everything(con):
    assert _job_ids(con, Filters()) == ["J1", "J2", "J3"]


def test_period_is_inclusive(con):
    f = Filters(date_from=date(2024, 2, 10), date_to=date(2024, 3, 10))
    assert _job_ids(con, f) == ["J2", "J3"]


def test_team_sales_and_job_type(con):
    assert _job_ids(con, Filters(teams=("North",))) == ["J1"]
    assert _job_ids(con, Filters(sales=("S2",))) == ["J2", "J3"]
    assert _job_ids(con, Filters(job_types=("Dev",), sales=("S2",))) == ["J3"]


def test_coach_role_filters_on_coach(con):
    assert _job_ids(con, Filters(teams=("North",), staff_role="coach")) == ["J1", "J2", "J3"]


def test_hostile_values_are_parameters(con):
    hostile = "x'); DROP TABLE jobs; --"
    assert _job_ids(con, Filters(teams=(hostile,), job_types=(hostile,))) == []
    assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 3


def test_column_names_are_allow_listed():
    with pytest.raises(ValueError):
        Filters().period("opened_at; DROP TABLE jobs")


def test_previous_period_has_same_length():
    f = Filters(date_from=date(2024, 4, 1), date_to=date(2024, 6, 30)).previous_period()
    assert (f.date_from, f.date_to) == (date(2024, 1, 1), date(2024, 3, 31))


def test_resolve_sales_names(con):
    assert resolve_sales_names(con, ("ana roy", "Bob Li")) == ("S1", "S2")
    with pytest.raises(UserError, match="Zed"):
        resolve_sales_names(con, ("Zed",))
