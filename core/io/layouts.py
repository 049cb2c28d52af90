"""Which column of an export is which field: CRM header recognition, mapping files, BO, teams, accounts.

A layout maps each canonical field to the export's header(s); when several headers feed one
field (Pipedrive's `Deal - Won time` and `Deal - Lost time` both give `closed_at`), the first
non-empty one wins. Header names are compared with case, accents, punctuation and spacing
ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import InputFileError
from core.io.text import closest, normalise_name
from core.schema import BO_INPUT_COLUMNS, CRM_FIELDS_OPTIONAL, CRM_FIELDS_REQUIRED

# Header names recognised without help, in priority order: HubSpot EN and FR (its default deals view
# included), Pipedrive EN (the older `Deal - Value` and newer `Deal - Deal value` spellings) and FR,
# Salesforce opportunity reports, Zoho CRM deals. Sources: tests/fixtures/crm_layouts/README.md.
CRM_HEADERS: dict[str, list[str]] = {
    "deal_id": ["Record ID", "Deal ID", "ID de fiche d'informations", "ID de fiche", "Deal - ID", "Affaire - ID",
                "Opportunity ID"],
    "deal_name": ["Deal Name", "Nom de la transaction", "Deal - Title", "Affaire - Titre", "Opportunity Name"],
    "company": ["Associated Company", "Associated Company (Primary)", "Company name", "Entreprise associée",
                "Deal - Organization", "Affaire - Organisation", "Account Name"],
    # HubSpot's amount already converted to the company currency, when exported, comes first.
    "amount": ["Amount in company currency", "Montant dans la devise de l'entreprise", "Amount", "Montant",
               "Deal - Value", "Deal - Deal value", "Affaire - Valeur"],
    "currency": ["Currency", "Devise", "Deal - Currency", "Deal - Currency of value", "Deal - Currency of Deal value",
                 "Affaire - Devise", "Affaire - Devise de la valeur", "Amount Currency", "Opportunity Currency"],
    "stage": ["Deal Stage", "Phase de la transaction", "Deal - Status", "Deal - Stage", "Affaire - Statut",
              "Affaire - Étape", "Stage"],
    "owner": ["Deal owner", "Propriétaire de la transaction", "Deal - Owner", "Affaire - Propriétaire",
              "Opportunity Owner"],
    "created_at": ["Create Date", "Date de création", "Deal - Deal created", "Deal - Deal created on",
                   "Deal - Add time", "Affaire - Affaire créée", "Affaire - Date de création", "Created Date",
                   "Created Time"],
    "closed_at": ["Close Date", "Date de fermeture", "Deal - Won time", "Deal - Lost time", "Deal - Deal closed on",
                  "Deal - Close time", "Affaire - Date de gain", "Affaire - Date de perte",
                  "Affaire - Affaire conclue le", "Closing Date"],
    "deal_type": ["Deal Type", "Type de transaction", "Type"],
    "lost_reason": ["Closed Lost Reason", "Raison de la perte", "Deal - Lost reason", "Affaire - Raison de la perte",
                    "Affaire - Raison de perte", "Loss Reason", "Reason For Loss"],
    "pipeline": ["Pipeline", "Deal - Pipeline", "Affaire - Pipeline"],
    "probability": ["Deal probability", "Probabilité de la transaction", "Deal - Probability",
                    "Affaire - Probabilité", "Probability (%)", "Probability"],
    "expected_close_at": ["Deal - Expected close date", "Expected close date", "Date de clôture prévue",
                          "Affaire - Date de clôture prévue"],
    "updated_at": ["Last Modified Date", "Date de dernière modification", "Deal - Update time",
                   "Affaire - Heure de mise à jour", "Modified Time"],
}
# Fields without which no deal can be counted; the others (an id, a company, a creation date...) may be
# absent from an export, and the build says what that costs.
CRM_REQUIRED = ["stage", "amount"]
_COMPANY_CURRENCY = {normalise_name(n) for n in ("Amount in company currency",
                                                  "Montant dans la devise de l'entreprise")}
# Pipedrive gives the open/won/lost status and the pipeline stage in two columns: the status is
# the stage, the pipeline stage its detail.
STATUS_HEADERS = ["Deal - Status", "Affaire - Statut"]
STAGE_DETAIL_HEADERS = ["Deal - Stage", "Affaire - Étape"]
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
    # fields the mapping file names headers for that the export does not have
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    # the mapping file's build settings (date_order, reporting_currency, currency_rates)
    settings: dict = field(default_factory=dict)


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
    unmatched: dict[str, list[str]] = {}
    for canonical, src in (explicit or {}).items():
        if src is None:  # the mapping says the export has no such column
            fields.pop(canonical, None)
            continue
        wanted = [src] if isinstance(src, str) else list(src)
        hits = [index[normalise_name(w)] for w in wanted if normalise_name(w) in index]
        if hits:
            fields[canonical] = hits
        else:
            fields.pop(canonical, None)
            unmatched[canonical] = wanted
    layout = Layout(fields=fields, missing=[f for f in required if f not in fields], unmatched=unmatched)
    status = next((index[n] for n in map(normalise_name, STATUS_HEADERS) if n in index), None)
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
    layout = resolve(headers, table, CRM_REQUIRED, (mapping or {}).get("crm"))
    if normalise_name((layout.fields.get("amount") or [""])[0]) in _COMPANY_CURRENCY and \
            "currency" not in ((mapping or {}).get("crm") or {}):
        # HubSpot already converted this amount to the company currency: the deal's currency column
        # says what it was before.
        layout.fields.pop("currency", None)
    layout.settings = {k: (mapping or {})[k] for k in MAPPING_SETTINGS if (mapping or {}).get(k)}
    return layout


def crm_known_names(mapping: dict | None = None) -> set[str]:
    """Normalised header names that identify the CRM header row."""
    return known_for(CRM_HEADERS, (mapping or {}).get("crm"))


def known_for(table: dict[str, list[str]], section: dict | None = None) -> set[str]:
    """Normalised header names of a header table plus a mapping file section's headers."""
    names = {normalise_name(n) for names in table.values() for n in names}
    for src in (section or {}).values():
        for s in [src] if isinstance(src, str) else src or []:
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

