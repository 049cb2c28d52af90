"""Training the models in the background: after every build, and from the Forecast page.

A build from the app starts a training of the new warehouse (`start`), so the Forecast page has its
forecast without anyone looking for a button; the page shows the progress (`panel`) and offers a
retrain. The training runs in a thread of the app's process (it only reads the warehouse, through
its own read-only connection, and writes `models/` beside it); its progress is kept here, per
warehouse file, for every session to see.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core.errors import UserError


@dataclass
class Run:
    """One training of one warehouse file: where it is, and how it ended."""

    db: str
    step: str = "Starting"
    fraction: float = 0.0
    error: str | None = None
    done: bool = False


# "0" turns the automatic trainings off (after a build, on a page without a model): the test suite
# sets it so that opening a page does not start a minute of training behind the test.
AUTO_ENV = "CROSSVIEW_TRAIN_IN_BACKGROUND"

_LOCK = threading.Lock()
_RUNS: dict[str, Run] = {}


def _key(db: Path) -> str:
    return str(Path(db).resolve())


def automatic() -> bool:
    """Whether trainings start by themselves (after a build, on a page without a model)."""
    return os.environ.get(AUTO_ENV, "1") != "0"


def current(db: Path) -> Run | None:
    """The last training started for warehouse `db` in this process, if any."""
    with _LOCK:
        return _RUNS.get(_key(db))


def _work(run: Run) -> None:
    from core.model.train import train_and_save

    def progress(step: str, fraction: float) -> None:
        run.step, run.fraction = step, min(max(float(fraction), 0.0), 1.0)

    try:
        train_and_save(Path(run.db), progress=progress)
    except UserError as err:
        run.error = str(err)
    except Exception as err:  # noqa: BLE001 — a thread's failure must reach the page, not vanish
        run.error = f"The training stopped ({type(err).__name__}: {str(err)[:200]}). Retrain to try again."
    finally:
        run.done = True


def start(db: Path) -> Run:
    """Train the models of warehouse `db` in the background, unless a training of it is running.

    Returns:
        The running training (the new one, or the one already under way).
    """
    key = _key(db)
    with _LOCK:
        running = _RUNS.get(key)
        if running is not None and not running.done:
            return running
        run = _RUNS[key] = Run(key)
    threading.Thread(target=_work, args=(run,), name="crossview-training", daemon=True).start()
    return run


@st.fragment(run_every=2)
def _progress(db: str) -> None:
    # Polls the background training every 2 s; when it ends, the whole page reruns to load the model.
    run = current(Path(db))
    if run is None:
        return
    if run.done:
        if run.error is None:
            st.rerun()
        return
    st.progress(run.fraction, text=f"Training the models in the background: {run.step}…")


def panel(db: Path, has_model: bool, stale: bool) -> None:
    """The training state on the Forecast page: progress, the error of the last run, a (re)train button.

    Without a model and no training yet (a warehouse built outside the app), training starts here.
    """
    run = current(db)
    if run is None and not has_model and automatic():
        run = start(db)
    if run is not None and not run.done:
        _progress(str(db))
        return
    if run is not None and run.error:
        st.error(run.error, icon=":material/error:")
    if stale:
        st.warning("The warehouse changed since the models were trained.", icon=":material/update:")
    label = "Retrain the models" if has_model else "Train the models"
    if st.button(label, type="primary" if stale or not has_model else "secondary", key="forecast_train",
                 icon=":material/model_training:"):
        start(db)
        st.rerun()
