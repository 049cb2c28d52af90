"""Read one export file (CSV or XLSX) into a `raw_<table>` DuckDB table of strings.

The raw table holds every data record exactly as read: one VARCHAR column per header
cell (blank or repeated headers renamed), `_row_number` (1 = first data record) and
`_extra` (the cells beyond the header's width, when a record has too many fields; such
records are quarantined by the cleaning). Blank records are not records.

Large, well-formed CSV files are parsed by DuckDB's CSV reader; files it cannot read
safely (an odd number of quotes, too many extra fields, huge cells) are parsed by
Python's csv module instead, with the same result.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.errors import InputFileError
from core.io.text import (
    CP1252_UNDEFINED,
    SNIFF_LINES,
    decode,
    dedupe_headers,
    detect_encoding,
    header_score,
    normalise_name,
    sample_lines,
    sniff,
)

csv.field_size_limit(2**31 - 1)

EXTRA_SLOTS = 4  # fields beyond the header that DuckDB's fast path tolerates before falling back
LARGE_FILE = 32 << 20  # above this, a CSV is scanned and re-encoded in chunks, never held in memory whole
CHUNK = 16 << 20
HEAD = 1 << 16  # bytes of a large file sniffed for its dialect and header
C1_BYTES = re.compile(rb"[\x80-\x9f]")  # the only bytes cp1252 and latin-1 decode differently
_ASCII_BYTES = bytes(range(128))
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
# A workbook is a zip of XML: its size once unpacked, not the file's, is what reading it costs (openpyxl
# holds 10 to 20 bytes of memory per byte of XML in its full model). Counted while unpacking, never
# taken from the zip's headers, which a crafted file can fill with anything.
XLSX_MAX_XML = 256 << 20  # above this, a workbook is refused
XLSX_FULL_MODEL = 32 << 20  # up to this, the full model (merged cells); above, the streaming reader
# A cell holding a formula and no saved value (`<c r="B2"><f>A2*2</f><v /></c>`): written by a program
# that does not compute formulas, it reads as empty.
_FORMULA_ONLY = re.compile(rb"<c\b[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


@dataclass
class ReadInfo:
    """What the reader found out about a file (logged in build_log)."""

    file: str
    kind: str  # csv | xlsx
    columns: list[str]
    rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 1  # 1-based line (CSV) or sheet row (XLSX) of the header
    header_score: int = 0
    parser: str = "duckdb"
    notes: list[str] = field(default_factory=list)
    sha256: str | None = None  # of the file's bytes, when reading went through all of them
    # XLSX cells holding a formula without a saved value: (record number, column, formula).
    formulas: list[tuple[int, str, str]] = field(default_factory=list)


def _q(name: str) -> str:
    """A column name quoted as a SQL identifier (header text is data, never trusted)."""
    return '"' + name.replace('"', '""') + '"'


def _fail(path: Path, message: str, line: int | None = None, fix: str | None = None) -> InputFileError:
    return InputFileError(path.name, message, line=line, fix=fix)


def _binary(path: Path) -> InputFileError:
    return _fail(path, "is not a text file (it contains binary data).", fix="Upload the CSV or XLSX export itself.")


def load_raw(con: duckdb.DuckDBPyConnection, path: Path, table: str, known: set[str] | None = None,
             temp_dir: Path | None = None) -> ReadInfo:
    """Load an export file into table `table` (replaced), all cells as strings.

    Args:
        con: connection to load into.
        path: the CSV or XLSX file.
        table: name of the raw table to create (from an allow-list, e.g. `raw_jobs`).
        known: normalised column names expected in the header; they find the header row
            below title rows, the delimiter and, in a workbook, the sheet.
        temp_dir: where a re-encoded copy of a non-UTF-8 CSV may be written.

    Returns:
        ReadInfo with the detected encoding, delimiter, sheet, header line and row count.

    Raises:
        InputFileError: missing, empty or unreadable file, or no header row.
    """
    known = known or set()
    if not path.exists():
        raise _fail(path, "file not found.", fix="Check the path or upload the file again.")
    if path.is_dir():
        raise _fail(path, "is a folder, not a file.")
    if path.stat().st_size == 0:
        raise _fail(path, "is empty (0 bytes).", fix="Export the file again from the tool.")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if path.suffix.lower() in XLSX_SUFFIXES or magic == _ZIP_MAGIC:
        return _load_xlsx(con, path, table, known)
    if path.suffix.lower() == ".xls":
        raise _fail(path, "is an old Excel 97-2003 workbook (.xls), which cannot be read.",
                    fix="Save it as .xlsx or CSV and upload that.")
    return _load_csv(con, path, table, known, temp_dir)


# --- CSV -------------------------------------------------------------------------------------------


def _load_csv(con, path: Path, table: str, known: set[str], temp_dir: Path | None) -> ReadInfo:
    if path.stat().st_size > LARGE_FILE:
        info = _load_large_csv(con, path, table, known, temp_dir)
        if info is not None:
            return info
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    encoding = detect_encoding(data)
    try:
        text = decode(data, encoding)
    except UnicodeDecodeError as err:
        raise _fail(path, f"cannot be decoded as text ({encoding}).",
                    fix="Save it as CSV UTF-8 and upload it again.") from err
    if "\x00" in text:
        raise _binary(path)
    del data
    text = text.lstrip("\ufeff")
    info = _sniffed(path, text, known, encoding)
    info.sha256 = checksum
    if text.count('"') % 2 == 0:
        source, tmp = path, None
        if encoding != "utf-8":
            # DuckDB reads UTF-8 only: hand it a re-encoded copy (BOM dropped by decoding).
            fd, name = tempfile.mkstemp(suffix=".csv", dir=temp_dir)
            source = tmp = Path(name)
            with open(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
        try:
            _duckdb_csv(con, source, table, info)
            return info
        except duckdb.Error:
            pass  # structurally odd file: the Python parser below handles every case
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    _python_csv(con, path, table, info, text)
    return info


def _sniffed(path: Path, text: str, known: set[str], encoding: str) -> ReadInfo:
    """ReadInfo from the first lines: delimiter, header row, header names."""
    found = sniff(sample_lines(text), known)
    if not found.header:
        raise _fail(path, "has no header row.", fix="The first row must hold the column names.")
    columns, notes = dedupe_headers(found.header)
    info = ReadInfo(file=path.name, kind="csv", columns=columns, encoding=encoding,
                    delimiter=found.delimiter, header_line=found.header_line, header_score=found.score,
                    notes=notes)
    if found.title_rows:
        info.notes.append(f"{found.title_rows} title row(s) above the header skipped")
    return info


@dataclass
class _Scan:
    """What one pass over a large file found (see `_scan`)."""

    encoding: str
    quotes: int  # number of `"` characters
    c1: bool  # a byte 0x80-0x9F somewhere (only tracked when the file is not UTF-8 or mixed)
    c1_end: int = 0  # offset just past the last such byte
    sha256: str = ""  # of the whole file
    nul: bool = False  # a NUL byte somewhere (binary data, or UTF-16, which the caller reads otherwise)


def _scan(path: Path) -> _Scan:
    """Encoding and number of quote characters of a large file, read in chunks (bounded memory).

    Same decision as `detect_encoding`, made chunk by chunk: UTF-8 when every chunk decodes,
    `mixed` when some non-ASCII text is valid UTF-8 and some is not, else cp1252 (latin-1 when
    bytes undefined in cp1252 occur). Also whether any byte 0x80-0x9F occurs: the only bytes
    that cp1252 and latin-1 decode differently, and where the last of them ends.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, valid_multibyte, undefined, quotes = True, False, False, 0
    c1_end, offset, nul = 0, 0, False
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            nul = nul or b"\x00" in chunk
            offset += len(chunk)
            quotes += chunk.count(b'"')
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                    # A non-ASCII chunk that decodes makes the file UTF-8 or mixed, never cp1252.
                    valid_multibyte = valid_multibyte or not chunk.isascii()
                    continue
                except UnicodeDecodeError:
                    utf8_ok = False
            if chunk.isascii():
                continue
            # The byte tests only need the few non-ASCII bytes: search those, not the whole chunk.
            high = chunk.translate(None, _ASCII_BYTES)
            if C1_BYTES.search(high) is not None:
                c1_end = offset - C1_BYTES.search(chunk[::-1]).start()
            undefined = undefined or CP1252_UNDEFINED.search(high) is not None
            if not valid_multibyte:
                # Some valid multibyte UTF-8 other than U+FFFD: what detect_encoding counts, and
                # "ignore" keeps exactly the characters "replace" decodes, without the copies.
                valid_multibyte = not chunk.decode("utf-8", errors="ignore").replace("\ufffd", "").isascii()
    if utf8_ok:
        encoding = "utf-8"
    elif valid_multibyte:
        encoding = "mixed"
    else:
        encoding = "latin-1" if undefined else "cp1252"
    return _Scan(encoding, quotes, c1_end > 0, c1_end, digest.hexdigest(), nul)


