from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.filters import Filters
from core.metrics import funnel
from core.metrics.common import events_in_scope
from tests.core.fixtures_analytics_b import HOSTILE, agency
from tests.helpers import warehouse

ALL = Filters()


@pytest.fixture
def con():
    return agency()


def _wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(centre - half, 0.0), min(centre + half, 1.0)


def test_funnel_overall(con):
    df = funnel.funnel_overall(con, ALL)
    assert list(df.columns) == ["stage", "events", "conversion_from_previous"]
    assert df["stage"].tolist() == ["pitch", "mer", "offer", "placement"]
    assert df["events"].tolist() == [8, 5, 2, 2]
    assert pd.isna(df["conversion_from_previous"][0])
    assert df["conversion_from_previous"][1:].tolist() == pytest.approx([5 / 8, 2 / 5, 1.0])


def test_funnel_overall_filters(con):
    assert funnel.funnel_overall(con, Filters(date_from=date(2023, 1, 1)))["events"].tolist() == [3, 2, 1, 1]
    # North = Ana (S1) and Cleo (C1): jobs J1, J2, J5.
    assert funnel.funnel_overall(con, Filters(teams=("North",)))["events"].tolist() == [6, 3, 1, 1]
    assert funnel.funnel_overall(con, Filters(job_types=("Sales",)))["events"].tolist() == [2, 2, 1, 1]
    assert funnel.funnel_overall(con, Filters(sales=("S2",)))["events"].tolist() == [2, 2, 1, 1]


def test_mer_to_placement_over_time(con):
    df = funnel.mer_to_placement_over_time(con, ALL, grain="year")
    assert list(df.columns) == ["period", "mers", "placements", "mer_to_placement_rate"]
    assert df["mers"].tolist() == [3, 2]
    assert df["placements"].tolist() == [1, 1]
    assert df["mer_to_placement_rate"].tolist() == pytest.approx([1 / 3, 1 / 2])
    q = funnel.mer_to_placement_over_time(con, ALL, grain="quarter")
    assert [pd.Timestamp(p).strftime("%Y-%m") for p in q["period"]] == ["2022-01", "2023-01"]


def test_mer_to_placement_factors(con):
    df = funnel.mer_to_placement_factors(con, ALL)
    assert list(df.columns) == [
        "factor",
        "value",
        "early_mers",
        "early_placements",
        "early_rate",
        "late_mers",
        "late_placements",
        "late_rate",
        "rate_change",
        "early_share_of_mers",
        "late_share_of_mers",
        "split_date",
    ]
    # MER/placement dates run 2022-01-20 .. 2023-03-01 (405 days): split at 2022-01-20 + 202 days.
    assert pd.Timestamp(df["split_date"][0]) == pd.Timestamp("2022-08-10")
    rows = {(r.factor, r.value): r for r in df.itertuples()}
    overall = rows[("overall", "all")]
    assert (overall.early_mers, overall.early_placements, overall.late_mers, overall.late_placements) == (
        3,
        1,
        2,
        1,
    )
    assert overall.rate_change == pytest.approx(0.5 - 1 / 3)
    dev = rows[("job_type", "Dev")]
    assert (dev.early_mers, dev.early_placements, dev.late_mers) == (3, 1, 0)
    assert pd.isna(dev.late_rate) and dev.early_share_of_mers == 1.0 and dev.late_share_of_mers == 0.0
    assert rows[("job_type", "Sales")].late_rate == 0.5
    assert rows[("client_segment", "top")].early_mers == 3
    assert rows[("client_segment", "other")].late_mers == 2
    assert rows[("salesperson", "Ana Roy")].early_rate == pytest.approx(1 / 3)
    assert rows[("coach", "Cleo Ng")].late_rate == 0.5
    # J1: first pitch 4 days after opening, J2: 9 days, J3: 19 days.
    assert rows[("time_to_first_pitch", "0-7 days")].early_mers == 2
    assert rows[("time_to_first_pitch", "8-14 days")].early_mers == 1
    assert rows[("time_to_first_pitch", "15-30 days")].late_placements == 1
    assert rows[("seniority", "junior")].early_rate == 0.0


