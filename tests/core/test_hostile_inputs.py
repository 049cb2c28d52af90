"""Hostile inputs, second round (issue 16): wide exports, bombs, clashing file names, symlinks, formulas,
the `--db` target and the environment. Each case is generated here (no large committed file) and checks
the exit code or the exception, the message, that no traceback is printed, that the last good
warehouse is byte for byte the same and that no file outside the warehouse folder changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import xlsx_bomb

from core.warehouse import build, connect

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner", "Create Date",
          "Close Date"]
DEAL = ["1", "A", "Acme", "1000", "won", "Ann", "2024-01-02", "2024-02-01"]
GOOD = ",".join(HEADER) + "\n" + ",".join(DEAL) + "\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file under `root` (except under `skip`) with its SHA-256: what a run must leave alone."""
    return {str(p.relative_to(root)): (sha256(p) if p.is_file() and not p.is_symlink() else "link")
            for p in sorted(root.rglob("*")) if (p.is_file() or p.is_symlink())
            and (skip is None or skip not in p.parents)}


def cli(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=300)
    assert "Traceback" not in run.stderr + run.stdout
    return run


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A good CRM export in `in/` and a warehouse built from it in `wh/`."""
    (tmp_path / "in").mkdir()
    crm = tmp_path / "in" / "deals.csv"
    crm.write_text(GOOD, encoding="utf-8")
    db = tmp_path / "wh" / "w.duckdb"
    build(crm=crm, bo=None, db=db)
    return {"root": tmp_path, "in": tmp_path / "in", "crm": crm, "db": db}


def refused(site: dict[str, Path], args: list[str], *words: str) -> str:
    """Run the CLI; it must exit 2 naming `words`, leave the warehouse and every other file as they were."""
    before_db = sha256(site["db"])
    before = snapshot(site["root"], skip=site["db"].parent)
    run = cli(*args)
    assert run.returncode == 2, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr
    assert sha256(site["db"]) == before_db
    assert snapshot(site["root"], skip=site["db"].parent) == before
    assert [p.name for p in site["db"].parent.iterdir() if p.name.startswith((".", "tmp"))] == []
    return run.stderr


# --- wide exports ----------------------------------------------------------------------------------


def test_wide_crm_export_loads_with_duplicates_and_null_tokens_found_in_the_extra_columns(tmp_path):
    width = 2000
    extra = [f"Property {i}" for i in range(width - len(HEADER))]
    rows = [DEAL + ["x"] * len(extra),
            DEAL + ["x"] * len(extra),  # row 1 exported twice
            DEAL[:1] + ["B"] + DEAL[2:] + ["n/a"] * 3 + ["x"] * (len(extra) - 3)]  # same id, other values
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER + extra] + rows) + "\n", encoding="utf-8")
    build(crm=path, bo=None, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT deal_id, deal_name FROM deals").fetchall() == [("1", "A")]
        assert con.execute("SELECT row_number, rule FROM data_issues WHERE rule LIKE 'duplicate.%' "
                           "ORDER BY 1").fetchall() == [(2, "duplicate.exact_row"), (3, "duplicate.primary_key")]
        assert con.execute("SELECT value FROM build_log WHERE name = 'missing.null_token'").fetchone()[0] == 3


def test_wide_bo_file_loads(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    head = ["staff_id", "name", "email", "role", "team", "start_date", "end_date", "hourly_cost_eur"]
    extra = [f"custom {i}" for i in range(300)]
    lines = [head + extra, ["s1", "Ann", "a@x.fr", "sales", "T1", "2024-01-02", "", "10"] + ["null"] * 300,
             ["s2", "Bob", "b@x.fr", "sales", "T1", "2024-01-02", "", "10"] + [""] * 300]
    (bo / "staff.csv").write_text("\n".join(",".join(r) for r in lines) + "\n", encoding="utf-8")
    build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT staff_id, name FROM staff ORDER BY 1").fetchall() == [("s1", "Ann"), ("s2", "Bob")]
        assert con.execute("SELECT value FROM build_log WHERE name = 'missing.null_token'").fetchone()[0] == 300


# --- the --db target and the environment -----------------------------------------------------------


@pytest.mark.parametrize("target", ["in/deals.csv", "in/notes.txt", "wh", "", "in/notes.txt/w.duckdb"])
def test_db_target_that_must_not_be_written_is_refused_before_the_build(site, target):
    (site["in"] / "notes.txt").write_text("my notes\n", encoding="utf-8")
    db = str(site["root"] / target) if target else ""
    message = refused(site, ["build", "--crm", str(site["crm"]), "--db", db, "--quiet"], "error:")
    expected = {"in/deals.csv": "is not a Crossview warehouse", "in/notes.txt": "is not a Crossview warehouse",
                "wh": "is a folder", "": "No warehouse path given", "in/notes.txt/w.duckdb": "is a file, not a folder"}
    assert expected[target] in message
    assert "[  2%]" not in message  # refused before reading anything


def test_another_duckdb_file_is_not_replaced(site):
    import duckdb

    other = site["in"] / "finance.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE ledger AS SELECT 1 AS x")
    refused(site, ["build", "--crm", str(site["crm"]), "--db", str(other), "--quiet"], "not a Crossview warehouse")


def test_a_crossview_warehouse_is_rebuilt_in_place(site):
    run = cli("build", "--crm", str(site["crm"]), "--db", str(site["db"]), "--quiet")
    assert run.returncode == 0 and "deals.csv" in run.stdout


def test_disk_full_during_the_build_is_a_sentence_and_the_old_warehouse_stays(site):
    import resource
    import signal

    def small_disk() -> None:
        # Writes past 300 kB fail as on a full disk (EFBIG instead of ENOSPC; same handling).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    before = sha256(site["db"])
    run = subprocess.run([sys.executable, "-m", "core", "build", "--crm", str(site["crm"]), "--db", str(site["db"]),
                          "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False, preexec_fn=small_disk)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "could not be written" in run.stderr and "previous warehouse is unchanged" in run.stderr
    assert sha256(site["db"]) == before
    assert sorted(p.name for p in site["db"].parent.iterdir()) == ["w.duckdb"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_read_only_folder_is_a_sentence(site):
    site["db"].parent.chmod(0o555)
    try:
        refused(site, ["build", "--crm", str(site["crm"]), "--db", str(site["db"]), "--quiet"], "could not be written")
    finally:
        site["db"].parent.chmod(0o755)


def test_overrides_path_that_is_a_folder(site):
    (site["in"] / "decisions").mkdir()
    refused(site, ["build", "--crm", str(site["crm"]), "--db", str(site["db"]), "--quiet", "--overrides",
                   str(site["in"] / "decisions")], "decisions: is not a file")


def test_overrides_line_with_unknown_decision(site):
    path = site["in"] / "overrides.csv"
    path.write_text("kind,key,decision,target,note,decided_at\nclient,Acme,maybe,,,\n", encoding="utf-8")
    refused(site, ["build", "--crm", str(site["crm"]), "--db", str(site["db"]), "--quiet", "--overrides", str(path)],
            "overrides.csv, line 2: unknown decision 'maybe'")


def test_a_killed_build_leaves_no_plaintext_copy_and_the_next_build_removes_its_files(site):
    crm = site["in"] / "deals_cp1252.csv"
    crm.write_bytes((GOOD + "2,Café,Société Générale,2000,won,Ann,2024-01-03,2024-02-02\n").encode("cp1252"))
    script = ("import os, signal, sys; from pathlib import Path; from core.warehouse import build\n"
              "def stop(step, fraction):\n"
              "    if step.startswith('cleaning'): os.kill(os.getpid(), signal.SIGKILL)\n"
              f"build(crm=Path({str(crm)!r}), bo=None, db=Path({str(site['db'])!r}), progress=stop)\n")
    before = sha256(site["db"])
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, check=False)
    assert run.returncode == -9
    assert sha256(site["db"]) == before
    left = [p for p in site["db"].parent.iterdir() if p.name != "w.duckdb"]
    assert left and all(p.name.startswith(".w.duckdb.building-") for p in left)
    assert run.returncode == -9 and cli("build", "--crm", str(crm), "--db", str(site["db"]), "--quiet").returncode == 0
    assert sorted(p.name for p in site["db"].parent.iterdir()) == ["w.duckdb"]


# --- report arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["--from", "0001-01-01"], "outside the years an export can hold"),
    (["--to", "9999-12-31"], "outside the years an export can hold"),
    (["--team", "Nobody"], "Unknown team(s): Nobody"),
    (["--from", "2024-05-01", "--to", "2024-01-01"], "--from 2024-05-01 is after --to 2024-01-01"),
])
def test_report_arguments_outside_the_data_exit_2(site, args, message):
    refused(site, ["report", "--db", str(site["db"]), *args], message)


def test_previous_period_at_the_calendars_ends_does_not_overflow():
    from datetime import date

    from core.filters import Filters

    assert Filters(date(1, 1, 1), date(2020, 1, 1)).previous_period().date_to == date(1, 1, 1)
    earlier = Filters(date(2020, 1, 1), date(9999, 12, 31)).previous_period()
    assert (earlier.date_from, earlier.date_to) == (date(1, 1, 1), date(2019, 12, 31))


# --- side files ------------------------------------------------------------------------------------


def test_accounts_with_more_employees_than_an_integer_holds(site):
    accounts = site["in"] / "accounts.csv"
    accounts.write_text("company,sector,employees\nAcme,IT,3000000000\nBeta,IT,120\n", encoding="utf-8")
    db = site["root"] / "wh2" / "w.duckdb"
    run = cli("build", "--crm", str(site["crm"]), "--accounts", str(accounts), "--db", str(db), "--quiet")
    assert run.returncode == 0
    with connect(db) as con:
        assert con.execute("SELECT name, employees FROM clients ORDER BY name").fetchall() == [
            ("Acme", None), ("Beta", 120)]
        assert con.execute("SELECT rule, original_value FROM data_issues WHERE \"column\" = 'employees'").fetchall() == [
            ("invalid.number_out_of_range", "3000000000")]


def test_bo_employees_beyond_an_integer_is_flagged(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    (bo / "clients.csv").write_text("client_id,name,sector,employees,city,created_at\n"
                                    "c1,A,IT,3000000000,P,2020-01-01\nc2,B,IT,-3000000000,P,2020-01-01\n")
    build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT employees FROM clients").fetchall() == [(None,), (None,)]
        assert con.execute("SELECT COUNT(*) FROM data_issues WHERE rule = 'invalid.number_out_of_range'"
                           ).fetchone()[0] == 2


# --- the BO folder ---------------------------------------------------------------------------------

STAFF = "staff_id,name,email,role,team,start_date,end_date,hourly_cost_eur\ns1,Ann,a@x.fr,sales,T1,2024-01-02,,10\n"


def test_two_files_for_one_bo_table_are_refused_naming_both(site):
    bo = site["in"] / "bo"
    bo.mkdir()
    (bo / "STAFF.txt").write_text(STAFF, encoding="utf-8")
    (bo / "staff.csv").write_text(STAFF, encoding="utf-8")
    message = refused(site, ["build", "--bo", str(bo), "--db", str(site["db"]), "--quiet"], "STAFF.txt", "staff.csv")
    assert "Keep only one staff file" in message


def test_a_symlink_out_of_the_bo_folder_is_not_followed_nor_quoted(site):
    secret = site["root"] / "secret.csv"
    secret.write_text("root:x:0:0:the secret line\n", encoding="utf-8")
    bo = site["in"] / "bo"
    bo.mkdir()
    (bo / "staff.csv").symlink_to(secret)
    message = refused(site, ["build", "--bo", str(bo), "--db", str(site["db"]), "--quiet"], "staff.csv",
                      "outside the BO folder")
    assert "secret" not in message and "root:x" not in message


def test_a_symlink_inside_the_bo_folder_is_read(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    (bo / "staff_2024.txt").write_text(STAFF, encoding="utf-8")
    (bo / "staff.csv").symlink_to(bo / "staff_2024.txt")
    build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT name FROM staff").fetchall() == [("Ann",)]


# --- raw reading: NUL bytes, workbooks --------------------------------------------------------------


@pytest.mark.parametrize("size", [1 << 10, 40 << 20])
def test_nul_bytes_are_refused_whatever_the_size(site, size):
    path = site["in"] / "deals_nul.csv"
    body = ",".join(DEAL).encode() + b"\n"
    with path.open("wb") as fh:
        fh.write(",".join(HEADER).encode() + b"\n")
        fh.write(body * (size // len(body)))
        fh.write(b"2,B\x00B,Acme,1,won,Ann,2024-01-02,2024-02-01\n")
    refused(site, ["build", "--crm", str(path), "--db", str(site["db"]), "--quiet"], "deals_nul.csv",
            "not a text file")


def test_xlsx_decompression_bomb_is_refused_before_parsing(site):
    path = site["in"] / "deals.xlsx"
    xlsx_bomb(path, 300 << 20, HEADER)
    assert path.stat().st_size < 2 << 20
    script = ("from pathlib import Path; from core.errors import UserError\n"
              "from core.warehouse import build\n"
              f"try: build(crm=Path({str(path)!r}), bo=None, db=Path({str(site['db'])!r}))\n"
              "except UserError as err: print(err)\n"
              # The process's own peak (ru_maxrss would include the test's, inherited across exec).
              "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    message, peak_kb = run.stdout.strip().splitlines()
    assert "deals.xlsx" in message and "unpacks to more than 256 MB" in message
    assert int(peak_kb) < 400_000  # the XML is counted while unpacking, never held whole


def test_xlsx_hidden_sheet_scoring_like_the_data_sheet_is_not_read(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "Old"
    hidden.sheet_state = "hidden"
    hidden.append(HEADER)
    hidden.append(["9", "Old deal", "Acme", "5", "won", "Ann", "2020-01-02", "2020-02-01"])
    data = book.create_sheet("Deals")
    data.append(HEADER)
    for i in range(1, 8):
        data.append([str(i), f"D{i}", "Acme", "1000", "won", "Ann", "2024-01-02", "2024-02-01"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    db = tmp_path / "wh" / "w.duckdb"
    run = cli("build", "--crm", str(path), "--db", str(db), "--quiet")
    assert run.returncode == 0 and "deals.xlsx (sheet 'Deals')" in run.stdout
    with connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 7


def test_xlsx_with_two_visible_candidate_sheets_is_refused_naming_them(site):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "2023"
    book.active.append(HEADER)
    book.active.append(DEAL)
    second = book.create_sheet("2024")
    second.append(HEADER)
    second.append(["2"] + DEAL[1:])
    path = site["in"] / "deals.xlsx"
    book.save(path)
    refused(site, ["build", "--crm", str(path), "--db", str(site["db"]), "--quiet"], "deals.xlsx",
            "several sheets that look like the export ('2023', '2024')")


def test_xlsx_formulas_without_saved_values_are_logged(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["1", "A", "Acme", "1000", "won", "Ann", "2024-01-02", "2024-02-01"])
    sheet.append(["2", '=CONCAT("B", "2")', "Acme", "=D2*2", "won", "Ann", "2024-01-02", "2024-02-01"])
    path = tmp_path / "deals.xlsx"
    book.save(path)  # openpyxl saves formulas without computing them
    summary = build(crm=path, bo=None, db=tmp_path / "w.duckdb")
    assert any("2 cell(s) hold a formula" in w for w in summary["warnings"])
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT row_number, \"column\", original_value, action FROM data_issues "
                           "WHERE rule = 'missing.formula_value' ORDER BY 2").fetchall() == [
            (2, "Amount", "=D2*2", "flagged"), (2, "Deal Name", '=CONCAT("B", "2")', "flagged")]
