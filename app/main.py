"""Crossview's entry point: page setup, access, the warehouse, the sidebar filters, the pages."""

from __future__ import annotations

import cProfile
import json
import os
import sys
import time
from pathlib import Path

# `streamlit run app/main.py` puts only app/ on sys.path; the product lives at the repo root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb
import streamlit as st

from app.access import gate
from app.ui.build import BuildInputs, follow_first_build, is_demo, last_inputs, run_build, start_first_build
from app.ui.filters import sidebar_filters
from app.ui.state import connection, warehouse_path
from app.ui.widgets import locale_selector
from core.errors import UserError, WarehouseMissing
from core.warehouse import OUTDATED

# The browser tab's icon, served by the app: a Material icon would be fetched from Google's servers,
# which an offline installation cannot reach.
FAVICON = ROOT / "app" / "ui" / "assets" / "favicon.svg"

# (file under pages/, title, icon), grouped as in the sidebar.
PAGES: dict[str, list[tuple[str, str, str]]] = {
    "": [("overview.py", "Overview", ":material/dashboard:")],
    "Clients": [
        ("clients.py", "Clients", ":material/apartment:"),
        ("time_wasters.py", "Time wasters", ":material/hourglass_bottom:"),
        ("typology.py", "Typology", ":material/bubble_chart:"),
        ("churn.py", "Churn & lifetime value", ":material/trending_down:"),
    ],
    "Sales activity": [
        ("seasonality.py", "Seasonality", ":material/calendar_month:"),
        ("funnel.py", "Funnel", ":material/filter_alt:"),
        ("pipeline.py", "CRM pipeline", ":material/view_kanban:"),
        ("forecast.py", "Forecast & objectives", ":material/insights:"),
    ],
    "Data": [("data.py", "Data & linking", ":material/database:")],
}


def _navigation() -> st.Page:
    # Pages are given by absolute path: the entry file is in app/, the pages are at the repo root.
    groups = {
        group: [st.Page(str(ROOT / "pages" / file), title=title, icon=icon, default=file == "overview.py")
                for file, title, icon in pages]
        for group, pages in PAGES.items()
    }
    return st.navigation(groups, expanded=True)


def _warehouse_problem() -> str | None:
    """What is wrong with the warehouse file, in detail; None when it can be used."""
    if not warehouse_path().exists():
        return f"No warehouse file at {warehouse_path()}."
    try:
        con = connection()
        con.execute("SELECT COUNT(*) FROM build_log").fetchone()
    except WarehouseMissing as err:
        return str(err)
    except duckdb.Error as err:
        return f"{warehouse_path()}: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    return None


def _first_run() -> None:
    """No warehouse yet: build one from the demo exports, in the background, so the app has something to show."""
    st.title("Welcome to Crossview")
    st.write("There is no warehouse yet, so Crossview is building one from the bundled demo exports (about "
             "half a minute). Every page opens as soon as it is built; you can upload your own CRM and "
             "back-office exports on the Data page afterwards.")
    start_first_build(BuildInputs.demo_data())
    follow_first_build()


def _offer_rebuild(detail: str) -> None:
    """The warehouse was there and is gone or damaged: say so, offer to rebuild, show no traceback."""
    st.title("The data needs rebuilding")
    if OUTDATED in detail:
        st.error("The warehouse was built by an older version of Crossview and lacks the figures this version "
                 "reads. Rebuild it: the exports it is built from are not affected.", icon=":material/update:")
    elif warehouse_path().exists():
        st.error("The warehouse file is damaged or is not a Crossview warehouse. Rebuild it: the exports it "
                 "is built from are not affected.", icon=":material/database_off:")
    else:
        st.error("The warehouse file is missing: it was deleted or moved. Rebuild it from the exports.",
                 icon=":material/database_off:")
    with st.expander("Details"):
        st.code(detail, language=None)
    previous = last_inputs()
    if (previous and not previous.demo and st.button("Rebuild from the last uploaded files", type="primary")
            and run_build(previous, label="Rebuilding the warehouse")):
        st.rerun()
    if (st.button("Rebuild from the demo data", type="primary" if not previous or previous.demo else "secondary")
            and run_build(BuildInputs.demo_data(), label="Rebuilding the demo warehouse")):
        st.rerun()


# When set, every script run appends `{"page", "seconds", "cpu_seconds", "at"}` as one JSON line to this
# file: the server-side time of each rerun and the CPU time of its thread (a run far longer than its CPU
# waited: for the cores, a lock or a cached value another session computes), read by
# benchmarks/browser_bench.py.
RERUN_LOG_ENV = "CROSSVIEW_RERUN_LOG"
# When set, every script run is profiled (cProfile) into `<folder>/<page>-<n>.prof`: script runs
# happen on Streamlit's worker threads, which a profiler of the whole process does not follow.
PROFILE_ENV = "CROSSVIEW_PROFILE"


def _log_rerun(path: str, page: str, started: float, cpu_started: float) -> None:
    line = json.dumps({"page": page, "seconds": round(time.perf_counter() - started, 4),
                       "cpu_seconds": round(time.thread_time() - cpu_started, 4), "at": time.time()})
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def run() -> None:
    log, profile = os.environ.get(RERUN_LOG_ENV), os.environ.get(PROFILE_ENV)
    started, cpu_started, drawn = time.perf_counter(), time.thread_time(), {"page": "(none)"}
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    try:
        _run(drawn)
    finally:
        if profiler:
            profiler.disable()
            folder = Path(profile)  # type: ignore[arg-type]
            folder.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(folder / f"{drawn['page']}-{time.time_ns()}.prof".replace(" ", "_").replace("&", "and"))
        if log:
            _log_rerun(log, drawn["page"], started, cpu_started)


def _run(drawn: dict[str, str]) -> None:
    """One script run; notes the title of the page it draws in `drawn`."""
    st.set_page_config(page_title="Crossview", page_icon=str(FAVICON), layout="wide")
    if not gate():
        st.stop()

    problem = _warehouse_problem()
    if problem is not None:
        if not warehouse_path().exists() and last_inputs() is None:
            _first_run()
        else:
            _offer_rebuild(problem)
        st.stop()

    if is_demo():
        st.sidebar.info("Showing demo data. Upload your exports on the Data page.", icon=":material/science:")
    sidebar_filters()
    locale_selector()
    page = _navigation()
    drawn["page"] = page.title
    try:
        page.run()
    except WarehouseMissing as err:
        _offer_rebuild(str(err))
    except UserError as err:
        st.error(str(err), icon=":material/error:")
    except (duckdb.IOException, duckdb.SerializationException) as err:
        _offer_rebuild(f"{warehouse_path()}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")


if __name__ == "__main__":
    run()