def test_fill_probability_by_count(con):
    df = funnel.fill_probability_by_count(con, ALL)
    assert list(df.columns) == ["stage", "count", "jobs", "fill_probability"]
    # Decided jobs: J1 filled, J2 lost, J3 filled, J5 cancelled (J4 is still open).
    got = {(r.stage, r.count): (r.jobs, r.fill_probability) for r in df.itertuples()}
    assert got == {
        ("pitch", 1): (2, 0.5),
        ("pitch", 2): (1, 0.0),
        ("pitch", 3): (1, 1.0),
        ("mer", 0): (1, 0.0),
        ("mer", 1): (1, 0.0),
        ("mer", 2): (2, 1.0),
        ("offer", 0): (2, 0.0),
        ("offer", 1): (2, 1.0),
    }


def test_count_groups_close_a_small_last_group_into_the_one_before():
    curve = pd.DataFrame({"stage": ["pitch"] * 4, "count": [0, 1, 2, 5], "jobs": [2, 1, 3, 1],
                          "fill_probability": [0.5, 0.0, 2 / 3, 1.0]})
    # min 3 jobs: {0, 1} holds 3 (1 filled), {2} holds 3 (2 filled), {5} alone (1 job) joins {2}.
    groups = funnel.count_groups(curve, min_jobs=3)
    assert groups[["low", "high", "jobs", "filled"]].values.tolist() == [[0, 1, 3, 1], [2, 5, 4, 3]]
    assert groups["rate"].tolist() == [1 / 3, 0.75]
    assert (groups["lower"] < groups["rate"]).all() and (groups["rate"] < groups["upper"]).all()
    # With another stage in the curve, `stage` picks the counts to group.
    both = pd.concat([curve, curve.assign(stage="mer", jobs=[9, 9, 9, 9])])
    assert funnel.count_groups(both, min_jobs=3, stage="pitch").equals(groups)
    assert funnel.count_groups(both, min_jobs=3, stage="mer")["jobs"].tolist() == [9, 9, 9, 9]


def test_candidates_per_opportunity(con):
    df = funnel.candidates_per_opportunity(con, ALL)
    assert list(df.columns) == [
        "job_type",
        "jobs",
        "candidates",
        "candidates_per_job",
        "median_candidates_per_job",
    ]
    assert df["job_type"].tolist() == ["Dev", "Sales", "All"]
    assert df["jobs"].tolist() == [3, 2, 5]
    assert df["candidates"].tolist() == [6, 3, 9]
    assert df["candidates_per_job"].tolist() == pytest.approx([2.0, 1.5, 1.8])
    assert df["median_candidates_per_job"].tolist() == pytest.approx([2.0, 1.5, 2.0])


def test_closing_duration(con):
    df = funnel.closing_duration(con, ALL)
    assert list(df.columns) == ["job_type", "jobs_filled", "median_days", "p25", "p75"]
    assert df["job_type"].tolist() == ["Dev", "Sales", "All"]
    assert df["jobs_filled"].tolist() == [1, 1, 2]
    assert df["median_days"].tolist() == pytest.approx([40, 59, 49.5])
    assert df["p25"].tolist() == pytest.approx([40, 59, 44.75])
    assert df["p75"].tolist() == pytest.approx([40, 59, 54.25])
    later = funnel.closing_duration(con, Filters(date_from=date(2023, 1, 1)))
    assert later["job_type"].tolist() == ["Sales", "All"]


