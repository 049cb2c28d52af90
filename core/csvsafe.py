"""CSV output that spreadsheet programs cannot turn into formulas.

Per OWASP's CSV-injection guidance, any text cell starting with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`. Numbers stay numbers: only
text cells are touched, so a negative amount is still a number.
"""

from __future__ import annotations

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 (with BOM, so Excel reads accents right) CSV of `frame`, neutralised."""
    # CRLF line ends (RFC 4180) also make the writer quote cells holding a lone CR.
    return neutralise(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
