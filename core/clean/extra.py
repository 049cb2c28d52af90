"""The optional side files of a CRM build: salespeople with teams (--teams) and client companies (--accounts).

Teams give staff rows with synthetic ids `crm:<slug of the name>` when there is no BO staff
list (with a BO, they only add each team's manager and office). Accounts give client rows
with ids `acc:<slug of the company>`; with a BO, an account whose name is already a BO
client is merged into it.
"""

from __future__ import annotations

import duckdb

from core.clean.bo import integer_range
from core.clean.engine import FileCleaner, q
from core.io.layouts import Layout

SLUG = "trim(regexp_replace(lower(strip_accents({x})), '[^a-z0-9]+', '-', 'g'), '-')"


def _src(layout: Layout, name: str) -> str:
    src = layout.fields.get(name)
    return f"cv_nz({q(src[0])})" if src else "CAST(NULL AS VARCHAR)"


def clean_teams(con: duckdb.DuckDBPyConnection, fc: FileCleaner, layout: Layout, add_staff: bool) -> None:
    """Load the teams file: `_team_info` (team, manager, office) always; staff rows when `add_staff`."""
    fc.start()
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _t AS SELECT _row_number AS rn, _extra,
        {_src(layout, 'name')} AS name, {_src(layout, 'team')} AS team, {_src(layout, 'manager')} AS manager,
        {_src(layout, 'office')} AS office, {_src(layout, 'role')} AS role, lower({_src(layout, 'email')}) AS email
        FROM {fc.raw} ORDER BY rn""")
    con.execute("ALTER TABLE _t ADD COLUMN staff_id VARCHAR")
    con.execute(f"UPDATE _t SET staff_id = 'crm:' || {SLUG.format(x='name')}")
    fc.structural("_t")
    fc.quarantine("missing.primary_key", "no salesperson name", "name IS NULL OR staff_id = 'crm:'", "_t",
                  column="name")
    fc.merge("duplicate.primary_key", "name", "_t", "staff_id")
    con.execute("""CREATE OR REPLACE TEMP TABLE _team_info AS
        SELECT team, mode(manager) AS manager, mode(office) AS office FROM _t WHERE team IS NOT NULL GROUP BY team""")
    rows_clean = 0
    if add_staff:
        before = con.execute("SELECT COUNT(*) FROM staff").fetchone()[0]
        con.execute("""INSERT INTO staff SELECT t.staff_id, t.name, t.email, COALESCE(l.value, 'sales'),
                COALESCE(t.team, '(no team)'), NULL, NULL, NULL
            FROM _t t LEFT JOIN lbl_staff_role l ON l.label_norm = cv_key(t.role) ORDER BY t.rn""")
        rows_clean = con.execute("SELECT COUNT(*) FROM staff").fetchone()[0] - before
    else:
        rows_clean = con.execute("SELECT COUNT(*) FROM _t").fetchone()[0]
    fc.quarantine_table_rows()
    fc.accounts = fc.account(rows_clean)


def clean_accounts(con: duckdb.DuckDBPyConnection, fc: FileCleaner, layout: Layout) -> None:
    """Load the accounts file into `clients` (ids `acc:<slug>`)."""
    fc.start()
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _t AS SELECT _row_number AS rn, _extra,
        {_src(layout, 'company')} AS name, {_src(layout, 'sector')} AS sector,
        {_src(layout, 'employees')} AS employees, {_src(layout, 'city')} AS city,
        {_src(layout, 'created_at')} AS created_at FROM {fc.raw} ORDER BY rn""")
    con.execute("ALTER TABLE _t ADD COLUMN client_id VARCHAR")
    con.execute(f"UPDATE _t SET client_id = 'acc:' || {SLUG.format(x='name')}")
    fc.structural("_t")
    fc.quarantine("missing.primary_key", "no company name", "name IS NULL OR client_id = 'acc:'", "_t",
                  column="company")
    fc.merge("duplicate.primary_key", "company", "_t", "client_id")
    # An account that is already a BO client (same normalised name) is that client.
    con.execute("CREATE OR REPLACE TEMP TABLE _hit AS SELECT t.rn, t.client_id AS record_id, MIN(c.client_id) AS kept "
                "FROM _t t JOIN clients c ON cv_norm(c.name) = cv_norm(t.name) GROUP BY t.rn, t.client_id")
    n = con.execute("SELECT COUNT(*) FROM _hit").fetchone()[0]
    if n:
        con.execute("INSERT INTO _m SELECT rn FROM _hit")
        con.execute("INSERT INTO data_issues SELECT ?, ?, rn, record_id, 'company', 'duplicate.primary_key', "
                    "record_id, kept, 'merged' FROM _hit ORDER BY rn", [fc.source, fc.file])
        con.execute("DELETE FROM _t WHERE rn IN (SELECT rn FROM _hit)")
        fc.counts["duplicate.primary_key"] = fc.counts.get("duplicate.primary_key", 0) + n
    con.execute("ALTER TABLE _t ADD COLUMN employees__n DOUBLE")
    con.execute("UPDATE _t SET employees__n = cv_num(employees)")
    fc.log("invalid.unparseable_number", "flagged", "employees", "employees IS NOT NULL AND employees__n IS NULL",
           "employees", frm="_t", record="client_id")
    integer_range(fc, "_t", ("employees",))
    con.execute("ALTER TABLE _t ADD COLUMN created_at__d DATE")
    con.execute("UPDATE _t SET created_at__d = cv_date(created_at, TRUE, ?)", [fc.info.kind == "xlsx"])
    before = con.execute("SELECT COUNT(*) FROM clients").fetchone()[0]
    con.execute("INSERT INTO clients SELECT client_id, name, sector, CAST(round(employees__n) AS INTEGER), city, "
                "created_at__d FROM _t ORDER BY rn")
    rows_clean = con.execute("SELECT COUNT(*) FROM clients").fetchone()[0] - before
    fc.quarantine_table_rows()
    fc.accounts = fc.account(rows_clean)
