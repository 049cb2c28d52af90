"""Warehouse build: atomic swap, failures leave the last good warehouse, determinism, read-only connections,
CRM-only and BO-only builds, concurrency (readers during a rebuild) and a build killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from core.errors import InputFileError, UserError, WarehouseMissing
from core.schema import ALL_TABLES, BO_INPUT_COLUMNS
from core.warehouse import build, connect, format_summary

ROOT = Path(__file__).resolve().parents[2]
CRM_HEADER = "Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date\n"


def write_inputs(root: Path, n_deals: int = 20) -> tuple[Path, Path]:
    """A small consistent CRM export and BO folder."""
    bo = root / "bo"
    bo.mkdir(parents=True, exist_ok=True)
    (bo / "staff.csv").write_text("staff_id;name;email;role;team;start_date;end_date;hourly_cost_eur\n"
                                  "s1;Ann Lee;a@x.fr;sales;North;01/01/2020;;40\n"
                                  "s2;Bob Ray;b@x.fr;coach;North;01/01/2020;;35\n", encoding="cp1252")
    (bo / "clients.csv").write_text("client_id;name;sector;employees;city;created_at\n"
                                    "c1;Acme;IT;100;Paris;01/01/2020\nc2;Beta;Bank;50;Lyon;01/01/2020\n",
                                    encoding="cp1252")
    (bo / "jobs.csv").write_text(
        "job_id;client_id;title;job_type;seniority;salary_k;fee_rate;opened_at;closed_at;status;sales_id;coach_id\n"
        + "".join(f"j{i};c{i % 2 + 1};Dev;Developer;mid;50;0,2;{i % 28 + 1:02d}/02/2024;;open;s1;s2\n"
                  for i in range(n_deals)), encoding="cp1252")
    (bo / "pipeline_events.csv").write_text(
        "event_id;job_id;candidate_id;stage;event_date;staff_id\n"
        + "".join(f"e{i};j{i};k{i};pitch;{i % 28 + 1:02d}/03/2024;s1\n" for i in range(n_deals)), encoding="cp1252")
    crm = root / "deals.csv"
    crm.write_text(CRM_HEADER + "".join(
        f"{i},Dev {i},{'Acme' if i % 2 else 'Beta'},{10000 + i},won,Ann Lee,2024-02-{i % 28 + 1:02d},2024-03-01\n"
        for i in range(n_deals)), encoding="utf-8")
    return crm, bo


def snapshot(db: Path) -> dict[str, list]:
    with connect(db) as con:
        return {t.name: con.execute(f'SELECT * FROM "{t.name}" ORDER BY ALL').fetchall()
                for t in ALL_TABLES if t.name != "build_log"}


def test_schema_tables_and_raw_tables_exist(tmp_path):
    crm, bo = write_inputs(tmp_path)
    summary = build(crm=crm, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        for table in ALL_TABLES:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{table.name}"').fetchall()]
            assert cols == table.column_names
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"raw_deals", "raw_staff", "raw_clients", "raw_jobs", "raw_pipeline_events"} <= names
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM deals")
    assert [f["file"] for f in summary["files"]] == ["staff.csv", "clients.csv", "jobs.csv",
                                                     "pipeline_events.csv", "deals.csv"]
    text = format_summary(summary)
    assert "deals.csv" in text and "candidates.csv not found" in text


def test_same_inputs_same_warehouse(tmp_path):
    crm, bo = write_inputs(tmp_path)
    build(crm=crm, bo=bo, db=tmp_path / "a.duckdb")
    build(crm=crm, bo=bo, db=tmp_path / "b.duckdb")
    assert snapshot(tmp_path / "a.duckdb") == snapshot(tmp_path / "b.duckdb")


def test_failed_build_keeps_last_good_warehouse(tmp_path):
    crm, bo = write_inputs(tmp_path)
    db = tmp_path / "w.duckdb"
    build(crm=crm, bo=bo, db=db)
    before = snapshot(db)
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Value\nx,1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        build(crm=bad, bo=bo, db=db)
    assert "bad.csv" in str(err.value) and "deal_id" in str(err.value) and "Best guess" in str(err.value)
    assert snapshot(db) == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


def test_connect_errors(tmp_path):
    with pytest.raises(WarehouseMissing, match="No warehouse"), connect(tmp_path / "none.duckdb"):
        pass
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WarehouseMissing, match="damaged"), connect(broken):
        pass
    with pytest.raises(UserError):
        build(crm=None, bo=None, db=tmp_path / "x.duckdb")


def test_crm_only_build_with_teams_and_accounts(tmp_path):
    crm = tmp_path / "deals.csv"
    crm.write_text(CRM_HEADER + "1,Dev,Acme SAS,12000,won,Ann Lee,2024-01-02,2024-02-01\n"
                   "2,Ops,Beta,9000,lost,ann lee,2024-01-03,2024-02-01\n"
                   "3,Ops,Gamma,9000,open,Carl Dunn,2024-01-03,\n", encoding="utf-8")
    teams = tmp_path / "teams.csv"
    teams.write_text("name,team,manager,office\nAnn Lee,North,Zoe,Lille\nCarl Dunn,South,Yan,Nice\n"
                     "Ann Lee,North,Zoe,Lille\n,South,,\n", encoding="utf-8")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account,sector,employees,office_location\nAcme,IT,1 200,Paris\nBeta,Bank,x,Lyon\n",
                        encoding="utf-8")
    summary = build(crm=crm, bo=None, db=tmp_path / "w.duckdb", teams=teams, accounts=accounts)
    assert summary["crm_only"]
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT staff_id, name, role, team FROM staff ORDER BY 1").fetchall() == [
            ("crm:ann-lee", "Ann Lee", "sales", "North"), ("crm:carl-dunn", "Carl Dunn", "sales", "South")]
        assert con.execute("SELECT * FROM teams ORDER BY team").fetchall() == [
            ("North", "Zoe", "Lille", 1, 0), ("South", "Yan", "Nice", 1, 0)]
        assert con.execute("SELECT client_id, name, sector, employees, city FROM clients ORDER BY 1").fetchall() == [
            ("acc:acme", "Acme", "IT", 1200, "Paris"), ("acc:beta", "Beta", "Bank", None, "Lyon")]
        accounts_rows = con.execute("SELECT file, rows_in, rows_clean, rows_quarantined, rows_merged "
                                    "FROM row_accounts ORDER BY file").fetchall()
        assert accounts_rows == [("accounts.csv", 2, 2, 0, 0), ("deals.csv", 3, 3, 0, 0),
                                 ("teams.csv", 4, 2, 1, 1)]
        for t in ("jobs", "placements", "pipeline_events"):
            assert con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] == 0


def test_bo_only_build(tmp_path):
    _, bo = write_inputs(tmp_path)
    summary = build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    assert summary["bo_only"]
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 20


def test_cli_build_bad_input_exit_2_and_warehouse_untouched(tmp_path):
    crm, bo = write_inputs(tmp_path)
    db = tmp_path / "w.duckdb"
    ok = subprocess.run([sys.executable, "-m", "core", "build", "--crm", str(crm), "--bo", str(bo), "--db", str(db),
                         "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "deals.csv" in ok.stdout
    before = snapshot(db)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = subprocess.run([sys.executable, "-m", "core", "build", "--crm", str(empty), "--bo", str(bo), "--db",
                          str(db), "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: empty.csv: is empty") and "Traceback" not in bad.stderr
    assert snapshot(db) == before


def test_readers_keep_working_during_rebuilds(tmp_path):
    crm, bo = write_inputs(tmp_path, n_deals=200)
    db = tmp_path / "w.duckdb"
    build(crm=crm, bo=bo, db=db)
    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with connect(db) as con:
                    counts.append(con.execute("SELECT COUNT(*) FROM deals").fetchone()[0])
            except BaseException as err:  # noqa: BLE001 - any error a reader sees fails the test
                errors.append(err)
                return
            time.sleep(0.01)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            build(crm=crm, bo=bo, db=db)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert counts and set(counts) == {200}


KILL_SCRIPT = """
import sys, time
from pathlib import Path
import core.clean.crm as crm
original = crm.clean_deals
def slow(*args, **kwargs):
    print("cleaning", flush=True)
    time.sleep(60)
    return original(*args, **kwargs)
