"""Cleaning of the CRM deals export into the `deals` table (rules: docs/data-quality.md, CRM deals)."""

from __future__ import annotations

import duckdb
import numpy as np

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
from core.clean.ids import damaged_ids, numbered_ids
from core.clean.money import CURRENCY_VALUE, convert_currencies
from core.io.layouts import Layout
from core.io.readers import ReadInfo
from core.schema import CRM_FIELDS_OPTIONAL, CRM_FIELDS_REQUIRED

REENTRY_DAYS = 14
# Extreme amount: above both EXTREME_FACTOR x the median won amount and the file's upper fence
# (log10 Q3 + EXTREME_FENCE x IQR): far above the deals of the same file, not merely large.
EXTREME_FACTOR = 20
EXTREME_FENCE = 3.0
# Amounts in thousands without a `k` marker: the file's positive amounts form two clusters, a
# small one about 1000x below the rest (median ratio within 10**(3 +/- K_RATIO_TOLERANCE)), with an
# empty band of at least K_MIN_GAP decades between them and at least K_MIN_ROWS rows below it.
K_MIN_GAP = 1.0
K_RATIO_TOLERANCE = 0.5
K_MIN_ROWS = 3
# Without that cluster, an amount more than K_LONE_FACTOR times below the file's median is flagged.
K_LONE_FACTOR = 300
HEADLINE = ("SELECT COUNT(*), SUM(amount__n) FILTER (WHERE stage__l = 'won'), "
            "COUNT(*) FILTER (WHERE stage__l = 'won'), COUNT(*) FILTER (WHERE stage__l = 'lost') FROM _t")
DATES = ("created_at", "closed_at", "expected_close_at", "updated_at")
NUMBERS = ("amount", "probability")


