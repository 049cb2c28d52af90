"""Managers' link decisions: the overrides file, and applying it at build time.

The file is `overrides.csv` beside the warehouse, columns `kind,key,decision,target,note,decided_at`:

- kind: `client` (key = CRM company string as exported, target = BO client_id),
  `deal` (key = CRM deal id, target = BO job_id) or `owner` (key = CRM owner string, target = staff_id);
- decision: `accept` (take the proposed link, or `target` when given), `reject` (no link) or
  `link` (link to `target`);
- one decision per (kind, key): a new decision replaces the previous one.

Decisions beat the algorithm (status `override`) and survive every rebuild because the build
re-reads the file. Text cells that a spreadsheet would run as a formula are written with a
leading `'` (OWASP CSV injection) and read back without it, so keys stay exact.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.csvsafe import FORMULA_TRIGGERS, to_csv_bytes
from core.errors import InputFileError, UserError

COLUMNS = ["kind", "key", "decision", "target", "note", "decided_at"]
KINDS = ("client", "deal", "owner")
DECISIONS = ("accept", "reject", "link")

# Per kind: link table, its key column, its target column, the table targets must exist in.
_TABLES = {
    "client": ("client_links", "crm_company", "client_id", "clients"),
    "deal": ("deal_links", "deal_id", "job_id", "jobs"),
    "owner": ("owner_links", "crm_owner", "staff_id", "staff"),
}


def _unguard(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in "".join(FORMULA_TRIGGERS):
        return value[1:]
    return value


def read_overrides(path: Path | None) -> pd.DataFrame:
    """The decisions in the overrides file (latest per kind and key); empty when there is no file.

    Args:
        path: the overrides file, or None.

    Returns:
        DataFrame with COLUMNS, all text ("" when empty).

    Raises:
        InputFileError: the file is a folder or not CSV text, lacks one of the columns, or has a line
            whose kind or decision is unknown, or a `link` without a target (with its line number).
    """
    if path is None or not Path(path).exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    name = Path(path).name
    fix = "Fix or delete the file; decisions are re-entered from the Linking page."
    if not Path(path).is_file():
        raise InputFileError(name, "is not a file (the overrides file is a CSV file beside the warehouse).",
                             fix="Remove or rename it; decisions are re-entered from the Linking page.")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(name, "cannot be read as CSV (it is not UTF-8 text).", fix=fix) from err
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip().lower() for c in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputFileError(name, f"missing column(s) {', '.join(missing)}.",
                             fix=f"The header must be: {','.join(COLUMNS)}.")
    where = [header.index(c) for c in COLUMNS]
    records, lines = [], []
    start = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            records.append([_unguard(cells[i]) if i < len(cells) else "" for i in where])
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(records, columns=COLUMNS, dtype=object)
    for col in ("kind", "decision"):
        frame[col] = frame[col].str.strip().str.lower()
    frame["key"] = frame["key"].str.strip()
    frame["target"] = frame["target"].str.strip()
    for line, kind, decision, key, target in zip(lines, frame["kind"], frame["decision"], frame["key"],
                                                 frame["target"]):
        if kind not in KINDS:
            raise InputFileError(name, f"unknown kind {kind!r}.", line=line,
                                 fix=f"Use one of {', '.join(KINDS)}, or delete the line.")
        if decision not in DECISIONS:
            raise InputFileError(name, f"unknown decision {decision!r}.", line=line,
                                 fix=f"Use one of {', '.join(DECISIONS)}, or delete the line.")
        if not key:
            raise InputFileError(name, "a decision without a key (the company, deal or owner it is about).",
                                 line=line, fix="Fill the key or delete the line.")
        if decision == "link" and not target:
            raise InputFileError(name, "a `link` decision without a target.", line=line,
                                 fix="Give the client_id, job_id or staff_id to link to, or delete the line.")
    # Later lines win: the file is appended to in decision order.
    return frame.drop_duplicates(["kind", "key"], keep="last").reset_index(drop=True)


def apply_decision(overrides_path: Path, kind: str, key: str, decision: str,
                   target: str | None = None, note: str = "") -> None:
    """Record a manager's decision, replacing any earlier one for the same kind and key.

    The file is rewritten atomically (temporary file + rename), so a reader never sees half of it.

    Args:
        overrides_path: the overrides file (created when missing).
        kind: `client`, `deal` or `owner`.
        key: CRM company string, deal id or owner string, as in the link table.
        decision: `accept`, `reject` or `link`.
        target: client_id / job_id / staff_id (required for `link`, optional for `accept`).
        note: free text kept with the decision.

    Raises:
        UserError: unknown kind or decision, empty key, or `link` without a target.
    """
    if kind not in KINDS:
        raise UserError(f"Unknown link kind {kind!r}: use one of {', '.join(KINDS)}.")
    if decision not in DECISIONS:
        raise UserError(f"Unknown decision {decision!r}: use one of {', '.join(DECISIONS)}.")
    key = (key or "").strip()
    if not key:
        raise UserError("A decision needs the name or id it is about.")
    if decision == "link" and not (target or "").strip():
        raise UserError("Choose what to link to.")
    path = Path(overrides_path)
    frame = read_overrides(path)
    frame = frame[~((frame["kind"] == kind) & (frame["key"] == key))]
    row = {"kind": kind, "key": key, "decision": decision, "target": (target or "").strip(),
           "note": note or "", "decided_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".overrides-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(to_csv_bytes(frame[COLUMNS]))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _proposed_sql(kind: str) -> str:
    """Per key, the link the algorithm proposed (for `accept` without a target)."""
    if kind == "client":
        return "SELECT crm_company AS key, client_id AS proposed FROM link_candidates WHERE rank = 1"
    if kind == "deal":
        return ("SELECT deal_id AS key, regexp_extract(reason, '^job (.+?) fit ', 1) AS proposed "
                "FROM deal_links WHERE reason LIKE 'job % fit %'")
    return ("SELECT crm_owner AS key, regexp_extract(reason, '\\(([^()]+)\\)', 1) AS proposed "
            "FROM owner_links WHERE reason LIKE '%(%)%'")


def apply_overrides(con: duckdb.DuckDBPyConnection, overrides: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Apply the decisions of one kind to its link table (status `override`).

    Args:
        con: writable warehouse connection with the link table filled by the algorithm.
        overrides: output of `read_overrides`.
        kind: `client`, `deal` or `owner`.

    Returns:
        The log: DataFrame[kind, key, decision, target, applied (bool), message].
    """
    table, key_col, target_col, ref = _TABLES[kind]
    ref_key = {"client": "client_id", "deal": "job_id", "owner": "staff_id"}[kind]
    rows = overrides[overrides["kind"] == kind].copy()
    if rows.empty:
        return pd.DataFrame(columns=["kind", "key", "decision", "target", "applied", "message"])
    con.register("_ovr", rows)
    log = con.execute(f"""
        WITH o AS (SELECT * FROM _ovr),
        prop AS ({_proposed_sql(kind)}),
        r AS (
            SELECT o.*, l."{key_col}" IS NOT NULL AS known,
                   CASE WHEN o.decision = 'reject' THEN NULL
                        WHEN o.target <> '' THEN o.target
                        WHEN o.decision = 'accept' THEN nullif(p.proposed, '') END AS resolved
            FROM o LEFT JOIN "{table}" l ON l."{key_col}" = o.key
            LEFT JOIN prop p ON p.key = o.key
        )
        SELECT r.kind, r.key, r.decision, r.target, r.note, r.decided_at, r.resolved,
               CASE WHEN NOT r.known THEN 'not applied: not in this build'
                    WHEN r.decision IN ('accept', 'link') AND r.resolved IS NULL
                         THEN 'not applied: no target given and nothing proposed'
                    WHEN r.resolved IS NOT NULL AND t."{ref_key}" IS NULL
                         THEN 'not applied: ' || r.resolved || ' does not exist in {ref}'
                    WHEN r.decision NOT IN ('accept', 'reject', 'link')
                         THEN 'not applied: unknown decision ' || r.decision
                    ELSE 'applied' END AS message
        FROM r LEFT JOIN (SELECT DISTINCT "{ref_key}" FROM "{ref}") t ON t."{ref_key}" = r.resolved
    """).df()
    con.unregister("_ovr")
    if kind == "deal":
        # One job, one deal: of two decisions giving the same job, the later one counts.
        ok = log["message"].eq("applied") & log["resolved"].notna()
        later = log[ok].sort_values("decided_at").duplicated("resolved", keep="last")
        log.loc[later[later].index, "message"] = "not applied: a later decision gives this job to another deal"
    good = log[log["message"].eq("applied")].copy()
    good["why"] = ("manager's decision: " + good["decision"]
                   + np.where(good["resolved"].notna(), " → " + good["resolved"].fillna(""), "")
                   + np.where(good["note"] != "", " (" + good["note"] + ")", "")
                   + np.where(good["decided_at"] != "", " on " + good["decided_at"], ""))
    con.register("_good", good)
    con.execute(f"""
        UPDATE "{table}" SET "{target_col}" = g.resolved, status = 'override', reason = g.why
        FROM _good g WHERE "{table}"."{key_col}" = g.key
    """)
    if kind == "deal":
        con.execute("""
            UPDATE deal_links SET job_id = NULL, status = 'none',
                   reason = 'job ' || g.resolved || ' given to deal ' || g.key || ' by a manager''s decision'
            FROM _good g
            WHERE deal_links.job_id = g.resolved AND deal_links.deal_id <> g.key AND deal_links.status <> 'override'
        """)
    con.unregister("_good")
    log["applied"] = log["message"].eq("applied")
    return log[["kind", "key", "decision", "target", "applied", "message"]]
