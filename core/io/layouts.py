"""Which column of an export is which field: CRM header recognition, mapping files, BO, teams, accounts.

A layout maps each canonical field to the export's header(s); when several headers feed one
field (Pipedrive's `Deal - Won time` and `Deal - Lost time` both give `closed_at`), the first
non-empty one wins. Header names are compared with case, accents, punctuation and spacing
ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import InputFileError
from core.io.text import closest, normalise_name
from core.schema import BO_INPUT_COLUMNS, CRM_FIELDS_OPTIONAL, CRM_FIELDS_REQUIRED

# Header names recognised without help (HubSpot EN, HubSpot FR, Pipedrive), in priority order.
CRM_HEADERS: dict[str, list[str]] = {
    "deal_id": ["Record ID", "Deal ID", "ID de fiche", "Deal - ID"],
    "deal_name": ["Deal Name", "Nom de la transaction", "Deal - Title"],
    "company": ["Associated Company", "Associated Company (Primary)", "Company name", "Entreprise associée",
                "Deal - Organization"],
    "amount": ["Amount", "Montant", "Deal - Value"],
    "stage": ["Deal Stage", "Phase de la transaction", "Deal - Status", "Deal - Stage"],
    "owner": ["Deal owner", "Propriétaire de la transaction", "Deal - Owner"],
    "created_at": ["Create Date", "Date de création", "Deal - Deal created"],
    "closed_at": ["Close Date", "Date de fermeture", "Deal - Won time", "Deal - Lost time"],
    "deal_type": ["Deal Type", "Type de transaction"],
    "lost_reason": ["Closed Lost Reason", "Raison de la perte", "Deal - Lost reason"],
    "pipeline": ["Pipeline", "Deal - Pipeline"],
    "probability": ["Deal probability", "Probabilité de la transaction", "Deal - Probability"],
    "expected_close_at": ["Deal - Expected close date", "Expected close date", "Date de clôture prévue"],
    "updated_at": ["Last Modified Date", "Date de dernière modification", "Deal - Update time"],
}
# Pipedrive gives the open/won/lost status and the pipeline stage in two columns: the status is
# the stage, the pipeline stage its detail.
STAGE_DETAIL_HEADERS = ["Deal - Stage"]
# Headers that feed several sources at once (all of them are used, first non-empty wins).
MULTI_SOURCE = {"closed_at"}

TEAMS_HEADERS: dict[str, list[str]] = {
    "name": ["name", "salesperson", "sales", "owner", "deal owner", "nom", "commercial", "sales_agent"],
    "team": ["team", "équipe", "equipe", "regional_office", "region"],
    "manager": ["manager", "responsable"],
    "office": ["office", "bureau", "agence", "site"],
    "role": ["role", "rôle", "fonction"],
    "email": ["email", "e-mail", "mail"],
}
TEAMS_REQUIRED = ["name", "team"]

ACCOUNTS_HEADERS: dict[str, list[str]] = {
    "company": ["company", "account", "name", "company name", "entreprise", "société", "societe", "client"],
    "sector": ["sector", "industry", "secteur", "secteur d'activité"],
    "employees": ["employees", "headcount", "size", "effectif", "number of employees", "nombre d'employés"],
    "city": ["city", "location", "office_location", "ville", "localisation"],
    "revenue": ["revenue", "annual revenue", "chiffre d'affaires", "ca"],
    "created_at": ["created_at", "create date", "year_established", "date de création"],
}
ACCOUNTS_REQUIRED = ["company"]

MAPPING_KEYS = ("crm", "stages", "teams", "accounts", "rules")
STAGE_VALUES = ("open", "won", "lost", "leave out", "qualification", "pitch", "mer", "offer")


@dataclass
class Layout:
    """Canonical field -> export header(s), with what could not be found."""

    fields: dict[str, list[str]]
    missing: list[str] = field(default_factory=list)
    stage_detail: str | None = None


def _index(headers: list[str]) -> dict[str, str]:
    return {normalise_name(h): h for h in reversed(headers)}


def resolve(headers: list[str], table: dict[str, list[str]], required: list[str],
            explicit: dict[str, str | list[str]] | None = None) -> Layout:
    """Match an export's headers to canonical fields.

    Args:
        headers: the export's header names (as read).
        table: canonical field -> recognised header names.
        required: fields that must be found.
        explicit: a mapping file's section (canonical -> header or list of headers); it
            wins over recognition.

    Returns:
        Layout with the headers per field and the required fields not found.
    """
    index = _index(headers)
    fields: dict[str, list[str]] = {}
    for canonical, names in table.items():
        hits = [index[n] for n in map(normalise_name, names) if n in index]
        hits = list(dict.fromkeys(hits))
        if hits:
            fields[canonical] = hits if canonical in MULTI_SOURCE else hits[:1]
    for canonical, src in (explicit or {}).items():
        wanted = [src] if isinstance(src, str) else list(src)
        hits = [index[normalise_name(w)] for w in wanted if normalise_name(w) in index]
        if hits:
            fields[canonical] = hits
        else:
            fields.pop(canonical, None)
    layout = Layout(fields=fields, missing=[f for f in required if f not in fields])
    status = index.get(normalise_name("Deal - Status"))
    if "stage" in fields and status and not (explicit or {}).get("stage"):
        # Pipedrive: the status (open/won/lost) is the stage, the pipeline stage is its detail
        # ("Deal - Stage" normalises like HubSpot's "Deal Stage").
        detail = [index[n] for n in map(normalise_name, STAGE_DETAIL_HEADERS) if n in index]
        fields["stage"] = [status]
        if detail and detail[0] != status:
            layout.stage_detail = detail[0]
    return layout


def crm_layout(headers: list[str], mapping: dict | None = None) -> Layout:
    """The CRM layout of an export: HubSpot EN/FR, Pipedrive, or the mapping file's `crm` section."""
    table = {k: v for k, v in CRM_HEADERS.items()}
    return resolve(headers, table, CRM_FIELDS_REQUIRED, (mapping or {}).get("crm"))


