"""Building the warehouse from the app: first run on the demo data, rebuilds after an upload.

The build itself is `core.warehouse.build` (atomic swap: readers keep the last good file); the
models of the new warehouse then train in the background (`app.ui.training`). The first build, on
the demo data, runs in the background too (`start_first_build`): the app answers at once with
the build's progress, and every session opened meanwhile follows that one build.
Beside the warehouse, `last_build.json` records which inputs it came from, so the app can
say "showing demo data" and rebuild from the same inputs after the file is lost.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import streamlit as st

from app.ui import training
from app.ui.background import Job, Jobs, Progress
from app.ui.state import ROOT, clear_caches, warehouse_path
from core.errors import UserError

DEMO = ROOT / "data" / "demo"
UPLOADS = ROOT / "data" / "uploads"


@dataclass(frozen=True)
class BuildInputs:
    """What a warehouse is built from (paths as strings; None when not given)."""

    crm: str | None = None
    bo: str | None = None
    mapping: str | None = None
    teams: str | None = None
    accounts: str | None = None
    demo: bool = False

    @staticmethod
    def demo_data() -> BuildInputs:
        return BuildInputs(crm=str(DEMO / "crm" / "hubspot_deals.csv"), bo=str(DEMO / "bo"), demo=True)


def _record_path() -> Path:
    return warehouse_path().parent / "last_build.json"


def last_inputs() -> BuildInputs | None:
    """The inputs of the last build made from the app, when recorded."""
    try:
        data = json.loads(_record_path().read_text(encoding="utf-8"))
        return BuildInputs(**{k: data.get(k) for k in ("crm", "bo", "mapping", "teams", "accounts")},
                           demo=bool(data.get("demo")))
    except (OSError, ValueError, TypeError):
        return None


def is_demo() -> bool:
    """True when the current warehouse was built from the bundled demo exports."""
    inputs = last_inputs()
    return bool(inputs and inputs.demo)


def _build(inputs: BuildInputs, progress: Progress) -> dict:
    """`core.warehouse.build` of `inputs` into the app's warehouse; records the inputs beside it."""
    from core.warehouse import build

    db = warehouse_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    summary = build(
        crm=Path(inputs.crm) if inputs.crm else None,
        bo=Path(inputs.bo) if inputs.bo else None,
        db=db,
        mapping=Path(inputs.mapping) if inputs.mapping else None,
        teams=Path(inputs.teams) if inputs.teams else None,
        accounts=Path(inputs.accounts) if inputs.accounts else None,
        progress=progress,
        # The app's own warehouse path: a damaged file there is what "Rebuild" offers to replace.
        replace_unreadable=True,
    )
    _record_path().write_text(json.dumps(asdict(inputs), indent=2), encoding="utf-8")
    # the forecast's models follow every build, in the background (see the Forecast page)
    if training.automatic():
        training.start(db)
    return summary


FIRST_BUILDS = Jobs("crossview-first-build", "The build stopped")


def start_first_build(inputs: BuildInputs) -> Job:
    """Build the first warehouse from `inputs` in a thread of the app's process, unless one is under way
    or has failed for this warehouse path: the one build every session follows (`follow_first_build`)."""
    return FIRST_BUILDS.start(str(warehouse_path()), lambda progress: _build(inputs, progress), keep_failed=True)


@st.fragment(run_every=1)
def follow_first_build() -> None:
    """The first build's progress, polled every second; the whole app reruns when the warehouse is there."""
    run = FIRST_BUILDS.current(str(warehouse_path()))
    if run is None:
        return
    if run.error:
        st.error(run.error, icon=":material/error:")
        if st.button("Try again", key="first_build_retry"):
            FIRST_BUILDS.forget(str(warehouse_path()))
            st.rerun(scope="app")
    elif run.done:
        st.rerun(scope="app")
    else:
        st.progress(run.fraction, text=f"{run.step}…")


def run_build(inputs: BuildInputs, label: str = "Building the warehouse") -> str | None:
    """Build the warehouse with visible progress (`st.status`); the build's summary, or None when it failed.

    A user error (unreadable file, missing columns, unknown stage labels…) is shown as a
    message naming the file and the fix; the previous warehouse stays in place.
    """
    from core.warehouse import format_summary

    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")

        def progress(step: str, fraction: float) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=step)

        try:
            summary = _build(inputs, progress)
        except UserError as err:
            status.update(label="The build stopped: nothing was changed", state="error", expanded=True)
            st.error(str(err), icon=":material/error:")
            return None
        clear_caches()
        bar.progress(1.0, text="Done")
        status.update(label="Warehouse built", state="complete", expanded=False)
    return format_summary(summary)
