"""The warehouse schema: every clean table and column, with its type and meaning.

This module is the single source of truth for the warehouse's public shape.
`docs/schema.md` is generated from it (`python -m core schema-doc`) and a test
checks that a built warehouse has exactly these tables and columns.

Conventions: ids are VARCHAR (exports mix numeric and prefixed ids); money is
DOUBLE in euros; rates are fractions in [0, 1]; business dates are DATE.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = ", ".join(f'"{c.name}" {c.type}' for c in self.columns)
        return f'CREATE TABLE "{self.name}" ({cols})'


def _t(name: str, doc: str, *cols: tuple[str, str, str]) -> Table:
    return Table(name, doc, tuple(Column(*c) for c in cols))


# --- Input layouts (the BO export folder) -------------------------------------

BO_INPUT_COLUMNS: dict[str, list[str]] = {
    "staff": ["staff_id", "name", "email", "role", "team", "start_date", "end_date", "hourly_cost_eur"],
    "clients": ["client_id", "name", "sector", "employees", "city", "created_at"],
    "jobs": ["job_id", "client_id", "title", "job_type", "seniority", "salary_k", "fee_rate",
             "opened_at", "closed_at", "status", "sales_id", "coach_id"],
    "candidates": ["candidate_id", "source", "seniority", "city", "created_at"],
    "pipeline_events": ["event_id", "job_id", "candidate_id", "stage", "event_date", "staff_id"],
    "placements": ["placement_id", "job_id", "candidate_id", "start_date", "fee_eur", "invoiced_at",
                   "guarantee_broken", "broken_at"],
    "activities": ["activity_id", "staff_id", "client_id", "job_id", "type", "activity_date", "minutes"],
}

CRM_FIELDS_REQUIRED = ["deal_id", "deal_name", "company", "amount", "stage", "owner", "created_at", "closed_at"]
CRM_FIELDS_OPTIONAL = ["deal_type", "lost_reason", "pipeline", "probability", "expected_close_at", "updated_at",
                       "currency"]

JOB_STATUSES = ("open", "filled", "lost", "cancelled")
FUNNEL_STAGES = ("pitch", "mer", "offer", "placement")
DEAL_STAGES = ("open", "won", "lost")
STAFF_ROLES = ("sales", "coach")
LINK_STATUSES = ("auto", "review", "none", "override")

# The version of the warehouse's shape. A build records it in `build_log` (file `*`, kind `info`,
# name `schema_version`); `core.warehouse.connect` refuses a warehouse of another version and asks
# for a rebuild, so that no analysis needs a second way to answer on an older warehouse.
SCHEMA_VERSION = "2"


# --- Clean tables ---------------------------------------------------------------

CLEAN_TABLES: tuple[Table, ...] = (
    _t("staff", "BO staff, one row per person. In a CRM-only build, people are grouped from owner-name "
       "variants (and the --teams file) and get synthetic ids `crm:<slug>`.",
       ("staff_id", "VARCHAR", "BO staff id (primary key)."),
       ("name", "VARCHAR", "Display name, as in the BO."),
       ("email", "VARCHAR", "Work email, lower-cased; empty when unknown."),
       ("role", "VARCHAR", "`sales` or `coach`."),
       ("team", "VARCHAR", "Team name; `(no team)` when unknown."),
       ("start_date", "DATE", "First day at the agency."),
       ("end_date", "DATE", "Last day at the agency; NULL while employed."),
       ("hourly_cost_eur", "DOUBLE", "Loaded cost of one hour of this person's time, €.")),
    _t("teams", "One row per team, derived from staff (or the --teams file).",
       ("team", "VARCHAR", "Team name (primary key)."),
       ("manager", "VARCHAR", "Manager's name when known."),
       ("office", "VARCHAR", "Office when known."),
       ("n_sales", "INTEGER", "Number of staff with role `sales` in the team."),
       ("n_coaches", "INTEGER", "Number of staff with role `coach` in the team.")),
    _t("clients", "BO clients: the master list of companies.",
       ("client_id", "VARCHAR", "BO client id (primary key)."),
       ("name", "VARCHAR", "Company name as in the BO (trimmed)."),
       ("sector", "VARCHAR", "Business sector."),
       ("employees", "INTEGER", "Head count."),
       ("city", "VARCHAR", "City of the client's main site."),
       ("created_at", "DATE", "Date the client record was created.")),
    _t("jobs", "BO jobs (recruitment mandates), one row per job.",
       ("job_id", "VARCHAR", "BO job id (primary key)."),
       ("client_id", "VARCHAR", "Client the job is for."),
       ("title", "VARCHAR", "Job title."),
       ("job_type", "VARCHAR", "Job family (e.g. `Developer`, `Sales`)."),
       ("seniority", "VARCHAR", "`junior`, `mid`, `senior` or `executive`."),
       ("salary_k", "DOUBLE", "Annual gross salary of the position, k€ (values typed in € are converted)."),
       ("fee_rate", "DOUBLE", "Agency fee as a fraction of salary (values typed in % are converted)."),
       ("opened_at", "DATE", "Date the job was opened."),
       ("closed_at", "DATE", "Date the job was closed; NULL while open."),
       ("status", "VARCHAR", "`open`, `filled`, `lost` or `cancelled`."),
       ("sales_id", "VARCHAR", "Salesperson in charge (staff_id); funnel events are attributed to them."),
       ("coach_id", "VARCHAR", "Coach (recruiter) in charge (staff_id)."),
       ("is_repeat", "BOOLEAN", "True when the client had an earlier job (opened before this one).")),
    _t("candidates", "BO candidates, ids and non-personal attributes only.",
       ("candidate_id", "VARCHAR", "BO candidate id (primary key)."),
       ("source", "VARCHAR", "Where the candidate came from."),
       ("seniority", "VARCHAR", "Candidate seniority."),
       ("city", "VARCHAR", "City."),
       ("created_at", "DATE", "Date the candidate record was created.")),
    _t("pipeline_events", "A candidate's steps on a job: pitch → MER → offer → placement. "
       "Duplicate events (same job, candidate, stage and date) are merged.",
       ("event_id", "VARCHAR", "BO event id (primary key)."),
       ("job_id", "VARCHAR", "Job."),
       ("candidate_id", "VARCHAR", "Candidate."),
       ("stage", "VARCHAR", "`pitch`, `mer`, `offer` or `placement`."),
       ("event_date", "DATE", "Date of the step."),
       ("staff_id", "VARCHAR", "Staff member who logged the step.")),
    _t("placements", "BO placements: a candidate hired on a job, and the fee invoiced.",
       ("placement_id", "VARCHAR", "BO placement id (primary key)."),
       ("job_id", "VARCHAR", "Job filled."),
       ("candidate_id", "VARCHAR", "Candidate placed."),
       ("start_date", "DATE", "Candidate's first day."),
       ("fee_eur", "DOUBLE", "Fee invoiced, € (revenue)."),
       ("invoiced_at", "DATE", "Invoice date: revenue is dated by it."),
       ("guarantee_broken", "BOOLEAN", "True when the candidate left during the guarantee period (fee refunded)."),
       ("broken_at", "DATE", "Date the guarantee broke.")),
    _t("activities", "Staff effort logged against clients and jobs.",
       ("activity_id", "VARCHAR", "BO activity id (primary key)."),
       ("staff_id", "VARCHAR", "Staff member."),
       ("client_id", "VARCHAR", "Client the effort was for."),
       ("job_id", "VARCHAR", "Job, when the activity is tied to one."),
       ("type", "VARCHAR", "Activity type (call, meeting, email…)."),
       ("activity_date", "DATE", "Date."),
       ("minutes", "DOUBLE", "Duration, minutes.")),
    _t("deals", "CRM deals, cleaned: one row per real deal (re-entered duplicates merged).",
       ("deal_id", "VARCHAR", "CRM deal id (primary key)."),
       ("deal_name", "VARCHAR", "Deal name as typed."),
       ("company", "VARCHAR", "Company name as exported (trimmed); links to BO via client_links."),
       ("amount", "DOUBLE", ("Deal amount in the reporting currency (€ unless the export's amounts are all in "
        "another one; k€ typos converted); NULL when missing, or in another currency without a rate "
        "(see `currency`, `amount_original` and docs/data-quality.md).")),
       ("stage_raw", "VARCHAR", "Stage label as exported."),
       ("stage", "VARCHAR", "Canonical stage: `open`, `won` or `lost`."),
       ("stage_detail", "VARCHAR", "Open sub-stage when known: `qualification`, `pitch`, `mer`, `offer`, `other`."),
       ("owner_raw", "VARCHAR", "Owner name as exported."),
       ("owner_id", "VARCHAR", "Resolved owner (staff_id); NULL when unresolved (see owner_links)."),
       ("created_at", "DATE", "Deal creation date."),
       ("closed_at", "DATE", "Close date (won/lost) or NULL while open."),
       ("expected_close_at", "DATE", "Expected close date when the CRM gives one."),
       ("updated_at", "DATE", "Last modification date when the CRM gives one."),
       ("deal_type", "VARCHAR", "`new` or `existing` business when known."),
       ("lost_reason", "VARCHAR", "Reason for a lost deal when known."),
       ("pipeline", "VARCHAR", "CRM pipeline name."),
       ("probability", "DOUBLE", "Win probability given by the CRM (fraction), when known."),
       ("currency", "VARCHAR", ("Currency code of the amount as exported (its currency column, or the symbol or "
        "code in the amount cell); NULL when the export names none.")),
       ("amount_original", "DOUBLE", ("The amount in `currency` as exported, when `amount` was converted from "
        "it or left NULL for want of a rate; else equal to `amount`."))),
)

# --- Link tables (public interface, see docs/schema.md) ---------------------------

LINK_TABLES: tuple[Table, ...] = (
    _t("client_links", "CRM company string → BO client. One row per distinct raw CRM company string "
       "(trimmed) exactly as exported.",
       ("crm_company", "VARCHAR", "Company string as exported (trimmed)."),
       ("client_id", "VARCHAR", "Linked BO client; NULL unless status is auto or override with a client."),
       ("score", "DOUBLE", "Match score of the best candidate, 0–100."),
       ("status", "VARCHAR", "`auto`, `review`, `none` or `override`."),
       ("reason", "VARCHAR", "Why, in words (scores, tie, override note).")),
    _t("link_candidates", "The best BO candidates for each CRM company (the review queue's choices).",
       ("crm_company", "VARCHAR", "Company string as exported (trimmed)."),
       ("rank", "INTEGER", "1 = best."),
       ("client_id", "VARCHAR", "Candidate BO client."),
       ("client_name", "VARCHAR", "Candidate's BO name."),
       ("score", "DOUBLE", "Combined score, 0–100."),
       ("reason", "VARCHAR", "Scorer breakdown.")),
    _t("deal_links", "CRM deal → BO job, for deals whose company is linked. One row per deal.",
       ("deal_id", "VARCHAR", "CRM deal id."),
       ("job_id", "VARCHAR", "Linked BO job; NULL unless linked."),
       ("score", "DOUBLE", "Fit score, 0–100."),
       ("status", "VARCHAR", "`auto`, `review`, `none` or `override`."),
       ("reason", "VARCHAR", "Why, in words.")),
    _t("owner_links", "CRM owner string → BO staff (or grouped person in a CRM-only build).",
       ("crm_owner", "VARCHAR", "Owner string as exported (trimmed)."),
       ("staff_id", "VARCHAR", "Resolved staff id; NULL unless linked."),
       ("score", "DOUBLE", "Match score, 0–100."),
       ("status", "VARCHAR", "`auto`, `review`, `none` or `override`."),
       ("reason", "VARCHAR", "Why, in words.")),
    _t("client_duplicates", "Pairs of BO client records that look like one company.",
       ("client_id", "VARCHAR", "Client kept as reference (smaller id)."),
       ("duplicate_client_id", "VARCHAR", "Client that looks like a duplicate of it."),
       ("score", "DOUBLE", "Name similarity, 0–100."),
       ("reason", "VARCHAR", "Why.")),
)

# --- Build bookkeeping ---------------------------------------------------------------

AUDIT_TABLES: tuple[Table, ...] = (
    _t("data_issues", "Every cleaning decision, one row each.",
       ("source", "VARCHAR", "`crm` or `bo`."),
       ("file", "VARCHAR", "Input file name."),
       ("row_number", "BIGINT", "Record number in the file (1 = first data record)."),
       ("record_id", "VARCHAR", "Id of the record when it has one."),
       ("column", "VARCHAR", "Column concerned (canonical name)."),
       ("rule", "VARCHAR", ("Rule id, `<kind>.<name>`; kind is missing, outlier, time_order, inconsistent, "
        "invalid or duplicate.")),
       ("original_value", "VARCHAR", "Value before the rule."),
       ("new_value", "VARCHAR", "Value after the rule (NULL when flagged or quarantined)."),
       ("action", "VARCHAR", "`fixed`, `flagged`, `quarantined` or `merged`.")),
    _t("quarantine", "Rows kept out of the clean tables, with the reason.",
       ("source", "VARCHAR", "`crm` or `bo`."),
       ("file", "VARCHAR", "Input file name."),
       ("row_number", "BIGINT", "Record number in the file."),
       ("record_id", "VARCHAR", "Id of the record when it has one."),
       ("rule", "VARCHAR", "Rule that quarantined it."),
       ("reason", "VARCHAR", "Reason in words."),
       ("raw", "VARCHAR", "The raw row as JSON.")),
    _t("row_accounts", "Row accounting per input file: rows_in = rows_clean + rows_quarantined + rows_merged.",
       ("source", "VARCHAR", "`crm` or `bo`."),
       ("file", "VARCHAR", "Input file name."),
       ("table_name", "VARCHAR", "Clean table fed by the file."),
       ("rows_in", "BIGINT", "Data records read."),
       ("rows_clean", "BIGINT", "Records in the clean table."),
       ("rows_quarantined", "BIGINT", "Records quarantined."),
       ("rows_merged", "BIGINT", "Records merged into another as duplicates.")),
    _t("rule_effects", "What each CRM cleaning rule did to the headline totals, in the order the rules ran: "
       "the totals of the deals file just before and just after the rule (the `after` of the last rule are "
       "the clean deals' totals). Rules switched off are listed with status `off` and the rows they would "
       "have touched.",
       ("source", "VARCHAR", "`crm`."),
       ("file", "VARCHAR", "Input file name."),
       ("step", "INTEGER", "Order in which the rule ran (1 = first)."),
       ("rule", "VARCHAR", "Rule id (as in data_issues)."),
       ("status", "VARCHAR", "`on`, or `off` when the mapping file switched it off."),
       ("rows", "BIGINT", "Rows the rule touched (data_issues rows), or would have touched when off."),
       ("deals_before", "BIGINT", "Deals in the file before the rule."),
       ("deals_after", "BIGINT", "Deals after the rule."),
       ("won_amount_before", "DOUBLE", "Sum of the won deals' amounts before the rule, €."),
       ("won_amount_after", "DOUBLE", "Same after the rule."),
       ("win_rate_before", "DOUBLE", "won / (won + lost) before the rule; NULL without closed deals."),
       ("win_rate_after", "DOUBLE", "Same after the rule.")),
    _t("build_log", "Build facts in long form: counts per file and rule, timings, input checksums.",
       ("built_at", "TIMESTAMP", "Build start (UTC)."),
       ("file", "VARCHAR", "Input file, or `*` for the whole build."),
       ("kind", "VARCHAR", "`rows`, `rule`, `timing`, `checksum` or `info`."),
       ("name", "VARCHAR", "What is measured (rule id, step name…)."),
       ("value", "DOUBLE", "Number, when numeric."),
       ("text", "VARCHAR", "Text, when not numeric.")),
)

# --- Fact tables (computed once from the clean tables at the end of the build, read by every analysis) --

DERIVED_TABLES: tuple[Table, ...] = (
    _t("activity_effort", "Every activity attributed for the analyses (`core.metrics.derived`), one row per "
       "activity, sorted by salesperson then date: an activity logged on a job follows that job's client, "
       "people and job type; one with no job (or whose job is not in the warehouse) follows its own staff "
       "member and has no job type.",
       ("job_id", "VARCHAR", "The job the activity is logged on, when it is in the warehouse."),
       ("client_id", "VARCHAR", "The activity's client, else its job's client."),
       ("activity_date", "DATE", "Date of the activity."),
       ("sales_id", "VARCHAR", "The job's salesperson; the activity's staff member when it has no job."),
       ("coach_id", "VARCHAR", "The job's coach; the activity's staff member when it has no job."),
       ("job_type", "VARCHAR", "The job's family; NULL when the activity has no job."),
       ("minutes", "DOUBLE", "Duration, minutes, as in `activities`."),
       ("cost", "DOUBLE", "minutes / 60 × the staff member's hourly cost (0 when either is unknown), €.")),
    _t("job_events", "Pipeline events summed up per job (`core.metrics.derived`), one row per job id found in "
       "`pipeline_events`; `job_facts` carries these dates for the jobs of `jobs`, and the analyses read it.",
       ("job_id", "VARCHAR", "Job."),
       ("events", "BIGINT", "Events logged on the job, all stages."),
       ("pitches", "BIGINT", "Pitch events."),
       ("first_pitch_at", "DATE", "Date of the first pitch; NULL without one."),
       ("first_mer_at", "DATE", "Date of the first MER; NULL without one."),
       ("first_placement_at", "DATE", "Date of the first placement event; NULL without one.")),
    _t("job_facts", "One row per job: its status and the dates of its story (`core.metrics.derived`). A job is "
       "decided when its outcome is known (status `filled`, `lost` or `cancelled`, "
       "`core.metrics.derived.DECIDED_STATUSES`); an open job may still be filled.",
       ("job_id", "VARCHAR", "Job (primary key)."),
       ("client_id", "VARCHAR", "The job's client."),
       ("sales_id", "VARCHAR", "The job's salesperson."),
       ("coach_id", "VARCHAR", "The job's coach."),
       ("job_type", "VARCHAR", "The job's family."),
       ("seniority", "VARCHAR", "The job's seniority."),
       ("status", "VARCHAR", "`open`, `filled`, `lost` or `cancelled`, as in `jobs`."),
       ("is_decided", "BOOLEAN", "The outcome is known: filled, lost or cancelled."),
       ("is_filled", "BOOLEAN", "Status `filled`."),
       ("opened_at", "DATE", "Day the job was opened."),
       ("first_pitch_at", "DATE", "First pitch event; NULL without one."),
       ("first_mer_at", "DATE", "First MER (client meets candidate) event; NULL without one."),
       ("decided_at", "DATE", "Day the outcome became known (`closed_at` of a decided job); NULL while open."),
       ("filled_at", "DATE", "`closed_at` of a filled job; NULL otherwise."),
       ("placed_at", "DATE", "Placement date: the first placement event on the job; NULL without one."),
       ("invoiced_at", "DATE", "First invoice date among the job's placements; NULL while none is invoiced."),
       ("pitches", "BIGINT", "Pitch events on the job."),
       ("mers", "BIGINT", "MER events on the job."),
       ("offers", "BIGINT", "Offer events on the job."),
       ("placement_events", "BIGINT", "Placement events on the job."),
       ("placements", "BIGINT", "Rows of `placements` for the job (invoiced or not)."),
       ("placements_not_invoiced", "BIGINT", "Those placements without an invoice date yet."),
       ("fees", "DOUBLE", "Sum of the fees of the job's placements, invoiced or not, €.")),
    _t("placement_facts", "One row per placement (`core.metrics.derived`): booked revenue is dated by the "
       "placement date (when the placement was made), invoiced revenue by the invoice date. A placement made "
       "but not yet invoiced is booked and not invoiced.",
       ("placement_id", "VARCHAR", "Placement (primary key)."),
       ("job_id", "VARCHAR", "The placement's job."),
       ("client_id", "VARCHAR", "The job's client."),
       ("sales_id", "VARCHAR", "The job's salesperson."),
       ("coach_id", "VARCHAR", "The job's coach."),
       ("job_type", "VARCHAR", "The job's family."),
       ("placed_at", "DATE", ("Placement date: the placement event of this candidate on this job, else the job's "
        "first placement event, else the start date, else the invoice date (see `placed_at_basis`).")),
       ("placed_at_basis", "VARCHAR", ("Which date `placed_at` is: `placement event`, `job placement event`, "
        "`start date` or `invoice date`; NULL when the placement has none.")),
       ("start_date", "DATE", "Candidate's first day, as in `placements`."),
       ("invoiced_at", "DATE", "Invoice date; NULL while not invoiced."),
       ("is_invoiced", "BOOLEAN", "The placement has an invoice date."),
       ("fee_eur", "DOUBLE", "Fee, € (0 when unknown)."),
       ("refunded", "BOOLEAN", "The guarantee broke and the fee was paid back."),
       ("broken_at", "DATE", "Day the guarantee broke.")),
    _t("revenue_months", "Booked beside invoiced revenue per calendar month (`core.metrics.derived`), all "
       "placements: booked = fees of the placements made in the month (by `placed_at`), invoiced = fees "
       "invoiced in the month (by `invoiced_at`).",
       ("month", "DATE", "First day of the month (primary key)."),
       ("booked_placements", "BIGINT", "Placements made in the month."),
       ("booked_fees", "DOUBLE", "Their fees, €."),
       ("booked_not_invoiced", "DOUBLE", "The part of those fees not invoiced yet, €."),
       ("invoiced_placements", "BIGINT", "Placements invoiced in the month."),
       ("invoiced_fees", "DOUBLE", "Fees invoiced in the month, €.")),
    _t("client_years", "One row per client and calendar year (`core.metrics.derived`), from the client's first "
       "year with a job, a fee or an activity up to the as-of year. A client is active in a year when it opened "
       "a job that year; it churned in Y when it was active in Y−1 and opened no job in Y (known only once Y "
       "is complete). Segments rank that year's clients with turnover > 0 by turnover "
       "(`core.metrics.derived.SEGMENT_SHARES`).",
       ("client_id", "VARCHAR", "Client."),
       ("year", "BIGINT", "Calendar year."),
       ("jobs_opened", "BIGINT", "Jobs the client opened that year."),
       ("active", "BOOLEAN", "The client opened at least one job that year."),
       ("active_prev_year", "BOOLEAN", "The client opened at least one job the year before."),
       ("churned", "BOOLEAN", "Active the year before and no job this year; NULL while the year is not complete."),
       ("year_complete", "BOOLEAN", "The year ended on or before the as-of date."),
       ("placements_invoiced", "BIGINT", "Placements invoiced that year."),
       ("turnover", "DOUBLE", "Fees invoiced that year, €."),
       ("refunds", "DOUBLE", "Fees of those placements whose guarantee broke, €."),
       ("effort_cost", "DOUBLE", "Cost of the activities attributed to the client that year, €."),
       ("net_profit", "DOUBLE", "turnover − refunds − effort_cost, €."),
       ("booked", "DOUBLE", "Fees of the placements made that year (by placement date), invoiced or not, €."),
       ("segment", "VARCHAR", "`top`, `large`, `medium` or `other`, by that year's turnover.")),
)

ALL_TABLES: tuple[Table, ...] = CLEAN_TABLES + LINK_TABLES + AUDIT_TABLES + DERIVED_TABLES
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}


def schema_markdown() -> str:
    """The schema as markdown, for docs/schema.md."""
    lines = ["# Warehouse schema", "",
             "Generated from `core/schema.py` by `python -m core schema-doc`; a test keeps them in sync.", "",
             ("Besides these tables, every input file is loaded untouched into a `raw_<table>` table "
             "(all columns VARCHAR as read, plus `_row_number`, the record number, and `_extra`, the cells "
             "beyond the header of a record with too many fields)."), ""]
    for group, tables in (("Clean tables", CLEAN_TABLES), ("Link tables", LINK_TABLES),
                          ("Build bookkeeping", AUDIT_TABLES), ("Fact tables", DERIVED_TABLES)):
        lines += [f"## {group}", ""]
        for t in tables:
            lines += [f"### `{t.name}`", "", t.doc, "", "| column | type | meaning |", "|---|---|---|"]
            lines += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in t.columns]
            lines.append("")
    lines += ["## BO export folder (input)", "",
              "CSV files, any common encoding and separator; column names as below.", ""]
    for name, cols in BO_INPUT_COLUMNS.items():
        lines.append(f"- `{name}.csv`: " + ", ".join(cols))
    lines.append("")
    return "\n".join(lines)
