"""The DuckDB warehouse: build it from the exports (atomic swap), open it read-only, summarise a build.

A build writes a new database file beside the target and swaps it in with `os.replace`
only when everything (reading, cleaning, linking, row accounts) succeeded: readers never
see a half-built warehouse and a failed or killed build leaves the last good one in place.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.clean.bo import ORDER as BO_ORDER
from core.clean.bo import clean_bo_file, set_is_repeat
from core.clean.crm import clean_deals
from core.clean.engine import QUARANTINE_CHECK, FileCleaner, q, rules_switched_off
from core.clean.extra import clean_accounts, clean_teams
from core.clean.labels import register_labels
from core.clean.sql import create_macros
from core.errors import InputFileError, UserError, WarehouseMissing
from core.io.footer import drop_footer
from core.io.layouts import (
    ACCOUNTS_HEADERS,
    ACCOUNTS_REQUIRED,
    TEAMS_HEADERS,
    TEAMS_REQUIRED,
    bo_layout,
    crm_known_names,
    crm_layout,
    known_for,
    load_mapping,
    missing_columns_error,
    resolve,
)
from core.io.propose import proposal_text
from core.io.readers import ReadInfo, load_raw
from core.io.text import normalise_name
from core.link import link_all
from core.metrics.derived import check_facts, create_derived_tables
from core.schema import ALL_TABLES, BO_INPUT_COLUMNS, SCHEMA_VERSION

Progress = Callable[[str, float], None]
BO_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
MEMORY_LIMIT = "4GB"
# What `connect` says of a warehouse built by an older version (the app words its rebuild offer on it).
OUTDATED = "was built by an older version of Crossview"
# A rule that moves the won amount by more than this share is called out in the build summary.
WON_SHIFT_CALLOUT = 0.05
CHECKPOINT_THRESHOLD = "64GB"
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
MARKER_TABLES = ("build_log", "row_accounts")  # a DuckDB file holding both is a Crossview warehouse
# The environment's refusals (full disk, read-only folder, no permission): told as a sentence, not a traceback.
_NO_WRITE = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
             errno.EFBIG: "the file grew past the size the system allows", errno.EROFS: "the folder is read-only",
             errno.EACCES: "permission denied", errno.EPERM: "permission denied"}
_NO_WRITE_TEXT = {"No space left on device": "the disk is full", "Read-only file system": "the folder is read-only",
                  "Permission denied": "permission denied", "File too large": "the file grew past the size "
                  "the system allows", "Disk quota exceeded": "the disk quota is used up"}


class RowAccountsError(RuntimeError):
    """The build lost or invented rows: rows_in != rows_clean + rows_quarantined + rows_merged."""


EFFECT_KEYS = ("source", "file", "step", "rule", "status", "rows", "deals_before", "deals_after",
               "won_amount_before", "won_amount_after", "win_rate_before", "win_rate_after")


class MostlyQuarantined(InputFileError):
    """More than half of the deals were quarantined and the user did not confirm it."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bo_files(folder: Path) -> dict[str, Path]:
    """The BO export files found in a folder, by table (file name = table name, any case).

    Raises:
        InputFileError: no such folder, no BO file in it, two files for one table (`STAFF.txt` and
            `staff.csv`), or a file that is a link to something outside the folder (never followed).
    """
    if not folder.exists() or not folder.is_dir():
        raise InputFileError(str(folder), "BO export folder not found.",
                             fix="Give the folder that holds staff.csv, clients.csv, jobs.csv…")
    inside = folder.resolve()
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        stem = normalise_name(path.stem).replace(" ", "_")
        if path.suffix.lower() in BO_SUFFIXES and stem in BO_INPUT_COLUMNS:
            found.setdefault(stem, []).append(path)
    for table, paths in found.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            raise InputFileError(str(folder), f"{names} are both the BO {table} file, so one of them would be "
                                 "left out.", fix=f"Keep only one {table} file in the folder.")
        path = paths[0]
        if path.is_symlink() and inside not in path.resolve().parents:
            # The link's target is never opened: its content is not ours to read or to quote.
            raise InputFileError(path.name, "is a link to a file outside the BO folder, which Crossview does not "
                                 "follow.", fix="Copy the export itself into the folder.")
        if not path.is_file():
            raise InputFileError(path.name, "is not a file.", fix="Put the BO export files themselves in the folder.")
    if not found:
        names = ", ".join(f"{t}.csv" for t in BO_INPUT_COLUMNS)
        raise InputFileError(str(folder), "no BO export file found in this folder.", fix=f"Expected: {names}.")
    return {table: paths[0] for table, paths in found.items()}


