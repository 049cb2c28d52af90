"""Reading the links: the review queue, coverage, and what is left unmatched on each side."""

from __future__ import annotations

import duckdb
import pandas as pd

from core.schema import LINK_STATUSES

KINDS = ("client", "deal", "owner")
N_SHOWN = 3  # candidates shown per CRM company in the queue

_STATUS_ORDER = "CASE status WHEN 'review' THEN 0 WHEN 'none' THEN 1 WHEN 'auto' THEN 2 ELSE 3 END"

# The status filter comes first so that only the candidates of the names asked for are pivoted,
# and deals are counted per company string before trimming: at a million deals, grouping the raw
# strings then trimming the distinct ones is cheaper than trimming every deal.
_CLIENT_QUEUE = f"""
WITH l AS (
    SELECT * FROM client_links WHERE (? IS NULL OR status = ?)
), raw_usage AS (
    SELECT company, count(*) AS deals, sum(amount) AS amount
    FROM deals WHERE company IS NOT NULL GROUP BY company
), usage AS (
    SELECT trim(company) AS crm_company, sum(deals)::BIGINT AS deals, sum(amount) AS amount
    FROM raw_usage GROUP BY 1
), cand AS (
    SELECT k.crm_company,
           {", ".join(f"max(k.client_id) FILTER (WHERE k.rank = {i}) AS candidate_{i}_id, "
                      f"max(k.client_name) FILTER (WHERE k.rank = {i}) AS candidate_{i}_name, "
                      f"max(k.score) FILTER (WHERE k.rank = {i}) AS candidate_{i}_score"
                      for i in range(1, N_SHOWN + 1))}
    FROM link_candidates k SEMI JOIN l ON l.crm_company = k.crm_company
    WHERE k.rank <= {N_SHOWN}
    GROUP BY k.crm_company
)
SELECT l.crm_company, l.status, l.client_id, c.name AS client_name, l.score, l.reason,
       coalesce(u.deals, 0) AS deals, u.amount,
       {", ".join(f"cand.candidate_{i}_id, cand.candidate_{i}_name, cand.candidate_{i}_score"
                  for i in range(1, N_SHOWN + 1))}
FROM l
LEFT JOIN clients c ON c.client_id = l.client_id
LEFT JOIN usage u ON u.crm_company = l.crm_company
LEFT JOIN cand ON cand.crm_company = l.crm_company
ORDER BY {_STATUS_ORDER.replace('status', 'l.status')}, deals DESC, l.crm_company
"""

_DEAL_QUEUE = f"""
SELECT l.deal_id, d.deal_name, d.company, cl.client_id, d.stage, d.amount, d.created_at,
       l.status, l.job_id,
       CASE WHEN l.job_id IS NULL AND l.reason LIKE 'job % fit %'
            THEN regexp_extract(l.reason, '^job (.+?) fit ', 1) END AS proposed_job_id,
       j.title AS job_title, j.opened_at AS job_opened_at,
       round(j.salary_k * 1000 * j.fee_rate) AS job_expected_fee, l.score, l.reason
FROM deal_links l
JOIN deals d USING (deal_id)
LEFT JOIN client_links cl ON cl.crm_company = trim(d.company)
LEFT JOIN jobs j ON j.job_id = coalesce(l.job_id,
     CASE WHEN l.reason LIKE 'job % fit %' THEN regexp_extract(l.reason, '^job (.+?) fit ', 1) END)
WHERE (? IS NULL OR l.status = ?)
ORDER BY {_STATUS_ORDER.replace('status', 'l.status')}, d.created_at DESC, l.deal_id
"""

_OWNER_QUEUE = f"""
WITH usage AS (SELECT trim(owner_raw) AS crm_owner, count(*) AS deals FROM deals GROUP BY 1)
SELECT l.crm_owner, l.status, l.staff_id, s.name AS staff_name, s.team, l.score, l.reason,
       coalesce(u.deals, 0) AS deals
FROM owner_links l
LEFT JOIN staff s ON s.staff_id = l.staff_id
LEFT JOIN usage u ON u.crm_owner = l.crm_owner
WHERE (? IS NULL OR l.status = ?)
ORDER BY {_STATUS_ORDER.replace('status', 'l.status')}, deals DESC, l.crm_owner
"""


