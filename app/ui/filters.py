"""The sidebar's global filters: period with presets, teams, people, sales vs coach, job types.

They live in `st.session_state` (keys `flt_*`), so they survive page changes, and are
mirrored to the URL (`st.query_params`), so a link reproduces the view. Presets are
relative to the data's as-of date, never to the calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.state import (
    DEFAULT_PRESET,
    JOB_TYPES_KEY,
    PERIOD_KEY,
    PRESET_KEY,
    PRESETS,
    ROLE_KEY,
    SALES_KEY,
    TEAMS_KEY,
    cached,
    current_filters,
    warm,
)
from app.ui.widgets import current_locale
from core.filters import Filters
from core.formats import day

# URL parameter of each filter (short, readable in a shared link).
URL = {PRESET_KEY: "period", TEAMS_KEY: "team", SALES_KEY: "person", ROLE_KEY: "role", JOB_TYPES_KEY: "job_type"}
ROLE_LABELS = {"sales": "Sales", "coach": "Coach"}
_INIT_KEY = "_flt_initialised"
_BOUNDS_KEY = "_flt_data_bounds"  # the data's (first date, as-of date) the filters were last fitted to
_NOTICE_KEY = "_flt_notice"


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def preset_range(preset: str, as_of: date, first: date | None) -> tuple[date, date]:
    """The period a preset stands for, relative to the data's as-of date.

    - This year: 1 January of the as-of year to the as-of date.
    - Last 12 months: the 12 months ending on the as-of date (both days included).
    - Last quarter: the latest calendar quarter that has ended on or before the as-of date.
    - All time (and Custom, as a starting point): the first dated record to the as-of date.

    A period is never widened beyond the data: it starts no earlier than `first`.
    """
    start, end = (first or as_of), as_of
    if preset == "This year":
        start = date(as_of.year, 1, 1)
    elif preset == "Last 12 months":
        start = _years_back(as_of, 1) + timedelta(days=1)
    elif preset == "Last quarter":
        next_day = as_of + timedelta(days=1)
        # The quarter containing as_of counts only if as_of is its last day.
        q_start = date(next_day.year, 3 * ((next_day.month - 1) // 3) + 1, 1)
        end = q_start - timedelta(days=1)
        start = date(end.year, end.month - 2, 1)
    if first is not None:
        start = max(start, first)
        end = max(end, start)
    return start, end


def preset_filters(f: Filters, preset: str, as_of: date, first: date | None) -> Filters:
    """`f` over the period of `preset`, as choosing it in the sidebar sets it (All time: no bounds)."""
    if preset == "All time":
        return replace(f, date_from=None, date_to=None)
    start, end = preset_range(preset, as_of, first)
    return replace(f, date_from=start, date_to=end)


def default_filters(first: date | None, as_of: date | None) -> Filters:
    """The filters of a new session opened without any in its link: the default preset's period,
    everyone, the salesperson's view (as `sidebar_filters` sets them on a session's first run)."""
    return preset_filters(Filters(), DEFAULT_PRESET, as_of or date.today(), first)


def warm_other_periods(*fns: Callable[[Any, Filters], Any]) -> None:
    """Compute each of `fns` for the current filters over every other preset period, in the background:
    the period is the filter managers change most, and its answer then comes from the cache.
    Called after `sidebar_filters`, which notes the data's dates this run."""
    first, as_of = st.session_state[_BOUNDS_KEY]
    f, chosen = current_filters(), st.session_state.get(PRESET_KEY, DEFAULT_PRESET)
    warm([(fn, (preset_filters(f, preset, as_of, first),))
          for preset in PRESETS if preset not in (chosen, "Custom") for fn in fns])


def _from_url(options: dict, as_of: date) -> None:
    """On a session's first run, take the filters from the URL (invalid values are ignored)."""
    params = st.query_params
    staff: pd.DataFrame = options["staff"]
    preset = params.get(URL[PRESET_KEY], DEFAULT_PRESET)
    st.session_state[PRESET_KEY] = preset if preset in PRESETS else DEFAULT_PRESET
    period = preset_range(st.session_state[PRESET_KEY], as_of, options["first_date"])
    if st.session_state[PRESET_KEY] == "Custom":
        try:
            start, end = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
            if start > end:
                st.session_state[_NOTICE_KEY] = (f"The link's period ends ({end:%d/%m/%Y}) before it starts "
                                                 f"({start:%d/%m/%Y}): showing {DEFAULT_PRESET.lower()} instead.")
                raise ValueError("period ends before it starts")
            low = options["first_date"] or start
            period = (min(max(start, low), as_of), min(max(end, low), as_of))
        except ValueError:
            st.session_state[PRESET_KEY] = DEFAULT_PRESET
            period = preset_range(DEFAULT_PRESET, as_of, options["first_date"])
    st.session_state[PERIOD_KEY] = period
    role = params.get(URL[ROLE_KEY], "sales")
    st.session_state[ROLE_KEY] = role if role in ROLE_LABELS else "sales"
    st.session_state[TEAMS_KEY] = [t for t in params.get_all(URL[TEAMS_KEY]) if t in options["teams"]]
    known_ids = set(staff["staff_id"])
    st.session_state[SALES_KEY] = [s for s in params.get_all(URL[SALES_KEY]) if s in known_ids]
    st.session_state[JOB_TYPES_KEY] = [j for j in params.get_all(URL[JOB_TYPES_KEY]) if j in options["job_types"]]


