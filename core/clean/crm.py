"""Cleaning of the CRM deals export into the `deals` table (rules: docs/data-quality.md, CRM deals)."""

from __future__ import annotations

import duckdb

from core.clean.bo import (
    Derived,
    date_columns,
    label_column,
    number_columns,
    stage_table,
    typed_dates,
    typed_numbers,
)
from core.clean.engine import FileCleaner, q
from core.io.layouts import Layout
from core.io.readers import ReadInfo
from core.schema import CRM_FIELDS_OPTIONAL, CRM_FIELDS_REQUIRED

REENTRY_DAYS = 14
EXTREME_FACTOR = 20
DATES = ("created_at", "closed_at", "expected_close_at", "updated_at")
NUMBERS = ("amount", "probability")


def clean_deals(con: duckdb.DuckDBPyConnection, info: ReadInfo, layout: Layout) -> FileCleaner:
    """Clean the CRM export in `raw_deals` into `deals`; returns the file's cleaner."""
    fc = FileCleaner(con, "crm", info, "raw_deals", "deals", q("deal_id"))
    fc.start()
    fields = dict(layout.fields)
    columns = CRM_FIELDS_REQUIRED + CRM_FIELDS_OPTIONAL
    if layout.stage_detail:
        fields["stage_detail_src"] = [layout.stage_detail]
        columns = columns + ["stage_detail_src"]
    used = {s for src in fields.values() for s in src}
    extra_cols = [c for c in info.columns if c not in used]
    # Stage: built-in label table plus the mapping file's labels.
    derived = [label_column("stage", "lbl_deal_stage", "stage", "stage__l"),
               label_column("stage", "lbl_deal_stage", "stage_detail", "stage_detail__l")]
    if layout.stage_detail:
        derived.append(label_column("stage_detail_src", "lbl_deal_stage", "stage_detail", "stage_detail_src__l"))
    derived += date_columns(DATES, info.kind == "xlsx") + number_columns(NUMBERS)
    derived.append(Derived("amount", "amount__k", "cv_is_k(v)", default="FALSE"))
    kept = stage_table(con, fc, Layout(fields=fields), columns, extra_cols, ["stage"], derived)
    fc.structural("_t")
    fc.quarantine("missing.deal_id", "no deal id: the row cannot be referenced", '"deal_id" IS NULL', "_t",
                  column="deal_id")
    fc.duplicates("_t", columns + kept, "deal_id")

    typed_dates(con, fc, "_t", DATES)
    typed_numbers(fc, "_t", NUMBERS)
    if layout.stage_detail:
        con.execute('UPDATE _t SET "stage_detail__l" = "stage_detail_src__l" WHERE "stage__l" = \'open\' '
                    'AND "stage_detail_src__l" IS NOT NULL')

    # An open deal's close date is its expected close date.
    con.execute('UPDATE _t SET "expected_close_at__d" = COALESCE("expected_close_at__d", "closed_at__d"), '
                '"closed_at__d" = NULL WHERE "stage__l" = \'open\'')

    limit = con.execute("SELECT CAST(quantile_disc(created_at__d, 0.99) AS DATE) + INTERVAL 366 DAY "
                        "FROM _t").fetchone()[0]
    if limit is not None:
        for col in ("created_at", "closed_at"):
            where = f'"{col}__d" > CAST(? AS DATE)'
            fc.change("time_order.future_date", "flagged", col, f"{col}__d", where, "NULL", params=[limit])
    fc.quarantine("missing.created_at", "no readable creation date", '"created_at__d" IS NULL', "_t",
                  column="created_at", original='"created_at"')
    fc.quarantine("invalid.unknown_stage", "stage label not recognised (add it to the mapping file's stages)",
                  '"stage__l" IS NULL', "_t", column="stage", original='"stage__orig"')
    fc.log("inconsistent.stage_label", "fixed", "stage",
           "\"stage__orig\" NOT IN ('open', 'won', 'lost')", '"stage__orig"', '"stage__l"', frm="_t")

    # Amounts.
    fc.change("invalid.negative_amount", "fixed", "amount", "amount__n", '"amount__n" < 0', 'abs("amount__n")')
    fc.change("outlier.amount_in_k", "fixed", "amount", "amount__n", '"amount__k" AND "amount__n" IS NOT NULL',
                '"amount__n" * 1000', original='"amount"')
    fc.change("outlier.amount_in_k", "fixed", "amount", "amount__n",
                'NOT "amount__k" AND "amount__n" > 0 AND "amount__n" < 1000', '"amount__n" * 1000')
    median = con.execute("SELECT median(amount__n) FROM _t WHERE stage__l = 'won' AND amount__n > 0").fetchone()[0]
    if median:
        fc.change("outlier.amount_extreme", "flagged", "amount", "amount__n",
                    f'"amount__n" > {float(median) * EXTREME_FACTOR!r}', "NULL")
    con.execute('UPDATE _t SET "probability__n" = "probability__n" / 100 WHERE "probability__n" > 1')

    # Close dates.
    fc.change("missing.closed_at", "fixed", "closed_at", "closed_at__d",
                "\"stage__l\" IN ('won', 'lost') AND \"closed_at__d\" IS NULL AND \"updated_at__d\" IS NOT NULL",
                '"updated_at__d"', original='"closed_at"')
    fc.log("missing.closed_at", "flagged", "closed_at",
           "\"stage__l\" IN ('won', 'lost') AND \"closed_at__d\" IS NULL", '"closed_at"', frm="_t")
    fc.change("time_order.closed_before_created", "flagged", "closed_at", "closed_at__d",
                '"closed_at__d" < "created_at__d"', "NULL")
    fc.log("missing.won_amount", "flagged", "amount", "\"stage__l\" = 'won' AND \"amount__n\" IS NULL", '"amount"',
           frm="_t")
    fc.log("missing.won_company", "flagged", "company", "\"stage__l\" = 'won' AND \"company\" IS NULL",
           '"company"', frm="_t")
    merge_reentered(con, fc)

    con.execute("INSERT INTO _deal_rn SELECT deal_id, rn FROM _t")
    before = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
    con.execute(
        """INSERT INTO deals SELECT deal_id, deal_name, company, amount__n, stage__orig, stage__l,
               CASE WHEN stage__l = 'open' THEN COALESCE(stage_detail__l, 'other') END,
               owner, NULL, created_at__d, closed_at__d, expected_close_at__d, updated_at__d,
               dt.kind, lost_reason, pipeline, probability__n
           FROM _t LEFT JOIN (
               SELECT v, CASE WHEN k LIKE '%new%' OR k LIKE '%nouve%' THEN 'new'
                              WHEN regexp_matches(k, 'exist|renew|upsell|renouv|upgrade') THEN 'existing' END AS kind
               FROM (SELECT v, cv_norm(v) AS k FROM (SELECT DISTINCT deal_type AS v FROM _t))
           ) dt ON dt.v = _t.deal_type
           ORDER BY rn""")
    rows_clean = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] - before
    fc.quarantine_table_rows()
    fc.accounts = fc.account(rows_clean)
    return fc