def review_queue(con: duckdb.DuckDBPyConnection, status: str | None = None, kind: str = "client") -> pd.DataFrame:
    """The links of one kind with what a reviewer needs to decide, items to review first.

    - client: one row per CRM company string: status, linked client, score, reason, number of
      deals and CRM amount behind the name, and the best three candidates (id, name, score).
    - deal: one row per deal: linked job, or the proposed job for a review, its title, opening
      date and expected fee next to the deal's amount and date.
    - owner: one row per CRM owner string: staff member, team, score, reason, deals.

    Args:
        con: warehouse connection (read-only is fine).
        status: keep only this status (`auto`, `review`, `none`, `override`), or None for all.
        kind: `client`, `deal` or `owner`.

    Returns:
        DataFrame, review items first, then the most used names.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if status is not None and status not in LINK_STATUSES:
        raise ValueError(f"status must be one of {LINK_STATUSES}")
    sql = {"client": _CLIENT_QUEUE, "deal": _DEAL_QUEUE, "owner": _OWNER_QUEUE}[kind]
    return con.execute(sql, [status, status]).df()


def link_count(con: duckdb.DuckDBPyConnection, status: str | None = None, kind: str = "client") -> int:
    """Number of links of one kind, of one status or all: the rows `review_queue` returns for them.

    One link per CRM company string (client), per deal (deal) or per CRM owner string (owner);
    e.g. the company names waiting for a manager's review are `link_count(con, "review")`.

    Args:
        con: warehouse connection (read-only is fine).
        status: keep only this status (`auto`, `review`, `none`, `override`), or None for all.
        kind: `client`, `deal` or `owner`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if status is not None and status not in LINK_STATUSES:
        raise ValueError(f"status must be one of {LINK_STATUSES}")
    table = {"client": "client_links", "deal": "deal_links", "owner": "owner_links"}[kind]
    return int(con.execute(f"SELECT count(*) FROM {table} WHERE (? IS NULL OR status = ?)",
                           [status, status]).fetchone()[0])


# One pass per side. Deals are counted per company string before the join (cheaper than joining
# every deal to the links); a placement counts as linked when its job has a link of that status
# (the job's best status is 'auto' as soon as one of its deals is linked automatically).
_COVERAGE = """
WITH usage AS (
    SELECT company, count(*) AS deals, sum(amount) AS amount FROM deals GROUP BY company
), d AS (
    SELECT coalesce(sum(u.deals), 0)::DOUBLE AS deals, sum(u.amount) AS amount,
           coalesce(sum(u.deals) FILTER (WHERE cl.status = 'auto'), 0) AS deals_auto,
           coalesce(sum(u.deals) FILTER (WHERE cl.status IN ('auto', 'override')), 0) AS deals_after,
           coalesce(sum(u.amount) FILTER (WHERE cl.status = 'auto'), 0) AS amount_auto,
           coalesce(sum(u.amount) FILTER (WHERE cl.status IN ('auto', 'override')), 0) AS amount_after
    FROM usage u LEFT JOIN client_links cl ON cl.crm_company = trim(u.company) AND cl.client_id IS NOT NULL
), r AS (
    SELECT sum(fee_eur) AS revenue,
           coalesce(sum(fee_eur) FILTER (
               WHERE job_id IN (SELECT job_id FROM deal_links WHERE status = 'auto')), 0) AS revenue_auto,
           coalesce(sum(fee_eur) FILTER (
               WHERE job_id IN (SELECT job_id FROM deal_links WHERE status IN ('auto', 'override'))), 0)
               AS revenue_after
    FROM placements
)
SELECT 'deals' AS measure, 'Share of CRM deals whose company is linked to a BO client' AS label,
       deals AS total, deals_auto / nullif(deals, 0), deals_after / nullif(deals, 0) FROM d
UNION ALL
SELECT 'amount', 'Share of the CRM amount on deals whose company is linked',
       amount, amount_auto / nullif(amount, 0), amount_after / nullif(amount, 0) FROM d
UNION ALL
SELECT 'revenue', 'Share of BO revenue (placement fees) on jobs linked to a CRM deal',
       revenue, revenue_auto / nullif(revenue, 0), revenue_after / nullif(revenue, 0) FROM r
"""


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How much of each side the links cover, before and after the managers' review.

    - deals: share of CRM deals whose company string is linked to a BO client;
    - amount: share of the CRM amount (sum of deal amounts) on those deals;
    - revenue: share of BO revenue (sum of placement fees) on jobs linked to a CRM deal.
    Before review counts `auto` links only; after review counts `auto` and `override`
    (a manager's rejection removes a link). A share is NULL when its total is zero.

    Args:
        con: warehouse connection (read-only is fine).

    Returns:
        DataFrame[measure, label, total, before_review, after_review] (shares are fractions).
    """
    frame = con.execute(_COVERAGE).df()
    frame.columns = ["measure", "label", "total", "before_review", "after_review"]
    return frame


def deals_without_job(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """CRM deals with no BO job linked (status other than auto/override), with the reason.

    Returns:
        DataFrame[deal_id, deal_name, company, stage, amount, created_at, status, reason].
    """
    return con.execute("""
        SELECT d.deal_id, d.deal_name, d.company, d.stage, d.amount, d.created_at, l.status, l.reason
        FROM deals d LEFT JOIN deal_links l USING (deal_id)
        WHERE l.job_id IS NULL
        ORDER BY d.created_at DESC, d.deal_id
    """).df()


def jobs_without_deal(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """BO jobs that no CRM deal is linked to.

    Returns:
        DataFrame[job_id, client_id, client_name, title, job_type, opened_at, status, sales_id].
    """
    return con.execute("""
        SELECT j.job_id, j.client_id, c.name AS client_name, j.title, j.job_type, j.opened_at,
               j.status, j.sales_id
        FROM jobs j LEFT JOIN clients c USING (client_id)
        WHERE j.job_id NOT IN (SELECT job_id FROM deal_links WHERE job_id IS NOT NULL)
        ORDER BY j.opened_at DESC, j.job_id
    """).df()
