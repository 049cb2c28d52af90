"""Shared fixtures: the committed demo exports and a warehouse built from them once per run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def demo_truth() -> dict:
    """What the generator planted in the committed demo data (never read by the build)."""
    return json.loads((DEMO / "truth" / "patterns.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse, built once per test run from data/demo."""
    from core.warehouse import build

    db = tmp_path_factory.mktemp("demo") / "crossview.duckdb"
    build(crm=DEMO / "crm" / "hubspot_deals.csv", bo=DEMO / "bo", db=db)
    return db


@pytest.fixture
def demo_con(demo_db: Path):
    from core.warehouse import connect

    with connect(demo_db) as con:
        yield con
