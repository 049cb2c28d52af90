"""The column-mapping step for a CRM export whose headers (or stage labels) are not recognised.

Crossview recognises HubSpot (EN/FR), Pipedrive (EN/FR), Salesforce and Zoho exports by their
headers. Any other layout gets a mapping: for each canonical field the best header by name and
value shape is proposed (`core.io.propose`), with sample values, and for each stage label the
built-in table does not know, the closest canonical stage; the user confirms or corrects, and the mapping is saved (public shape, see
docs/inputs.md) under uploads/mappings/, named after the export's headers, so the next
export of the same layout is mapped without asking.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from app.ui.upload import uploads_dir
from app.ui.widgets import plain
from core.clean.labels import DEAL_STAGES, label_key
from core.formats import MISSING
from core.io.layouts import CRM_REQUIRED, crm_known_names, crm_layout, load_mapping, save_mapping
from core.io.propose import propose as propose_headers
from core.io.readers import ReadInfo, read_table
from core.io.text import normalise_name
from core.schema import CRM_FIELDS_OPTIONAL, CRM_FIELDS_REQUIRED

NOT_IN_FILE = "(not in this file)"
FIELD_LABELS = {
    "deal_id": "Deal id", "deal_name": "Deal name", "company": "Company", "amount": "Amount",
    "currency": "Currency (of the amount)",
    "stage": "Stage", "owner": "Owner (salesperson)", "created_at": "Created on", "closed_at": "Closed on",
    "deal_type": "Deal type (new / existing)", "lost_reason": "Lost reason", "pipeline": "Pipeline",
    "probability": "Win probability", "expected_close_at": "Expected close date", "updated_at": "Last modified on",
}
# "leave out": deals of that label are kept out of the analyses (quarantined as excluded.stage_left_out).
STAGE_CHOICES = ("open", "won", "lost", "leave out")
DATE_ORDER_CHOICES = {"decided from the file": None, "day first (31/12/2024)": "dmy",
                      "month first (12/31/2024)": "mdy"}
SAMPLES = 3
# Cap on the distinct stage labels asked about: more than this is not a stage column.
MAX_STAGE_LABELS = 40


@dataclass
class Proposal:
    """What the upload step shows: headers, samples, the proposed mapping and the unknown stage labels."""

    info: ReadInfo
    headers: list[str]
    samples: dict[str, list[str]]
    fields: dict[str, str | None]
    missing: list[str]
    unknown_stages: dict[str, str] = field(default_factory=dict)
    saved_mapping: Path | None = None
    stage_counts: dict[str, int] = field(default_factory=dict)

    @property
    def needs_mapping(self) -> bool:
        return bool(self.missing or self.unknown_stages)


def layout_signature(headers: list[str]) -> str:
    """A short name for a header layout (same headers in any order → same name)."""
    key = "|".join(sorted(normalise_name(h) for h in headers))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def mapping_path(headers: list[str]) -> Path:
    """Where the mapping of this header layout is (or will be) saved."""
    return uploads_dir() / "mappings" / f"crm_{layout_signature(headers)}.json"


def _closest_stage(label: str) -> str:
    """The canonical stage a label most likely means; `open` unless it clearly says won or lost."""
    words = normalise_name(label)
    if re.search(r"\b(won|win|gagn\w*|sign\w*|closed won)\b", words):
        return "won"
    if re.search(r"\b(lost|lose|perdu\w*|abandon\w*|closed lost)\b", words):
        return "lost"
    hit = difflib.get_close_matches(words, list(DEAL_STAGES), n=1, cutoff=0.8)
    return DEAL_STAGES[hit[0]][0] if hit else "open"


def _unknown_stages(frame: pd.DataFrame, column: str | None, mapping: dict) -> dict[str, str]:
    """Stage labels neither the built-in table nor the mapping knows, with the closest canonical stage."""
    if not column or column not in frame.columns:
        return {}
    known = set(DEAL_STAGES) | {label_key(k) for k in mapping.get("stages", {})}
    labels = frame[column].dropna().astype(str).str.strip()
    labels = labels[labels != ""].drop_duplicates()
    unknown = labels[~labels.map(label_key).isin(known)].head(MAX_STAGE_LABELS).tolist()
    return {label: _closest_stage(label) for label in unknown}


def propose(path: Path) -> Proposal:
    """Read the export and propose its mapping (a saved mapping for the same layout is reused)."""
    frame, info = read_table(path, crm_known_names())
    headers = [c for c in frame.columns if c not in ("_row_number", "_extra")]
    saved = mapping_path(headers)
    mapping = load_mapping(saved) if saved.exists() else {"crm": {}, "stages": {}}
    layout = crm_layout(headers, mapping)
    samples = {
        h: frame[h].dropna().astype(str).str.strip().loc[lambda s: s != ""].drop_duplicates().head(SAMPLES).tolist()
        for h in headers
    }
    recognised = {f: found[0] for f, found in layout.fields.items() if found}
    rest = [f for f in CRM_FIELDS_REQUIRED + CRM_FIELDS_OPTIONAL if f not in recognised]
    values = {h: frame[h].dropna().astype(str).head(200).tolist() for h in headers}
    fields = {**propose_headers(rest, headers, values, set(recognised.values())), **recognised}
    stage_col = (layout.fields.get("stage") or [fields.get("stage")])[0]
    unknown = _unknown_stages(frame, stage_col, mapping)
    counts = frame[stage_col].astype(str).str.strip().value_counts() if unknown else pd.Series(dtype=int)
    return Proposal(info=info, headers=headers, samples=samples, fields=fields, missing=layout.missing,
                    unknown_stages=unknown, saved_mapping=saved if saved.exists() else None,
                    stage_counts={label: int(counts.get(label, 0)) for label in unknown})


def save(proposal: Proposal, chosen: dict[str, str | None], stages: dict[str, str],
         date_order: str | None = None) -> Path:
    """Save the confirmed mapping for this layout (merging stage labels saved earlier) and return its path.

    A field the user set to "not in this file" is saved as null, so that recognition does not bring
    it back; `date_order` ("dmy"/"mdy") is saved when the user chose one.
    """
    path = mapping_path(proposal.headers)
    previous = load_mapping(path) if path.exists() else {"stages": {}}
    mapping = {
        **previous,  # rules switched off on the Data page, teams and accounts sections stay
        "crm": {k: v for k, v in chosen.items() if v or proposal.fields.get(k)},
        "stages": {**previous.get("stages", {}), **stages},
    }
    if date_order:
        mapping["date_order"] = date_order
    return save_mapping(path, mapping)


def mapping_form(proposal: Proposal, key: str = "data_mapping") -> Path | None:
    """Ask the user to confirm or correct the mapping; returns the saved mapping's path on submit."""
    st.markdown("**Which column is which?** Crossview proposes the closest column for each field; "
                "fields marked * are required.")
    samples = pd.DataFrame({"column": proposal.headers,
                            "sample values": [" | ".join(proposal.samples[h]) for h in proposal.headers]})
    st.dataframe(samples, hide_index=True, key=f"{key}_samples", placeholder=MISSING)
    options = [NOT_IN_FILE, *proposal.headers]
    with st.form(f"{key}_form"):
        chosen: dict[str, str | None] = {}
        cols = st.columns(2)
        for i, canonical in enumerate(CRM_FIELDS_REQUIRED + CRM_FIELDS_OPTIONAL):
            current = proposal.fields.get(canonical)
            label = FIELD_LABELS.get(canonical, canonical) + (" \\*" if canonical in CRM_REQUIRED else "")
            pick = cols[i % 2].selectbox(
                label, options, index=options.index(current) if current in options else 0,
                key=f"{key}_field_{canonical}",
                help=plain("Sample values: " + " | ".join(proposal.samples.get(current, []))) if current else None,
            )
            chosen[canonical] = None if pick == NOT_IN_FILE else pick
        stages: dict[str, str] = {}
        if proposal.unknown_stages:
            st.markdown("**Stage labels Crossview does not know**: is each one an open, won or lost deal, or "
                        "should its deals be left out of the analyses?")
            scols = st.columns(3)
            for i, (label, guess) in enumerate(proposal.unknown_stages.items()):
                n = proposal.stage_counts.get(label)
                stages[label] = scols[i % 3].selectbox(
                    plain(label) + (f" ({n:,} deal{'s' if n > 1 else ''})" if n else ""), STAGE_CHOICES, index=STAGE_CHOICES.index(guess) if guess in STAGE_CHOICES else 0,
                    key=f"{key}_stage_{i}",
                )
        order = st.selectbox("Dates like 03/04/2024 are", list(DATE_ORDER_CHOICES), key=f"{key}_date_order",
                             help="Crossview decides from the dates of the whole file (a day above 12 shows "
                                  "the order); choose only when the file gives no such date.")
        submitted = st.form_submit_button("Save this mapping", type="primary")
    if not submitted:
        return None
    missing = [f for f in CRM_REQUIRED if not chosen.get(f)]
    if missing:
        st.error(f"Choose a column for the required field(s): {', '.join(missing)}.")
        return None
    return save(proposal, chosen, stages, DATE_ORDER_CHOICES[order])
