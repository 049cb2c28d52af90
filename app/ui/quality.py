"""The Data page's cleaning pieces: what each rule did, the rules' switches, the unknown stage
labels, and the quarantined rows (the first rows on screen, every row in the download).

At a million deals the quarantine holds hundreds of thousands of rows with their raw JSON:
drawing them all and building their CSV on every visit took seconds. The page shows the first
rows with the total, and reads the whole table only when its download is clicked.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app.ui import widgets
from app.ui.build import BuildInputs, last_inputs
from app.ui.state import cached, warehouse_path
from app.ui.upload_step import rebuild
from core.clean.engine import QUARANTINE_CHECK, SWITCHABLE_RULES
from core.io.layouts import load_mapping, save_mapping
from core.metrics.quality import (
    quarantined_count,
    quarantined_rows,
    rule_effects,
    rules_off,
    unknown_stage_labels,
)


def _all_quarantined(db: Path) -> pd.DataFrame:
    # Runs when the download is clicked, outside the page's run: its own read-only connection.
    from core.warehouse import connect

    with connect(db) as con:
        return quarantined_rows(con)


def quarantine_table() -> None:
    """The quarantined rows in file order (a preview when there are many), with the full CSV download."""
    total = cached(quarantined_count)
    if total == 0:
        widgets.empty_state("No row was quarantined.")
        return
    widgets.show_table(cached(quarantined_rows, limit=widgets.PREVIEW_ROWS), key="data_quarantine",
                       name="quarantined rows", height=320, full=partial(_all_quarantined, warehouse_path()),
                       total=total)


def effects_table() -> None:
    """Per CRM rule: rows touched and the deal count, won amount and win rate before and after it."""
    frame = cached(rule_effects)
    if frame.empty:
        widgets.empty_state("No CRM rule changed a deal in the last build.")
        return
    widgets.show_table(frame.drop(columns=["step"]), money_cols=("won_amount_before", "won_amount_after"),
                       pct_cols=("won_amount_change", "win_rate_before", "win_rate_after"),
                       key="data_rule_effects", name="rule effects")


def unknown_stages_table() -> None:
    """The stage labels not recognised, with their deal counts, and where to map them."""
    frame = cached(unknown_stage_labels)
    if frame.empty:
        return
    st.warning(f"{int(frame['deals'].sum()):,} deal(s) quarantined because their stage label is not known. "
               "Map each label to open, won, lost or leave out in the Upload & rebuild tab's mapping step, "
               "then rebuild.", icon=":material/warning:")
    widgets.show_table(frame, key="data_unknown_stages", name="unknown stage labels")


def _mapping_with_rules(previous: BuildInputs, off: list[str]) -> Path:
    """The last build's mapping file with its `rules` section set to `off` (written beside the
    warehouse when the build had no mapping file)."""
    path = Path(previous.mapping) if previous.mapping else warehouse_path().parent / "rules_mapping.json"
    mapping = load_mapping(path) if path.exists() else {}
    mapping["rules"] = {rule: "off" for rule in off}
    return save_mapping(path, mapping)


def rule_switches() -> None:
    """Switch value-changing rules on or off, then rebuild from the last build's files."""
    previous = last_inputs()
    current = set(cached(rules_off))
    with st.form("data_rules_form"):
        st.markdown("**Rules that change values** (ticked = on). A rule switched off changes nothing; the "
                    "build lists it and the rows it would have touched.")
        cols = st.columns(2)
        on = {rule: cols[i % 2].checkbox(rule, value=rule not in current, key=f"data_rule_{rule}")
              for i, rule in enumerate(SWITCHABLE_RULES)}
        confirm = st.checkbox("Build even when more than half of the deals are quarantined",
                              value=QUARANTINE_CHECK in current, key="data_rule_confirm_quarantine")
        submitted = st.form_submit_button("Rebuild with these rules", disabled=previous is None,
                                          icon=":material/autorenew:")
    if previous is None:
        st.caption("This warehouse was not built from the app: rebuild it from the Upload & rebuild tab first.")
    if submitted and previous is not None:
        off = [rule for rule, keep in on.items() if not keep] + ([QUARANTINE_CHECK] if confirm else [])
        rebuild(replace(previous, mapping=str(_mapping_with_rules(previous, off))),
                label="Rebuilding with the chosen rules")