crm.clean_deals = slow
import core.warehouse as w
w.clean_deals = slow
w.build(crm=Path(sys.argv[1]), bo=Path(sys.argv[2]), db=Path(sys.argv[3]))
"""


def test_build_killed_half_way_leaves_previous_warehouse(tmp_path):
    crm, bo = write_inputs(tmp_path)
    db = tmp_path / "w.duckdb"
    build(crm=crm, bo=bo, db=db)
    before = snapshot(db)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(crm), str(bo), str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "cleaning"
    assert list(tmp_path.glob(".w.duckdb.building-*"))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert snapshot(db) == before
    build(crm=crm, bo=bo, db=db)
    assert snapshot(db) == before
    deadline = time.time() + 5
    while list(tmp_path.glob(".w.duckdb.building-*")) and time.time() < deadline:
        time.sleep(0.1)
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


def test_missing_bo_files_and_columns(tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(InputFileError, match="no BO export file"):
        build(crm=None, bo=empty, db=tmp_path / "w.duckdb")
    bo = tmp_path / "bo"
    bo.mkdir()
    (bo / "jobs.csv").write_text("job_id;client;title\nj1;c1;Dev\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    assert "jobs.csv" in str(err.value) and "client_id" in str(err.value) and "'client'" in str(err.value)
    assert set(BO_INPUT_COLUMNS) >= {"jobs"}


def test_build_log_holds_each_input_file_sha256(tmp_path):
    import hashlib

    crm, bo = write_inputs(tmp_path)
    build(crm=crm, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        logged = dict(con.execute("SELECT file, text FROM build_log WHERE kind = 'checksum'").fetchall())
    files = [crm, *sorted(p for p in bo.iterdir() if p.suffix == ".csv")]
    assert logged == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
