"""Linking measured against what the demo generator planted (data/demo/truth)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.link import coverage, review_queue

TRUTH = Path(__file__).resolve().parents[2] / "data" / "demo" / "truth"
pytestmark = [pytest.mark.demo,
              pytest.mark.skipif(not (TRUTH / "company_truth.csv").exists(), reason="no demo data yet")]


def _truth(demo_dir, name: str) -> pd.DataFrame:
    path = demo_dir / "truth" / name
    if not path.exists():
        pytest.skip(f"no {path}")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def company_scores(con, demo_dir) -> dict[str, float]:
    """Precision and recall of auto company links. A link to a BO duplicate record of the true
    client counts as right (both records are that company)."""
    truth = _truth(demo_dir, "company_truth.csv")
    truth["crm_company"] = truth["crm_company"].str.strip()
    truth = truth.drop_duplicates("crm_company")
    dups = _truth(demo_dir, "client_duplicates.csv")
    same = set(zip(dups["client_id"], dups["duplicate_client_id"])) | set(
        zip(dups["duplicate_client_id"], dups["client_id"]))
    links = con.execute("SELECT crm_company, client_id, status FROM client_links").df()
    m = links.merge(truth.rename(columns={"client_id": "true_id"}), on="crm_company", how="left")
    m["true_id"] = m["true_id"].fillna("")
    auto = m[m["status"] == "auto"]
    right = (auto["client_id"] == auto["true_id"]) | pd.Series(
        [(a, b) in same for a, b in zip(auto["client_id"], auto["true_id"])], index=auto.index, dtype=bool)
    in_bo = (m["true_id"] != "").sum()
    wrong_review = m[(m["status"] == "none") & (m["true_id"] != "")]
    return {"auto": len(auto), "precision": right.mean(), "recall": right.sum() / in_bo,
            "missed_to_none": len(wrong_review), "strings": len(m)}


def deal_scores(con, demo_dir) -> dict[str, float]:
    """Precision of auto deal → job links; recall over deals whose truth has a job."""
    truth = _truth(demo_dir, "deal_truth.csv").drop_duplicates("deal_id")
    links = con.execute("SELECT deal_id, job_id, status FROM deal_links").df()
    m = links.merge(truth.rename(columns={"job_id": "true_job"}), on="deal_id", how="left")
    m["true_job"] = m["true_job"].fillna("")
    auto = m[m["status"] == "auto"]
    right = auto["job_id"] == auto["true_job"]
    return {"auto": len(auto), "precision": right.mean(), "recall": right.sum() / (m["true_job"] != "").sum()}


def test_company_links_precision_and_recall(demo_con, demo_dir):
    s = company_scores(demo_con, demo_dir)
    assert s["precision"] >= 0.98, s
    assert s["recall"] >= 0.95, s


def test_deal_links_precision(demo_con, demo_dir):
    s = deal_scores(demo_con, demo_dir)
    assert s["precision"] >= 0.95, s


def test_each_job_at_most_one_deal_and_one_row_per_deal(demo_con):
    n, distinct = demo_con.execute("SELECT count(job_id), count(DISTINCT job_id) FROM deal_links").fetchone()
    assert n == distinct
    assert demo_con.execute("SELECT count(*) FROM deal_links").fetchone()[0] == \
        demo_con.execute("SELECT count(*) FROM deals").fetchone()[0]


def test_owner_variants_resolved(demo_con, demo_dir, demo_truth):
    links = dict(demo_con.execute("SELECT crm_owner, staff_id FROM owner_links").fetchall())
    planted = {k.strip(): v for k, v in demo_truth["owner_variants"].items()}
    assert {k: links.get(k) for k in planted} == planted


def test_review_queue_and_coverage(demo_con):
    queue = review_queue(demo_con, status="review")
    assert set(queue["status"]) <= {"review"}
    cov = coverage(demo_con).set_index("measure")
    assert (cov["after_review"] >= cov["before_review"]).all()
    assert cov.loc["deals", "after_review"] > 0.5
