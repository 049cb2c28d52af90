"""The model of a CRM-only warehouse: win probability and expected amount of deals, and a won-amount forecast.

Without a back-office export there are no jobs, fees or invoices: the deals alone say what the pipeline
is worth. Revenue here is the CRM's won amount, dated by the deal's close date.

* **Features at creation** (`deal_features`): owner, deal type, pipeline, month created, and what was
  known of the company and the owner on the day the deal was created (the company's deals won and lost
  before, its deals created in the previous 365 days, the owner's win rate over deals closed in the
  previous 365 days). The deal's amount is *not* a feature: exports often zero the amount of lost deals
  (the fixture's `close_value` does), which would let the model read the outcome.
* **P(won)**: `HistGradientBoostingClassifier` on closed deals (won or lost) with a time-based split as
  for jobs (test: deals created in the 12 months to the as-of date, or in the last third of a shorter
  history, `test_months`); rule: the win rate by deal type of
  the training deals. Judged with `core.model.rules.compare_probabilities`; the rule is used unless the
  model surely adds. The CRM's own probability field is judged on the same deals when it says more than
  the outcome (exports write 100 % on won deals and 0 % on lost ones: then it cannot be judged).
* **Expected amount** of an open deal: P(won) × its amount (when positive), else × the median won amount
  of its deal type (then overall) among the training deals.
* **Forecast** (`deals_forecast`): open deals' expected amounts (P(won) × the odds of a deal still open
  at that age, from the deals closed so far: a deal older than any deal ever won is worth 0) spread
  over the months by the creation → close delay of won deals, conditional on their age; plus deals
  expected to be created (seasonal rate)
  × the average expected amount at creation, spread from mid-month by the same delay; times a level
  learned in the backtest (median actual / forecast; in the backtest, from the pairs known at each origin
  only, `core.model.forecast.calibration_factors`). Backtest from each month start of the test period with
  the deals known then, against the amount won, beside the same month a year earlier; the interval is the
  10th–90th percentile of actual / forecast by horizon.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from core.errors import UserError
from core.model import rules
from core.model.forecast import (
    HORIZON,
    _ecdf,
    _month_bounds,
    _seasonal_rate,
    _timing,
    calibration_factors,
    interval_ratios,
)
from core.model.threads import single_thread

DEAL_CATEGORICAL = ["owner", "deal_type", "pipeline"]
DEAL_NUMERIC = ["month_of_year", "company_won_before", "company_lost_before", "company_deals_12m",
                "owner_win_rate_12m"]
DEAL_FEATURES = DEAL_CATEGORICAL + DEAL_NUMERIC
# The test period: the last 12 months, or the last third of a shorter history (at least 3 months),
# so that a CRM with a year or two of deals still has a past to learn from.
TEST_MONTHS = 12
MIN_TEST_MONTHS = 3
MIN_TRAIN_DEALS = 30
SEED = 0

_DEALS_SQL = """
WITH d AS (
    SELECT deal_id, company, lower(trim(company)) AS company_key,
           COALESCE(owner_id, owner_raw) AS owner, deal_type, pipeline, amount, probability,
           stage, stage_detail, created_at, closed_at, expected_close_at
    FROM deals WHERE created_at IS NOT NULL
),
company AS (
    SELECT d.deal_id,
           COUNT(p.deal_id) FILTER (WHERE p.closed_at < d.created_at AND p.stage = 'won')
               AS company_won_before,
           COUNT(p.deal_id) FILTER (WHERE p.closed_at < d.created_at AND p.stage = 'lost')
               AS company_lost_before,
           COUNT(p.deal_id) FILTER (WHERE p.created_at >= d.created_at - INTERVAL 365 DAY)
               AS company_deals_12m
    FROM d LEFT JOIN d AS p ON p.company_key = d.company_key AND p.created_at < d.created_at
    GROUP BY d.deal_id
),
owner_rate AS (
    SELECT d.deal_id,
           COUNT(p.deal_id) FILTER (WHERE p.stage = 'won') / NULLIF(COUNT(p.deal_id), 0) AS owner_win_rate_12m
    FROM d LEFT JOIN d AS p ON p.owner = d.owner AND p.stage IN ('won', 'lost')
     AND p.closed_at < d.created_at AND p.closed_at >= d.created_at - INTERVAL 365 DAY
    GROUP BY d.deal_id
)
SELECT d.deal_id, d.company, d.owner, d.deal_type, d.pipeline, d.amount, d.probability, d.stage,
       d.stage_detail, d.created_at, d.closed_at, d.expected_close_at, month(d.created_at) AS month_of_year,
       c.company_won_before, c.company_lost_before, c.company_deals_12m, o.owner_win_rate_12m