MAPPING_MAX_BYTES = 1 << 20  # a mapping is a few hundred bytes; anything this large is not one
MAPPING_MAX_DEPTH = 6  # {"crm": {"closed_at": ["a", "b"]}} is depth 3
DATE_ORDERS = ("dmy", "mdy")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class _MappingLoader(yaml.SafeLoader):
    """YAML without aliases (an alias bomb expands a few hundred bytes into gigabytes) and with a depth limit."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _MappingProblem("uses a YAML alias (*name), which mapping files do not allow", mark.line + 1,
                                  "Write each value out in full.")
        self._depth = getattr(self, "_depth", 0) + 1
        if self._depth > MAPPING_MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _MappingProblem(f"is nested more than {MAPPING_MAX_DEPTH} levels deep", mark.line + 1,
                                  "A mapping file has sections (crm, stages...) holding field: header pairs.")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _MappingProblem(Exception):
    def __init__(self, message: str, line: int | None, fix: str):
        super().__init__(message)
        self.message, self.line, self.fix = message, line, fix


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion (deep input is what is being guarded against)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAPPING_MAX_DEPTH:
            return level
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((c, level + 1) for c in children)
    return deepest


def _line_of(text: str, key: str, after: int = 0) -> int | None:
    """1-based line where `key` is written as a key (YAML `key:`, JSON `"key":`), from line `after` on."""
    bare = re.compile(r"""^\s*["']?""" + re.escape(key) + r"""["']?\s*:""")
    quoted = re.compile(r"""["']""" + re.escape(key) + r"""["']\s*:""")
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and (bare.search(line) or quoted.search(line)):
            return number
    return None