def is_warehouse(db: Path) -> bool:
    """Whether `db` is a DuckDB file holding Crossview's marker tables (read-only look, nothing written)."""
    try:
        with db.open("rb") as fh:
            if fh.read(12)[8:12] != DUCKDB_MAGIC:
                return False
    except OSError:
        return False
    con = duckdb.connect(":memory:")
    try:
        path = str(db.resolve()).replace("'", "''")
        con.execute(f"ATTACH '{path}' AS wh (READ_ONLY)")
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh'")
                  .fetchall()}
        return set(MARKER_TABLES) <= tables
    except duckdb.Error:
        return False
    finally:
        con.close()


def check_target(db: Path, replace_unreadable: bool = False) -> None:
    """Refuse a warehouse path the build must not write, before any work.

    Raises:
        UserError: an empty path, a folder, a path under a file, or an existing file that is not a
            Crossview warehouse (unless `replace_unreadable`).
    """
    if str(db) in ("", "."):
        raise UserError("No warehouse path given: --db needs a file name, e.g. --db data/crossview.duckdb.")
    if db.is_dir():
        raise UserError(f"{db} is a folder: give the warehouse file's path, e.g. {db / 'crossview.duckdb'}.")
    ancestor = db.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise UserError(f"{db} cannot be written: {ancestor} is a file, not a folder.")
    if (db.exists() or db.is_symlink()) and not replace_unreadable and not is_warehouse(db):
        raise UserError(f"{db} exists and is not a Crossview warehouse, so the build will not replace it. "
                        "Give another --db path (a new file, or an earlier warehouse), or move that file away.")


def _cannot_write(db: Path, err: BaseException) -> UserError | None:
    """A sentence for an environment that refuses the build's writes beside `db` (None for any other error,
    e.g. an input file that cannot be read)."""
    if isinstance(err, OSError):
        why = _NO_WRITE.get(err.errno or 0)
        name = err.filename
        if name is not None and Path(os.fsdecode(name)).resolve().parent != db.parent.resolve() \
                and db.parent.resolve() not in Path(os.fsdecode(name)).resolve().parents:
            return None
    else:
        text = str(err)
        why = next((reason for key, reason in _NO_WRITE_TEXT.items() if key in text), None)
        if f".{db.name}.building-" not in text and "No space left" not in text:
            return None
    if why is None:
        return None
    return UserError(f"The warehouse could not be written in {db.parent or Path('.')}: {why}. The previous "
                     "warehouse is unchanged. Free some space or choose a folder you can write to (--db).")


def _stale_cleanup(db: Path) -> None:
    """Remove temporary build files left by a build that was killed (its process is gone)."""
    for path in db.parent.glob(f".{db.name}.building-*"):
        try:
            pid = int(path.name.split("building-")[1].split("-")[0])
            os.kill(pid, 0)
            continue  # that build is still running
        except (ValueError, IndexError):
            pass
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)  # re-encoded copies of the inputs
        else:
            path.unlink(missing_ok=True)


