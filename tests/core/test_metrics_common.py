from datetime import date

import duckdb
import numpy as np
import pytest

from core.metrics.common import as_of, filter_options, has_bo, has_crm, wilson_interval
from tests.helpers import warehouse


@pytest.fixture
def con():
    return warehouse({
        "staff": [
            {"staff_id": "S2", "name": "Bob Li", "role": "sales", "team": "South"},
            {"staff_id": "S1", "name": "Ana Roy", "role": "sales", "team": "North"},
        ],
        "jobs": [
            {"job_id": "J1", "client_id": "A", "job_type": "Dev", "opened_at": date(2024, 1, 10)},
            {"job_id": "J2", "client_id": "A", "job_type": "Sales", "opened_at": date(2024, 3, 1)},
        ],
        "pipeline_events": [
            {"event_id": "E1", "job_id": "J1", "stage": "pitch", "event_date": date(2024, 4, 2)}],
        "placements": [{"placement_id": "P1", "job_id": "J1", "fee_eur": 10.0, "invoiced_at": None}],
        "deals": [{"deal_id": "D1", "created_at": date(2023, 12, 1)}],
    })


def test_as_of_is_latest_date_of_any_source(con):
    assert as_of(con) == date(2024, 4, 2)
    con.execute("INSERT INTO placements (placement_id, invoiced_at) VALUES ('P2', DATE '2024-05-31')")
    assert as_of(con) == date(2024, 5, 31)


def test_has_bo_and_crm(con):
    assert has_bo(con) and has_crm(con)
    empty = warehouse({})
    assert not has_bo(empty) and not has_crm(empty)


def test_filter_options(con):
    opts = filter_options(con)
    assert opts["teams"] == ["North", "South"]
    assert opts["staff"]["name"].tolist() == ["Ana Roy", "Bob Li"]
    assert list(opts["staff"].columns) == ["staff_id", "name", "team", "role"]
    assert opts["job_types"] == ["Dev", "Sales"]
    assert (opts["first_date"], opts["last_date"]) == (date(2023, 12, 1), date(2024, 4, 2))


def test_empty_warehouse_and_missing_tables():
    for c in (warehouse({}), duckdb.connect()):
        assert as_of(c) is None
        opts = filter_options(c)
        assert opts["teams"] == [] and opts["job_types"] == [] and opts["staff"].empty
        assert opts["first_date"] is None


def test_wilson_interval_known_values():
    low, high = wilson_interval([5, 0, 0], [10, 20, 0])
    # 5/10: centre 0.5, half-width 1.96*sqrt(0.025 + 0.009604)/1.38416 = 0.26341
    assert low[0] == pytest.approx(0.236590, abs=1e-6) and high[0] == pytest.approx(0.763410, abs=1e-6)
    assert low[1] == 0.0 and high[1] == pytest.approx(3.8416 / 23.8416, abs=1e-9)
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_invoicing_pending_from_the_month_of_the_first_placement_still_to_invoice():
    from core.metrics.common import invoicing_pending_from

    d = date
    con = warehouse({
        "jobs": [{"job_id": j, "client_id": "A", "opened_at": d(2022, 12, 1)} for j in ("J1", "J2", "J3")],
        "pipeline_events": [
            {"event_id": "e1", "job_id": "J1", "candidate_id": "K1", "stage": "placement",
             "event_date": d(2024, 1, 10)},
            {"event_id": "e2", "job_id": "J2", "candidate_id": "K2", "stage": "placement",
             "event_date": d(2024, 5, 20)},
            {"event_id": "e3", "job_id": "J3", "candidate_id": "K3", "stage": "placement", "event_date": d(2023, 1, 5)},
            {"event_id": "e4", "job_id": "J3", "candidate_id": "K4", "stage": "pitch", "event_date": d(2024, 6, 30)},
        ],
        "placements": [
            # Invoiced 60 days after the placement: the longest delay seen.
            {"placement_id": "P1", "job_id": "J1", "candidate_id": "K1", "invoiced_at": d(2024, 3, 10)},
            # Made 41 days before the as-of date (30 June 2024), not invoiced: its invoice may still come.
            {"placement_id": "P2", "job_id": "J2", "candidate_id": "K2"},
            # Made long before and never invoiced: not waited for.
            {"placement_id": "P3", "job_id": "J3", "candidate_id": "K3"},
        ],
    })
    assert invoicing_pending_from(con) == d(2024, 5, 1)
    con.execute("UPDATE placement_facts SET is_invoiced = TRUE WHERE placement_id = 'P2'")
    assert invoicing_pending_from(con) is None
