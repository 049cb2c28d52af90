"""The simple rules every model is judged against, and the test that says whether a model adds anything.

* **Fee, contract formula**: salary × fee rate, where both are known for the job. The fee a filled job
  invoices is written in its contract, so where the formula applies no model can do better.
* **Fee, median rule**: the median fee of training fills by job type × seniority (then by job type,
  then overall): the fee where the formula cannot apply.
* **Fill probability, base rate**: the fill rate of training closed jobs by job type (then overall).

`compare_*` measure a model against its rule on the same test rows with a 95 % bootstrap interval
(`BOOTSTRAP` resamples of the test rows, percentile interval). A model *adds* something only when the
interval of its improvement excludes zero: a probability model when its AUC gain (it ranks jobs
better) or its Brier gain (its probabilities are closer) has an interval above zero, and its Brier
gain is not surely negative (the forecast sums the probabilities themselves); the fee model when its
mean absolute error gain has an interval above zero. Otherwise the product uses the rule
(`use_model` False), and the model card says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

BOOTSTRAP = 400
SEED = 0
# fewer test rows than this: no verdict (the interval would be as wide as the scale)
MIN_TEST_ROWS = 20
RELIABILITY_BINS = 5


def contract_fee(frame: pd.DataFrame) -> np.ndarray:
    """Salary × fee rate in € (salary in k€); NaN where either is missing or not positive."""
    fee = frame["salary_k"].to_numpy(float) * 1000 * frame["fee_rate"].to_numpy(float)
    return np.where(fee > 0, fee, np.nan)


def fit_fee_rule(fills: pd.DataFrame) -> dict[str, Any]:
    """Median fee of `fills` (job_type, seniority, fee_eur) by job type × seniority, by job type, overall."""
    both = fills.groupby(["job_type", "seniority"])["fee_eur"].median()
    return {
        "by_type_seniority": {f"{t}|{s}": float(v) for (t, s), v in both.items()},
        "by_type": {str(k): float(v) for k, v in fills.groupby("job_type")["fee_eur"].median().items()},
        "overall": float(fills["fee_eur"].median()) if len(fills) else 0.0,
    }


def median_fee(rule: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The median rule's fee for each row of `frame` (job_type, seniority)."""
    key = frame["job_type"].astype(str) + "|" + frame["seniority"].astype(str)
    out = key.map(rule["by_type_seniority"]).astype(float)
    out = out.fillna(frame["job_type"].astype(str).map(rule["by_type"]).astype(float))
    return out.fillna(rule["overall"]).to_numpy(float)


def fit_fill_rule(closed: pd.DataFrame) -> dict[str, Any]:
    """Fill rate (filled / closed) of `closed` jobs by job type, and overall."""
    filled = closed["status"].eq("filled")
    return {
        "by_type": {str(k): float(v) for k, v in filled.groupby(closed["job_type"]).mean().items()},
        "overall": float(filled.mean()) if len(filled) else 0.0,
    }


