"""A CRM rule changes a value only on evidence found in the file; its effect on the totals is shown.

Each test reproduces a wrong behaviour seen on real exports (small real amounts multiplied by 1000,
two won deals merged, open prospects quarantined, extreme amounts blanked) on a tiny file whose
expected values are read off the file itself.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.__main__ import main
from core.clean.crm import thousands_cluster
from core.warehouse import MostlyQuarantined, build, connect, format_summary

HEADER = "Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date"
# Amounts as a products catalogue gives them: 55, 550, 1 096, 3 393, 4 821, 5 482, 26 768 with discounts.
PRODUCT_AMOUNTS = [50, 547, 588, 61, 1054, 4514, 3393, 5169, 26768, 25897, 72, 493, 1096, 4821, 5482, 38,
                   609, 3200, 4600, 27000]


def _rows(amounts: list, stage: str = "won", start: date = date(2024, 1, 1)) -> list[str]:
    return [f"{i},Deal {i},Company {i % 7},{a},{stage},Ann Lee,{start + timedelta(days=i)},"
            f"{start + timedelta(days=i + 30)}" for i, a in enumerate(amounts, start=1)]


def _build(tmp_path: Path, lines: list[str], mapping: dict | None = None, **kw) -> tuple[Path, dict]:
    crm = tmp_path / "deals.csv"
    crm.write_text("\n".join([HEADER] + lines) + "\n", encoding="utf-8")
    path = None
    if mapping is not None:
        path = tmp_path / "mapping.json"
        path.write_text(json.dumps(mapping), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    return db, build(crm=crm, bo=None, db=db, mapping=path, **kw)


def _issues(db: Path) -> dict[tuple[str, str], int]:
    with connect(db) as c:
        return {(r, a): n for r, a, n in c.execute(
            "SELECT rule, action, COUNT(*) FROM data_issues GROUP BY ALL").fetchall()}


def test_small_real_amounts_stay_untouched(tmp_path):
    """Products at 50, 547, 588 beside others at 5 000 and 27 000: no x1000 cluster, nothing changed."""
    db, _ = _build(tmp_path, _rows(PRODUCT_AMOUNTS))
    with connect(db) as c:
        got = c.execute("SELECT deal_id, amount FROM deals ORDER BY CAST(deal_id AS INT)").fetchall()
        why = c.execute("SELECT text FROM build_log WHERE name = 'evidence.outlier.amount_in_k'").fetchone()[0]
    assert [a for _, a in got] == [float(a) for a in PRODUCT_AMOUNTS]
    assert not {k for k in _issues(db) if k[0] in ("outlier.amount_in_k", "outlier.amount_extreme")}
    assert "no empty band" in why or "medians" in why


def test_thousands_cluster_is_converted_and_says_why(tmp_path):
    """40 amounts from 8 000 to 40 000 and 5 typed in k€ without the marker (9.5, 12...): x1000."""
    rng = np.random.default_rng(3)
    big = [int(a) for a in np.round(rng.uniform(8000, 40000, 40) / 100) * 100]
    small = [9.5, 12, 15.3, 22, 31]
    db, summary = _build(tmp_path, _rows(big + small))
    with connect(db) as c:
        got = dict(c.execute("SELECT CAST(deal_id AS INT), amount FROM deals").fetchall())
        why = c.execute("SELECT text FROM build_log WHERE name = 'evidence.outlier.amount_in_k'").fetchone()[0]
    assert [got[i] for i in range(1, 41)] == [float(a) for a in big]
    assert [got[i] for i in range(41, 46)] == pytest.approx([a * 1000 for a in small])
    assert _issues(db)[("outlier.amount_in_k", "fixed")] == 5
    assert why.startswith("5 amounts from 9.5 to 31, 40 from ")
    effect = next(e for e in summary["rule_effects"] if e["rule"] == "outlier.amount_in_k")
    assert effect["won_amount_before"] == pytest.approx(sum(big) + sum(small))
    assert effect["won_amount_after"] == pytest.approx(sum(big) + 1000 * sum(small))
    assert (effect["rows"], effect["deals_before"], effect["deals_after"]) == (5, 45, 45)
    # 5 x ~18 000 added to ~960 000: more than 5 % of the won total, called out.
    text = format_summary(summary)
    assert "note: outlier.amount_in_k moved the won amount by +" in text


def test_a_lone_small_amount_is_flagged_not_changed(tmp_path):
    """One 25 among amounts near 15 000: no cluster (one row), so flagged for review and kept."""
    db, _ = _build(tmp_path, _rows([15000, 14000, 16500, 25, 15500, 13000]))
    with connect(db) as c:
        assert c.execute("SELECT amount FROM deals WHERE deal_id = '4'").fetchone() == (25.0,)
    assert _issues(db) == {("outlier.amount_in_k", "flagged"): 1}


def test_k_marker_is_evidence_and_the_rule_can_be_switched_off(tmp_path):
    lines = _rows([15000, 14000, 16500, 15500]) + ["5,Deal 5,Company 5,\"18,5 k€\",won,Ann Lee,2024-01-06,2024-02-06"]
    db, summary = _build(tmp_path, lines)
    with connect(db) as c:
        assert c.execute("SELECT amount FROM deals WHERE deal_id = '5'").fetchone() == (18500.0,)
    assert summary["rules_off"] == []
    db, summary = _build(tmp_path, lines, mapping={"rules": {"outlier.amount_in_k": "off"}})
    with connect(db) as c:
        assert c.execute("SELECT amount FROM deals WHERE deal_id = '5'").fetchone() == (18.5,)
        effects = c.execute("SELECT rule, status, rows, won_amount_before, won_amount_after FROM rule_effects "
                            "WHERE rule = 'outlier.amount_in_k'").fetchall()
        assert c.execute("SELECT text FROM build_log WHERE name = 'rule_off'").fetchall() == [("outlier.amount_in_k",)]
    assert effects == [("outlier.amount_in_k", "off", 1, 61018.5, 61018.5)]
    assert summary["rules_off"] == ["outlier.amount_in_k"]
    assert "Rules switched off: outlier.amount_in_k" in format_summary(summary)


def test_extreme_amount_is_flagged_and_kept(tmp_path):
    amounts = [15000, 14000, 16500, 15500, 13000, 12500, 14500, 1_500_000]
    db, _ = _build(tmp_path, _rows(amounts))
    with connect(db) as c:
        assert c.execute("SELECT SUM(amount) FROM deals WHERE stage = 'won'").fetchone()[0] == sum(amounts)
        flagged = c.execute("SELECT record_id, original_value, new_value, action FROM data_issues "
                            "WHERE rule = 'outlier.amount_extreme'").fetchall()
    assert flagged == [("8", "1500000.0", None, "flagged")]


def test_a_dear_product_line_is_not_extreme(tmp_path):
    """26 768 is 25x the median won amount of 1 054 but one of a spread of products: not flagged."""
    db, _ = _build(tmp_path, _rows(PRODUCT_AMOUNTS))
    assert ("outlier.amount_extreme", "flagged") not in _issues(db)


def test_two_won_deals_of_the_same_account_stay_two_deals(tmp_path):
    """609 and 547, same company, deal name and owner, 8 days apart: two decisions, two deals."""
    lines = _rows([15000, 14000, 16500]) + [
        "10,GTX Basic,Cancity,609,won,Ann Lee,2024-03-01,2024-04-01",
        "11,GTX Basic,Cancity,547,won,Ann Lee,2024-03-09,2024-04-20",
        "12,MG Special,Zumgoity,0,lost,Ann Lee,2024-03-12,2024-03-17",
        "13,MG Special,Zumgoity,0,lost,Ann Lee,2024-03-16,2024-03-17",
    ]
    db, _ = _build(tmp_path, lines)
    with connect(db) as c:
        got = c.execute("SELECT deal_id, amount, stage FROM deals WHERE deal_id IN ('10', '11', '12', '13') "
                        "ORDER BY deal_id").fetchall()
    assert got == [("10", 609.0, "won"), ("11", 547.0, "won"), ("12", 0.0, "lost"), ("13", 0.0, "lost")]
    assert ("duplicate.reentered_deal", "merged") not in _issues(db)


def test_open_copy_of_a_won_deal_is_merged_into_the_won_one(tmp_path):
    """An open entry typed 3 days before the won one, nothing contradicting: one deal, the won one, as
    exported (its own creation date: the cycle is not stretched by the copy)."""
    lines = _rows([15000, 14000, 16500]) + [
        "20,Dev Java,Acme,,Appointment Scheduled,Ann Lee,2024-03-05,",
        "21,Dev Java,Acme,18000,won,Ann Lee,2024-03-08,2024-05-07",
        "22,Dev Java,Acme,17000,Appointment Scheduled,Ann Lee,2024-03-10,",  # another amount: two deals
    ]
    db, summary = _build(tmp_path, lines)
    with connect(db) as c:
        got = c.execute("SELECT deal_id, amount, stage, created_at FROM deals WHERE deal_id IN ('20', '21', '22') "
                        "ORDER BY deal_id").fetchall()
    assert got == [("20", None, "open", date(2024, 3, 5)), ("21", 18000.0, "won", date(2024, 3, 8)),
                   ("22", 17000.0, "open", date(2024, 3, 10))]
    # 20 and 22 contradict each other (amount 17 000 vs 18 000 for the group): nothing merged.
    assert ("duplicate.reentered_deal", "merged") not in _issues(db)
    db, summary = _build(tmp_path, lines[:-1])
    with connect(db) as c:
        got = c.execute("SELECT deal_id, amount, stage, created_at FROM deals WHERE deal_id IN ('20', '21')"
                        ).fetchall()
        merged = c.execute("SELECT record_id, new_value FROM data_issues WHERE rule = 'duplicate.reentered_deal'"
                           ).fetchall()
    assert got == [("21", 18000.0, "won", date(2024, 3, 8))] and merged == [("20", "21")]
    effect = next(e for e in summary["rule_effects"] if e["rule"] == "duplicate.reentered_deal")
    assert (effect["deals_before"], effect["deals_after"]) == (5, 4)
    assert effect["won_amount_before"] == effect["won_amount_after"] == 15000 + 14000 + 16500 + 18000


def test_open_deal_without_creation_date_is_kept(tmp_path):
    lines = _rows([15000, 14000, 16500]) + [
        "30,Prospect,Acme,,Appointment Scheduled,Ann Lee,,",
        "31,Won no date,Acme,9000,won,Ann Lee,,2024-05-01",
    ]
    db, _ = _build(tmp_path, lines)
    with connect(db) as c:
        kept = c.execute("SELECT deal_id, stage, created_at FROM deals WHERE deal_id IN ('30', '31')").fetchall()
        quarantined = c.execute("SELECT record_id, rule FROM quarantine").fetchall()
    assert kept == [("30", "open", None)]
    assert quarantined == [("31", "missing.created_at")]
    assert _issues(db) == {("missing.created_at", "flagged"): 1, ("missing.created_at", "quarantined"): 1,
                           ("inconsistent.stage_label", "fixed"): 1}


def test_rule_effects_chain_ends_at_the_clean_totals(tmp_path):
    """Each rule's `before` is the previous one's `after`; the last `after` is the deals table's totals."""
    lines = _rows([15000, -14000, 16500, 25]) + [
        "5,Deal 5,Company 5,12000,lost,Ann Lee,2024-02-01,2024-03-01",
        "6,Deal 6,Company 6,13000,Weird,Ann Lee,2024-02-02,2024-03-02"]
    db, summary = _build(tmp_path, lines)
    effects = summary["rule_effects"]
    assert [e["rule"] for e in effects] == ["invalid.unknown_stage", "invalid.negative_amount",
                                            "outlier.amount_in_k"]
    for a, b in itertools.pairwise(effects):
        assert (a["deals_after"], a["won_amount_after"]) == (b["deals_before"], b["won_amount_before"])
    # By hand: 6 rows, the `Weird` one quarantined; -14 000 -> 14 000; 25 flagged, kept.
    assert (effects[0]["deals_before"], effects[0]["deals_after"]) == (6, 5)
    assert effects[1]["won_amount_before"] == 15000 - 14000 + 16500 + 25
    assert effects[-1]["won_amount_after"] == 15000 + 14000 + 16500 + 25
    assert effects[-1]["win_rate_after"] == pytest.approx(4 / 5)
    with connect(db) as c:
        assert c.execute("SELECT COUNT(*), SUM(amount) FILTER (WHERE stage = 'won') FROM deals").fetchone() == (
            effects[-1]["deals_after"], effects[-1]["won_amount_after"])


