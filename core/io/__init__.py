"""Readers for the exports: encodings, delimiters, title rows, XLSX, CRM layouts, mapping files.

Public API (used by the build and by the app's upload step):
    read_table(path, known=None) -> (DataFrame of strings, ReadInfo)
    load_raw(con, path, table, known=None, temp_dir=None) -> ReadInfo
    detect_crm_layout(path, mapping=None) -> (mapping_proposal, unknown_stage_labels, sample_values)
    load_mapping(path) -> dict;  save_mapping(path, mapping) -> Path
"""

from __future__ import annotations

from pathlib import Path

from core.io.layouts import crm_known_names, crm_layout, load_mapping, save_mapping
from core.io.propose import PROPOSED, propose
from core.io.readers import ReadInfo, load_raw, read_table
from core.schema import CRM_FIELDS_REQUIRED

__all__ = ["ReadInfo", "detect_crm_layout", "load_mapping", "load_raw", "read_table", "save_mapping"]

SAMPLES = 5


def detect_crm_layout(path: Path, mapping: dict | None = None) -> tuple[dict, list[str], dict[str, list[str]]]:
    """Propose a mapping for a CRM export, for the user to confirm or correct.

    Recognised headers (HubSpot EN/FR, Pipedrive EN/FR, Salesforce, Zoho, or `mapping`'s `crm`
    section) are mapped as they are; each main field still without a column gets the best unused
    header by name and value shape (`core.io.propose`; empty string when nothing scores well).

    Args:
        path: the CRM export (CSV or XLSX).
        mapping: an existing mapping (e.g. the saved one) to start from.

    Returns:
        (proposal, unknown_stage_labels, samples): proposal has the public mapping shape
        {crm: {field: header}, stages: {label: canonical}} with the known labels of the
        mapping kept; unknown_stage_labels are the stage values neither the built-in table
        nor the mapping knows, most frequent first; samples maps every header to up to 5
        distinct example values.
    """
    from core.clean.labels import DEAL_STAGES, label_key

    mapping = mapping or {}
    frame, info = read_table(Path(path), crm_known_names(mapping))
    headers = info.columns
    layout = crm_layout(headers, mapping)
    crm = {f: (src[0] if len(src) == 1 else src) for f, src in layout.fields.items()}
    values = {h: frame[h].dropna().astype(str).head(200).tolist() for h in headers}
    taken = {s for src in layout.fields.values() for s in src}
    wanted = [f for f in PROPOSED if f not in crm and (mapping.get("crm") or {}).get(f, "") is not None]
    guess = propose(wanted, headers, values, taken)
    crm.update({f: guess.get(f, "") for f in wanted if f in guess or f in CRM_FIELDS_REQUIRED})
    samples = {h: frame[h].dropna().astype(str).drop_duplicates().head(SAMPLES).tolist() for h in headers}
    stages = dict(mapping.get("stages") or {})
    unknown: list[str] = []
    stage_col = crm.get("stage")
    if isinstance(stage_col, str) and stage_col in frame:
        known = set(DEAL_STAGES) | {label_key(k) for k in stages}
        counts = frame[stage_col].dropna().astype(str).str.strip().value_counts()
        unknown = [label for label in counts.index if label and label_key(label) not in known]
    return {"crm": crm, "stages": stages}, unknown, samples
