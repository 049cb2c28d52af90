"""Planting dirt in formatted export rows, and counting it the way the cleaner counts it.

The cleaning rules and their counting are those of docs/data-quality.md: one issue per
(row, column) a rule touches; for duplicates, the number of extra rows. To keep every
count unambiguous, a row gets at most one kind of dirt, rows that will be quarantined or
merged are otherwise spotless (canonical labels, exact owner names), and the original of
a duplicate is never touched after it is copied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.demo.formats import fr_decimal

READ_RULES = ("invalid.unparseable_date", "invalid.unparseable_number", "invalid.bad_field_count",
              "invalid.totals_row")
CRM_RULES = READ_RULES + (
    "missing.deal_id", "missing.created_at", "missing.won_amount", "missing.won_company", "missing.closed_at",
    "invalid.unknown_stage", "inconsistent.stage_label", "invalid.negative_amount", "outlier.amount_in_k",
    "outlier.amount_extreme", "time_order.closed_before_created", "time_order.future_date",
    "inconsistent.owner_name", "duplicate.exact_row", "duplicate.reentered_deal")
BO_COMMON = READ_RULES + ("missing.primary_key", "duplicate.exact_row", "duplicate.primary_key",
                          "time_order.future_date")
BO_RULES: dict[str, tuple[str, ...]] = {
    "staff.csv": BO_COMMON + ("inconsistent.staff_role",),
    "clients.csv": BO_COMMON,
    "jobs.csv": BO_COMMON + ("invalid.orphan", "outlier.salary_in_euros", "invalid.fee_rate_percent",
                             "invalid.fee_rate_range", "inconsistent.job_status",
                             "time_order.closed_before_opened"),
    "candidates.csv": BO_COMMON,
    "pipeline_events.csv": BO_COMMON + ("invalid.orphan", "inconsistent.event_stage",
                                        "invalid.unknown_event_stage", "duplicate.event",
                                        "time_order.event_before_job_opened"),
    "placements.csv": BO_COMMON + ("invalid.orphan", "invalid.negative_fee", "invalid.unparseable_boolean"),
    "activities.csv": BO_COMMON + ("invalid.orphan", "invalid.negative_minutes"),
}


class Planter:
    """Plants dirt in one frame of formatted text cells and keeps the per-rule counts.

    Args:
        frame: the export rows as text, one column per export column.
        rng: the generator of this file (and chunk).
        rules: the rule ids counted for this file (all start at 0).
    """

    def __init__(self, frame: pd.DataFrame, rng: np.random.Generator, rules: tuple[str, ...]) -> None:
        self.f = frame.reset_index(drop=True).astype(object)
        self.rng = rng
        self.n = len(self.f)
        self.taken = np.zeros(self.n, dtype=bool)
        self.counts = {r: 0 for r in rules}
        self._extra: list[tuple[pd.DataFrame, np.ndarray]] = []
        self.extra_field = np.full(self.n, "", dtype=object)
        self._footer: tuple[str, str] | None = None

    def pick(self, rate: float, eligible: np.ndarray | None = None, minimum: int = 1) -> np.ndarray:
        """Untouched rows (among `eligible`) for one kind of dirt: about `rate` x rows, at least
        `minimum` when any is eligible. They are marked so that no other dirt lands on them."""
        ok = ~self.taken if eligible is None else (~self.taken & np.asarray(eligible, dtype=bool))
        pool = np.flatnonzero(ok)
        if len(pool) == 0:
            return pool
        k = min(len(pool), max(minimum, round(rate * self.n)))
        idx = np.sort(self.rng.choice(pool, k, replace=False))
        self.taken[idx] = True
        return idx

    def set(self, rule: str | None, idx: np.ndarray, column: str, values) -> None:
        """Overwrite cells; count one `rule` issue per row (rule None: not an issue, e.g. a null token)."""
        if len(idx) == 0:
            return
        self.f.loc[idx, column] = values
        if rule is not None:
            self.counts[rule] += len(idx)

    def add(self, rule: str, rows: pd.DataFrame, after: np.ndarray, spread: float = 30.0) -> None:
        """Extra rows (copies, orphans...), each placed somewhere after row `after`; one issue each."""
        if len(rows) == 0:
            return
        pos = np.asarray(after, dtype=float) + self.rng.uniform(0.5, spread, len(rows))
        self._extra.append((rows.reset_index(drop=True).astype(object), pos))
        self.counts[rule] += len(rows)

    def copies(self, rule: str, idx: np.ndarray, changes: dict[str, object] | None = None,
               spread: float = 30.0) -> None:
        """Copies of rows `idx` (exactly, or with `changes` to some columns) as extra rows."""
        rows = self.f.loc[idx].copy()
        for col, val in (changes or {}).items():
            rows[col] = val
        self.add(rule, rows, idx, spread)

    def bad_field(self, idx: np.ndarray, text: str) -> None:
        """Rows written with one field too many (an unquoted separator and `text`)."""
        self.extra_field[idx] = text
        self.counts["invalid.bad_field_count"] += len(idx)

    def totals_row(self, label: str, column: str) -> None:
        """A totals row below the data, as a spreadsheet export adds it: `label` in the first
        column, the sum of the French decimals of `column` (every row written, extras included),
        other cells empty. The cleaner quarantines it (`invalid.totals_row`)."""
        self._footer = (label, column)
        self.counts["invalid.totals_row"] += 1

    def result(self) -> tuple[pd.DataFrame, pd.Series]:
        """The rows in file order (extras interleaved, the totals row last) and the extra-field
        text of each row."""
        frames = [self.f] + [f for f, _ in self._extra]
        pos = np.concatenate([np.arange(self.n, dtype=float)] + [p for _, p in self._extra])
        blanks = [np.full(len(f), "", dtype=object) for f, _ in self._extra]
        extra = np.concatenate([self.extra_field, *blanks])
        out = pd.concat(frames, ignore_index=True)
        order = np.argsort(pos, kind="mergesort")
        out, extra = out.iloc[order].reset_index(drop=True), pd.Series(extra[order], dtype=object)
        if self._footer is not None:
            label, column = self._footer
            values = pd.to_numeric(out[column].str.replace(",", ".", regex=False), errors="coerce")
            footer = {c: "" for c in out.columns}
            footer.update({out.columns[0]: label, column: fr_decimal(np.array([values.sum()]), 2)[0]})
            out = pd.concat([out, pd.DataFrame([footer], dtype=object)], ignore_index=True)
            extra = pd.concat([extra, pd.Series([""], dtype=object)], ignore_index=True)
        return out, extra


def add_counts(total: dict[str, dict[str, int]], file: str, counts: dict[str, int]) -> None:
    """Sum one chunk's counts into the per-file totals."""
    into = total.setdefault(file, {})
    for rule, c in counts.items():
        into[rule] = into.get(rule, 0) + int(c)
