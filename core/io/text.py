"""Low-level text handling for exports: encodings, header names, delimiters, header rows.

Exports arrive in whatever the tool (or the person) saved: UTF-8 with or without a BOM,
UTF-16, Windows cp1252, sometimes a file where someone pasted UTF-8 text into a cp1252 one.
Everything here is detection, never assumption, and every guess is reported so the build
can log it.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")
SNIFF_LINES = 40

# Bytes that cp1252 leaves undefined: a file holding them is latin-1, not cp1252.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejects as cp1252 (a cp1252 cell pasted into a UTF-8 file)."""
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start:err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("crossview_cp1252", _cp1252_fallback)


def detect_encoding(data: bytes) -> str:
    """The encoding of an export, detected from its bytes.

    Returns one of `utf-8`, `utf-8-sig` (UTF-8 with BOM), `utf-16` (with BOM),
    `utf-16-le`/`utf-16-be` (no BOM, detected from NUL bytes), `cp1252`, `latin-1`,
    or `mixed` (mostly UTF-8 with cp1252 bytes in places).
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4:
        # Mostly-ASCII text in UTF-16 without BOM: nearly every other byte is NUL, the others never.
        odd, even, half = head[1::2].count(0), head[0::2].count(0), len(head) // 2
        if odd >= 0.7 * half and even == 0:
            return "utf-16-le"
        if even >= 0.7 * half and odd == 0:
            return "utf-16-be"
    if data.isascii():
        return "utf-8"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: mixed when some non-ASCII characters still decode as UTF-8 (a pasted UTF-8 cell).
    text = data.decode("utf-8", errors="replace")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if non_ascii > text.count("\ufffd"):
        return "mixed"
    return "latin-1" if CP1252_UNDEFINED.search(data) else "cp1252"


def decode(data: bytes, encoding: str) -> str:
    """Bytes to text with a detected encoding (`mixed` decodes cp1252 bytes inside UTF-8)."""
    if encoding == "mixed":
        return data.decode("utf-8", errors="crossview_cp1252")
    return data.decode(encoding)


def normalise_name(text: str | None) -> str:
    """A header or label reduced for comparison: case, accents, punctuation and spacing ignored."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def dedupe_headers(names: Sequence[str | None]) -> tuple[list[str], list[str]]:
    """Header cells made unique: blanks become `column_<n>`, repeats get `_2`, `_3`…

    Column names are compared case-insensitively (as the database does).

    Returns:
        (names, notes) where notes say in words what was renamed.
    """
    out: list[str] = []
    seen: set[str] = set()
    notes: list[str] = []
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip().replace("\ufeff", "")
        if not name:
            name = f"column_{i}"
            notes.append(f"blank header in column {i} named {name}")
        elif name.startswith("_"):
            # Names starting with "_" are reserved for the reader's own columns (_row_number, _extra).
            notes.append(f"header {name!r} renamed 'col{name}'")
            name = f"col{name}"
        base, k = name, 1
        while name.casefold() in seen:
            k += 1
            name = f"{base}_{k}"
        if name != base:
            notes.append(f"header {base!r} renamed {name!r}")
        seen.add(name.casefold())
        out.append(name)
    return out, notes


def sample_lines(text: str, limit: int = SNIFF_LINES) -> str:
    """The first lines of a text, enough to sniff the delimiter and find the header."""
    pos, count = 0, 0
    while count < limit:
        nxt = text.find("\n", pos)
        if nxt < 0:
            return text
        pos, count = nxt + 1, count + 1
    return text[:pos]


def parse_sample(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The sample's non-blank records with the physical line each ends on (quote-aware)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                out.append((reader.line_num, cells))
    except csv.Error:
        pass
    return out


def header_score(cells: Iterable[str], known: set[str]) -> int:
    """How many cells of a row are known column names (normalised)."""
    return len({normalise_name(c) for c in cells} & known)


@dataclass(frozen=True)
class Sniffed:
    """What sniffing found: the delimiter, the header cells and where the data starts."""

    delimiter: str
    header: list[str]
    header_line: int  # physical lines before the data (title rows + header)
    title_rows: int  # non-blank records above the header
    score: int  # known column names found in the header


def sniff(text: str, known: set[str]) -> Sniffed:
    """The delimiter and the header row of a CSV sample.

    With known column names, the row matching most of them wins (title rows above the
    header match none). Without, the first row at least half as wide as the table is the header.
    """
    best: tuple[tuple[float, ...], Sniffed] | None = None
    for order, delim in enumerate(DELIMITERS):
        rows = parse_sample(text, delim)
        if not rows:
            continue
        widths = Counter(len(r) for _, r in rows)
        width, freq = widths.most_common(1)[0]
        consistency = freq / len(rows) if width > 1 else 0.0
        if known:
            scores = [header_score(r, known) for _, r in rows]
            top = max(scores)
            idx = scores.index(top)
        else:
            top = 0
            idx = next((i for i, (_, r) in enumerate(rows)
                        if sum(1 for c in r if c.strip()) >= max(2, width // 2)), 0)
        key = (top, consistency, -order)
        found = Sniffed(delim, rows[idx][1], rows[idx][0], idx, top)
        if best is None or key > best[0]:
            best = (key, found)
    if best is None:
        return Sniffed(",", [], 0, 0, 0)
    return best[1]


def closest(names: Iterable[str], candidates: Sequence[str], n: int = 3) -> list[str]:
    """The candidates that look most like any of `names` (for error messages)."""
    norm = {normalise_name(c): c for c in candidates if c}
    found: list[str] = []
    for name in names:
        for hit in difflib.get_close_matches(normalise_name(name), list(norm), n=n, cutoff=0.4):
            if norm[hit] not in found:
                found.append(norm[hit])
    return found[:n] if found else list(candidates)[:n]
