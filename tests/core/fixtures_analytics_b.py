"""A tiny hand-made agency shared by the funnel, objectives, overview and report tests.

Two salespeople (Ana in North, Bob in South) and a coach (Cleo, North, who is also by mistake
the salesperson of J5). Five jobs, 16 events, two placements:

    job client type  opened      status     sales repeat  pitches mers offers placement
    J1  A      Dev   2022-01-01  filled     S1    no      3       2    1      2022-02-10 (fee 10 000)
    J2  A      Dev   2022-03-01  lost       S1    yes     2       1    0      -
    J3  B      Sales 2023-01-01  filled     S2    no      1       2    1      2023-03-01 (fee 8 000)
    J4  B      Sales 2023-06-01  open       S2    yes     1       0    0      -
    J5  B      Dev   2023-07-01  cancelled  C1    yes     1       0    0      -
"""

from __future__ import annotations

from datetime import date

from tests.helpers import warehouse

HOSTILE = (
    "x'; DROP TABLE jobs; --",
    "' OR 1=1 --",
    "Robert'); DROP TABLE staff;--",
    "<script>alert(1)</script>",
    "\u202e\u200b😀",
    "%",
    "_",
)

STAFF = [
    {"staff_id": "S1", "name": "Ana Roy", "role": "sales", "team": "North", "hourly_cost_eur": 60.0},
    {"staff_id": "S2", "name": "Bob Li", "role": "sales", "team": "South", "hourly_cost_eur": 30.0},
    {"staff_id": "C1", "name": "Cleo Ng", "role": "coach", "team": "North", "hourly_cost_eur": 40.0},
]
CLIENTS = [
    {"client_id": "A", "name": "Acme"},
    {"client_id": "B", "name": "Beta"},
]
JOBS = [
    {
        "job_id": "J1",
        "client_id": "A",
        "job_type": "Dev",
        "seniority": "senior",
        "opened_at": date(2022, 1, 1),
        "status": "filled",
        "sales_id": "S1",
        "coach_id": "C1",
        "is_repeat": False,
    },
    {
        "job_id": "J2",
        "client_id": "A",
        "job_type": "Dev",
        "seniority": "junior",
        "opened_at": date(2022, 3, 1),
        "status": "lost",
        "sales_id": "S1",
        "coach_id": "C1",
        "is_repeat": True,
    },
    {
        "job_id": "J3",
        "client_id": "B",
        "job_type": "Sales",
        "seniority": "mid",
        "opened_at": date(2023, 1, 1),
        "status": "filled",
        "sales_id": "S2",
        "coach_id": "C1",
        "is_repeat": False,
    },
    {
        "job_id": "J4",
        "client_id": "B",
        "job_type": "Sales",
        "seniority": "mid",
        "opened_at": date(2023, 6, 1),
        "status": "open",
        "sales_id": "S2",
        "coach_id": "C1",
        "is_repeat": True,
    },
    {
        "job_id": "J5",
        "client_id": "B",
        "job_type": "Dev",
        "seniority": "mid",
        "opened_at": date(2023, 7, 1),
        "status": "cancelled",
        "sales_id": "C1",
        "coach_id": "C1",
        "is_repeat": True,
    },
]
_EVENTS = [
    ("J1", "c1", "pitch", date(2022, 1, 5)),
    ("J1", "c2", "pitch", date(2022, 1, 6)),
    ("J1", "c3", "pitch", date(2022, 1, 10)),
    ("J1", "c1", "mer", date(2022, 1, 20)),
    ("J1", "c2", "mer", date(2022, 1, 21)),
    ("J1", "c1", "offer", date(2022, 2, 1)),
    ("J1", "c1", "placement", date(2022, 2, 10)),
    ("J2", "c4", "pitch", date(2022, 3, 10)),
    ("J2", "c5", "pitch", date(2022, 3, 11)),
    ("J2", "c4", "mer", date(2022, 3, 20)),
    ("J3", "c6", "pitch", date(2023, 1, 20)),
    ("J3", "c6", "mer", date(2023, 2, 1)),
    ("J3", "c7", "mer", date(2023, 2, 2)),
    ("J3", "c6", "offer", date(2023, 2, 10)),
    ("J3", "c6", "placement", date(2023, 3, 1)),
    ("J4", "c8", "pitch", date(2023, 6, 5)),
    ("J5", "c9", "pitch", date(2023, 7, 5)),
]
EVENTS = [
    {"event_id": f"E{i}", "job_id": j, "candidate_id": c, "stage": s, "event_date": d, "staff_id": "S1"}
    for i, (j, c, s, d) in enumerate(_EVENTS, start=1)
]
PLACEMENTS = [
    {
        "placement_id": "P1",
        "job_id": "J1",
        "candidate_id": "c1",
        "fee_eur": 10000.0,
        "invoiced_at": date(2022, 2, 28),
        "guarantee_broken": False,
    },
    {
        "placement_id": "P3",
        "job_id": "J3",
        "candidate_id": "c6",
        "fee_eur": 8000.0,
        "invoiced_at": date(2023, 3, 31),
        "guarantee_broken": True,
        "broken_at": date(2023, 5, 1),
    },
]
ACTIVITIES = [
    {
        "activity_id": "A1",
        "staff_id": "S1",
        "client_id": "A",
        "job_id": "J1",
        "type": "call",
        "activity_date": date(2022, 1, 15),
        "minutes": 120.0,
    },
    {
        "activity_id": "A2",
        "staff_id": "S2",
        "client_id": "B",
        "job_id": "J3",
        "type": "meeting",
        "activity_date": date(2023, 1, 15),
        "minutes": 60.0,
    },
]


