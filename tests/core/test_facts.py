"""Fact tables: what the build decides once (attributed effort, job story, placement and invoice dates,
clients per year), checked on hand-made rows, and a warehouse of an older shape refused with a message."""

import shutil
from datetime import date

import duckdb
import pytest

from core.errors import WarehouseMissing
from core.filters import Filters
from core.metrics import churn, clients
from core.metrics.derived import DECIDED_STATUSES, SEGMENT_SHARES, check_facts, create_derived_tables
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


def test_economics_read_the_attributed_effort(con):
    eco = clients.client_economics(con, Filters()).set_index("client_id")
    assert eco["effort_hours"].to_dict() == {"A": 0.75, "B": 1.0, "C": 3.5}
    assert eco["effort_cost"].to_dict() == {"A": 30.0, "B": 30.0, "C": 210.0}
    north = clients.client_economics(con, Filters(teams=("North",))).set_index("client_id")
    assert north["effort_hours"].to_dict() == {"A": 0.5, "B": 1.0}  # activities on J1 (S1's job)


def test_job_events_sum_up_each_job():
    con = warehouse({"pipeline_events": [
        {"event_id": "e1", "job_id": "J1", "stage": "pitch", "event_date": date(2024, 3, 5)},
        {"event_id": "e2", "job_id": "J1", "stage": "pitch", "event_date": date(2024, 3, 2)},
        {"event_id": "e3", "job_id": "J1", "stage": "mer", "event_date": date(2024, 3, 9)},
        {"event_id": "e4", "job_id": "J1", "stage": "placement", "event_date": date(2024, 4, 1)},
        {"event_id": "e5", "job_id": "J2", "stage": "offer", "event_date": date(2024, 5, 1)},
        {"event_id": "e6", "job_id": None, "stage": "pitch", "event_date": date(2024, 5, 1)},
    ]})
    assert con.execute("SELECT * FROM job_events ORDER BY job_id NULLS LAST").fetchall() == [
        ("J1", 4, 2, date(2024, 3, 2), date(2024, 3, 9), date(2024, 4, 1)),
        ("J2", 1, 0, None, None, None),
        (None, 1, 1, date(2024, 5, 1), None, None),
    ]


@pytest.fixture
def story():
    """J1 filled (two candidates placed, one invoiced), J2 lost, J3 still open; P3's placement has no
    event and no start date on an open job, so it is dated by its invoice."""
    d = date
    return warehouse({
        "jobs": [
            {"job_id": "J1", "client_id": "A", "status": "filled", "opened_at": d(2024, 1, 10),
             "closed_at": d(2024, 3, 1), "sales_id": "S1"},
            {"job_id": "J2", "client_id": "A", "status": "lost", "opened_at": d(2024, 2, 1),
             "closed_at": d(2024, 4, 1), "sales_id": "S1"},
            {"job_id": "J3", "client_id": "B", "status": "open", "opened_at": d(2024, 5, 1), "sales_id": "S2"},
        ],
        "pipeline_events": [
            {"event_id": "e1", "job_id": "J1", "candidate_id": "K1", "stage": "pitch", "event_date": d(2024, 1, 15)},
            {"event_id": "e2", "job_id": "J1", "candidate_id": "K1", "stage": "mer", "event_date": d(2024, 1, 20)},
            {"event_id": "e3", "job_id": "J1", "candidate_id": "K2", "stage": "mer", "event_date": d(2024, 1, 22)},
            {"event_id": "e4", "job_id": "J1", "candidate_id": "K2", "stage": "placement",
             "event_date": d(2024, 2, 20)},
            {"event_id": "e5", "job_id": "J1", "candidate_id": "K1", "stage": "placement",
             "event_date": d(2024, 2, 25)},
        ],
        "placements": [
            {"placement_id": "P1", "job_id": "J1", "candidate_id": "K1", "fee_eur": 1000.0,
             "invoiced_at": d(2024, 4, 2)},
            {"placement_id": "P2", "job_id": "J1", "candidate_id": "K2", "fee_eur": 500.0},
            {"placement_id": "P3", "job_id": "J3", "candidate_id": "K9", "fee_eur": 200.0,
             "invoiced_at": d(2024, 6, 5), "guarantee_broken": True},
        ],
    })


def test_job_facts_tell_each_jobs_story(story):
    rows = story.execute("""SELECT job_id, is_decided, is_filled, first_pitch_at, first_mer_at, decided_at,
                                   filled_at, placed_at, invoiced_at, mers, placements, placements_not_invoiced,
                                   fees
                            FROM job_facts ORDER BY job_id""").fetchall()
    d = date
    assert rows == [
        ("J1", True, True, d(2024, 1, 15), d(2024, 1, 20), d(2024, 3, 1), d(2024, 3, 1), d(2024, 2, 20),
         d(2024, 4, 2), 2, 2, 1, 1500.0),
        ("J2", True, False, None, None, d(2024, 4, 1), None, None, None, 0, 0, 0, 0.0),
        ("J3", False, False, None, None, None, None, None, d(2024, 6, 5), 0, 1, 0, 200.0),
    ]
    assert DECIDED_STATUSES == ("filled", "lost", "cancelled")


