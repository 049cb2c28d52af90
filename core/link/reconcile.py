"""Reconciliation: where the CRM and the back office disagree, once linked.

Four sections, each a DataFrame:

- `won_without_placement`: CRM deals marked won (in the period, by close date, or creation
  date when the close date is missing) with no BO placement behind them, and why (company
  not linked, no job linked, or the linked job has no placement);
- `placements_without_deal`: BO placements (in the period, by invoice date) on jobs that no
  CRM deal is linked to;
- `amount_mismatch`: won deals linked to a placed job whose CRM amount differs from the BO
  fee (sum of the job's placement fees) by more than 10 % of the fee;
- `crm_completeness_by_sales`: per salesperson, BO jobs (opened in the period) without a
  linked CRM deal, and CRM deals (created in the period) without an amount.

Links count when their status is `auto` or `override`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.filters import Filters, where

MISMATCH_SHARE = 0.10  # a won amount this far from the BO fee (as a share of the fee) is a mismatch

_LINKED_JOBS = "SELECT deal_id, job_id FROM deal_links WHERE job_id IS NOT NULL AND status IN ('auto', 'override')"
_WON = "SELECT *, coalesce(closed_at, created_at) AS won_at FROM deals WHERE stage = 'won'"
_FEES = "SELECT job_id, sum(fee_eur) AS fee_eur, count(*) AS placements FROM placements GROUP BY job_id"


def won_without_placement(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """CRM deals marked won with no BO placement behind them.

    Returns:
        DataFrame[deal_id, deal_name, company, owner, amount, won_at, client_id, job_id, why].
    """
    sql, params = where(filters.period("d.won_at"), filters.deals("d"))
    return con.execute(f"""
        SELECT d.deal_id, d.deal_name, d.company, coalesce(s.name, d.owner_raw) AS owner, d.amount,
               d.won_at, cl.client_id, dl.job_id,
               CASE WHEN cl.client_id IS NULL THEN 'company not linked to a BO client'
                    WHEN dl.job_id IS NULL THEN 'no BO job linked to the deal'
                    ELSE 'the linked BO job has no placement' END AS why
        FROM ({_WON}) d
        LEFT JOIN client_links cl ON cl.crm_company = trim(d.company) AND cl.status IN ('auto', 'override')
        LEFT JOIN ({_LINKED_JOBS}) dl ON dl.deal_id = d.deal_id
        LEFT JOIN ({_FEES}) f ON f.job_id = dl.job_id
        LEFT JOIN staff s ON s.staff_id = d.owner_id
        WHERE f.job_id IS NULL AND {sql}
        ORDER BY d.amount DESC NULLS LAST, d.deal_id
    """, params).df()


def placements_without_deal(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """BO placements on jobs that no CRM deal is linked to.

    Returns:
        DataFrame[placement_id, job_id, client_id, client_name, title, sales, fee_eur, invoiced_at, why].
    """
    sql, params = where(filters.period("p.invoiced_at"), filters.jobs("j"))
    return con.execute(f"""
        SELECT p.placement_id, p.job_id, j.client_id, c.name AS client_name, j.title, s.name AS sales,
               p.fee_eur, p.invoiced_at,
               CASE WHEN j.client_id NOT IN (SELECT client_id FROM client_links
                                             WHERE client_id IS NOT NULL AND status IN ('auto', 'override'))
                    THEN 'no CRM company linked to this client'
                    ELSE 'no CRM deal linked to this job' END AS why
        FROM placements p
        JOIN jobs j ON j.job_id = p.job_id
        LEFT JOIN clients c ON c.client_id = j.client_id
        LEFT JOIN staff s ON s.staff_id = j.sales_id
        WHERE p.job_id NOT IN (SELECT job_id FROM ({_LINKED_JOBS})) AND {sql}
        ORDER BY p.fee_eur DESC NULLS LAST, p.placement_id
    """, params).df()


def amount_mismatch(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Won deals whose CRM amount differs from the BO fee of their job by more than 10 % of the fee.

    A deal without an amount is not a mismatch (it is counted in CRM completeness).

    Returns:
        DataFrame[deal_id, deal_name, company, owner, job_id, amount, fee_eur, difference, difference_share]
        (difference = amount − fee; difference_share = difference / fee), largest gaps first.
    """
    sql, params = where(filters.period("d.won_at"), filters.deals("d"))
    return con.execute(f"""
        SELECT d.deal_id, d.deal_name, d.company, coalesce(s.name, d.owner_raw) AS owner, dl.job_id,
               d.amount, f.fee_eur, d.amount - f.fee_eur AS difference,
               (d.amount - f.fee_eur) / f.fee_eur AS difference_share
        FROM ({_WON}) d
        JOIN ({_LINKED_JOBS}) dl ON dl.deal_id = d.deal_id
        JOIN ({_FEES}) f ON f.job_id = dl.job_id
        LEFT JOIN staff s ON s.staff_id = d.owner_id
        WHERE d.amount IS NOT NULL AND f.fee_eur > 0
          AND abs(d.amount - f.fee_eur) > ? * f.fee_eur AND {sql}
        ORDER BY abs(d.amount - f.fee_eur) DESC, d.deal_id
    """, [MISMATCH_SHARE, *params]).df()