def _mapping_text(path: Path) -> str:
    """The mapping file's text, refused with a sentence when it is not a small UTF-8 text file."""
    if not path.exists():
        raise InputFileError(path.name, "mapping file not found.", fix="Check the path given to --mapping.")
    if not path.is_file():
        raise InputFileError(path.name, "the mapping path is a folder, not a file.",
                             fix="Give the mapping file itself (a .json or .yaml file).")
    size = path.stat().st_size
    if size > MAPPING_MAX_BYTES:
        raise InputFileError(path.name, f"this mapping file is {size:,} bytes; a mapping file is a few hundred.",
                             fix="Give the mapping file described in docs/inputs.md.")
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise InputFileError(path.name, "this mapping file is saved as UTF-16, which cannot be read.", line=1,
                             fix="Save it as UTF-8 text (in Notepad: Save as, Encoding UTF-8).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise InputFileError(path.name, "this mapping file is not UTF-8 text (it looks like Windows cp1252).",
                             line=line, fix="Save it as UTF-8 text (in Notepad: Save as, Encoding UTF-8).") from err


def _parse_mapping(path: Path, text: str) -> object:
    syntax = "Check its JSON/YAML syntax against docs/inputs.md."
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
            if _depth(data) > MAPPING_MAX_DEPTH:
                raise _MappingProblem(f"is nested more than {MAPPING_MAX_DEPTH} levels deep", 1,
                                      "A mapping file has sections (crm, stages...) holding field: header pairs.")
            return data
        return yaml.load(text, Loader=_MappingLoader)
    except _MappingProblem as err:
        raise InputFileError(path.name, f"this mapping file {err.message}.", line=err.line, fix=err.fix) from None
    except json.JSONDecodeError as err:
        raise InputFileError(path.name, f"the mapping file cannot be read as JSON ({err.msg}).", line=err.lineno,
                             fix=syntax) from None
    except RecursionError:
        raise InputFileError(path.name, f"this mapping file is nested more than {MAPPING_MAX_DEPTH} levels deep.",
                             line=1, fix="A mapping file has sections (crm, stages...) holding field: header pairs.") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or err.__class__.__name__
        raise InputFileError(path.name, f"the mapping file cannot be read as YAML ({problem}).",
                             line=mark.line + 1 if mark is not None else None, fix=syntax) from None


def load_mapping(path: Path | None) -> dict:
    """Read and check a mapping file (JSON or YAML; public shape in docs/inputs.md).

    Returns:
        {crm: {field: header | [headers] | None}, stages: {label: canonical}, teams: {...},
        accounts: {...}} with absent sections as empty dicts, plus `date_order` ("dmy"/"mdy"),
        `reporting_currency` (a code) and `currency_rates` ({code: rate}) when the file sets them.
        A `crm` field set to null means "this export has no such column".

    Raises:
        InputFileError: a file that cannot be used, with the 1-based line and the fix: not found,
        a folder, too large, not UTF-8, bad syntax, aliases or deep nesting, unknown sections or
        fields, a section or a header that is not of the right kind, bad stage values.
    """
    if path is None:
        return {k: {} for k in MAPPING_KEYS}
    path = Path(path)
    text = _mapping_text(path)
    data = _parse_mapping(path, text)
    if data is None:
        data = {}

    def fail(message: str, key: str | None = None, fix: str | None = None, after: int = 0) -> InputFileError:
        return InputFileError(path.name, message, line=_line_of(text, key, after) if key else None, fix=fix)

    if not isinstance(data, dict):
        raise InputFileError(path.name, "a mapping file holds sections (crm, stages, teams, accounts), each a "
                             "list of name: value pairs.", line=1, fix="See the example in docs/inputs.md.")
    known = MAPPING_KEYS + MAPPING_SETTINGS
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise fail(f"unknown mapping section(s): {', '.join(unknown)}.", unknown[0],
                   fix=f"Use only: {', '.join(known)}.")
    out: dict = {}
    for section in MAPPING_KEYS:
        value = data.get(section)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise fail(f"the section '{section}' must hold name: value pairs (one per line), not "
                       f"{_kind(value)}.", section, fix=f"e.g. {section}: {{{_EXAMPLE[section]}}}")
        out[section] = value
    allowed = {"crm": CRM_FIELDS_REQUIRED + CRM_FIELDS_OPTIONAL, "teams": list(TEAMS_HEADERS),
               "accounts": list(ACCOUNTS_HEADERS)}
    for section, names in allowed.items():
        start = _line_of(text, section) or 0
        bad = sorted(str(k) for k in out[section] if k not in names)
        if bad:
            raise fail(f"unknown field(s) in '{section}': {', '.join(bad)}.", bad[0],
                       fix=f"Fields are: {', '.join(sorted(names))}.", after=start - 1)
        for name, header in out[section].items():
            ok = header is None if section == "crm" else False
            ok = ok or isinstance(header, str) or (
                isinstance(header, list) and header and all(isinstance(h, str) for h in header))
            if not ok:
                raise fail(f"'{section}.{name}' must be a column header (text) or a list of headers; found "
                           f"{_kind(header)}.", name, after=start - 1,
                           fix=f'Write the header as it appears in the file, in quotes: {name}: "{header}".')
    stages: dict[str, str] = {}
    for label, value in out["stages"].items():
        if not isinstance(value, str) or value.strip().lower() not in STAGE_VALUES:
            raise fail(f"stage labels must map to open, won, lost or leave out (or an open sub-stage "
                       f"{', '.join(STAGE_VALUES[4:])}); found {value!r} for {label!r}.", str(label),
                       after=(_line_of(text, "stages") or 1) - 1,
                       fix="Use one of: " + ", ".join(STAGE_VALUES) + ".")
        stages[str(label)] = value.strip().lower()
    out["stages"] = stages
    out.update(_settings(data, fail))
    return out