def test_placement_facts_date_booked_and_invoiced_revenue(story):
    rows = story.execute("""SELECT placement_id, placed_at, placed_at_basis, invoiced_at, is_invoiced, refunded
                            FROM placement_facts ORDER BY placement_id""").fetchall()
    d = date
    assert rows == [
        ("P1", d(2024, 2, 25), "placement event", d(2024, 4, 2), True, False),   # K1's own placement event
        ("P2", d(2024, 2, 20), "placement event", None, False, False),           # made, not invoiced yet
        ("P3", d(2024, 6, 5), "invoice date", d(2024, 6, 5), True, True),         # no other date known
    ]
    months = story.execute("SELECT * FROM revenue_months ORDER BY month").fetchall()
    assert months == [
        (d(2024, 2, 1), 2, 1500.0, 500.0, 0, 0.0),
        (d(2024, 4, 1), 0, 0.0, 0.0, 1, 1000.0),
        (d(2024, 6, 1), 1, 200.0, 0.0, 1, 200.0),
    ]


def test_fact_invariants_hold_and_a_broken_one_is_named(story):
    assert check_facts(story) == []
    story.execute("INSERT INTO job_facts (job_id) VALUES ('J1')")
    story.execute("UPDATE revenue_months SET invoiced_fees = invoiced_fees + 10000")
    assert check_facts(story) == ["job_facts has one row per job", "invoiced fees never exceed booked fees"]


def test_client_years_activity_churn_and_segment():
    """As of 2024-06-30 (2023 the last complete year). A opens jobs in 2022 and 2024, B in 2022 and 2023."""
    d = date
    con = warehouse({
        "jobs": [{"job_id": "A1", "client_id": "A", "opened_at": d(2022, 3, 1)},
                 {"job_id": "A2", "client_id": "A", "opened_at": d(2024, 6, 30)},
                 {"job_id": "B1", "client_id": "B", "opened_at": d(2022, 5, 1)},
                 {"job_id": "B2", "client_id": "B", "opened_at": d(2023, 5, 1)}],
        "placements": [{"placement_id": "P1", "job_id": "A1", "fee_eur": 900.0, "invoiced_at": d(2022, 6, 1)},
                       {"placement_id": "P2", "job_id": "B1", "fee_eur": 100.0, "invoiced_at": d(2022, 7, 1)}],
    })
    rows = con.execute("""SELECT client_id, year, active, active_prev_year, churned, year_complete, turnover,
                                 segment FROM client_years ORDER BY client_id, year""").fetchall()
    assert rows == [
        ("A", 2022, True, False, False, True, 900.0, "top"),
        ("A", 2023, False, True, True, True, 0.0, "other"),      # churned in 2023
        ("A", 2024, True, False, None, False, 0.0, "other"),     # 2024 is not over: churn unknown
        ("B", 2022, True, False, False, True, 100.0, "other"),   # 2 clients: ceil(1 %), ceil(5 %), ceil(20 %) = 1
        ("B", 2023, True, True, False, True, 0.0, "other"),
        ("B", 2024, False, True, None, False, 0.0, "other"),
    ]
    assert [share for _, share in SEGMENT_SHARES] == [0.01, 0.05, 0.20]


@pytest.mark.demo
def test_demo_facts_agree_with_the_analyses(demo_con):
    by_year = churn.churn_by_year(demo_con, Filters()).set_index("year")["churned"]
    facts = dict(demo_con.execute("SELECT year, COUNT(*) FILTER (WHERE churned) FROM client_years "
                                  "WHERE year_complete GROUP BY 1").fetchall())
    assert {y: facts[y] for y in by_year.index} == by_year.to_dict()
    booked, invoiced, fees = demo_con.execute(
        "SELECT (SELECT SUM(booked_fees) FROM revenue_months), (SELECT SUM(invoiced_fees) FROM revenue_months), "
        "(SELECT SUM(fee_eur) FROM placements)").fetchone()
    assert booked == pytest.approx(fees) and invoiced <= booked


def test_a_warehouse_of_an_older_shape_is_refused_with_a_message(demo_db, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(demo_db, old)
    con = duckdb.connect(str(old))
    con.execute("DELETE FROM build_log WHERE name = 'schema_version'")
    con.execute("DROP TABLE job_facts")
    con.close()
    with pytest.raises(WarehouseMissing, match="older version.*Rebuild it"), connect(old):
        pass


def test_each_rule_is_written_once():
    """The decided-job statuses and the segment thresholds are written in core.metrics.derived only;
    everything else imports them (a rule written twice is how two pages come to disagree)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    # The list of decided statuses; the list of every status (`open` first) is the schema's.
    decided = re.compile(r"""(?<!['"]open['"], )['"]filled['"],\s*['"]lost['"],\s*['"]cancelled['"]""")
    thresholds = re.compile(r"CEIL\([^)]*0\.0[15]|0\.20\s*\)")
    owners = {"decided": [], "thresholds": []}
    for path in sorted((root / "core").rglob("*.py")) + sorted((root / "pages").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        if decided.search(text):
            owners["decided"].append(rel)
        if thresholds.search(text):
            owners["thresholds"].append(rel)
    # derived.py itself builds the list from FILLED_STATUS and UNFILLED_STATUSES.
    assert owners == {"decided": [], "thresholds": ["core/metrics/derived.py"]}
    assert not [p for p in (root / "core").rglob("*.py") if "derived_ready" in p.read_text(encoding="utf-8")]
