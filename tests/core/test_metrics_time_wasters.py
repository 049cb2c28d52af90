from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics import time_wasters as time_wasters_module
from core.metrics.time_wasters import COLUMNS, time_wasters
from tests.helpers import warehouse

HOSTILE = "x'); DROP TABLE jobs; --"
Y2024 = Filters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31))
D = date(2024, 3, 1)


@pytest.fixture
def con():
    """W(aster): 10 h, 5 pitches, 3 jobs, nothing earned. K(ey): 8 h, 4 pitches, 2 jobs, 20 000 €.
    E(fficient): 1 h, 1 pitch, 1 job, 10 000 €. L(ow stakes): 1 job and nothing else. 30 €/h."""
    jobs = {"W": 3, "K": 2, "E": 1, "L": 1}
    pitches = {"W": 5, "K": 4, "E": 1}
    minutes = {"W": 600, "K": 480, "E": 60}
    return warehouse({
        "staff": [
            {"staff_id": "S1", "name": "Ana", "role": "sales", "team": "North", "hourly_cost_eur": 30.0}],
        "clients": [{"client_id": c, "name": f"Client {c}"} for c in jobs],
        "jobs": [{"job_id": f"{c}{i}", "client_id": c, "opened_at": D, "sales_id": "S1"}
                 for c, n in jobs.items() for i in range(n)],
        "pipeline_events": [{"event_id": f"E{c}{i}", "job_id": f"{c}0", "stage": "pitch", "event_date": D}
                            for c, n in pitches.items() for i in range(n)]
        + [{"event_id": "old", "job_id": "W0", "stage": "pitch", "event_date": date(2023, 12, 31)}],
        "placements": [{"placement_id": "PK", "job_id": "K0", "fee_eur": 20000.0, "invoiced_at": D},
                       {"placement_id": "PE", "job_id": "E0", "fee_eur": 10000.0, "invoiced_at": D}],
        "activities": [{"activity_id": f"A{c}", "staff_id": "S1", "client_id": c, "job_id": f"{c}0",
                        "activity_date": D, "minutes": m} for c, m in minutes.items()],
    })


def test_score_rank_and_quadrants(con):
    t = time_wasters(con, Y2024)
    assert list(t.columns) == COLUMNS
    assert t["client_id"].tolist() == ["W", "L", "K", "E"] and t["rank"].tolist() == [1, 2, 3, 4]
    s = t.set_index("client_id")
    assert (s.loc["W", "activity_hours"], s.loc["W", "pitches"], s.loc["W", "jobs_opened"]) == (10.0, 5, 3)
    assert (s.loc["W", "net_profit"], s.loc["K", "net_profit"]) == (-300.0, 19760.0)
    # Percentile ranks among 4 clients (ties averaged): see the module docstring.
    assert s["effort_score"].to_dict() == pytest.approx(
        {"W": 1.0, "K": 0.75, "E": (0.5 + 0.5 + 0.375) / 3, "L": (0.25 + 0.25 + 0.375) / 3})
    assert s["return_score"].to_dict() == pytest.approx({"W": 0.3125, "K": 1.0, "E": 0.75, "L": 0.4375})
    assert s.loc["W", "waste_score"] == pytest.approx(0.6875)
    assert s["quadrant"].to_dict() == {"W": "time waster", "K": "key account", "E": "efficient",
                                       "L": "low stakes"}


def test_pitches_dated_by_event_date(con):
    assert time_wasters(con, Filters()).set_index("client_id").loc["W", "pitches"] == 6


def test_empty_and_hostile(con):
    for c, f in ((con, Filters(teams=(HOSTILE,))), (con, Filters(job_types=(HOSTILE,))),
                 (warehouse({}), Filters())):
        out = time_wasters(c, f)
        assert out.empty and list(out.columns) == COLUMNS
    assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 7


@pytest.mark.demo
def test_demo_planted_time_wasters_on_top(demo_con, demo_truth):
    planted = set(demo_truth["time_wasters"])
    top = set(time_wasters(demo_con, Filters())["client_id"].head(max(10, len(planted) + 2)))
    assert len(planted & top) >= 0.75 * len(planted)


def test_equal_effort_ties_whatever_the_sum_order():
    """X logs 6 + 12 minutes, Y 18: 0.1 + 0.2 h is not 0.3 h in floating point, but it is the same
    effort, so both share their ranks and scores and the client id orders them."""
    con = warehouse({
        "staff": [{"staff_id": "S1", "hourly_cost_eur": 30.0}],
        "jobs": [{"job_id": c, "client_id": c, "opened_at": D, "sales_id": "S1"} for c in ("X", "Y")],
        "activities": [{"activity_id": f"A{i}", "staff_id": "S1", "client_id": c, "job_id": c,
                        "activity_date": D, "minutes": m}
                       for i, (c, m) in enumerate((("Y", 18.0), ("X", 6.0), ("X", 12.0)))],
    })
    t = time_wasters(con, Y2024)
    assert t["client_id"].tolist() == ["X", "Y"]
    assert t["effort_score"].tolist() == [0.75, 0.75] and t["return_score"].tolist() == [0.75, 0.75]


def test_a_large_client_base_draws_the_time_wasters_as_points_and_the_rest_as_a_density():
    # 6 clients, at most 2 points: the two time wasters ranked first; the other 4 are counted on a
    # 2 x 2 grid of scores (cells of 0.5, centres 0.25 and 0.75).
    ranked = pd.DataFrame({
        "rank": [1, 2, 3, 4, 5, 6],
        "quadrant": ["time waster", "time waster", "time waster", "key account", "efficient", "low stakes"],
        "effort_score": [0.9, 0.8, 0.7, 1.0, 0.1, 0.2],
        "return_score": [0.1, 0.2, 0.3, 1.0, 0.9, 0.2],
    })
    points, density = time_wasters_module.effort_return_view(ranked, max_points=2, bins=2)
    assert points["rank"].tolist() == [1, 2]
    cells = {(e, r): n for e, r, n in density.itertuples(index=False)}
    # rank 3 (0.7, 0.3) -> (0.75, 0.25); rank 4 (1.0, 1.0) -> last cell (0.75, 0.75);
    # rank 5 (0.1, 0.9) -> (0.25, 0.75); rank 6 (0.2, 0.2) -> (0.25, 0.25).
    assert cells == {(0.25, 0.25): 1, (0.25, 0.75): 1, (0.75, 0.25): 1, (0.75, 0.75): 1}
    assert density["clients"].sum() == len(ranked) - len(points)
    every, none = time_wasters_module.effort_return_view(ranked, max_points=6)
    assert len(every) == 6 and none.empty