FROM d LEFT JOIN company c USING (deal_id) LEFT JOIN owner_rate o USING (deal_id)
ORDER BY d.created_at, d.deal_id
"""


def deal_features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per dated deal: its features as known on the day it was created, and its outcome.

    Company history counts the deals of the same company (trimmed, case-insensitive) created strictly
    before this one and, for won / lost, closed before this one was created; the owner's win rate is
    over the owner's deals closed in the 365 days before. Nothing dated on or after the creation day
    enters a feature.

    Returns:
        DataFrame[deal_id, company, owner, deal_type, pipeline, amount, probability, stage,
        stage_detail, created_at, closed_at, expected_close_at] + `DEAL_NUMERIC`; categories as text
        (missing → "(unknown)"), dates as timestamps.
    """
    frame = con.execute(_DEALS_SQL).df()
    for col in DEAL_CATEGORICAL:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "(unknown)").astype(str)
    for col in DEAL_NUMERIC + ["amount", "probability"]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("created_at", "closed_at", "expected_close_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The CRM's last date: the latest creation or close date of a deal."""
    value = con.execute("SELECT GREATEST(MAX(created_at), MAX(closed_at)) FROM deals").fetchone()[0]
    return value


def win_pipeline() -> Pipeline:
    """P(won) at creation: ordinal-encoded categories + numbers → regularised gradient boosting."""
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                             encoded_missing_value=np.nan, min_frequency=5, max_categories=250)
    prep = ColumnTransformer([("cat", encoder, DEAL_CATEGORICAL), ("num", "passthrough", DEAL_NUMERIC)])
    hgb = HistGradientBoostingClassifier(
        learning_rate=0.03, max_iter=200, max_leaf_nodes=8, min_samples_leaf=20, l2_regularization=1.0,
        categorical_features=list(range(len(DEAL_CATEGORICAL))), early_stopping=False, random_state=SEED,
    )
    return Pipeline([("prep", prep), ("model", hgb)])


def _fit_amount_rule(won: pd.DataFrame) -> dict[str, Any]:
    paid = won[won["amount"] > 0]
    return {
        "by_type": {str(k): float(v) for k, v in paid.groupby("deal_type")["amount"].median().items()},
        "overall": float(paid["amount"].median()) if len(paid) else 0.0,
    }


def _fit(deals: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, Any]:
    closed = deals[deals["stage"].isin(("won", "lost")) & (deals["closed_at"] < cutoff)]
    cycle = (closed["closed_at"] - closed["created_at"]).dt.days
    gap = int(np.clip(cycle.quantile(0.9), 30, 365)) if len(cycle) else 0
    closed = closed[closed["created_at"] < cutoff - pd.Timedelta(days=gap)]
    won = closed["stage"].eq("won")
    if len(closed) < MIN_TRAIN_DEALS or won.all() or not won.any():
        raise UserError(
            f"Not enough CRM history to train: {len(closed)} deals won or lost before {cutoff.date()} "
            f"(at least {MIN_TRAIN_DEALS}, some won and some lost, are needed)."
        )
    with single_thread():
        model = win_pipeline().fit(closed[DEAL_FEATURES], won.to_numpy())
    return {
        "win_model": model,
        "rules": {
            "win": rules.fit_fill_rule(closed.assign(status=np.where(won, "filled", "lost"),
                                                     job_type=closed["deal_type"])),
            "amount": _fit_amount_rule(closed[won]),
        },
        "closed": closed,
        "gap_days": gap,
    }


