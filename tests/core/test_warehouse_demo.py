"""The demo warehouse: the build finds exactly the dirt the generator planted."""

from __future__ import annotations

import pytest

from core.clean.labels import DEAL_STAGES, label_key
from core.metrics.quality import issues_by_rule, quality_summary

pytestmark = pytest.mark.demo


def test_issue_counts_equal_planted_dirt(demo_con, demo_truth):
    got: dict[str, dict[str, int]] = {}
    for file, rule, n in demo_con.execute("SELECT file, rule, COUNT(*) FROM data_issues GROUP BY ALL").fetchall():
        got.setdefault(file, {})[rule] = n
    for file, planted in demo_truth["dirt"].items():
        found = {rule: got.get(file, {}).get(rule, 0) for rule in planted}
        assert found == planted, file
        assert set(got.get(file, {})) <= set(planted), file


def test_stage_labels_map_as_recorded(demo_con, demo_truth):
    pairs = dict(demo_con.execute("SELECT DISTINCT stage_raw, stage FROM deals").fetchall())
    for raw, canonical in demo_truth["stage_labels"].items():
        assert DEAL_STAGES[label_key(raw)][0] == canonical, raw
        if raw in pairs:
            assert pairs[raw] == canonical, raw


def test_row_accounts_balance_and_quality_views(demo_con):
    summary = quality_summary(demo_con)
    assert len(summary) == 8
    assert (summary["rows_in"] == summary["rows_clean"] + summary["rows_quarantined"] + summary["rows_merged"]).all()
    by_rule = issues_by_rule(demo_con)
    assert by_rule["rows"].sum() == demo_con.execute("SELECT COUNT(*) FROM data_issues").fetchone()[0]
    infos = dict(demo_con.execute("SELECT file, text FROM build_log WHERE name = 'encoding'").fetchall())
    assert infos["hubspot_deals.csv"] == "utf-8-sig" and infos["jobs.csv"] in ("cp1252", "utf-8")