class _Build:
    """One build's state: the connection to the new file, the log, the summary."""

    def __init__(self, con: duckdb.DuckDBPyConnection, progress: Progress | None, temp_dir: Path):
        self.con = con
        self.progress = progress
        self.temp_dir = temp_dir
        self.built_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.log: list[tuple[str, str, str, float | None, str | None]] = []
        self.files: list[dict] = []
        self.cleaners: list[FileCleaner] = []
        self.warnings: list[str] = []
        self.footer: dict[str, int] = {}
        self.effects: list[tuple] = []
        self.t0 = time.perf_counter()

    def step(self, name: str, fraction: float) -> None:
        if self.progress:
            self.progress(name, fraction)

    def info(self, file: str, name: str, text: str) -> None:
        self.log.append((file, "info", name, None, text))

    def timing(self, name: str, start: float) -> None:
        self.log.append(("*", "timing", name, round(time.perf_counter() - start, 3), None))

    def read(self, path: Path, table: str, known: set[str]) -> ReadInfo:
        start = time.perf_counter()
        info = load_raw(self.con, path, table, known, temp_dir=self.temp_dir)
        self.footer[info.file] = drop_footer(self.con, table, info)
        # The CSV reader hashes the bytes as it reads them; other files are read once more for it.
        self.log.append((info.file, "checksum", "sha256", None, info.sha256 or _sha256(path)))
        for name, value in (("kind", info.kind), ("encoding", info.encoding), ("delimiter", info.delimiter),
                            ("sheet", info.sheet), ("header_line", str(info.header_line)), ("parser", info.parser)):
            if value is not None:
                self.info(info.file, name, value)
        for note in info.notes:
            self.info(info.file, "note", note)
        if info.formulas:
            source = "bo" if table.removeprefix("raw_") in BO_INPUT_COLUMNS else "crm"
            self.con.executemany("INSERT INTO data_issues VALUES (?, ?, ?, NULL, ?, 'missing.formula_value', ?, NULL, "
                                 "'flagged')", [(source, info.file, rn, col, formula) for rn, col, formula in info.formulas])
            self.log.append((info.file, "rule", "missing.formula_value", float(len(info.formulas)), None))
            self.warnings.append(f"{info.file}: {len(info.formulas)} cell(s) hold a formula whose value was never "
                                 "saved and read as empty; open and save the workbook in Excel, or export values.")
        self.timing(f"read {info.file}", start)
        return info

    def done(self, fc: FileCleaner) -> None:
        self.cleaners.append(fc)
        for column, why in fc.day_first.items():
            self.info(fc.file, f"date_order.{column}", why)
        for name, text in fc.facts.items():
            self.info(fc.file, name, text)
        self.warnings.extend(fc.warnings)
        for rule, n in sorted(fc.counts.items()):
            self.log.append((fc.file, "rule", rule, float(n), None))
        for rule, why in fc.evidence.items():
            self.info(fc.file, f"evidence.{rule}", why)
        for rule in sorted(fc.off):
            self.info(fc.file, "rule_off", rule)
        # A rule that touched nothing (and is on) changed no total: not listed.
        for e in (e for e in fc.effects if e["rows"] or e["status"] == "off"):
            self.effects.append((fc.source, fc.file, len(self.effects) + 1, e["rule"], e["status"], e["rows"],
                                 e["deals_before"], e["deals_after"], e["won_amount_before"],
                                 e["won_amount_after"], e["win_rate_before"], e["win_rate_after"]))
        for key, n in fc.accounts.items():
            self.log.append((fc.file, "rows", key, float(n), None))
        self.files.append({"source": fc.source, "file": fc.file, "table": fc.table, **fc.accounts,
                           "rows_footer": self.footer.get(fc.file, 0),
                           "encoding": fc.info.encoding, "delimiter": fc.info.delimiter, "sheet": fc.info.sheet})


def _owner_issues(b: _Build, crm_file: str) -> None:
    """inconsistent.owner_name: deals whose owner string resolved (auto/override) to a differently written staff name.

    Owner resolution itself (owner_links, deals.owner_id) is the linking step's; the issue rows are
    written from its result. deals.owner_raw is already trimmed, as owner_links.crm_owner is.
    """
    n = b.con.execute("""INSERT INTO data_issues
        SELECT 'crm', ?, r.rn, d.deal_id, 'owner', 'inconsistent.owner_name', d.owner_raw, s.name, 'fixed'
        FROM deals d JOIN _deal_rn r ON r.deal_id = d.deal_id
             JOIN owner_links o ON o.crm_owner = d.owner_raw
             JOIN staff s ON s.staff_id = o.staff_id
        WHERE o.status IN ('auto', 'override') AND d.owner_raw <> s.name ORDER BY r.rn""", [crm_file]).fetchone()[0]
    if n:
        b.log.append((crm_file, "rule", "inconsistent.owner_name", float(n), None))