def _load_large_csv(con, path: Path, table: str, known: set[str], temp_dir: Path | None) -> ReadInfo | None:
    """The fast path for big exports: stream-detect, stream-transcode, parse with DuckDB.

    Returns None when the file needs the in-memory path (UTF-16, an odd number of quotes, or
    a structure DuckDB's reader refuses).
    """
    with path.open("rb") as fh:
        head = fh.read(HEAD)
    if detect_encoding(head) not in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "mixed"):
        return None
    scan = _scan(path)
    if scan.nul:
        raise _binary(path)
    encoding = scan.encoding
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    if scan.quotes % 2:
        return None
    text = (head.decode("utf-8", errors="crossview_cp1252") if encoding == "mixed"
            else head.decode(encoding, errors="replace")).lstrip("\ufeff")
    info = _sniffed(path, text, known, encoding)
    info.sha256 = scan.sha256
    data_start = _after_line(head, info.header_line)
    if encoding == "cp1252" and (not scan.c1 or (data_start is not None and scan.c1_end <= data_start)):
        # Without bytes 0x80-0x9F, cp1252 text is latin-1 text, which DuckDB decodes itself (it
        # refuses those bytes): no re-encoded copy to write and read back. When they are only in
        # the title rows above the data (`Export — 31/10`), DuckDB reads a byte copy of the data.
        tmp = None
        try:
            if scan.c1:
                fd, name = tempfile.mkstemp(suffix=".csv", dir=temp_dir)
                tmp = Path(name)
                with path.open("rb") as src, open(fd, "wb") as dst:
                    src.seek(data_start)
                    shutil.copyfileobj(src, dst, CHUNK)
                _duckdb_csv(con, tmp, table, info, latin1=True, skip=0)
            else:
                _duckdb_csv(con, path, table, info, latin1=True)
            return info
        except duckdb.Error:
            pass  # the re-encoded copy below gets the reader's usual chances
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    source, tmp = path, None
    # A UTF-8 byte order mark sits on the first line, which is always skipped (title or header row):
    # such a file is read as it is, without a re-encoded copy.
    if encoding not in ("utf-8", "utf-8-sig"):
        fd, name = tempfile.mkstemp(suffix=".csv", dir=temp_dir)
        source = tmp = Path(name)
        decoder = (codecs.getincrementaldecoder("utf-8")(errors="crossview_cp1252") if encoding == "mixed"
                   else codecs.getincrementaldecoder(encoding)())
        with path.open("rb") as src, open(fd, "wb") as dst:
            dst.writelines(decoder.decode(chunk).encode("utf-8") for chunk in iter(lambda: src.read(CHUNK), b""))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    try:
        _duckdb_csv(con, source, table, info)
        return info
    except duckdb.Error:
        return None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _after_line(head: bytes, line: int) -> int | None:
    """Offset just past the `line`-th line of a file's first bytes (None when they hold fewer lines)."""
    end = 0
    for _ in range(line):
        found = head.find(b"\n", end)
        if found < 0:
            return None
        end = found + 1
    return end