def _to_url() -> None:
    """Write the filters that differ from the defaults into the URL."""
    state = st.session_state
    params: dict[str, str | list[str]] = {}
    if state.get(PRESET_KEY, DEFAULT_PRESET) != DEFAULT_PRESET:
        params[URL[PRESET_KEY]] = state[PRESET_KEY]
    f = current_filters()
    if state.get(PRESET_KEY) == "Custom" and f.date_from and f.date_to:
        params["from"], params["to"] = f.date_from.isoformat(), f.date_to.isoformat()
    if f.staff_role != "sales":
        params[URL[ROLE_KEY]] = f.staff_role
    for key, values in ((TEAMS_KEY, f.teams), (SALES_KEY, f.sales), (JOB_TYPES_KEY, f.job_types)):
        if values:
            params[URL[key]] = list(values)
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    shown = {k: st.query_params.get_all(k) for k in st.query_params}
    if shown != wanted:
        st.query_params.from_dict(params)


def _on_preset(as_of: date, first: date | None) -> None:
    preset = st.session_state[PRESET_KEY]
    if preset != "Custom":
        st.session_state[PERIOD_KEY] = preset_range(preset, as_of, first)


def _on_period() -> None:
    st.session_state[PRESET_KEY] = "Custom"


def _reset(as_of: date, first: date | None) -> None:
    st.session_state[PRESET_KEY] = DEFAULT_PRESET
    st.session_state[PERIOD_KEY] = preset_range(DEFAULT_PRESET, as_of, first)
    st.session_state[ROLE_KEY] = "sales"
    for key in (TEAMS_KEY, SALES_KEY, JOB_TYPES_KEY):
        st.session_state[key] = []


def _fit_to_data(options: dict, as_of: date, first: date | None) -> None:
    """After a rebuild (here or in another session), filters the new data no longer covers are reset.

    A preset's period follows the new as-of date silently (presets are relative to it); a custom
    period outside the new dates, and teams, people or job types that are gone, are reset with a notice.
    """
    state = st.session_state
    if state.get(_BOUNDS_KEY) == (first, as_of):
        return
    rebuilt = _BOUNDS_KEY in state
    state[_BOUNDS_KEY] = (first, as_of)
    reset = []
    if state.get(PRESET_KEY) not in PRESETS:
        state[PRESET_KEY] = DEFAULT_PRESET
    period = state.get(PERIOD_KEY)
    days = [d for d in period if isinstance(d, date)] if isinstance(period, (tuple, list)) else []
    if state[PRESET_KEY] != "Custom":
        state[PERIOD_KEY] = preset_range(state[PRESET_KEY], as_of, first)
    elif not days or any(d > as_of or (first is not None and d < first) for d in days):
        state[PRESET_KEY] = DEFAULT_PRESET
        state[PERIOD_KEY] = preset_range(DEFAULT_PRESET, as_of, first)
        reset.append("period")
    known = {TEAMS_KEY: set(options["teams"]), SALES_KEY: set(options["staff"]["staff_id"]),
             JOB_TYPES_KEY: set(options["job_types"])}
    for key, label in ((TEAMS_KEY, "teams"), (SALES_KEY, "people"), (JOB_TYPES_KEY, "job types")):
        kept = [v for v in state.get(key) or [] if v in known[key]]
        if kept != list(state.get(key) or []):
            state[key] = kept
            reset.append(label)
    if rebuilt and reset:
        state[_NOTICE_KEY] = (f"The data was rebuilt and no longer covers the chosen {', '.join(reset)}: "
                              "those filters were reset.")


def sidebar_filters() -> Filters:
    """Draw the global filters in the sidebar and return them (also kept in session state)."""
    from core.metrics.common import as_of as data_as_of
    from core.metrics.common import filter_options

    options = cached(filter_options)
    as_of = cached(data_as_of) or date.today()
    first = options["first_date"]
    staff: pd.DataFrame = options["staff"]
    if not st.session_state.get(_INIT_KEY):
        _from_url(options, as_of)
        st.session_state[_INIT_KEY] = True
        st.session_state[_BOUNDS_KEY] = (first, as_of)
    _fit_to_data(options, as_of, first)

    sidebar = st.sidebar
    sidebar.subheader("Filters")
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        sidebar.info(notice, icon=":material/info:")
    sidebar.selectbox("Period", PRESETS, key=PRESET_KEY, on_change=_on_preset, args=(as_of, first),
                      help=f"Presets end on the data's last date, {day(as_of, current_locale())}.")
    sidebar.date_input("From – to", key=PERIOD_KEY, min_value=first, max_value=as_of, format="DD/MM/YYYY",
                       on_change=_on_period, disabled=st.session_state[PRESET_KEY] == "All time")
    sidebar.segmented_control(
        "People are", list(ROLE_LABELS), key=ROLE_KEY, format_func=ROLE_LABELS.get, required=True,
        help="Whether the team and people filters apply to each job's salesperson or its coach.",
    )
    teams = sidebar.multiselect("Teams", options["teams"], key=TEAMS_KEY, placeholder="All teams")
    role = st.session_state.get(ROLE_KEY) or "sales"
    people = staff[staff["role"] == role] if (staff["role"] == role).any() else staff
    if teams:
        people = people[people["team"].isin(teams)]
    names = dict(zip(people["staff_id"], people["name"]))
    # A person dropped from the choices (another team, another role) leaves the selection.
    st.session_state[SALES_KEY] = [s for s in st.session_state.get(SALES_KEY, []) if s in names]
    sidebar.multiselect("Salespeople" if role == "sales" else "Coaches", list(names), key=SALES_KEY,
                        format_func=lambda s: names.get(s, s), placeholder="Everyone")
    if options["job_types"]:
        sidebar.multiselect("Job types", options["job_types"], key=JOB_TYPES_KEY, placeholder="All job types")
    sidebar.button("Reset filters", on_click=_reset, args=(as_of, first), icon=":material/restart_alt:",
                   type="tertiary")
    _to_url()
    return current_filters()