def _teams_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _team_info (team VARCHAR, manager VARCHAR, office VARCHAR)")
    con.execute("""INSERT INTO teams
        SELECT s.team, MAX(i.manager), MAX(i.office),
               COUNT(*) FILTER (WHERE s.role = 'sales'), COUNT(*) FILTER (WHERE s.role = 'coach')
        FROM staff s LEFT JOIN _team_info i ON i.team = s.team GROUP BY s.team ORDER BY s.team""")


def _check_accounts(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute("SELECT file, rows_in, rows_clean, rows_quarantined, rows_merged FROM row_accounts "
                      "WHERE rows_in <> rows_clean + rows_quarantined + rows_merged").fetchall()
    if bad:
        raise RowAccountsError("row accounts do not balance: " + "; ".join(
            f"{f}: in {i} != clean {c} + quarantined {qq} + merged {m}" for f, i, c, qq, m in bad))


# What each CRM field is needed for, said when an export has no column for it.
CRM_FIELD_USES = {
    "company": "top accounts, the link to back-office clients and per-client figures have no CRM deals",
    "created_at": "the sales cycle, deals created per period and the age of open deals cannot be computed",
    "closed_at": "won and lost deals have no close date, so won amounts by month and the sales cycle cannot "
                 "be computed",
    "owner": "figures per salesperson and per team show no owner",
    "deal_name": "deals have no name, so re-entered duplicates cannot be recognised",
}


def _check_unmatched(info: ReadInfo, layout, section: str) -> None:
    """Refuse a mapping section that names a header the file does not have."""
    if layout.unmatched:
        field, wanted = next(iter(layout.unmatched.items()))
        null = f", or write {field}: null if the file has no such column" if section == "crm" else ""
        raise InputFileError(info.file, f"the mapping file gives {', '.join(repr(w) for w in wanted)} as the "
                             f"column for {field}, and this file has no such header.",
                             fix=f"Correct the mapping's {section}.{field} (headers: "
                             f"{', '.join(repr(h) for h in info.columns[:30])}){null}.")


def _check_crm_layout(b: _Build, info: ReadInfo, layout) -> None:
    """Refuse a CRM export whose layout is not recognised (proposing a mapping); say which fields it lacks."""
    _check_unmatched(info, layout, "crm")
    if layout.missing:
        sample = b.con.execute("SELECT * EXCLUDE (_row_number, _extra) FROM raw_deals LIMIT 200").df()
        samples = {h: sample[h].dropna().astype(str).tolist() for h in info.columns if h in sample}
        raise InputFileError(info.file, proposal_text(info.file, layout.missing, layout.fields, info.columns,
                                                      samples))
    for field in ("deal_id", *CRM_FIELD_USES):  # without ids, the cleaning says what numbering them costs
        if field not in layout.fields:
            b.info(info.file, "missing_field", field)
            if field in CRM_FIELD_USES:
                b.warnings.append(f"{info.file} has no column for {field}: {CRM_FIELD_USES[field]}.")


def _check_quarantined(con: duckdb.DuckDBPyConnection, fc: FileCleaner, confirmed: bool) -> list[dict]:
    """The unknown stage labels of the deals file with their counts; stops the build when more than
    half of its deals were quarantined (deals left out by the mapping aside) and it was not confirmed.

    Raises:
        MostlyQuarantined: with the rules that quarantined the deals and the unknown labels.
    """
    labels = [{"label": label, "rows": int(n)} for label, n in con.execute(
        "SELECT original_value, COUNT(*) AS n FROM data_issues WHERE file = ? AND rule = 'invalid.unknown_stage' "
        "GROUP BY 1 ORDER BY n DESC, 1", [fc.file]).fetchall()]
    by_rule = con.execute("SELECT rule, COUNT(*) AS n FROM _q WHERE rule <> 'excluded.stage_left_out' "
                          "GROUP BY 1 ORDER BY n DESC, 1").fetchall()
    quarantined = sum(n for _, n in by_rule)
    rows_in = fc.accounts.get("rows_in", 0)
    if confirmed or QUARANTINE_CHECK in fc.off or quarantined * 2 <= rows_in:
        return labels
    why = "; ".join(f"{rule} {n:,}" for rule, n in by_rule)
    unknown = ", ".join(f"'{x['label']}' ({x['rows']:,})" for x in labels)
    confirm = (f"confirm with --allow-quarantine (or \"rules\": {{\"{QUARANTINE_CHECK}\": \"off\"}} in the "
               "mapping file)")
    raise MostlyQuarantined(
        fc.file, f"{quarantined:,} of {rows_in:,} deals would be quarantined ({why})."
        + (f" Stage labels not recognised: {unknown}." if labels else ""),
        fix=(f"Map these labels to open, won, lost or leave out in the mapping file's \"stages\", or {confirm}."
             if labels else f"See docs/data-quality.md for each rule, or {confirm}."))


def _run(b: _Build, crm: Path | None, bo: Path | None, mapping: dict, teams: Path | None,
         accounts: Path | None, overrides: Path, off: frozenset[str] = frozenset(),
         allow_quarantine: bool = False) -> dict:
    con = b.con
    for table in ALL_TABLES:
        con.execute(table.ddl())
    create_macros(con)
    register_labels(con, mapping.get("stages"))
    con.execute("CREATE TEMP TABLE _deal_rn (deal_id VARCHAR, rn BIGINT)")

    bo_paths = bo_files(bo) if bo is not None else {}
    for table in BO_INPUT_COLUMNS:
        if bo is not None and table not in bo_paths:
            b.warnings.append(f"BO file {table}.csv not found: table {table} is empty")
            b.info("*", "missing_file", f"{table}.csv")
    # Read everything first: a file that cannot be used stops the build before any cleaning.
    crm_info = None
    if crm is not None:
        b.step("reading CRM export", 0.02)
        crm_info = b.read(crm, "raw_deals", crm_known_names(mapping))
        crm_lay = crm_layout(crm_info.columns, mapping)
        _check_crm_layout(b, crm_info, crm_lay)
    bo_infos = {}
    for i, table in enumerate(t for t in BO_ORDER if t in bo_paths):
        b.step(f"reading {bo_paths[table].name}", 0.05 + 0.25 * i / len(BO_ORDER))
        info = b.read(bo_paths[table], f"raw_{table}", {normalise_name(c) for c in BO_INPUT_COLUMNS[table]})
        lay = bo_layout(table, info.columns)
        if lay.missing:
            raise missing_columns_error(info.file, f"BO {table} file", lay.missing, info.columns)
        for col in BO_INPUT_COLUMNS[table]:
            if col not in lay.fields:
                b.info(info.file, "missing_column", col)
        bo_infos[table] = (info, lay)
    side = {}
    for path, name, table, required, section in ((teams, "teams", TEAMS_HEADERS, TEAMS_REQUIRED, "teams"),
                                                 (accounts, "accounts", ACCOUNTS_HEADERS, ACCOUNTS_REQUIRED,
                                                  "accounts")):
        if path is None:
            continue
        info = b.read(path, f"raw_{name}", known_for(table, mapping.get(section)))
        lay = resolve(info.columns, table, required, mapping.get(section))
        _check_unmatched(info, lay, section)
        if lay.missing:
            raise missing_columns_error(info.file, f"{name} file", lay.missing, info.columns, table)
        side[name] = (info, lay)

    start = time.perf_counter()
    for i, (table, (info, lay)) in enumerate(bo_infos.items()):
        b.step(f"cleaning {info.file}", 0.3 + 0.3 * i / len(BO_ORDER))
        t = time.perf_counter()
        b.done(clean_bo_file(con, table, info, lay, off))
        b.timing(f"clean {info.file}", t)
    if "jobs" in bo_infos:
        set_is_repeat(con)
    if "teams" in side:
        info, lay = side["teams"]
        fc = FileCleaner(con, "crm", info, "raw_teams", "staff", q("staff_id"))
        clean_teams(con, fc, lay, add_staff="staff" not in bo_infos)
        b.done(fc)
    if "accounts" in side:
        info, lay = side["accounts"]
        fc = FileCleaner(con, "crm", info, "raw_accounts", "clients", q("client_id"))
        clean_accounts(con, fc, lay)
        b.done(fc)
    if crm_info is not None:
        b.step(f"cleaning {crm_info.file}", 0.62)
        t = time.perf_counter()
        fc = clean_deals(con, crm_info, crm_lay, off)
        b.done(fc)
        unknown_stages = _check_quarantined(con, fc, allow_quarantine)
        b.timing(f"clean {crm_info.file}", t)
    else:
        unknown_stages = []
    b.timing("clean", start)

    b.step("linking", 0.7)
    start = time.perf_counter()
    linking = link_all(b.con, overrides, crm_only=bo is None)
    b.timing("link", start)
    if crm_info is not None:
        _owner_issues(b, crm_info.file)
    _teams_table(con)
    b.info("*", "schema_version", SCHEMA_VERSION)
    b.step("writing the fact tables (jobs, placements, clients per year)", 0.9)
    start = time.perf_counter()
    create_derived_tables(con)
    broken = check_facts(con)
    if broken:
        raise RowAccountsError("fact tables break their invariants: " + "; ".join(broken))
    b.timing("derive", start)
    b.step("checking row accounts", 0.95)
    _check_accounts(con)
    if b.effects:
        con.executemany("INSERT INTO rule_effects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", b.effects)
    return {"linking": linking, "unknown_stages": unknown_stages}


def build(crm: Path | None, bo: Path | None, db: Path, mapping: Path | None = None, teams: Path | None = None,
          accounts: Path | None = None, overrides: Path | None = None,
          progress: Progress | None = None, allow_quarantine: bool = False,
          replace_unreadable: bool = False) -> dict:
    """Import, clean, link and load the exports into a DuckDB warehouse at `db` (atomic swap).

    Args:
        crm: CRM deals export (CSV/XLSX), or None for a BO-only build.
        bo: BO export folder, or None for a CRM-only build.
        db: warehouse file to (re)place.
        mapping: mapping file (JSON/YAML, docs/inputs.md) for unrecognised layouts and stage labels.
        teams: salespeople and their teams (CRM-only builds).
        accounts: client companies with attributes.
        overrides: link decisions file; default `overrides.csv` beside `db`.
        progress: called with (step, fraction done).
        allow_quarantine: build even when more than half of the deals are quarantined.
        replace_unreadable: replace a file at `db` that is not a readable Crossview warehouse (the
            app's rebuild of a damaged warehouse); otherwise such a file is refused.

    Returns:
        Summary: {db, built_at, seconds, files: [{source, file, table, rows_in, rows_clean,
        rows_quarantined, rows_merged, encoding, delimiter, sheet}], issues: [{source, file, rule,
        action, rows}], linking: link_all's summary or None, warnings: [..], crm_only, bo_only,
        rule_effects: [rule_effects rows as dicts], rules_off: [rule ids], unknown_stages:
        [{label, rows}]}.

    Raises:
        UserError / InputFileError: unusable input, a `db` path that must not be written (see
            `check_target`), a full disk or a read-only folder; the existing warehouse is left untouched.
        RowAccountsError: the row accounts do not balance (the build is not swapped in).
        MostlyQuarantined: more than half of the deals quarantined, not confirmed (nothing swapped in).
    """
    if crm is None and bo is None:
        raise UserError("Nothing to build: give a CRM export, a BO folder, or both.")
    db = Path(db)
    check_target(db, replace_unreadable)
    overrides = Path(overrides) if overrides else db.parent / "overrides.csv"
    mapping_data = load_mapping(Path(mapping) if mapping else None)
    off = rules_switched_off(mapping_data.get("rules") or {}, Path(mapping).name if mapping else "mapping")
    stem = db.parent / f".{db.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp, work = stem.with_name(stem.name + ".duckdb"), stem.with_name(stem.name + ".tmp")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        _stale_cleanup(db)
        # Re-encoded copies of the inputs go in a folder of their own, removed with the build's other files.
        work.mkdir()
        con = duckdb.connect(str(tmp))
    except (OSError, duckdb.Error) as err:
        shutil.rmtree(work, ignore_errors=True)
        raise _cannot_write(db, err) or err
    b = _Build(con, progress, work)
    try:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = true")
        # One checkpoint at the end: the automatic ones a long load triggers cost about 3 s of a 40 s
        # build at 1M deals.
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        extra = _run(b, Path(crm) if crm else None, Path(bo) if bo else None, mapping_data,
                     Path(teams) if teams else None, Path(accounts) if accounts else None, overrides,
                     off, allow_quarantine)
        b.step("writing the warehouse", 0.97)
        b.log.append(("*", "timing", "total", round(time.perf_counter() - b.t0, 3), None))
        con.executemany("INSERT INTO build_log VALUES (?, ?, ?, ?, ?, ?)",
                        [(b.built_at, *row) for row in b.log])
        issues = con.execute("""SELECT source, file, rule, action, COUNT(*) AS rows FROM data_issues
                                GROUP BY ALL ORDER BY source, file, rule, action""").fetchall()
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, db)
    except BaseException as err:
        try:
            con.close()
        except duckdb.Error:
            pass
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        refusal = _cannot_write(db, err) if isinstance(err, (OSError, duckdb.Error)) else None
        if refusal is not None:
            raise refusal from err
        raise
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    b.step("done", 1.0)
    return {
        "db": str(db), "built_at": b.built_at.isoformat(), "seconds": round(time.perf_counter() - b.t0, 2),
        "files": b.files,
        "issues": [dict(zip(("source", "file", "rule", "action", "rows"), r)) for r in issues],
        "linking": extra["linking"], "warnings": b.warnings, "crm_only": bo is None, "bo_only": crm is None,
        "rule_effects": [dict(zip(EFFECT_KEYS, e)) for e in b.effects], "rules_off": sorted(off),
        "unknown_stages": extra["unknown_stages"],
    }


