"""Derived tables: the build-time `activity_effort` table and the analyses that read it."""

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from core.filters import Filters
from core.metrics import churn, clients, time_wasters, typology
from core.metrics.common import clear_memo
from core.metrics.derived import create_derived_tables, derived_ready
from core.warehouse import connect
from tests.helpers import warehouse

D = date(2024, 3, 1)


@pytest.fixture
def con():
    """J1 (client A, sales S1, coach C1, Dev); activities: on J1 without a client, on J1 for client B,
    without a job (staff S2), on a job missing from the warehouse, with no minutes, by unknown staff."""
    return warehouse({
        "staff": [{"staff_id": "S1", "team": "North", "hourly_cost_eur": 30.0},
                  {"staff_id": "S2", "team": "South", "hourly_cost_eur": 60.0}],
        "jobs": [{"job_id": "J1", "client_id": "A", "job_type": "Dev", "sales_id": "S1", "coach_id": "C1",
                  "opened_at": D}],
        "activities": [
            {"activity_id": "a1", "staff_id": "S2", "job_id": "J1", "activity_date": D, "minutes": 30.0},
            {"activity_id": "a2", "staff_id": "S1", "client_id": "B", "job_id": "J1", "activity_date": D,
             "minutes": 60.0},
            {"activity_id": "a3", "staff_id": "S2", "client_id": "C", "activity_date": D, "minutes": 90.0},
            {"activity_id": "a4", "staff_id": "S2", "client_id": "C", "job_id": "GONE", "activity_date": D,
             "minutes": 120.0},
            {"activity_id": "a5", "staff_id": "S1", "client_id": "A", "job_id": "J1", "activity_date": D},
            {"activity_id": "a6", "staff_id": "X", "client_id": "A", "activity_date": D, "minutes": 15.0},
        ],
    })


def test_activity_effort_attributes_each_activity(con):
    assert not derived_ready(con, "activity_effort")  # created empty with the schema, not yet filled
    create_derived_tables(con)
    assert derived_ready(con, "activity_effort")
    rows = con.execute("""SELECT job_id, client_id, sales_id, coach_id, job_type, minutes, cost
                          FROM activity_effort ORDER BY minutes NULLS FIRST""").fetchall()
    assert rows == [
        ("J1", "A", "S1", "C1", "Dev", None, 0.0),        # no minutes: no cost
        (None, "A", "X", "X", None, 15.0, 0.0),            # unknown staff: no cost
        ("J1", "A", "S1", "C1", "Dev", 30.0, 30.0),        # the job's client and people; S2's cost
        ("J1", "B", "S1", "C1", "Dev", 60.0, 30.0),        # the activity's own client wins
        (None, "C", "S2", "S2", None, 90.0, 90.0),         # no job: its own staff member
        (None, "C", "S2", "S2", None, 120.0, 120.0),       # job not in the warehouse: as without a job
    ]
    create_derived_tables(con)  # a second run replaces, never appends
    assert con.execute("SELECT COUNT(*) FROM activity_effort").fetchone()[0] == 6


def test_ready_only_when_complete(con):
    create_derived_tables(con)
    con.execute("INSERT INTO activities (activity_id, client_id, minutes) VALUES ('late', 'A', 5)")
    assert not derived_ready(con, "activity_effort")
    con.execute("DROP TABLE activity_effort")
    assert not derived_ready(con, "activity_effort")


def test_job_events_sum_up_each_job():
    con = warehouse({"pipeline_events": [
        {"event_id": "e1", "job_id": "J1", "stage": "pitch", "event_date": date(2024, 3, 5)},
        {"event_id": "e2", "job_id": "J1", "stage": "pitch", "event_date": date(2024, 3, 2)},
        {"event_id": "e3", "job_id": "J1", "stage": "mer", "event_date": date(2024, 3, 9)},
        {"event_id": "e4", "job_id": "J1", "stage": "placement", "event_date": date(2024, 4, 1)},
        {"event_id": "e5", "job_id": "J2", "stage": "offer", "event_date": date(2024, 5, 1)},
        {"event_id": "e6", "job_id": None, "stage": "pitch", "event_date": date(2024, 5, 1)},
    ]})
    assert not derived_ready(con, "job_events")
    create_derived_tables(con)
    assert derived_ready(con, "job_events")
    assert con.execute("SELECT * FROM job_events ORDER BY job_id NULLS LAST").fetchall() == [
        ("J1", 4, 2, date(2024, 3, 2), date(2024, 3, 9), date(2024, 4, 1)),
        ("J2", 1, 0, None, None, None),
        (None, 1, 1, date(2024, 5, 1), None, None),
    ]
    con.execute("DELETE FROM pipeline_events WHERE event_id = 'e5'")
    assert not derived_ready(con, "job_events")


FILTERS = (Filters(), Filters(teams=("North",)), Filters(teams=("South",)), Filters(job_types=("Dev",)),
           Filters(sales=("S2",), staff_role="coach"), Filters(date_from=D, date_to=D, segments=("other",)))


def test_economics_same_with_and_without_the_table(con):
    before = {f: clients.client_economics(con, f) for f in FILTERS}
    create_derived_tables(con)
    for f, expected in before.items():
        pd.testing.assert_frame_equal(clients.client_economics(con, f), expected)
    eco = clients.client_economics(con, Filters()).set_index("client_id")
    assert eco["effort_hours"].to_dict() == {"A": 0.75, "B": 1.0, "C": 3.5}
    assert eco["effort_cost"].to_dict() == {"A": 30.0, "B": 30.0, "C": 210.0}
    north = clients.client_economics(con, Filters(teams=("North",))).set_index("client_id")
    assert north["effort_hours"].to_dict() == {"A": 0.5, "B": 1.0}  # activities on J1 (S1's job)


def _copy_without_derived(db, folder):
    """A copy of a warehouse as built before the derived tables existed: the tables are dropped."""
    copy = folder / "without_derived.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    for name in ("activity_effort", "job_events"):
        con.execute(f"DROP TABLE {name}")
    con.close()
    return copy


@pytest.mark.demo
def test_demo_answers_same_with_and_without_the_table(demo_db, tmp_path):
    """Every analysis that reads a derived table gives the demo's answers whether or not it exists."""
    copy = _copy_without_derived(demo_db, tmp_path)
    wide = Filters()
    narrow = Filters(date_from=date(2025, 11, 1), date_to=date(2026, 10, 31), teams=("Lyon",))
    fns = (clients.client_economics, clients.segment_drivers, time_wasters.time_wasters,
           typology.client_typology, typology.typology_profiles, churn.churn_timing, churn.client_lifetime,
           churn.at_risk_clients)
    with connect(copy) as plain, connect(demo_db) as fast:
        for name in ("activity_effort", "job_events"):
            assert not derived_ready(plain, name) and derived_ready(fast, name)
        for f in (wide, narrow):
            for fn in fns:
                clear_memo()
                expected, got = fn(plain, f), fn(fast, f)
                key = "client_id" if "client_id" in expected.columns and fn is not time_wasters.time_wasters \
                    else None
                if key:  # equal turnovers are ordered by net profit, whose last bits follow the sum order
                    expected, got = (x.sort_values(key, ignore_index=True) for x in (expected, got))
                pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
