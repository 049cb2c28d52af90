from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
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


# --- memo ------------------------------------------------------------------------------------------

def _file_warehouse(path, built_at, fee):
    """A warehouse file with one placement of `fee` €, as a build leaves it (schema tables, build_log)."""
    from core.schema import ALL_TABLES

    con = duckdb.connect(str(path))
    for table in ALL_TABLES:
        con.execute(table.ddl())
    con.execute("INSERT INTO build_log VALUES (?, '*', 'timing', 'total', 1.0, NULL)", [built_at])
    con.execute("INSERT INTO jobs (job_id, client_id, opened_at, sales_id) VALUES "
                "('J1', 'A', DATE '2024-01-10', 'S1'), ('J2', 'B', DATE '2024-02-10', 'S2')")
    con.execute("INSERT INTO staff (staff_id, team) VALUES ('S1', 'North'), ('S2', 'South')")
    con.execute("INSERT INTO placements (placement_id, job_id, fee_eur, invoiced_at) VALUES "
                "('P1', 'J1', ?, DATE '2024-03-01'), ('P2', 'J2', 1.0, DATE '2024-03-01')", [fee])
    con.close()
    return path


@pytest.fixture
def fresh_memo():
    from core.metrics.common import clear_memo

    clear_memo()
    yield
    clear_memo()


def test_identity_only_for_read_only_warehouse_files(tmp_path, con):
    from core.metrics.common import warehouse_identity
    from core.warehouse import connect

    db = _file_warehouse(tmp_path / "w.duckdb", datetime(2026, 1, 1, 12), 10.0)
    assert warehouse_identity(con) is None  # in memory: may change, never shared
    writable = duckdb.connect(str(db))
    assert warehouse_identity(writable) is None
    writable.close()
    with connect(db) as ro:
        assert warehouse_identity(ro) == (str(db.resolve()), datetime(2026, 1, 1, 12), 1)


def test_memo_keeps_warehouses_and_filters_apart(tmp_path, fresh_memo):
    from core.filters import Filters
    from core.metrics.clients import client_economics
    from core.warehouse import connect

    a = _file_warehouse(tmp_path / "a.duckdb", datetime(2026, 1, 1), 10.0)
    b = _file_warehouse(tmp_path / "b.duckdb", datetime(2026, 1, 1), 20.0)
    north = Filters(teams=("North",))
    with connect(a) as con_a, connect(b) as con_b:
        assert client_economics(con_a, north)["turnover"].tolist() == [10.0]
        assert client_economics(con_b, north)["turnover"].tolist() == [20.0]
        assert client_economics(con_a, Filters())["turnover"].tolist() == [10.0, 1.0]
        assert client_economics(con_a, Filters(teams=("South",)))["turnover"].tolist() == [1.0]
        assert client_economics(con_a, north)["turnover"].tolist() == [10.0]
    # A rebuild at the same path (another build start) is another warehouse.
    a.unlink()
    _file_warehouse(a, datetime(2026, 1, 2), 30.0)
    with connect(a) as con_a:
        assert client_economics(con_a, north)["turnover"].tolist() == [30.0]


def test_memo_computes_once_and_hands_out_copies(tmp_path, fresh_memo, monkeypatch):
    from core.metrics import common
    from core.warehouse import connect

    db = _file_warehouse(tmp_path / "w.duckdb", datetime(2026, 1, 1), 10.0)
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"x": [1.0, 2.0]})

    with connect(db) as con:
        first = common.memoized(con, "f", ("k",), compute)
        first.loc[0, "x"] = 99.0  # the caller's copy: the memo keeps the original
        assert common.memoized(con, "f", ("k",), compute)["x"].tolist() == [1.0, 2.0]
        assert len(calls) == 1
        common.memoized(con, "f", ("other",), compute)
        common.memoized(con, "g", ("k",), compute)
        assert len(calls) == 3
        monkeypatch.setattr(common, "MEMO_MAX_ENTRIES", 2)
        common.memoized(con, "h", ("k",), compute)  # evicts the least recently used, ("f", ("k",))
        assert len(common._memo) == 2
        common.memoized(con, "f", ("k",), compute)
        assert len(calls) == 5
    with connect(db) as again:  # another connection to the same build shares the results
        common.memoized(again, "f", ("k",), compute)
        assert len(calls) == 5
    common.clear_memo()
    with connect(db) as con:
        common.memoized(con, "f", ("k",), compute)
        assert len(calls) == 6


def test_memo_not_used_for_in_memory_warehouses(con, fresh_memo):
    from core.metrics import common

    calls = []
    for _ in range(2):
        common.memoized(con, "f", (), lambda: calls.append(1) or pd.DataFrame())
    assert len(calls) == 2 and not common._memo
