"""Review queue and coverage read from hand-made link tables (exact numbers)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from helpers import warehouse

from core.link import coverage, review_queue
from core.link.review import link_count


def _con():
    # Company strings as exported: "Acme" appears with a trailing space and a leading space too
    # (one link row for the trimmed string); one deal has no company at all.
    return warehouse({
        "clients": [{"client_id": "C1", "name": "Acme SA"}, {"client_id": "C2", "name": "Globex"},
                    {"client_id": "C3", "name": "Initech"}],
        "deals": [
            {"deal_id": "D1", "company": "Acme", "amount": 1000.0},
            {"deal_id": "D2", "company": "Acme ", "amount": 500.0},
            {"deal_id": "D3", "company": " Acme", "amount": None},
            {"deal_id": "D4", "company": "Globx", "amount": 2000.0},
            {"deal_id": "D5", "company": "Initech", "amount": 4000.0},
            {"deal_id": "D6", "company": None, "amount": 2500.0},
            {"deal_id": "D7", "company": "Unknown", "amount": None},
        ],
        "client_links": [
            {"crm_company": "Acme", "client_id": "C1", "score": 95.0, "status": "auto", "reason": "name"},
            {"crm_company": "Globx", "client_id": None, "score": 80.0, "status": "review", "reason": "typo?"},
            {"crm_company": "Initech", "client_id": "C3", "score": 100.0, "status": "override", "reason": "manager"},
            {"crm_company": "Unknown", "client_id": None, "score": 10.0, "status": "none", "reason": "no match"},
        ],
        "link_candidates": [
            {"crm_company": "Globx", "rank": 1, "client_id": "C2", "client_name": "Globex", "score": 80.0},
            {"crm_company": "Globx", "rank": 2, "client_id": "C1", "client_name": "Acme SA", "score": 20.0},
            {"crm_company": "Globx", "rank": 4, "client_id": "C3", "client_name": "Initech", "score": 5.0},
            {"crm_company": "Acme", "rank": 1, "client_id": "C1", "client_name": "Acme SA", "score": 95.0},
        ],
        "jobs": [{"job_id": f"J{i}", "client_id": "C1", "opened_at": date(2024, 1, i)} for i in range(1, 5)],
        "deal_links": [
            {"deal_id": "D1", "job_id": "J1", "status": "auto"},
            {"deal_id": "D2", "job_id": "J1", "status": "override"},
            {"deal_id": "D5", "job_id": "J2", "status": "override"},
            {"deal_id": "D4", "job_id": None, "status": "review"},
        ],
        "placements": [
            {"placement_id": "P1", "job_id": "J1", "fee_eur": 100.0},
            {"placement_id": "P2", "job_id": "J1", "fee_eur": 50.0},
            {"placement_id": "P3", "job_id": "J2", "fee_eur": 200.0},
            {"placement_id": "P4", "job_id": "J3", "fee_eur": 150.0},
            {"placement_id": "P5", "job_id": None, "fee_eur": 500.0},
        ],
    })


def test_coverage_counts_every_deal_and_trims_company_strings():
    cov = coverage(_con()).set_index("measure")
    # 7 deals: D1-D3 on "Acme" (auto), D5 on "Initech" (override); D6 has no company.
    assert cov.loc["deals", ["total", "before_review", "after_review"]].tolist() == pytest.approx(
        [7, 3 / 7, 4 / 7])
    # Amount 10,000: Acme 1,500 (auto), Initech 4,000 (override).
    assert cov.loc["amount", ["total", "before_review", "after_review"]].tolist() == pytest.approx(
        [10000, 1500 / 10000, 5500 / 10000])
    # Revenue 1,000: J1 (150, an auto and an override link) counts before review; J2 (200) after;
    # J3 and the placement without a job never.
    assert cov.loc["revenue", ["total", "before_review", "after_review"]].tolist() == pytest.approx(
        [1000, 150 / 1000, 350 / 1000])
    assert cov.columns.tolist() == ["label", "total", "before_review", "after_review"]


def test_coverage_shares_are_null_without_totals():
    cov = coverage(warehouse({})).set_index("measure")
    assert cov[["before_review", "after_review"]].isna().all().all()
    # No deal: a count of 0; no amount and no fee: no sum.
    assert cov.loc["deals", "total"] == 0 and cov[["total"]].iloc[1:].isna().all().all()


def test_review_queue_counts_deals_per_trimmed_name_and_keeps_three_candidates():
    queue = review_queue(_con(), status="review")
    assert queue["crm_company"].tolist() == ["Globx"]
    row = queue.iloc[0]
    assert (row["deals"], row["amount"]) == (1, 2000.0)
    assert [row["candidate_1_id"], row["candidate_2_id"]] == ["C2", "C1"]
    assert (row["candidate_1_name"], row["candidate_1_score"]) == ("Globex", 80.0)
    assert pd.isna(row["candidate_3_id"])  # the rank-4 candidate is not shown


def test_review_queue_all_statuses_in_review_order():
    queue = review_queue(_con())
    assert queue[["crm_company", "status", "deals"]].values.tolist() == [
        ["Globx", "review", 1], ["Unknown", "none", 1], ["Acme", "auto", 3], ["Initech", "override", 1]]
    acme = queue.set_index("crm_company").loc["Acme"]
    assert (acme["amount"], acme["client_name"], acme["candidate_1_id"]) == (1500.0, "Acme SA", "C1")
    assert queue["deals"].dtype.kind == "i"


def test_link_count_is_the_number_of_queue_rows():
    con = _con()
    for kind in ("client", "deal", "owner"):
        for status in (None, "auto", "review", "none", "override"):
            expected = len(review_queue(con, status, kind=kind))
            assert link_count(con, status, kind=kind) == expected, (kind, status)
    assert (link_count(con, "review"), link_count(con), link_count(con, "override", kind="deal")) == (1, 4, 2)
    with pytest.raises(ValueError):
        link_count(con, "maybe")
    with pytest.raises(ValueError):
        link_count(con, kind="company")