def _duckdb_csv(con, source: Path, table: str, info: ReadInfo, latin1: bool = False,
                skip: int | None = None) -> None:
    """Parse a UTF-8 (or, with `latin1`, latin-1) CSV with DuckDB's reader into the raw table.

    `skip`: lines above the data in `source` (default: down to the header found by the sniffer).
    """
    n = len(info.columns)
    slots = {f"c{i}": "VARCHAR" for i in range(n + EXTRA_SLOTS)}
    encoding = ", encoding = 'latin-1'" if latin1 else ""
    for parallel in (True, False):
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _read AS SELECT * FROM read_csv(?, delim = ?, quote = '\"', "
                "escape = '\"', header = false, skip = ?, columns = ?, null_padding = true, "
                f"auto_detect = false, parallel = ?, max_line_size = 16777216{encoding})",
                [str(source), info.delimiter, info.header_line if skip is None else skip, slots, parallel])
            break
        except duckdb.Error as err:
            if not parallel or "parallel" not in str(err):
                raise
    cols = ", ".join(f"c{i} AS {_q(c)}" for i, c in enumerate(info.columns))
    extra = ", ".join(f"c{i}" for i in range(n, n + EXTRA_SLOTS))
    # A blank record: every field empty (DuckDB reads empty fields as NULL), or only spaces in a one-field line.
    not_blank = (f"COALESCE({', '.join(f'c{i}' for i in range(1, n + EXTRA_SLOTS))}) IS NOT NULL "
                 "OR NULLIF(TRIM(c0), '') IS NOT NULL")
    # Record numbers follow file order, which is the insertion order: no sort unless blank lines were dropped.
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT CAST(rowid + 1 AS BIGINT) AS _row_number, {cols}, "
        f"NULLIF(CONCAT_WS(?, {extra}), '') AS _extra FROM _read WHERE {not_blank}", [info.delimiter])
    read = con.execute("SELECT COUNT(*) FROM _read").fetchone()[0]
    if con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] != read:
        names = ", ".join(_q(c) for c in info.columns)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT ROW_NUMBER() OVER (ORDER BY _row_number) "
                    f"AS _row_number, {names}, _extra FROM {table} ORDER BY _row_number")
    con.execute("DROP TABLE _read")
    info.rows = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    info.parser = "duckdb"