UNKNOWN = [f"{i},Deal {i},Co {i},{1000 + i},{label},Ann Lee,2024-01-0{i},2024-02-0{i}"
           for i, label in enumerate(["won", "lost", "Contrat signé", "Contrat signé", "Abandon", "Contrat signé"],
                                     start=1)]


def test_mostly_quarantined_build_stops_with_the_labels(tmp_path, capsys):
    with pytest.raises(MostlyQuarantined) as err:
        _build(tmp_path, UNKNOWN)
    assert "4 of 6 deals" in str(err.value) and "'Contrat signé' (3), 'Abandon' (1)" in str(err.value)
    assert not (tmp_path / "w.duckdb").exists()
    crm = tmp_path / "deals.csv"
    assert main(["build", "--crm", str(crm), "--db", str(tmp_path / "w.duckdb"), "--quiet"]) == 2
    assert "Contrat signé" in capsys.readouterr().err
    assert main(["build", "--crm", str(crm), "--db", str(tmp_path / "w.duckdb"), "--quiet",
                 "--allow-quarantine"]) == 0
    out = capsys.readouterr().out
    assert "Stage labels not recognised (deals quarantined): 'Contrat signé' 3, 'Abandon' 1" in out
    _, summary = _build(tmp_path, UNKNOWN, mapping={"rules": {"check.mostly_quarantined": "off"}})
    assert summary["unknown_stages"] == [{"label": "Contrat signé", "rows": 3}, {"label": "Abandon", "rows": 1}]


