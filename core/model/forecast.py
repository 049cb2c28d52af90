"""Monthly revenue forecast for the next 12 months, its backtest, and the open-jobs table.

Revenue is the BO's: placement fees dated by `invoiced_at`. From the as-of date `t`, the
forecast of month h is the sum of three parts:

1. **Booked, not yet invoiced** at `t`: placements made by `t` (`placement_facts.placed_at`)
   without an invoice dated by `t`. Their fee is known; it is spread over the
   months by the delay from the candidate's start date to the invoice (from the placement date
   when the start date is missing), learned from the placements invoiced by `t`, conditional on
   no invoice yet at `t`.
2. **Open jobs now** (opened by `t`, not closed at `t`): P(filled | features, pipeline so far)
   × predicted fee, spread over months by the empirical distribution of the delay from opening
   to invoice, conditional on the job having reached its current age without an invoice.
3. **Jobs expected to open**: the seasonal opening rate (average of the last 12 complete
   months × the month-of-year index of the last 36) × the average expected amount at opening
   of the jobs opened in the last 12 months (mean of P(fill) × fee), spread by the opening →
   invoice delay from the middle of the month.

All parts are computed once into `ForecastInputs` (cached); `core.model.scenarios.apply_scenario`
turns them into the forecast in milliseconds.

**Level calibration.** The estimated parts (2 and 3, the "raw" forecast) inherit the models' bias
when fills change faster than the models learn (on the demo, 2026 fills were scarcer than the
history). The backtest measures it: the forecast shown is booked + raw × the median of
(actual − booked) / raw over the backtest's (origin, month) pairs. Booked revenue is never
scaled: it is known. Inside the backtest, the forecast from origin m is corrected only with pairs
known at m (earlier origins, months before m: `calibration_factors`), so no month it is scored on
enters its correction.

**Interval**: the 10th and 90th percentiles of actual / calibrated forecast in the backtest, per
horizon (horizons with too few pairs pooled, never narrowing with the horizon: `interval_ratios`),
times the calibrated forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.model import rules
from core.model.features import FEATURE_LABELS, features_at, opening_features
from core.model.threads import single_thread

HORIZON = 12
# the forecast from origin m is corrected only when at least this many earlier origins have
# months already invoiced at m (fewer: the median of a handful of ratios is noise)
CALIBRATION_MIN_ORIGINS = 3
# a horizon gets its own interval from at least this many backtest pairs; fewer are pooled
INTERVAL_MIN_PAIRS = 8
INTERVAL_QUANTILES = (0.10, 0.90)


@dataclass(frozen=True)
class ForecastInputs:
    """Everything a scenario needs, computed once from the models and the warehouse.

    Attributes:
        as_of: the date the forecast starts after.
        months: first day of each forecast month (HORIZON of them).
        open_p, open_fee: per job open at `as_of`: P(filled) and predicted fee (€).
        open_timing: (jobs × months) probability that an open job's invoice falls in each month.
        booked: revenue per month from placements made but not invoiced at `as_of` (€): their
            known fees at their expected invoice month.
        new_jobs: expected jobs opened per month at the learned seasonal rate.
        new_p, new_fee: P(filled) and fee (€) of an average newly opened job.
        new_kernel: (months × months) share of a job opened in month m invoiced in month h.
        pitch_to_mer, mer_to_placement: the agency's rates over the 12 months to `as_of`.
        residual_low, residual_high: the interval around the calibrated forecast, as relative
            deviations (10 % and 90 % quantiles of actual / calibrated forecast − 1, from the
            backtest): one value, or one per forecast month (horizon 1..HORIZON).
        history: DataFrame[month, revenue] of invoiced revenue per month up to `as_of`.
        level: level calibration from the backtest (median actual / raw forecast); the forecast
            shown is the raw one × `level` (1.0: no correction).
    """

    as_of: date
    months: pd.DatetimeIndex
    open_p: np.ndarray
    open_fee: np.ndarray
    open_timing: np.ndarray
    booked: np.ndarray
    new_jobs: np.ndarray
    new_p: float
    new_fee: float
    new_kernel: np.ndarray
    pitch_to_mer: float
    mer_to_placement: float
    residual_low: float | np.ndarray
    residual_high: float | np.ndarray
    history: pd.DataFrame
    level: float = 1.0


def monthly_revenue(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """Invoiced revenue per month (placement fees by invoice month), indexed by month start."""
    frame = con.execute("""
        SELECT date_trunc('month', invoiced_at)::DATE AS month, SUM(fee_eur) AS revenue
        FROM placements WHERE invoiced_at IS NOT NULL AND fee_eur IS NOT NULL
        GROUP BY 1 ORDER BY 1
    """).df()
    series = pd.Series(frame["revenue"].to_numpy(float), index=pd.to_datetime(frame["month"]))
    if series.empty:
        return series
    full = pd.date_range(series.index.min(), series.index.max(), freq="MS")
    return series.reindex(full, fill_value=0.0)


def placements(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Placements with a fee and the date each was made, from the warehouse's `placement_facts`.

    The placement date (`placed_at`) is the day the agency knew the fee was due: the placement
    event, else the start date, else the invoice date (see docs/schema.md, `placement_facts`).

    Returns:
        DataFrame[placement_id, job_id, fee_eur, start_date, invoiced_at, placed_at] (dates as
        timestamps, NaT when unknown).
    """
    frame = con.execute("""
        SELECT placement_id, job_id, fee_eur, start_date, invoiced_at, placed_at
        FROM placement_facts WHERE placed_at IS NOT NULL AND fee_eur > 0
    """).df()
    for col in ("start_date", "invoiced_at", "placed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def booked_by_month(
    placed: pd.DataFrame, t: pd.Timestamp, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Fees of the placements made by `t` and not invoiced by `t`, spread over the forecast months.

    Only what was known at `t` is used: a placement counts when its placement date is on or before
    `t` and it has no invoice dated on or before `t` (a later invoice date, or none yet). Its
    invoice month follows the delay from the start date to the invoice (from the placement date
    when the start date is missing) among the placements invoiced by `t`, conditional on no invoice
    yet at `t`; a placement older than every delay seen is expected in the first month.

    Args:
        placed: `placements(con)`.
        t: the forecast origin.
        starts, ends: first and last day of each forecast month (`_month_bounds`).

    Returns:
        € per forecast month.
    """
    known = placed[placed["placed_at"] <= t]
    invoiced = known[known["invoiced_at"] <= t]
    pending = known[~(known["invoiced_at"] <= t)]
    out = np.zeros(len(starts))
    for ref in ("start_date", "placed_at"):  # start date when known, else the placement date
        rows = pending[pending[ref].notna()] if ref == "start_date" else pending[pending["start_date"].isna()]
        if rows.empty:
            continue
        delays = (invoiced["invoiced_at"] - invoiced[ref]).dt.days.dropna().to_numpy(float)
        if not len(delays):  # no invoice seen yet to learn a delay from: the first month
            out[0] += rows["fee_eur"].sum()
            continue
        out += rows["fee_eur"].to_numpy(float) @ _timing(rows[ref].to_numpy(), t, _ecdf(delays), starts, ends)
    return out


def _ecdf(delays: np.ndarray):
    """F(x) = share of delays <= x (vectorised over x)."""
    ordered = np.sort(delays[~np.isnan(delays)])
    n = max(len(ordered), 1)

    def cdf(x: np.ndarray) -> np.ndarray:
        return np.searchsorted(ordered, x, side="right") / n

    return cdf


def _month_bounds(t: pd.Timestamp) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Forecast months after `t`: their starts, and first/last day of each as day numbers."""
    first = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp()
    months = pd.date_range(first, periods=HORIZON, freq="MS")
    starts = np.maximum(months.to_numpy(), (t + pd.Timedelta(days=1)).to_datetime64())
    ends = (months + pd.offsets.MonthEnd(0)).to_numpy()
    return months, starts.astype("datetime64[D]"), ends.astype("datetime64[D]")


def _timing(ref: np.ndarray, t: pd.Timestamp, cdf, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """P(invoice in each month | not invoiced by t), for invoices dated ref + delay.

    Rows: jobs (reference dates `ref`); columns: forecast months. A job older than every delay
    seen is assumed to invoice in the first month.
    """
    ref = ref.astype("datetime64[D]")[:, None]
    day = np.timedelta64(1, "D")
    age = (np.datetime64(t.date()) - ref) / day
    hi = cdf((ends[None, :] - ref) / day)
    lo = cdf((starts[None, :] - ref) / day - 1)
    survive = 1.0 - cdf(age)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(survive > 0, (hi - lo) / survive, 0.0)
    share[:, 0] = np.where(survive[:, 0] > 0, share[:, 0], 1.0)
    return share


def predict_jobs(bundle: dict[str, Any], frame: pd.DataFrame, stage: bool) -> tuple[np.ndarray, np.ndarray]:
    """P(filled) and fee if filled for feature rows, from what the model card says to use.

    Fee: salary × fee rate where both are known (the contract formula); elsewhere the fee model
    when it beat the median rule on the test period (`bundle["use"]["fee"]`), else the median fee
    by job type × seniority. P(filled): the stage model (`stage`: jobs already open) or the
    at-opening model when it beat the fill rate by job type, else that rate.

    Args:
        bundle: trained models with `rules` and `use` (`core.model.train.train_bundle`).
        frame: feature rows (`features_at`).
        stage: the rows are jobs already open, seen with their pipeline so far.

    Returns:
        (probabilities, fees in €), one per row.
    """
    if frame.empty:
        return np.zeros(0), np.zeros(0)
    kind = "stage" if stage else "fill"
    fee = rules.contract_fee(frame)
    missing = np.isnan(fee)
    with single_thread():
        if bundle["use"][kind]:
            p = bundle[f"{kind}_model"].predict_proba(frame)[:, 1]
        else:
            p = rules.fill_rate(bundle["rules"][kind], frame)
        if missing.any():
            rest = frame[missing]
            fee[missing] = (
                bundle["fee_model"].predict(rest)
                if bundle["use"]["fee"]
                else rules.median_fee(bundle["rules"]["fee"], rest)
            )
    return p, np.maximum(fee, 0.0)


def _seasonal_rate(opened: pd.Series, t: pd.Timestamp, months: pd.DatetimeIndex) -> np.ndarray:
    """Expected jobs opened in each forecast month: recent level × month-of-year index."""
    last_full = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp() - pd.offsets.MonthBegin(1)
    counts = opened.dt.to_period("M").dt.to_timestamp().value_counts()
    if counts.empty:
        return np.zeros(len(months))
    span = pd.date_range(max(counts.index.min(), last_full - pd.DateOffset(months=35)), last_full, freq="MS")
    series = counts.reindex(span, fill_value=0).astype(float)
    level = series.iloc[-12:].mean()
    if len(series) >= 24 and series.mean() > 0:
        index = series.groupby(series.index.month).mean() / series.mean()
        factor = index.reindex(months.month).fillna(1.0).to_numpy()
    else:
        factor = np.ones(len(months))
    rate = level * factor
    # a first month cut by the as-of date only gets the days left in it
    first_days = months[0].days_in_month
    left = (months[0] + pd.offsets.MonthEnd(0) - t).days
    rate[0] *= min(1.0, max(left, 0) / first_days)
    return rate


def _funnel_rates(con: duckdb.DuckDBPyConnection, t: pd.Timestamp) -> tuple[float, float]:
    """Pitch→MER and MER→placement (event counts) over the 12 months to t."""
    pitches, mers, placements = con.execute(
        """
        SELECT COUNT(*) FILTER (WHERE stage = 'pitch'), COUNT(*) FILTER (WHERE stage = 'mer'),
               COUNT(*) FILTER (WHERE stage = 'placement')
        FROM pipeline_events WHERE event_date <= ? AND event_date > ? - INTERVAL 12 MONTH
    """,
        [t.date(), t.date()],
    ).fetchall()[0]
    return (mers / pitches if pitches else float("nan"), placements / mers if mers else float("nan"))


def forecast_inputs(
    con: duckdb.DuckDBPyConnection,
    bundle: dict[str, Any],
    as_of: date | None = None,
    opening: pd.DataFrame | None = None,
) -> ForecastInputs:
    """Compute the cached parts of the forecast from `as_of` (default: the data's as-of date).

    Only data dated up to `as_of` is used (this is what makes the backtest honest).

    Args:
        con: a DuckDB connection to the warehouse.
        bundle: the trained models (`fee_model`, `fill_model`, `stage_model`, and the card for the
            level calibration and the interval; without them: no correction, no interval).
        as_of: forecast origin: the forecast covers the 12 months after it.
        opening: `opening_features(con)` when already computed (saves time in the backtest).

    Returns:
        ForecastInputs.
    """
    from core.metrics.common import as_of as data_as_of

    t = pd.Timestamp(as_of or data_as_of(con))
    jobs = opening if opening is not None else opening_features(con)
    months, starts, ends = _month_bounds(t)
    known = jobs[jobs["opened_at"] <= t]
    is_open = (known["closed_at"] > t) | (known["closed_at"].isna() & (known["status"] == "open"))
    open_now = known[is_open]
    p, fee = predict_jobs(bundle, features_at(con, open_now, t), stage=True)

    filled = known[(known["status"] == "filled") & known["invoiced_at"].notna()]
    invoiced = filled[filled["invoiced_at"] <= t]
    delay = (invoiced["invoiced_at"] - invoiced["opened_at"]).dt.days.to_numpy(float)
    mature = invoiced["opened_at"] <= t - pd.Timedelta(days=365)
    if mature.sum() >= 30:
        # jobs opened over a year ago show their long delays too (recent ones only the short ones)
        delay = delay[mature.to_numpy()]
    open_cdf = _ecdf(delay)
    open_timing = _timing(open_now["opened_at"].to_numpy(), t, open_cdf, starts, ends)

    booked = booked_by_month(placements(con), t, starts, ends)

    recent = known[known["opened_at"] > t - pd.DateOffset(months=12)]
    p0, fee0 = predict_jobs(bundle, features_at(con, recent, recent["opened_at"]), stage=False)
    new_p = float(p0.mean()) if len(p0) else 0.0
    new_fee = float((p0 * fee0).sum() / p0.sum()) if len(p0) and p0.sum() > 0 else 0.0
    mid_month = (months + pd.Timedelta(days=14)).to_numpy().astype("datetime64[D]")
    day = np.timedelta64(1, "D")
    kernel = open_cdf((ends[:, None] - mid_month[None, :]) / day) - open_cdf(
        (starts[:, None] - mid_month[None, :]) / day - 1
    )

    pitch_to_mer, mer_to_placement = _funnel_rates(con, t)
    backtest = (bundle.get("card") or {}).get("backtest") or {}
    band = pd.DataFrame(backtest.get("interval") or [], columns=["horizon", "low", "high"])
    band = band.set_index("horizon").reindex(range(1, HORIZON + 1)).fillna(1.0)
    revenue = monthly_revenue(con)
    history = revenue[revenue.index <= t].rename("revenue").rename_axis("month").reset_index()
    return ForecastInputs(
        as_of=t.date(),
        months=months,
        open_p=p,
        open_fee=fee,
        open_timing=open_timing,
        booked=booked,
        new_jobs=_seasonal_rate(known["opened_at"], t, months),
        new_p=new_p,
        new_fee=new_fee,
        new_kernel=kernel,
        pitch_to_mer=pitch_to_mer,
        mer_to_placement=mer_to_placement,
        residual_low=band["low"].to_numpy(float) - 1.0,
        residual_high=band["high"].to_numpy(float) - 1.0,
        history=history,
        level=float(backtest.get("calibration", 1.0)),
    )


def forecast(con: duckdb.DuckDBPyConnection, bundle: dict[str, Any], scenario=None) -> pd.DataFrame:
    """Revenue per month: the actual past 24 months and the 12-month forecast under a scenario.

    Args:
        con: a DuckDB connection to the warehouse.
        bundle: the trained models (`core.model.store.load`).
        scenario: a `core.model.scenarios.Scenario`; None for the learned rates.

    Returns:
        DataFrame[month, low, mid, high, booked, kind, jobs_opened, objective]
        (see `core.model.scenarios.apply_scenario`).
    """
    from core.model.scenarios import Scenario, apply_scenario

    return apply_scenario(forecast_inputs(con, bundle), scenario or Scenario())


def forecast_report(con: duckdb.DuckDBPyConnection, bundle: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The `forecast` key of `python -m core report --json`: the 12 forecast months.

    Returns:
        [{month: "YYYY-MM", low, mid, high, booked}] in €, rounded to the euro; `booked` is the
        fees of placements already made whose invoice is expected that month (mid >= booked);
        [] without a model. A CRM-only warehouse's forecast is of the amount won
        (`core.model.deals.deals_forecast`, booked 0).
    """
    if bundle is None:
        return []
    if bundle.get("kind") == "crm":
        from core.model.deals import deals_forecast

        frame = deals_forecast(con, bundle)
    else:
        frame = forecast(con, bundle)
    frame = frame[frame["kind"] == "forecast"]
    return [
        {
            "month": m.strftime("%Y-%m"),
            "low": round(float(lo)),
            "mid": round(float(mi)),
            "high": round(float(hi)),
            "booked": round(float(bo)),
        }
        for m, lo, mi, hi, bo in zip(
            frame["month"], frame["low"], frame["mid"], frame["high"], frame["booked"]
        )
    ]


def calibration_factors(pairs: pd.DataFrame, min_origins: int = CALIBRATION_MIN_ORIGINS) -> pd.Series:
    """Level correction of the forecast made at each backtest origin, from what was known then.

    For origin m: the median of actual / forecast over the pairs with origin < m **and** month < m
    (forecasts made before m, for months already invoiced at m), when at least `min_origins`
    earlier origins contribute; otherwise 1.0 (no correction). Neither the months from m on nor
    the forecasts from m or later origins enter the factor of m. Pairs with a zero forecast carry
    no ratio.

    Args:
        pairs: DataFrame[origin, month, forecast, actual] (origin and month: first day of month).
        min_origins: earlier origins needed before correcting.

    Returns:
        Series of factors indexed by origin (ascending).
    """
    usable = pairs[pairs["forecast"] > 0]
    ratio = usable["actual"] / usable["forecast"]
    origins = pd.DatetimeIndex(np.sort(pairs["origin"].unique()), name="origin")
    factors = []
    for origin in origins:  # one factor per origin month (12), each a vectorised mask
        known = (usable["origin"] < origin) & (usable["month"] < origin)
        enough = usable.loc[known, "origin"].nunique() >= min_origins
        factors.append(float(ratio[known].median()) if enough else 1.0)
    return pd.Series(factors, index=origins, name="factor")


def interval_ratios(
    ratio: pd.Series, horizon: pd.Series, min_pairs: int = INTERVAL_MIN_PAIRS
) -> pd.DataFrame:
    """The forecast interval per horizon, as multiples of the calibrated forecast.

    For each horizon h (1..HORIZON): the 10th and 90th percentiles of actual / calibrated forecast
    over the backtest pairs of that horizon when there are at least `min_pairs` of them; the
    horizons with fewer are pooled together (all pairs when even the pool is that small). The
    band never narrows with the horizon (a month further ahead is not known better than a nearer
    one: running minimum of `low`, running maximum of `high`), `low` is capped at 1 and `high`
    floored at 1, so that low <= mid <= high.

    Args:
        ratio: actual / calibrated forecast per backtest pair.
        horizon: the pair's horizon (1 = the first month after the origin).
        min_pairs: pairs a horizon needs for its own quantiles.

    Returns:
        DataFrame[horizon, low, high, pairs] (HORIZON rows; `pairs`: how many pairs the quantiles
        of that horizon come from); low = high = 1 without any pair.
    """
    q_low, q_high = INTERVAL_QUANTILES
    frame = pd.DataFrame({"horizon": horizon.to_numpy(), "ratio": ratio.to_numpy(float)}).dropna()
    counts = frame["horizon"].value_counts()
    own = counts.index[counts >= min_pairs]
    thin = frame[~frame["horizon"].isin(own)]
    pool = thin if len(thin) >= min_pairs else frame
    grouped = frame[frame["horizon"].isin(own)].groupby("horizon")["ratio"]
    out = pd.DataFrame(
        {"low": grouped.quantile(q_low), "high": grouped.quantile(q_high), "pairs": grouped.size()}
    )
    out = out.reindex(pd.Index(range(1, HORIZON + 1), name="horizon"))
    pooled = out["pairs"].isna()
    if len(pool):
        out.loc[pooled, ["low", "high", "pairs"]] = [
            pool["ratio"].quantile(q_low),
            pool["ratio"].quantile(q_high),
            len(pool),
        ]
    out = out.fillna({"low": 1.0, "high": 1.0, "pairs": 0})
    out["low"] = np.minimum(out["low"].cummin(), 1.0)
    out["high"] = np.maximum(out["high"].cummax(), 1.0)
    return out.astype({"pairs": int}).reset_index()


def backtest(
    con: duckdb.DuckDBPyConnection,
    bundle: dict[str, Any],
    as_of: date,
    opening: pd.DataFrame,
    months: int = 12,
) -> dict[str, Any]:
    """Forecast from each of the last `months` month starts and compare with what was invoiced.

    Origin o uses only data dated before o (and models trained before the first origin): jobs
    opened, closed and placed before o, pipeline events before o, and invoices dated before o (a
    placement made before o and invoiced later is booked revenue at o, as it would have been
    then). Each complete month from o to `as_of` is one (origin, month) pair. The estimated part
    of the forecast from o (open and future jobs) is level-calibrated with `calibration_factors`
    on (actual − booked) / estimated over the pairs known at o only; booked + that is the forecast
    the product would have shown at o, and `mae` is its error. Seasonal-naive baseline: the same
    month a year earlier.

    Returns:
        dict with `mae` (calibrated forecast), `mae_uncalibrated` (booked + raw estimate),
        `seasonal_naive_mae` (€ per month), `pairs` (count); `mae_3m`, `seasonal_naive_mae_3m`
        (the same over the pairs of horizons 1–3); `booked_mae` (booked revenue alone as the
        forecast); `calibration` (median (actual − booked) / estimate over all pairs: the factor of
        the live forecast), `calibration_by_origin` [{origin "YYYY-MM", factor}],
        `calibration_min_origins`; `residual_q10`, `residual_q50`, `residual_q90` (relative errors
        (actual − forecast) / forecast of the calibrated forecast) and
        `uncalibrated_residual_q10/q50/q90` (same uncalibrated); `interval`
        [{horizon, low, high, pairs}] (`interval_ratios` of actual / live-calibrated forecast);
        `by_horizon` [{horizon, mae, mae_uncalibrated, seasonal_naive_mae}].
    """
    from core.model.scenarios import Scenario, apply_scenario

    t = pd.Timestamp(as_of)
    last_full = (t + pd.Timedelta(days=1)).to_period("M").to_timestamp() - pd.offsets.MonthBegin(1)
    revenue = monthly_revenue(con)
    origins = pd.date_range(last_full - pd.DateOffset(months=months - 1), last_full, freq="MS")
    rows = []
    for origin in origins:  # one forecast per origin month (12), not a loop over data rows
        inputs = forecast_inputs(con, {**bundle, "card": {}}, origin - pd.Timedelta(days=1), opening)
        frame = apply_scenario(inputs, Scenario())
        frame = frame[(frame["kind"] == "forecast") & (frame["month"] <= last_full)]
        rows.append(
            pd.DataFrame(
                {
                    "origin": origin,
                    "month": frame["month"].to_numpy(),
                    "booked": frame["booked"].to_numpy(),
                    "estimate": (frame["mid"] - frame["booked"]).to_numpy(),
                }
            )
        )
    pairs = pd.concat(rows, ignore_index=True)
    pairs["forecast"] = pairs["booked"] + pairs["estimate"]
    pairs["horizon"] = (
        (pairs["month"].dt.year - pairs["origin"].dt.year) * 12
        + pairs["month"].dt.month
        - pairs["origin"].dt.month
        + 1
    )
    pairs["actual"] = revenue.reindex(pairs["month"]).fillna(0.0).to_numpy()
    pairs["seasonal_naive"] = revenue.reindex(pairs["month"] - pd.DateOffset(years=1)).to_numpy()
    pairs = pairs.dropna(subset=["seasonal_naive"])
    # the level corrects the estimate only: booked revenue is known
    unbooked = pd.DataFrame(
        {
            "origin": pairs["origin"],
            "month": pairs["month"],
            "forecast": pairs["estimate"],
            "actual": pairs["actual"] - pairs["booked"],
        }
    )
    factors = calibration_factors(unbooked).clip(lower=0.0)
    pairs["calibrated"] = pairs["booked"] + pairs["estimate"] * factors.reindex(pairs["origin"]).to_numpy()
    positive = unbooked["forecast"] > 0
    level = (
        float((unbooked["actual"][positive] / unbooked["forecast"][positive]).clip(lower=0).median())
        if positive.any()
        else 1.0
    )
    err = (pairs["actual"] - pairs["calibrated"]).abs()
    raw_err = (pairs["actual"] - pairs["forecast"]).abs()
    naive_err = (pairs["actual"] - pairs["seasonal_naive"]).abs()
    near = pairs["horizon"] <= 3

    def quantiles(forecast: pd.Series, prefix: str) -> dict[str, float]:
        rel = ((pairs["actual"] - forecast) / forecast)[forecast > 0]
        return {
            f"{prefix}residual_q{q}": float(rel.quantile(q / 100)) if len(rel) else 0.0 for q in (10, 50, 90)
        }

    def mean(values: pd.Series) -> float | None:
        return float(values.mean()) if len(values) else None

    shown = pairs["booked"] + level * pairs["estimate"]
    band = interval_ratios((pairs["actual"] / shown)[shown > 0], pairs["horizon"][shown > 0])
    by_h = pd.DataFrame(
        {
            "horizon": pairs["horizon"],
            "mae": err,
            "mae_uncalibrated": raw_err,
            "seasonal_naive_mae": naive_err,
        }
    )
    by_h = by_h.groupby("horizon", as_index=False).mean()
    return {
        "mae": mean(err),
        "mae_uncalibrated": mean(raw_err),
        "seasonal_naive_mae": mean(naive_err),
        "mae_3m": mean(err[near]),
        "seasonal_naive_mae_3m": mean(naive_err[near]),
        "booked_mae": mean((pairs["actual"] - pairs["booked"]).abs()),
        "pairs": len(pairs),
        "calibration": level,
        "calibration_by_origin": [
            {"origin": o.strftime("%Y-%m"), "factor": round(float(f), 4)} for o, f in factors.items()
        ],
        "calibration_min_origins": CALIBRATION_MIN_ORIGINS,
        **quantiles(pairs["calibrated"], ""),
        **quantiles(pairs["forecast"], "uncalibrated_"),
        "interval": band.round({"low": 4, "high": 4}).to_dict("records"),
        "by_horizon": by_h.round(2).to_dict("records"),
    }


def contributions(bundle: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """Per-job contribution of each feature to the expected amount (P(fill) × fee) of open jobs, in €.

    Method (one-at-a-time substitution): a feature's contribution is the expected amount of the
    job minus the expected amount of the same job with that feature replaced by its reference
    value (training median for numbers, most frequent value for categories). Contributions do not
    add up exactly to the difference from the reference job (features interact); they say which
    facts move this job's estimate most, and in which direction.

    Args:
        bundle: trained models with `reference` (dict feature → value).
        frame: feature rows (as for prediction).

    Returns:
        DataFrame (same index as `frame`), one column per feature, values in €.
    """
    reference = bundle["reference"]
    features = list(reference)
    if frame.empty:
        return pd.DataFrame(columns=features, index=frame.index, dtype=float)
    # one stacked copy of the rows per feature, that feature set to its reference value:
    # a single prediction call for all substitutions
    n = len(frame)
    base_rows = frame[features].reset_index(drop=True)
    stacked = pd.concat([base_rows] * (len(features) + 1), ignore_index=True)
    for k, feature in enumerate(features, start=1):
        stacked.loc[k * n : (k + 1) * n - 1, feature] = reference[feature]
    p, fee = predict_jobs(bundle, stacked, stage=True)
    amounts = (p * fee).reshape(len(features) + 1, n)
    return pd.DataFrame((amounts[0] - amounts[1:]).T, columns=features, index=frame.index)


def explain_text(contrib: pd.DataFrame, top: int = 3) -> pd.Series:
    """The `top` largest contributions of each row as text, e.g. "salary +2 300 €; coach −800 €"."""
    if contrib.empty:
        return pd.Series([], dtype=str, index=contrib.index)
    values = contrib.to_numpy()
    order = np.argsort(-np.abs(values), axis=1)[:, :top]
    labels = np.array([FEATURE_LABELS.get(c, c) for c in contrib.columns])
    text = pd.Series("", index=contrib.index)
    for rank in range(order.shape[1]):  # `top` columns, vectorised over jobs
        col = order[:, rank]
        amount = np.take_along_axis(values, col[:, None], axis=1)[:, 0]
        part = (
            pd.Series(labels[col], index=contrib.index)
            + " "
            + pd.Series(
                [f"{v:+,.0f} €".replace(",", " ").replace("-", "−") for v in amount], index=contrib.index
            )
        )
        text = text + np.where(rank == 0, "", "; ") + part
    return text


def open_jobs_predictions(
    con: duckdb.DuckDBPyConnection, filters: Filters, bundle: dict[str, Any]
) -> pd.DataFrame:
    """Jobs open at the data's as-of date with their predicted fee, fill probability and expected amount.

    Open = opened by the as-of date and not closed then. The period filter does not apply (this is
    the state now); team, people, job type and segment filters do. Predictions use what is known at
    the as-of date (client history at opening, pipeline so far).

    Returns:
        DataFrame[job_id, client_id, client, title, job_type, opened_at, days_open, predicted_fee,
        fill_probability, expected_amount, drivers] sorted by expected amount, descending;
        `drivers` lists the three largest contributions (see `contributions`).
    """
    from core.metrics.common import as_of as data_as_of

    t = pd.Timestamp(data_as_of(con))
    sql, params = where(filters.jobs("j"))
    allowed = con.execute(f"SELECT j.job_id FROM jobs j WHERE {sql}", params).df()["job_id"]
    jobs = opening_features(con)
    is_open = (jobs["closed_at"] > t) | (jobs["closed_at"].isna() & (jobs["status"] == "open"))
    jobs = jobs[is_open & (jobs["opened_at"] <= t) & jobs["job_id"].isin(allowed)]
    frame = features_at(con, jobs, t)
    p, fee = predict_jobs(bundle, frame, stage=True)
    names = con.execute("SELECT client_id, name AS client FROM clients").df()
    out = frame[["job_id", "client_id", "title", "job_type", "opened_at", "days_open"]].merge(
        names, on="client_id", how="left"
    )
    out["predicted_fee"] = np.round(fee, 0)
    out["fill_probability"] = np.round(p, 3)
    out["expected_amount"] = np.round(p * fee, 0)
    out["drivers"] = explain_text(contributions(bundle, frame)).to_numpy() if len(frame) else []
    cols = [
        "job_id",
        "client_id",
        "client",
        "title",
        "job_type",
        "opened_at",
        "days_open",
        "predicted_fee",
        "fill_probability",
        "expected_amount",
        "drivers",
    ]
    return out[cols].sort_values("expected_amount", ascending=False, ignore_index=True)
