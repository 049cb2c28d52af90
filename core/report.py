"""The management report: every answer in one JSON-ready dict, and the same as text.

`build_report` composes the metric functions the pages call (one computation, two views); its
keys are a public interface documented in docs/report.md. Money is in euros, rates are fractions,
months are integers 1–12, clients are BO `client_id`s and staff are their BO names. A warehouse
without a BO export keeps every BO key, with empty values; `crm` is always present.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.filters import Filters
from core.link import coverage
from core.metrics import funnel, objectives, pipeline
from core.metrics.churn import churn_by_year, lifetime_value
from core.metrics.clients import client_economics
from core.metrics.common import has_bo
from core.metrics.quality import quality_summary, rule_effects, unknown_stage_labels
from core.metrics.seasonality import monthly_activity, seasonal_index
from core.metrics.time_wasters import time_wasters

TOP_ACCOUNTS = 20
CLIENT_KEYS = ("client_id", "name", "turnover", "net_profit", "placements", "jobs", "avg_basket", "segment")
SEGMENT_KEYS = ("top", "large", "medium")
REPORT_KEYS = (
    "seasonality", "revenue_by_month", "clients", "segments", "time_wasters", "churn_rate_by_year", "clv",
    "funnel", "pitch_to_mer_by_sales", "pitch_to_mer_by_team", "closing_days_median", "fill_rate",
    "jobs_needed_per_month", "data_quality", "links", "crm", "forecast", "model",
)


def _num(value: Any) -> float | int | None:
    """A JSON-safe number: int for integer types, float otherwise, None for NULL/NaN."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return float(value)


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def _rates(frame: pd.DataFrame, key: str, rate: str) -> dict[str, float | None]:
    return {str(k): _num(v) for k, v in zip(frame[key], frame[rate])}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN/NULL → None), vectorised for large client lists."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _empty_bo() -> dict[str, Any]:
    return {
        "seasonality": {"peak_month": None, "trough_month": None, "index_by_month": {},
                        "revenue_peak_month": None},
        "revenue_by_month": [],
        "clients": [],
        "segments": {s: [] for s in SEGMENT_KEYS},
        "time_wasters": [],
        "churn_rate_by_year": {},
        "clv": {"loyal": None, "broken": None},
        "funnel": {"pitch_to_mer": None, "mer_to_offer": None, "offer_to_placement": None,
                   "mer_to_placement_by_year": {}},
        "pitch_to_mer_by_sales": {},
        "pitch_to_mer_by_team": {},
        "closing_days_median": None,
        "fill_rate": {"new": None, "repeat": None},
        "jobs_needed_per_month": {"objective_eur": None, "jobs": None},
    }


def _peak(index: pd.DataFrame, flag: str) -> int | None:
    months = index.loc[index[flag].astype(bool), "month_of_year"]
    return int(months.iloc[0]) if not months.empty else None


def default_objective(monthly: pd.DataFrame) -> float | None:
    """The objective used when none is given: the period's average monthly revenue, to the nearest 1 000 €.

    The average is taken over every calendar month from the first to the last month with activity
    (months without revenue count as 0), so the answer reads "jobs to open each month to keep the
    current pace".
    """
    if monthly.empty or monthly["revenue"].fillna(0).sum() <= 0:
        return None
    first, last = pd.Timestamp(monthly["month"].min()), pd.Timestamp(monthly["month"].max())
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return float(round(monthly["revenue"].fillna(0).sum() / months, -3))


def _bo_sections(con, f: Filters, objective_eur: float | None) -> dict[str, Any]:
    jobs_index = seasonal_index(con, f, "jobs_opened")
    revenue_index = seasonal_index(con, f, "revenue")
    monthly = monthly_activity(con, f)
    eco = client_economics(con, f)
    wasters = time_wasters(con, f)
    churn = churn_by_year(con, f)
    clv = lifetime_value(con, f).set_index("relationship")
    stages = funnel.funnel_overall(con, f).set_index("stage")["conversion_from_previous"]
    by_year = funnel.mer_to_placement_over_time(con, f, grain="year")
    closing = funnel.closing_duration(con, f).set_index("job_type")
    kinds = funnel.new_vs_repeat(con, f).set_index("job_kind")["fill_rate"]
    by_sales = funnel.pitch_to_mer_by_sales(con, f)
    objective = objective_eur if objective_eur is not None else default_objective(monthly)
    needed = objectives.jobs_needed(con, f, objective) if objective is not None else pd.DataFrame()
    all_row = needed[needed["job_type"] == "All"] if not needed.empty else needed

    return {
        "seasonality": {
            "peak_month": _peak(jobs_index, "is_peak"),
            "trough_month": _peak(jobs_index, "is_trough"),
            "index_by_month": dict(zip(jobs_index["month_of_year"].astype(int).tolist(),
                                       map(_num, jobs_index["index"]))),
            "revenue_peak_month": _peak(revenue_index, "is_peak"),
        },
        "revenue_by_month": [{"month": _month(m), "revenue": _num(float(r))}
                             for m, r in zip(monthly["month"], monthly["revenue"].fillna(0))],
        "clients": _records(eco[list(CLIENT_KEYS)]),
        "segments": {s: eco.loc[eco["segment"] == s, "client_id"].tolist() for s in SEGMENT_KEYS},
        "time_wasters": wasters.loc[wasters["quadrant"] == "time waster", "client_id"].tolist(),
        "churn_rate_by_year": {str(int(y)): _num(r) for y, r in zip(churn["year"], churn["churn_rate"])},
        "clv": {k: (_num(clv.loc[k, "mean_clv"]) if k in clv.index else None) for k in ("loyal", "broken")},
        "funnel": {
            "pitch_to_mer": _num(stages.get("mer")),
            "mer_to_offer": _num(stages.get("offer")),
            "offer_to_placement": _num(stages.get("placement")),
            "mer_to_placement_by_year": dict(zip([str(pd.Timestamp(p).year) for p in by_year["period"]],
                                                 map(_num, by_year["mer_to_placement_rate"]))),
        },
        "pitch_to_mer_by_sales": _rates(by_sales, "name", "pitch_to_mer_rate"),
        "pitch_to_mer_by_team": _rates(funnel.team_pitch_to_mer(by_sales), "team", "pitch_to_mer_rate"),
        "closing_days_median": _num(closing.loc["All", "median_days"]) if "All" in closing.index else None,
        "fill_rate": {k: _num(kinds.get(k)) for k in ("new", "repeat")},
        "jobs_needed_per_month": {
            "objective_eur": _num(objective),
            "jobs": _num(all_row["jobs_needed"].iloc[0]) if not all_row.empty else None,
        },
    }


