"""A mapping proposed for a CRM export whose layout is not recognised: header names and value shapes.

Each field still without a column gets the free header that scores best on two pieces of evidence:
its name (fuzzy-compared with the names the known layouts use and a few generic words) and the
shape of its values (ids unique, amounts numbers, dates dates, stages few distinct labels...). The
result is only ever a proposal: the user confirms it (app) or saves the printed snippet (CLI).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from core.io.layouts import CRM_HEADERS
from core.io.text import normalise_name

# Generic header words per field, beside the known layouts' headers (CRM_HEADERS).
HINTS: dict[str, list[str]] = {
    "deal_id": ["id", "opportunity id", "deal id", "record id", "reference"],
    "deal_name": ["name", "title", "opportunity", "product", "deal", "subject"],
    "company": ["account", "company", "organization", "organisation", "client", "customer", "entreprise"],
    "amount": ["value", "close value", "deal value", "revenue", "amount", "price", "montant", "valeur"],
    "stage": ["stage", "status", "deal stage", "phase", "statut", "etape"],
    "owner": ["owner", "sales agent", "salesperson", "sales rep", "rep", "assigned to", "commercial"],
    "created_at": ["created", "created date", "engage date", "creation date", "open date", "date added"],
    "closed_at": ["close date", "closed date", "closed", "won date", "closing date", "date closed"],
    "currency": ["currency", "devise"],
}
# The fields worth proposing, in the order they are shown.
PROPOSED = ("deal_id", "deal_name", "company", "amount", "stage", "owner", "created_at", "closed_at", "currency")
MIN_SCORE = 0.6

_DATE = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T].*)?$")
_NUMBER = re.compile(r"^[-+(]?\s*[^\d\s]{0,4}\s*\d[\d\s.,'\u00a0\u202f]*\s*[^\d\s]{0,4}\)?$")
_CODE = re.compile(r"^([A-Za-z]{3}|[€$£¥])$")


def _share(values: Sequence[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


@dataclass(frozen=True)
class Shape:
    """What a column's sample values look like: shares of dates, numbers, texts, ids, codes."""

    dates: float = 0.0
    numbers: float = 0.0
    texts: float = 0.0
    distinct: float = 0.0
    labels: int = 0  # number of distinct values
    tokens: float = 0.0  # share of short values without spaces (id-like)
    codes: float = 0.0  # share of currency codes or symbols

    @classmethod
    def of(cls, values: Sequence[str]) -> Shape:
        values = [v.strip() for v in values if v and v.strip()]
        if not values:
            return cls()
        return cls(dates=_share(values, lambda v: bool(_DATE.match(v))),
                   numbers=_share(values, lambda v: bool(_NUMBER.match(v)) and not _DATE.match(v)),
                   texts=_share(values, lambda v: sum(ch.isalpha() for ch in v) >= max(2, len(v) // 2)),
                   distinct=len(set(values)) / len(values), labels=len(set(values)),
                   tokens=_share(values, lambda v: " " not in v and len(v) <= 40 and not _DATE.match(v)),
                   codes=_share(values, lambda v: bool(_CODE.match(v))))


def shape_score(field: str, shape: Shape) -> float:
    """How well a column's values look like `field` (0 to 1)."""
    if field in ("created_at", "closed_at"):
        return shape.dates
    if field == "amount":
        return shape.numbers
    if field == "deal_id":
        return shape.distinct * shape.tokens
    if field == "stage":
        return shape.texts * (1.0 if shape.labels <= 30 else 0.3) * (1 - shape.distinct / 2)
    if field == "currency":
        return shape.codes
    return shape.texts  # names, companies, owners


def name_score(field: str, header: str) -> float:
    """How much a header's name looks like one used for `field` (0 to 1)."""
    names = [field.replace("_", " ")] + CRM_HEADERS.get(field, []) + HINTS.get(field, [])
    h = normalise_name(header)
    return max(fuzz.token_set_ratio(normalise_name(n), h) for n in names) / 100


def propose(fields: Sequence[str], headers: Sequence[str], samples: dict[str, list[str]],
            taken: set[str] = frozenset()) -> dict[str, str]:
    """The best free header for each of `fields` (omitted when nothing scores well enough).

    Scores combine the name (60%) and the values' shape (40%); the best pair is assigned first
    and its header is not offered again.
    """
    free = [h for h in headers if h not in taken]
    shapes = {h: Shape.of(samples.get(h, [])) for h in free}
    scores = []
    for f in fields:
        for h in free:
            score = 0.6 * name_score(f, h) + 0.4 * shape_score(f, shapes[h])
            if score >= MIN_SCORE:
                scores.append((score, f, h))
    out: dict[str, str] = {}
    for _, f, h in sorted(scores, key=lambda x: -x[0]):
        if f not in out and h not in out.values():
            out[f] = h
    return {f: out[f] for f in fields if f in out}


def proposal_text(file: str, missing: list[str], fields: dict[str, list[str]], headers: Sequence[str],
                  samples: dict[str, list[str]]) -> str:
    """The unrecognised-layout message: field by field the best header with two sample values, then
    a mapping snippet to save."""
    taken = {s for src in fields.values() for s in src}
    wanted = [f for f in PROPOSED if f not in fields]
    guess = propose(wanted, headers, samples, taken)
    lines = [(f"this CRM export lacks required column(s) {', '.join(missing)}: its layout is not recognised. "
             "Best guess, field by field (header, then two sample values):")]
    for f in PROPOSED:
        found = fields.get(f)
        h = found[0] if found else guess.get(f)
        if h is None:
            lines.append(f"  {f:<11} -> (no column found{'; required' if f in missing else ''})")
            continue
        examples = [v for v in dict.fromkeys(v.strip() for v in samples.get(h, []) if v and v.strip())][:2]
        lines.append(f"  {f:<11} -> {h!r}" + (f" (e.g. {', '.join(repr(e) for e in examples)})" if examples else "")
                     + (" recognised" if found else ""))
    crm = {f: (src[0] if len(src) == 1 else src) for f, src in fields.items()}
    crm.update(guess)
    crm = {f: crm[f] for f in PROPOSED + tuple(k for k in crm if k not in PROPOSED) if f in crm}
    lines.append("Check these, save the lines below as mapping.json and build again with --mapping mapping.json:")
    lines.append(json.dumps({"crm": crm}, ensure_ascii=False, indent=2))
    return "\n".join(lines)
