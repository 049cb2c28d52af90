"""Tiny hand-made warehouses for unit tests: every table from the schema, only the rows a test gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from core.schema import ALL_TABLES, TABLES_BY_NAME


def warehouse(rows: Mapping[str, Sequence[Mapping[str, object]]]) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with every warehouse table created, holding `rows` per table.

    Columns a row leaves out are NULL. Unknown tables or columns raise, so a fixture
    cannot silently drift from the schema.
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
    return con
