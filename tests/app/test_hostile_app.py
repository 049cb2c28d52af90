"""The app under the second round of hostile use (issue 16): a rebuild under an open session, a shared link
whose period ends before it starts, clashing uploads, a workbook bomb uploaded, and the shared password."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import as_built, warehouse


def _db(path: Path, year: int, team: str) -> Path:
    """Two salespeople of `team` with jobs opened in `year` (January and June)."""
    con = as_built(warehouse({
        "staff": [{"staff_id": "s1", "name": "Ann Lee", "role": "sales", "team": team},
                  {"staff_id": "s9", "name": "Zoe Kim", "role": "sales", "team": team}],
        "clients": [{"client_id": "k1", "name": "Acme"}],
        "jobs": [{"job_id": "j1", "client_id": "k1", "job_type": "Developer", "opened_at": date(year, 1, 10),
                  "sales_id": "s1", "status": "filled"},
                 {"job_id": "j2", "client_id": "k1", "job_type": "Developer", "opened_at": date(year, 6, 10),
                  "sales_id": "s9", "status": "open"}],
        "placements": [{"placement_id": "p1", "job_id": "j1", "fee_eur": 20000.0, "invoiced_at": date(year, 3, 1)}],
        "build_log": [{"file": "*", "kind": "info", "name": "test"}],
    }))
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute("ATTACH ? AS target", [str(path)])
    con.execute("COPY FROM DATABASE memory TO target")
    con.close()
    return path


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_a_rebuild_with_other_dates_and_teams_resets_the_filters_with_a_notice(make_app, tmp_path: Path) -> None:
    db = _db(tmp_path / "wh" / "crossview.duckdb", 2026, "North")
    at = make_app(db).run()
    at.sidebar.date_input(key="flt_period").set_value((date(2026, 2, 1), date(2026, 5, 1))).run()
    at.sidebar.multiselect(key="flt_teams").select("North").run()
    at.sidebar.multiselect(key="flt_sales").select("s9").run()
    assert at.session_state["flt_preset"] == "Custom"
    # Another session rebuilds: the new warehouse covers 2019 only, with another team (s9 is still there).
    os.replace(_db(tmp_path / "new" / "crossview.duckdb", 2019, "East"), db)
    at.run()
    _no_exception(at)
    assert "no longer covers the chosen period, teams" in at.sidebar.info[0].value
    assert at.session_state["flt_preset"] == "Last 12 months"
    assert at.sidebar.date_input(key="flt_period").value == (date(2019, 1, 10), date(2019, 6, 10))
    assert at.session_state["flt_teams"] == [] and at.session_state["flt_sales"] == ["s9"]
    at.run()
    _no_exception(at)
    assert not at.sidebar.info  # said once


def test_a_preset_follows_the_rebuilt_data_silently(make_app, tmp_path: Path) -> None:
    db = _db(tmp_path / "wh" / "crossview.duckdb", 2026, "North")
    at = make_app(db).run()
    os.replace(_db(tmp_path / "new" / "crossview.duckdb", 2019, "North"), db)
    at.run()
    _no_exception(at)
    assert at.sidebar.date_input(key="flt_period").value == (date(2019, 1, 10), date(2019, 6, 10))
    assert not at.sidebar.info


def test_a_link_whose_period_ends_before_it_starts(make_app, tmp_path: Path) -> None:
    at = make_app(_db(tmp_path / "wh" / "crossview.duckdb", 2026, "North"))
    at.query_params["period"] = "Custom"
    at.query_params["from"] = "2026-01-01"
    at.query_params["to"] = "2023-01-01"
    at.run()
    _no_exception(at)
    assert "ends (01/01/2023) before it starts (01/01/2026)" in at.sidebar.info[0].value
    assert at.session_state["flt_preset"] == "Last 12 months"
    assert at.sidebar.date_input(key="flt_period").value == (date(2026, 1, 10), date(2026, 6, 10))


class _Upload:
    """What st.file_uploader hands over for one file."""

    def __init__(self, name: str, data: bytes):
        self.name, self.size, self._data = name, len(data), data

    def getvalue(self) -> bytes:
        return self._data


def test_two_uploads_for_one_bo_file_are_refused_naming_both(uploads: Path) -> None:
    from app.ui.upload import save_bo
    from core.errors import UserError

    save_bo([_Upload("jobs.csv", b"job_id\nj1\n")])
    with pytest.raises(UserError, match="Jobs.CSV and jobs.csv: these files are the same BO file"):
        save_bo([_Upload("Jobs.CSV", b"job_id\nj2\n"), _Upload("jobs.csv", b"job_id\nj3\n"),
                 _Upload("staff.csv", b"staff_id\ns1\n")])
    # The previous upload is left as it was.
    assert sorted(p.name for p in (uploads / "bo").iterdir()) == ["jobs.csv"]
    assert (uploads / "bo" / "jobs.csv").read_bytes() == b"job_id\nj1\n"


def test_an_uploaded_workbook_is_size_checked_once_unpacked(uploads: Path, tmp_path: Path) -> None:
    from app.ui.upload import save_bo, save_export
    from core.errors import InputFileError
    from tests.helpers import xlsx_bomb

    bomb = tmp_path / "bomb.xlsx"
    xlsx_bomb(bomb, 300 << 20, ["Record ID", "Deal Name"])
    with pytest.raises(InputFileError, match=r"^deals\.xlsx: unpacks to more than 256 MB"):
        save_export(_Upload("deals.xlsx", bomb.read_bytes()))
    assert list((uploads / "crm").iterdir()) == []
    with pytest.raises(InputFileError, match=r"^jobs\.xlsx: unpacks to more than 256 MB"):
        save_bo([_Upload("staff.csv", b"staff_id\ns1\n"), _Upload("jobs.xlsx", bomb.read_bytes())])
    assert not (uploads / "bo").exists()


# --- shared password ---------------------------------------------------------------------------------


@pytest.fixture
def password_app(make_app, tmp_path: Path):
    from app import access

    access._FAILURES.clear()  # the server's recent wrong passwords, shared by every session of the process
    db = _db(tmp_path / "wh" / "crossview.duckdb", 2026, "North")
    yield lambda: _with_password(make_app(db))
    access._FAILURES.clear()


def _with_password(at):
    at.secrets["access"] = {"password": "s3cret"}
    return at.run()


def _try(at, password: str):
    at.text_input(key="access_password").input(password)
    at.button[0].click().run()
    return at


def test_after_three_wrong_passwords_a_session_waits_even_for_the_right_one(password_app) -> None:
    at = password_app()
    for _ in range(3):
        assert "Wrong password" in _try(at, "guess").error[0].value
    _try(at, "s3cret")
    assert "Too many wrong passwords: wait" in at.error[0].value
    assert not at.metric and at.text_input(key="access_password")


def test_many_wrong_passwords_across_sessions_slow_every_session(password_app) -> None:
    for _ in range(5):
        at = password_app()
        _try(_try(at, "guess1"), "guess2")  # two each: no session reaches its own limit
    fresh = _try(password_app(), "s3cret")
    assert "Too many wrong passwords: wait" in fresh.error[0].value
    assert not fresh.metric


def test_signing_in_sets_a_session_cookie_and_signing_out_clears_it(password_app) -> None:
    at = _try(password_app(), "s3cret")
    _no_exception(at)
    script = " ".join(h.proto.body for h in at.get("html"))
    assert "crossview_access=" in script and "max-age" not in script  # a cookie for the browser session
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert at.text_input(key="access_password")
    assert "max-age=0" in " ".join(h.proto.body for h in at.get("html"))
