"""The background training (app.ui.training): it stores the model, reports progress, says why it stopped."""

from __future__ import annotations

import time
from pathlib import Path

from app.ui import training
from app.ui.background import Job
from core.model import store
from tests.core.test_model import synthetic_warehouse


def _wait(run: Job, limit_s: float = 300.0) -> None:
    # a bound on waiting, not a speed target
    deadline = time.monotonic() + limit_s
    while not run.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run.done


def test_background_training_stores_the_model(tmp_path: Path) -> None:
    db = tmp_path / "crossview.duckdb"
    synthetic_warehouse(db, seed=1, n_jobs=500).close()
    run = training.start(db)
    # a second start while the first runs is the same training
    assert training.start(db) is run and training.current(db) is run
    _wait(run)
    assert run.error is None and run.fraction == 1.0 and run.step == "Done"
    bundle = store.load(db)
    assert bundle is not None and not store.is_stale(db)


def test_background_training_says_why_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "crossview.duckdb"
    synthetic_warehouse(db, seed=0, n_jobs=40).close()
    run = training.start(db)
    _wait(run)
    assert run.error is not None and run.error.startswith("Not enough history to train the models")
    assert store.load(db) is None
    # once stopped, a new start is a new training
    again = training.start(db)
    assert again is not run
    _wait(again)