def test_labels_left_out_do_not_count_as_quarantined(tmp_path):
    db, summary = _build(tmp_path, UNKNOWN, mapping={"stages": {"Contrat signé": "won", "Abandon": "leave out"}})
    with connect(db) as c:
        assert c.execute("SELECT COUNT(*) FILTER (WHERE stage = 'won'), COUNT(*) FROM deals").fetchone() == (4, 5)
        assert c.execute("SELECT record_id, rule FROM quarantine").fetchall() == [("5", "excluded.stage_left_out")]
    assert summary["unknown_stages"] == []


@pytest.mark.parametrize("rules, words", [
    ({"missing.deal_id": "off"}, "cannot be switched off: missing.deal_id"),
    ({"outlier.amount_in_k": "maybe"}, "switched \"on\" or \"off\""),
])
def test_bad_rules_section_is_refused_with_a_sentence(tmp_path, capsys, rules, words):
    crm = tmp_path / "deals.csv"
    crm.write_text("\n".join([HEADER] + _rows([15000, 14000])) + "\n", encoding="utf-8")
    (tmp_path / "m.json").write_text(json.dumps({"rules": rules}), encoding="utf-8")
    assert main(["build", "--crm", str(crm), "--db", str(tmp_path / "w.duckdb"), "--mapping",
                 str(tmp_path / "m.json"), "--quiet"]) == 2
    assert words in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 400), sigma=st.floats(0.1, 1.2),
       centre=st.floats(2.5, 5.0))
