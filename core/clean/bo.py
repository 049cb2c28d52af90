"""Cleaning of the BO export files (staff, clients, jobs, candidates, events, placements, activities).

Each file goes raw table -> scratch table `_t` (trimmed strings, null tokens removed) ->
rules -> typed clean table. Parents are cleaned before children so that orphan checks
look at the clean parent tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core.clean.engine import FileCleaner, q
from core.io.layouts import Layout
from core.io.readers import ReadInfo
from core.schema import BO_INPUT_COLUMNS, FUNNEL_STAGES, JOB_STATUSES, STAFF_ROLES, TABLES_BY_NAME


@dataclass(frozen=True)
class Spec:
    """How one BO file is typed and checked."""

    pk: str
    main_date: str
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    # column -> (label table, rule id for non-canonical labels, quarantine rule for unknown or None)
    labels: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    booleans: tuple[str, ...] = ()
    # column -> (parent table, parent id, nullable)
    refs: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    lower: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "staff": Spec("staff_id", "start_date", dates=("start_date", "end_date"), numbers=("hourly_cost_eur",),
                  labels={"role": ("lbl_staff_role", "inconsistent.staff_role", None)}, lower=("email",)),
    "clients": Spec("client_id", "created_at", dates=("created_at",), integers=("employees",)),
    "candidates": Spec("candidate_id", "created_at", dates=("created_at",), lower=("seniority",)),
    "jobs": Spec("job_id", "opened_at", dates=("opened_at", "closed_at"), numbers=("salary_k", "fee_rate"),
                 labels={"status": ("lbl_job_status", "inconsistent.job_status", None)},
                 refs={"client_id": ("clients", "client_id", False)}, lower=("seniority",)),
    "pipeline_events": Spec("event_id", "event_date", dates=("event_date",),
                            labels={"stage": ("lbl_event_stage", "inconsistent.event_stage",
                                              "invalid.unknown_event_stage")},
                            refs={"job_id": ("jobs", "job_id", False)}),
    "placements": Spec("placement_id", "invoiced_at", dates=("start_date", "invoiced_at", "broken_at"),
                       numbers=("fee_eur",), booleans=("guarantee_broken",),
                       refs={"job_id": ("jobs", "job_id", False)}),
    "activities": Spec("activity_id", "activity_date", dates=("activity_date",), numbers=("minutes",),
                       refs={"client_id": ("clients", "client_id", False), "job_id": ("jobs", "job_id", True)}),
}
ORDER = ("staff", "clients", "candidates", "jobs", "pipeline_events", "placements", "activities")

CANONICAL = {"staff_role": STAFF_ROLES, "job_status": JOB_STATUSES, "event_stage": FUNNEL_STAGES}


@dataclass(frozen=True)
class Derived:
    """A typed column of `_t` computed from one of its text columns.

    Each distinct text is converted once into a small map table, joined in when `_t` is
    created: no whole-table UPDATE per typed column.

    Attributes:
        column: the text column of `_t`.
        target: the typed column's name (`<column>__d`, `__n`, `__l`, `__b`…).
        value: SQL of the typed value from the distinct text `v`.
        params: parameters of `value`.
        default: SQL of the value for a NULL text or one missing from the map.
    """

    column: str
    target: str
    value: str
    params: tuple = ()
    default: str = "NULL"


def date_columns(columns: tuple[str, ...], serial: bool) -> list[Derived]:
    """`<c>__d` read day-first (`typed_dates` re-reads a column found to be month-first)."""
    return [Derived(c, c + "__d", "cv_date(v, TRUE, ?)", (serial,)) for c in columns]


def number_columns(columns: tuple[str, ...]) -> list[Derived]:
    """`<c>__n`: French/English number formats, €, spaces."""
    return [Derived(c, c + "__n", "cv_num(v)") for c in columns]


def label_column(column: str, labels: str, value: str, target: str) -> Derived:
    """`target` looked up in a label table by the label's key (core.clean.labels)."""
    return Derived(column, target, f"(SELECT l.{value} FROM {labels} l WHERE l.label_norm = cv_key(v))")