@contextmanager
def connect(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse (the file is attached read-only and made current).

    Each call opens the file afresh, so a connection opened after a rebuild sees the new
    warehouse while older ones keep reading the one they opened.

    Raises:
        WarehouseMissing: no file at `db`, or a file that is not a readable Crossview warehouse.
    """
    db = Path(db)
    hint = f"Build it with: python -m core build --crm FILE --bo DIR --db {db}"
    if not db.is_file():
        raise WarehouseMissing(f"No warehouse at {db}. {hint}")
    con = duckdb.connect(":memory:")
    try:
        path = str(db.resolve()).replace("'", "''")
        con.execute(f"ATTACH '{path}' AS wh (READ_ONLY)")
        con.execute("USE wh")
        con.execute("SELECT 1 FROM row_accounts LIMIT 1").fetchall()
        version = con.execute("SELECT MAX(text) FROM build_log WHERE file = '*' AND kind = 'info' "
                              "AND name = 'schema_version'").fetchone()[0]
    except duckdb.Error as err:
        con.close()
        first = str(err).splitlines()[0][:200]
        raise WarehouseMissing(f"The warehouse {db} cannot be opened ({first}); it may be damaged or not "
                               f"a Crossview warehouse. Rebuild it. {hint}") from err
    if version != SCHEMA_VERSION:
        con.close()
        raise WarehouseMissing(f"The warehouse {db} {OUTDATED} (warehouse "
                               f"version {version or '1'}, this version reads {SCHEMA_VERSION}): its fact tables "
                               f"are missing or out of date. Rebuild it from the same exports (Data page, or "
                               f"python -m core build …). {hint}")
    try:
        yield con
    finally:
        con.close()


def _cleaning_lines(summary: dict) -> list[str]:
    """What the CRM rules did to the headline totals, the rules switched off, the unknown stage labels."""
    lines = []
    effects = summary.get("rule_effects") or []
    if effects:
        lines.append("Effect of each CRM rule (deals, won amount, win rate: before -> after):")
        for e in effects:
            rate = "" if e["win_rate_before"] is None or e["win_rate_after"] is None else \
                f", {e['win_rate_before']:.1%} -> {e['win_rate_after']:.1%}"
            state = "off (would touch" if e["status"] == "off" else "("
            lines.append(f"  {e['rule']:<34} {state} {e['rows']:,} rows): {e['deals_before']:,} -> "
                         f"{e['deals_after']:,} deals, {e['won_amount_before']:,.0f} -> {e['won_amount_after']:,.0f}"
                         f"{rate}")
        for e in effects:
            before, after = e["won_amount_before"], e["won_amount_after"]
            if before and abs(after - before) > WON_SHIFT_CALLOUT * abs(before):
                lines.append(f"note: {e['rule']} moved the won amount by {(after - before) / before:+.1%} "
                             f"({before:,.0f} -> {after:,.0f}); check it on the Data page, or switch it off "
                             f"in the mapping file (\"rules\": {{\"{e['rule']}\": \"off\"}}).")
    if summary.get("rules_off"):
        lines.append("Rules switched off: " + ", ".join(summary["rules_off"]))
    labels = summary.get("unknown_stages") or []
    if labels:
        lines.append("Stage labels not recognised (deals quarantined): " + ", ".join(
            f"'{x['label']}' {x['rows']:,}" for x in labels))
    return lines


def format_summary(summary: dict) -> str:
    """A build summary as short text: rows per file, issues per rule, linking, warnings."""
    lines = [f"Warehouse {summary.get('db')} built in {summary.get('seconds', 0):.1f} s."]
    files = summary.get("files") or []
    if files:
        # A workbook's line names the sheet that was read.
        names = [f["file"] + (f" (sheet {f['sheet']!r})" if f.get("sheet") else "") for f in files]
        width = max(len(n) for n in names)
        lines.append(f"{'file':<{width}}  {'rows in':>9} {'clean':>9} {'quarant.':>9} {'merged':>9}")
        for name, f in zip(names, files):
            lines.append(f"{name:<{width}}  {f['rows_in']:>9,} {f['rows_clean']:>9,} "
                         f"{f['rows_quarantined']:>9,} {f['rows_merged']:>9,}")
        for f in files:
            if f.get("rows_footer"):
                lines.append(f"{f['file']}: {f['rows_footer']} report footer line(s) below the data dropped "
                             "(not records)")
    issues = summary.get("issues") or []
    if issues:
        lines.append("Issues by rule:")
        totals: dict[tuple[str, str], int] = {}
        for i in issues:
            key = (i["rule"], i["action"])
            totals[key] = totals.get(key, 0) + int(i["rows"])
        for (rule, action), n in sorted(totals.items()):
            lines.append(f"  {rule:<38} {action:<12} {n:>9,}")
    lines += _cleaning_lines(summary)
    linking = summary.get("linking")
    if linking:
        lines.append("Linking:")
        for kind in ("client", "deal", "owner"):
            part = linking.get(kind)
            if isinstance(part, dict):
                lines.append(f"  {kind:<7} " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                                          for k, v in part.items()))
        cov = linking.get("coverage")
        if isinstance(cov, dict):
            lines.append("  coverage " + ", ".join(
                f"{k} {v:.0%}" if isinstance(v, float) else f"{k} {v}" for k, v in cov.items()))
    for w in summary.get("warnings") or []:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
