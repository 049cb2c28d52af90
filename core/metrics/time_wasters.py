"""Time wasters: clients who take a lot of the agency's effort and give little back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.filters import Filters, where
from core.metrics.clients import client_economics

COLUMNS = ["rank", "client_id", "name", "activity_hours", "pitches", "jobs_opened", "turnover", "net_profit",
           "effort_score", "return_score", "waste_score", "quadrant"]
EFFORT_MEASURES = ("activity_hours", "pitches", "jobs_opened")
RETURN_MEASURES = ("turnover", "net_profit")
QUADRANTS = ("time waster", "key account", "efficient", "low stakes")


def time_wasters(con, f: Filters) -> pd.DataFrame:
    """Clients ranked from the most to the least wasteful of the agency's time.

    Effort is measured three ways: activity hours logged for the client (activities dated
    in the period), pitches made on its jobs (pitch events dated in the period) and jobs it
    opened in the period. Return is measured two ways: turnover and net profit (as in
    `client_economics`). Each measure is turned into a percentile rank among the clients in
    scope (0 to 1, ties share their average rank), so that hours, counts and euros weigh
    the same. effort_score = mean of the three effort ranks; return_score = mean of the two
    return ranks; waste_score = effort_score − return_score, from −1 (all return, no effort)
    to +1 (all effort, no return). Rank 1 is the highest waste score (ties: more hours
    first, then client id). The quadrant compares each score with its median over the
    clients in scope (at or above the median = high): `time waster` (high effort, low
    return), `key account` (high, high), `efficient` (low effort, high return),
    `low stakes` (low, low). Clients in scope are those of `client_economics`; the filters
    apply to the jobs as there.

    Args:
        con: a DuckDB connection to the warehouse.
        f: the global filters.

    Returns:
        rank, client_id, name, activity_hours, pitches, jobs_opened, turnover, net_profit,
        effort_score, return_score, waste_score, quadrant; rank 1 first.
    """
    eco = client_economics(con, f)
    ev_sql, ev_params = where(f.period("e.event_date"), f.jobs("j"))
    pitched = con.execute(f"""
        SELECT j.client_id, COUNT(*) AS pitches
        FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id
        WHERE e.stage = 'pitch' AND {ev_sql} GROUP BY 1
    """, ev_params).df()
    frame = eco[["client_id", "name", "effort_hours", "jobs", "turnover", "net_profit"]].rename(
        columns={"effort_hours": "activity_hours", "jobs": "jobs_opened"})
    frame = frame.merge(pitched, on="client_id", how="left")
    frame["pitches"] = frame["pitches"].fillna(0).astype("int64")
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    # Rounded: sums of hours and euros differ in the last bits with the order DuckDB adds them in,
    # which would split equal clients into different ranks from one run (or plan) to the next.
    measures = frame[list(EFFORT_MEASURES + RETURN_MEASURES)].astype(float).round(9)
    ranks = measures.rank(pct=True, method="average")
    frame["effort_score"] = ranks[list(EFFORT_MEASURES)].mean(axis=1)
    frame["return_score"] = ranks[list(RETURN_MEASURES)].mean(axis=1)
    frame["waste_score"] = frame["effort_score"] - frame["return_score"]
    high_effort = frame["effort_score"] >= frame["effort_score"].median()
    high_return = frame["return_score"] >= frame["return_score"].median()
    frame["quadrant"] = np.select(
        [high_effort & ~high_return, high_effort & high_return, ~high_effort & high_return],
        list(QUADRANTS[:3]), default=QUADRANTS[3])
    frame["_hours"] = measures["activity_hours"]
    frame = frame.sort_values(["waste_score", "_hours", "client_id"],
                              ascending=[False, False, True]).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame[COLUMNS]


# Beyond this many clients a point per client is both slow to draw and unreadable.
MAX_POINTS = 2_000
DENSITY_BINS = 20


def effort_return_view(ranked: pd.DataFrame, max_points: int = MAX_POINTS,
                       bins: int = DENSITY_BINS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the effort-vs-return chart draws: points for the clients that matter, a density for the rest.

    Up to `max_points` clients, every client is a point. Beyond, the points are the time wasters
    in rank order (at most `max_points`), and every other client is counted in a `bins` × `bins`
    grid of the two scores (both in [0, 1]), drawn as a density.

    Args:
        ranked: the output of `time_wasters` (rank order).

    Returns:
        (points, density): points = rows of `ranked`; density = [effort_score, return_score,
        clients], one row per non-empty cell, the scores at the cell's centre (empty when every
        client is a point).
    """
    density_columns = ["effort_score", "return_score", "clients"]
    if len(ranked) <= max_points:
        return ranked, pd.DataFrame(columns=density_columns)
    wasters = ranked["quadrant"] == "time waster"
    points = ranked[wasters].head(max_points)
    rest = ranked.drop(points.index)
    width = 1.0 / bins
    # A score of exactly 1 belongs to the last cell.
    cells = pd.DataFrame({
        "effort_score": (np.minimum((rest["effort_score"] / width).astype(int), bins - 1) + 0.5) * width,
        "return_score": (np.minimum((rest["return_score"] / width).astype(int), bins - 1) + 0.5) * width,
    })
    density = cells.groupby(["effort_score", "return_score"]).size().rename("clients").reset_index()
    return points, density[density_columns]
