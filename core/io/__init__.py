"""Readers for the exports: encodings, delimiters, title rows, XLSX, CRM layouts, mapping files.

Public API (used by the build and by the app's upload step):
    read_table(path, known=None) -> (DataFrame of strings, ReadInfo)
    load_raw(con, path, table, known=None, temp_dir=None) -> ReadInfo
    detect_crm_layout(path, mapping=None) -> (mapping_proposal, unknown_stage_labels, sample_values)
    load_mapping(path) -> dict;  save_mapping(path, mapping) -> Path
"""

from __future__ import annotations

import difflib
from pathlib import Path

from core.io.layouts import CRM_HEADERS, crm_known_names, crm_layout, load_mapping, save_mapping
from core.io.readers import ReadInfo, load_raw, read_table
from core.io.text import normalise_name

__all__ = ["ReadInfo", "detect_crm_layout", "load_mapping", "load_raw", "read_table", "save_mapping"]

SAMPLES = 5
# Generic header words per field, only used to propose a mapping (never applied without confirmation).
HINTS: dict[str, list[str]] = {
    "deal_id": ["id", "opportunity id", "deal id"], "deal_name": ["name", "title", "opportunity", "product"],
    "company": ["account", "company", "organization", "organisation", "client"],
    "amount": ["value", "close value", "deal value", "revenue"], "stage": ["stage", "status"],
    "owner": ["owner", "sales agent", "salesperson", "sales rep"],
    "created_at": ["created", "created date", "engage date", "creation date", "open date"],
    "closed_at": ["close date", "closed date", "closed"],
}


def detect_crm_layout(path: Path, mapping: dict | None = None) -> tuple[dict, list[str], dict[str, list[str]]]:
    """Propose a mapping for a CRM export, for the user to confirm or correct.

    Recognised headers (HubSpot EN/FR, Pipedrive, or `mapping`'s `crm` section) are mapped
    as they are; each field still missing gets the closest unused header by name (empty
    string when nothing is close).

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
    used = {s for src in layout.fields.values() for s in src}
    free = [h for h in headers if h not in used]
    for missing in layout.missing:
        names = [missing.replace("_", " ")] + CRM_HEADERS.get(missing, []) + HINTS.get(missing, [])
        best, score = "", 0.0
        for h in free:
            s = max(difflib.SequenceMatcher(None, normalise_name(n), normalise_name(h)).ratio() for n in names)
            if s > score:
                best, score = h, s
        crm[missing] = best if score >= 0.75 else ""
        if crm[missing]:
            free.remove(crm[missing])
    samples = {h: frame[h].dropna().astype(str).drop_duplicates().head(SAMPLES).tolist() for h in headers}
    stages = dict(mapping.get("stages") or {})
    unknown: list[str] = []
    stage_col = crm.get("stage")
    if isinstance(stage_col, str) and stage_col in frame:
        known = set(DEAL_STAGES) | {label_key(k) for k in stages}
        counts = frame[stage_col].dropna().astype(str).str.strip().value_counts()
        unknown = [label for label in counts.index if label and label_key(label) not in known]
    return {"crm": crm, "stages": stages}, unknown, samples
