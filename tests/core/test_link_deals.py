"""CRM deal → BO job: fit by date, title and amount; one job per deal at most."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from helpers import warehouse

from core.link import deals_without_job, jobs_without_deal, link_all, review_queue

CLIENTS = [{"client_id": "C1", "name": "Acme Labs"}, {"client_id": "C3", "name": "Norvel Software"},
           {"client_id": "C4", "name": "Brisaro Conseil"}]
JOBS = [
    {"job_id": "J1", "client_id": "C1", "title": "Data Engineer", "job_type": "Data", "salary_k": 60.0,
     "fee_rate": 0.2, "opened_at": date(2024, 1, 10)},
    {"job_id": "J2", "client_id": "C1", "title": "Sales Manager", "job_type": "Sales", "salary_k": 50.0,
     "fee_rate": 0.2, "opened_at": date(2024, 1, 12)},
    {"job_id": "J3", "client_id": "C3", "title": "Analyst", "job_type": "Finance", "salary_k": 45.0,
     "fee_rate": 0.2, "opened_at": date(2024, 3, 1)},
    {"job_id": "J4", "client_id": "C4", "title": "Comptable", "job_type": "Finance", "salary_k": 40.0,
     "fee_rate": 0.2, "opened_at": date(2024, 5, 1)},
    {"job_id": "J5", "client_id": "C4", "title": "Comptable", "job_type": "Finance", "salary_k": 40.0,
     "fee_rate": 0.2, "opened_at": date(2024, 5, 1)},
]
DEALS = [
    {"deal_id": "D1", "deal_name": "Acme - Data Engineer", "company": "ACME LABS", "amount": 12000.0,
     "created_at": date(2024, 1, 13)},
    {"deal_id": "D2", "deal_name": "Acme - Sales Manager", "company": "Acme Labs SAS", "amount": 10000.0,
     "created_at": date(2024, 1, 15)},
    {"deal_id": "D3", "deal_name": "Analyst", "company": "Norvel Software", "amount": 9000.0,
     "created_at": date(2024, 3, 2)},
    {"deal_id": "D4", "deal_name": "Analyst (bis)", "company": "Norvel Software", "amount": 9000.0,
     "created_at": date(2024, 3, 21)},
    {"deal_id": "D5", "deal_name": "Comptable", "company": "Brisaro Conseil", "amount": 8000.0,
     "created_at": date(2024, 5, 3)},
    {"deal_id": "D6", "deal_name": "Anything", "company": "Unknown Prospect", "amount": 5000.0,
     "created_at": date(2024, 5, 3)},
    {"deal_id": "D7", "deal_name": "Analyst", "company": "Norvel Software", "amount": 9000.0,
     "created_at": date(2025, 3, 2)},
]


def _con():
    con = warehouse({"clients": CLIENTS, "jobs": JOBS, "deals": DEALS})
    summary = link_all(con, None, crm_only=False)
    return con, summary


def test_best_fitting_job_per_deal():
    con, summary = _con()
    rows = {d: (j, s, st) for d, j, s, st in con.execute("SELECT deal_id, job_id, score, status FROM deal_links")
            .fetchall()}
    assert rows["D1"] == ("J1", 100.0, "auto")
    assert rows["D2"] == ("J2", 100.0, "auto")
    assert rows["D3"] == ("J3", 100.0, "auto")
    assert summary["deal"] == {"auto": 3, "review": 1, "none": 3, "override": 0}
    assert con.execute("SELECT count(*) FROM deal_links").fetchone()[0] == len(DEALS)


def test_one_job_goes_to_the_better_deal():
    con, _ = _con()
    job, score, status, reason = con.execute(
        "SELECT job_id, score, status, reason FROM deal_links WHERE deal_id = 'D4'").fetchone()
    # D4 would fit J3 at 95.5 (20 days after opening: date 90), but D3 fits it at 100.
    assert (job, score, status) == (None, 0.0, "none")
    assert reason == "every fitting job went to a better-fitting deal"


def test_two_identical_jobs_are_a_tie():
    con, _ = _con()
    job, score, status, reason = con.execute(
        "SELECT job_id, score, status, reason FROM deal_links WHERE deal_id = 'D5'").fetchone()
    assert (job, score, status) == (None, 100.0, "review")
    assert reason == ("job J4 fit 100.0 (opened 2 days before the deal, title 100, amount 100); "
                      "near-tie with job J5 fit 100.0")
    queue = review_queue(con, status="review", kind="deal")
    assert queue[["deal_id", "proposed_job_id", "job_title"]].values.tolist() == [["D5", "J4", "Comptable"]]


def test_reasons_for_unlinked_deals():
    con, _ = _con()
    reasons = dict(con.execute("SELECT deal_id, reason FROM deal_links WHERE deal_id IN ('D6', 'D7')").fetchall())
    assert reasons["D6"].startswith("company not linked to a BO client")
    assert reasons["D7"] == "no job of client C3 opened within 120 days before or 30 days after the deal"


def test_unmatched_both_ways():
    con, _ = _con()
    assert sorted(deals_without_job(con)["deal_id"]) == ["D4", "D5", "D6", "D7"]
    assert sorted(jobs_without_deal(con)["job_id"]) == ["J4", "J5"]


def test_assignment_is_unique_at_random():
    rng = np.random.default_rng(3)
    start = date(2024, 1, 1)
    jobs = [{"job_id": f"J{i}", "client_id": "C1", "title": f"Role {i % 7}", "job_type": "Data",
             "salary_k": float(rng.integers(30, 90)), "fee_rate": 0.2,
             "opened_at": start + timedelta(days=int(rng.integers(0, 200)))} for i in range(120)]
    deals = [{"deal_id": f"D{i}", "deal_name": f"Acme Role {i % 7}", "company": "Acme Labs",
              "amount": float(rng.integers(6, 18)) * 1000, "created_at": start + timedelta(days=int(rng.integers(0, 200)))}
             for i in range(160)]
    con = warehouse({"clients": CLIENTS, "jobs": jobs, "deals": deals})
    link_all(con, None, crm_only=False)
    n, distinct = con.execute("SELECT count(job_id), count(DISTINCT job_id) FROM deal_links").fetchone()
    assert n == distinct and n > 50


def test_accepting_a_review_takes_the_proposed_job(tmp_path):
    from core.link import apply_decision

    path = tmp_path / "overrides.csv"
    apply_decision(path, "deal", "D5", "accept", note="the first of the two")
    con = warehouse({"clients": CLIENTS, "jobs": JOBS, "deals": DEALS})
    summary = link_all(con, path, crm_only=False)
    assert con.execute("SELECT job_id, status FROM deal_links WHERE deal_id = 'D5'").fetchone() == ("J4", "override")
    assert summary["deal"]["override"] == 1 and summary["deal"]["review"] == 0


def test_exchanging_jobs_when_it_fits_better_overall():
    # Greedy alone gives Ja to Y (fit 99.55) and leaves X with Jb (79.75, created 9 days before it
    # opened); exchanged, X-Ja 92.0 + Y-Jb 93.3 fit better in total.
    jobs = [{"job_id": "Ja", "client_id": "C1", "title": "Buyer", "salary_k": 50.0, "fee_rate": 0.2,
             "opened_at": date(2024, 5, 1)},
            {"job_id": "Jb", "client_id": "C1", "title": "Buyer", "salary_k": 60.0, "fee_rate": 0.2,
             "opened_at": date(2024, 5, 12)}]
    deals = [{"deal_id": "X", "deal_name": "Buyer", "company": "Acme Labs", "amount": 12000.0,
              "created_at": date(2024, 5, 3)},
             {"deal_id": "Y", "deal_name": "Buyer", "company": "Acme Labs", "amount": 10000.0,
              "created_at": date(2024, 5, 12)}]
    con = warehouse({"clients": CLIENTS, "jobs": jobs, "deals": deals})
    link_all(con, None, crm_only=False)
    assert con.execute("SELECT deal_id, job_id, score FROM deal_links ORDER BY 1").fetchall() == [
        ("X", "Ja", 92.0), ("Y", "Jb", 93.3)]