def _deal(deal_id, name, company, amount, stage, owner, created, closed=None, **extra):
    owner_raw = {"S1": "Ana Roy", "S2": "bob li"}.get(owner, "Zed Unknown")
    return {
        "deal_id": deal_id,
        "deal_name": name,
        "company": company,
        "amount": amount,
        "stage": stage,
        "stage_raw": stage,
        "owner_raw": owner_raw,
        "owner_id": owner,
        "created_at": created,
        "closed_at": closed,
        **extra,
    }


DEALS = [
    _deal(
        "D1",
        "Acme - Senior Java Developer",
        "Acme",
        10000.0,
        "won",
        "S1",
        date(2024, 1, 1),
        date(2024, 1, 31),
        deal_type="new",
    ),
    _deal(
        "D2",
        "Java developer",
        "Beta",
        20000.0,
        "won",
        "S1",
        date(2024, 2, 1),
        date(2024, 3, 2),
        deal_type="existing",
    ),
    _deal(
        "D3",
        "Beta SAS - Sales Manager H/F",
        "Beta SAS",
        5000.0,
        "lost",
        "S2",
        date(2024, 1, 10),
        date(2024, 2, 10),
        lost_reason="Price",
        deal_type="new",
    ),
    _deal(
        "D4",
        "Sales manager",
        "Gamma",
        8000.0,
        "lost",
        "S2",
        date(2024, 3, 1),
        date(2024, 3, 15),
        deal_type="new",
    ),
    _deal(
        "D5",
        "Junior Data Analyst",
        "Gamma",
        7000.0,
        "won",
        "S2",
        date(2024, 3, 1),
        date(2024, 4, 10),
        deal_type="new",
    ),
    _deal(
        "D6",
        "Data analyst",
        "Acme",
        12000.0,
        "open",
        "S1",
        date(2024, 5, 1),
        stage_detail="mer",
        probability=0.5,
        expected_close_at=date(2024, 5, 15),
        updated_at=date(2024, 5, 20),
    ),
    _deal("D7", "Ops lead", None, None, "open", None, date(2024, 6, 1), updated_at=date(2024, 6, 1)),
    _deal(
        "D8",
        "Accountant",
        "Delta",
        3000.0,
        "open",
        "S2",
        date(2024, 2, 1),
        stage_detail="qualification",
        probability=0.2,
        expected_close_at=date(2024, 12, 31),
        updated_at=date(2024, 2, 15),
    ),
]
LINKS = [
    {"crm_company": "Acme", "client_id": "A", "status": "auto"},
    {"crm_company": "Beta", "client_id": "B", "status": "auto"},
    {"crm_company": "Beta SAS", "client_id": "B", "status": "override"},
    {"crm_company": "Gamma", "client_id": None, "status": "none"},
]


ROW_ACCOUNTS = [
    {
        "source": "crm",
        "file": "deals.csv",
        "table_name": "deals",
        "rows_in": 10,
        "rows_clean": 8,
        "rows_quarantined": 1,
        "rows_merged": 1,
    },
    {
        "source": "bo",
        "file": "jobs.csv",
        "table_name": "jobs",
        "rows_in": 5,
        "rows_clean": 5,
        "rows_quarantined": 0,
        "rows_merged": 0,
    },
]


def agency():
    """The BO-only warehouse described in the module docstring."""
    return warehouse(
        {
            "staff": STAFF,
            "clients": CLIENTS,
            "jobs": JOBS,
            "pipeline_events": EVENTS,
            "placements": PLACEMENTS,
            "activities": ACTIVITIES,
        }
    )


def agency_with_crm():
    """The agency with its CRM deals (see test_metrics_pipeline), their links and row accounts."""
    return warehouse(
        {
            "staff": STAFF,
            "clients": CLIENTS,
            "jobs": JOBS,
            "pipeline_events": EVENTS,
            "placements": PLACEMENTS,
            "activities": ACTIVITIES,
            "deals": DEALS,
            "client_links": LINKS,
            "row_accounts": ROW_ACCOUNTS,
        }
    )
