"""Data quality: what the build did to each input file (the Data quality page)."""

from __future__ import annotations

import duckdb
import pandas as pd


def quality_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Row accounts per input file with the number of issues logged for it.

    Definition: rows_in = rows_clean + rows_quarantined + rows_merged (checked by every build);
    issues = data_issues rows of the file (one per row and column a rule touched).

    Returns:
        DataFrame[source, file, table_name, rows_in, rows_clean, rows_quarantined, rows_merged, issues].
    """
    return con.execute("""
        SELECT a.source, a.file, a.table_name, a.rows_in, a.rows_clean, a.rows_quarantined, a.rows_merged,
               COALESCE(i.issues, 0) AS issues
        FROM row_accounts a
        LEFT JOIN (SELECT source, file, COUNT(*) AS issues FROM data_issues GROUP BY source, file) i
               ON i.source = a.source AND i.file = a.file
        ORDER BY a.source, a.file""").df()


def issues_by_rule(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Number of rows each cleaning rule touched, per file and action.

    Returns:
        DataFrame[source, file, rule, action, rows], most frequent first within a file.
    """
    return con.execute("""
        SELECT source, file, rule, action, COUNT(*) AS rows FROM data_issues
        GROUP BY source, file, rule, action ORDER BY source, file, rows DESC, rule, action""").df()


def quarantined_rows(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The rows kept out of the clean tables, with the rule, the reason and the raw row (JSON).

    Args:
        con: warehouse connection (read-only is fine).
        limit: only the first `limit` rows in file order (a preview), or every row when None.

    Returns:
        DataFrame[source, file, row_number, record_id, rule, reason, raw], in file order.
    """
    # LIMIT NULL keeps every row; a preview reads only its rows (a top-N, not a sort of all).
    return con.execute("""
        SELECT source, file, row_number, record_id, rule, reason, raw FROM quarantine
        ORDER BY source, file, row_number LIMIT ?""", [limit]).df()


def quarantined_count(con: duckdb.DuckDBPyConnection) -> int:
    """Number of rows kept out of the clean tables, all files together (the rows of `quarantined_rows`)."""
    return int(con.execute("SELECT count(*) FROM quarantine").fetchone()[0])