def _python_csv(con, path: Path, table: str, info: ReadInfo, text: str) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter)
    n = len(info.columns)
    records: list[list[str | None]] = []
    extras: list[str | None] = []
    start_lines: list[int] = []
    last_line = 0
    for cells in reader:
        first_line, last_line = last_line + 1, reader.line_num
        if last_line <= info.header_line or not cells or (not any(cells[1:]) and not cells[0].strip()):
            continue  # a blank record, as in the DuckDB path
        start_lines.append(first_line)
        over = [c for c in cells[n:] if c.strip()]
        extras.append(info.delimiter.join(cells[n:]) if over else None)
        row = [c if c != "" else None for c in cells[:n]]
        records.append(row + [None] * (n - len(row)))
    if records and text.count('"') % 2 == 1:
        last = records[-1]
        if any(c is not None and "\n" in c for c in last) or (extras[-1] and "\n" in extras[-1]):
            raise _fail(path, 'a quote (") opens on this line and is never closed, so the rest of the file '
                        "cannot be split into rows.", line=start_lines[-1],
                        fix="Remove the stray quote or close it, then export again.")
    _store(con, table, info.columns, records, extras)
    info.rows = len(records)
    info.parser = "python"


def _store(con, table: str, columns: list[str], records: list[list[str | None]],
           extras: list[str | None]) -> None:
    """Rows parsed in Python into the raw table (same shape as DuckDB's fast path)."""
    frame = pd.DataFrame(records, columns=[f"c{i}" for i in range(len(columns))], dtype=object)
    frame["_extra"] = pd.Series(extras, dtype=object)
    frame.insert(0, "_row_number", range(1, len(frame) + 1))
    cols = ", ".join(f"CAST(c{i} AS VARCHAR) AS {_q(c)}" for i, c in enumerate(columns))
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT CAST(_row_number AS BIGINT) AS _row_number, "
                    f"{cols}, CAST(_extra AS VARCHAR) AS _extra FROM _frame ORDER BY _row_number")
    finally:
        con.unregister("_frame")


