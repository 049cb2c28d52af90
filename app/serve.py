"""Crossview's server: `streamlit run app/serve.py` serves the app (`app/main.py`, each session's script).

On a fresh start the first page run used to do, once the first browser had loaded Streamlit's scripts
and connected, the work a new process does once: imports, Streamlit's and Plotly's first-use caches,
opening the warehouse, the Overview's numbers (`app/ui/startup.py`). Here that work starts with the
server, while that browser is still loading the page, so the first page is drawn sooner
(`docs/benchmarks.md`). `st.App` is Streamlit's entry for work at server start (its `lifespan`) and for
routes of its own: here the Plotly the charts are drawn with (`app/ui/charts.py`). It serves the same
sessions, settings and secrets as `streamlit run app/main.py`, which shows the pages but not their charts.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

# `streamlit run app/serve.py` puts only app/ on sys.path; the product lives at the repo root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.ui import chart_bundle, startup


@asynccontextmanager
async def _lifespan(_: st.App) -> AsyncIterator[None]:
    startup.start()
    yield


app = st.App(str(ROOT / "app" / "main.py"), lifespan=_lifespan, routes=[chart_bundle.bundle_route()],
             middleware=[Middleware(chart_bundle.PreloadCharts)])
