"""Reading the links: the review queue, coverage, and what is left unmatched on each side."""

from __future__ import annotations

import duckdb
import pandas as pd

from core.schema import LINK_STATUSES

KINDS = ("client", "deal", "owner")
N_SHOWN = 3  # candidates shown per CRM company in the queue

_STATUS_ORDER = "CASE status WHEN 'review' THEN 0 WHEN 'none' THEN 1 WHEN 'auto' THEN 2 ELSE 3 END"

_CLIENT_QUEUE = f"""
WITH usage AS (
    SELECT trim(company) AS crm_company, count(*) AS deals, sum(amount) AS amount
    FROM deals WHERE company IS NOT NULL GROUP BY 1
), cand AS (
    SELECT crm_company,
           {", ".join(f"max(client_id) FILTER (WHERE rank = {i}) AS candidate_{i}_id, "
                      f"max(client_name) FILTER (WHERE rank = {i}) AS candidate_{i}_name, "
                      f"max(score) FILTER (WHERE rank = {i}) AS candidate_{i}_score"
                      for i in range(1, N_SHOWN + 1))}
    FROM link_candidates GROUP BY crm_company
)
SELECT l.crm_company, l.status, l.client_id, c.name AS client_name, l.score, l.reason,
       coalesce(u.deals, 0) AS deals, u.amount,
       {", ".join(f"cand.candidate_{i}_id, cand.candidate_{i}_name, cand.candidate_{i}_score"
                  for i in range(1, N_SHOWN + 1))}
FROM client_links l
LEFT JOIN clients c ON c.client_id = l.client_id
LEFT JOIN usage u ON u.crm_company = l.crm_company
LEFT JOIN cand ON cand.crm_company = l.crm_company
WHERE (? IS NULL OR l.status = ?)
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


_COVERAGE = """
WITH d AS (
    SELECT d.amount, CASE WHEN cl.client_id IS NOT NULL THEN cl.status END AS cstatus
    FROM deals d LEFT JOIN client_links cl ON cl.crm_company = trim(d.company)
), r AS (
    SELECT p.fee_eur, dl.status AS dstatus
    FROM placements p
    LEFT JOIN (SELECT job_id, min(status) AS status FROM deal_links
               WHERE job_id IS NOT NULL AND status IN ('auto', 'override') GROUP BY job_id) dl USING (job_id)
)
SELECT 'deals' AS measure, 'Share of CRM deals whose company is linked to a BO client' AS label,
       (SELECT count(*) FROM d)::DOUBLE AS total,
       (SELECT count(*) FILTER (WHERE cstatus = 'auto') FROM d) / nullif((SELECT count(*) FROM d), 0),
       (SELECT count(*) FILTER (WHERE cstatus IN ('auto', 'override')) FROM d) / nullif((SELECT count(*) FROM d), 0)
UNION ALL
SELECT 'amount', 'Share of the CRM amount on deals whose company is linked',
       (SELECT sum(amount) FROM d),
       (SELECT coalesce(sum(amount) FILTER (WHERE cstatus = 'auto'), 0) FROM d) / nullif((SELECT sum(amount) FROM d), 0),
       (SELECT coalesce(sum(amount) FILTER (WHERE cstatus IN ('auto', 'override')), 0) FROM d)
           / nullif((SELECT sum(amount) FROM d), 0)
UNION ALL
SELECT 'revenue', 'Share of BO revenue (placement fees) on jobs linked to a CRM deal',
       (SELECT sum(fee_eur) FROM r),
       (SELECT coalesce(sum(fee_eur) FILTER (WHERE dstatus = 'auto'), 0) FROM r) / nullif((SELECT sum(fee_eur) FROM r), 0),
       (SELECT coalesce(sum(fee_eur) FILTER (WHERE dstatus IN ('auto', 'override')), 0) FROM r)
           / nullif((SELECT sum(fee_eur) FROM r), 0)
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