def _data_quality(con) -> dict[str, dict[str, Any]]:
    summary = quality_summary(con)
    effects = rule_effects(con)
    labels = unknown_stage_labels(con)
    out: dict[str, dict[str, Any]] = {}
    for row in summary.to_dict("records"):
        file = str(row["file"])
        mine = effects[effects["file"] == file]
        out[file] = {
            "rows_in": _num(row["rows_in"]), "clean": _num(row["rows_clean"]),
            "quarantined": _num(row["rows_quarantined"]), "duplicates": _num(row["rows_merged"]),
            "rules": [{k: (_num(v) if k not in ("rule", "status") else v) for k, v in r.items()
                       if k not in ("file", "step", "won_amount_change")} for r in mine.to_dict("records")],
            "unknown_stages": [{"label": r["label"], "deals": _num(r["deals"])}
                               for r in labels[labels["file"] == file].to_dict("records")],
        }
    return out


def _links(con) -> dict[str, Any]:
    counts = dict(con.execute("SELECT status, COUNT(*) FROM client_links GROUP BY status").fetchall())
    cover = coverage(con).set_index("measure")
    deal_coverage = cover.loc["deals", "after_review"] if "deals" in cover.index else None
    return {"auto": int(counts.get("auto", 0)), "review": int(counts.get("review", 0)),
            "none": int(counts.get("none", 0)), "override": int(counts.get("override", 0)),
            "deal_coverage": _num(deal_coverage)}


def _crm(con, f: Filters) -> dict[str, Any]:
    head = pipeline.crm_headline(con, f).set_index("measure")["value"]
    by_month = pipeline.won_amount_by_month(con, f)
    return {
        "deals": int(head["deals"]),
        "won": int(head["won"]),
        "lost": int(head["lost"]),
        "open": int(head["open"]),
        "win_rate": _num(head["win_rate"]),
        "win_rate_by_owner": _rates(pipeline.win_rate(con, f, by="owner"), "owner", "win_rate"),
        "win_rate_by_team": _rates(pipeline.win_rate(con, f, by="team"), "team", "win_rate"),
        "cycle_days_median": _num(head["cycle_days_median"]),
        "won_amount": _num(head["won_amount"]),
        "won_amount_by_month": [{"month": _month(m), "amount": _num(float(a))}
                                for m, a in zip(by_month["month"], by_month["amount"])],
        "top_accounts": pipeline.top_accounts(con, f)["account"].head(TOP_ACCOUNTS).tolist(),
    }


def _model(con, db_path: Path | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    # Only a trained model stored beside the warehouse gives a forecast; without one the keys
    # say so (empty list, null) rather than training on the fly.
    if db_path is None:
        return [], None
    from core.model.store import load

    bundle = load(Path(db_path))
    if bundle is None:
        return [], None
    from core.model.forecast import forecast_report
    from core.model.train import model_report

    return forecast_report(con, bundle), model_report(Path(db_path))


def build_report(con, filters: Filters, db_path: Path | None = None,
                 objective_eur: float | None = None) -> dict[str, Any]:
    """Every answer of the management report as one JSON-ready dict (keys in docs/report.md).

    The numbers are those of the metric functions the pages show, under the same filters.
    Data quality and links describe the whole warehouse (filters do not apply). `forecast` and
    `model` come from the model trained beside the warehouse (`python -m core train`); without
    one they are `[]` and None.

    Args:
        con: warehouse connection.
        filters: the global filters.
        db_path: the warehouse file, to find its trained model; None for no forecast.
        objective_eur: the monthly revenue objective for `jobs_needed_per_month`; by default the
            period's average monthly revenue (see `default_objective`).

    Returns:
        dict with exactly the keys of `REPORT_KEYS`, in that order.
    """
    report = _bo_sections(con, filters, objective_eur) if has_bo(con) else _empty_bo()
    report["data_quality"] = _data_quality(con)
    report["links"] = _links(con)
    report["crm"] = _crm(con, filters)
    report["forecast"], report["model"] = _model(con, db_path)
    return {key: report[key] for key in REPORT_KEYS}


def _fmt(value: Any, kind: str = "") -> str:
    if value is None:
        return "n/a"
    if kind == "eur":
        return f"{value:,.0f} €".replace(",", " ")
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.0f} days"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