def predict_deals(bundle: dict[str, Any], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """P(won) (model if the card says it adds, else the win rate by deal type) and amount if won (€)."""
    if frame.empty:
        return np.zeros(0), np.zeros(0)
    if bundle["use"]["win"]:
        with single_thread():
            p = bundle["win_model"].predict_proba(frame[DEAL_FEATURES])[:, 1]
    else:
        p = rules.fill_rate(bundle["rules"]["win"], frame.assign(job_type=frame["deal_type"]))
    amount_rule = bundle["rules"]["amount"]
    typical = frame["deal_type"].map(amount_rule["by_type"]).astype(float).fillna(amount_rule["overall"])
    amount = np.where(frame["amount"] > 0, frame["amount"], typical.to_numpy(float))
    return p, amount


def _crm_probability(y: np.ndarray, crm: np.ndarray, p: np.ndarray, p_rule: np.ndarray) -> dict[str, Any]:
    """The CRM's probability field against the model and the rule on the test deals that have one."""
    has = ~np.isnan(crm)
    out: dict[str, Any] = {"test_deals": int(has.sum()), "judged": False, "reason": None}
    if not has.any():
        out["reason"] = "The CRM export gives no probability."
        return out
    if np.array_equal(crm[has], y[has].astype(float)):
        out["reason"] = ("The CRM's probability of closed deals records the outcome (100 % won, 0 % lost): "
                         "it cannot be judged on them.")
        return out
    out["judged"] = True
    out.update({f"crm_{k}": v for k, v in rules.compare_probabilities(y[has], crm[has], p_rule[has]).items()
                if k in ("auc", "auc_interval", "brier")})
    model = rules.compare_probabilities(y[has], p[has], crm[has])
    out.update(model_auc=model["auc"], model_brier=model["brier"],
               model_vs_crm_auc_gain=model["auc_gain_interval"],
               model_vs_crm_brier_gain=model["brier_gain_interval"])
    return out


def _still_open_odds(closed: pd.DataFrame, age: np.ndarray) -> np.ndarray:
    """How much being still open at `age` days changes a deal's odds of being won.

    Among the deals closed so far that took longer than `age` days to close: their win share / the win
    share of all closed deals. A deal older than every closed deal has never been seen won: 0.
    """
    cycle = (closed["closed_at"] - closed["created_at"]).dt.days.to_numpy(float)
    won = closed["stage"].eq("won").to_numpy()
    if not len(cycle) or not won.any():
        return np.zeros(len(age))
    longer_all = len(cycle) - np.searchsorted(np.sort(cycle), age, side="right")
    longer_won = won.sum() - np.searchsorted(np.sort(cycle[won]), age, side="right")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(longer_all > 0, longer_won / longer_all, 0.0)
    return share / won.mean()


def _open_deals(
    bundle: dict[str, Any], deals: pd.DataFrame, t: pd.Timestamp
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Deals open at `t`, their P(won) given their age (`_still_open_odds`) and their amount if won."""
    known = deals[deals["created_at"] <= t]
    open_now = known[known["closed_at"].isna() | (known["closed_at"] > t)]
    p, amount = predict_deals(bundle, open_now)
    closed = known[known["stage"].isin(("won", "lost")) & (known["closed_at"] <= t)]
    age = (t - open_now["created_at"]).dt.days.to_numpy(float)
    return open_now, np.minimum(p * _still_open_odds(closed, age), 1.0), amount


def _inputs(bundle: dict[str, Any], deals: pd.DataFrame, t: pd.Timestamp) -> dict[str, Any]:
    """The parts of the forecast from origin `t`, from the deals known then."""
    months, starts, ends = _month_bounds(t)
    known = deals[deals["created_at"] <= t]
    open_now, p, amount = _open_deals(bundle, deals, t)
    won = known[(known["stage"] == "won") & (known["closed_at"] <= t)]
    cdf = _ecdf((won["closed_at"] - won["created_at"]).dt.days.to_numpy(float))
    timing = (_timing(open_now["created_at"].to_numpy(), t, cdf, starts, ends) if len(open_now)
              else np.zeros((0, HORIZON)))
    recent = known[known["created_at"] > t - pd.DateOffset(months=12)]
    p0, amount0 = predict_deals(bundle, recent)
    new_value = float((p0 * amount0).mean()) if len(p0) else 0.0
    mid_month = (months + pd.Timedelta(days=14)).to_numpy().astype("datetime64[D]")
    day = np.timedelta64(1, "D")
    kernel = (cdf((ends[:, None] - mid_month[None, :]) / day)
              - cdf((starts[:, None] - mid_month[None, :]) / day - 1))
    new = _seasonal_rate(known["created_at"], t, months)
    return {"months": months, "open": (p * amount) @ timing if len(p) else np.zeros(HORIZON),
            "new": kernel @ new * new_value}


def won_by_month(deals: pd.DataFrame) -> pd.Series:
    """Amount won per month of close (every month from the first to the last close)."""
    won = deals[(deals["stage"] == "won") & deals["closed_at"].notna()]
    series = won.groupby(won["closed_at"].dt.to_period("M").dt.to_timestamp())["amount"].sum()
    if series.empty:
        return series
    return series.reindex(pd.date_range(series.index.min(), series.index.max(), freq="MS"), fill_value=0.0)


def test_months(deals: pd.DataFrame, t: pd.Timestamp) -> int:
    """Months in the test period: 12, or a third of the months of deal history when that is shorter."""
    first = deals["created_at"].min()
    span = (t.year - first.year) * 12 + t.month - first.month + 1
    return int(min(TEST_MONTHS, max(MIN_TEST_MONTHS, span // 3)))


def _backtest(
    bundle: dict[str, Any], deals: pd.DataFrame, t: pd.Timestamp, months: int
) -> dict[str, Any]:
    last_full = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp() - pd.offsets.MonthBegin(1)
    actual = won_by_month(deals)
    rows = []
    for origin in pd.date_range(last_full - pd.DateOffset(months=months - 1), last_full, freq="MS"):
        parts = _inputs(bundle, deals, origin - pd.Timedelta(days=1))  # one forecast per origin month
        keep = parts["months"] <= last_full
        rows.append(pd.DataFrame({"origin": origin, "month": parts["months"][keep],
                                  "forecast": (parts["open"] + parts["new"])[keep]}))
    pairs = pd.concat(rows, ignore_index=True)
    pairs["horizon"] = ((pairs["month"].dt.year - pairs["origin"].dt.year) * 12
                        + pairs["month"].dt.month - pairs["origin"].dt.month + 1)
    pairs["actual"] = actual.reindex(pairs["month"]).fillna(0.0).to_numpy()
    pairs["seasonal_naive"] = actual.reindex(pairs["month"] - pd.DateOffset(years=1)).to_numpy()
    pairs = pairs.dropna(subset=["seasonal_naive"])
    # the level learned from the pairs known at each origin, as for the BO forecast
    factors = calibration_factors(pairs).clip(lower=0.0)
    pairs["calibrated"] = pairs["forecast"] * factors.reindex(pairs["origin"]).to_numpy()
    usable = pairs["forecast"] > 0
    level = float((pairs["actual"] / pairs["forecast"])[usable].median()) if usable.any() else 1.0
    err = (pairs["actual"] - pairs["calibrated"]).abs()
    naive = (pairs["actual"] - pairs["seasonal_naive"]).abs()
    near = pairs["horizon"] <= 3
    shown = level * pairs["forecast"]
    band = interval_ratios((pairs["actual"] / shown)[usable], pairs["horizon"][usable])

    def mean(values: pd.Series) -> float | None:
        return float(values.mean()) if len(values) else None

    return {"mae": mean(err), "mae_uncalibrated": mean((pairs["actual"] - pairs["forecast"]).abs()),
            "seasonal_naive_mae": mean(naive), "mae_3m": mean(err[near]),
            "seasonal_naive_mae_3m": mean(naive[near]), "pairs": len(pairs), "calibration": level,
            "interval": band.round({"low": 4, "high": 4}).to_dict("records")}


def train_deals_bundle(con: duckdb.DuckDBPyConnection, progress=None) -> dict[str, Any]:
    """Train, judge and backtest the deals model of a CRM-only warehouse; the bundle to store.

    Returns:
        dict with `kind` = "crm", `win_model`, `rules`, `use` and `card` (win section, CRM probability
        section, backtest, periods), in the layout `core.model.store` saves.
    """
    from core.model.store import BUNDLE_FORMAT, library_versions, warehouse_checksum

    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    report("Reading the deals", 0.0)
    deals = deal_features(con)
    last = as_of(con)
    if last is None or deals.empty:
        raise UserError("The warehouse holds no dated CRM deals: build it with a CRM export before training.")
    t = pd.Timestamp(last)
    months = test_months(deals, t)
    test_from = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp() - pd.DateOffset(months=months)
    report("Training on the past (time-based split)", 0.2)
    fitted = _fit(deals, test_from)
    report("Evaluating on the test period", 0.45)
    test = deals[deals["stage"].isin(("won", "lost")) & (deals["created_at"] >= test_from)]
    y = test["stage"].eq("won").to_numpy()
    with single_thread():
        p = fitted["win_model"].predict_proba(test[DEAL_FEATURES])[:, 1] if len(test) else np.zeros(0)
    p_rule = rules.fill_rate(fitted["rules"]["win"], test.assign(job_type=test["deal_type"]))
    win = rules.compare_probabilities(y, p, p_rule)
    use = {"win": win["use_model"]}
    report("Backtesting the won-amount forecast", 0.65)
    backtest = _backtest({**fitted, "use": use}, deals, t, months)
    report("Refitting on all closed deals", 0.85)
    final = _fit(deals, t + pd.Timedelta(days=1))
    card = {
        "format": BUNDLE_FORMAT,
        "kind": "crm",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "as_of": t.date().isoformat(),
        "train_period": {"from": fitted["closed"]["created_at"].min().date().isoformat(),
                         "to": fitted["closed"]["created_at"].max().date().isoformat()},
        "test_period": {"from": test_from.date().isoformat(), "to": t.date().isoformat()},
        "rows": {"train_closed_deals": len(fitted["closed"]), "test_closed_deals": len(test),
                 "final_closed_deals": len(final["closed"]), "label_gap_days": fitted["gap_days"]},
        "win": win,
        "crm_probability": _crm_probability(y, test["probability"].to_numpy(float), p, p_rule),
        "use": use,
        "backtest": backtest,
        "checksum": warehouse_checksum(con),
        "versions": library_versions(),
        "features": {"win": DEAL_FEATURES},
    }
    card["seconds"] = round(time.perf_counter() - started, 1)
    report("Done", 1.0)
    return {"kind": "crm", "win_model": final["win_model"], "rules": final["rules"], "use": use, "card": card}


def deals_forecast(con: duckdb.DuckDBPyConnection, bundle: dict[str, Any]) -> pd.DataFrame:
    """Amount won per month: the last 24 months won, then the 12-month pipeline-weighted forecast.

    Returns:
        DataFrame[month, low, mid, high, booked, kind] like `core.model.scenarios.apply_scenario`
        (`booked` is 0: a CRM alone books nothing before the deal is won).
    """
    deals = deal_features(con)
    t = pd.Timestamp(as_of(con))
    parts = _inputs(bundle, deals, t)
    mid = bundle["card"]["backtest"].get("calibration", 1.0) * (parts["open"] + parts["new"])
    band = pd.DataFrame(bundle["card"]["backtest"].get("interval") or [], columns=["horizon", "low", "high"])
    band = band.set_index("horizon").reindex(range(1, HORIZON + 1)).fillna(1.0)
    history = won_by_month(deals)
    history = history[history.index <= t].tail(24)
    future = pd.DataFrame({"month": parts["months"], "low": mid * band["low"].to_numpy(), "mid": mid,
                           "high": mid * band["high"].to_numpy(), "booked": 0.0, "kind": "forecast"})
    past = pd.DataFrame({"month": history.index, "low": history.to_numpy(), "mid": history.to_numpy(),
                         "high": history.to_numpy(), "booked": 0.0, "kind": "actual"})
    return pd.concat([past, future], ignore_index=True)


def open_deals_predictions(con: duckdb.DuckDBPyConnection, bundle: dict[str, Any]) -> pd.DataFrame:
    """Deals open at the CRM's last date with their win probability and expected amount.

    Win probability: the model when its card says it adds, else the win rate by deal type, times the odds
    of a deal still open at its age (`_still_open_odds`: 0 for a deal older than any deal ever closed won);
    amount: the deal's own when positive, else the median won amount of its type; expected = probability ×
    amount.

    Returns:
        DataFrame[deal_id, company, owner, deal_type, stage_detail, created_at, amount, crm_probability,
        win_probability, expected_amount], by expected amount, descending.
    """
    deals = deal_features(con)
    t = pd.Timestamp(as_of(con))
    open_now, p, amount = _open_deals(bundle, deals, t)
    out = open_now[["deal_id", "company", "owner", "deal_type", "stage_detail", "created_at"]].copy()
    out["amount"] = amount
    out["crm_probability"] = open_now["probability"].to_numpy()
    out["win_probability"] = np.round(p, 3)
    out["expected_amount"] = np.round(p * amount, 0)
    return out.sort_values("expected_amount", ascending=False, ignore_index=True)
