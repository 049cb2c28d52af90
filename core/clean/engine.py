"""The machinery every file's cleaning shares: the issue log, quarantine, merges, row accounts.

One `FileCleaner` walks one raw table through its rules. Each rule is a set-based SQL
statement over the whole file; what it decides is written to `data_issues` (one row per
row and column touched), `quarantine` (with the raw row as JSON) or the merge list, so
that `rows_in = rows_clean + rows_quarantined + rows_merged` can be checked at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from core.errors import InputFileError
from core.io.readers import ReadInfo

# Rules a mapping file (`"rules": {"<rule>": "off"}`) or the Data page can switch off: every rule that
# changes, blanks, merges or quarantines a value the row could still be used with. The others keep
# out rows that cannot be used at all (no id, unknown stage, a field too many, a totals row, the same
# id twice) and stay on.
SWITCHABLE_RULES = (
    "invalid.negative_amount", "outlier.amount_in_k", "duplicate.reentered_deal", "missing.created_at",
    "missing.closed_at", "time_order.future_date", "time_order.closed_before_created",
    "outlier.salary_in_euros", "invalid.fee_rate_percent", "invalid.fee_rate_range",
    "time_order.closed_before_opened", "invalid.negative_fee", "invalid.negative_minutes", "duplicate.event",
)
# The check that stops a build when most deals would be quarantined; switched off, the user confirmed it.
QUARANTINE_CHECK = "check.mostly_quarantined"



def rules_switched_off(rules: dict, file: str) -> frozenset[str]:
    """The rules a mapping file's `rules` section switches off (`{"outlier.amount_in_k": "off"}`).

    Raises:
        InputFileError: a rule that cannot be switched off, or a value other than `on` / `off`.
    """
    allowed = SWITCHABLE_RULES + (QUARANTINE_CHECK,)
    bad = sorted(str(r) for r in rules if r not in allowed)
    if bad:
        raise InputFileError(file, f"rule(s) that cannot be switched off: {', '.join(bad)}.",
                             fix=f"Rules that can: {', '.join(allowed)}.")
    values = {r: str(v).strip().lower() for r, v in rules.items()}
    wrong = sorted(r for r, v in values.items() if v not in ("on", "off"))
    if wrong:
        raise InputFileError(file, f"a rule is switched \"on\" or \"off\"; check {', '.join(wrong)}.")
    return frozenset(r for r, v in values.items() if v == "off")


TOTAL_LABELS = r"^(grand )?(total|totals|totaux|total général|total general|sum|somme|sous-total|subtotal)\s*:?$"


def q(name: str) -> str:
    """A column name quoted as an identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class FileCleaner:
    """Cleaning state of one input file.

    Attributes:
        con: build connection.
        source: `crm` or `bo`.
        info: what the reader found (file name, header columns, format).
        raw: raw table name (`raw_<table>`).
        table: clean table fed by the file.
        pk: canonical id column, quoted (record_id in the logs).
        counts: rule -> number of rows touched (for build_log).
        day_first: date column -> how its day/month order was decided (for build_log).
        facts: what was found out about the file as a whole (date order, currencies...), for build_log.
        warnings: sentences for the build summary about this file.
        accounts: the file's row accounts once written (rows_in, rows_clean, ...).
        off: rules switched off for this build (they change nothing; `skipped` counts what they would
            have touched).
        headline: SQL over `_t` giving (deals, won amount, won deals, lost deals), or None when the
            file has no headline totals (only the CRM deals file has).
        effects: per rule measured with `effect`, the headline totals before and after it.
        evidence: rule -> what the file showed that decided whether the rule applies (for build_log).
    """

    con: duckdb.DuckDBPyConnection
    source: str
    info: ReadInfo
    raw: str
    table: str
    pk: str
    counts: dict[str, int] = field(default_factory=dict)
    day_first: dict[str, str] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    accounts: dict[str, int] = field(default_factory=dict)
    off: frozenset[str] = frozenset()
    skipped: dict[str, int] = field(default_factory=dict)
    headline: str | None = None
    effects: list[dict] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    _last: tuple[int, float, int, int] | None = None

    @property
    def file(self) -> str:
        return self.info.file

    def start(self) -> None:
        """Create this file's scratch tables: `_q` (quarantined rows) and `_m` (merged rows)."""
        self.con.execute("CREATE OR REPLACE TEMP TABLE _q (rn BIGINT, record_id VARCHAR, rule VARCHAR, reason VARCHAR)")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _m (rn BIGINT)")

    def _count(self, rule: str, n: int) -> None:
        if n:
            self.counts[rule] = self.counts.get(rule, 0) + n

    def _skip(self, rule: str, frm: str, where: str, params: list | None) -> bool:
        """True when `rule` is off: the rows it would have touched are counted, nothing else happens."""
        if rule not in self.off:
            return False
        n = self.con.execute(f"SELECT COUNT(*) FROM {frm} WHERE {where}", params or []).fetchone()[0]
        self.skipped[rule] = self.skipped.get(rule, 0) + n
        return True

    def _totals(self) -> tuple[int, float, int, int]:
        deals, won_amount, won, lost = self.con.execute(self.headline).fetchone()
        return int(deals), float(won_amount or 0), int(won), int(lost)

    @contextmanager
    def effect(self, rule: str) -> Iterator[None]:
        """Measure the headline totals of `_t` before and after the rule's statements in the block.

        Recorded in `effects` (one entry per block) when the file has headline totals. A scan of
        `_t` costs ~0.1 s at a million deals, so the totals after one rule are reused as the totals
        before the next (the statements between rules leave row count, stages and amounts alone),
        and a rule that touched no row has the same totals after as before.
        """
        if self.headline is None:
            yield
            return
        before = self._last or self._totals()
        rows0, skipped0 = self.counts.get(rule, 0), self.skipped.get(rule, 0)
        yield
        off = rule in self.off
        rows = (self.skipped.get(rule, 0) - skipped0) if off else (self.counts.get(rule, 0) - rows0)
        after = self._totals() if rows and not off else before
        self._last = after
        self.effects.append({
            "rule": rule, "status": "off" if off else "on", "rows": rows,
            "deals_before": before[0], "deals_after": after[0],
            "won_amount_before": before[1], "won_amount_after": after[1],
            "win_rate_before": before[2] / (before[2] + before[3]) if before[2] + before[3] else None,
            "win_rate_after": after[2] / (after[2] + after[3]) if after[2] + after[3] else None,
        })

    def log(self, rule: str, action: str, column: str, where: str, original: str, new: str = "NULL",
            frm: str = "_t", record: str | None = None, params: list | None = None) -> int:
        """Write one data_issues row per row of `frm` matching `where`; returns how many."""
        record = record or self.pk
        n = self.con.execute(
            f"INSERT INTO data_issues SELECT ?, ?, rn, CAST({record} AS VARCHAR), ?, ?, CAST({original} AS VARCHAR), "
            f"CAST({new} AS VARCHAR), ? FROM {frm} WHERE {where} ORDER BY rn",
            [self.source, self.file, column, rule, action] + (params or [])).fetchone()[0]
        self._count(rule, n)
        return n

    def change(self, rule: str, action: str, column: str, field: str, where: str, new: str,
               original: str | None = None, frm: str = "_t", params: list | None = None) -> int:
        """Log the rows of `frm` matching `where`, then set their `field` to `new` (SQL; NULL flags).

        Args:
            column: the file's column named in the log; field: the working column changed.
            original: SQL of the logged original value (default: the field's value).
        """
        if self._skip(rule, frm, where, params):
            return 0
        n = self.log(rule, action, column, where, original or q(field), new, frm=frm, params=params)
        if n:
            self.con.execute(f"UPDATE {frm} SET {q(field)} = {new} WHERE {where}", params or [])
        return n

    def quarantine(self, rule: str, reason: str, where: str, frm: str, column: str | None = None,
                   original: str = "NULL", params: list | None = None) -> int:
        """Quarantine the rows of `frm` matching `where` and drop them from `frm` (so no later rule sees them)."""
        if self._skip(rule, frm, where, params):
            return 0
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE _hit AS SELECT rn, CAST({self.pk} AS VARCHAR) AS record_id, "
            f"CAST({original} AS VARCHAR) AS original FROM {frm} WHERE {where}", params or [])
        n = self.con.execute("SELECT COUNT(*) FROM _hit").fetchone()[0]
        if n:
            self.con.execute("INSERT INTO _q SELECT rn, record_id, ?, ? FROM _hit", [rule, reason])
            self.con.execute(
                "INSERT INTO data_issues SELECT ?, ?, rn, record_id, ?, ?, original, NULL, 'quarantined' "
                "FROM _hit ORDER BY rn", [self.source, self.file, column or "*", rule])
            self.con.execute(f"DELETE FROM {frm} WHERE rn IN (SELECT rn FROM _hit)")
        self._count(rule, n)
        return n

    def merge(self, rule: str, column: str, frm: str, partition: str, order: str = "rn",
              where: str = "TRUE") -> int:
        """Merge rows equal on `partition` into the first one (by `order`): logged, dropped from `frm`.

        The kept row's id is the issue's new value.
        """
        if rule in self.off:
            return 0
        # The window (a sort) runs only on rows whose partition hash occurs more than once.
        repeated = f"hash({partition}) IN (SELECT hash({partition}) AS h FROM {frm} WHERE {where} " \
                   "GROUP BY h HAVING COUNT(*) > 1)"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE _hit AS SELECT rn, CAST({self.pk} AS VARCHAR) AS record_id, "
            f"CAST(first_id AS VARCHAR) AS kept FROM (SELECT rn, {self.pk}, "
            f"FIRST({self.pk}) OVER w AS first_id, ROW_NUMBER() OVER w AS k FROM {frm} WHERE ({where}) "
            f"AND {repeated} WINDOW w AS (PARTITION BY {partition} ORDER BY {order})) WHERE k > 1")
        n = self.con.execute("SELECT COUNT(*) FROM _hit").fetchone()[0]
        if n:
            self.con.execute("INSERT INTO _m SELECT rn FROM _hit")
            self.con.execute(
                "INSERT INTO data_issues SELECT ?, ?, rn, record_id, ?, ?, record_id, kept, 'merged' "
                "FROM _hit ORDER BY rn", [self.source, self.file, column, rule])
            self.con.execute(f"DELETE FROM {frm} WHERE rn IN (SELECT rn FROM _hit)")
        self._count(rule, n)
        return n

    def structural(self, frm: str) -> None:
        """Rules every file shares: too many fields, a totals row at the end, exact duplicate rows."""
        with self.effect("invalid.bad_field_count"):
            self.quarantine("invalid.bad_field_count",
                            "more fields than the header: the values cannot be placed safely",
                            "_extra IS NOT NULL", frm, original="_extra")
        # Only the last three records can be a totals row: their first cell is read from the raw table.
        last = self.con.execute(f"SELECT list(rn) FROM {frm} WHERE rn > (SELECT MAX(rn) FROM {frm}) - 3").fetchone()[0]
        if not last or not self.info.columns:
            return
        first = q(self.info.columns[0])
        with self.effect("invalid.totals_row"):
            self.quarantine("invalid.totals_row", "a totals row below the data, not a record",
                            f"rn IN (SELECT _row_number FROM {self.raw} WHERE _row_number >= ? "
                            f"AND list_contains(?, _row_number) AND regexp_matches(lower(cv_trim({first})), ?))",
                            frm, params=[min(last), last, TOTAL_LABELS])

    def duplicates(self, frm: str, columns: list[str], pk_column: str) -> None:
        """duplicate.exact_row then duplicate.primary_key, on rows whose id is not NULL.

        exact_row: a row identical to an earlier one in every column (exported twice);
        primary_key: same id as an earlier row with other values. Both can only touch rows whose
        id occurs more than once, so the windows run on those few rows, not on the whole file.
        """
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _dupkeys AS SELECT {self.pk} AS k FROM {frm} "
                         f"GROUP BY {self.pk} HAVING COUNT(*) > 1")
        among = f"{self.pk} IN (SELECT k FROM _dupkeys)"
        with self.effect("duplicate.exact_row"):
            self.merge("duplicate.exact_row", "*", frm, ", ".join(q(c) for c in columns), where=among)
        with self.effect("duplicate.primary_key"):
            self.merge("duplicate.primary_key", pk_column, frm, self.pk, where=among)

    def quarantine_table_rows(self) -> None:
        """Copy this file's quarantined rows (with the raw row as JSON) into `quarantine`."""
        self.con.execute(
            f"INSERT INTO quarantine SELECT ?, ?, _q.rn, _q.record_id, _q.rule, _q.reason, to_json(r) "
            f"FROM _q JOIN {self.raw} r ON r._row_number = _q.rn ORDER BY _q.rn", [self.source, self.file])

    def account(self, rows_clean: int) -> dict[str, int]:
        """Write this file's row_accounts row and return it; the invariant is checked by the build.

        Args:
            rows_clean: records of this file written to the clean table.
        """
        rows_in = self.con.execute(f"SELECT COUNT(*) FROM {self.raw}").fetchone()[0]
        rows_q = self.con.execute("SELECT COUNT(*) FROM _q").fetchone()[0]
        rows_m = self.con.execute("SELECT COUNT(*) FROM _m").fetchone()[0]
        self.con.execute("INSERT INTO row_accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [self.source, self.file, self.table, rows_in, rows_clean, rows_q, rows_m])
        return {"rows_in": rows_in, "rows_clean": rows_clean, "rows_quarantined": rows_q, "rows_merged": rows_m}
