from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics.typology import (
    CLIENT_COLUMNS,
    PROFILE_COLUMNS,
    client_typology,
    rank_typologies,
    typology_profiles,
    typology_verdict,
)
from tests.helpers import warehouse

HOSTILE = "x'); DROP TABLE jobs; --"
OPEN, CLOSE = date(2024, 1, 1), date(2024, 2, 1)


def _fixture(n_big: int = 3, n_small: int = 3):
    """Big clients: 5 000 staff, 3 senior jobs at 100 k€, all filled (20 000 € each).
    Small clients: 10 staff, 1 junior job at 30 k€, lost."""
    clients, jobs, placements = [], [], []
    for i in range(n_big):
        clients.append({"client_id": f"B{i}", "name": f"Big {i}", "employees": 5000})
        for k in range(3):
            jid = f"B{i}J{k}"
            jobs.append({"job_id": jid, "client_id": f"B{i}", "salary_k": 100.0, "fee_rate": 0.2,
                         "seniority": "senior", "status": "filled", "opened_at": OPEN, "closed_at": CLOSE})
            placements.append(
                {"placement_id": f"P{jid}", "job_id": jid, "fee_eur": 20000.0, "invoiced_at": CLOSE})
    for i in range(n_small):
        clients.append({"client_id": f"S{i}", "name": f"Small {i}", "employees": 10})
        jobs.append({"job_id": f"S{i}J0", "client_id": f"S{i}", "salary_k": 30.0, "fee_rate": 0.2,
                     "seniority": "junior", "status": "lost", "opened_at": OPEN, "closed_at": CLOSE})
    return warehouse({"clients": clients, "jobs": jobs, "placements": placements})


def test_two_obvious_groups_are_found_and_named():
    t = client_typology(_fixture(), Filters())
    assert list(t.columns) == CLIENT_COLUMNS
    by = t.set_index("client_id")
    # Equal sizes: the cluster whose centre comes first (small head count) is number 1.
    assert set(by.loc[["S0", "S1", "S2"], "cluster"]) == {1}
    assert set(by.loc[["B0", "B1", "B2"], "cluster"]) == {2}
    assert by.loc["B0", "cluster_name"] == "Large companies, many jobs"
    assert by.loc["S0", "cluster_name"] == "Small companies, few jobs"
    b0 = by.loc["B0"]
    assert (b0.jobs_opened, b0.avg_salary_k, b0.senior_share) == (3, 100.0, 1.0)


def test_profiles_and_best_typology():
    p = typology_profiles(_fixture(), Filters())
    assert list(p.columns) == PROFILE_COLUMNS
    small, big = p.iloc[0], p.iloc[1]
    assert (big.clients, big.jobs, big.filled_jobs, big.fill_rate, big.margin) == (3, 9, 9, 1.0, 1.0)
    assert (big.median_days_to_fill, big.turnover, big.turnover_per_client) == (31.0, 180000.0, 60000.0)
    assert (small.fill_rate, small.turnover) == (0.0, 0.0)
    assert small.margin != small.margin and small.median_days_to_fill != small.median_days_to_fill  # NaN
    assert p["is_best"].tolist() == [False, True] and p["performance_rank"].tolist() == [2, 1]
    assert big.mean_employees == 5000.0


def test_deterministic():
    con = _fixture()
    assert client_typology(con, Filters()).equals(client_typology(con, Filters()))


def test_too_few_clients_make_one_group():
    t = client_typology(_fixture(1, 1), Filters())
    assert t["cluster"].tolist() == [1, 1] and t["cluster_name"].iloc[0] == "Typical clients"
    p = typology_profiles(_fixture(1, 0), Filters())
    assert p["clients"].tolist() == [1] and p["is_best"].tolist() == [False]  # nothing to compare with
    assert "one group" in typology_verdict(p)


def test_empty_and_hostile():
    for con, f in ((_fixture(), Filters(teams=(HOSTILE,))), (_fixture(), Filters(date_from=date(2030, 1, 1))),
                   (warehouse({}), Filters())):
        for fn, cols in ((client_typology, CLIENT_COLUMNS), (typology_profiles, PROFILE_COLUMNS)):
            out = fn(con, f)
            assert out.empty and list(out.columns) == cols


@pytest.mark.demo
def test_demo_typology_is_readable(demo_con):
    p = typology_profiles(demo_con, Filters())
    assert 2 <= len(p) <= 6 and p["is_best"].sum() <= 1
    assert p["cluster_name"].is_unique


@pytest.mark.demo
def test_demo_three_way_tie_is_said_as_a_tie(demo_con):
    """Last 12 months: three typologies share the mean rank 2.0; none was to be declared best by size."""
    p = typology_profiles(demo_con, Filters(date_from=date(2025, 11, 1), date_to=date(2026, 10, 31)))
    assert len(p) == 3 and p["mean_rank"].tolist() == [2.0, 2.0, 2.0]
    assert not p["is_best"].any()
    verdict = typology_verdict(p)
    assert verdict.startswith("No single best typology") and all(n in verdict for n in p["cluster_name"])