# --- XLSX ------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text.strip() else None


@dataclass
class WorkbookSize:
    """What unpacking a workbook found (see `check_workbook`)."""

    xml_bytes: int
    formulas_without_value: bool


def check_workbook(path: Path, limit: int = XLSX_MAX_XML) -> WorkbookSize:
    """Unpack every part of a workbook once, counting its bytes, before any XML is parsed.

    Raises:
        InputFileError: not a zip, or more than `limit` bytes once unpacked (a decompression bomb
            or a workbook too large to read; the unpacking stops at the limit).
    """
    total, formulas = 0, False
    try:
        with zipfile.ZipFile(path) as archive:
            for entry in archive.infolist():
                sheet = entry.filename.startswith("xl/worksheets/")
                tail = b""
                with archive.open(entry) as part:
                    for chunk in iter(lambda: part.read(1 << 20), b""):
                        total += len(chunk)
                        if total > limit:
                            raise _fail(path, f"unpacks to more than {limit >> 20} MB of data (the file is "
                                        f"{path.stat().st_size / 1e6:.1f} MB packed), which is more than "
                                        "Crossview reads from a workbook.",
                                        fix="Export the data as CSV, or split the workbook.")
                        if sheet and not formulas:
                            # A cell may straddle two chunks: the text after the last complete cell is kept.
                            text = tail + chunk
                            formulas = _FORMULA_ONLY.search(text) is not None
                            tail = text[text.rfind(b"</c>") + 4:][-(1 << 20):]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise _fail(path, "is not a readable Excel workbook (damaged, or not really .xlsx).",
                    fix="Export it again, or save it as CSV and upload that.") from err
    return WorkbookSize(total, formulas)


def _open_workbook(path: Path, read_only: bool, data_only: bool = True):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, data_only=data_only, read_only=read_only)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as err:
        raise _fail(path, "is not a readable Excel workbook (damaged, or not really .xlsx).",
                    fix="Export it again, or save it as CSV and upload that.") from err
    except Exception as err:  # openpyxl raises its own types for malformed XML inside the zip
        raise _fail(path, f"is not a readable Excel workbook ({type(err).__name__}).",
                    fix="Export it again, or save it as CSV and upload that.") from err


def _unmerge(sheet) -> None:
    """A merged block reads as its top-left value in every cell it covers (full model only)."""
    merged = getattr(sheet, "merged_cells", None)
    if merged is None:
        return
    for rng in list(merged.ranges):
        value = sheet.cell(rng.min_row, rng.min_col).value
        sheet.unmerge_cells(str(rng))
        for row in sheet.iter_rows(min_row=rng.min_row, max_row=rng.max_row,
                                   min_col=rng.min_col, max_col=rng.max_col):
            for cell in row:
                cell.value = value


@dataclass
class _Sheet:
    """A sheet's non-blank rows (with their sheet row numbers) and where its header was found."""

    name: str
    visible: bool
    rows: list[list[str | None]]
    numbers: list[int]  # sheet row number (1-based) of each row
    header: int  # index in `rows`
    score: int