def merge_reentered(con: duckdb.DuckDBPyConnection, fc: FileCleaner) -> None:
    """duplicate.reentered_deal: same normalised company, deal name and owner, created within 14 days
    of the previous one, another id -> merged into the earliest (empty amount / close date filled
    from the later ones)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _re AS
        WITH nc AS (SELECT v, cv_norm(v) AS k FROM (SELECT DISTINCT company AS v FROM _t)),
             nn AS (SELECT v, cv_norm(v) AS k FROM (SELECT DISTINCT deal_name AS v FROM _t)),
             no AS (SELECT v, cv_norm(v) AS k FROM (SELECT DISTINCT owner AS v FROM _t)),
        k AS (
            SELECT rn, deal_id, created_at__d AS created, nc.k AS kc, nn.k AS kn, COALESCE(no.k, '') AS ko
            FROM _t JOIN nc ON nc.v = _t.company JOIN nn ON nn.v = _t.deal_name
                 LEFT JOIN no ON no.v = _t.owner
        ), shared AS (   -- only deals whose key others share can be re-entries: the windows run on those
            SELECT * FROM k WHERE hash(kc, kn, ko) IN (
                SELECT hash(kc, kn, ko) AS h FROM k GROUP BY h HAVING COUNT(*) > 1)
        ), g AS (
            SELECT *, CASE WHEN created - LAG(created) OVER w <= {REENTRY_DAYS} THEN 0 ELSE 1 END AS starts
            FROM shared WINDOW w AS (PARTITION BY kc, kn, ko ORDER BY created, rn)
        ), c AS (
            SELECT *, SUM(starts) OVER (PARTITION BY kc, kn, ko ORDER BY created, rn
                                        ROWS UNBOUNDED PRECEDING) AS cluster
            FROM g
        )
        SELECT rn, deal_id,
               FIRST(rn) OVER (PARTITION BY kc, kn, ko, cluster ORDER BY created, rn) AS kept_rn,
               COUNT(*) OVER (PARTITION BY kc, kn, ko, cluster) AS size
        FROM c""")
    con.execute("DELETE FROM _re WHERE size < 2")
    if not con.execute("SELECT COUNT(*) FROM _re").fetchone()[0]:
        return
    # Fill the kept deal's empty amount / close date from the later entries (earliest non-empty first).
    con.execute("""
        UPDATE _t SET amount__n = COALESCE(_t.amount__n, f.amount), closed_at__d = COALESCE(_t.closed_at__d, f.closed)
        FROM (SELECT r.kept_rn,
                     FIRST(t.amount__n ORDER BY t.created_at__d, t.rn) FILTER (WHERE t.amount__n IS NOT NULL) AS amount,
                     FIRST(t.closed_at__d ORDER BY t.created_at__d, t.rn) FILTER (WHERE t.closed_at__d IS NOT NULL)
                         AS closed
              FROM _re r JOIN _t t ON t.rn = r.rn WHERE r.rn <> r.kept_rn GROUP BY r.kept_rn) f
        WHERE _t.rn = f.kept_rn""")
    con.execute("CREATE OR REPLACE TEMP TABLE _hit AS SELECT r.rn, r.deal_id AS record_id, k.deal_id AS kept "
                "FROM _re r JOIN _re k ON k.rn = r.kept_rn WHERE r.rn <> r.kept_rn")
    n = con.execute("SELECT COUNT(*) FROM _hit").fetchone()[0]
    con.execute("INSERT INTO _m SELECT rn FROM _hit")
    con.execute("INSERT INTO data_issues SELECT ?, ?, rn, record_id, 'deal_id', 'duplicate.reentered_deal', "
                "record_id, kept, 'merged' FROM _hit ORDER BY rn", [fc.source, fc.file])
    con.execute("DELETE FROM _t WHERE rn IN (SELECT rn FROM _hit)")
    fc.counts["duplicate.reentered_deal"] = n
