"""The app's frame: navigation, sidebar filters and their presets, access, a missing or damaged warehouse."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from app.ui.filters import preset_range
from app.ui.upload import bo_table, safe_name
from app.ui.widgets import days, money, pct, plain
from core.filters import Filters
from tests.app.conftest import assert_no_exception
from tests.helpers import as_built, warehouse

AS_OF = date(2026, 10, 31)
FIRST = date(2022, 1, 3)


# --- pure pieces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "as_of", "expected"), [
    ("This year", AS_OF, (date(2026, 1, 1), AS_OF)),
    ("Last 12 months", AS_OF, (date(2025, 11, 1), AS_OF)),
    ("Last 12 months", date(2024, 2, 29), (date(2023, 3, 1), date(2024, 2, 29))),
    ("Last quarter", AS_OF, (date(2026, 7, 1), date(2026, 9, 30))),
    ("Last quarter", date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30))),
    ("Last quarter", date(2026, 2, 10), (date(2025, 10, 1), date(2025, 12, 31))),
    ("All time", AS_OF, (FIRST, AS_OF)),
])
def test_presets_are_relative_to_the_data_as_of_date(preset: str, as_of: date, expected: tuple) -> None:
    assert preset_range(preset, as_of, FIRST) == expected


def test_a_preset_never_starts_before_the_data() -> None:
    assert preset_range("Last 12 months", date(2022, 3, 1), FIRST) == (FIRST, date(2022, 3, 1))


def test_formats() -> None:
    assert money(1234567.4, "en") == "€1,234,567"
    assert money(-50, "en") == "-€50"
    assert money(None) == "–" and pct(float("nan")) == "–"
    assert pct(0.1234, locale="en") == "12.3%"
    assert days(45.2, "en") == "45 days" and days(1, "en") == "1 day"


def test_formats_default_to_french_unless_configured(monkeypatch) -> None:
    monkeypatch.delenv("CROSSVIEW_LOCALE")
    assert money(-5125) == "-5\u202f125\u202f€" and pct(0.1234) == "12,3\u202f%"
    monkeypatch.setenv("CROSSVIEW_LOCALE", "en")
    assert money(-5125) == "-€5,125"


@pytest.mark.parametrize(("browser", "reader", "expected"), [
    ("fr", "fr", "localized"), ("en", "en", "localized"), ("en", "fr", "%.2f"), ("fr", "en", "%.2f"), ("", "fr", "%.2f")])
def test_a_slider_writes_its_value_in_the_browsers_language_only_when_it_is_the_readers(
        monkeypatch, browser: str, reader: str, expected: str) -> None:
    from app.ui import widgets

    monkeypatch.setattr(widgets, "_browser_language", lambda: browser)
    monkeypatch.setenv("CROSSVIEW_LOCALE", reader)
    assert widgets.slider_format(2) == expected


def test_plain_keeps_markdown_in_names_as_typed() -> None:
    assert plain("**Acme** ![x](http://e.com/t.png)") == r"\*\*Acme\*\* \!\[x\]\(http\://e\.com/t\.png\)"
    assert plain(":red[Big] <b>") == r"\:red\[Big\] \<b\>"


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("deals export (3).CSV", "deals export _3.csv"),
    (".hidden", "hidden"),
    ("", "export"),
])
def test_uploaded_names_cannot_leave_the_uploads_folder(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_bo_files_are_recognised_by_name_only() -> None:
    assert bo_table("Jobs.CSV") == "jobs"
    assert bo_table("pipeline-events.csv") == "pipeline_events"
    assert bo_table("../jobs.csv") == "jobs"
    assert bo_table("invoices.csv") is None


# --- the app on a tiny warehouse -------------------------------------------------------------------------


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    """Two salespeople in two teams, one coach, one client with two jobs and one placement."""
    con = as_built(warehouse({
        "staff": [{"staff_id": "s1", "name": "Ann Lee", "role": "sales", "team": "North"},
                  {"staff_id": "s2", "name": "Bob Roy", "role": "sales", "team": "South"},
                  {"staff_id": "c1", "name": "Cat Poe", "role": "coach", "team": "North"}],
        "clients": [{"client_id": "k1", "name": "Acme"}],
        "jobs": [{"job_id": "j1", "client_id": "k1", "job_type": "Developer", "opened_at": date(2026, 1, 10),
                  "sales_id": "s1", "coach_id": "c1", "status": "filled"},
                 {"job_id": "j2", "client_id": "k1", "job_type": "Sales", "opened_at": date(2026, 6, 10),
                  "sales_id": "s2", "coach_id": "c1", "status": "open"}],
        "placements": [{"placement_id": "p1", "job_id": "j1", "fee_eur": 20000.0,
                        "invoiced_at": date(2026, 3, 1)}],
        "build_log": [{"file": "*", "kind": "info", "name": "test"}],
    }))
    db = tmp_path / "wh" / "crossview.duckdb"
    db.parent.mkdir()
    con.execute("ATTACH ? AS target", [str(db)])
    con.execute("COPY FROM DATABASE memory TO target")
    con.close()
    return db


def test_sidebar_people_follow_the_chosen_teams_and_role(make_app, tiny_db: Path) -> None:
    at = make_app(tiny_db)
    at.run(timeout=60)
    assert_no_exception(at)
    sales = at.sidebar.multiselect(key="flt_sales")
    assert sales.options == ["Ann Lee", "Bob Roy"]
    at.sidebar.multiselect(key="flt_sales").select("s2").run()
    at.sidebar.multiselect(key="flt_teams").select("North").run()
    assert at.sidebar.multiselect(key="flt_sales").options == ["Ann Lee"]
    # Bob (South) left the selection when the team filter excluded him.
    assert at.session_state["flt_sales"] == []
    at.sidebar.segmented_control(key="flt_role").set_value("coach").run()
    assert at.sidebar.multiselect(key="flt_sales").label == "Coaches"
    assert at.sidebar.multiselect(key="flt_sales").options == ["Cat Poe"]
    assert at.query_params["role"] in ("coach", ["coach"])


def test_presets_set_the_period_and_reset_clears_everything(make_app, tiny_db: Path) -> None:
    at = make_app(tiny_db).run(timeout=60)
    # The data's as-of date is the last job opened: 10 June 2026.
    assert at.sidebar.date_input(key="flt_period").value == (date(2026, 1, 10), date(2026, 6, 10))
    at.sidebar.selectbox(key="flt_preset").select("Last quarter").run()
    assert at.sidebar.date_input(key="flt_period").value == (date(2026, 1, 10), date(2026, 3, 31))
    at.sidebar.multiselect(key="flt_teams").select("South").run()
    at.sidebar.button[0].click().run()
    assert at.session_state["flt_preset"] == "Last 12 months"
    assert at.session_state["flt_teams"] == []
    assert_no_exception(at)


def test_navigation_lists_the_pages_in_groups(make_app, tiny_db: Path) -> None:
    from app.main import PAGES

    assert {group: [file for file, _, _ in pages] for group, pages in PAGES.items()} == {
        "": ["overview.py"],
        "Clients": ["clients.py", "time_wasters.py", "typology.py", "churn.py"],
        "Sales activity": ["seasonality.py", "funnel.py", "pipeline.py", "forecast.py"],
        "Data": ["data.py"],
    }
    # Every page file is in the navigation, once.
    listed = [file for pages in PAGES.values() for file, _, _ in pages]
    assert sorted(listed) == sorted(p.name for p in (Path(__file__).parents[2] / "pages").glob("*.py"))
    at = make_app(tiny_db).run(timeout=60)
    assert_no_exception(at)
    assert at.title[0].value == "Overview"  # the default page
    # Each entry opens its own page (the page's heading, which may say more than the menu title).
    headings = {"typology.py": "Client typology"}
    for file, title, _ in (entry for pages in PAGES.values() for entry in pages):
        at.switch_page(f"../pages/{file}").run(timeout=60)
        assert_no_exception(at)
        assert at.title[0].value == headings.get(file, title), file


def test_a_deleted_warehouse_is_said_and_a_rebuild_offered(make_app, tmp_path: Path) -> None:
    db = tmp_path / "gone" / "crossview.duckdb"
    db.parent.mkdir()
    (db.parent / "last_build.json").write_text(json.dumps({"crm": "x.csv", "bo": None, "demo": False}))
    at = make_app(db).run(timeout=60)
    assert_no_exception(at)
    assert "missing" in at.error[0].value and str(db) in at.code[0].value
    labels = [b.label for b in at.button]
    assert "Rebuild from the last uploaded files" in labels and "Rebuild from the demo data" in labels


def test_a_corrupted_warehouse_is_said_and_a_rebuild_offered(make_app, tmp_path: Path) -> None:
    db = tmp_path / "bad" / "crossview.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"this is not a database" * 1000)
    at = make_app(db).run(timeout=60)
    assert_no_exception(at)
    assert "Rebuild" in " ".join(b.label for b in at.button)
    assert at.error and "damaged" in at.error[0].value


def test_a_warehouse_of_an_older_version_is_said_and_a_rebuild_offered(make_app, tiny_db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(tiny_db))
    con.execute("DELETE FROM build_log WHERE name = 'schema_version'")
    con.close()
    at = make_app(tiny_db).run(timeout=60)
    assert_no_exception(at)
    assert at.title[0].value == "The data needs rebuilding"
    assert at.error and "older version" in at.error[0].value
    assert "Rebuild" in " ".join(b.label for b in at.button)


# --- access ----------------------------------------------------------------------------------------------


def test_open_when_nothing_is_configured(make_app, tiny_db: Path) -> None:
    at = make_app(tiny_db).run(timeout=60)
    assert at.title[0].value == "Overview"


def test_shared_password(make_app, tiny_db: Path) -> None:
    at = make_app(tiny_db)
    at.secrets["access"] = {"password": "s3cret"}
    at.run(timeout=60)
    assert not at.metric and at.text_input(key="access_password")
    at.text_input(key="access_password").input("wrong")
    at.button[0].click().run()
    assert "Wrong password" in at.error[0].value and not at.metric
    at.text_input(key="access_password").input("s3cret")
    at.button[0].click().run()
    assert_no_exception(at)
    assert at.title[0].value == "Overview"


def test_openid_login_when_auth_is_configured(make_app, tiny_db: Path, monkeypatch) -> None:
    import app.access

    monkeypatch.setattr(app.access, "login_available", lambda: True)
    at = make_app(tiny_db)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "crossview", "client_secret": "y",
                          "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}
    at.run(timeout=60)
    assert_no_exception(at)
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.sidebar.multiselect


def test_openid_configured_without_authlib_says_what_to_install(make_app, tiny_db: Path, monkeypatch) -> None:
    import app.access

    monkeypatch.setattr(app.access, "login_available", lambda: False)
    at = make_app(tiny_db)
    at.secrets["auth"] = {"client_id": "crossview", "client_secret": "y"}
    at.run(timeout=60)
    assert_no_exception(at)
    assert "Authlib" in at.error[0].value and not at.button


@pytest.mark.demo
def test_first_run_builds_the_demo_warehouse_and_says_so(make_app, tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "crossview.duckdb"
    at = make_app(db).run(timeout=60)
    # The build runs in the background: the first page answers at once with its progress.
    assert_no_exception(at)
    assert at.title[0].value == "Welcome to Crossview" and not db.exists()
    assert at.get("progress")
    # A second session opened meanwhile follows the same build instead of starting another.
    other = make_app(db).run(timeout=60)
    assert other.title[0].value == "Welcome to Crossview"
    assert [t.name for t in threading.enumerate()].count("crossview-first-build") == 1
    deadline = time.monotonic() + 300
    while not (db.parent / "last_build.json").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert db.exists()
    assert json.loads((db.parent / "last_build.json").read_text())["demo"] is True
    at.run(timeout=120)
    assert_no_exception(at)
    assert any("Showing demo data" in i.value for i in at.sidebar.info)
    assert at.title[0].value == "Overview" and at.metric


def test_a_failed_first_build_says_why_and_can_be_tried_again(make_app, tmp_path: Path, monkeypatch) -> None:
    from app.ui import build

    db = tmp_path / "fresh" / "crossview.duckdb"
    monkeypatch.setattr(build.BuildInputs, "demo_data",
                        staticmethod(lambda: build.BuildInputs(bo=str(tmp_path / "no such folder"), demo=True)))
    at = make_app(db).run(timeout=60)
    deadline = time.monotonic() + 60
    while not at.error and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run(timeout=60)
    assert_no_exception(at)
    assert "no such folder" in at.error[0].value and not db.exists()
    monkeypatch.undo()
    monkeypatch.setenv("CROSSVIEW_DB", str(db))
    monkeypatch.setenv("CROSSVIEW_TRAIN_IN_BACKGROUND", "0")
    at.button(key="first_build_retry").click().run(timeout=60)
    deadline = time.monotonic() + 300
    while not (db.parent / "last_build.json").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run(timeout=120)
    assert_no_exception(at)
    assert at.title[0].value == "Overview"


def test_cached_keys_only_take_values_that_say_everything_about_themselves() -> None:
    from app.ui.state import _key

    assert _key((Filters(date_from=date(2026, 1, 1), teams=("A",)), "x", 3)) != _key((Filters(), "x", 3))
    assert _key([("by", "team")]) == "list(tuple('by','team'))"
    with pytest.raises(TypeError, match="DataFrame"):
        _key((pd.DataFrame({"a": [1]}),))


def test_downloads_neutralise_formulas_and_keep_exactly_the_rows(monkeypatch) -> None:
    from app.ui import widgets

    monkeypatch.delenv("CROSSVIEW_LOCALE")
    captured = {}
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, **kw: captured.update(data=data, **kw))
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "Acme"], "amount": [-5.0, 10.0, 2.5]})
    widgets.download_button(frame, "Clients at risk")
    text = captured["data"]().decode("utf-8-sig")  # built when the button is clicked
    # French by default: labelled headers, `;`, decimal comma.
    assert text.splitlines() == ["Nom;Montant (€)", "\"'=HYPERLINK(\"\"http://x\"\")\";-5,0", "'@SUM(A1);10,0",
                                 "Acme;2,5"]
    plain = widgets.csv_bytes(frame, plain=True).decode("utf-8-sig")
    assert plain.splitlines() == ["name,amount", "\"'=HYPERLINK(\"\"http://x\"\")\",-5.0", "'@SUM(A1),10.0",
                                  "Acme,2.5"]
    assert captured["file_name"] == "crossview_clients_at_risk.csv" and captured["mime"] == "text/csv"


def test_tables_format_cells_on_the_server_up_to_a_size(monkeypatch) -> None:
    from pandas.io.formats.style import Styler

    from app.ui import widgets

    drawn = {}
    monkeypatch.setattr(widgets.st, "dataframe", lambda data, **kw: drawn.update(data=data, **kw))
    monkeypatch.setattr(widgets, "download_button", lambda *a, **kw: None)
    small = pd.DataFrame({"turnover": [1234.5], "fill_rate": [0.25]})
    widgets.show_table(small, key="small")
    assert isinstance(drawn["data"], Styler)
    assert drawn["column_config"]["turnover"]["label"] == "Turnover (€)"
    large = pd.DataFrame({"turnover": [1.0] * (widgets.STYLED_CELLS // 2 + 1), "fill_rate": 0.5})
    widgets.show_table(large, key="large")
    assert isinstance(drawn["data"], pd.DataFrame)
    assert drawn["column_config"]["fill_rate"]["label"] == "Fill rate (%)"
    # the grid writes as many decimals as the step has (percentages two fewer): whole euros, 12.3 %
    settings = {col: {k: drawn["column_config"][col]["type_config"][k] for k in ("format", "step")}
                for col in ("fill_rate", "turnover")}
    assert settings == {"fill_rate": {"format": "percent", "step": 0.001}, "turnover": {"format": "euro", "step": 1}}


def test_every_script_run_is_logged_for_the_benchmarks(app, tmp_path: Path, monkeypatch) -> None:
    """`CROSSVIEW_RERUN_LOG`: one line per run, with the page drawn, its time and its thread's CPU time."""
    from app.main import RERUN_LOG_ENV

    log = tmp_path / "reruns.jsonl"
    monkeypatch.setenv(RERUN_LOG_ENV, str(log))
    at = app.run()
    assert_no_exception(at)
    at.run()
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["page"] for r in rows] == ["Overview", "Overview"]
    # a thread cannot use more CPU than the wall time it ran (a little slack for the clocks' resolution)
    assert all(0 <= r["cpu_seconds"] <= r["seconds"] + 0.01 and r["seconds"] > 0 for r in rows)