def test_new_vs_repeat(con):
    df = funnel.new_vs_repeat(con, ALL)
    assert list(df.columns) == ["job_kind", "jobs", "decided_jobs", "filled_jobs", "fill_rate", "median_days",
                                "avg_fee"]
    new, repeat = df.to_dict("records")
    assert new == {"job_kind": "new", "jobs": 2, "decided_jobs": 2, "filled_jobs": 2, "fill_rate": 1.0,
                   "median_days": 49.5, "avg_fee": 9000.0}
    assert (repeat["job_kind"], repeat["jobs"], repeat["fill_rate"]) == ("repeat", 3, 0.0)
    assert (repeat["decided_jobs"], repeat["filled_jobs"]) == (2, 0)
    assert pd.isna(repeat["median_days"]) and pd.isna(repeat["avg_fee"])


def test_pitch_to_mer_by_sales_excludes_coaches(con):
    df = funnel.pitch_to_mer_by_sales(con, ALL)
    assert list(df.columns) == [
        "staff_id",
        "name",
        "team",
        "pitches",
        "mers",
        "pitch_to_mer_rate",
        "ci_low",
        "ci_high",
    ]
    assert df["name"].tolist() == ["Bob Li", "Ana Roy"]
    assert df["pitches"].tolist() == [2, 5]
    assert df["mers"].tolist() == [2, 3]
    assert df["pitch_to_mer_rate"].tolist() == [1.0, 0.6]
    assert (df["ci_low"][1], df["ci_high"][1]) == pytest.approx(_wilson(3, 5))
    assert (df["ci_low"][1], df["ci_high"][1]) == pytest.approx((0.2307, 0.8824), abs=1e-4)


def test_pitch_to_mer_by_team(con):
    df = funnel.pitch_to_mer_by_team(con, ALL)
    assert list(df.columns) == ["team", "pitches", "mers", "pitch_to_mer_rate", "ci_low", "ci_high"]
    assert df[["team", "pitches", "mers"]].values.tolist() == [["South", 2, 2], ["North", 5, 3]]
    # A period that cuts J3's pitch off leaves 2 MERs on 0 pitches: rate and interval undefined.
    cut = funnel.pitch_to_mer_by_team(con, Filters(date_from=date(2023, 2, 1), date_to=date(2023, 5, 31)))
    assert (
        cut["pitches"].tolist() == [0] and pd.isna(cut["pitch_to_mer_rate"][0]) and pd.isna(cut["ci_low"][0])
    )


FUNCTIONS = [
    funnel.funnel_overall,
    funnel.mer_to_placement_over_time,
    funnel.mer_to_placement_factors,
    funnel.fill_probability_by_count,
    funnel.candidates_per_opportunity,
    funnel.closing_duration,
    funnel.new_vs_repeat,
    funnel.pitch_to_mer_by_sales,
    funnel.pitch_to_mer_by_team,
]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.__name__)
def test_empty_warehouse_gives_columns(fn, con):
    expected = list(fn(con, ALL).columns)
    assert list(fn(warehouse({}), ALL).columns) == expected


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.__name__)
def test_hostile_filters_are_values(fn, con):
    for text in HOSTILE:
        f = Filters(teams=(text,), sales=(text,), job_types=(text,))
        fn(con, f)
    assert con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 5
    assert con.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 3
    # A hostile job type matches nothing: the funnel is empty, not everything.
    assert funnel.funnel_overall(con, Filters(job_types=("' OR 1=1 --",)))["events"].sum() == 0