def test_a_continuous_distribution_has_no_thousands_cluster(seed, n, sigma, centre):
    """Amounts from one log-normal (however wide, up to 1.2 decades of spread): never split."""
    rng = np.random.default_rng(seed)
    values = pd.Series(np.round(10 ** rng.normal(centre, sigma * 0.43, n))).clip(lower=1)
    counts = values.value_counts()
    split, _ = thousands_cluster(counts.index.to_numpy(dtype=float), counts.to_numpy(dtype=float))
    gaps = np.diff(np.log10(np.sort(counts.index.to_numpy(dtype=float))))
    assert split is None or gaps.max() >= 1.0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 400), k=st.integers(3, 30))
def test_a_planted_thousands_cluster_is_found_exactly(seed, n, k):
    """k amounts of the same kind typed in thousands: every one below the split, every other above."""
    rng = np.random.default_rng(seed)
    real = np.round(rng.lognormal(np.log(15000), 0.35, n + k) / 100) * 100
    typed = np.concatenate([real[:n], real[n:] / 1000])
    values = pd.Series(typed).value_counts()
    split, _ = thousands_cluster(values.index.to_numpy(dtype=float), values.to_numpy(dtype=float))
    assert split is not None
    assert (typed[n:] < split).all() and (typed[:n] > split).all()


def test_a_bo_rule_switched_off_changes_nothing(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    (bo / "clients.csv").write_text("client_id;name;sector;employees;city;created_at\nc1;Acme;IT;10;Paris;01/01/2020\n",
                                    encoding="utf-8")
    (bo / "jobs.csv").write_text(
        "job_id;client_id;title;job_type;seniority;salary_k;fee_rate;opened_at;closed_at;status;sales_id;coach_id\n"
        "j1;c1;Dev;Developer;mid;55000;20;01/02/2024;;open;;\n", encoding="utf-8")
    (tmp_path / "m.json").write_text(json.dumps({"rules": {"outlier.salary_in_euros": "off"}}), encoding="utf-8")
    build(crm=None, bo=bo, db=tmp_path / "on.duckdb")
    build(crm=None, bo=bo, db=tmp_path / "off.duckdb", mapping=tmp_path / "m.json")
    with connect(tmp_path / "on.duckdb") as c:
        assert c.execute("SELECT salary_k, fee_rate FROM jobs").fetchone() == (55.0, 0.2)
    with connect(tmp_path / "off.duckdb") as c:
        assert c.execute("SELECT salary_k, fee_rate FROM jobs").fetchone() == (55000.0, 0.2)
        assert c.execute("SELECT COUNT(*) FROM data_issues WHERE rule = 'outlier.salary_in_euros'").fetchone() == (0,)
