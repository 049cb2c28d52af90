"""Training the models in the background: after every build, and from the Forecast page.

A build from the app starts a training of the new warehouse (`start`), so the Forecast page has its
forecast without anyone looking for a button; the page shows the progress (`panel`) and offers a
retrain. The training runs in a thread of the app's process (it only reads the warehouse, through
its own read-only connection, and writes `models/` beside it); its progress is kept here, per
warehouse file, for every session to see.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app.ui.background import Job, Jobs, Progress

# "0" turns the automatic trainings off (after a build, on a page without a model): the test suite
# sets it so that opening a page does not start a minute of training behind the test.
AUTO_ENV = "CROSSVIEW_TRAIN_IN_BACKGROUND"

TRAININGS = Jobs("crossview-training", "The training stopped", "Retrain to try again.")


def _key(db: Path) -> str:
    return str(Path(db).resolve())


def automatic() -> bool:
    """Whether trainings start by themselves (after a build, on a page without a model)."""
    return os.environ.get(AUTO_ENV, "1") != "0"


def current(db: Path) -> Job | None:
    """The last training started for warehouse `db` in this process, if any."""
    return TRAININGS.current(_key(db))


def start(db: Path) -> Job:
    """Train the models of warehouse `db` in the background, unless a training of it is running.

    Returns:
        The running training (the new one, or the one already under way).
    """
    key = _key(db)

    def work(progress: Progress) -> None:
        # imported in the thread: scikit-learn's import would otherwise hold up the page that starts it
        from core.model.train import train_and_save

        train_and_save(Path(key), progress=progress)

    return TRAININGS.start(key, work)


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
