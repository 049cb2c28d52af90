from pathlib import Path

import duckdb

from core.schema import ALL_TABLES, schema_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_schema_doc_is_in_sync():
    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is stale: run `python -m core schema-doc`"
    )


def test_every_table_ddl_runs():
    con = duckdb.connect()
    for table in ALL_TABLES:
        con.execute(table.ddl())
        cols = [r[0] for r in con.execute(f'DESCRIBE "{table.name}"').fetchall()]
        assert cols == table.column_names
