"""Tidy DataFrames made readable: labelled headers and formatted cells for screens, and CSV files in
the reader's locale.

A metric returns raw values under snake_case names (`fill_rate` = 0.1927). A person reads
`Taux de remplissage (%)` = `19,3 %`; French Excel opens a `;`-separated file with decimal commas;
tools read the plain machine CSV (`core.csvsafe.to_csv_bytes`). Formats follow `core.labels`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.csvsafe import neutralise
from core.formats import (
    CSV_DECIMALS,
    MISSING,
    MONTH_NAMES,
    Locale,
    check_locale,
    format_value,
    is_missing,
    month_name,
)
from core.labels import VALUES, describe, header, value_label

# Text columns holding coded values (`pitch`, `repeat`, `none`…) shown in business words.
CODED = ("stage", "stage_detail", "job_kind", "segment", "quadrant", "factor", "value", "relationship", "last_event",
         "status", "last_job_status")
# A frame of measures (`measure`, `value`, `unit`): the unit of each row decides its format.
_UNIT_KINDS = {"eur": "money", "€": "money", "pct": "percent", "rate": "percent", "%": "percent",
               "days": "days", "count": "count"}
_NUMERIC_KINDS = ("money", "count", "percent", "points", "days", "hours", "number", "ratio", "score", "year")
CSV_SEPARATORS = {"fr": (";", ","), "en": (",", ".")}


def kind_of(frame: pd.DataFrame, column: str) -> str:
    """How `column` of `frame` reads: its label's kind when the values fit it, else from its dtype."""
    values = frame[column]
    kind = describe(column).kind
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if kind in _NUMERIC_KINDS and numeric:
        return kind
    if kind in ("date", "month") and pd.api.types.is_datetime64_any_dtype(values):
        return kind
    if kind == "flag" and pd.api.types.is_bool_dtype(values):
        return kind
    if kind == "prose" and not numeric and not pd.api.types.is_bool_dtype(values):
        return kind
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        return "number"
    return "text"


def _row_kinds(frame: pd.DataFrame) -> pd.Series | None:
    """Per-row kind of a measures frame (it has a `unit` column), else None."""
    if "unit" not in frame.columns:
        return None
    return frame["unit"].map(lambda u: _UNIT_KINDS.get(str(u).lower(), "count"))


# Metrics name calendar months in English (`month_name`): shown in the reader's language.
_MONTH_NUMBERS = {name: number for number, name in enumerate(MONTH_NAMES["en"], start=1)}


def _month_word(value: object, locale: Locale) -> str:
    number = _MONTH_NUMBERS.get(value) if isinstance(value, str) else None
    return month_name(number, locale) if number else format_value(value, "text", locale)


def cell_formatters(frame: pd.DataFrame, locale: Locale) -> dict[str, Callable[[object], str]]:
    """Per column, the function that turns a raw cell into its displayed text."""
    check_locale(locale)
    out: dict[str, Callable[[object], str]] = {}
    for col in frame.columns:
        kind = kind_of(frame, col)
        if col == "month_name":
            out[col] = lambda v: _month_word(v, locale)
        elif kind == "text" and col in CODED:
            out[col] = lambda v: MISSING if is_missing(v) else value_label(v, locale)
        else:
            out[col] = lambda v, kind=kind: format_value(v, kind, locale)
    return out


def display_frame(frame: pd.DataFrame, locale: Locale) -> pd.DataFrame:
    """`frame` as text a person reads: labelled headers (with units) and every cell formatted.

    Args:
        frame: a tidy frame as a metric returns it (snake_case columns, raw values).
        locale: `fr` or `en`.

    Returns:
        Same rows, one text column per column, headed by `core.labels.header`.
    """
    formatters = cell_formatters(frame, locale)
    out = pd.DataFrame({col: frame[col].map(fn) for col, fn in formatters.items()}, index=frame.index)
    rows = _row_kinds(frame)
    if rows is not None:
        for col in ("value", "previous"):
            if col in frame.columns:
                out[col] = [format_value(v, k, locale) for v, k in zip(frame[col], rows)]
    out.columns = headers(frame, locale)
    return out


def headers(frame: pd.DataFrame, locale: Locale) -> list[str]:
    """The labelled headers of `frame`'s columns; a repeated label gets its column name appended."""
    names = [header(c, locale) for c in frame.columns]
    return [f"{n} [{c}]" if names.count(n) > 1 else n for n, c in zip(names, frame.columns)]


def _half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Rounded half away from zero, as on screen (`core.formats.half_up`); whole numbers as integers."""
    scale = 10.0 ** decimals
    rounded = np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale
    return rounded.astype("Int64") if decimals == 0 else rounded


def _csv_column(values: pd.Series, kind: str, locale: Locale, coded: bool) -> pd.Series:
    if kind in ("percent", "points"):
        return _half_up(values.astype(float) * 100, CSV_DECIMALS[kind])
    if kind in CSV_DECIMALS:
        return _half_up(values.astype(float), CSV_DECIMALS[kind])
    if kind in ("date", "month"):
        pattern = "%d/%m/%Y" if locale == "fr" else "%Y-%m-%d"
        return pd.to_datetime(values).dt.strftime(pattern)
    if kind in ("flag", "prose"):
        return values.map(lambda v: None if is_missing(v) else format_value(v, kind, locale))
    if coded:
        return values.map(lambda v: value_label(v, locale) if isinstance(v, str) and v in VALUES else v)
    if values.name == "month_name":
        return values.map(lambda v: _month_word(v, locale) if isinstance(v, str) else v)
    return values


def locale_csv_bytes(frame: pd.DataFrame, locale: Locale) -> bytes:
    """`frame` as a CSV file a spreadsheet in `locale` opens into columns.

    French: `;` between cells, decimal comma; English: `,` and a decimal dot. Both UTF-8 with a
    BOM (Excel then reads accents right) and CRLF line ends. Headers are the labels with their
    unit (`Taux de remplissage (%)`); percentages and point changes are numbers ×100 (19.27 %
    is `19,3`), rounded as shown on screen (money keeps its cents); dates `dd/mm/yyyy` / ISO;
    yes/no in words; empty cells for missing values. No thousands separator: a spreadsheet
    reads the number. Text cells cannot start a formula (`core.csvsafe`).

    Args:
        frame: a tidy frame as a metric returns it.
        locale: `fr` or `en`.
    """
    separator, decimal = CSV_SEPARATORS[check_locale(locale)]
    rows = _row_kinds(frame)
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        kind = kind_of(frame, col)
        if rows is not None and col in ("value", "previous"):
            # A measures frame: each row's unit decides, rates as percentages.
            scale = rows.map({"percent": 100.0}).fillna(1.0)
            out[col] = (frame[col].astype(float) * scale).round(2)
        else:
            out[col] = _csv_column(frame[col], kind, locale, col in CODED)
    out.columns = headers(frame, locale)
    text = neutralise(out).to_csv(index=False, sep=separator, decimal=decimal, lineterminator="\r\n")
    return text.encode("utf-8-sig")
