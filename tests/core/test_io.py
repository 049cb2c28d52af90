"""Readers: encodings, delimiters, title rows, quoting, field counts, headers, XLSX, CRM layouts, mapping files."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InputFileError
from core.io import detect_crm_layout, load_mapping, read_table, save_mapping
from core.io.layouts import crm_known_names, crm_layout
from core.io.readers import known_names
from core.io.text import detect_encoding

JOBS = known_names(["job_id", "client_id", "title"])


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _rows(frame):
    return frame.drop(columns=["_row_number", "_extra"]).astype(object).where(frame.notna(), None).values.tolist()


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252"),
])
def test_encodings_detected(tmp_path, encoding, expected):
    text = "job_id;client_id;title\n1;c1;Développeur €\n"
    path = _write(tmp_path, "jobs.csv", text.encode(encoding))
    frame, info = read_table(path, JOBS)
    assert info.encoding == expected
    assert _rows(frame) == [["1", "c1", "Développeur €"]]


def test_latin1_and_mixed_encodings(tmp_path):
    assert detect_encoding("é\x81".encode("latin-1")) == "latin-1"
    data = "job_id;client_id;title\n1;a;é\n".encode() + "2;b;é€\n".encode("cp1252")
    frame, info = read_table(_write(tmp_path, "m.csv", data), JOBS)
    assert info.encoding == "mixed"
    assert _rows(frame) == [["1", "a", "é"], ["2", "b", "é€"]]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators_sniffed(tmp_path, sep):
    text = sep.join(["job_id", "client_id", "title"]) + "\n" + sep.join(["1", "c1", "Dev, senior"]) + "\n"
    if sep == ",":
        text = 'job_id,client_id,title\n1,c1,"Dev, senior"\n'
    frame, info = read_table(_write(tmp_path, "j.csv", text.encode()), JOBS)
    assert info.delimiter == sep
    assert _rows(frame) == [["1", "c1", "Dev, senior"]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_and_quoted_newlines(tmp_path, newline):
    text = newline.join(["job_id;client_id;title", '1;c1;"Dev', 'senior"', "2;c2;Ops", ""])
    frame, _ = read_table(_write(tmp_path, "j.csv", text.encode()), JOBS)
    assert len(frame) == 2
    assert frame["title"][0].replace("\r\n", "\n").replace("\r", "\n") == "Dev\nsenior"
    assert frame["title"][1] == "Ops"


def test_title_rows_blank_lines_and_totals_row_kept_raw(tmp_path):
    text = "Export jobs — 31/10/2026\n\njob_id;client_id;title\n1;c1;Dev\n\n2;c2;Ops\nTotal;;\n"
    frame, info = read_table(_write(tmp_path, "j.csv", text.encode()), JOBS)
    assert info.header_line == 3
    assert frame["_row_number"].tolist() == [1, 2, 3]
    assert frame["job_id"].tolist() == ["1", "2", "Total"]


def test_too_few_and_too_many_fields(tmp_path):
    text = "job_id;client_id;title\n1;c1\n2;c2;t;x;y\n3;c3;t;a;b;c;d;e;f\n"
    frame, _ = read_table(_write(tmp_path, "j.csv", text.encode()), JOBS)
    assert _rows(frame) == [["1", "c1", None], ["2", "c2", "t"], ["3", "c3", "t"]]
    assert frame["_extra"].tolist()[1:] == ["x;y", "a;b;c;d;e;f"]
    assert frame["_extra"].isna().tolist()[0]


def test_unterminated_quote_refused_with_line(tmp_path):
    text = 'job_id;client_id;title\n1;c1;ok\n2;"c2;broken\n3;c3;x\n'
    with pytest.raises(InputFileError) as err:
        read_table(_write(tmp_path, "j.csv", text.encode()), JOBS)
    assert err.value.line == 3 and "j.csv" in str(err.value) and "quote" in str(err.value)


def test_stray_quote_inside_a_field_loads(tmp_path):
    frame, info = read_table(_write(tmp_path, "j.csv", b'job_id;client_id;title\n1;c1;5" screen\n'), JOBS)
    assert frame["title"].tolist() == ['5" screen'] and info.parser == "python"


def test_duplicate_and_blank_headers_renamed(tmp_path):
    _, info = read_table(_write(tmp_path, "j.csv", b"job_id;;Job_ID\n1;2;3\n"), JOBS)
    assert info.columns == ["job_id", "column_2", "Job_ID_2"]
    assert len(info.notes) == 2


def test_empty_and_binary_files_refused(tmp_path):
    with pytest.raises(InputFileError, match="empty"):
        read_table(_write(tmp_path, "e.csv", b""))
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_header_only_file_has_no_rows(tmp_path):
    frame, _ = read_table(_write(tmp_path, "j.csv", b"job_id;client_id;title\n"), JOBS)
    assert len(frame) == 0


def test_huge_cell_and_wide_file(tmp_path):
    big = "x" * 3_000_000
    frame, _ = read_table(_write(tmp_path, "j.csv", f"job_id;client_id;title\n1;c1;{big}\n".encode()), JOBS)
    assert len(frame["title"][0]) == 3_000_000
    header = ";".join(["job_id"] + [f"col{i}" for i in range(2000)])
    row = ";".join(["1"] + ["v"] * 2000)
    frame, info = read_table(_write(tmp_path, "w.csv", f"{header}\n{row}\n".encode()), JOBS)
    assert len(info.columns) == 2001 and frame["col1999"][0] == "v"


def _xlsx(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Read me"])
    sheet = book.create_sheet("Deals")
    sheet.append(["Deals export"])
    sheet.merge_cells("A1:C1")
    sheet.append(["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner",
                  "Create Date", "Close Date"])
    sheet.append([1, "Dev", "Acme", "18500", "won", "Jean", 45000, None])
    sheet.append([2, "Ops", "Beta", 12.5, "lost", "Jean", "2024-01-02", None])
    sheet.append([3, "Ops", None, None, "open", "Jean", "2024-01-03", None])
    sheet.merge_cells("C4:C5")
    path = tmp_path / "deals.xlsx"
    book.save(path)
    return path


def test_xlsx_sheet_header_merged_cells_and_values(tmp_path):
    frame, info = read_table(_xlsx(tmp_path), crm_known_names())
    assert info.sheet == "Deals" and info.kind == "xlsx"
    assert frame["Amount"].tolist()[:2] == ["18500", "12.5"]
    assert frame["Create Date"][0] == "45000"
    assert frame["Associated Company"].tolist() == ["Acme", "Beta", "Beta"]


def test_corrupt_xlsx_refused(tmp_path):
    path = _write(tmp_path, "deals.xlsx", b"PK\x03\x04 this is not a workbook")
    with pytest.raises(InputFileError, match="not a readable Excel workbook"):
        read_table(path)


@pytest.mark.parametrize("headers", [
    ["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner", "Create Date",
     "Close Date"],
    ["ID de fiche", "Nom de la transaction", "Entreprise associée", "Montant", "Phase de la transaction",
     "Propriétaire de la transaction", "Date de création", "Date de fermeture"],
    ["deal - id", "Deal - Title", "Deal - Organization", "Deal - Value", "Deal - Status", "Deal - Owner",
     "Deal - Deal created", "Deal - Won time", "Deal - Lost time", "Deal - Stage"],
    ["  RECORD id ", "deal name", "Associated Company (Primary)", "amount", "deal stage", "DEAL OWNER",
     "create date", "close date"],
])
def test_crm_headers_recognised(headers):
    layout = crm_layout(headers)
    assert layout.missing == []
    if "Deal - Won time" in headers:
        assert layout.fields["closed_at"] == ["Deal - Won time", "Deal - Lost time"]
        assert layout.fields["stage"] == ["Deal - Status"] and layout.stage_detail == "Deal - Stage"


def test_mapping_files_json_and_yaml_round_trip(tmp_path):
    mapping = {"crm": {"deal_id": "opportunity_id", "owner": "sales_agent"}, "stages": {"Won": "won"},
               "teams": {"name": "sales_agent", "team": "regional_office"}, "accounts": {"company": "account"}}
    for name in ("m.json", "m.yaml"):
        save_mapping(tmp_path / name, mapping)
        assert load_mapping(tmp_path / name) == {**mapping, "rules": {}}
    (tmp_path / "bad.json").write_text(json.dumps({"crm": {"colour": "x"}}))
    with pytest.raises(InputFileError, match="colour"):
        load_mapping(tmp_path / "bad.json")
    (tmp_path / "bad2.json").write_text(json.dumps({"stages": {"Won": "maybe"}}))
    with pytest.raises(InputFileError, match="maybe"):
        load_mapping(tmp_path / "bad2.json")


def test_detect_crm_layout_proposes_mapping(tmp_path):
    path = _write(tmp_path, "opps.csv", b"opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
                  b"close_date,close_value\n1,Moses,GTX,Cancity,Won,2016-10-20,2017-03-01,1054\n"
                  b"2,Darcel,GTX,Isdom,Engaging,2016-10-25,,\n")
    proposal, unknown, samples = detect_crm_layout(path)
    assert proposal["crm"] == {"deal_id": "opportunity_id", "deal_name": "product", "company": "account",
                               "amount": "close_value", "stage": "deal_stage", "owner": "sales_agent",
                               "created_at": "engage_date", "closed_at": "close_date"}
    assert unknown == ["Engaging"]
    assert samples["account"] == ["Cancity", "Isdom"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(alphabet='ab;,|\t"\n\r €é0123456789', max_size=300).map(str.encode))
def test_random_bytes_never_crash_the_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("rnd") / "x.csv"
    path.write_bytes(data)
    try:
        frame, info = read_table(path, JOBS)
    except InputFileError:
        return
    assert list(frame.columns) == ["_row_number", *info.columns, "_extra"]
    assert frame["_row_number"].tolist() == list(range(1, len(frame) + 1))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "mixed"])
def test_large_file_path_streams_same_result(tmp_path, monkeypatch, encoding):
    from core.io import readers

    rows = "".join(f"{i};c{i};Développeur € {i}\n" for i in range(300))
    text = "Titre\njob_id;client_id;title\n" + rows
    if encoding == "mixed":
        data = text.encode("utf-8") + "300;c300;Chargé €\n".encode("cp1252")
    else:
        data = text.encode(encoding)
    path = _write(tmp_path, "big.csv", data)
    small, small_info = read_table(path, JOBS)
    monkeypatch.setattr(readers, "LARGE_FILE", 100)
    monkeypatch.setattr(readers, "CHUNK", 37)  # chunk boundaries inside multibyte characters
    big, big_info = read_table(path, JOBS)
    assert big_info.encoding == small_info.encoding == encoding
    assert big.equals(small) and len(big) == (301 if encoding == "mixed" else 300)
    assert big["title"].iloc[-1] == ("Chargé €" if encoding == "mixed" else "Développeur € 299")


def _small_then_large(path, monkeypatch):
    """`read_table` of a file by the in-memory path, then by the large-file path (in 37-byte
    chunks), and the keyword arguments of each DuckDB parse the large path made."""
    from core.io import readers

    small = read_table(path, JOBS)
    monkeypatch.setattr(readers, "LARGE_FILE", 100)
    monkeypatch.setattr(readers, "CHUNK", 37)
    calls = []
    original = readers._duckdb_csv
    monkeypatch.setattr(readers, "_duckdb_csv", lambda *a, **k: calls.append(k) or original(*a, **k))
    return small, read_table(path, JOBS), calls


def test_large_cp1252_file_read_as_latin1_same_result(tmp_path, monkeypatch):
    """A large cp1252 file holding no byte 0x80-0x9F is decoded by DuckDB as latin-1: same rows
    as the re-encoding path."""

    rows = "".join(f"{i};c{i};Développeur « {i} » ÿ\n" for i in range(300))
    path = _write(tmp_path, "big.csv", ("Export activités\njob_id;client_id;title\n" + rows).encode("cp1252"))
    (small, small_info), (big, big_info), calls = _small_then_large(path, monkeypatch)
    assert calls == [{"latin1": True}]
    assert big_info.encoding == small_info.encoding == "cp1252"
    assert big.equals(small) and len(big) == 300
    assert big["title"].iloc[-1] == "Développeur « 299 » ÿ"


def test_large_cp1252_file_with_cp1252_only_bytes_in_its_title_row_is_read_as_latin1(tmp_path, monkeypatch):
    """Bytes 0x80-0x9F only in the title row above the header: DuckDB reads a byte copy of the data
    as latin-1 (no re-encoding), with the same rows and record numbers."""

    rows = "".join(f"{i};c{i};Développeur « {i} »\n" for i in range(300))
    title = "Export activités — généré le 31/10/2026\r\n"
    text = title + "job_id;client_id;title\r\n" + rows.replace("\n", "\r\n")
    path = _write(tmp_path, "big.csv", text.encode("cp1252"))
    (small, small_info), (big, big_info), calls = _small_then_large(path, monkeypatch)
    assert calls == [{"latin1": True, "skip": 0}]
    assert big_info.encoding == small_info.encoding == "cp1252" and big_info.header_line == 2
    assert big.equals(small) and len(big) == 300
    assert big["_row_number"].tolist() == list(range(1, 301))
    assert big["title"].iloc[-1] == "Développeur « 299 »"


def test_large_cp1252_file_with_cp1252_only_bytes_in_data_is_re_encoded(tmp_path, monkeypatch):

    rows = "".join(f"{i};c{i};Développeur {i}\n" for i in range(300)) + "300;c300;Chargé — €\n"
    path = _write(tmp_path, "big.csv", ("Export activités — 2026\njob_id;client_id;title\n" + rows).encode("cp1252"))
    (small, _), (big, _), calls = _small_then_large(path, monkeypatch)
    assert calls == [{}]
    assert big.equals(small) and big["title"].iloc[-1] == "Chargé — €"


def test_the_reader_hashes_the_bytes_it_reads(tmp_path, monkeypatch):
    import hashlib


    rows = "".join(f"{i};c{i};Chargé {i}\n" for i in range(300))
    data = ("Titre\njob_id;client_id;title\n" + rows).encode("cp1252")
    path = _write(tmp_path, "big.csv", data)
    (_, small_info), (_, big_info), _ = _small_then_large(path, monkeypatch)
    assert small_info.sha256 == big_info.sha256 == hashlib.sha256(data).hexdigest()
