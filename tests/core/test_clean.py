"""Cleaning rules on tiny hand-made exports: exact issues, quarantine and row accounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.warehouse import build, connect

CRM = """Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date,Deal Type,Closed Lost Reason,Pipeline,Deal probability,Last Modified Date
1,Dev Java,Acme SAS,18500,Closed Won,Jean Dupont,2024-01-05 10:00,2024-02-01 10:00,New Business,,Sales,,2024-02-01 10:00
2,Dev Java,Acme SAS,"18,5 k€",Appointment Scheduled,jean dupont,2024-01-10 10:00,,New Business,,Sales,,2024-02-03 10:00
3,Data,Beta,-12000,Gagné,Marie Curie,2024-01-05,2024-01-01,,,,,
4,Data bis,Beta,25,Perdu,Marie Curie,2024-01-06,2024-03-01,,,,,
5,X,Gamma,12000,Weird stage,Marie Curie,2024-01-06,,,,,,
,X,Gamma,12000,won,Marie Curie,2024-01-06,,,,,,
6,Y,Delta,900000,won,Marie Curie,2024-01-07,2024-02-01,,,,,
6,Y,Delta,900000,won,Marie Curie,2024-01-07,2024-02-01,,,,,
7,Z,,,won,Marie Curie,N/A,2024-02-01,,,,,
8,Z2,,,won,marie  CURIE,2024-01-08,,,,,,
9,Open one,Acme,12 500,Appointment Scheduled,Jean Dupont,05/01/2024,2024-06-30,,,,40,
10,Future,Acme,15000,open,Jean Dupont,2031-01-01,,,,,,
"""

BO = {
    "staff.csv": "staff_id;name;email;role;team;start_date;end_date;hourly_cost_eur\n"
                 "s1;Jean Dupont;J@x.fr;Sales;Paris;01/02/2020;;45,5\n"
                 "s2;Marie Curie;m@x.fr;chargé de recrutement;Lyon;01/03/2020;;50\n",
    "clients.csv": "client_id;name;sector;employees;city;created_at\n"
                   "c1;Acme;IT;120;Paris;01/01/2020\nc2;Beta;Finance;1 200;Lyon;13/01/2020\n"
                   "c2;Beta;Finance;1 200;Lyon;13/01/2020\nc3;Gamma;Retail;abc;Nice;01/01/2020\n"
                   "c3;Gamma SA;Retail;;Nice;01/01/2020\n;Nameless;;;;\n",
    "jobs.csv": "job_id;client_id;title;job_type;seniority;salary_k;fee_rate;opened_at;closed_at;status;sales_id;coach_id\n"
                "j1;c1;Dev;Developer;Senior;55000;20;01/02/2024;01/01/2024;Pourvu;s1;s2\n"
                "j2;c1;Dev;Developer;mid;45;0,2;01/03/2024;;open;s1;s2\n"
                "j3;c9;Dev;Developer;mid;45;0,2;01/03/2024;;open;s1;s2\n"
                "j4;c2;Ops;Ops;mid;50;250;02/03/2024;;Annulé;s1;s2\n",
    "candidates.csv": "candidate_id;source;seniority;city;created_at\nk1;linkedin;Mid;Paris;01/01/2024\n",
    "pipeline_events.csv": "event_id;job_id;candidate_id;stage;event_date;staff_id\n"
                           "e1;j1;k1;Pitch;15/01/2024;s1\ne2;j1;k1;pitch;15/01/2024;s1\n"
                           "e3;j2;k1;MER ;05/03/2024;s1\ne4;j9;k1;mer;05/03/2024;s1\n"
                           "e5;j2;k2;bizarre;05/03/2024;s1\ne6;j2;k1;offer;06/03/2024;s1;extra\n",
    "placements.csv": "placement_id;job_id;candidate_id;start_date;fee_eur;invoiced_at;guarantee_broken;broken_at\n"
                      "p1;j1;k1;01/04/2024;-11000;01/04/2024;non;\np2;j3;k1;01/04/2024;9000;01/04/2024;oui;01/05/2024\n",
    "activities.csv": "Export activités — généré le 31/10/2026\n"
                      "activity_id;staff_id;client_id;job_id;type;activity_date;minutes\n"
                      "a1;s1;c1;j1;call;02/02/2024;30\na2;s1;c1;;meeting;03/02/2024;-5\n"
                      "a3;s1;c7;;call;03/02/2024;10\na4;s1;c1;j8;call;03/02/2024;2000\n",
}


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    (root / "crm.csv").write_text(CRM, encoding="utf-8")
    (root / "bo").mkdir()
    for name, text in BO.items():
        (root / "bo" / name).write_bytes(text.encode("cp1252"))
    db = root / "w.duckdb"
    build(crm=root / "crm.csv", bo=root / "bo", db=db)
    return db


@pytest.fixture
def con(fixture_db):
    with connect(fixture_db) as c:
        yield c


def issues(con, file: str) -> dict[str, int]:
    return dict(con.execute("SELECT rule, COUNT(*) FROM data_issues WHERE file = ? GROUP BY rule",
                            [file]).fetchall())


def test_row_accounts_balance(con):
    rows = con.execute("SELECT file, rows_in, rows_clean, rows_quarantined, rows_merged FROM row_accounts "
                       "ORDER BY file").fetchall()
    assert rows == [("activities.csv", 4, 2, 2, 0), ("candidates.csv", 1, 1, 0, 0), ("clients.csv", 6, 3, 1, 2),
                    ("crm.csv", 12, 7, 3, 2), ("jobs.csv", 4, 3, 1, 0), ("pipeline_events.csv", 6, 2, 3, 1),
                    ("placements.csv", 2, 1, 1, 0), ("staff.csv", 2, 2, 0, 0)]


def test_crm_rules(con):
    assert issues(con, "crm.csv") == {
        "duplicate.exact_row": 1, "duplicate.reentered_deal": 1, "inconsistent.stage_label": 5,
        "invalid.negative_amount": 1, "invalid.unknown_stage": 1, "missing.closed_at": 1,
        "missing.created_at": 1, "missing.deal_id": 1, "missing.won_amount": 1, "missing.won_company": 1,
        "outlier.amount_extreme": 1, "outlier.amount_in_k": 2, "time_order.closed_before_created": 1,
        "inconsistent.owner_name": 1,
    }
    deals = {r[0]: r[1:] for r in con.execute(
        "SELECT deal_id, amount, stage, stage_detail, closed_at, expected_close_at, probability, deal_type "
        "FROM deals").fetchall()}
    assert deals["1"] == (18500.0, "won", None, date(2024, 2, 1), None, None, "new")
    assert deals["3"] == (12000.0, "won", None, None, None, None, None)  # |-12000|, closed before created
    # 25 alone is no evidence of an amount in thousands: flagged, kept.
    assert deals["4"] == (25.0, "lost", None, date(2024, 3, 1), None, None, None)
    assert deals["6"][0] == 900000.0  # far above the others: flagged, kept
    assert deals["9"] == (12500.0, "open", "qualification", None, date(2024, 6, 30), 0.4, None)
    assert "2" not in deals and "7" not in deals and "10" in deals


def test_merged_and_fixed_values_are_logged(con):
    rows = con.execute("SELECT row_number, record_id, \"column\", original_value, new_value, action "
                       "FROM data_issues WHERE file = 'crm.csv' AND rule IN "
                       "('duplicate.reentered_deal', 'outlier.amount_in_k', 'inconsistent.owner_name') "
                       "ORDER BY rule, row_number").fetchall()
    assert rows == [(2, "2", "deal_id", "2", "1", "merged"),
                    (10, "8", "owner", "marie  CURIE", "Marie Curie", "fixed"),
                    (2, "2", "amount", "18,5 k€", "18500.0", "fixed"),
                    (4, "4", "amount", "25.0", None, "flagged")]


def test_bo_rules(con):
    assert issues(con, "clients.csv") == {"duplicate.exact_row": 1, "duplicate.primary_key": 1,
                                          "missing.primary_key": 1, "invalid.unparseable_number": 1}
    assert issues(con, "jobs.csv") == {"invalid.orphan": 1, "outlier.salary_in_euros": 1,
                                       "invalid.fee_rate_percent": 1, "invalid.fee_rate_range": 1,
                                       "inconsistent.job_status": 2, "time_order.closed_before_opened": 1}
    assert issues(con, "pipeline_events.csv") == {"inconsistent.event_stage": 2, "duplicate.event": 1,
                                                  "invalid.orphan": 1, "invalid.unknown_event_stage": 1,
                                                  "invalid.bad_field_count": 1,
                                                  "time_order.event_before_job_opened": 1}
    assert issues(con, "placements.csv") == {"invalid.negative_fee": 1, "invalid.orphan": 1}
    assert issues(con, "activities.csv") == {"invalid.orphan": 2, "invalid.negative_minutes": 1}
    assert issues(con, "staff.csv") == {"inconsistent.staff_role": 2}
    jobs = con.execute("SELECT job_id, salary_k, fee_rate, closed_at, status, is_repeat FROM jobs "
                       "ORDER BY job_id").fetchall()
    assert jobs == [("j1", 55.0, 0.2, None, "filled", False), ("j2", 45.0, 0.2, None, "open", True),
                    ("j4", 50.0, None, None, "cancelled", False)]
    assert con.execute("SELECT staff_id, role, email, hourly_cost_eur FROM staff ORDER BY 1").fetchall() == [
        ("s1", "sales", "j@x.fr", 45.5), ("s2", "coach", "m@x.fr", 50.0)]
    assert con.execute("SELECT team, n_sales, n_coaches FROM teams ORDER BY team").fetchall() == [
        ("Lyon", 0, 1), ("Paris", 1, 0)]
    assert con.execute("SELECT fee_eur, guarantee_broken FROM placements").fetchall() == [(11000.0, False)]
    assert con.execute("SELECT activity_id, minutes FROM activities ORDER BY 1").fetchall() == [("a1", 30.0), ("a2", None)]


def test_quarantine_keeps_raw_row(con):
    rows = con.execute("SELECT file, row_number, rule, raw FROM quarantine WHERE file = 'pipeline_events.csv' "
                       "ORDER BY row_number").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(4, "invalid.orphan"), (5, "invalid.unknown_event_stage"),
                                          (6, "invalid.bad_field_count")]
    assert '"event_id":"e6"' in rows[2][3]


def test_build_log_records_formats(con):
    info = dict(con.execute("SELECT name, text FROM build_log WHERE file = 'activities.csv' AND kind = 'info'"
                            ).fetchall())
    assert info["encoding"] == "cp1252" and info["delimiter"] == ";" and info["header_line"] == "2"
    assert info["date_order.activity_date"] == "day-first (a first part > 12)" or "day-first" in \
        info["date_order.activity_date"]
    sums = con.execute("SELECT COUNT(*) FROM build_log WHERE kind = 'checksum'").fetchone()[0]
    assert sums == 8


def test_future_dates_and_month_first_column(tmp_path):
    lines = ["Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date"]
    lines += [f"{i},D{i},C{i},{10000 + i},won,Ann,{(i % 28) + 1:02d}/01/2024,01/13/2024" for i in range(1, 150)]
    lines += ["150,D150,C150,5000,won,Ann,2030-01-01,", "151,D151,C151,5000,won,Ann,01/02/2024,01/02/2031"]
    (tmp_path / "crm.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = build(crm=tmp_path / "crm.csv", bo=None, db=tmp_path / "w.duckdb")
    assert any("contradict" in w and "closed_at" in w for w in summary["warnings"])
    with connect(tmp_path / "w.duckdb") as c:
        got = c.execute("SELECT row_number, rule, \"column\" FROM data_issues WHERE rule IN "
                        "('time_order.future_date', 'missing.created_at') ORDER BY row_number, rule").fetchall()
        assert got == [(150, "missing.created_at", "created_at"), (150, "time_order.future_date", "created_at"),
                       (151, "time_order.future_date", "closed_at")]
        # "01/13/2024": the close date column is month-first, the creation date column day-first: the file
        # contradicts itself, so each column keeps the order its own values prove (and the build warns).
        assert c.execute("SELECT created_at, closed_at FROM deals WHERE deal_id = '5'").fetchone() == (
            date(2024, 1, 6), date(2024, 1, 13))
        orders = dict(c.execute("SELECT name, text FROM build_log WHERE name LIKE 'date_order.%'").fetchall())
        assert orders["date_order.closed_at"] == "month-first (its own values; the file contradicts itself)"


def test_pipedrive_close_date_from_won_or_lost_time(tmp_path):
    """Two exported columns feed closed_at: the won time of a won deal, the lost time of a lost one."""
    lines = [("Deal - ID,Deal - Title,Deal - Organization,Deal - Value,Deal - Status,Deal - Owner,"
              "Deal - Deal created,Deal - Won time,Deal - Lost time"),
             "1,Dev,Acme,12 000,won,Ann,2024-01-05,2024-02-01 10:00,",
             "2,Ops,Beta,9000,lost,Ann,2024-01-06,,2024-03-04 09:30",
             "3,Data,Gamma,8000,lost,Ann,2024-01-07, ,N/A"]
    (tmp_path / "pipedrive.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    build(crm=tmp_path / "pipedrive.csv", bo=None, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as c:
        got = c.execute("SELECT deal_id, stage, amount, closed_at FROM deals ORDER BY deal_id").fetchall()
    assert got == [("1", "won", 12000.0, date(2024, 2, 1)), ("2", "lost", 9000.0, date(2024, 3, 4)),
                   ("3", "lost", 8000.0, None)]
