"""The global filters every analysis takes, and the one place their SQL is written.

Every metric is `f(con, filters) -> DataFrame`. A metric picks the date column its
period applies to (jobs by `opened_at`, revenue by `invoiced_at`, events by
`event_date`, deals by `created_at` or `closed_at`) and asks this module for the
WHERE fragments; values always travel as `?` parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from core.schema import STAFF_ROLES

# A clause is SQL text with `?` placeholders plus the values that fill them, in order.
Clause = tuple[str, list[object]]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _ident(name: str) -> str:
    """Allow-list check for a column reference built into SQL text."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a column reference: {name!r}")
    return name


def _in_list(column: str, values: tuple[str, ...]) -> Clause:
    marks = ", ".join("?" for _ in values)
    return f"{column} IN ({marks})", list(values)


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to. Empty tuples mean "all".

    Attributes:
        date_from: first day of the period (inclusive), or None for no lower bound.
        date_to: last day of the period (inclusive), or None for no upper bound.
        teams: team names; a job belongs to a team through its salesperson
            (or its coach when `staff_role` is `coach`).
        sales: staff ids; restricts jobs to those whose salesperson (or coach) is one of them.
        job_types: job families (`jobs.job_type`).
        staff_role: which person on a job the team and people filters apply to:
            `sales` (the job's `sales_id`, the default) or `coach` (`coach_id`).
    """

    date_from: date | None = None
    date_to: date | None = None
    teams: tuple[str, ...] = ()
    sales: tuple[str, ...] = ()
    job_types: tuple[str, ...] = ()
    staff_role: str = "sales"

    def __post_init__(self) -> None:
        if self.staff_role not in STAFF_ROLES:
            raise ValueError("staff_role must be 'sales' or 'coach'")

    # -- period ---------------------------------------------------------------------

    def period(self, column: str) -> Clause:
        """`column` within [date_from, date_to]; TRUE when the period is open."""
        col = _ident(column)
        parts: list[str] = []
        params: list[object] = []
        if self.date_from is not None:
            parts.append(f"{col} >= ?")
            params.append(self.date_from)
        if self.date_to is not None:
            parts.append(f"{col} <= ?")
            params.append(self.date_to)
        return (" AND ".join(parts) or "TRUE"), params

    def without_period(self) -> Filters:
        return replace(self, date_from=None, date_to=None)

    def previous_period(self) -> Filters:
        """The period of the same length just before this one (for period-on-period changes)."""
        if self.date_from is None or self.date_to is None:
            raise ValueError("previous_period needs a closed period")
        length = (self.date_to - self.date_from).days
        # Clamped at the calendar's first day (a period starting on 1 January of year 1 has no day before).
        new_to = date.fromordinal(max(1, self.date_from.toordinal() - 1))
        return replace(self, date_from=date.fromordinal(max(1, new_to.toordinal() - length)), date_to=new_to)

    # -- people and jobs ---------------------------------------------------------------

    def people(self, staff_column: str) -> Clause:
        """`staff_column` (a staff_id) belongs to the chosen teams and people."""
        col = _ident(staff_column)
        parts: list[str] = []
        params: list[object] = []
        if self.sales:
            sql, p = _in_list(col, self.sales)
            parts.append(sql)
            params += p
        if self.teams:
            sql, p = _in_list("team", self.teams)
            parts.append(f"{col} IN (SELECT staff_id FROM staff WHERE {sql})")
            params += p
        return (" AND ".join(parts) or "TRUE"), params

    def jobs(self, alias: str = "j") -> Clause:
        """Restrict jobs (table alias `alias`) by team, people and job type."""
        a = _ident(alias)
        staff_col = f"{a}.sales_id" if self.staff_role == "sales" else f"{a}.coach_id"
        parts: list[str] = []
        params: list[object] = []
        sql, p = self.people(staff_col)
        if sql != "TRUE":
            parts.append(sql)
            params += p
        if self.job_types:
            sql, p = _in_list(f"{a}.job_type", self.job_types)
            parts.append(sql)
            params += p
        return (" AND ".join(parts) or "TRUE"), params

    def deals(self, alias: str = "d") -> Clause:
        """Restrict CRM deals (alias `alias`) by their resolved owner's team and person."""
        return self.people(f"{_ident(alias)}.owner_id")

    @property
    def narrows_people(self) -> bool:
        return bool(self.teams or self.sales)


def where(*clauses: Clause) -> Clause:
    """AND several clauses together into one."""
    parts = [sql for sql, _ in clauses if sql and sql != "TRUE"]
    params: list[object] = []
    for sql, p in clauses:
        if sql and sql != "TRUE":
            params += p
    return (" AND ".join(f"({s})" for s in parts) or "TRUE"), params


def resolve_sales_names(con, names: tuple[str, ...]) -> tuple[str, ...]:
    """Staff ids for the given BO names (case-insensitive); unknown names are a user error."""
    if not names:
        return ()
    from core.errors import UserError

    wanted = [n.strip().casefold() for n in names]
    rows = con.execute(
        "SELECT lower(name), staff_id FROM staff WHERE lower(name) IN (SELECT unnest(?))", [wanted]
    ).fetchall()
    found = dict(rows)
    missing = [n for n, key in zip(names, wanted) if key not in found]
    if missing:
        known = [r[0] for r in con.execute("SELECT name FROM staff ORDER BY name").fetchall()]
        raise UserError(f"Unknown salesperson(s): {', '.join(missing)}. Known names: {', '.join(known)}.")
    return tuple(found[k] for k in wanted)
