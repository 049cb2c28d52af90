"""CRM pipeline: open deals now, stale deals, win rates, sales cycle, won amounts, top accounts, lost reasons.

Built on the cleaned `deals` table alone, so it works on a CRM export without the BO. A deal's
owner is its resolved staff member (`deals.owner_id`); unresolved owners show as exported. The
team and salesperson filters apply to the owner; the job type filter does not
apply to deals. Deals closed (won or lost) are dated by `closed_at`, deals created by `created_at`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.metrics.common import as_of, wilson_interval
from core.metrics.derived import segment_case_sql

BREAKDOWNS = ("owner", "team", "month", "deal_type", "family")
STALE_DAYS = 60
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")

_OWNER = "COALESCE(s.name, NULLIF(trim(d.owner_raw), ''), '(no owner)')"
_TEAM = "COALESCE(s.team, '(no team)')"
_FROM = "deals d LEFT JOIN staff s ON s.staff_id = d.owner_id"

# Words that say how senior the role is or that the deal is a hiring, dropped so that
# "Acme - Senior Java Developer (Paris)" and "Recrutement Java developer" fall in one family.
_NOISE_WORDS = ("junior", "jr", "senior", "sr", "mid", "intermediate", "confirmed", "confirme", "experienced",
                "experimente", "lead", "principal", "intern", "stagiaire", "alternant", "debutant", "entry",
                "level", "ii", "iii", "recrutement", "recruitment", "hiring", "poste", "mission", "cdi",
                "cdd", "freelance", "h", "f")


def _fold(expr: str) -> str:
    """SQL: `expr` without parenthesised parts, lower-case ASCII letters and single spaces."""
    return (r"trim(regexp_replace(lower(strip_accents(regexp_replace(" + expr
            + r", '\([^)]*\)', '', 'g'))), '[^a-z]+', ' ', 'g'))")


def _family_sql() -> str:
    parts = r"string_split_regex(COALESCE(d.deal_name, ''), '\s+[-–/|:]\s+')"
    # The deal name's parts around " - ", " / "…, folded; the first one that is not the company's name.
    title = (f"list_filter(list_transform({parts}, lambda p: {_fold('p')}), lambda q: q <> '' AND "
             "(d.company_folded = '' OR (position(q IN d.company_folded) = 0 "
             "AND position(d.company_folded IN q) = 0)))[1]")
    noise = r"\b(" + "|".join(_NOISE_WORDS) + r")\b"
    cleaned = f"regexp_replace(regexp_replace(COALESCE({title}, ''), '{noise}', ' ', 'g'), '\\s+', ' ', 'g')"
    return f"COALESCE(NULLIF(trim({cleaned}), ''), '(unnamed)')"


# Deal-name family: the deal name's part that is not the company name (names are often
# "Company - Title" or "Title - Company (City)"), without parenthesised text, folded to lower-case
# ASCII, seniority and hiring words dropped; `(unnamed)` when nothing is left. It reads the deals
# through `_FAMILY_FROM`, which folds each company name once.
_FAMILY_SQL = _family_sql()
_FAMILY_FROM = ("(SELECT d0.*, " + _fold("COALESCE(d0.company, '')") + " AS company_folded FROM deals d0) d "
                "LEFT JOIN staff s ON s.staff_id = d.owner_id")

_KEYS = {
    "owner": _OWNER,
    "team": _TEAM,
    "month": "date_trunc('month', d.closed_at)::DATE",
    "deal_type": "COALESCE(NULLIF(trim(d.deal_type), ''), '(unknown)')",
    "family": _FAMILY_SQL,
}


def _key(by: str) -> tuple[str, str]:
    """The SQL of breakdown `by` and the FROM clause it reads."""
    if by not in _KEYS:
        raise ValueError(f"by must be one of {list(BREAKDOWNS)}, not {by!r}")
    return _KEYS[by], _FAMILY_FROM if by == "family" else _FROM


def _df(con, sql: str, params: list[object]) -> pd.DataFrame:
    return con.execute(sql, params).df()


def pipeline_now(con, filters: Filters) -> pd.DataFrame:
    """Open pipeline now: deals still open by stage, with their count, amount and probability-weighted amount.
    A snapshot at the data's as-of date: every deal whose stage is `open`, whatever the period (the period
    filter does not apply; team and salesperson filters apply to the owner). Stage is the open sub-stage
    (`qualification`, `pitch`, `mer`, `offer`, `other`; `(unknown)` when the CRM does not say). Amount = sum
    of known amounts; weighted amount = sum of amount × the CRM's win probability over the deals that have
    both (NULL when none has a probability).

    Args:
        con: warehouse connection.
        filters: the global filters (people only).

    Returns:
        DataFrame [stage_detail, deals, amount, weighted_amount, deals_with_probability], stages
        in pipeline order.
    """
    cond, params = filters.deals("d")
    return _df(con, f"""
        WITH o AS (SELECT COALESCE(d.stage_detail, '(unknown)') AS stage, d.amount, d.probability
                   FROM deals d WHERE d.stage = 'open' AND {cond})
        SELECT stage AS stage_detail, COUNT(*)::BIGINT AS deals,
               COALESCE(SUM(amount), 0)::DOUBLE AS amount,
               SUM(amount * probability)::DOUBLE AS weighted_amount,
               COUNT(probability)::BIGINT AS deals_with_probability
        FROM o GROUP BY stage
        ORDER BY CASE stage WHEN 'qualification' THEN 1 WHEN 'pitch' THEN 2 WHEN 'mer' THEN 3
                 WHEN 'offer' THEN 4 WHEN 'other' THEN 5 ELSE 6 END""", params)


def stale_deals(con, filters: Filters, days: int = STALE_DAYS) -> pd.DataFrame:
    """Stale deals: open deals past their expected close date, or not modified for more than `days` days (60
    by default), at the data's as-of date. "Now" is the as-of date of the warehouse (never the calendar). A
    deal is listed when it is open and its `expected_close_at` is before the as-of date, or its `updated_at`
    is more than `days` days before it. The period filter does not apply (a snapshot); team and salesperson
    filters apply to the owner.

    Args:
        con: warehouse connection.
        filters: the global filters (people only).
        days: days without modification after which an open deal is stale.

    Returns:
        DataFrame [deal_id, deal_name, company, owner, stage_detail, amount, created_at,
        expected_close_at, updated_at, days_overdue, days_since_update, reason], largest amount first.
    """
    cond, params = filters.deals("d")
    now = as_of(con)
    return _df(con, f"""
        WITH o AS (
            SELECT d.*, {_OWNER} AS owner,
                   CASE WHEN d.expected_close_at < ?::DATE
                        THEN ?::DATE - d.expected_close_at END AS days_overdue,
                   CASE WHEN d.updated_at IS NOT NULL THEN ?::DATE - d.updated_at END AS days_since_update
            FROM {_FROM}
            WHERE d.stage = 'open' AND {cond})
        SELECT deal_id, deal_name, company, owner, COALESCE(stage_detail, '(unknown)') AS stage_detail,
               amount, created_at, expected_close_at, updated_at, days_overdue::BIGINT AS days_overdue,
               days_since_update::BIGINT AS days_since_update,
               concat_ws(' and ',
                         CASE WHEN days_overdue IS NOT NULL THEN 'past expected close date' END,
                         CASE WHEN days_since_update > ?
                              THEN 'no change for over ' || ? || ' days' END) AS reason
        FROM o
        WHERE days_overdue IS NOT NULL OR days_since_update > ?
        ORDER BY amount DESC NULLS LAST, deal_id""", [now, now, now] + params + [days, days, days])


def win_rate(con, filters: Filters, by: str = "owner") -> pd.DataFrame:
    """Win rate = won / (won + lost) of the deals closed in the period, by owner, team, month of close, deal
    type or deal-name family, with counts and a 95 % Wilson interval. Deals closed in the period (stage `won`
    or `lost`, `closed_at` in the period; with no period, also those without a close date). Owner is the
    resolved staff member's name (the raw owner string when unresolved); team is the owner's team; deal type
    is `new` / `existing` business as the CRM gives it; the deal-name family is the deal name in lower case
    without accents, with the company's name, seniority words (junior, senior, lead…), legal forms and single
    letters (H/F) removed, so that "Acme – Senior Java Developer" and "Java developer" are one family.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.
        by: `owner`, `team`, `month`, `deal_type` or `family`.

    Returns:
        DataFrame [<by>, deals, won, lost, win_rate, ci_low, ci_high]; by month in time order,
        otherwise ranked by the interval's lower end (so a rate on few deals does not outrank a
        solid one), then by win rate.
    """
    key, source = _key(by)
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    frame = _df(con, f"""
        SELECT {key} AS "{by}", COUNT(*)::BIGINT AS deals,
               COUNT(*) FILTER (WHERE d.stage = 'won')::BIGINT AS won,
               COUNT(*) FILTER (WHERE d.stage = 'lost')::BIGINT AS lost,
               COUNT(*) FILTER (WHERE d.stage = 'won') / COUNT(*) AS win_rate
        FROM {source}
        WHERE d.stage IN ('won', 'lost') AND {cond}
        GROUP BY 1 ORDER BY 1""", params)
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["won"], frame["deals"])
    if by == "month":
        return frame
    return frame.sort_values(["ci_low", "win_rate", "deals", by], ascending=[False, False, False, True],
                             kind="stable").reset_index(drop=True)


def sales_cycle(con, filters: Filters, by: str = "owner") -> pd.DataFrame:
    """Sales cycle: days from a deal's creation to its close, for deals won in the period (median, quartiles,
    mean), by owner, team, month of close, deal type or deal-name family. Won deals with `closed_at` in the
    period (groups as in the win rate); deals whose close date is before their creation date are left out (the
    cleaner already blanks such dates).

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.
        by: `owner`, `team`, `month`, `deal_type` or `family`.

    Returns:
        DataFrame [<by>, won_deals, median_days, p25_days, p75_days, mean_days], most won deals
        first (by month: in time order).
    """
    key, source = _key(by)
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    order = "1" if by == "month" else "won_deals DESC, 1"
    return _df(con, f"""
        SELECT {key} AS "{by}", COUNT(*)::BIGINT AS won_deals,
               MEDIAN(d.closed_at - d.created_at)::DOUBLE AS median_days,
               quantile_cont(d.closed_at - d.created_at, 0.25) AS p25_days,
               quantile_cont(d.closed_at - d.created_at, 0.75) AS p75_days,
               AVG(d.closed_at - d.created_at) AS mean_days
        FROM {source}
        WHERE d.stage = 'won' AND d.closed_at >= d.created_at AND {cond}
        GROUP BY 1 ORDER BY {order}""", params)


def won_amount_by_month(con, filters: Filters) -> pd.DataFrame:
    """Won amount by month of close: the amounts of the deals won, dated by their close date, with the number
    of deals and the average deal size. Won deals with `closed_at` in the period. Average deal size = won
    amount / won deals with a known amount.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.

    Returns:
        DataFrame [month (DATE, first day), won_deals, amount, avg_deal_size], in time order;
        months without a won deal are absent.
    """
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    return _df(con, f"""
        SELECT date_trunc('month', d.closed_at)::DATE AS month, COUNT(*)::BIGINT AS won_deals,
               COALESCE(SUM(d.amount), 0)::DOUBLE AS amount, AVG(d.amount) AS avg_deal_size
        FROM deals d
        WHERE d.stage = 'won' AND d.closed_at IS NOT NULL AND {cond}
        GROUP BY 1 ORDER BY 1""", params)


def won_seasonality(con, filters: Filters) -> pd.DataFrame:
    """Seasonality of CRM deals won (not of BO jobs opened, which the Seasonality page shows): for each calendar
    month, the mean amount won over the years, by the deals' close date, and its index relative to the average
    month. Monthly won amounts (by close date, in the period) are taken over every
    month from the first to the last month with a won deal (months without one count as 0). mean_amount = mean
    over the years of that calendar month's amount; index = mean_amount / mean of the twelve mean_amounts (1 =
    an average month). The peak is the month with the highest index, the trough the lowest.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.

    Returns:
        DataFrame [month_of_year (1–12), month_name, mean_amount, index, is_peak, is_trough];
        empty when no deal was won.
    """
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    frame = _df(con, f"""
        WITH m AS (
            SELECT date_trunc('month', d.closed_at)::DATE AS month, SUM(COALESCE(d.amount, 0)) AS amount
            FROM deals d WHERE d.stage = 'won' AND d.closed_at IS NOT NULL AND {cond} GROUP BY 1),
        months AS (
            SELECT unnest(generate_series(MIN(month), MAX(month), INTERVAL 1 MONTH))::DATE AS month FROM m),
        filled AS (SELECT months.month, COALESCE(m.amount, 0) AS amount FROM months LEFT JOIN m USING (month))
        SELECT month(month)::BIGINT AS month_of_year, AVG(amount)::DOUBLE AS mean_amount
        FROM filled GROUP BY 1 ORDER BY 1""", params)
    frame.insert(1, "month_name", [MONTH_NAMES[m - 1] for m in frame["month_of_year"]])
    overall = frame["mean_amount"].mean() if not frame.empty else np.nan
    frame["index"] = frame["mean_amount"] / overall if overall and overall > 0 else np.nan
    frame["is_peak"] = frame["index"].eq(frame["index"].max()) & frame["index"].notna()
    frame["is_trough"] = frame["index"].eq(frame["index"].min()) & frame["index"].notna()
    return frame


def top_accounts(con, filters: Filters) -> pd.DataFrame:
    """Top accounts by won amount, with the 1 % / 4 % / 15 % segmentation: accounts ranked by the amount of
    their deals won in the period. An account is the BO client the deal's company is linked to
    (`client_links`, status auto or override), else the company name as exported; deals without a company are
    left out. Accounts with a won amount > 0 are ranked; `top` = the first ceil(1 %), `large` = the next up to
    ceil(5 %), `medium` = the next up to ceil(20 %), `other` the rest (the same cut as the BO client segments,
    for teams without BO revenue). cumulative_share = running won amount / total won amount.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.

    Returns:
        DataFrame [rank, account, client_id, won_deals, won_amount, cumulative_share, segment],
        largest won amount first.
    """
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    return _df(con, f"""
        WITH by_company AS (
            SELECT trim(d.company) AS company, COUNT(*) AS won_deals, SUM(d.amount) AS won_amount
            FROM deals d
            WHERE d.stage = 'won' AND NULLIF(trim(d.company), '') IS NOT NULL AND {cond}
            GROUP BY 1),
        w AS (
            SELECT CASE WHEN cl.status IN ('auto', 'override') THEN cl.client_id END AS client_id, b.*
            FROM by_company b LEFT JOIN client_links cl ON cl.crm_company = b.company),
        acc AS (
            SELECT COALESCE(w.client_id, w.company) AS account_key, ANY_VALUE(w.client_id) AS client_id,
                   COALESCE(ANY_VALUE(c.name), MIN(w.company)) AS account,
                   SUM(w.won_deals)::BIGINT AS won_deals, COALESCE(SUM(w.won_amount), 0)::DOUBLE AS won_amount
            FROM w LEFT JOIN clients c ON c.client_id = w.client_id
            GROUP BY 1 HAVING SUM(w.won_amount) > 0),
        ranked AS (
            SELECT *, ROW_NUMBER() OVER (ORDER BY won_amount DESC, account, account_key) AS rank,
                   COUNT(*) OVER () AS n,
                   SUM(won_amount) OVER (ORDER BY won_amount DESC, account, account_key)
                       / SUM(won_amount) OVER () AS cumulative_share
            FROM acc)
        SELECT rank::BIGINT AS rank, account, client_id, won_deals, won_amount, cumulative_share,
               {segment_case_sql('rank', 'n')} AS segment
        FROM ranked ORDER BY rank""", params)


def lost_reasons(con, filters: Filters) -> pd.DataFrame:
    """Why deals are lost: lost deals closed in the period by the reason the CRM gives, with their count,
    share and amount. share = lost deals with the reason / all lost deals in the period; deals without a
    reason form the row `(not given)`. Empty when the CRM gives no reason at all for these deals.

    Args:
        con: warehouse connection.
        filters: the global filters; the period applies to `deals.closed_at`.

    Returns:
        DataFrame [lost_reason, deals, share, amount], most frequent first, `(not given)` last.
    """
    cond, params = where(filters.period("d.closed_at"), filters.deals("d"))
    frame = _df(con, f"""
        WITH l AS (SELECT COALESCE(NULLIF(trim(d.lost_reason), ''), '(not given)') AS reason, d.amount
                   FROM deals d WHERE d.stage = 'lost' AND {cond})
        SELECT reason AS lost_reason, COUNT(*)::BIGINT AS deals,
               COUNT(*) / SUM(COUNT(*)) OVER () AS share, COALESCE(SUM(amount), 0)::DOUBLE AS amount
        FROM l GROUP BY reason ORDER BY reason = '(not given)', deals DESC, reason""", params)
    if not (frame["lost_reason"] != "(not given)").any():
        return frame.iloc[0:0]
    return frame


CRM_MEASURES = (
    ("deals", "Deals created", "count"),
    ("won", "Deals won", "count"),
    ("lost", "Deals lost", "count"),
    ("open", "Created and still open", "count"),
    ("win_rate", "Win rate", "rate"),
    ("won_amount", "Won amount", "eur"),
    ("avg_deal_size", "Average deal size", "eur"),
    ("cycle_days_median", "Median sales cycle", "days"),
    ("open_amount", "Open pipeline at period end", "eur"),
)
# Deals created in an earlier period have had longer to close: their count still open is not comparable.
_NOT_COMPARED = {"open": "Deals created earlier have had longer to close: not compared with the previous period."}


def _open_at(con, filters: Filters, day) -> float:
    """Amount of the deals open on `day`: created on or before it and not closed by then (a deal closed
    without a close date is left out, its closing day unknown). Today's amounts stand for the past ones."""
    cond, params = filters.deals("d")
    value = con.execute(f"""
        SELECT SUM(d.amount) FROM deals d
        WHERE d.created_at <= ?::DATE AND {cond}
          AND ((d.stage = 'open' AND d.closed_at IS NULL) OR d.closed_at > ?::DATE)""",
                        [day] + params + [day]).fetchone()[0]
    return float(value or 0.0)


