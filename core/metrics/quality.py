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


def rule_effects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What each CRM cleaning rule did to the headline totals, in the order the rules ran.

    Definition: for each rule that touched rows (or was switched off), the deals file's deal count,
    won amount (sum of the won deals' amounts) and win rate (won / (won + lost)) just before and
    just after it; `rows` = rows it touched (data_issues rows), or would have touched when off.
    The last rule's `after` values are the clean deals' totals.

    Returns:
        DataFrame[file, step, rule, status, rows, deals_before, deals_after, won_amount_before,
        won_amount_after, won_amount_change (fraction of before, NULL when before is 0),
        win_rate_before, win_rate_after], in the order the rules ran.
    """
    return con.execute("""
        SELECT file, step, rule, status, rows, deals_before, deals_after, won_amount_before, won_amount_after,
               (won_amount_after - won_amount_before) / NULLIF(won_amount_before, 0) AS won_amount_change,
               win_rate_before, win_rate_after
        FROM rule_effects ORDER BY source, file, step""").df()


def unknown_stage_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The CRM stage labels the build did not recognise, with the number of deals quarantined for each.

    Definition: data_issues rows of rule `invalid.unknown_stage`, by label as exported. Map them in
    the mapping file's `stages` (open, won, lost or leave out) to bring the deals back.

    Returns:
        DataFrame[file, label, deals], most frequent first.
    """
    return con.execute("""
        SELECT file, original_value AS label, COUNT(*) AS deals FROM data_issues
        WHERE rule = 'invalid.unknown_stage' GROUP BY ALL ORDER BY file, deals DESC, label""").df()


def rules_off(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The cleaning rules the last build ran with switched off (mapping file `rules`)."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT text FROM build_log WHERE kind = 'info' AND name = 'rule_off' ORDER BY 1").fetchall()]
