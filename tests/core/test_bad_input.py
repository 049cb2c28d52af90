"""Bad input (issue 7) through the importer and the CLI: it loads with the right values, is quarantined,
or is refused with a message naming the file, the line and the fix; never a traceback, never a lost row,
and the last good warehouse stays in place."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InputFileError
from core.warehouse import build, connect

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date\n"


def _build(tmp_path: Path, text: str | bytes, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    db = tmp_path / "w.duckdb"
    build(crm=path, bo=None, db=db)
    return db


def _deals(db: Path, cols: str = "deal_id, deal_name, company, amount") -> list[tuple]:
    with connect(db) as con:
        return con.execute(f"SELECT {cols} FROM deals ORDER BY deal_id").fetchall()


def _accounts(db: Path) -> tuple:
    with connect(db) as con:
        return con.execute("SELECT rows_in, rows_clean, rows_quarantined, rows_merged FROM row_accounts "
                           "WHERE table_name = 'deals'").fetchone()


HOSTILE = ["=HYPERLINK(\"http://x\")", "+33 1 23", "-minus", "@SUM(A1)", "\tTabbed", "<script>alert(1)</script>",
           "<img src=x onerror=alert(1)>", "O'Reilly; DROP TABLE deals; --", "Café 🚀", "Zero\u200bWidth",
           "\u202eRTL name"]


def test_hostile_strings_load_verbatim(tmp_path):
    lines = [HEADER] + [f'{i},"{s.replace(chr(34), chr(34) * 2)}",Acme,12000,won,Ann,2024-01-0{i % 9 + 1},'
                        f'2024-02-01\n' for i, s in enumerate(HOSTILE, start=1)]
    db = _build(tmp_path, "".join(lines))
    got = [r[1] for r in _deals(db, "CAST(deal_id AS INTEGER) AS i, deal_name")]
    expected = [s.strip() if not s.startswith("\t") else s.lstrip("\t") for s in HOSTILE]
    assert sorted(got) == sorted(expected)


def test_null_tokens_and_french_numbers(tmp_path):
    db = _build(tmp_path, HEADER + "1,A,N/A,12 500\u00a0€,open,Ann,2024-01-02,\n2,B,null,-,open,Ann,2024-01-02,\n"
                "3,C,—,\"18,5 k€\",open,Ann,2024-01-02,\n4,D,Acme,\"1 234,50\",open,Ann,2024-01-02,\n")
    assert _deals(db) == [("1", "A", None, 12500.0), ("2", "B", None, None), ("3", "C", None, 18500.0),
                          ("4", "D", "Acme", 1234.5)]
    with connect(db) as con:
        assert con.execute("SELECT value FROM build_log WHERE name = 'missing.null_token'").fetchone()[0] == 4


def test_ambiguous_dates_default_day_first(tmp_path):
    db = _build(tmp_path, HEADER + "1,A,X,1000,open,Ann,01/02/2024,\n2,B,X,1000,open,Ann,03/04/2024,\n")
    assert _deals(db, "deal_id, CAST(created_at AS VARCHAR)") == [("1", "2024-02-01"), ("2", "2024-04-03")]
    with connect(db) as con:
        assert con.execute("SELECT text FROM build_log WHERE name = 'date_order.created_at'").fetchone()[0] == \
            "day-first (ambiguous in the whole file: European default)"


def test_title_rows_totals_row_and_field_counts(tmp_path):
    text = ("Deals export\n;\n" + HEADER + "1,A,X,1000,won,Ann,2024-01-02,2024-01-05\n2,B,X,2000,won,Ann,2024-01-02\n"
            "3,C,X,3000,won,Ann,2024-01-02,2024-01-05,oops,more\nTotal,,,6000,,,,\n")
    db = _build(tmp_path, text)
    assert _deals(db) == [("1", "A", "X", 1000.0), ("2", "B", "X", 2000.0)]
    assert _accounts(db) == (4, 2, 2, 0)
    with connect(db) as con:
        assert con.execute("SELECT row_number, rule FROM quarantine ORDER BY 1").fetchall() == [
            (3, "invalid.bad_field_count"), (4, "invalid.totals_row")]


@pytest.mark.parametrize("name,data,message,line", [
    ("deals.csv", b"", "is empty", None),
    ("deals.csv", b"\x00\x01\x02\x03binary\x00", "not a text file", None),
    ("deals.csv", (HEADER + '1,"A,X,1000,won,Ann,2024-01-02,\n2,B,X,1,won,Ann,2024-01-02,\n').encode(),
     "never closed", 2),
    ("deals.csv", b"foo,bar\n1,2\n", "lacks required column", None),
    ("deals.xlsx", b"PK\x03\x04garbage", "not a readable Excel workbook", None),
    ("deals.xls", b"\xd0\xcf\x11\xe0old", ".xls", None),
])
def test_refused_with_clear_message(tmp_path, name, data, message, line):
    crm = tmp_path / name
    crm.write_bytes(data)
    with pytest.raises(InputFileError) as err:
        build(crm=crm, bo=None, db=tmp_path / "w.duckdb")
    assert name in str(err.value) and message in str(err.value)
    assert err.value.line == line
    assert not (tmp_path / "w.duckdb").exists()


def test_corrupt_zip_with_xlsx_name_through_cli(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "1,A,X,1000,won,Ann,2024-01-02,2024-01-05\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    build(crm=good, bo=None, db=db)
    before = db.read_bytes()
    bad = tmp_path / "deals.xlsx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("nothing.txt", "no workbook here")
    run = subprocess.run([sys.executable, "-m", "core", "build", "--crm", str(bad), "--db", str(db), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "deals.xlsx" in run.stderr and "Traceback" not in run.stderr
    assert db.read_bytes() == before


def test_orphans_quarantined(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    (bo / "clients.csv").write_text("client_id,name,sector,employees,city,created_at\nc1,A,IT,1,P,2020-01-01\n")
    (bo / "jobs.csv").write_text("job_id,client_id,title,job_type,seniority,salary_k,fee_rate,opened_at,closed_at,"
                                 "status,sales_id,coach_id\nj1,c1,T,D,mid,50,0.2,2024-01-01,,open,s1,s2\n")
    (bo / "pipeline_events.csv").write_text("event_id,job_id,candidate_id,stage,event_date,staff_id\n"
                                            "e1,j1,k1,pitch,2024-01-02,s1\ne2,j404,k1,pitch,2024-01-02,s1\n")
    (bo / "placements.csv").write_text("placement_id,job_id,candidate_id,start_date,fee_eur,invoiced_at,"
                                       "guarantee_broken,broken_at\np1,j404,k1,2024-03-01,9000,2024-03-01,no,\n")
    build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT file, record_id, rule FROM quarantine ORDER BY file").fetchall() == [
            ("pipeline_events.csv", "e2", "invalid.orphan"), ("placements.csv", "p1", "invalid.orphan")]


CELL = st.one_of(
    st.sampled_from(["", "N/A", "null", "-", "12 500,00 €", "18,5 k€", "-300", "2024-01-05", "31/12/2023",
                     "13/13/2024", "won", "Gagné", "closedwon", "open", "Perdu", "???", "Acme", "\"", ",", ";",
                     "\n", "Total", "=1+1", "é", "€"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
ROW = st.lists(CELL, min_size=0, max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=12), sep=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_random_dirty_files_never_crash_and_accounts_balance(tmp_path_factory, rows, sep, encoding):
    tmp = tmp_path_factory.mktemp("prop")
    header = sep.join(HEADER.strip().split(","))

    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(ch in c for ch in (sep, '"', "\n", "\r")) else c

    body = "\n".join(sep.join(cell(c) for c in r) for r in rows)
    text = header + "\n" + body + "\n"
    crm = tmp / "deals.csv"
    crm.write_bytes(text.encode(encoding, errors="replace"))
    try:
        build(crm=crm, bo=None, db=tmp / "w.duckdb")
    except InputFileError:
        return  # refused with a message: acceptable, the warehouse is untouched
    with connect(tmp / "w.duckdb") as con:
        rows_in, clean, quarantined, merged = con.execute(
            "SELECT rows_in, rows_clean, rows_quarantined, rows_merged FROM row_accounts").fetchone()
        assert rows_in == clean + quarantined + merged
        assert con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == clean
        assert con.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0] == quarantined


def test_xlsx_export_builds_with_serial_dates_text_numbers_and_merged_cells(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.active.append(["Pipeline summary", 3])
    sheet = book.create_sheet("Deals")
    sheet.append(["Deals export (HubSpot)"])
    sheet.merge_cells("A1:D1")
    sheet.append(["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner",
                  "Create Date", "Close Date"])
    sheet.append([1, "Dev", "Acme", "18 500", "Closed Won", "Ann", 45000, 45031])
    sheet.append([2, "Ops", "Beta", 12500.0, "won", "Ann", "2023-03-20", "2023-04-01"])
    sheet.append([3, "Data", None, "9000", "won", "Ann", "2023-03-21", "2023-04-02"])
    sheet.merge_cells("C4:C5")
    path = tmp_path / "deals.xlsx"
    book.save(path)
    build(crm=path, bo=None, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT deal_id, company, amount, CAST(created_at AS VARCHAR), CAST(closed_at AS VARCHAR) "
                           "FROM deals ORDER BY deal_id").fetchall() == [
            ("1", "Acme", 18500.0, "2023-03-15", "2023-04-15"), ("2", "Beta", 12500.0, "2023-03-20", "2023-04-01"),
            ("3", "Beta", 9000.0, "2023-03-21", "2023-04-02")]
        assert dict(con.execute("SELECT name, text FROM build_log WHERE kind = 'info' AND file = 'deals.xlsx'"
                                ).fetchall())["sheet"] == "Deals"
