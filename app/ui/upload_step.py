"""The Data page's upload step: take the exports, map what is not recognised, rebuild with progress."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui.build import BuildInputs, is_demo, last_inputs, run_build
from app.ui.linking import overrides_path
from app.ui.mapping import Proposal, mapping_form, propose
from app.ui.state import ROOT
from app.ui.upload import BO_TYPES, CRM_TYPES, missing_bo_files, save_bo, save_export, uploads_dir
from app.ui.widgets import plain
from core.clean.engine import QUARANTINE_CHECK
from core.errors import UserError
from core.io.layouts import load_mapping, save_mapping

CRM_KEY = "data_crm_path"
BO_KEY = "data_bo_path"
MAPPING_KEY = "data_mapping_path"


def _file_id(upload) -> tuple[str, int]:
    return upload.name, upload.size


def _forget(kind: str) -> None:
    # Removing a file from its uploader (not leaving the page) drops it from the next build.
    if not st.session_state.get(f"data_{kind}_file"):
        for suffix in ("path", "id", "refused"):
            st.session_state.pop(f"data_{kind}_{suffix}", None)
        if kind == "crm":
            st.session_state.pop(MAPPING_KEY, None)


def _take_crm() -> Path | None:
    upload = st.file_uploader("CRM deals export (HubSpot, Pipedrive or any layout; CSV or XLSX)",
                              type=list(CRM_TYPES), key="data_crm_file", on_change=_forget, args=("crm",))
    if upload is None:
        return st.session_state.get(CRM_KEY)
    if st.session_state.get("data_crm_id") != _file_id(upload):
        try:
            st.session_state[CRM_KEY] = save_export(upload)
        except UserError as err:
            st.error(str(err), icon=":material/error:")
            st.session_state.pop(CRM_KEY, None)
            return None
        st.session_state["data_crm_id"] = _file_id(upload)
        st.session_state.pop(MAPPING_KEY, None)
    return st.session_state[CRM_KEY]


def _take_bo() -> Path | None:
    uploads = st.file_uploader("Back-office export: staff, clients, jobs, candidates, pipeline events, "
                               "placements, activities (one file each, e.g. pipeline_events.csv)", type=list(BO_TYPES),
                               accept_multiple_files=True, key="data_bo_file", on_change=_forget, args=("bo",))
    if uploads:
        ids = sorted(_file_id(u) for u in uploads)
        if st.session_state.get("data_bo_id") != ids:
            try:
                folder, _, refused = save_bo(uploads)
            except UserError as err:
                st.error(str(err), icon=":material/error:")
                st.session_state.pop(BO_KEY, None)
                return None
            st.session_state[BO_KEY] = folder
            st.session_state["data_bo_id"] = ids
            st.session_state["data_bo_refused"] = refused
    folder = st.session_state.get(BO_KEY)
    refused = st.session_state.get("data_bo_refused") or []
    if refused:
        st.warning("Not a BO export file, left out: " + ", ".join(plain(n) for n in refused)
                   + ". BO files are named after what they hold, e.g. jobs.csv.")
    if folder is not None:
        missing = missing_bo_files(folder)
        if missing:
            st.info("Still missing from the BO export: " + ", ".join(f"{m}.csv" for m in missing) + ".")
    return folder


@st.cache_data(max_entries=4, show_spinner="Reading the export…")
def _proposal(path: str, stamp: tuple[int, int]) -> Proposal:
    # `stamp` (the file's and the saved mappings' modification times) is the cache key.
    return propose(Path(path))


def _stamp(crm: Path) -> tuple[int, int]:
    mappings = [p.stat().st_mtime_ns for p in (uploads_dir() / "mappings").glob("*")]
    return crm.stat().st_mtime_ns, max(mappings, default=0)


def _take_extra(kind: str, label: str) -> Path | None:
    """An optional single-file export (teams or accounts), kept in the session once uploaded."""
    upload = st.file_uploader(label, type=list(CRM_TYPES), key=f"data_{kind}_file", on_change=_forget, args=(kind,))
    if upload is not None and st.session_state.get(f"data_{kind}_id") != _file_id(upload):
        try:
            st.session_state[f"data_{kind}_path"] = save_export(upload, kind)
        except UserError as err:
            st.error(str(err), icon=":material/error:")
            st.session_state.pop(f"data_{kind}_path", None)
            return None
        st.session_state[f"data_{kind}_id"] = _file_id(upload)
    return st.session_state.get(f"data_{kind}_path")


def _mapping_step(crm: Path) -> bool:
    """Show what was read and, when needed, the mapping form; True when the CRM file is ready to build."""
    try:
        proposal = _proposal(str(crm), _stamp(crm))
    except UserError as err:
        st.error(str(err), icon=":material/error:")
        return False
    info = proposal.info
    sep = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(info.delimiter or "", info.delimiter)
    how = f"sheet {plain(info.sheet)}" if info.sheet else f"{info.encoding}, {sep}-separated"
    st.caption(f"Read {plain(info.file)}: {info.rows:,} rows ({how}, header on line {info.header_line}).")
    # propose() already applies a mapping saved for this layout.
    st.session_state[MAPPING_KEY] = proposal.saved_mapping
    ready = not proposal.needs_mapping
    if ready:
        st.success("Columns mapped with the mapping saved for this layout." if proposal.saved_mapping
                   else "Columns recognised.", icon=":material/check_circle:")
        if not st.toggle("Review the column mapping", key="data_mapping_review"):
            return True
    else:
        reasons = []
        if proposal.missing:
            reasons.append("required fields not recognised: " + ", ".join(proposal.missing))
        if proposal.unknown_stages:
            reasons.append(f"{len(proposal.unknown_stages)} stage label(s) not known")
        st.warning("This export needs a mapping (" + "; ".join(reasons) + ").", icon=":material/warning:")
    if mapping_form(proposal) is not None:
        st.rerun()
    return ready


def mapping_with_rules(mapping: str | None, rules: dict[str, str], fallback: Path) -> Path:
    """A mapping file with its `rules` section updated by `rules` (rule -> on/off): `mapping` itself,
    or `fallback` when the build has no mapping file. Returns the file written."""
    path = Path(mapping) if mapping else fallback
    data = load_mapping(path) if path.exists() else {}
    data["rules"] = {rule: value for rule, value in {**(data.get("rules") or {}), **rules}.items() if value == "off"}
    return save_mapping(path, data)


def _shown(path: Path) -> str:
    """A folder as the user knows it: relative to the project when inside it."""
    try:
        return str(path.relative_to(ROOT)) + "/"
    except ValueError:
        return path.name + "/"


def rebuild(inputs: BuildInputs, label: str = "Building the warehouse") -> None:
    """Build from `inputs`; on success rerun the app and show the build summary on the Upload tab."""
    summary = run_build(inputs, label)
    if summary is not None:
        # Rerun so the sidebar and every page read the new warehouse; the summary is shown after it.
        st.session_state["data_build_summary"] = summary
        st.session_state.pop("data_decisions", None)
        st.rerun()


def upload_and_rebuild() -> None:
    """Upload the exports, map them, and rebuild the warehouse."""
    summary = st.session_state.pop("data_build_summary", None)
    if summary:
        st.success("The warehouse was rebuilt.", icon=":material/check_circle:")
        with st.expander("Build summary: rows per file, cleaning decisions, links", expanded=True):
            st.code(summary, language=None)
    st.write("Upload a CRM export, a back-office export, or both. Files are kept on this server under "
             f"`{_shown(uploads_dir())}` and the warehouse is rebuilt from them; the current warehouse stays "
             "in use until the new one is complete.")
    left, right = st.columns(2)
    with left:
        crm = _take_crm()
    with right:
        bo = _take_bo()
    with st.expander("No back-office export? Add your salespeople's teams and your client accounts",
                     icon=":material/group:"):
        st.caption("A table of salespeople with their team (and manager, office), and a table of client "
                   "companies with their sector and size: they give the CRM-only view its team filter and "
                   "client segments.")
        teams = _take_extra("teams", "Salespeople and teams (CSV or XLSX)")
        accounts = _take_extra("accounts", "Client accounts (CSV or XLSX)")
    crm_ready = crm is not None and _mapping_step(crm)
    ready = (crm_ready or crm is None) and (crm is not None or bo is not None)
    confirm = crm is not None and st.checkbox(
        "Build even when more than half of the deals are quarantined", key="data_confirm_quarantine",
        help="Without this, such a build stops and lists why (unknown stage labels with their counts...).")
    if st.button("Rebuild the warehouse from these files", type="primary", disabled=not ready,
                 icon=":material/autorenew:", key="data_rebuild"):
        mapping = st.session_state.get(MAPPING_KEY) if crm else None
        if confirm:
            mapping = mapping_with_rules(mapping, {QUARANTINE_CHECK: "off"},
                                         uploads_dir() / "mappings" / f"confirmed_{Path(crm).stem}.json")
        inputs = BuildInputs(crm=str(crm) if crm else None, bo=str(bo) if bo else None,
                             mapping=str(mapping) if mapping else None,
                             teams=str(teams) if teams else None, accounts=str(accounts) if accounts else None)
        rebuild(inputs)

    st.divider()
    previous = last_inputs()
    source = "the demo data" if is_demo() else ("the last uploaded files" if previous else None)
    if source:
        st.write(f"Link decisions are kept in `{overrides_path().name}` and applied at every rebuild.")
        if st.button(f"Rebuild from {source}", key="data_rebuild_same", icon=":material/replay:"):
            rebuild(previous)
    if not is_demo() and st.button("Go back to the demo data", key="data_rebuild_demo", icon=":material/science:"):
        rebuild(BuildInputs.demo_data(), label="Building the demo warehouse")
