"""Record ids damaged by Excel (docs/data-quality.md, invalid.excel_id).

A CSV opened and saved again in Excel loses long numeric ids: HubSpot's `189165000123` becomes
`1,89165E+11` (scientific notation), and ids above 15 digits keep 15 significant digits followed by
zeros. Such an id no longer identifies its record: two different deals can share it.
"""

from __future__ import annotations

import duckdb

from core.clean.engine import FileCleaner, q

SCIENTIFIC = r"[+-]?\d+([.,]\d+)?[eE][+]?\d+"


def is_damaged(col: str) -> str:
    """SQL: the id in column `col` (quoted) was written by Excel: scientific notation, or more than 15
    digits whose 16th and later are all zeros (Excel keeps 15 significant digits)."""
    return (f"(regexp_full_match({col}, '{SCIENTIFIC}') OR (length({col}) > 15 "
            rf"AND regexp_full_match({col}, '\d+') AND regexp_full_match({col}[16:], '0+')))")


def damaged_ids(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, column: str) -> int:
    """invalid.excel_id: ids written by Excel are flagged; those that several rows share are made unique.

    Such rows are distinct records whose ids Excel collapsed, so the duplicate-key rule must not
    merge them: each shared damaged id becomes `<id> (row <n>)`, with the original in the log, and
    the build warns that the file went through Excel. Returns the number of damaged ids.
    """
    col = q(column)
    damaged = is_damaged(col)
    n = con.execute(f"SELECT count(*) FROM {frm} WHERE {col} IS NOT NULL AND {damaged}").fetchone()[0]
    if not n:
        return 0
    shared = (f"{col} IN (SELECT {col} FROM {frm} WHERE {col} IS NOT NULL AND {damaged} "
              f"GROUP BY {col} HAVING count(*) > 1)")
    new = f"CASE WHEN {shared} THEN {col} || ' (row ' || rn || ')' ELSE {col} END"
    example = con.execute(f"SELECT {col} FROM {frm} WHERE {col} IS NOT NULL AND {damaged} LIMIT 1").fetchone()
    fc.log("invalid.excel_id", "flagged", column, f"{col} IS NOT NULL AND {damaged}", col, new, frm=frm)
    con.execute(f"UPDATE {frm} SET {col} = {col} || ' (row ' || rn || ')' WHERE {shared}")
    fc.facts["excel_ids"] = str(n)
    fc.warnings.append(
        f"{fc.file} went through Excel: {n:,} {column} value(s) are in scientific notation or lost their last "
        f"digits{f' (e.g. {example[0]})' if example else ''}, so they no longer identify their deals. Those deals "
        "are kept apart (never merged as duplicates); rows sharing such an id get ' (row <n>)' added to it. "
        "Export the file again from the CRM and load it without opening it in Excel.")
    return n


def numbered_ids(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, column: str) -> None:
    """An export without an id column (a Salesforce report shows none by default): each deal's id is its
    record number in the file, `row <n>`, and the build says what that costs."""
    con.execute(f"UPDATE {frm} SET {q(column)} = 'row ' || rn")
    fc.facts["ids"] = "row numbers"
    fc.warnings.append(
        f"{fc.file} has no id column: each deal is identified by its row in the file ('row 12'), so deals "
        "exported twice cannot be recognised by their id, and link decisions saved for these deals apply to "
        "this file only. Add the id column (Salesforce: Opportunity ID) to the report to avoid this.")
