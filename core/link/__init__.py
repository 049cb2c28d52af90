"""Linking the CRM to the back office: companies → clients, deals → jobs, owners → staff.

`link_all` is called by the warehouse build once the clean tables are loaded; it fills the
link tables, applies the managers' decisions from the overrides file, and sets
`deals.owner_id`. See docs/linking.md for the method, thresholds and the overrides file.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from core.link.clients import client_keys, explain_duplicate_ties, find_client_duplicates, link_clients
from core.link.deals import link_deals
from core.link.overrides import KINDS, apply_decision, apply_overrides, read_overrides
from core.link.owners import link_owners
from core.link.review import coverage, deals_without_job, jobs_without_deal, review_queue
from core.schema import LINK_STATUSES

__all__ = [
    "apply_decision",
    "coverage",
    "deals_without_job",
    "jobs_without_deal",
    "link_all",
    "review_queue",
]


def _counts(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    rows = dict(con.execute(f'SELECT status, count(*) FROM "{table}" GROUP BY status').fetchall())
    return {s: int(rows.get(s, 0)) for s in LINK_STATUSES}


def _log(con: duckdb.DuckDBPyConnection, entries: list[tuple[str, str, str, float | None, str | None]]) -> None:
    """Append (file, kind, name, value, text) facts to build_log."""
    if not entries:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    frame = pd.DataFrame(entries, columns=["file", "kind", "name", "value", "text"])
    frame.insert(0, "built_at", now)
    con.register("_link_log", frame)
    con.execute("INSERT INTO build_log SELECT built_at, file, kind, name, value, text FROM _link_log")
    con.unregister("_link_log")


def link_all(con: duckdb.DuckDBPyConnection, overrides_path: Path | None, crm_only: bool) -> dict:
    """Fill every link table, apply the overrides file, and resolve deal owners.

    Order: CRM companies → BO clients (then client overrides, so deal linking follows a
    manager's company decision); duplicates inside the BO client list; owners → staff (in a
    CRM-only build, unmatched owner variants are grouped into new `crm:<slug>` staff rows),
    owner overrides, `deals.owner_id`; deals → jobs, deal overrides. Every applied or
    skipped decision and each step's time is written to `build_log`.

    Args:
        con: writable warehouse connection; clean tables loaded, link tables empty.
        overrides_path: the overrides file (may not exist yet), or None for none.
        crm_only: True when the build has no BO export.

    Returns:
        {"client": {auto, review, none, override}, "deal": {...}, "owner": {...},
         "coverage": {"deals", "amount", "revenue"} (shares after review, None when no total),
         "client_duplicates": int, "overrides": {"applied": int, "skipped": int}}.
    """
    overrides = read_overrides(overrides_path)
    file_name = Path(overrides_path).name if overrides_path else "*"
    timings: list[tuple[str, str, str, float | None, str | None]] = []
    logs: list[pd.DataFrame] = []

    start = time.perf_counter()
    # The client list is normalised once: company linking and duplicate detection both use it
    # (overrides only touch link tables, never `clients`).
    clients = client_keys(con)
    link_clients(con, clients)
    logs.append(apply_overrides(con, overrides, "client"))
    timings.append(("*", "timing", "link.clients", time.perf_counter() - start, None))

    start = time.perf_counter()
    duplicates = find_client_duplicates(con, clients)
    explain_duplicate_ties(con)
    timings.append(("*", "timing", "link.client_duplicates", time.perf_counter() - start, None))

    start = time.perf_counter()
    added = link_owners(con, crm_only)
    logs.append(apply_overrides(con, overrides, "owner"))
    con.execute("""
        UPDATE deals SET owner_id = o.staff_id
        FROM owner_links o
        WHERE o.crm_owner = trim(deals.owner_raw) AND o.status IN ('auto', 'override')
    """)
    timings.append(("*", "timing", "link.owners", time.perf_counter() - start, None))
    if added:
        timings.append(("*", "info", "link.staff_from_crm", float(added), "people grouped from CRM owner names"))

    start = time.perf_counter()
    rounds = link_deals(con)
    logs.append(apply_overrides(con, overrides, "deal"))
    timings.append(("*", "timing", "link.deals", time.perf_counter() - start, None))
    timings.append(("*", "info", "link.deal_assignment_rounds", float(rounds), None))

    stray = overrides[~overrides["kind"].isin(KINDS)]
    logs.append(stray.assign(applied=False, message="not applied: unknown kind " + stray["kind"])[
        ["kind", "key", "decision", "target", "applied", "message"]])
    log = pd.concat([x for x in logs if not x.empty] or [pd.DataFrame(columns=["applied"])], ignore_index=True)
    entries = [(file_name, "info", "override." + ("applied" if r.applied else "skipped"), None,
                f"{r.kind} {r.key!r} {r.decision}{' → ' + r.target if r.target else ''}: {r.message}")
               for r in log.itertuples()]
    _log(con, timings + entries)

    cov = coverage(con).set_index("measure")["after_review"]
    return {
        "client": _counts(con, "client_links"),
        "deal": _counts(con, "deal_links"),
        "owner": _counts(con, "owner_links"),
        "coverage": {m: (None if pd.isna(cov[m]) else float(cov[m])) for m in ("deals", "amount", "revenue")},
        "client_duplicates": duplicates,
        "overrides": {"applied": int(log["applied"].sum()) if len(log) else 0,
                      "skipped": int((~log["applied"].astype(bool)).sum()) if len(log) else 0},
    }
