"""Data quality views on a hand-made warehouse."""

from __future__ import annotations

from core.metrics.quality import issues_by_rule, quality_summary, quarantined_count, quarantined_rows
from tests.helpers import warehouse


def _con():
    return warehouse({
        "row_accounts": [
            {"source": "bo", "file": "jobs.csv", "table_name": "jobs", "rows_in": 5, "rows_clean": 3,
             "rows_quarantined": 1, "rows_merged": 1},
            {"source": "crm", "file": "deals.csv", "table_name": "deals", "rows_in": 2, "rows_clean": 2,
             "rows_quarantined": 0, "rows_merged": 0},
        ],
        "data_issues": [
            {"source": "bo", "file": "jobs.csv", "row_number": 1, "rule": "invalid.orphan", "action": "quarantined"},
            {"source": "bo", "file": "jobs.csv", "row_number": 2, "rule": "duplicate.exact_row", "action": "merged"},
            {"source": "bo", "file": "jobs.csv", "row_number": 3, "rule": "outlier.salary_in_euros",
             "action": "fixed"},
            {"source": "bo", "file": "jobs.csv", "row_number": 4, "rule": "outlier.salary_in_euros",
             "action": "fixed"},
        ],
        "quarantine": [
            {"source": "bo", "file": "jobs.csv", "row_number": 1, "record_id": "j9", "rule": "invalid.orphan",
             "reason": "client missing", "raw": '{"job_id": "j9"}'},
        ],
    })


def test_quality_summary():
    frame = quality_summary(_con())
    assert frame.values.tolist() == [["bo", "jobs.csv", "jobs", 5, 3, 1, 1, 4],
                                     ["crm", "deals.csv", "deals", 2, 2, 0, 0, 0]]


def test_issues_by_rule():
    frame = issues_by_rule(_con())
    assert frame.values.tolist() == [["bo", "jobs.csv", "outlier.salary_in_euros", "fixed", 2],
                                     ["bo", "jobs.csv", "duplicate.exact_row", "merged", 1],
                                     ["bo", "jobs.csv", "invalid.orphan", "quarantined", 1]]


def test_quarantined_rows():
    frame = quarantined_rows(_con())
    assert frame.values.tolist() == [["bo", "jobs.csv", 1, "j9", "invalid.orphan", "client missing",
                                      '{"job_id": "j9"}']]


def _quarantine(rows: list[tuple[str, str, int]]):
    return warehouse({"quarantine": [
        {"source": source, "file": file, "row_number": n, "record_id": f"r{n}", "rule": "invalid.orphan",
         "reason": "missing", "raw": "{}"} for source, file, n in rows]})


def test_quarantined_rows_preview_is_the_first_rows_in_file_order():
    con = _quarantine([("crm", "deals.csv", 3), ("bo", "jobs.csv", 9), ("bo", "jobs.csv", 2),
                       ("bo", "clients.csv", 5)])
    order = [["bo", "clients.csv", 5], ["bo", "jobs.csv", 2], ["bo", "jobs.csv", 9], ["crm", "deals.csv", 3]]
    assert quarantined_rows(con)[["source", "file", "row_number"]].values.tolist() == order
    assert quarantined_rows(con, limit=2)[["source", "file", "row_number"]].values.tolist() == order[:2]
    assert quarantined_rows(con, limit=10).shape == (4, 7)
    assert quarantined_rows(con, limit=0).columns.tolist() == quarantined_rows(con).columns.tolist()
    assert quarantined_count(con) == 4


def test_quarantined_count_of_an_empty_quarantine():
    assert quarantined_count(_quarantine([])) == 0
