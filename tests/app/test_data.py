"""The Data page: quality report, linking review, reconciliation, uploads with the mapping step, rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.ui.widgets import plain
from core.filters import Filters
from core.link import coverage, review_queue
from core.link.reconcile import reconciliation
from core.metrics.common import as_of
from core.metrics.quality import issues_by_rule, quality_summary, quarantined_rows
from tests.app.conftest import GENERIC_CRM, GENERIC_MAPPING, assert_no_exception, last_12_months
from tests.app.pages_support import assert_table, busiest_salesperson_month, custom_period, open_page, table

DATA_PAGE = "../pages/data.py"  # relative to app/main.py

def open_data_page(at):
    at.run()
    at.switch_page(DATA_PAGE).run()
    assert_no_exception(at)
    return at


def frames_shown(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


@pytest.mark.demo
def test_quality_tables_are_the_core_reports(app, demo_con) -> None:
    at = open_data_page(app)
    shown = frames_shown(at)
    for expected in (quality_summary(demo_con), issues_by_rule(demo_con), quarantined_rows(demo_con)):
        assert any(frame.shape == expected.shape and list(frame.columns) == list(expected.columns)
                   for frame in shown), list(expected.columns)
    summary = next(f for f in shown if list(f.columns) == list(quality_summary(demo_con).columns))
    pd.testing.assert_frame_equal(summary.reset_index(drop=True), quality_summary(demo_con), check_dtype=False)


@pytest.mark.demo
def test_linking_coverage_and_queue(app, demo_con) -> None:
    at = open_data_page(app)
    cov = coverage(demo_con)
    shown = next(f for f in frames_shown(at) if "automatic links" in f.columns)
    assert shown["automatic links"].tolist() == pytest.approx(cov["before_review"].tolist(), nan_ok=True)
    queue = review_queue(demo_con, status="review", kind="client")
    assert at.selectbox(key="data_review_name").options == queue["crm_company"].tolist()


@pytest.mark.demo
def test_reconciliation_default_and_narrow_filters(app, make_app, demo_db, demo_con) -> None:
    at = open_data_page(app)
    f = last_12_months(as_of(demo_con))
    sections = reconciliation(demo_con, f)
    headers = [h.value for h in at.subheader]
    for name, frame in sections.items():
        assert any(h.endswith(f"({len(frame):,})") for h in headers), name
    assert_table(at, "data_crm_completeness_by_sales", sections["crm_completeness_by_sales"])
    assert_table(at, "data_placements_without_deal", sections["placements_without_deal"])
    # One salesperson, one month: through the URL, as a shared link would.
    sales_id, start, end = busiest_salesperson_month(demo_con)
    narrow = reconciliation(demo_con, Filters(date_from=start, date_to=end, sales=(sales_id,)))
    at = open_page(make_app(demo_db), "data", custom_period(start, end, sales_id))
    headers = [h.value for h in at.subheader]
    for name, frame in narrow.items():
        assert any(h.endswith(f"({len(frame):,})") for h in headers), name
    assert_table(at, "data_crm_completeness_by_sales", narrow["crm_completeness_by_sales"])
    assert narrow["crm_completeness_by_sales"]["jobs"].sum() > 0


@pytest.mark.demo
def test_long_tables_show_their_first_rows_and_download_every_row(app, demo_con, monkeypatch) -> None:
    from app.ui import widgets
    from core.csvsafe import to_csv_bytes
    from core.tables import locale_csv_bytes

    # The demo's tables are short: a preview of 5 rows makes them "long".
    monkeypatch.setattr(widgets, "PREVIEW_ROWS", 5)
    readers = {}
    draw = widgets.download_button

    def spy(frame, name, key=None, full=None, total=None):
        if full is not None:
            readers[key] = (full, total)
        draw(frame, name, key=key, full=full, total=total)

    monkeypatch.setattr(widgets, "download_button", spy)
    at = open_data_page(app)
    captions = [c.value for c in at.caption]
    helps = {b.key: b.help for b in at.download_button}

    quarantine = quarantined_rows(demo_con)
    pd.testing.assert_frame_equal(table(at, "data_quarantine").reset_index(drop=True), quarantine.head(5),
                                  check_dtype=False)
    assert f"Showing the first 5 of {len(quarantine):,} rows; the CSV download holds all {len(quarantine):,}." \
        in captions
    read, total = readers["data_quarantine_download"]
    assert total == len(quarantine) and f"all {len(quarantine):,} rows" in helps["data_quarantine_download"]
    assert widgets._csv_of(read, "en", False) == locale_csv_bytes(quarantine, "en")
    assert widgets._csv_of(read, "en", True) == to_csv_bytes(quarantine)

    queue = review_queue(demo_con, status="review", kind="client")
    assert len(table(at, "data_review_queue")) == 5
    read, total = readers["data_review_queue_download"]
    assert read()["CRM company"].tolist() == queue["crm_company"].tolist() and total == len(queue)
    assert at.selectbox(key="data_review_name").options == queue["crm_company"].tolist()

    # Reconciliation: the headers count every row, the tables show the first 5.
    sections = reconciliation(demo_con, last_12_months(as_of(demo_con)))
    headers = [h.value for h in at.subheader]
    for name, frame in sections.items():
        assert any(h.endswith(f"({len(frame):,})") for h in headers), name
        if len(frame) > 5:
            pd.testing.assert_frame_equal(table(at, f"data_{name}").reset_index(drop=True), frame.head(5),
                                          check_dtype=False)
            read, total = readers[f"data_{name}_download"]
            pd.testing.assert_frame_equal(read(), frame, check_dtype=False)
    assert any(len(frame) > 5 for frame in sections.values())


def test_a_table_without_preview_downloads_exactly_what_is_shown(monkeypatch) -> None:
    from app.ui import widgets
    from core.csvsafe import to_csv_bytes
    from core.tables import locale_csv_bytes

    captured = {}
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, **kw: captured.update(data=data, **kw))
    frame = pd.DataFrame({"name": ["=1+1", "Acme"]})
    widgets.download_button(frame, "rows", full=lambda: pd.concat([frame, frame]), total=4)
    assert callable(captured["data"]) and captured["data"]() == locale_csv_bytes(pd.concat([frame, frame]), "en")
    assert captured["help"] == "rows: all 4 rows, as CSV (English)"
    widgets.download_button(frame, "rows")
    assert captured["data"]() == locale_csv_bytes(frame, "en")
    assert captured["help"] == "rows: 2 rows as shown, as CSV (English)"
    assert widgets.csv_bytes(frame, plain=True) == to_csv_bytes(frame)


@pytest.mark.demo
def test_a_review_decision_is_written_to_the_overrides_file(make_app, writable_db: Path, demo_con) -> None:
    at = open_data_page(make_app(writable_db))
    queue = review_queue(demo_con, status="review", kind="client")
    name = queue["crm_company"].iloc[0]
    at.selectbox(key="data_review_name").select(name).run()
    at.radio(key="data_review_action").set_value("No BO client (reject)")
    at.text_input(key="data_review_note").input("not a client")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert_no_exception(at)
    overrides = pd.read_csv(writable_db.parent / "overrides.csv", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
    row = overrides.iloc[-1]
    assert (row["kind"], row["decision"], row["note"]) == ("client", "reject", "not a client")
    assert row["key"] in (name, "'" + name)
    assert any("1 decision(s) saved" in s.value for s in at.success)
    at.run()
    saved = next(f for f in frames_shown(at) if "decision" in f.columns)
    assert saved[["kind", "decision", "note"]].values.tolist() == [["client", "reject", "not a client"]]


def test_unknown_layout_gets_a_mapping_step_then_builds(make_app, writable_crm_db: Path, uploads: Path) -> None:
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("opportunities.csv", GENERIC_CRM.encode(), "text/csv").run()
    assert_no_exception(at)
    assert (uploads / "crm" / "opportunities.csv").exists()
    assert any("needs a mapping" in w.value for w in at.warning)
    # The closest header is proposed for each field, and unknown stage labels are asked about.
    proposed = {field: at.selectbox(key=f"data_mapping_field_{field}").value for field in GENERIC_MAPPING["crm"]}
    assert proposed == GENERIC_MAPPING["crm"]
    assert at.selectbox(key="data_mapping_field_pipeline").value == "(not in this file)"
    stage_boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("data_mapping_stage_")}
    assert set(stage_boxes) == {"Engaging (1 deal)"}  # Salesforce's "Prospecting" is a known open stage
    next(b for b in at.button if b.label == "Save this mapping").click().run()
    assert_no_exception(at)
    saved = list((uploads / "mappings").glob("crm_*.json"))
    assert len(saved) == 1
    mapping = json.loads(saved[0].read_text(encoding="utf-8"))
    assert mapping["crm"]["deal_id"] == "opportunity_id"
    assert mapping["stages"] == {"Engaging": "open"}
    assert any("mapping saved for this layout" in s.value for s in at.success)

    next(b for b in at.button if b.key == "data_rebuild").click().run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "The warehouse was rebuilt." for s in at.success)
    record = json.loads((writable_crm_db.parent / "last_build.json").read_text())
    assert record["mapping"] == str(saved[0]) and record["bo"] is None


def test_a_rule_switched_off_on_the_data_page_rebuilds_with_it_off(make_app, writable_crm_db: Path,
                                                                    uploads: Path) -> None:
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("opportunities.csv", GENERIC_CRM.encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Save this mapping").click().run()
    next(b for b in at.button if b.key == "data_rebuild").click().run()
    assert_no_exception(at)
    at.checkbox(key="data_rule_outlier.amount_in_k").uncheck()
    next(b for b in at.button if b.label == "Rebuild with these rules").click().run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "The warehouse was rebuilt." for s in at.success)
    saved = next((uploads / "mappings").glob("crm_*.json"))
    mapping = json.loads(saved.read_text(encoding="utf-8"))
    assert mapping["rules"] == {"outlier.amount_in_k": "off"} and mapping["crm"]["deal_id"] == "opportunity_id"
    from core.metrics.quality import rules_off
    from core.warehouse import connect

    with connect(writable_crm_db) as con:
        assert rules_off(con) == ["outlier.amount_in_k"]
    assert at.checkbox(key="data_rule_outlier.amount_in_k").value is False
    summary = next(c.value for c in at.code)
    assert "Rules switched off: outlier.amount_in_k" in summary


def test_same_layout_again_reuses_the_saved_mapping(make_app, writable_crm_db: Path, uploads: Path) -> None:
    (uploads / "mappings").mkdir(parents=True)
    from app.ui.mapping import mapping_path

    headers = GENERIC_CRM.split("\r\n")[0].split(",")
    mapping_path(headers).write_text(json.dumps({
        "crm": {"deal_id": "opportunity_id", "deal_name": "product", "company": "account",
                "amount": "close_value", "stage": "deal_stage", "owner": "sales_agent",
                "created_at": "engage_date", "closed_at": "close_date"},
        "stages": {"Engaging": "open", "Prospecting": "open"}}), encoding="utf-8")
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("next_month.csv", GENERIC_CRM.encode(), "text/csv").run()
    assert_no_exception(at)
    assert not at.warning
    assert any("mapping saved for this layout" in s.value for s in at.success)


def test_an_empty_file_gets_a_message_naming_it(make_app, writable_crm_db: Path) -> None:
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("deals.csv", b"", "text/csv").run()
    assert_no_exception(at)
    assert any("deals.csv" in e.value and "empty" in e.value for e in at.error)
    assert next(b for b in at.button if b.key == "data_rebuild").disabled


def test_bo_files_with_other_names_are_left_out(make_app, writable_crm_db: Path, uploads: Path) -> None:
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_bo_file").set_value([
        ("jobs.csv", b"job_id;client_id\r\nJ1;C1\r\n", "text/csv"),
        ("../../evil.csv", b"x", "text/csv"),
    ]).run()
    assert_no_exception(at)
    assert [p.name for p in (uploads / "bo").iterdir()] == ["jobs.csv"]
    assert any("evil" in w.value for w in at.warning)
    assert any("staff.csv" in i.value for i in at.info)


def test_crm_only_rebuild_with_a_teams_file(make_app, writable_crm_db: Path, uploads: Path) -> None:
    from app.ui.mapping import mapping_path
    from core.metrics.common import filter_options
    from core.warehouse import connect

    headers = GENERIC_CRM.split("\r\n")[0].split(",")
    mapping_path(headers).parent.mkdir(parents=True)
    mapping_path(headers).write_text(json.dumps(GENERIC_MAPPING), encoding="utf-8")
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("deals.csv", GENERIC_CRM.encode(), "text/csv").run()
    at.file_uploader(key="data_teams_file").upload(
        "teams.csv", b"name,team,manager\r\nAnn Lee,North,Eve Moss\r\nBob Roy,South,Eve Moss\r\n", "text/csv").run()
    assert (uploads / "teams" / "teams.csv").exists()
    next(b for b in at.button if b.key == "data_rebuild").click().run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "The warehouse was rebuilt." for s in at.success)
    with connect(writable_crm_db) as con:
        assert filter_options(con)["teams"] == ["North", "South"]
    record = json.loads((writable_crm_db.parent / "last_build.json").read_text())
    assert record["teams"] == str(uploads / "teams" / "teams.csv") and record["crm"].endswith("deals.csv")
    # Removing the file from its uploader drops it from the next build.
    at.file_uploader(key="data_teams_file").set_value(None).run()
    assert "data_teams_path" not in at.session_state


def test_crm_only_data_page_says_what_linking_needs(make_app, crm_only_db: Path) -> None:
    from core.warehouse import connect

    at = open_data_page(make_app(crm_only_db))
    messages = [i.value for i in at.info]
    assert "Linking needs both a CRM export and a back-office export." in messages
    assert "The reconciliation compares the CRM with the back office: it needs both exports." in messages
    assert "No row was quarantined." in messages
    with connect(crm_only_db) as con:
        expected = quality_summary(con)
    shown = next(f for f in frames_shown(at) if list(f.columns) == list(expected.columns))
    assert shown["rows_in"].tolist() == expected["rows_in"].tolist() == [4]


def test_only_unknown_stage_labels_are_asked_about(make_app, writable_crm_db: Path) -> None:
    # Built-in labels written with spaces ("Closed Won", "Appointment Scheduled") are known; the demo
    # export's three planted junk labels are not.
    demo_export = Path(__file__).resolve().parents[2] / "data" / "demo" / "crm" / "hubspot_deals.csv"
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("hubspot_deals.csv", demo_export.read_bytes(), "text/csv").run()
    assert_no_exception(at)
    assert any("(3 stage label(s) not known)" in w.value for w in at.warning), [w.value for w in at.warning]
    stage_boxes = {s.label for s in at.selectbox if s.key and s.key.startswith("data_mapping_stage_")}
    labels = ("zz_archive_2023", "Stage 7 (old pipeline)", "A relancer ???")
    counts = pd.read_csv(demo_export, dtype=str, keep_default_na=False, on_bad_lines="skip",
                         encoding="utf-8-sig")["Deal Stage"].str.strip().value_counts()
    assert stage_boxes == {f"{plain(label)} ({counts[label]:,} deal{'s' if counts[label] > 1 else ''})"
                           for label in labels}
    # Each one can be an open, won or lost deal, or left out.
    box = next(s for s in at.selectbox if s.key == "data_mapping_stage_0")
    assert list(box.options) == ["open", "won", "lost", "leave out"]


def test_unknown_stage_labels_and_rule_effects_are_on_the_data_page(make_app, tmp_path: Path) -> None:
    from core.warehouse import build

    crm = tmp_path / "deals.csv"
    crm.write_text("Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date\n"
                   "1,A,Acme,-9000,won,Ann Lee,2026-01-05,2026-02-01\n"
                   "2,B,Beta,8000,Contrat signé,Ann Lee,2026-01-06,2026-02-02\n"
                   "3,C,Gamma,7000,lost,Ann Lee,2026-01-07,2026-02-03\n", encoding="utf-8")
    db = tmp_path / "warehouse" / "crossview.duckdb"
    build(crm=crm, bo=None, db=db)
    at = open_data_page(make_app(db))
    assert any("1 deal(s) quarantined because their stage label is not known" in w.value for w in at.warning)
    labels = next(f for f in frames_shown(at) if "label" in f.columns)
    assert labels[["label", "deals"]].values.tolist() == [["Contrat signé", 1]]
    effects = next(f for f in frames_shown(at) if "won_amount_before" in f.columns)
    assert effects["rule"].tolist() == ["invalid.unknown_stage", "invalid.negative_amount"]
    # -9 000 made 9 000: the won amount goes from -9 000 to 9 000.
    assert effects["won_amount_after"].tolist()[-1] == 9000


def test_mapping_step_saves_the_date_order_and_a_field_not_in_the_file(make_app, writable_crm_db: Path,
                                                                       uploads: Path) -> None:
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("opportunities.csv", GENERIC_CRM.encode(), "text/csv").run()
    assert_no_exception(at)
    at.selectbox(key="data_mapping_date_order").set_value("month first (12/31/2024)")
    at.selectbox(key="data_mapping_field_company").set_value("(not in this file)")
    next(b for b in at.button if b.label == "Save this mapping").click().run()
    assert_no_exception(at)
    [saved] = list((uploads / "mappings").glob("crm_*.json"))
    mapping = json.loads(saved.read_text(encoding="utf-8"))
    assert mapping["date_order"] == "mdy" and mapping["crm"]["company"] is None
    assert mapping["crm"]["amount"] == "close_value"


def test_a_mostly_quarantined_upload_stops_until_confirmed(make_app, writable_crm_db: Path, uploads: Path) -> None:
    export = ("Record ID,Deal Name,Associated Company,Amount,Deal Stage,Deal owner,Create Date,Close Date\n"
              "1,A,Acme,9000,won,Ann Lee,,2026-02-01\n2,B,Beta,8000,won,Ann Lee,,2026-02-02\n"
              "3,C,Gamma,7000,won,Ann Lee,,2026-02-03\n4,D,Delta,6000,lost,Ann Lee,2025-12-01,2026-01-03\n"
              "5,E,Epsilon,,open,Ann Lee,2026-05-01,\n")
    at = open_data_page(make_app(writable_crm_db))
    at.file_uploader(key="data_crm_file").upload("deals.csv", export.encode(), "text/csv").run()
    next(b for b in at.button if b.key == "data_rebuild").click().run()
    assert_no_exception(at)
    assert any("3 of 5 deals would be quarantined (missing.created_at 3)" in e.value for e in at.error)
    at.checkbox(key="data_confirm_quarantine").check()
    next(b for b in at.button if b.key == "data_rebuild").click().run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "The warehouse was rebuilt." for s in at.success)
    saved = json.loads((uploads / "mappings" / "confirmed_deals.json").read_text(encoding="utf-8"))
    assert saved == {"rules": {"check.mostly_quarantined": "off"}}
