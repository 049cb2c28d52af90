"""Train the fee and fill models with a time-based split, evaluate them against baselines, store them.

* **Fee if filled** (regression): where the job's salary and fee rate are known, the fee is the
  contract formula salary × fee rate (`core.model.rules`), and the card gives that formula's error
  on the test fills (`rule_mae`). The model, `HistGradientBoostingRegressor` on the log of the fee,
  learns from the features known at opening *without* the contract terms, i.e. what is left when
  the formula cannot apply; it is judged on every test fill against the median fee by job type ×
  seniority, and used (where the formula cannot apply) only when it beats that rule.
* **P(filled) at opening** (classification): `HistGradientBoostingClassifier`, target status
  `filled` among closed jobs (filled, lost, cancelled), features known at opening. Rule: fill
  rate by job type. Strongly regularised (small trees, large leaves, slow learning): at opening
  the signal is weak and an over-confident model loses on the Brier score.
* **P(filled) for a job already open** (the stage model): the same classifier trained on closed
  jobs observed at several ages (0, 30, 60… days while still open) with their pipeline so far
  (pitches, MERs, offers to date); each job weighs 1 in total. It scores the jobs open now.
* **Split**: test = closed jobs opened in the 12 months up to the as-of date; train = jobs closed
  before the test period starts and opened long enough before it (the 90th percentile of job
  durations) for their outcome to be known, so that fast-closing jobs are not over-represented.
* **Verdict** (`core.model.rules`): each model against its rule on the same test rows, with 95 %
  bootstrap intervals; a model the interval does not show better is not used, the rule is.
* **Stored model**: after evaluation, the models and rules are refitted on every closed job with
  the same settings, so the forecast uses the most recent history; the card keeps the test figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from core.errors import UserError
from core.model import rules
from core.model.features import (
    CATEGORICAL,
    CLOSED_STATUSES,
    FEATURE_LABELS,
    FEE_FEATURES,
    FILL_FEATURES,
    STAGE_FEATURES,
    features_at,
    fill_snapshots,
    opening_features,
)
from core.model.forecast import backtest, predict_jobs
from core.model.store import BUNDLE_FORMAT, library_versions, read_card, save, warehouse_checksum
from core.model.threads import single_thread

Progress = Callable[[str, float], None] | None

FILL_OFFSETS_DAYS = (0, 30, 60, 90, 150, 240, 365)
STAGE_EVAL_DAYS = 30
TEST_MONTHS = 12
MIN_TRAIN_FILLS = 30
SEED = 0
# The agency-wide rates take one value per month: unconstrained, trees would use them to tell
# months apart and learn each month's noise. A higher market rate can only raise P(filled).
FILL_INCREASING = ("market_fill_rate_12m", "market_mer_to_placement_12m")


def _preprocessor(features: list[str]) -> ColumnTransformer:
    cats = [c for c in features if c in CATEGORICAL]
    nums = [c for c in features if c not in CATEGORICAL]
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        min_frequency=5,
        max_categories=250,
    )
    return ColumnTransformer([("cat", encoder, cats), ("num", "passthrough", nums)])


def _monotonic(features: list[str], increasing: tuple[str, ...]) -> list[int]:
    """Constraint per output column of `_preprocessor` (categories first, then numbers)."""
    ordered = [c for c in features if c in CATEGORICAL] + [c for c in features if c not in CATEGORICAL]
    return [1 if c in increasing else 0 for c in ordered]


def fee_pipeline() -> TransformedTargetRegressor:
    """The fee model: ordinal-encoded categories + numbers → gradient boosting on log(fee)."""
    n_cat = sum(c in CATEGORICAL for c in FEE_FEATURES)
    hgb = HistGradientBoostingRegressor(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=list(range(n_cat)),
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=25,
        random_state=SEED,
    )
    return TransformedTargetRegressor(
        regressor=Pipeline([("prep", _preprocessor(FEE_FEATURES)), ("model", hgb)]),
        func=np.log,
        inverse_func=np.exp,
    )


def fill_pipeline(features: list[str]) -> Pipeline:
    """A fill model: ordinal-encoded categories + numbers → regularised gradient-boosted classifier."""
    n_cat = sum(c in CATEGORICAL for c in features)
    hgb = HistGradientBoostingClassifier(
        learning_rate=0.02,
        max_iter=200,
        max_leaf_nodes=8,
        min_samples_leaf=100,
        l2_regularization=1.0,
        categorical_features=list(range(n_cat)),
        monotonic_cst=_monotonic(features, FILL_INCREASING),
        early_stopping=False,
        random_state=SEED,
    )
    return Pipeline([("prep", _preprocessor(features)), ("model", hgb)])


def _fit(con, opening: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, Any]:
    """Fit the three models on outcomes known before `cutoff`."""
    with single_thread():
        return _fit_models(con, opening, cutoff)


def _fit_models(con, opening: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, Any]:
    closed = opening[opening["status"].isin(CLOSED_STATUSES) & (opening["closed_at"] < cutoff)]
    # Jobs opened shortly before the cut-off are only in `closed` when they closed fast, which
    # biases the labels (quick closes are more often fills): keep cohorts whose outcome had time
    # to be known, i.e. opened at least the 90th percentile of job durations before the cut-off.
    duration = (closed["closed_at"] - closed["opened_at"]).dt.days
    gap = int(np.clip(duration.quantile(0.9), 30, 365)) if len(duration) else 0
    closed = closed[closed["opened_at"] < cutoff - pd.Timedelta(days=gap)]
    fee_rows = closed[
        (closed["status"] == "filled") & (closed["fee_eur"] > 0) & (closed["invoiced_at"] < cutoff)
    ]
    if len(fee_rows) < MIN_TRAIN_FILLS or closed["status"].eq("filled").all():
        raise UserError(
            f"Not enough history to train the models: {len(fee_rows)} invoiced fills and "
            f"{len(closed)} closed jobs before {cutoff.date()} (at least {MIN_TRAIN_FILLS} "
            "fills and some jobs not filled are needed)."
        )
    open_x = features_at(con, closed, closed["opened_at"])
    fee_x = open_x[open_x["job_id"].isin(fee_rows["job_id"])]
    fee_model = fee_pipeline().fit(fee_x[FEE_FEATURES], fee_x["fee_eur"].to_numpy(float))
    fill_model = fill_pipeline(FILL_FEATURES).fit(
        open_x[FILL_FEATURES], open_x["status"].eq("filled").to_numpy()
    )
    snaps = fill_snapshots(closed, FILL_OFFSETS_DAYS, cutoff)
    rows = snaps.merge(closed, on="job_id", how="left")
    stage_x = features_at(con, rows.drop(columns="at"), rows["at"])
    # every job weighs 1 whatever the number of ages it was observed at
    weight = 1.0 / stage_x.groupby("job_id")["job_id"].transform("size").to_numpy(float)
    stage_model = fill_pipeline(STAGE_FEATURES).fit(
        stage_x[STAGE_FEATURES], stage_x["status"].eq("filled").to_numpy(), model__sample_weight=weight
    )
    age = pd.Timedelta(days=STAGE_EVAL_DAYS)
    return {
        "fee_model": fee_model,
        "fill_model": fill_model,
        "stage_model": stage_model,
        "rules": {
            "fee": rules.fit_fee_rule(fee_rows),
            "fill": rules.fit_fill_rule(closed),
            "stage": rules.fit_fill_rule(closed[closed["closed_at"] > closed["opened_at"] + age]),
        },
        "fee_rows": fee_rows,
        "closed": closed,
        "stage_x": stage_x,
        "gap_days": gap,
    }


def _reference(stage_x: pd.DataFrame) -> dict[str, Any]:
    """Typical training values (median / most frequent) used to explain single predictions."""
    ref: dict[str, Any] = {}
    for col in STAGE_FEATURES:
        values = stage_x[col]
        if col in CATEGORICAL:
            ref[col] = str(values.mode().iloc[0]) if values.notna().any() else "(unknown)"
        else:
            ref[col] = float(values.median()) if values.notna().any() else np.nan
    return ref


def _importances(pipeline: Pipeline, x: pd.DataFrame, y: np.ndarray, scoring: str) -> list[dict[str, Any]]:
    """Permutation importance on the test period: drop in score when a feature is shuffled.

    Shuffles the encoded columns seen by the boosting step (the encoding is fitted, so this is
    the same as shuffling the raw column), which avoids re-encoding for every repeat.
    """
    if len(x) < 10 or (scoring == "roc_auc" and len(np.unique(y)) < 2):
        return []
    features = list(x.columns)
    names = [c for c in features if c in CATEGORICAL] + [c for c in features if c not in CATEGORICAL]
    encoded = pipeline[:-1].transform(x)
    result = permutation_importance(pipeline[-1], encoded, y, scoring=scoring, n_repeats=3, random_state=SEED)
    frame = pd.DataFrame(
        {"feature": names, "importance": result.importances_mean, "std": result.importances_std}
    ).sort_values("importance", ascending=False)
    frame["label"] = frame["feature"].map(FEATURE_LABELS)
    return frame.round(4).to_dict("records")


def evaluate(con, fitted: dict[str, Any], opening: pd.DataFrame, test_from: pd.Timestamp) -> dict[str, Any]:
    """Test-period figures of the fitted models against their rules (jobs opened from `test_from`).

    Returns:
        dict with `fee` (`core.model.rules.compare_fees` of the model without contract terms vs the
        median rule on every test fill, plus `rule_mae` / `rule_jobs`: the contract formula's error
        on the test fills where it applies, None where it applies to none, and `formula_missing_jobs`),
        `fill` (`compare_probabilities` at opening vs the fill rate by job type), `fill_stage` (jobs
        still open after STAGE_EVAL_DAYS), `expected_by_month` and `importances` sections.
    """
    test = opening[opening["status"].isin(CLOSED_STATUSES) & (opening["opened_at"] >= test_from)]
    x = features_at(con, test, test["opened_at"])
    y_fill = (x["status"] == "filled").to_numpy()
    p = fitted["fill_model"].predict_proba(x[FILL_FEATURES])[:, 1] if len(x) else np.zeros(0)
    p_rule = rules.fill_rate(fitted["rules"]["fill"], x)
    fill = rules.compare_probabilities(y_fill, p, p_rule)

    has_fee = y_fill & (x["fee_eur"] > 0).to_numpy()
    fills = x[has_fee]
    y_fee = fills["fee_eur"].to_numpy(float)
    fee_hat = fitted["fee_model"].predict(fills[FEE_FEATURES]) if len(fills) else np.zeros(0)
    fee = rules.compare_fees(y_fee, fee_hat, rules.median_fee(fitted["rules"]["fee"], fills))
    formula = rules.contract_fee(fills)
    applies = ~np.isnan(formula)
    fee.update(
        rule_mae=float(np.abs(formula[applies] - y_fee[applies]).mean()) if applies.any() else None,
        rule_jobs=int(applies.sum()),
        formula_missing_jobs=int((~applies).sum()),
    )

    use = {"fee": fee["use_model"], "fill": fill["use_model"], "stage": True}
    p_used, fee_used = predict_jobs({**fitted, "use": use}, x, stage=False)
    month = x["opened_at"].dt.to_period("M").dt.to_timestamp()
    by_month = (
        pd.DataFrame(
            {
                "month": month,
                "actual": np.where(has_fee, x["fee_eur"].fillna(0), 0.0),
                "expected": p_used * fee_used,
                "baseline": p_rule * rules.median_fee(fitted["rules"]["fee"], x),
            }
        )
        .groupby("month")
        .sum()
    )
    expected = {
        "mae": float((by_month["expected"] - by_month["actual"]).abs().mean()) if len(by_month) else None,
        "baseline_mae": float((by_month["baseline"] - by_month["actual"]).abs().mean())
        if len(by_month)
        else None,
        "months": [
            {"month": m.strftime("%Y-%m"), "actual": round(float(a)), "expected": round(float(e))}
            for m, a, e in zip(by_month.index, by_month["actual"], by_month["expected"])
        ],
    }
    # fee: the boosting step predicts log(fee), so its score is the mean absolute error of log(fee)
    # (≈ the mean relative error)
    importances = {
        "fee": _importances(
            fitted["fee_model"].regressor_,
            fills[FEE_FEATURES].reset_index(drop=True),
            np.log(y_fee),
            "neg_mean_absolute_error",
        ),
        "fill": _importances(
            fitted["fill_model"], x[FILL_FEATURES].reset_index(drop=True), y_fill, "roc_auc"
        ),
    }
    return {
        "fee": fee,
        "fill": fill,
        "fill_stage": _evaluate_stage(con, fitted, test),
        "expected_by_month": expected,
        "importances": importances,
    }


def _evaluate_stage(con, fitted: dict[str, Any], test: pd.DataFrame) -> dict[str, Any]:
    """The stage model on test jobs still open STAGE_EVAL_DAYS after opening, with their pipeline then.

    Rule: fill rate by job type of the training jobs still open at that age.
    """
    age = pd.Timedelta(days=STAGE_EVAL_DAYS)
    still = test[test["closed_at"].isna() | (test["closed_at"] > test["opened_at"] + age)]
    x = features_at(con, still, still["opened_at"] + age)
    p = fitted["stage_model"].predict_proba(x[STAGE_FEATURES])[:, 1] if len(x) else np.zeros(0)
    y = x["status"].eq("filled").to_numpy()
    return {
        "age_days": STAGE_EVAL_DAYS,
        **rules.compare_probabilities(y, p, rules.fill_rate(fitted["rules"]["stage"], x)),
    }


def _period(frame: pd.DataFrame, column: str) -> dict[str, str | None]:
    values = frame[column].dropna()
    if values.empty:
        return {"from": None, "to": None}
    return {"from": values.min().date().isoformat(), "to": values.max().date().isoformat()}


def train_bundle(con, progress: Progress = None) -> dict[str, Any]:
    """Train, evaluate, backtest and refit; return the bundle to store (models + card).

    Args:
        con: a DuckDB connection to the warehouse (read-only is enough).
        progress: optional callback(step, fraction).

    A warehouse without a BO export but with CRM deals gets the deals model instead
    (`core.model.deals.train_deals_bundle`).

    Returns:
        dict with `fee_model`, `fill_model`, `stage_model` (refitted on all closed jobs), `rules`,
        `use`, `reference` (typical feature values for explanations) and `card` (the model card,
        JSON-serialisable).
    """
    from core.metrics.common import has_bo, has_crm

    if not has_bo(con) and has_crm(con):
        # a CRM-only warehouse: the deals model (core.model.deals)
        from core.model.deals import train_deals_bundle

        return train_deals_bundle(con, progress)
    with single_thread():
        return _train_bundle(con, progress)


def _train_bundle(con, progress: Progress) -> dict[str, Any]:
    from core.metrics.common import as_of as data_as_of

    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    report("Reading the warehouse", 0.0)
    as_of = data_as_of(con)
    opening = opening_features(con)
    if as_of is None or opening.empty:
        raise UserError("The warehouse holds no dated BO jobs: build it with a BO export before training.")
    t = pd.Timestamp(as_of)
    checksum = warehouse_checksum(con)
    test_from = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp() - pd.DateOffset(months=TEST_MONTHS)

    report("Training on the past (time-based split)", 0.1)
    fitted = _fit(con, opening, test_from)
    report("Evaluating on the test period", 0.35)
    figures = evaluate(con, fitted, opening, test_from)
    # the verdicts: a model whose improvement over its rule is not shown is not used
    use = {
        "fee": figures["fee"]["use_model"],
        "fill": figures["fill"]["use_model"],
        "stage": figures["fill_stage"]["use_model"],
    }
    report("Backtesting the revenue forecast", 0.55)
    bt = backtest(con, {**fitted, "use": use}, as_of, opening, months=TEST_MONTHS)

    report("Refitting on all closed jobs", 0.8)
    final = _fit(con, opening, t + pd.Timedelta(days=1))
    train_rows = fitted["closed"]
    test_rows = opening[opening["status"].isin(CLOSED_STATUSES) & (opening["opened_at"] >= test_from)]
    card = {
        "format": BUNDLE_FORMAT,
        "kind": "bo",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "train_period": _period(train_rows, "opened_at"),
        "test_period": {"from": test_from.date().isoformat(), "to": as_of.isoformat()},
        "rows": {
            "train_closed_jobs": len(train_rows),
            "train_fills": len(fitted["fee_rows"]),
            "train_stage_snapshots": len(fitted["stage_x"]),
            "label_gap_days": fitted["gap_days"],
            "test_closed_jobs": len(test_rows),
            "final_closed_jobs": len(final["closed"]),
            "final_fills": len(final["fee_rows"]),
        },
        **figures,
        "use": use,
        "backtest": bt,
        "checksum": checksum,
        "versions": library_versions(),
        "features": {"fee": FEE_FEATURES, "fill": FILL_FEATURES, "stage": STAGE_FEATURES},
        "methods": {
            "fee": "salary × fee rate where both are known; elsewhere HistGradientBoostingRegressor on"
            " log(fee), features at opening without the contract terms, if it beats the median fee by"
            " job type × seniority (95 % bootstrap interval of the MAE gain above 0), else that median",
            "fill": "HistGradientBoostingClassifier, features at opening, if it beats the fill rate by job"
            " type (95 % bootstrap interval of the Brier gain above 0), else that rate",
            "stage": "HistGradientBoostingClassifier, closed jobs observed at ages "
            + ", ".join(map(str, FILL_OFFSETS_DAYS))
            + " days with pipeline so far (scores open jobs)",
            "explanation": "one-at-a-time substitution by the training median / most frequent value",
            "calibration": "booked + estimate × median (actual − booked) / estimate over the backtest"
            " pairs (in the backtest: pairs known at the origin only)",
            "interval": "10th-90th percentile of actual / calibrated forecast in the backtest, by horizon",
        },
    }
    card["seconds"] = round(time.perf_counter() - started, 1)
    report("Done", 1.0)
    return {
        "fee_model": final["fee_model"],
        "fill_model": final["fill_model"],
        "stage_model": final["stage_model"],
        "rules": final["rules"],
        "use": use,
        "reference": _reference(final["stage_x"]),
        "card": card,
    }


def train_and_save(db: Path, progress: Progress = None) -> dict[str, Any]:
    """Train the models on warehouse `db` and store them in `<db dir>/models/` (`python -m core train`).

    Args:
        db: the warehouse file (opened read-only).
        progress: optional callback(step, fraction).

    Returns:
        The model card (dict): periods, test metrics against baselines, backtest, importances,
        checksum of the training data, library versions, training time.
    """
    from core.warehouse import connect

    with connect(Path(db)) as con:
        bundle = train_bundle(con, progress)
    save(Path(db), bundle)
    return bundle["card"]


def model_report(db_path: Path) -> dict[str, Any] | None:
    """The `model` key of `python -m core report --json`, from the stored card; None when untrained.

    Returns:
        {kind ("bo" or "crm"), fee: {mae, baseline_mae, mape, rule_mae, uses}, fill: {auc,
        baseline_auc, brier, baseline_brier, auc_interval, uses}, win (CRM-only: {auc, baseline_auc,
        brier, baseline_brier, auc_interval, uses, crm_probability_auc, crm_probability_brier,
        crm_probability_note}; else None), backtest: {mae, seasonal_naive_mae, mae_3m,
        seasonal_naive_mae_3m}, trained_at, train_period, test_period}; `uses` is `model` or `rule`
        (what the product's predictions use), `auc_interval` [low, high] the 95 % bootstrap interval.
        A CRM-only card has null `fee` and `fill` values.
    """
    card = read_card(Path(db_path))
    if card is None:
        return None

    def pick(section: str, keys: tuple[str, ...]) -> dict[str, Any]:
        values = card.get(section) or {}
        return {k: values.get(k) for k in keys}

    def uses(section: str) -> str:
        return "model" if (card.get(section) or {}).get("use_model") else "rule"

    common = {
        "kind": card.get("kind", "bo"),
        "trained_at": card.get("trained_at"),
        "train_period": card.get("train_period"),
        "test_period": card.get("test_period"),
    }
    backtest = pick("backtest", ("mae", "seasonal_naive_mae", "mae_3m", "seasonal_naive_mae_3m"))
    if card.get("kind") == "crm":
        crm = card.get("crm_probability") or {}
        return {
            "fee": {k: None for k in ("mae", "baseline_mae", "mape", "rule_mae", "uses")},
            "fill": {
                k: None for k in ("auc", "baseline_auc", "brier", "baseline_brier", "auc_interval", "uses")
            },
            "win": {
                **pick("win", ("auc", "baseline_auc", "brier", "baseline_brier", "auc_interval")),
                "uses": uses("win"),
                "crm_probability_auc": crm.get("crm_auc"),
                "crm_probability_brier": crm.get("crm_brier"),
                "crm_probability_note": crm.get("reason"),
            },
            "backtest": backtest,
            **common,
        }
    return {
        "fee": {**pick("fee", ("mae", "baseline_mae", "mape", "rule_mae")), "uses": uses("fee")},
        "fill": {
            **pick("fill", ("auc", "baseline_auc", "brier", "baseline_brier", "auc_interval")),
            "uses": uses("fill"),
        },
        "win": None,
        "backtest": backtest,
        **common,
    }