# Above this many unmapped columns they are staged as cells (one row per cell) rather than one
# expression each: DuckDB's planning time grows faster than linearly with the expressions of one
# statement (200 columns took 20 s to plan for a 3-row file, 1,000 exceeded its expression depth).
WIDE = 64


def stage_table(con: duckdb.DuckDBPyConnection, fc: FileCleaner, layout: Layout, columns: list[str],
                extra_cols: list[str], labels: list[str], derived: list[Derived] = ()) -> list[str]:
    """`_t`: one row per raw record, canonical columns trimmed with null tokens removed.

    Label columns also keep their raw text as `<column>__orig` (a trailing space makes a label
    non-canonical). Unmapped columns are kept for the exact-duplicate test: as `_x<n>` each, or,
    in a wide export (more than `WIDE` of them), as one `_x0` list of (column, value) pairs. The
    number of null tokens is counted for build_log. The `derived` typed columns are added.

    Returns:
        The names of the `_t` columns that stand for the unmapped ones.
    """
    wide = len(extra_cols) > WIDE
    raw_cols = list(dict.fromkeys([s for c in columns for s in layout.fields.get(c, [])]
                                  + ([] if wide else extra_cols)))
    slot = {name: i for i, name in enumerate(raw_cols)}
    # Three steps: trim each raw cell once (r<i>), drop null tokens (n<i>), then name canonical columns.
    trimmed = ["_row_number", "_extra"]
    trimmed += [f"cv_trim({q(name)}) AS r{i}" for name, i in slot.items()]
    nulled = ["_row_number", "_extra"] + [f"r{i}, cv_null(r{i}) AS n{i}" for i in slot.values()]
    tokens = " + ".join(f"CAST(r{i} IS NOT NULL AND n{i} IS NULL AS INTEGER)" for i in slot.values())
    named = ["_row_number AS rn", "_extra", f"{tokens or '0'} AS _nulls"]
    for c in columns:
        src = layout.fields.get(c)
        if src:
            cells = [f"n{slot[s]}" for s in src]
            named.append(f"{cells[0] if len(cells) == 1 else 'COALESCE(' + ', '.join(cells) + ')'} AS {q(c)}")
        else:
            named.append(f"CAST(NULL AS VARCHAR) AS {q(c)}")
        if c in labels:
            orig = f"NULLIF(COALESCE({', '.join(q(s) for s in src)}), '')" if src else "CAST(NULL AS VARCHAR)"
            trimmed.append(f"{orig} AS {q(c + '__orig')}")
            nulled.append(q(c + "__orig"))
            named.append(q(c + "__orig"))
    if wide:
        kept = ["_x0"]
        names = ", ".join(q(c) for c in extra_cols)
        # UNPIVOT leaves out empty (NULL) cells: a row with none has no `_wide` row, hence a NULL `_x0`.
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _wide AS
            SELECT rn, list((k, v) ORDER BY k) FILTER (WHERE v IS NOT NULL) AS _x0,
                   COUNT(*) FILTER (WHERE r IS NOT NULL AND v IS NULL) AS _nulls
            FROM (SELECT rn, k, r, cv_null(r) AS v FROM (SELECT _row_number AS rn, k, cv_trim(v) AS r
                  FROM (UNPIVOT (SELECT _row_number, {names} FROM {fc.raw}) ON {names} INTO NAME k VALUE v)))
            GROUP BY rn""")
        trimmed.append("_wide._x0")
        nulled.append("_x0")
        named.append("_x0")
        raw = f"{fc.raw} LEFT JOIN _wide ON _wide.rn = {fc.raw}._row_number"
    else:
        kept = [f"_x{i}" for i in range(len(extra_cols))]
        named += [f"n{slot[x]} AS {q('_x' + str(i))}" for i, x in enumerate(extra_cols)]
        raw = fc.raw
    # Typed columns: a map from each distinct raw text (a cheap scan) to its typed value, joined
    # on the raw cell. A column fed by several raw cells is keyed on its staged text instead.
    keys, typed, joins = [], [], []
    for i, d in enumerate(derived):
        src = layout.fields.get(d.column) or []
        if len(src) == 1:
            key = f"k{slot[src[0]]}"
            if key not in keys:
                keys.append(key)
                trimmed.append(f"{q(src[0])} AS {key}")
                nulled.append(key)
                named.append(key)
            distinct, v, on = q(src[0]), "cv_null(cv_trim(k))", key
        else:
            staged = f"COALESCE({', '.join(f'cv_nz({q(c)})' for c in src)})" if src else "CAST(NULL AS VARCHAR)"
            distinct, v, on = staged, "k", q(d.column)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _d{i} AS SELECT k, {d.value} AS value FROM "
                    f"(SELECT k, {v} AS v FROM (SELECT DISTINCT {distinct} AS k FROM {fc.raw}))", list(d.params))
        typed.append(f"COALESCE(_d{i}.value, {d.default}) AS {q(d.target)}")
        joins.append(f"LEFT JOIN _d{i} ON _d{i}.k = s.{on}")
    staged = (f"SELECT {', '.join(named)} FROM (SELECT {', '.join(nulled)} "
              f"FROM (SELECT {', '.join(trimmed)} FROM {raw}))")
    exclude = f" EXCLUDE ({', '.join(keys)})" if keys else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _t AS SELECT {', '.join([f's.*{exclude}'] + typed)} "
                f"FROM ({staged}) s {' '.join(joins)}")
    for i in range(len(derived)):
        con.execute(f"DROP TABLE _d{i}")
    n = con.execute("SELECT SUM(_nulls) FROM _t").fetchone()[0] or 0
    if wide:
        n += con.execute("SELECT SUM(_nulls) FROM _wide").fetchone()[0] or 0
        con.execute("DROP TABLE _wide")
    if n:
        fc.counts["missing.null_token"] = int(n)
    return kept


# A day/month/year date whose first two parts could be either order (`9/12/2023`, `09-12-2023 14:05`).
_DM_Y = r"^(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}($|[ T])"


def decide_date_order(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, dates: tuple[str, ...],
                      forced: str | None = None) -> dict[str, bool]:
    """Day-first or month-first, decided once per file from the unambiguous values of all its date columns.

    A value whose first part is above 12 (`25/12/2023`) proves day-first; one whose second part is
    above 12 (`12/25/2023`) proves month-first. One order proven: every date column of the file is
    read that way. Both proven (in different columns): the file contradicts itself; each column keeps
    the order its own values prove (ambiguous columns day-first) and the build warns. Neither: read
    day-first, and the build says the file gave no evidence. `forced` ("dmy"/"mdy", the mapping's
    `date_order`) wins; values that contradict it stay unread and are flagged.

    Returns:
        date column -> day-first; each column's reason is in `fc.day_first` (build_log).
    """
    evidence: dict[str, tuple[int, int, int]] = {}
    for c in dates:
        # Distinct values first: a date column has few of them, and the patterns are then cheap.
        first, second, ambiguous = con.execute(
            f"SELECT count(*) FILTER (WHERE a > 12 AND b <= 12), count(*) FILTER (WHERE b > 12 AND a <= 12), "
            f"count(*) FILTER (WHERE a <= 12 AND b <= 12) FROM (SELECT "
            f"TRY_CAST(regexp_extract(v, ?, 1) AS INTEGER) AS a, TRY_CAST(regexp_extract(v, ?, 2) AS INTEGER) AS b "
            f"FROM (SELECT DISTINCT {q(c)} AS v FROM {frm} WHERE {q(c)} IS NOT NULL)) WHERE a IS NOT NULL",
            [_DM_Y, _DM_Y]).fetchone()
        evidence[c] = (first, second, ambiguous)
    dmy = [c for c, (f, _, _) in evidence.items() if f]
    mdy = [c for c, (_, s, _) in evidence.items() if s]
    ambiguous = [c for c, (_, _, a) in evidence.items() if a]
    file = fc.file
    if forced:
        dayfirst = forced == "dmy"
        against = mdy if dayfirst else dmy
        for c in dates:
            fc.day_first[c] = f"{'day' if dayfirst else 'month'}-first (mapping file's date_order)"
        if against:
            fc.warnings.append(
                f"{file}: the mapping sets date_order \"{forced}\" but {', '.join(against)} hold dates that "
                f"can only be {'month' if dayfirst else 'day'}-first; those dates are left unread "
                "(invalid.unparseable_date). Check the mapping's date_order.")
        return {c: dayfirst for c in dates}
    if dmy and mdy:
        fc.warnings.append(
            f"{file}: the dates contradict each other: {', '.join(dmy)} can only be day-first (a day above 12 "
            f"first) and {', '.join(mdy)} can only be month-first; each column is read in its own order. "
            "Check the export, or set \"date_order\" in the mapping file.")
        fc.facts["date_order"] = "contradictory"
        out = {c: c not in mdy for c in dates}
        for c in dates:
            fc.day_first[c] = ("month-first (its own values; the file contradicts itself)" if c in mdy else
                               "day-first (its own values, or ambiguous; the file contradicts itself)")
        return out
    if dmy or mdy:
        dayfirst = bool(dmy)
        proof = (dmy or mdy)[0]
        why = f"{'day' if dayfirst else 'month'}-first (the file's {proof} has a {'first' if dayfirst else 'second'} part > 12)"
        fc.facts["date_order"] = "dmy" if dayfirst else "mdy"
        for c in dates:
            fc.day_first[c] = why
        return {c: dayfirst for c in dates}
    for c in dates:
        fc.day_first[c] = ("day-first (ambiguous in the whole file: European default)" if ambiguous
                           else "no dd/mm or mm/dd values")
    if ambiguous:
        fc.facts["date_order"] = "unknown"
        fc.warnings.append(
            f"{file}: no date in the file shows whether it is day-first or month-first (no day above 12); "
            "dates are read day-first (31/12). If they are month-first (12/31), set \"date_order\": \"mdy\" "
            "in the mapping file.")
    return {c: True for c in dates}


def typed_dates(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, dates: tuple[str, ...],
                forced: str | None = None) -> None:
    """Read every date column in the file's day/month order and flag unreadable dates.

    `<c>__d` was read day-first at staging (`date_columns`); the order is decided once for the file
    (`decide_date_order`) on the rows still in `frm`, and a month-first column is read again.
    """
    serial = fc.info.kind == "xlsx"
    for c, dayfirst in decide_date_order(con, fc, frm, dates, forced).items():
        if not dayfirst:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _map AS SELECT v, cv_date(v, FALSE, ?) AS value FROM "
                        f"(SELECT DISTINCT {q(c)} AS v FROM {frm} WHERE {q(c)} IS NOT NULL)", [serial])
            con.execute(f"UPDATE {frm} SET {q(c + '__d')} = m.value FROM _map m WHERE m.v = {frm}.{q(c)}")
        fc.log("invalid.unparseable_date", "flagged", c, f"{q(c)} IS NOT NULL AND {q(c + '__d')} IS NULL",
               q(c), frm=frm)


# Evidence of the decimal separator in one column's number texts (after `cv_num_text`/`cv_num_sign`).
_POINT_DECIMAL = r"\d,\d{3}\.\d+$|,\d{3},\d{3}|\.\d{1,2}$|\.\d{4,}$"
_COMMA_DECIMAL = r"\d\.\d{3},\d+$|\.\d{3}\.\d{3}|,\d{1,2}$|,\d{4,}$"
# `1,234` or `1.234`: thousands or decimals, the cell alone cannot say.
_AMBIGUOUS = r"[+-]?[1-9]\d{0,2}[.,]\d{3}"
_AMBIGUOUS_RAW = r"[^\d.,]*[1-9]\d{0,2}[.,]\d{3}[^\d.,]*"


def typed_numbers(fc: FileCleaner, frm: str, numbers: tuple[str, ...], money: tuple[str, ...] = ()) -> None:
    """Settle ambiguous separators per column, then flag number cells that could not be read.

    A cell like `1,234` reads as 1.234 at staging (`number_columns`). When other cells of the same
    column show which separator is the decimal one (`1,234.50`, `12.5`, `1.234.567` ...), the
    ambiguous cells are read that way. In a money column (`money`) without such evidence they are
    thousands (`$5,000`): an amount is never written with three decimals.
    """
    con = fc.con
    for c in numbers:
        # Most columns hold no ambiguous cell, and the evidence is then not needed: a cheap test on the
        # raw cells first (one separator and three digits, nothing but signs and currency around).
        ambiguous = con.execute(
            f"SELECT bool_or(regexp_full_match(cv_num_sign(cv_num_text({q(c)})), ?)) FROM {frm} "
            f"WHERE regexp_full_match({q(c)}, ?)", [_AMBIGUOUS, _AMBIGUOUS_RAW]).fetchone()[0]
        point = comma = False
        if ambiguous:
            point, comma = con.execute(
                f"SELECT bool_or(regexp_matches(s, ?)), bool_or(regexp_matches(s, ?)) FROM (SELECT "
                f"cv_num_sign(cv_num_text(v)) AS s FROM (SELECT DISTINCT {q(c)} AS v FROM {frm} "
                f"WHERE {q(c)} IS NOT NULL AND regexp_matches({q(c)}, '[.,]')))",
                [_POINT_DECIMAL, _COMMA_DECIMAL]).fetchone()
        if ambiguous and not (point and comma) and (point or comma or c in money):
            fc.facts[f"decimal_separator.{c}"] = "." if point else "," if comma else "none (thousands)"
            text = f"cv_num_sign(cv_num_text({q(c)}))"
            if point or comma:
                value, params = f"cv_num_dec({q(c)}, ?)", ["." if point else ","]
            else:  # no evidence, a money column: the separator in `1,234` or `1.234` groups thousands
                value, params = f"TRY_CAST(regexp_replace({text}, '[.,]', '') AS DOUBLE)", []
            con.execute(f"UPDATE {frm} SET {q(c + '__n')} = {value} WHERE regexp_full_match({text}, ?)",
                        params + [_AMBIGUOUS])
        fc.log("invalid.unparseable_number", "flagged", c, f"{q(c)} IS NOT NULL AND {q(c + '__n')} IS NULL",
               q(c), frm=frm)


INTEGER_MAX = 2_147_483_647  # the warehouse's INTEGER columns (employees) hold up to this


def integer_range(fc: FileCleaner, frm: str, integers: tuple[str, ...]) -> None:
    """invalid.number_out_of_range: a whole-number cell beyond what an INTEGER column holds -> NULL."""
    for c in integers:
        fc.change("invalid.number_out_of_range", "flagged", c, c + "__n", f"abs({q(c + '__n')}) > {INTEGER_MAX}",
                  "NULL", original=q(c), frm=frm)


def future_dates(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, main: str,
                 dates: tuple[str, ...]) -> None:
    """time_order.future_date: a date > 366 days after the 99th percentile of the main date -> NULL.

    Evidence test: the file's own dates: a date more than a year past the latest 1% of the file's
    main dates cannot have happened yet (a typed year such as 2031).
    """
    limit = con.execute(f"SELECT CAST(quantile_disc({q(main + '__d')}, 0.99) AS DATE) + INTERVAL 366 DAY "
                        f"FROM {frm}").fetchone()[0]
    if limit is None:
        return
    for c in dates:
        where = f"{q(c + '__d')} > CAST(? AS DATE)"
        fc.change("time_order.future_date", "flagged", c, c + "__d", where, "NULL", frm=frm, params=[limit])


def clean_bo_file(con: duckdb.DuckDBPyConnection, table: str, info: ReadInfo, layout: Layout,
                  off: frozenset[str] = frozenset()) -> FileCleaner:
    """Clean one BO file into its clean table; returns the file's cleaner (counts, accounts).

    Args:
        off: rules switched off by the mapping file (they change nothing).
    """
    spec = SPECS[table]
    fc = FileCleaner(con, "bo", info, f"raw_{table}", table, q(spec.pk), off=off)
    fc.start()
    columns = BO_INPUT_COLUMNS[table]
    used = {s for src in layout.fields.values() for s in src}
    extra_cols = [c for c in info.columns if c not in used]
    derived = [label_column(col, lbl, "value", col + "__l") for col, (lbl, _, _) in spec.labels.items()]
    derived += date_columns(spec.dates, info.kind == "xlsx") + number_columns(spec.numbers + spec.integers)
    derived += [label_column(col, "lbl_bool", "value", col + "__b") for col in spec.booleans]
    kept = stage_table(con, fc, layout, columns, extra_cols, list(spec.labels), derived)
    fc.structural("_t")
    fc.quarantine("missing.primary_key", f"no {spec.pk}: the row cannot be referenced", f"{q(spec.pk)} IS NULL",
                  "_t", column=spec.pk)
    fc.duplicates("_t", columns + kept, spec.pk)
    for col, (parent, pid, nullable) in spec.refs.items():
        cond = f"{q(col)} NOT IN (SELECT {q(pid)} FROM {parent} WHERE {q(pid)} IS NOT NULL)"
        if not nullable:
            cond = f"({q(col)} IS NULL OR {cond})"
        else:
            cond = f"({q(col)} IS NOT NULL AND {cond})"
        fc.quarantine("invalid.orphan", f"{col} refers to a {parent[:-1]} that is not in the clean {parent} table",
                      cond, "_t", column=col, original=q(col))
    # Labels (roles, statuses, stages).
    for col, (_, rule, unknown_rule) in spec.labels.items():
        canon = CANONICAL[rule.split(".")[1]]
        marks = ", ".join("?" for _ in canon)
        if unknown_rule:
            fc.quarantine(unknown_rule, f"{col} label not recognised", f"{q(col + '__l')} IS NULL", "_t",
                          column=col, original=q(col + "__orig"))
        else:
            fc.log(rule, "flagged", col, f"{q(col)} IS NOT NULL AND {q(col + '__l')} IS NULL", q(col + "__orig"),
                   frm="_t")
        fc.log(rule, "fixed", col, f"{q(col + '__l')} IS NOT NULL AND {q(col + '__orig')} NOT IN ({marks})",
               q(col + "__orig"), q(col + "__l"), frm="_t", params=list(canon))
    typed_dates(con, fc, "_t", spec.dates)
    typed_numbers(fc, "_t", spec.numbers + spec.integers)
    integer_range(fc, "_t", spec.integers)
    for col in spec.booleans:
        fc.log("invalid.unparseable_boolean", "flagged", col, f"{q(col)} IS NOT NULL AND {q(col + '__b')} IS NULL",
               q(col), frm="_t")
    future_dates(con, fc, "_t", spec.main_date, spec.dates)
    RULES[table](con, fc)
    return finish(con, fc, table, spec)


def _rules_staff(con, fc: FileCleaner) -> None:
    pass


def _rules_jobs(con, fc: FileCleaner) -> None:
    """Evidence tests: the column's unit. salary_k is in k€, so a salary above 1000 (a million) was
    typed in € (outlier.salary_in_euros, /1000); fee_rate is a fraction, so a rate in (1, 100] was
    typed in % (invalid.fee_rate_percent, /100); a rate <= 0 or > 100 fits neither and is blanked and
    flagged (invalid.fee_rate_range); a close date before the opening is blanked and flagged."""
    fc.change("outlier.salary_in_euros", "fixed", "salary_k", "salary_k__n", '"salary_k__n" > 1000',
              '"salary_k__n" / 1000')
    fc.change("invalid.fee_rate_percent", "fixed", "fee_rate", "fee_rate__n",
                '"fee_rate__n" > 1 AND "fee_rate__n" <= 100', '"fee_rate__n" / 100')
    fc.change("invalid.fee_rate_range", "flagged", "fee_rate", "fee_rate__n",
                '"fee_rate__n" <= 0 OR "fee_rate__n" > 100', "NULL")
    fc.change("time_order.closed_before_opened", "flagged", "closed_at", "closed_at__d",
                '"closed_at__d" < "opened_at__d"', "NULL")


def _rules_events(con, fc: FileCleaner) -> None:
    """duplicate.event: the same job, candidate, stage and date under two event ids (one event
    exported twice: nothing in them differs but the id); an event before its job opened is flagged."""
    fc.merge("duplicate.event", "event_id", "_t", '"job_id", "candidate_id", "stage__l", "event_date__d"',
             where='"event_date__d" IS NOT NULL')
    fc.log("time_order.event_before_job_opened", "flagged", "event_date",
           '"event_date__d" < (SELECT j.opened_at FROM jobs j WHERE j.job_id = _t.job_id)', '"event_date__d"',
           frm="_t")


def _rules_placements(con, fc: FileCleaner) -> None:
    """invalid.negative_fee: a fee is never negative in the placements file (credit notes are not
    exported there), so the sign is a typo: its absolute value is kept and the fix logged."""
    fc.change("invalid.negative_fee", "fixed", "fee_eur", "fee_eur__n", '"fee_eur__n" < 0', 'abs("fee_eur__n")')


def _rules_activities(con, fc: FileCleaner) -> None:
    """invalid.negative_minutes: minutes of effort <= 0 or above a day cannot be: blanked and flagged."""
    fc.change("invalid.negative_minutes", "flagged", "minutes", "minutes__n",
                '"minutes__n" <= 0 OR "minutes__n" > 1440', "NULL")


RULES = {"staff": _rules_staff, "clients": _rules_staff, "candidates": _rules_staff, "jobs": _rules_jobs,
         "pipeline_events": _rules_events, "placements": _rules_placements, "activities": _rules_activities}


def finish(con: duckdb.DuckDBPyConnection, fc: FileCleaner, table: str, spec: Spec) -> FileCleaner:
    """Insert the surviving rows, typed, into the clean table; write quarantine and row accounts."""
    exprs = []
    for col in TABLES_BY_NAME[table].column_names:
        if col in spec.dates:
            exprs.append(q(col + "__d"))
        elif col in spec.numbers:
            exprs.append(q(col + "__n"))
        elif col in spec.integers:
            exprs.append(f"CAST(round({q(col + '__n')}) AS INTEGER)")
        elif col in spec.labels:
            exprs.append(q(col + "__l"))
        elif col in spec.booleans:
            exprs.append(q(col + "__b"))
        elif col in spec.lower:
            exprs.append(f"lower({q(col)})")
        elif col == "is_repeat":
            exprs.append("CAST(NULL AS BOOLEAN)")
        elif col == "team":
            exprs.append(f"COALESCE({q(col)}, '(no team)')")
        else:
            exprs.append(q(col))
    before = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    # _t is in file order (insertion order is preserved), so the clean table is too.
    con.execute(f"INSERT INTO {table} SELECT {', '.join(exprs)} FROM _t")
    rows_clean = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] - before
    fc.quarantine_table_rows()
    fc.accounts = fc.account(rows_clean)
    return fc


def set_is_repeat(con: duckdb.DuckDBPyConnection) -> None:
    """jobs.is_repeat: the client had a job opened strictly before this one."""
    con.execute("UPDATE jobs SET is_repeat = COALESCE(jobs.opened_at > f.first_open, FALSE) FROM "
                "(SELECT client_id, MIN(opened_at) AS first_open FROM jobs GROUP BY client_id) f "
                "WHERE f.client_id = jobs.client_id")
    con.execute("UPDATE jobs SET is_repeat = FALSE WHERE is_repeat IS NULL")
