"""A fresh server prepares the first page before its first visitor (`app/ui/startup.py`)."""

from __future__ import annotations

import functools
import importlib
import inspect
import threading
from pathlib import Path

import pytest

from app.ui import startup, state
from app.ui.filters import default_filters
from core.metrics.common import as_of, filter_options
from tests.app.conftest import assert_no_exception, last_12_months
from tests.app.test_overview import expected_metrics, shown_metrics

# Every module whose queries the sidebar, the Overview and its data-health lines call.
CORE_MODULES = ("core.metrics.common", "core.metrics.overview", "core.metrics.seasonality", "core.metrics.pipeline",
                "core.metrics.quality", "core.link", "core.link.review")


def count_core_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Wrap every query of CORE_MODULES (a core function taking the connection `con` first), wherever it is
    imported from, to note (thread, function) at each call."""
    calls: list[tuple[str, str]] = []
    wrappers = {}
    for module in map(importlib.import_module, CORE_MODULES):
        for name, real in inspect.getmembers(module, inspect.isfunction):
            if not real.__module__.startswith("core.") or next(iter(inspect.signature(real).parameters), "") != "con":
                continue
            if real not in wrappers:
                def wrapper(*args, _real=real, **kwargs):
                    calls.append((threading.current_thread().name, _real.__qualname__))
                    return _real(*args, **kwargs)

                wrappers[real] = functools.wraps(real)(wrapper)
            monkeypatch.setattr(module, name, wrappers[real])
    return calls


@pytest.mark.demo
def test_the_first_overview_run_after_prepare_queries_nothing(app, demo_con, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `prepare`, a new session's Overview finds every number it shows in the cache: it runs no core
    function itself (only the background warm-up of the other periods does), and shows core's figures."""
    calls = count_core_calls(monkeypatch)
    monkeypatch.setattr(state, "_WARMED", set())
    state._cached_call.clear()
    startup.prepare()
    assert {name for _, name in calls} >= {"headline", "monthly_activity", "quality_summary", "coverage"}
    calls.clear()

    at = app.run()
    assert_no_exception(at)
    if state._warming is not None:
        state._warming.join(timeout=120)
    assert [name for thread, name in calls if thread != "crossview-warm"] == []
    assert shown_metrics(at) == expected_metrics(demo_con, last_12_months(as_of(demo_con)))


@pytest.mark.demo
def test_without_prepare_the_first_run_queries_core(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counting above can fail: with an empty cache, the same run calls core itself."""
    calls = count_core_calls(monkeypatch)
    monkeypatch.setattr(state, "_WARMED", set())
    state._cached_call.clear()
    assert_no_exception(app.run())
    assert {"headline", "monthly_activity"} <= {name for thread, name in calls if thread != "crossview-warm"}


@pytest.mark.demo
def test_default_filters_are_a_new_sessions(demo_con) -> None:
    assert default_filters(filter_options(demo_con)["first_date"], as_of(demo_con)) == last_12_months(as_of(demo_con))


def test_prepare_without_a_warehouse_only_loads_the_libraries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a very first start there is no warehouse yet (the demo one is being built): nothing is opened or created."""
    missing = tmp_path / "none" / "crossview.duckdb"
    monkeypatch.setenv("CROSSVIEW_DB", str(missing))
    startup.prepare()
    assert not missing.parent.exists()


@pytest.mark.demo
def test_the_servers_warm_up_waits_for_one_under_way(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session's warm-up under way makes another one skip, but the server's start (`wait=True`) only waits."""
    from core.metrics import common

    monkeypatch.setenv("CROSSVIEW_DB", str(demo_db))
    monkeypatch.setattr(state, "_WARMED", set())
    state._cached_call.clear()
    if state._warming is not None:  # an earlier test's
        state._warming.join(timeout=120)
    release, computed = threading.Event(), []

    def slow(con) -> int:
        release.wait(30)
        return 1

    def counted(con) -> bool:
        computed.append("has_bo")
        return common.has_bo(con)

    slow.__qualname__ = "slow_for_this_test"
    counted.__qualname__ = "counted_for_this_test"
    assert state.warm([(slow, ())]) is not None
    assert state.warm([(counted, ())]) is None
    waiting = threading.Thread(target=lambda: state.warm([(counted, ())], wait=True).join())
    waiting.start()
    waiting.join(timeout=0.5)
    assert waiting.is_alive() and computed == []
    release.set()
    waiting.join(timeout=60)
    assert computed == ["has_bo"]
