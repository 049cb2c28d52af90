"""Where trained models live (beside the warehouse, in `models/`) and whether they are still current.

The bundle is stored with joblib, scikit-learn's recommended persistence for its estimators;
a pickle is only safe to load with the library versions that wrote it, so the versions are
stored with it and a bundle written by other versions is treated as absent (retrain).
The model card is also written as plain JSON, readable without unpickling anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import joblib
import numpy as np
import pandas as pd
import sklearn

# Tables the features and targets read: a change in any of them makes the model stale.
TRAINING_TABLES = ("jobs", "clients", "staff", "pipeline_events", "placements")

# The bundle's layout (models, rules and verdicts); a bundle of another layout is retrained.
BUNDLE_FORMAT = 2
BUNDLE_FILE = "model.joblib"
CARD_FILE = "card.json"


def models_dir(db: Path) -> Path:
    """The folder holding the models trained on warehouse `db`: `<db dir>/models/`."""
    return Path(db).parent / "models"


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose objects are pickled in the bundle."""
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "duckdb": duckdb.__version__,
    }


def warehouse_checksum(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of the training tables' content (row counts and an order-free sum of row hashes).

    Args:
        con: a DuckDB connection to the warehouse.

    Returns:
        A hex SHA-256 digest; equal digests mean the tables hold the same rows.
    """
    parts = []
    for table in TRAINING_TABLES:
        # table names come from the fixed tuple above
        count, total = con.execute(
            f'SELECT COUNT(*), COALESCE(SUM(hash(t)), 0) FROM "{table}" AS t'
        ).fetchall()[0]
        parts.append(f"{table}:{count}:{total}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def save(db: Path, bundle: dict[str, Any]) -> Path:
    """Write the bundle and its card beside warehouse `db` (atomically: temp file then rename).

    Args:
        db: the warehouse file the models were trained on.
        bundle: dict with at least `card` (JSON-serialisable dict).

    Returns:
        The folder written to.
    """
    folder = models_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (BUNDLE_FILE + ".tmp")
    joblib.dump(bundle, tmp)
    os.replace(tmp, folder / BUNDLE_FILE)
    tmp = folder / (CARD_FILE + ".tmp")
    tmp.write_text(json.dumps(bundle["card"], indent=2, default=str), encoding="utf-8")
    os.replace(tmp, folder / CARD_FILE)
    return folder


def read_card(db: Path) -> dict[str, Any] | None:
    """The stored model card of warehouse `db`, or None when no model was trained."""
    path = models_dir(db) / CARD_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load(db: Path) -> dict[str, Any] | None:
    """The trained model bundle of warehouse `db`, or None when there is none usable.

    A bundle written with other library versions or in another layout (`BUNDLE_FORMAT`), or
    unreadable, counts as none: the caller retrains rather than risk wrong predictions from an
    incompatible pickle.

    Returns:
        dict with `fee_model`, `fill_model`, `stage_model`, `rules`, `use` (which of each model or
        rule the predictions use), `reference` (explanation baseline row), `card`.
    """
    path = models_dir(db) / BUNDLE_FILE
    card = read_card(db)
    if (
        not path.exists()
        or card is None
        or card.get("versions") != library_versions()
        or card.get("format") != BUNDLE_FORMAT
    ):
        return None
    try:
        return joblib.load(path)
    except Exception:  # noqa: BLE001 — any unreadable pickle is the same as no model: retrain
        return None


def is_stale(db: Path) -> bool:
    """True when there is no model for `db`, or the warehouse changed since it was trained."""
    from core.warehouse import connect

    card = read_card(db)
    if card is None:
        return True
    with connect(Path(db)) as con:
        return warehouse_checksum(con) != card.get("checksum")