@pytest.mark.demo
def test_demo_mer_to_placement_falls(demo_con, demo_truth):
    """The README's figures to the 0.1 point it states them with, each year counted independently (plain
    pandas on the warehouse's events), and the planted fall."""
    import re
    from pathlib import Path

    line = next(x for x in (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").splitlines()
                if x.startswith("| MER → placement |"))
    claimed = [float(v) for v in re.findall(r"(\d+\.\d) %", line)]
    assert claimed == [8.9, 8.1, 7.0, 6.1, 4.9]
    events = demo_con.execute("SELECT stage, year(event_date) AS y FROM pipeline_events "
                              "WHERE event_date IS NOT NULL AND stage IN ('mer', 'placement')").df()
    counts = events.groupby(["y", "stage"]).size().unstack()
    independent = (counts["placement"] / counts["mer"] * 100).round(1)
    years = funnel.mer_to_placement_over_time(demo_con, ALL, grain="year")
    measured = pd.Series(years["mer_to_placement_rate"].to_numpy() * 100,
                         index=[pd.Timestamp(p).year for p in years["period"]]).round(1)
    assert measured.to_dict() == independent.to_dict() == dict(zip(range(2022, 2027), claimed))
    planted = demo_truth["mer_to_placement_by_year"]
    assert planted["2022"] > planted["2026"] and measured.is_monotonic_decreasing


@pytest.mark.demo
def test_demo_pitch_to_mer_order_matches_truth(demo_con, demo_truth):
    df = funnel.pitch_to_mer_by_sales(demo_con, ALL)
    planted = demo_truth["sales_pitch_to_mer"]
    got = df.set_index("name").loc[list(planted), "pitch_to_mer_rate"]
    truth = pd.Series(planted)
    # Same ranking: Spearman correlation of measured and planted rates close to 1.
    assert got.rank().corr(truth.rank()) > 0.9
    assert set(df["name"]) == set(planted)


def test_team_rates_sum_salespeople_and_rank_by_interval():
    by_sales = pd.DataFrame({"staff_id": ["S1", "S2", "S3", "S4"], "name": ["a", "b", "c", "d"],
                             "team": ["X", "Y", "Y", None], "pitches": [1, 60, 40, 0],
                             "mers": [1, 30, 30, 0]})
    teams = funnel.team_pitch_to_mer(by_sales)
    # X: 1/1 = 100 % but its interval starts at 21 %; Y: 60/100 = 60 %, interval from 50 %.
    assert teams["team"].tolist() == ["Y", "X", "(no team)"]
    assert teams["pitches"].tolist() == [100, 1, 0] and teams["mers"].tolist() == [60, 1, 0]
    assert teams["ci_low"][0] == pytest.approx(_wilson(60, 100)[0])
    assert pd.isna(teams["pitch_to_mer_rate"][2])


def test_first_dates_are_read_from_the_job_facts(con):
    before = funnel.closing_duration(con, ALL).set_index("job_type").loc["Dev", "median_days"]
    # The placement date is read from job_facts: moving J1's there moves its closing duration.
    con.execute("UPDATE job_facts SET placed_at = placed_at + 10 WHERE job_id = 'J1'")
    dev = funnel.closing_duration(con, ALL).set_index("job_type").loc["Dev", "median_days"]
    assert dev == before + 10


@pytest.mark.demo
@pytest.mark.parametrize("f", [Filters(), Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)),
                               Filters(teams=("Lyon",)), Filters(job_types=("Developer",), staff_role="coach")])
def test_events_in_scope_keeps_the_events_of_the_jobs_that_pass(demo_con, f):
    """Without a job filter the events are not joined to the jobs: the same events as the join keeps."""
    sql, params = events_in_scope(f)
    got = demo_con.execute(f"SELECT stage, COUNT(*) FROM ({sql}) e GROUP BY ALL ORDER BY ALL", params).fetchall()
    people = ("" if not f.teams else "AND j.sales_id IN (SELECT staff_id FROM staff WHERE team = 'Lyon')")
    types = "" if not f.job_types else "AND j.job_type = 'Developer'"
    period = "" if f.date_from is None else "AND e.event_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'"
    expected = demo_con.execute(f"""
        SELECT e.stage, COUNT(*) FROM pipeline_events e JOIN jobs j ON j.job_id = e.job_id
        WHERE TRUE {people} {types} {period} GROUP BY ALL ORDER BY ALL""").fetchall()
    assert len(expected) == 4 and got == expected