def crm_completeness_by_sales(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per salesperson, how complete their CRM is against the BO.

    jobs: BO jobs whose salesperson they are, opened in the period; jobs_without_deal: of
    those, jobs no CRM deal is linked to. deals: CRM deals they own, created in the period;
    deals_without_amount: of those, deals with no amount. Shares are NULL when the count is 0.

    Returns:
        DataFrame[staff_id, name, team, jobs, jobs_without_deal, jobs_without_deal_share, deals,
        deals_without_amount, deals_without_amount_share], least complete first.
    """
    jsql, jparams = where(filters.period("j.opened_at"), filters.jobs("j"))
    dsql, dparams = where(filters.period("d.created_at"), filters.deals("d"))
    psql, pparams = filters.people("s.staff_id")
    return con.execute(f"""
        WITH jb AS (
            SELECT j.sales_id AS staff_id, count(*) AS jobs,
                   count(*) FILTER (WHERE j.job_id NOT IN (SELECT job_id FROM ({_LINKED_JOBS}))) AS jobs_without_deal
            FROM jobs j WHERE j.sales_id IS NOT NULL AND {jsql} GROUP BY 1
        ), dl AS (
            SELECT d.owner_id AS staff_id, count(*) AS deals,
                   count(*) FILTER (WHERE d.amount IS NULL) AS deals_without_amount
            FROM deals d WHERE d.owner_id IS NOT NULL AND {dsql} GROUP BY 1
        )
        SELECT s.staff_id, s.name, s.team,
               coalesce(jb.jobs, 0) AS jobs, coalesce(jb.jobs_without_deal, 0) AS jobs_without_deal,
               jb.jobs_without_deal / nullif(jb.jobs, 0) AS jobs_without_deal_share,
               coalesce(dl.deals, 0) AS deals, coalesce(dl.deals_without_amount, 0) AS deals_without_amount,
               dl.deals_without_amount / nullif(dl.deals, 0) AS deals_without_amount_share
        FROM staff s
        LEFT JOIN jb ON jb.staff_id = s.staff_id
        LEFT JOIN dl ON dl.staff_id = s.staff_id
        WHERE (jb.staff_id IS NOT NULL OR dl.staff_id IS NOT NULL) AND {psql}
        ORDER BY jobs_without_deal_share DESC NULLS LAST, deals_without_amount_share DESC NULLS LAST, s.staff_id
    """, [*jparams, *dparams, *pparams]).df()


def reconciliation(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, pd.DataFrame]:
    """The four reconciliation sections for the filtered view.

    Args:
        con: warehouse connection (read-only is fine).
        filters: period, teams, people (deals by their owner, jobs by their salesperson).

    Returns:
        {"won_without_placement", "placements_without_deal", "amount_mismatch",
         "crm_completeness_by_sales"} → DataFrame.
    """
    return {
        "won_without_placement": won_without_placement(con, filters),
        "placements_without_deal": placements_without_deal(con, filters),
        "amount_mismatch": amount_mismatch(con, filters),
        "crm_completeness_by_sales": crm_completeness_by_sales(con, filters),
    }
