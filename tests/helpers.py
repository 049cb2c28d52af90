"""Tiny hand-made warehouses for unit tests: every table from the schema, only the rows a test gives."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from core.metrics.derived import create_derived_tables
from core.schema import ALL_TABLES, SCHEMA_VERSION, TABLES_BY_NAME


def warehouse(rows: Mapping[str, Sequence[Mapping[str, object]]]) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with every warehouse table created, holding `rows` per table.

    Columns a row leaves out are NULL. Unknown tables or columns raise, so a fixture
    cannot silently drift from the schema. The fact tables are then written from the rows, as
    at the end of a build (`create_derived_tables`); rows given for a fact table are replaced.
    """
    con = duckdb.connect()
    for table in ALL_TABLES:
        con.execute(table.ddl())
    for name, table_rows in rows.items():
        table = TABLES_BY_NAME[name]
        for row in table_rows:
            unknown = set(row) - set(table.column_names)
            if unknown:
                raise KeyError(f"{name}: unknown column(s) {sorted(unknown)}")
            cols = list(row)
            marks = ", ".join("?" for _ in cols)
            names = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', [row[c] for c in cols])
    create_derived_tables(con)
    return con


def as_built(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Finish a hand-filled warehouse as a build does: write the fact tables and record the schema
    version, so that `core.warehouse.connect` opens its file."""
    create_derived_tables(con)
    con.execute("INSERT INTO build_log VALUES (current_timestamp::TIMESTAMP, '*', 'info', 'schema_version', "
                "NULL, ?)", [SCHEMA_VERSION])
    return con


def xlsx_bomb(path: Path, xml_bytes: int, header: list[str]) -> None:
    """A valid-looking workbook whose sheet unpacks to `xml_bytes` of XML (it compresses about 1000:1)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(header)
    book.save(path)
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    cut = sheet.index(b"</sheetData>")
    rows = (b'<row><c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>") * 5000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                dst.writestr(name, data)
                continue
            with dst.open(name, "w") as part:
                part.write(sheet[:cut])
                for _ in range(xml_bytes // len(rows)):
                    part.write(rows)
                part.write(sheet[cut:])