def fill_rate(rule: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The base-rate rule's fill probability for each row of `frame` (job_type)."""
    out = frame["job_type"].astype(str).map(rule["by_type"]).astype(float)
    return out.fillna(rule["overall"]).to_numpy(float)


def _samples(n: int) -> np.ndarray:
    return np.random.default_rng(SEED).integers(0, n, size=(BOOTSTRAP, n))


def _interval(values: np.ndarray) -> list[float] | None:
    values = values[~np.isnan(values)]
    if len(values) < BOOTSTRAP // 2:
        return None
    return [round(float(np.quantile(values, 0.025)), 4), round(float(np.quantile(values, 0.975)), 4)]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else np.nan


def reliability(y: np.ndarray, p: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict[str, float]]:
    """Reliability curve: rows cut into `bins` equal-count groups by predicted probability.

    Returns:
        [{predicted (mean), observed (fill rate), jobs}] from the lowest predictions up.
    """
    if len(y) < bins:
        return []
    order = np.argsort(p, kind="stable")
    return [
        {"predicted": round(float(p[g].mean()), 4), "observed": round(float(y[g].mean()), 4), "jobs": len(g)}
        for g in np.array_split(order, bins)
    ]


def compare_probabilities(y: np.ndarray, p: np.ndarray, p_rule: np.ndarray) -> dict[str, Any]:
    """A probability model against its rule on the same test rows.

    Returns:
        dict: `auc`, `auc_interval` [low, high] (95 % bootstrap), `baseline_auc`, `auc_gain_interval`
        (model − rule), `brier`, `baseline_brier`, `brier_gain_interval` (rule − model: positive =
        the model is better), `reliability` and `baseline_reliability` curves, `test_jobs`,
        `fill_rate` (base rate of the test rows), `use_model` (True only when the AUC gain or the
        Brier gain interval is above zero and the Brier gain interval is not below zero).
    """
    y = np.asarray(y, dtype=bool)
    out: dict[str, Any] = {
        "auc": None,
        "auc_interval": None,
        "baseline_auc": None,
        "auc_gain_interval": None,
        "brier": None,
        "baseline_brier": None,
        "brier_gain_interval": None,
        "reliability": [],
        "baseline_reliability": [],
        "test_jobs": len(y),
        "fill_rate": float(y.mean()) if len(y) else None,
        "use_model": False,
    }
    if not len(y):
        return out
    out["brier"] = float(brier_score_loss(y, p))
    out["baseline_brier"] = float(brier_score_loss(y, p_rule))
    out["reliability"] = reliability(y, p)
    out["baseline_reliability"] = reliability(y, p_rule)
    both_classes = len(np.unique(y)) == 2
    if both_classes:
        out["auc"], out["baseline_auc"] = _auc(y, p), _auc(y, p_rule)
    if len(y) < MIN_TEST_ROWS:
        return out
    idx = _samples(len(y))
    # one pass over the resamples (BOOTSTRAP of them), each vectorised over the test rows
    auc, gain = np.full(BOOTSTRAP, np.nan), np.full(BOOTSTRAP, np.nan)
    for k, rows in enumerate(idx):
        if both_classes:
            auc[k] = _auc(y[rows], p[rows])
            gain[k] = auc[k] - _auc(y[rows], p_rule[rows])
    brier_gain = ((p_rule[idx] - y[idx]) ** 2).mean(axis=1) - ((p[idx] - y[idx]) ** 2).mean(axis=1)
    out["auc_interval"], out["auc_gain_interval"] = _interval(auc), _interval(gain)
    out["brier_gain_interval"] = _interval(brier_gain)
    out["use_model"] = bool(
        out["brier_gain_interval"]
        and out["brier_gain_interval"][1] > 0
        and (out["brier_gain_interval"][0] > 0 or (out["auc_gain_interval"] or [0])[0] > 0)
    )
    return out


def compare_fees(y: np.ndarray, fee: np.ndarray, fee_rule: np.ndarray) -> dict[str, Any]:
    """A fee model against the median rule on the same test fills.

    Returns:
        dict: `mae`, `baseline_mae`, `mape`, `baseline_mape`, `mae_gain_interval` (rule MAE − model
        MAE, 95 % bootstrap: positive = the model is better), `test_jobs`, `use_model` (True only
        when that interval is above zero).
    """
    y = np.asarray(y, dtype=float)
    out: dict[str, Any] = {
        "mae": None,
        "baseline_mae": None,
        "mape": None,
        "baseline_mape": None,
        "mae_gain_interval": None,
        "test_jobs": len(y),
        "use_model": False,
    }
    if not len(y):
        return out
    err, err_rule = np.abs(fee - y), np.abs(fee_rule - y)
    out.update(
        mae=float(err.mean()),
        baseline_mae=float(err_rule.mean()),
        mape=float((err / y).mean()),
        baseline_mape=float((err_rule / y).mean()),
    )
    if len(y) >= MIN_TEST_ROWS:
        idx = _samples(len(y))
        out["mae_gain_interval"] = _interval(err_rule[idx].mean(axis=1) - err[idx].mean(axis=1))
        out["use_model"] = bool(out["mae_gain_interval"] and out["mae_gain_interval"][0] > 0)
    return out