def _profiles(filled, decided, margin, days):
    n = len(filled)
    return pd.DataFrame({"cluster": range(1, n + 1), "cluster_name": [f"T{i}" for i in range(1, n + 1)],
                         "clients": [10] * n, "filled_jobs": filled, "decided_jobs": decided,
                         "fill_rate": [f / d for f, d in zip(filled, decided)], "margin": margin,
                         "median_days_to_fill": days})


def test_best_only_when_the_difference_is_real():
    # T1 first on all three measures, 90/100 filled against 20/100: intervals far apart.
    clear = rank_typologies(_profiles([90, 20], [100, 100], [0.5, 0.2], [30.0, 60.0]))
    assert clear["is_best"].tolist() == [True, False] and clear["mean_rank"].tolist() == [1.0, 2.0]
    # Same ranks, 3/5 against 2/5 filled: Wilson intervals [0.23, 0.88] and [0.12, 0.77] overlap.
    chance = rank_typologies(_profiles([3, 2], [5, 5], [0.5, 0.2], [30.0, 60.0]))
    assert not chance["is_best"].any() and chance["performance_rank"].tolist() == [1, 2]
    assert "may be chance" in typology_verdict(chance)


def test_a_tie_is_never_broken_by_size():
    # T1 best on fill rate, T2 on margin, T3 on speed: mean rank 2.0 each.
    tie = rank_typologies(_profiles([90, 50, 10], [100, 100, 100], [0.1, 0.5, 0.3], [40.0, 50.0, 20.0]))
    assert tie["mean_rank"].tolist() == [2.0, 2.0, 2.0] and not tie["is_best"].any()
    assert typology_verdict(tie) == ('No single best typology: "T1", "T2" and "T3" tie (mean rank 2.0 on fill '
                                     "rate, margin and speed).")


def test_the_verdict_in_french():
    tie = rank_typologies(_profiles([90, 50, 10], [100, 100, 100], [0.1, 0.5, 0.3], [40.0, 50.0, 20.0]))
    assert typology_verdict(tie, "fr") == (
        "Pas de meilleure typologie\u202f: «\u202fT1\u202f», «\u202fT2\u202f» et «\u202fT3\u202f» sont à égalité "
        "(rang moyen 2,0 en taux de pourvoi, marge et rapidité).")


def test_the_map_samples_each_typology_in_its_share():
    from core.metrics.typology import map_sample

    # 80 clients in typology 1, 20 in typology 2; 10 points: 8 and 2, evenly spaced by client id.
    clients = pd.DataFrame({"client_id": [f"C{i:03d}" for i in range(100)],
                            "cluster": [1] * 80 + [2] * 20})
    shown = map_sample(clients, max_points=10)
    assert shown.groupby("cluster").size().to_dict() == {1: 8, 2: 2}
    assert shown[shown["cluster"] == 2]["client_id"].tolist() == ["C080", "C099"]
    assert shown["client_id"].tolist() == map_sample(clients.sample(frac=1, random_state=3), 10)["client_id"].tolist()
    assert len(map_sample(clients, max_points=100)) == 100


def test_typology_names_in_french():
    from core.metrics.typology import FEATURES, FRENCH_WORDS, in_words, typology_name

    # Every phrase a name can be made of has its French words.
    assert {w for pair in FEATURES.values() for w in pair} | {"typical clients"} == set(FRENCH_WORDS)
    assert typology_name("Junior roles, low salaries", "fr") == "Postes juniors, salaires bas"
    assert typology_name("Many jobs, effort-heavy (2)", "fr") == "Beaucoup de postes, beaucoup d'effort par poste (2)"
    assert typology_name("Typical clients", "fr") == "Clients dans la moyenne"
    assert typology_name("Junior roles, low salaries", "en") == "Junior roles, low salaries"
    frame = pd.DataFrame({"cluster_name": ["Junior roles, low salaries", "Typical clients", "Junior roles, low salaries"]})
    assert in_words(frame, "fr")["cluster_name"].tolist() == [
        "Postes juniors, salaires bas", "Clients dans la moyenne", "Postes juniors, salaires bas"]
    assert frame["cluster_name"].iloc[0] == "Junior roles, low salaries"  # the input is left as it was
    # The verdict names the typologies in the sentence's language.
    tie = rank_typologies(_profiles([90, 50, 10], [100, 100, 100], [0.1, 0.5, 0.3], [40.0, 50.0, 20.0]))
    tie["cluster_name"] = ["Junior roles, low salaries", "Senior roles, high salaries", "Typical clients"]
    assert typology_verdict(tie, "fr") == (
        "Pas de meilleure typologie\u202f: «\u202fPostes juniors, salaires bas\u202f», «\u202fPostes seniors, "
        "salaires élevés\u202f» et «\u202fClients dans la moyenne\u202f» sont à égalité (rang moyen 2,0 en taux de "
        "pourvoi, marge et rapidité).")
