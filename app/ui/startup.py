"""What a fresh server does before its first visitor, so that the first page is drawn sooner.

A new server's first run of the Overview took 0.65–1.1 s on 2 cores, most of it work done once per
process (profile in `docs/benchmarks.md`): importing pandas, DuckDB, Plotly and the app's modules;
Streamlit's emoji table (a large regular expression, compiled when the first widget with a
`format_func` is drawn) and its one-time check for an interactive shell (a walk through the source of
every frame); Plotly's first figure; opening the warehouse; the Overview's numbers for the default
filters. `prepare` does all of it as soon as the server starts (`app/serve.py`), while the first
browser is still loading Streamlit's scripts; the first run then finds it done.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any

# The entry file's modules and the Overview's (the page a first visit opens).
PRELOADED = ("app.main", "app.ui.health", "core.metrics.overview", "core.metrics.seasonality",
             "core.metrics.headlines", "core.metrics.pipeline", "core.metrics.quality", "core.link.review")

_log = logging.getLogger(__name__)


def _streamlit() -> None:
    """Fill Streamlit's first-use caches, in the order a first run meets them (the sidebar's widgets first)."""
    from streamlit import delta_generator, string_util

    string_util.extract_leading_emoji("Sales")
    delta_generator._maybe_print_use_warning()  # once per process; see the module's docstring


def _libraries() -> None:
    """Import the first page's modules, draw Plotly's first figure (its validators load on first use) and
    compress the charts' script for its first download (`app/ui/chart_bundle.py`)."""
    for name in PRELOADED:
        importlib.import_module(name)
    import plotly.graph_objects as go

    from app.ui import chart_bundle, charts

    figure = go.Figure(go.Bar(x=["a"], y=[1], marker_color="#1B3A6B", hovertemplate="%{y}"))
    figure.update_layout(title={"text": "a", "x": 0}, legend={"orientation": "h"}, hoverlabel={"namelength": -1})
    charts.figure_json(figure, {})
    chart_bundle.bundle_bytes("gzip")


def overview_calls(con: Any) -> list[tuple[Callable[..., Any], tuple]]:
    """The cached core calls of a new session's first Overview run, with the default filters: the
    sidebar's, the Overview's and its data-health lines' (`app/ui/health.py`), as the data on `con` has them."""
    from app.ui.filters import default_filters
    from core.link import coverage
    from core.link.review import link_count
    from core.metrics import common, overview, pipeline, quality, seasonality

    f = default_filters(common.filter_options(con)["first_date"], common.as_of(con))
    bo, crm = common.has_bo(con), common.has_crm(con)
    calls: list[tuple[Callable[..., Any], tuple]] = [
        (common.filter_options, ()), (common.as_of, ()), (common.has_bo, ()), (common.has_crm, ())]
    if bo:
        calls += [(overview.headline, (f,)), (seasonality.monthly_activity, (f,))]
    elif crm:
        calls.append((pipeline.crm_headline, (f,)))
    calls += [(quality.quality_summary, ()), (quality.issues_by_rule, ())]
    if bo and crm:
        calls += [(coverage, ()), (link_count, ("review", "client"))]
    return calls


def prepare() -> None:
    """Do the first run's once-per-process work, then compute the Overview's default numbers into the
    cache (when there is a warehouse: on a very first start the demo one is still to be built).
    Each step only saves time: a failure is logged, and the page computes and reports on its own."""
    from app.ui.state import thread_cursor, warehouse_version, warm

    try:
        _streamlit()
        _libraries()
        version = warehouse_version()
        if version is None:
            return
        with closing(thread_cursor(version)) as con:
            calls = overview_calls(con)
        thread = warm(calls, wait=True)
        if thread is not None:
            thread.join()
    except Exception:  # noqa: BLE001 — see the docstring
        _log.warning("Preparing the first page stopped", exc_info=True)


def start() -> threading.Thread:
    """`prepare` in a thread of its own; returns it."""
    thread = threading.Thread(target=prepare, name="crossview-prepare", daemon=True)
    thread.start()
    return thread