def _sheet_rows(sheet, known: set[str]) -> _Sheet | None:
    rows, numbers = [], []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        row = [_cell_text(v) for v in values]
        if any(c is not None for c in row):
            rows.append(row)
            numbers.append(number)
    if not rows:
        return None
    if known:
        scores = [header_score([c or "" for c in r], known) for r in rows[:SNIFF_LINES]]
        score = max(scores)
        idx = scores.index(score)
    else:
        width = max(sum(1 for c in r if c is not None) for r in rows[:SNIFF_LINES])
        score, idx = 0, next(i for i, r in enumerate(rows) if sum(1 for c in r if c is not None) >= max(2, width // 2))
    return _Sheet(sheet.title, getattr(sheet, "sheet_state", "visible") == "visible", rows, numbers, idx, score)


def _pick_sheet(path: Path, sheets: list[_Sheet]) -> _Sheet:
    """The sheet holding the export: the best header score, a visible sheet before a hidden one, then
    the first; two visible sheets with the same best score and different data are refused."""
    if not sheets:
        raise _fail(path, "has no data in any sheet.", fix="Export the sheet that holds the deals.")
    best = max(sheets, key=lambda s: (s.score, s.visible))
    rivals = [s for s in sheets if s.visible and s.score == best.score and s is not best and best.visible
              and s.rows != best.rows]
    if best.score > 0 and rivals:
        names = ", ".join(repr(s.name) for s in [best, *rivals])
        raise _fail(path, f"has several sheets that look like the export ({names}), so Crossview cannot tell "
                    "which one to read.", fix="Keep only the export's sheet in the workbook, or save it as CSV.")
    return best


def _load_xlsx(con, path: Path, table: str, known: set[str]) -> ReadInfo:
    size = check_workbook(path)
    # Not read-only when small enough: merged cells are only visible in the full model.
    book = _open_workbook(path, read_only=size.xml_bytes > XLSX_FULL_MODEL)
    sheets = []
    for sheet in book.worksheets:
        _unmerge(sheet)
        found = _sheet_rows(sheet, known)
        if found is not None:
            sheets.append(found)
    count = len(book.worksheets)
    book.close()
    chosen = _pick_sheet(path, sheets)
    rows, idx = chosen.rows, chosen.header
    header = rows[idx]
    while header and header[-1] is None:
        header = header[:-1]
    columns, notes = dedupe_headers(header)
    n = len(columns)
    body = rows[idx + 1:]
    records = [(r[:n] + [None] * (n - len(r[:n]))) for r in body]
    extras = ["|".join(c or "" for c in r[n:]) if any(c is not None for c in r[n:]) else None for r in body]
    _store(con, table, columns, records, extras)
    info = ReadInfo(file=path.name, kind="xlsx", columns=columns, rows=len(records), sheet=chosen.name,
                    header_line=chosen.numbers[idx], header_score=chosen.score, parser="openpyxl", notes=notes)
    if count > 1:
        info.notes.append(f"sheet {chosen.name!r} used ({count} sheets)")
    if size.formulas_without_value:
        info.formulas = _formulas_without_value(path, chosen, columns)
        if info.formulas:
            info.notes.append(f"{len(info.formulas)} formula cell(s) without a saved value read as empty")
    return info


def _formulas_without_value(path: Path, chosen: _Sheet, columns: list[str]) -> list[tuple[int, str, str]]:
    """The data cells of the chosen sheet that hold a formula whose value was never saved.

    Returns:
        (record number, column, formula) per cell, in sheet order.
    """
    book = _open_workbook(path, read_only=True, data_only=False)
    try:
        sheet = book[chosen.name]
        header_row = chosen.numbers[chosen.header]
        # Records are the non-blank rows below the header, as read with the values; a row holding only
        # formulas without values was blank then and is no record.
        record = {number: i for i, number in enumerate(chosen.numbers[chosen.header + 1:], start=1)}
        values = {(number, col) for number, row in zip(chosen.numbers, chosen.rows)
                  for col, cell in enumerate(row) if cell is not None}
        found = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number <= header_row or number not in record:
                continue
            for col, value in enumerate(row[:len(columns)]):
                if isinstance(value, str) and value.startswith("=") and (number, col) not in values:
                    found.append((record[number], columns[col], value))
        return found
    finally:
        book.close()


def read_table(path: Path, known: set[str] | None = None) -> tuple[pd.DataFrame, ReadInfo]:
    """Read an export into a DataFrame of strings (for previews and the upload step).

    Args:
        path: CSV or XLSX export.
        known: normalised column names expected in the header (see `load_raw`).

    Returns:
        (frame, info): the records with their header names (plus `_row_number` and
        `_extra`), and what was detected (encoding, delimiter, sheet, header line).
    """
    con = duckdb.connect()
    try:
        info = load_raw(con, Path(path), "raw_preview", known)
        frame = con.execute("SELECT * FROM raw_preview ORDER BY _row_number").df()
    finally:
        con.close()
    return frame, info


def known_names(names: list[str]) -> set[str]:
    """Column names normalised for header matching."""
    return {normalise_name(n) for n in names}
