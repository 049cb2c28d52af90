"""Crossview's server: `streamlit run app/serve.py` serves the app (`app/main.py`, each session's script).

On a fresh start the first page run used to begin by importing what it needs (pandas, DuckDB,
Plotly, the app's modules: some 0.7 s on 2 cores) only once the first browser had loaded Streamlit's
scripts and connected. Here they are imported in a thread as soon as the server starts, while that
browser is still loading the page, so the first page is drawn sooner (`docs/benchmarks.md`).
`st.App` is Streamlit's entry for work at server start (its `lifespan`); it serves the same
sessions, settings and secrets as `streamlit run app/main.py`, which still works.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

# `streamlit run app/serve.py` puts only app/ on sys.path; the product lives at the repo root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# The entry file's modules and the Overview's (the page a first visit opens).
PRELOADED = ("app.main", "app.ui.health", "core.metrics.overview", "core.metrics.seasonality")


def _preload() -> None:
    for name in PRELOADED:
        importlib.import_module(name)


@asynccontextmanager
async def _lifespan(_: st.App) -> AsyncIterator[None]:
    threading.Thread(target=_preload, name="crossview-preload", daemon=True).start()
    yield


app = st.App(str(ROOT / "app" / "main.py"), lifespan=_lifespan)
