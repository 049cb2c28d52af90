"""The Linking review: coverage, the queue of CRM names to decide, and recording a manager's decision.

Decisions go to the overrides file beside the warehouse (`core.link.apply_decision`); the
build applies them, so they take effect at the next rebuild and survive every later one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app.ui.state import cached, warehouse_path
from app.ui.widgets import count, current_locale, empty_state, money, plain, show_table
from core import formats
from core.errors import UserError

KIND_LABELS = {"client": "Companies → BO clients", "owner": "Deal owners → staff"}
N_CANDIDATES = 3


def overrides_path() -> Path:
    """The overrides file: `overrides.csv` beside the warehouse."""
    return warehouse_path().parent / "overrides.csv"


def _candidates(row: pd.Series) -> list[tuple[str, str, float]]:
    """(client_id, name, score) of a queue row's best candidates."""
    out = []
    for i in range(1, N_CANDIDATES + 1):
        cid = row.get(f"candidate_{i}_id")
        if isinstance(cid, str) and cid:
            out.append((cid, str(row.get(f"candidate_{i}_name") or cid), float(row.get(f"candidate_{i}_score") or 0)))
    return out


def coverage_table() -> None:
    """Share of CRM deals, CRM amount and BO revenue linked, before and after the managers' review."""
    from core.link import coverage

    cov = cached(coverage)
    show_table(cov[["label", "before_review", "after_review"]].rename(
        columns={"label": "linked", "before_review": "automatic links", "after_review": "after review"}),
        pct_cols=("automatic links", "after review"), key="data_coverage", name="link coverage")


def _decide(kind: str, key: str, decision: str, target: str | None, note: str) -> None:
    from core.link import apply_decision

    try:
        apply_decision(overrides_path(), kind, key, decision, target=target, note=note)
    except UserError as err:
        st.session_state["data_decision_error"] = str(err)
        return
    st.session_state.pop("data_decision_error", None)
    st.session_state["data_decisions"] = st.session_state.get("data_decisions", 0) + 1


ACTIONS = ("Link to this client", "Another client (by BO id)", "No BO client (reject)")


def _save_client_decision(key: str, choices: dict[str, str]) -> None:
    # A callback, so the decision is saved before the page is drawn and the page shows it.
    state = st.session_state
    action, note = state.get("data_review_action", ACTIONS[0]), state.get("data_review_note", "")
    if action == ACTIONS[0] and state.get("data_review_pick") in choices:
        _decide("client", key, "link", choices[state["data_review_pick"]], note)
    elif action == ACTIONS[1]:
        _decide("client", key, "link", (state.get("data_review_other") or "").strip(), note)
    elif action == ACTIONS[2]:
        _decide("client", key, "reject", None, note)
    else:
        state["data_decision_error"] = "This name has no candidate client: choose another client by its BO id."


@st.fragment
def client_review() -> None:
    """The CRM company names to review, and the accept / reject / choose-another decision for one.

    A fragment: picking a name or saving a decision reruns this part only, not the whole page.
    """
    decisions_note()
    from core.link import review_queue

    queue = cached(review_queue, status="review", kind="client")
    if queue.empty:
        empty_state("No company name is waiting for review: every CRM name is linked or clearly unknown.")
        return
    shown = queue[["crm_company", "deals", "amount", "candidate_1_name", "candidate_1_score", "reason"]].rename(
        columns={"crm_company": "CRM company", "candidate_1_name": "best candidate",
                 "candidate_1_score": "score"})
    show_table(shown, money_cols=("amount",), key="data_review_queue", name="review queue", height=280,
               preview=True)

    names = queue["crm_company"].tolist()
    key = st.selectbox(f"Decide on one of the {count(len(names))} names", names, key="data_review_name")
    row = queue.loc[queue["crm_company"] == key].iloc[0]
    candidates = _candidates(row)
    st.caption(f"{count(row['deals'])} deals, {money(row['amount'])} in the CRM. Why it is in review: "
               f"{plain(formats.prose(row['reason'], current_locale()))}")
    choices = {f"{name} ({cid}), score {score:.0f}": cid for cid, name, score in candidates}
    with st.form("data_review_form"):
        st.radio("Decision", ACTIONS, horizontal=True, key="data_review_action")
        if choices:
            st.selectbox("Client", list(choices), key="data_review_pick")
        st.text_input("BO client id", key="data_review_other", placeholder="e.g. C00123")
        st.text_input("Note (optional)", key="data_review_note")
        st.form_submit_button("Save decision", type="primary", on_click=_save_client_decision, args=(key, choices))
    if st.session_state.get("data_decision_error"):
        st.error(st.session_state["data_decision_error"])


def owner_review() -> None:
    """Owner names the build could not resolve to a staff member."""
    from core.link import review_queue

    queue = cached(review_queue, kind="owner")
    open_items = queue[queue["status"].isin(["review", "none"])]
    if open_items.empty:
        empty_state("Every CRM deal owner is resolved to a staff member.")
        return
    show_table(open_items, key="data_owner_queue", name="owner review", height=240, preview=True)


def saved_decisions() -> None:
    """The decisions in the overrides file: what every rebuild applies on top of the automatic links."""
    from core.link.overrides import read_overrides

    try:
        decisions = read_overrides(overrides_path())
    except UserError as err:
        st.error(str(err))
        return
    if decisions.empty:
        st.caption("No link decision saved yet.")
        return
    show_table(decisions, key="data_saved_decisions", name="link decisions", height=200)


def decisions_note() -> None:
    """How many decisions wait for a rebuild."""
    made = st.session_state.get("data_decisions", 0)
    if made:
        st.success(f"{made} decision(s) saved to {overrides_path().name}. They apply at the next rebuild "
                   "(Upload & rebuild tab).", icon=":material/check_circle:")
