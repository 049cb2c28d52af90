"""Managers' decisions: written atomically, applied at build time, surviving rebuilds."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from helpers import warehouse

from core.errors import InputFileError, UserError
from core.link import apply_decision, coverage, link_all
from core.link.overrides import read_overrides

CLIENTS = [{"client_id": "C1", "name": "Kalmaro Data"}, {"client_id": "C2", "name": "Kalmaro Media"},
           {"client_id": "C3", "name": "Norvel Software"}]
STAFF = [{"staff_id": "S1", "name": "Jean Dupont"}, {"staff_id": "S2", "name": "Claire Moreau"}]
JOBS = [{"job_id": "J1", "client_id": "C3", "title": "Analyst", "salary_k": 50.0, "fee_rate": 0.2,
         "opened_at": date(2024, 3, 1)},
        {"job_id": "J2", "client_id": "C1", "title": "Comptable", "salary_k": 40.0, "fee_rate": 0.2,
         "opened_at": date(2024, 4, 1)}]
DEALS = [
    {"deal_id": "D1", "deal_name": "Comptable", "company": "Kalmaro", "amount": 8000.0, "owner_raw": "Paul M.",
     "created_at": date(2024, 4, 2)},
    {"deal_id": "D2", "deal_name": "Analyst", "company": "Norvel Software", "amount": 10000.0,
     "owner_raw": "jean dupont", "created_at": date(2024, 3, 2)},
    {"deal_id": "D3", "deal_name": "Other", "company": "Norvel Software", "amount": 10000.0,
     "owner_raw": "jean dupont", "created_at": date(2024, 3, 20)},
]
PLACEMENTS = [{"placement_id": "P1", "job_id": "J1", "fee_eur": 10000.0},
              {"placement_id": "P2", "job_id": "J2", "fee_eur": 8000.0}]


def _build(path):
    con = warehouse({"clients": CLIENTS, "staff": STAFF, "jobs": JOBS, "deals": DEALS, "placements": PLACEMENTS})
    return con, link_all(con, path, crm_only=False)


def test_apply_decision_replaces_and_is_atomic(tmp_path):
    path = tmp_path / "overrides.csv"
    apply_decision(path, "client", "Kalmaro", "link", "C2", note="first guess")
    apply_decision(path, "client", "Kalmaro", "link", "C1", note="checked with Jean")
    apply_decision(path, "owner", "=HYPERLINK(x)", "reject")
    frame = read_overrides(path)
    assert frame[["kind", "key", "decision", "target", "note"]].values.tolist() == [
        ["client", "Kalmaro", "link", "C1", "checked with Jean"],
        ["owner", "=HYPERLINK(x)", "reject", "", ""]]
    # On disk the formula-like key is guarded for spreadsheets; no temp file is left behind.
    assert "'=HYPERLINK(x)" in path.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["overrides.csv"]


@pytest.mark.parametrize("args", [("client", "X", "maybe"), ("thing", "X", "reject"), ("client", " ", "reject"),
                                  ("deal", "D1", "link")])
def test_apply_decision_rejects_bad_input(tmp_path, args):
    with pytest.raises(UserError):
        apply_decision(tmp_path / "o.csv", *args)


def test_overrides_applied_and_surviving_rebuilds(tmp_path):
    path = tmp_path / "overrides.csv"
    con, before = _build(path)
    assert before["client"] == {"auto": 1, "review": 1, "none": 0, "override": 0}
    assert con.execute("SELECT job_id FROM deal_links WHERE deal_id = 'D1'").fetchone()[0] is None

    apply_decision(path, "client", "Kalmaro", "link", "C1", note="Data branch")
    apply_decision(path, "owner", "Paul M.", "link", "S2")
    apply_decision(path, "deal", "D3", "link", "J1", note="the real one")
    apply_decision(path, "deal", "D404", "reject")
    apply_decision(path, "client", "Norvel Software", "link", "C999")

    for _ in range(2):  # a rebuild reads the same file again
        con, summary = _build(path)
        assert summary["client"] == {"auto": 1, "review": 0, "none": 0, "override": 1}
        assert summary["overrides"] == {"applied": 3, "skipped": 2}
        cid, status, reason = con.execute(
            "SELECT client_id, status, reason FROM client_links WHERE crm_company = 'Kalmaro'").fetchone()
        assert (cid, status) == ("C1", "override")
        assert reason.startswith("manager's decision: link → C1 (Data branch) on 20")
        # The company decision reaches the deals: D1 now finds J2 at C1.
        assert con.execute("SELECT job_id, status FROM deal_links WHERE deal_id = 'D1'").fetchone() == ("J2", "auto")
        # The deal decision takes J1 from D2, which is left without a job.
        links = dict(con.execute("SELECT deal_id, job_id FROM deal_links").fetchall())
        assert (links["D3"], links["D2"]) == ("J1", None)
        assert con.execute("SELECT reason FROM deal_links WHERE deal_id = 'D2'").fetchone()[0] == \
            "job J1 given to deal D3 by a manager's decision"
        assert con.execute("SELECT owner_id FROM deals WHERE deal_id = 'D1'").fetchone()[0] == "S2"
        logged = [r[0] for r in con.execute("SELECT text FROM build_log WHERE name = 'override.skipped' "
                                            "ORDER BY text").fetchall()]
        assert logged == ["client 'Norvel Software' link → C999: not applied: C999 does not exist in clients",
                          "deal 'D404' reject: not applied: not in this build"]


def test_accept_without_target_takes_the_proposal_and_reject_unlinks(tmp_path):
    path = tmp_path / "overrides.csv"
    apply_decision(path, "client", "Kalmaro", "accept")
    apply_decision(path, "client", "Norvel Software", "reject", note="not them")
    con, summary = _build(path)
    rows = dict(con.execute("SELECT crm_company, client_id FROM client_links").fetchall())
    assert rows == {"Kalmaro": "C1", "Norvel Software": None}   # C1 ranks first on the tie (smaller id)
    assert summary["client"]["override"] == 2
    cov = coverage(con).set_index("measure")
    # Before review only auto links count (none left); after: D1 via the accepted Kalmaro link.
    assert cov.loc["deals", "before_review"] == 0.0
    assert cov.loc["deals", "after_review"] == pytest.approx(1 / 3)
    assert cov.loc["amount", "after_review"] == pytest.approx(8000 / 28000)
    assert cov.loc["revenue", "after_review"] == pytest.approx(8000 / 18000)  # D1 -> J2 placed


def test_bad_overrides_file(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("kind,key\nclient,X\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="missing column"):
        read_overrides(path)
    assert read_overrides(tmp_path / "none.csv").empty


@pytest.mark.parametrize("line,message", [
    ("company,Kalmaro,link,C1,,", "line 3: unknown kind 'company'"),
    ("client,Kalmaro,maybe,C1,,", "line 3: unknown decision 'maybe'"),
    ("client,Kalmaro,link,,,", "line 3: a `link` decision without a target"),
    ("client,,reject,,,", "line 3: a decision without a key"),
])
def test_hand_edited_line_that_cannot_be_applied_is_refused_with_its_line(tmp_path, line, message):
    path = tmp_path / "overrides.csv"
    path.write_text("kind,key,decision,target,note,decided_at\nclient,Norvel Software,Link,C3,,\n" + line + "\n",
                    encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_overrides(path)
    assert str(err.value).startswith("overrides.csv, " + message)


def test_hand_edited_file_case_and_later_lines(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("kind,key,decision,target,note,decided_at\n"
                    "client,Kalmaro,reject,,,\n"
                    "\n"
                    "client,Kalmaro,link,C2,first,\n"
                    "client,Norvel Software,Link,C3,,\n", encoding="utf-8")
    con, summary = _build(path)
    assert summary["overrides"] == {"applied": 2, "skipped": 0}
    assert con.execute("SELECT client_id, status FROM client_links WHERE crm_company = 'Norvel Software'"
                       ).fetchone() == ("C3", "override")
    # The later line for Kalmaro ("link C2") replaced the "reject" line.
    assert con.execute("SELECT client_id FROM client_links WHERE crm_company = 'Kalmaro'").fetchone() == ("C2",)


def test_overrides_path_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "overrides.csv").mkdir()
    with pytest.raises(InputFileError, match="overrides.csv: is not a file"):
        read_overrides(tmp_path / "overrides.csv")


def test_coverage_counts(tmp_path):
    con, summary = _build(None)
    cov = coverage(con).set_index("measure")
    # D2, D3 on Norvel (auto) of 3 deals; amounts 20000 / 28000; D2 -> J1 placed 10000 of 18000.
    assert cov.loc["deals", ["before_review", "after_review"]].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert cov.loc["amount", "after_review"] == pytest.approx(20000 / 28000)
    assert cov.loc["revenue", "before_review"] == pytest.approx(10000 / 18000)
    assert summary["coverage"] == pytest.approx({"deals": 2 / 3, "amount": 20000 / 28000,
                                                 "revenue": 10000 / 18000})
    assert isinstance(cov, pd.DataFrame)


def test_coverage_without_crm():
    con = warehouse({"clients": CLIENTS, "jobs": JOBS, "placements": PLACEMENTS})
    summary = link_all(con, None, crm_only=False)
    # No deal at all: nothing to share for the CRM; none of the BO revenue is linked.
    assert summary["coverage"] == {"deals": None, "amount": None, "revenue": 0.0}