def _month_name(month: int | None) -> str:
    return date(2000, month, 1).strftime("%B") if month else "n/a"


def _pairs(values: dict[Any, Any], kind: str) -> str:
    return ", ".join(f"{k} {_fmt(v, kind)}" for k, v in values.items()) or "n/a"


def format_report(report: dict[str, Any]) -> str:
    """The report as plain text for the terminal: a short section per question, the numbers of the JSON."""
    season, fun, need = report["seasonality"], report["funnel"], report["jobs_needed_per_month"]
    seg, links, crm = report["segments"], report["links"], report["crm"]
    revenue = sum(r["revenue"] or 0 for r in report["revenue_by_month"])
    lines = ["Crossview report", "================", "",
             "Seasonality (jobs opened)",
             (f"  peak: {_month_name(season['peak_month'])}, trough: {_month_name(season['trough_month'])}, "
             f"revenue peak: {_month_name(season['revenue_peak_month'])}"), "",
             f"Revenue in the period: {_fmt(revenue, 'eur')} over {len(report['revenue_by_month'])} months",
             "",
             "Top clients by turnover"]
    for c in report["clients"][:10]:
        lines.append(f"  {c['client_id']:<10} {str(c['name'])[:30]:<30} {_fmt(c['turnover'], 'eur'):>14} "
                     f"net {_fmt(c['net_profit'], 'eur'):>14}  {c['segment']}")
    wasters = ", ".join(report["time_wasters"][:10]) or "none"
    lines += [(f"  segments: top {len(seg['top'])}, large {len(seg['large'])}, "
              f"medium {len(seg['medium'])} clients"),
              "", f"Time wasters (most wasteful first): {wasters}", "",
              f"Churn rate by year: {_pairs(report['churn_rate_by_year'], 'rate')}",
              (f"Lifetime value: loyal {_fmt(report['clv']['loyal'], 'eur')}, "
              f"broken {_fmt(report['clv']['broken'], 'eur')}"), "",
              "Funnel",
              (f"  pitch→MER {_fmt(fun['pitch_to_mer'], 'rate')}, "
              f"MER→offer {_fmt(fun['mer_to_offer'], 'rate')}, "
              f"offer→placement {_fmt(fun['offer_to_placement'], 'rate')}"),
              f"  MER→placement by year: {_pairs(fun['mer_to_placement_by_year'], 'rate')}",
              f"  pitch→MER by salesperson: {_pairs(report['pitch_to_mer_by_sales'], 'rate')}",
              f"  pitch→MER by team: {_pairs(report['pitch_to_mer_by_team'], 'rate')}",
              f"  median closing duration: {_fmt(report['closing_days_median'], 'days')}",
              (f"  fill rate: new jobs {_fmt(report['fill_rate']['new'], 'rate')}, "
              f"repeat jobs {_fmt(report['fill_rate']['repeat'], 'rate')}"), "",
              (f"Jobs to open per month for {_fmt(need['objective_eur'], 'eur')} a month: "
              f"{_fmt(need['jobs'])}"), "",
              "Data quality (rows in / clean / quarantined / duplicates)"]
    for file, q in report["data_quality"].items():
        lines.append(f"  {file:<28} {q['rows_in']} / {q['clean']} / {q['quarantined']} / {q['duplicates']}")
    lines += [(f"Links: {links['auto']} auto, {links['review']} to review, {links['none']} none; "
              f"deal coverage {_fmt(links['deal_coverage'], 'rate')}"), "",
              "CRM pipeline",
              (f"  deals {crm['deals']}: won {crm['won']}, lost {crm['lost']}, open {crm['open']}; "
              f"win rate {_fmt(crm['win_rate'], 'rate')}; won {_fmt(crm['won_amount'], 'eur')}; "
              f"median cycle {_fmt(crm['cycle_days_median'], 'days')}"),
              "  top accounts: " + (", ".join(crm["top_accounts"][:10]) or "none"), ""]
    if report["forecast"]:
        lines.append("Revenue forecast (low / mid / high; of which booked: placements made, not invoiced)")
        lines += [f"  {r['month']}: " + " / ".join(_fmt(r[k], "eur") for k in ("low", "mid", "high"))
                  + f"; booked {_fmt(r['booked'], 'eur')}" for r in report["forecast"]]
    else:
        lines.append("Revenue forecast: no trained model (run `python -m core train --db FILE`).")
    return "\n".join(lines) + "\n"