def _crm_values(con, filters: Filters) -> dict[str, float | None]:
    created, cparams = where(filters.period("d.created_at"), filters.deals("d"))
    closed, xparams = where(filters.period("d.closed_at"), filters.deals("d"))
    row = con.execute(f"""
        SELECT (SELECT COUNT(*) FROM deals d WHERE {created}),
               (SELECT COUNT(*) FILTER (WHERE d.stage = 'open') FROM deals d WHERE {created}),
               (SELECT SUM(d.amount) FILTER (WHERE d.stage = 'open') FROM deals d WHERE {created}),
               COUNT(*) FILTER (WHERE d.stage = 'won'),
               COUNT(*) FILTER (WHERE d.stage = 'lost'),
               SUM(d.amount) FILTER (WHERE d.stage = 'won'),
               AVG(d.amount) FILTER (WHERE d.stage = 'won'),
               MEDIAN(d.closed_at - d.created_at)
                   FILTER (WHERE d.stage = 'won' AND d.closed_at >= d.created_at)
        FROM deals d WHERE d.stage IN ('won', 'lost') AND {closed}""", cparams * 3 + xparams).fetchone()
    deals, open_, _, won, lost, won_amount, avg_size, cycle = row
    now = as_of(con)
    end = min(filters.date_to, now) if filters.date_to is not None and now is not None else now
    return {
        "deals": deals, "won": won, "lost": lost, "open": open_,
        "win_rate": won / (won + lost) if won + lost else None,
        "won_amount": float(won_amount or 0.0),
        "avg_deal_size": float(avg_size) if avg_size is not None else None,
        "cycle_days_median": float(cycle) if cycle is not None else None,
        "open_amount": _open_at(con, filters, end) if end is not None else 0.0,
    }


