"""Where the app's data comes from: the warehouse file, one cached connection, cached results, filters.

Every page reads the warehouse through `connection()` and runs core functions through
`cached(fn, filters, ...)`, so a rerun that changes nothing recomputes nothing, and a
rebuild (which swaps the warehouse file) invalidates every cached result at once. This is
the app's one cache of results, keyed by the warehouse file's version and the arguments:
core caches nothing (the facts analyses share are tables of the build).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from core.errors import WarehouseMissing
from core.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "warehouse" / "crossview.duckdb"
DB_ENV = "CROSSVIEW_DB"

T = TypeVar("T")

# Session-state keys of the global filters (the sidebar widgets own them).
PRESET_KEY = "flt_preset"
PERIOD_KEY = "flt_period"
TEAMS_KEY = "flt_teams"
SALES_KEY = "flt_sales"
ROLE_KEY = "flt_role"
JOB_TYPES_KEY = "flt_job_types"

PRESETS = ("Last 12 months", "This year", "Last quarter", "All time", "Custom")
DEFAULT_PRESET = "Last 12 months"


def warehouse_path() -> Path:
    """The warehouse file the app reads: `$CROSSVIEW_DB`, else data/warehouse/crossview.duckdb."""
    configured = os.environ.get(DB_ENV)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DB


def page_path(file: str) -> str:
    """The path of a page file for `st.page_link` / `st.switch_page`, e.g. `page_path("data.py")`.

    Pages live in pages/ at the repo root while the entry file is in app/, so a relative
    "pages/data.py" would be looked up under app/: links use this absolute path instead.
    """
    return str(ROOT / "pages" / file)


def warehouse_version() -> tuple[str, int, int] | None:
    """(path, mtime, size) of the warehouse file: changes whenever a rebuild swaps it in."""
    path = warehouse_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return str(path), stat.st_mtime_ns, stat.st_size


@dataclass
class _Held:
    """A warehouse connection with the context manager that owns it (closing one closes the other)."""

    manager: Any
    con: duckdb.DuckDBPyConnection
    catalog: str


# One read-only connection per warehouse version, shared by every session; a rebuild
# gives a new version, so the next run opens the new file (max_entries keeps the
# previous one alive for sessions still mid-run on it).
@st.cache_resource(max_entries=2, show_spinner=False)
def _base_connection(path: str, mtime_ns: int, size: int) -> _Held:
    from core.warehouse import connect

    manager = connect(Path(path))
    con = manager.__enter__()
    return _Held(manager, con, con.execute("SELECT current_database()").fetchone()[0])


def thread_cursor(version: tuple[str, int, int]) -> duckdb.DuckDBPyConnection:
    """A new cursor on the shared connection to warehouse `version`, for one thread."""
    held = _base_connection(*version)
    cursor = held.con.cursor()
    # The warehouse is attached under a catalog name; each cursor starts in the default one.
    cursor.execute('USE "' + held.catalog.replace('"', '""') + '"')
    return cursor


def connection() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current warehouse, for this session.

    DuckDB connections must not be shared between threads, and each browser session runs
    in its own thread: every session gets its own cursor on the shared database.

    Raises:
        WarehouseMissing: there is no warehouse file, or it cannot be opened.
    """
    version = warehouse_version()
    if version is None:
        raise WarehouseMissing(f"No warehouse at {warehouse_path()}. Build one on the Data page.")
    mine = st.session_state.get("_cv_con")
    if mine is not None and mine[0] == version:
        return mine[1]
    try:
        cursor = thread_cursor(version)
    except WarehouseMissing:
        raise
    except (duckdb.Error, OSError) as err:
        raise WarehouseMissing(
            f"The warehouse at {warehouse_path()} cannot be read ({type(err).__name__}). "
            "Rebuild it on the Data page."
        ) from err
    st.session_state["_cv_con"] = (version, cursor)
    return cursor


@st.cache_data(max_entries=1024, show_spinner=False)
def _cached_call(name: str, version: tuple[str, int, int] | None, signature: str,
                 _fn: Callable[..., Any], _args: tuple, _kwargs: dict,
                 _con: duckdb.DuckDBPyConnection | None = None) -> Any:
    # `name`, `version` and `signature` are the cache key; the underscored arguments are
    # not hashed (a connection cannot be, and `signature` already stands for the values).
    # `_con` is the connection of a thread outside any session (`warm`).
    return _fn(_con if _con is not None else connection(), *_args, **_kwargs)