MAPPING_SETTINGS = ("date_order", "reporting_currency", "currency_rates")
_EXAMPLE = {"crm": 'deal_id: "Opportunity ID"', "stages": "Signed: won", "teams": "name: sales_agent",
            "accounts": "company: account", "rules": "outlier.amount_in_k: off"}


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a section"
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "nothing"
    return f"the text {str(value)!r}"


def _settings(data: dict, fail) -> dict:
    """The mapping file's build settings: date order and currencies (docs/inputs.md)."""
    out: dict = {}
    order = data.get("date_order")
    if order is not None:
        if not isinstance(order, str) or order.strip().lower() not in DATE_ORDERS:
            raise fail(f"date_order must be \"dmy\" (day first, 31/12/2024) or \"mdy\" (month first, "
                       f"12/31/2024); found {_kind(order)}.", "date_order")
        out["date_order"] = order.strip().lower()
    reporting = data.get("reporting_currency")
    if reporting is not None:
        if not isinstance(reporting, str) or not _CURRENCY_CODE.match(reporting.strip().upper()):
            raise fail(f"reporting_currency must be a three-letter currency code such as EUR; found "
                       f"{_kind(reporting)}.", "reporting_currency")
        out["reporting_currency"] = reporting.strip().upper()
    rates = data.get("currency_rates")
    if rates is not None:
        if not isinstance(rates, dict):
            raise fail(f"currency_rates must hold code: rate pairs (e.g. USD: 0.92, the value of one USD in the "
                       f"reporting currency); found {_kind(rates)}.", "currency_rates")
        clean: dict[str, float] = {}
        for code, rate in rates.items():
            if not isinstance(code, str) or not _CURRENCY_CODE.match(code.strip().upper()) \
                    or isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e6:
                raise fail(f"currency_rates needs a three-letter code and a positive number on each line "
                           f"(e.g. USD: 0.92); found {code!r}: {rate!r}.", str(code))
            clean[code.strip().upper()] = float(rate)
        out["currency_rates"] = clean
    return out


def save_mapping(path: Path, mapping: dict) -> Path:
    """Write a mapping (as the upload step confirmed it) so the next export of that layout reuses it.

    JSON when the path ends in .json, YAML otherwise. Only the public sections and settings are written.
    """
    path = Path(path)
    clean = {k: mapping[k] for k in MAPPING_KEYS + MAPPING_SETTINGS if mapping.get(k)}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(clean, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(clean, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