def headline_frame(measures, values: dict, previous: dict | None, notes: dict | None = None) -> pd.DataFrame:
    """Headline rows [measure, label, value, previous, change, unit, note]; change = value / previous − 1;
    note says why a measure is incomplete or not compared (NULL otherwise)."""
    rows = []
    for measure, label, unit in measures:
        value = values.get(measure)
        prev = previous.get(measure) if previous is not None else None
        change = value / prev - 1 if value is not None and prev not in (None, 0) else None
        rows.append({"measure": measure, "label": label, "value": value, "previous": prev, "change": change,
                     "unit": unit, "note": (notes or {}).get(measure)})
    frame = pd.DataFrame(rows, columns=["measure", "label", "value", "previous", "change", "unit", "note"])
    return frame.astype({"value": float, "previous": float, "change": float})


def crm_headline(con, filters: Filters) -> pd.DataFrame:
    """CRM headline numbers for the period, with the previous period of the same length when the period is
    closed. deals = deals created in the period; open = those still open; won and lost = deals closed in the
    period as won / lost; win_rate = won / (won + lost); won_amount = amount of the deals won; avg_deal_size =
    won amount / won deals with an amount; cycle_days_median = median days from creation to close of the
    deals won; open_amount = the open pipeline at the end of the period (the as-of date when the period runs
    on): the amount of the deals created on or before that day and not closed by then, whenever created. With
    a closed period, `previous` holds the same measure for the period of the same length just before, and
    change = value / previous − 1; open_amount then compares the pipeline as it stood at the end of each
    period (reconstructed from the creation and close dates, with today's amounts), and `open` is not
    compared (deals created earlier have had longer to close). A period that runs past the data's last
    date is not compared at all (`note` says so).

    Args:
        con: warehouse connection.
        filters: the global filters (period, team, salesperson).

    Returns:
        DataFrame [measure, label, value, previous, change, unit] with unit `count`, `rate`, `eur`
        or `days`.
    """
    values = _crm_values(con, filters)
    closed = filters.date_from is not None and filters.date_to is not None
    previous = _crm_values(con, filters.previous_period()) if closed else None
    notes = dict(_NOT_COMPARED) if closed else {}
    now = as_of(con)
    if previous is not None and now is not None and filters.date_to > now:
        previous = None
        notes = {m: f"The period runs past the data's last date ({now:%d %b %Y}): not compared."
                 for m, _, _ in CRM_MEASURES}
    if previous is not None:
        previous.update(dict.fromkeys(_NOT_COMPARED))
    return headline_frame(CRM_MEASURES, values, previous, notes)