_KEYABLE = (str, int, float, bool, type(None), date, Filters)


def _key(value: Any) -> str:
    """A faithful text key for an argument: only values whose repr says everything about them."""
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}({','.join(_key(v) for v in value)})"
    if isinstance(value, _KEYABLE):
        return repr(value)
    raise TypeError(f"cached() takes filters, text, numbers and dates as arguments, not {type(value).__name__}")


def _call_key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[str, str]:
    """The cache key of `fn(*args, **kwargs)`: the function's qualified name, and its arguments' text."""
    return f"{fn.__module__}.{fn.__qualname__}", _key(args) + _key(sorted(kwargs.items()))


def cached(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(connection(), *args, **kwargs)`, cached until the arguments or the warehouse change.

    The key is the function's qualified name, the repr of the arguments (filters included)
    and the warehouse file's version, so a rebuild invalidates every cached result.

    Example: `cached(monthly_activity, current_filters())`.
    """
    name, signature = _call_key(fn, args, kwargs)
    return _cached_call(name, warehouse_version(), signature, fn, args, kwargs)


_WARM_LOCK = threading.Lock()
_WARMED: set[tuple[object, ...]] = set()
_warming: threading.Thread | None = None
_log = logging.getLogger(__name__)


def warm(calls: Iterable[tuple[Callable[..., Any], tuple]], wait: bool = False) -> threading.Thread | None:
    """Compute `cached(fn, *args)` for each `(fn, args)` in a thread of the app's process, so that a
    session asking for them later reads them from the cache.

    Each call is computed once per warehouse version; while a warm-up is under way, a new one is not
    started (nor remembered), so the background work never piles up behind the sessions' own runs;
    with `wait`, the new one starts once that one is over instead (the server's start, `startup`).

    Returns:
        The thread started, or None when there was nothing to do.
    """
    version = warehouse_version()
    if version is None:
        return None
    while True:
        with _WARM_LOCK:
            busy = _warming if _warming is not None and _warming.is_alive() else None
            if busy is None:
                return _start_warming(version, calls)
        if not wait:
            return None
        busy.join()


def _start_warming(version: tuple[str, int, int],
                   calls: Iterable[tuple[Callable[..., Any], tuple]]) -> threading.Thread | None:
    """`warm`'s thread for the calls not yet warmed on `version`; called holding `_WARM_LOCK`."""
    global _warming
    todo = []
    for fn, args in calls:
        name, signature = _call_key(fn, args, {})
        if (version, name, signature) not in _WARMED:
            _WARMED.add((version, name, signature))
            todo.append((name, signature, fn, args))
    if not todo:
        return None
    cursor = thread_cursor(version)

    def work() -> None:
        try:
            for name, signature, fn, args in todo:
                _cached_call(name, version, signature, fn, args, {}, cursor)
        except Exception:  # noqa: BLE001 — a warm-up only saves time: the page computes and reports on its own
            _log.warning("Warming the cache stopped", exc_info=True)
        finally:
            cursor.close()

    _warming = threading.Thread(target=work, name="crossview-warm", daemon=True)
    _warming.start()
    return _warming


def clear_caches() -> None:
    """Forget every cached result and this session's connection (after a rebuild)."""
    _cached_call.clear()
    st.session_state.pop("_cv_con", None)


# --- filters --------------------------------------------------------------------------------------


def _period() -> tuple[date | None, date | None]:
    if st.session_state.get(PRESET_KEY, DEFAULT_PRESET) == "All time":
        return None, None
    value = st.session_state.get(PERIOD_KEY)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, date) for v in value):
        return value[0], value[1]
    if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], date):
        # A range being picked (first day only): use it as an open-ended start.
        return value[0], None
    return None, None


def current_filters() -> Filters:
    """The global filters as set in the sidebar (all data when nothing is set yet)."""
    date_from, date_to = _period()
    role = st.session_state.get(ROLE_KEY, "sales")
    return Filters(
        date_from=date_from,
        date_to=date_to,
        teams=tuple(st.session_state.get(TEAMS_KEY) or ()),
        sales=tuple(st.session_state.get(SALES_KEY) or ()),
        job_types=tuple(st.session_state.get(JOB_TYPES_KEY) or ()),
        staff_role=role if role in ("sales", "coach") else "sales",
    )