def clean_deals(con: duckdb.DuckDBPyConnection, info: ReadInfo, layout: Layout,
                off: frozenset[str] = frozenset()) -> FileCleaner:
    """Clean the CRM export in `raw_deals` into `deals`; returns the file's cleaner.

    Args:
        off: rules switched off by the mapping file (they change nothing, see SWITCHABLE_RULES).
    """
    fc = FileCleaner(con, "crm", info, "raw_deals", "deals", q("deal_id"), off=off, headline=HEADLINE)
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
    derived += [Derived("amount", "amount__cur", "cv_currency(v)"), Derived("currency", "currency__c", CURRENCY_VALUE)]
    stage_table(con, fc, Layout(fields=fields), columns, extra_cols, ["stage"], derived)
    fc.structural("_t")
    if "deal_id" not in layout.fields:
        numbered_ids(con, fc, "_t", "deal_id")
    with fc.effect("missing.deal_id"):
        fc.quarantine("missing.deal_id", "no deal id: the row cannot be referenced", '"deal_id" IS NULL', "_t",
                      column="deal_id")
    damaged_ids(con, fc, "_t", "deal_id")
    fc.duplicates("_t", columns + [f"_x{i}" for i in range(len(extra_cols))], "deal_id")

    typed_dates(con, fc, "_t", DATES, layout.settings.get("date_order"))
    typed_numbers(fc, "_t", NUMBERS, money=("amount",))
    convert_currencies(con, fc, "_t", layout.settings)
    if layout.stage_detail:
        con.execute('UPDATE _t SET "stage_detail__l" = "stage_detail_src__l" WHERE "stage__l" = \'open\' '
                    'AND "stage_detail_src__l" IS NOT NULL')

    # An open deal's close date is its expected close date.
    con.execute('UPDATE _t SET "expected_close_at__d" = COALESCE("expected_close_at__d", "closed_at__d"), '
                '"closed_at__d" = NULL WHERE "stage__l" = \'open\'')

    limit = con.execute("SELECT CAST(quantile_disc(created_at__d, 0.99) AS DATE) + INTERVAL 366 DAY "
                        "FROM _t").fetchone()[0]
    if limit is not None:
        with fc.effect("time_order.future_date"):
            for col in ("created_at", "closed_at"):
                where = f'"{col}__d" > CAST(? AS DATE)'
                fc.change("time_order.future_date", "flagged", col, f"{col}__d", where, "NULL", params=[limit])
    if "created_at" in layout.fields:  # an export without the column loads; the cycle analyses say so
        with fc.effect("missing.created_at"):
            missing_created(fc)
    with fc.effect("excluded.stage_left_out"):
        fc.quarantine("excluded.stage_left_out", "stage label left out by the mapping file",
                      "\"stage__l\" = 'leave out'", "_t", column="stage", original='"stage__orig"')
    with fc.effect("invalid.unknown_stage"):
        fc.quarantine("invalid.unknown_stage", "stage label not recognised (add it to the mapping file's stages)",
                      '"stage__l" IS NULL', "_t", column="stage", original='"stage__orig"')
    fc.log("inconsistent.stage_label", "fixed", "stage",
           "\"stage__orig\" NOT IN ('open', 'won', 'lost')", '"stage__orig"', '"stage__l"', frm="_t")

    # Amounts.
    with fc.effect("invalid.negative_amount"):
        fc.change("invalid.negative_amount", "fixed", "amount", "amount__n", '"amount__n" < 0', 'abs("amount__n")')
    with fc.effect("outlier.amount_in_k"):
        amounts_in_thousands(con, fc)
    with fc.effect("outlier.amount_extreme"):
        extreme_amounts(con, fc)
    con.execute('UPDATE _t SET "probability__n" = "probability__n" / 100 WHERE "probability__n" > 1')

    # Close dates.
    with fc.effect("missing.closed_at"):
        fc.change("missing.closed_at", "fixed", "closed_at", "closed_at__d",
                  "\"stage__l\" IN ('won', 'lost') AND \"closed_at__d\" IS NULL AND \"updated_at__d\" IS NOT NULL",
                  '"updated_at__d"', original='"closed_at"')
        fc.log("missing.closed_at", "flagged", "closed_at",
               "\"stage__l\" IN ('won', 'lost') AND \"closed_at__d\" IS NULL", '"closed_at"', frm="_t")
    with fc.effect("time_order.closed_before_created"):
        fc.change("time_order.closed_before_created", "flagged", "closed_at", "closed_at__d",
                  '"closed_at__d" < "created_at__d"', "NULL")
    fc.log("missing.won_amount", "flagged", "amount", "\"stage__l\" = 'won' AND \"amount__n\" IS NULL", '"amount"',
           frm="_t")
    fc.log("missing.won_company", "flagged", "company", "\"stage__l\" = 'won' AND \"company\" IS NULL",
           '"company"', frm="_t")
    with fc.effect("duplicate.reentered_deal"):
        merge_reentered(con, fc)

    con.execute("INSERT INTO _deal_rn SELECT deal_id, rn FROM _t")
    before = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
    con.execute(
        """INSERT INTO deals SELECT deal_id, deal_name, company, amount__n, stage__orig, stage__l,
               CASE WHEN stage__l = 'open' THEN COALESCE(stage_detail__l, 'other') END,
               owner, NULL, created_at__d, closed_at__d, expected_close_at__d, updated_at__d,
               dt.kind, lost_reason, pipeline, probability__n, currency__c, COALESCE(amount__orig, amount__n)
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


def missing_created(fc: FileCleaner) -> None:
    """missing.created_at: no readable creation date.

    Evidence test: none is needed to keep a row. An open deal without one (a prospect never
    engaged) is still a deal of the pipeline: kept and flagged. A won or lost deal without one is
    quarantined, because its cycle and period cannot be placed (switch the rule off to keep them).
    """
    fc.log("missing.created_at", "flagged", "created_at",
           "\"created_at__d\" IS NULL AND \"stage__l\" = 'open'", '"created_at"', frm="_t")
    fc.quarantine("missing.created_at", "no readable creation date",
                  "\"created_at__d\" IS NULL AND \"stage__l\" IS DISTINCT FROM 'open'", "_t",
                  column="created_at", original='"created_at"')


def thousands_cluster(amounts: np.ndarray, rows: np.ndarray) -> tuple[float | None, str]:
    """The split below which a file's amounts were typed in thousands, when its distribution shows it.

    Evidence test: sorted by log10, the distinct positive amounts have an empty band of at least
    K_MIN_GAP decades; below it at least K_MIN_ROWS rows and no more rows than above it; the
    median below times 1000 lands within 10**K_RATIO_TOLERANCE of the median above. A file whose
    small amounts run continuously into the large ones (products at 55 and at 5,000) has no such
    band: nothing is below the split.

    Args:
        amounts: distinct positive amounts of the file (not `k`-marked).
        rows: number of rows of each amount.

    Returns:
        (split, why): amounts below `split` are in thousands, or None; `why` says what was found.
    """
    if len(amounts) < 2:
        return None, "fewer than two distinct amounts"
    order = np.argsort(amounts)
    logs, weights = np.log10(amounts[order]), rows[order]
    cum = np.cumsum(weights)
    total = cum[-1]

    def median(lo: int, hi: int) -> float:
        """Weighted median of logs[lo:hi]."""
        base = cum[lo - 1] if lo else 0
        half = base + (cum[hi - 1] - base) / 2
        return float(logs[np.searchsorted(cum[lo:hi], half) + lo])

    best, why = None, "no empty band of a thousandfold between small and large amounts"
    gaps = np.diff(logs)
    for i in np.flatnonzero(gaps >= K_MIN_GAP):
        below = int(cum[i])
        ratio = median(i + 1, len(logs)) - median(0, i + 1)
        if below >= K_MIN_ROWS and below <= total - below and abs(ratio - 3) <= K_RATIO_TOLERANCE:
            if best is None or gaps[i] > gaps[best]:
                best = i
        elif best is None:
            why = (f"an empty band from {10 ** logs[i]:,.6g} to {10 ** logs[i + 1]:,.6g} but {below:,} rows "
                   f"below it and medians 10^{ratio:.1f} apart")
    if best is None:
        return None, why
    split = float(10 ** ((logs[best] + logs[best + 1]) / 2))
    return split, (f"{int(cum[best]):,} amounts from {10 ** logs[0]:,.6g} to {10 ** logs[best]:,.6g}, "
                   f"{int(total - cum[best]):,} from {10 ** logs[best + 1]:,.6g} up: medians "
                   f"10^{median(best + 1, len(logs)) - median(0, best + 1):.1f} apart")


def amounts_in_thousands(con: duckdb.DuckDBPyConnection, fc: FileCleaner) -> None:
    """outlier.amount_in_k: amounts typed in thousands, multiplied by 1000 only on evidence in the file.

    Evidence test: the cell carries a thousands marker (`18,5 k€`, `12K`), or the amount lies below
    the split of `thousands_cluster` (a clear x1000 cluster in the same file and field). A small
    amount alone is no evidence: without the cluster, an amount more than K_LONE_FACTOR times below
    the file's median is flagged for review and kept.
    """
    fc.change("outlier.amount_in_k", "fixed", "amount", "amount__n", '"amount__k" AND "amount__n" IS NOT NULL',
              '"amount__n" * 1000', original='"amount"')
    dist = con.execute('SELECT amount__n, COUNT(*) FROM _t WHERE amount__n > 0 AND NOT "amount__k" '
                       'GROUP BY 1').fetchnumpy()
    split, why = thousands_cluster(np.asarray(dist["amount__n"], dtype=float),
                                   np.asarray(dist["count_star()"], dtype=float))
    fc.evidence["outlier.amount_in_k"] = why
    if split is not None:
        fc.change("outlier.amount_in_k", "fixed", "amount", "amount__n",
                  'NOT "amount__k" AND "amount__n" > 0 AND "amount__n" < ?', '"amount__n" * 1000', params=[split])
        return
    median = con.execute('SELECT median(amount__n) FROM _t WHERE amount__n > 0').fetchone()[0]
    if median:
        fc.log("outlier.amount_in_k", "flagged", "amount",
               'NOT "amount__k" AND "amount__n" > 0 AND "amount__n" < ?', '"amount__n"', frm="_t",
               params=[float(median) / K_LONE_FACTOR])


def extreme_amounts(con: duckdb.DuckDBPyConnection, fc: FileCleaner) -> None:
    """outlier.amount_extreme: an amount far above the others of the file, flagged for review (kept).

    Evidence test: above EXTREME_FACTOR x the median won amount and above the file's upper fence
    on a log scale (log10 Q3 + EXTREME_FENCE x IQR of its positive amounts). A product line that
    sells at 25x the median (a file's dearest product) sits inside the fence and is not flagged.
    """
    median, fence = con.execute(
        "SELECT (SELECT median(amount__n) FROM _t WHERE stage__l = 'won' AND amount__n > 0), "
        "(SELECT pow(10, quantile_cont(l, 0.75) + ? * (quantile_cont(l, 0.75) - quantile_cont(l, 0.25))) "
        " FROM (SELECT log10(amount__n) AS l FROM _t WHERE amount__n > 0))", [EXTREME_FENCE]).fetchone()
    if median and fence:
        fc.log("outlier.amount_extreme", "flagged", "amount", '"amount__n" > ?', '"amount__n"', frm="_t",
               params=[max(float(median) * EXTREME_FACTOR, float(fence))])


def merge_reentered(con: duckdb.DuckDBPyConnection, fc: FileCleaner) -> None:
    """duplicate.reentered_deal: the same deal typed again under another id, merged into one entry.

    Candidates: same normalised company, deal name and owner, each created within 14 days of the
    previous one. Evidence test: the entries do not contradict each other: at most one of them is
    closed (a won or lost entry records a decision; two decisions are two deals, e.g. two won deals
    of 609 and 547 for the same account 8 days apart), they have at most one distinct amount and
    one distinct close date as exported. A re-entry is the copy left open beside the real deal. A
    group that contradicts itself is left as it is. The kept entry is the closed one, else the
    earliest; its empty amount is filled from the others (they agree, so there is one to take).
    """
    if "duplicate.reentered_deal" in fc.off:
        return
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
            SELECT g.*, SUM(g.starts) OVER (PARTITION BY g.kc, g.kn, g.ko ORDER BY g.created, g.rn
                                            ROWS UNBOUNDED PRECEDING) AS cluster,
                   t.stage__l IN ('won', 'lost') AS closed, t.amount__n AS amount,
                   CASE WHEN f.rn IS NULL THEN t.closed_at__d END AS close_date
            FROM g JOIN _t t ON t.rn = g.rn
                 -- a close date filled by missing.closed_at is a guess, not compared
                 LEFT JOIN (SELECT row_number AS rn FROM data_issues WHERE file = ? AND rule = 'missing.closed_at'
                            AND action = 'fixed') f ON f.rn = g.rn
        )
        SELECT rn, deal_id,
               FIRST(rn) OVER (PARTITION BY kc, kn, ko, cluster ORDER BY closed DESC, created, rn) AS kept_rn,
               COUNT(*) OVER p AS size, COUNT(*) FILTER (WHERE closed) OVER p AS closed,
               COUNT(DISTINCT amount) OVER p AS amounts, COUNT(DISTINCT close_date) OVER p AS close_dates
        FROM c WINDOW p AS (PARTITION BY kc, kn, ko, cluster)""", [fc.file])
    con.execute("DELETE FROM _re WHERE size < 2 OR closed > 1 OR amounts > 1 OR close_dates > 1")
    if not con.execute("SELECT COUNT(*) FROM _re").fetchone()[0]:
        return
    # The kept entry's empty amount / close date from the others (they agree: one value to take).
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
