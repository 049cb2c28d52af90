"""Vectorised text formatting and CSV writing for the demo exports.

Dates are day numbers (days since 1970-01-01, int64). Formatting goes through lookup
tables so that millions of cells cost an index operation, not a strftime each.
The writer does its own minimal quoting so that planted malformed records (an extra
unquoted separator) can be written exactly as a broken export would have them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

EPOCH = date(1970, 1, 1)
_TABLE_START = date(2000, 1, 1)
_TABLE_END = date(2130, 12, 31)
_START = (_TABLE_START - EPOCH).days
_DAYS = np.arange(_START, (_TABLE_END - EPOCH).days + 1, dtype="int64")
_DT = _DAYS.astype("datetime64[D]")
_Y = _DT.astype("datetime64[Y]").astype(int) + 1970
_M = _DT.astype("datetime64[M]").astype(int) % 12 + 1
_D = (_DT - _DT.astype("datetime64[M]")).astype(int) + 1
_FR = np.array([f"{d:02d}/{m:02d}/{y:04d}" for y, m, d in zip(_Y, _M, _D)], dtype=object)
_ISO = np.array([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(_Y, _M, _D)], dtype=object)
_HHMM = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)


def day(d: date) -> int:
    """Day number of a date."""
    return (d - EPOCH).days


def iso_day(text: str) -> int:
    """Day number of a `yyyy-mm-dd` text."""
    return day(date.fromisoformat(text))


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return _Y[np.asarray(days, dtype="int64") - _START]


def month_of(days: np.ndarray) -> np.ndarray:
    """Month (1-12) of each day number."""
    return _M[np.asarray(days, dtype="int64") - _START]


def with_year(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The same day and month in another year (29 Feb falls back to 28 Feb)."""
    days = np.asarray(days, dtype="int64")
    idx = days - _START
    months = (np.asarray(years) - 1970) * 12 + _M[idx] - 1
    first = np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    out = first + _D[idx] - 1
    bad = month_of(out) != _M[idx]
    return np.where(bad, out - _D[idx], out)


def fr_date(days: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy text of each day number (BO style)."""
    return _FR[np.asarray(days, dtype="int64") - _START]


def hubspot_datetime(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DD HH:MM` text (HubSpot export style)."""
    d = _ISO[np.asarray(days, dtype="int64") - _START]
    t = _HHMM[np.asarray(minutes, dtype="int64") % 1440]
    return (pd.Series(d, dtype=object) + " " + pd.Series(t, dtype=object)).to_numpy(dtype=object)


def fr_decimal(values: np.ndarray, decimals: int) -> np.ndarray:
    """French decimal text: `0,20`, `55,5` (decimals=1 drops a trailing `,0`)."""
    scaled = np.rint(np.asarray(values, dtype=float) * 10**decimals).astype("int64")
    sign = np.where(scaled < 0, "-", "")
    scaled = np.abs(scaled)
    whole = (scaled // 10**decimals).astype(str).astype(object)
    frac = (scaled % 10**decimals).astype(str).astype(object)
    frac = pd.Series(frac, dtype=object).str.zfill(decimals).to_numpy(dtype=object)
    out = pd.Series(sign, dtype=object) + pd.Series(whole, dtype=object) + "," + pd.Series(frac, dtype=object)
    if decimals == 1:
        out = out.str.replace(r",0$", "", regex=True)
    return out.to_numpy(dtype=object)


def ints(values: np.ndarray) -> np.ndarray:
    """Integers as text."""
    return np.asarray(values, dtype="int64").astype(str).astype(object)


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Prefixed zero-padded ids: `J000123`."""
    text = pd.Series(np.asarray(numbers, dtype="int64").astype(str), dtype=object).str.zfill(width)
    return (prefix + text).to_numpy(dtype=object)


def _quoted(col: pd.Series, sep: str) -> pd.Series:
    """RFC 4180 quoting of the cells that need it (separator, quote, line break)."""
    col = col.astype(object).fillna("")
    need = col.str.contains(f'[{sep}"\r\n]', regex=True)
    if need.any():
        col = col.copy()
        col[need] = '"' + col[need].str.replace('"', '""', regex=False) + '"'
    return col


def csv_lines(frame: pd.DataFrame, sep: str, extra: pd.Series | None = None) -> pd.Series:
    """One text line per row (without line end). `extra`, when given and non-empty for a row,
    is appended after one more unquoted separator: a record with more fields than the header."""
    cols = [_quoted(frame[c], sep) for c in frame.columns]
    lines = cols[0].str.cat(cols[1:], sep=sep) if len(cols) > 1 else cols[0]
    if extra is not None:
        has = extra.astype(object).fillna("") != ""
        if has.any():
            lines = lines.copy()
            lines[has] = lines[has] + sep + extra[has].astype(object)
    return lines


class CsvWriter:
    """Appends chunks of rows to one CSV file with a fixed encoding, separator and line end."""

    def __init__(self, path: Path, columns: list[str], sep: str, encoding: str, newline: str = "\r\n",
                 title: str | None = None, bom: bool = False) -> None:
        self.path, self.sep, self.encoding, self.newline = path, sep, encoding, newline
        self.columns = columns
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        head = (title + newline if title else "") + sep.join(columns) + newline
        with open(path, "wb") as fh:
            if bom:
                fh.write(b"\xef\xbb\xbf")
            fh.write(head.encode(encoding))

    def write(self, frame: pd.DataFrame, extra: pd.Series | None = None) -> None:
        if frame.empty:
            return
        lines = csv_lines(frame[self.columns], self.sep, extra)
        text = self.newline.join(lines.tolist()) + self.newline
        with open(self.path, "ab") as fh:
            fh.write(text.encode(self.encoding))
        self.rows += len(frame)
