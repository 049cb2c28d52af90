"""AppTest fixtures: the app run from its entry file against the demo warehouse (or a copy to write to)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from core.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "app" / "main.py")
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _full_errors() -> Iterator[None]:
    # The app hides error details from users (.streamlit/config.toml); tests want them.
    before = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "full")
    yield
    st_config.set_option("client.showErrorDetails", before)


@pytest.fixture(autouse=True)
def _english_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The app defaults to French numbers; these tests state their expectations in English
    # (test_main checks the French default itself).
    monkeypatch.setenv("CROSSVIEW_LOCALE", "en")


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("CROSSVIEW_UPLOADS", str(folder))
    return folder


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch, uploads: Path) -> Callable[[Path], AppTest]:
    """An AppTest of the entry file reading the warehouse at `db`."""

    def make(db: Path) -> AppTest:
        monkeypatch.setenv("CROSSVIEW_DB", str(db))
        # no minute of model training behind every page opened (tests/app/test_forecast.py turns it on)
        monkeypatch.setenv("CROSSVIEW_TRAIN_IN_BACKGROUND", "0")
        return AppTest.from_file(ENTRY, default_timeout=TIMEOUT)

    return make


@pytest.fixture
def app(make_app: Callable[[Path], AppTest], demo_db: Path) -> AppTest:
    """The app on the (shared, read-only) demo warehouse."""
    return make_app(demo_db)


def _copy(db: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    target = folder / db.name
    shutil.copy2(db, target)
    return target


@pytest.fixture
def writable_db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo warehouse, for tests that rebuild or record decisions."""
    return _copy(demo_db, tmp_path)


@pytest.fixture
def writable_crm_db(crm_only_db: Path, tmp_path: Path) -> Path:
    """A private copy of the small CRM-only warehouse, for upload and rebuild tests."""
    return _copy(crm_only_db, tmp_path)


GENERIC_CRM = (
    "opportunity_id,product,account,close_value,deal_stage,sales_agent,engage_date,close_date\r\n"
    "1001,GTX Basic,Acme,12000,Won,Ann Lee,2026-01-05,2026-02-01\r\n"
    "1002,GTX Pro,Globex,,Engaging,Bob Roy,2026-02-10,\r\n"
    "1003,GTX Basic,Initech,8000,Lost,Ann Lee,2026-03-01,2026-03-20\r\n"
    "1004,MG Special,Acme,,Prospecting,Bob Roy,2026-04-02,\r\n"
)
GENERIC_MAPPING = {
    "crm": {"deal_id": "opportunity_id", "deal_name": "product", "company": "account", "amount": "close_value",
            "stage": "deal_stage", "owner": "sales_agent", "created_at": "engage_date", "closed_at": "close_date"},
    "stages": {"Engaging": "open", "Prospecting": "open"},
}


@pytest.fixture(scope="session")
def crm_only_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built from a four-deal CRM export in a generic layout, with its mapping, and no BO."""
    import json

    from core.warehouse import build

    folder = tmp_path_factory.mktemp("crm_only")
    crm = folder / "opportunities.csv"
    crm.write_text(GENERIC_CRM, encoding="utf-8")
    mapping = folder / "mapping.json"
    mapping.write_text(json.dumps(GENERIC_MAPPING), encoding="utf-8")
    db = folder / "warehouse" / "crossview.duckdb"
    build(crm=crm, bo=None, db=db, mapping=mapping)
    return db


def last_12_months(as_of: date) -> Filters:
    """The app's default period, written out independently of the app's code."""
    try:
        start = as_of.replace(year=as_of.year - 1)
    except ValueError:
        start = as_of.replace(year=as_of.year - 1, day=28)
    return Filters(date_from=start + timedelta(days=1), date_to=as_of)


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