def crm_known_names(mapping: dict | None = None) -> set[str]:
    """Normalised header names that identify the CRM header row."""
    names = {normalise_name(n) for names in CRM_HEADERS.values() for n in names}
    for src in ((mapping or {}).get("crm") or {}).values():
        for s in [src] if isinstance(src, str) else src:
            names.add(normalise_name(s))
    return names


def known_for(table: dict[str, list[str]], section: dict | None = None) -> set[str]:
    """Normalised header names of a header table plus a mapping file section's headers."""
    names = {normalise_name(n) for names in table.values() for n in names}
    for src in (section or {}).values():
        for s in [src] if isinstance(src, str) else src:
            names.add(normalise_name(s))
    return names


# BO columns without which a file cannot be used; the others are NULL when absent (and logged).
BO_REQUIRED: dict[str, list[str]] = {
    "staff": ["staff_id", "name"],
    "clients": ["client_id", "name"],
    "jobs": ["job_id", "client_id", "opened_at"],
    "candidates": ["candidate_id"],
    "pipeline_events": ["event_id", "job_id", "candidate_id", "stage", "event_date"],
    "placements": ["placement_id", "job_id", "fee_eur"],
    "activities": ["activity_id", "client_id", "minutes"],
}


def bo_layout(table: str, headers: list[str]) -> Layout:
    """BO files use the documented column names (case, accents and spacing ignored)."""
    cols = BO_INPUT_COLUMNS[table]
    return resolve(headers, {c: [c] for c in cols}, BO_REQUIRED[table])


def missing_columns_error(file: str, what: str, missing: list[str], headers: list[str],
                          table: dict[str, list[str]] | None = None) -> InputFileError:
    """The error for an export whose header lacks required fields, naming the closest headers."""
    near = closest(missing + [n for m in missing for n in (table or {}).get(m, [])], headers)
    expected = "; ".join(f"{m} (e.g. {', '.join(repr(n) for n in (table or {}).get(m, [m])[:3])})" for m in missing)
    return InputFileError(
        file, f"this {what} lacks required column(s): {expected}. Closest headers found: "
        f"{', '.join(repr(h) for h in near) or 'none'}.",
        line=None, fix="Rename the columns in the export, or give a mapping file (--mapping) that says "
        "which column is which.")


# --- Mapping files --------------------------------------------------------------------------------


def load_mapping(path: Path | None) -> dict:
    """Read and check a mapping file (JSON or YAML; public shape in docs/inputs.md).

    Returns:
        {crm: {field: header}, stages: {label: canonical}, teams: {...}, accounts: {...}}
        with absent sections as empty dicts.

    Raises:
        InputFileError: unreadable file, unknown sections or fields, bad stage values.
    """
    if path is None:
        return {k: {} for k in MAPPING_KEYS}
    path = Path(path)
    if not path.exists():
        raise InputFileError(path.name, "mapping file not found.")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        line = getattr(err, "lineno", None) or getattr(getattr(err, "problem_mark", None), "line", None)
        raise InputFileError(path.name, f"the mapping file cannot be read ({err.__class__.__name__}).",
                             line=line, fix="Check its JSON/YAML syntax against docs/inputs.md.") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputFileError(path.name, "a mapping file holds an object with keys crm, stages, teams, accounts.")
    unknown = sorted(set(data) - set(MAPPING_KEYS))
    if unknown:
        raise InputFileError(path.name, f"unknown mapping section(s): {', '.join(unknown)}.",
                             fix=f"Use only: {', '.join(MAPPING_KEYS)}.")
    out = {k: dict(data.get(k) or {}) for k in MAPPING_KEYS}
    allowed = {"crm": set(CRM_FIELDS_REQUIRED + CRM_FIELDS_OPTIONAL), "teams": set(TEAMS_HEADERS),
               "accounts": set(ACCOUNTS_HEADERS)}
    for section, names in allowed.items():
        bad = sorted(set(out[section]) - names)
        if bad:
            raise InputFileError(path.name, f"unknown field(s) in '{section}': {', '.join(bad)}.",
                                 fix=f"Fields are: {', '.join(sorted(names))}.")
    bad_stages = sorted(str(v) for v in out["stages"].values() if str(v).strip().lower() not in STAGE_VALUES)
    if bad_stages:
        raise InputFileError(path.name, f"stage labels must map to open, won, lost or leave out (or an open "
                             f"sub-stage {', '.join(STAGE_VALUES[4:])}); found {', '.join(repr(s) for s in bad_stages)}.")
    out["stages"] = {str(k): str(v).strip().lower() for k, v in out["stages"].items()}
    return out


def save_mapping(path: Path, mapping: dict) -> Path:
    """Write a mapping (as the upload step confirmed it) so the next export of that layout reuses it.

    JSON when the path ends in .json, YAML otherwise. Only the public sections are written.
    """
    path = Path(path)
    clean = {k: mapping[k] for k in MAPPING_KEYS if mapping.get(k)}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(clean, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(clean, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
