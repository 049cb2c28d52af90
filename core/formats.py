"""Numbers and dates as a French or an English reader expects them, for screens and for CSV files.

French (the agency's language, the default): `1 234,5 €`, `-5 125 €`, `12,3 %`, `-1,4 pt`,
`02/12/2026`, `nov. 2026`. English: `€1,234.5`, `-€5,125`, `12.3%`, `-1.4 pts`, `2026-12-02`,
`Nov 2026`. French groups thousands and separates a unit with U+202F (narrow no-break space,
the French typographic rule), so a number never breaks across lines. A missing value (None,
NaN, NaT) reads `–` in both. Negative numbers take the ASCII minus, so a pasted value stays a
number in a spreadsheet.

Every function is pure: the caller says which locale.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import pandas as pd

Locale = Literal["fr", "en"]
LOCALES: tuple[Locale, ...] = ("fr", "en")
DEFAULT_LOCALE: Locale = "fr"

MISSING = "–"
NNBSP = "\u202f"

# What a value is, which decides how it reads. `percent` and `points` take fractions (0.123 is
# 12.3 %; a change of -0.014 is -1.4 points).
# `prose` is a sentence the product writes (a link's reason); `text`, anything else (names, codes).
Kind = Literal["money", "count", "percent", "points", "days", "hours", "number", "ratio", "score",
               "year", "date", "month", "flag", "prose", "text"]
KINDS: tuple[Kind, ...] = ("money", "count", "percent", "points", "days", "hours", "number", "ratio",
                           "score", "year", "date", "month", "flag", "prose", "text")

# Decimals shown per kind (a CSV keeps the same, except money which keeps its cents).
DECIMALS: dict[str, int] = {"money": 0, "count": 0, "percent": 1, "points": 1, "days": 0, "hours": 1,
                            "number": 1, "ratio": 2, "score": 2, "year": 0}
CSV_DECIMALS: dict[str, int] = {**DECIMALS, "money": 2}

_MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
              "déc.")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FLAGS = {"fr": ("oui", "non"), "en": ("yes", "no")}
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def plotly_config(locale: Locale) -> dict[str, object]:
    """Plotly's `config` for charts read in `locale`: in French, month and day names and the date order
    of `month` and `day` on date axes and in hovers (`nov. 2025`), and the ` %` after percentages;
    English is Plotly's own. The decimal
    mark and thousands separator are the layout's `separators` (`style_figure`), which Plotly reads first."""
    if locale != "fr":
        return {}
    return {"locale": "fr", "locales": {"fr": {"format": {
        # No chart shows a currency through d3's `$` flag: French percentages use it for their ` %`
        # (`app.ui.widgets.percents_in_locale`), since d3 glues its `%` to the number.
        "currency": ["", NNBSP + "%"],
        "months": list(MONTH_NAMES["fr"]), "shortMonths": list(_MONTHS_FR),
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "date": "%d/%m/%Y", "year": "%Y", "month": "%b %Y",
        "dayMonth": "%-d %b", "dayMonthYear": "%-d %b %Y"}}}}


def is_missing(value: object) -> bool:
    """None, pandas' NA/NaT, or a float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def check_locale(locale: str) -> Locale:
    """`locale` if it is one Crossview speaks (`fr`, `en`), else a ValueError naming the choices."""
    if locale not in LOCALES:
        raise ValueError(f"Unknown number format {locale!r}: use one of {', '.join(LOCALES)}.")
    return locale  # type: ignore[return-value]


def number(value: float | None, locale: Locale, decimals: int = 0) -> str:
    """A number with its thousands grouped and `decimals` decimals: `1 234,5` / `1,234.5`."""
    if is_missing(value):
        return MISSING
    rounded = half_up(value, decimals)
    text = f"{abs(rounded):,.{decimals}f}"
    if check_locale(locale) == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return f"-{text}" if rounded < 0 else text


def half_up(value: float, decimals: int) -> Decimal:
    """`value` rounded half away from zero, as people round (2.5 → 3), not to even; never `-0`."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else Decimal(0).quantize(Decimal(1).scaleb(-decimals))


def integer(value: float | None, locale: Locale) -> str:
    """A count: rounded to a whole number, thousands grouped: `12 345` / `12,345`."""
    return number(value, locale, 0)


def money(value: float | None, locale: Locale, decimals: int = 0) -> str:
    """Euros: `-5 125 €` / `-€5,125`."""
    if is_missing(value):
        return MISSING
    text = number(value, locale, decimals)
    if locale == "fr":
        return f"{text}{NNBSP}€"
    return f"-€{text[1:]}" if text.startswith("-") else f"€{text}"


_AMOUNT_UNITS = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}
_AMOUNT_GROUPS = re.compile(r"\d{1,3}([.,])\d{3}(?:\1\d{3})*")


def read_amount(text: str) -> float | None:
    """An amount of euros as a person types it, in either locale; None when it cannot be read.

    Reads `100000`, `100 000`, `100 000 €`, `€100,000`, `100.000`, `1 234,50`, `1,234.50`, `150k`,
    `1,5 M€`, and what `money` writes. Spaces and apostrophes group thousands. With both a comma and
    a dot, the last one is the decimal mark; a lone comma or dot followed by exactly three digits
    groups thousands (`100,000` is a hundred thousand: an objective of 100 euros and a fraction is
    not what anyone types), any other lone one is the decimal mark (`1,5`, `99.90`).
    """
    cleaned = re.sub(r"(?i)eur(os?)?|€|[\s'\u00a0\u202f]", "", text.strip())
    scale = 1
    if cleaned[-1:] in _AMOUNT_UNITS:
        cleaned, scale = cleaned[:-1], _AMOUNT_UNITS[cleaned[-1]]
    sign = -1 if cleaned.startswith("-") else 1
    cleaned = cleaned.lstrip("+-")
    if not re.fullmatch(r"\d[\d.,]*", cleaned) or cleaned[-1] in ".,":
        return None
    marks = [c for c in cleaned if c in ".,"]
    if len(set(marks)) == 2:
        decimal_mark = cleaned[max(cleaned.rfind("."), cleaned.rfind(","))]
        whole, _, cents = cleaned.rpartition(decimal_mark)
    elif len(marks) > 1 or (marks and re.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}", cleaned)):
        whole, cents = cleaned, ""
    else:
        whole, _, cents = cleaned.replace(",", ".").partition(".")
    if any(c in ".," for c in whole) and not _AMOUNT_GROUPS.fullmatch(whole):
        return None
    digits = re.sub(r"[.,]", "", whole)
    return sign * float(f"{digits}.{cents or 0}") * scale


def percent(fraction: float | None, locale: Locale, decimals: int = 1) -> str:
    """A fraction as a percentage with one decimal: 0.123 → `12,3 %` / `12.3%`."""
    if is_missing(fraction):
        return MISSING
    return _with_percent_sign(number(float(fraction) * 100, locale, decimals), locale)


def percent_range(low: int, high: int, locale: Locale) -> str:
    """A range of whole percentages, such as an interval's quantiles: `10–90 %` / `10–90%`."""
    return _with_percent_sign(f"{low}–{high}", locale)


def _with_percent_sign(text: str, locale: Locale) -> str:
    """French puts a narrow space before the `%`; English none."""
    return f"{text}{NNBSP}%" if check_locale(locale) == "fr" else f"{text}%"


def points(change: float | None, locale: Locale, decimals: int = 1) -> str:
    """A change of a rate in percentage points, signed: -0.014 → `-1,4 pt` / `-1.4 pts`.

    5 % → 7 % is `+2,0 pt`, never `+40 %`: a rate's change is read in points.
    """
    if is_missing(change):
        return MISSING
    text = number(float(change) * 100, locale, decimals)
    sign = "" if text.startswith("-") else "+"
    return f"{sign}{text}{NNBSP}pt" if locale == "fr" else f"{sign}{text} pts"


def days(value: float | None, locale: Locale) -> str:
    """A duration in whole days: `45 jours` / `45 days`, `1 jour` / `1 day`."""
    if is_missing(value):
        return MISSING
    text = integer(value, locale)
    one = text in ("1", "-1")
    if locale == "fr":
        return f"{text} jour" if one else f"{text} jours"
    return f"{text} day" if one else f"{text} days"


def hours(value: float | None, locale: Locale) -> str:
    """Hours with one decimal: `12,5 h` / `12.5 h`."""
    if is_missing(value):
        return MISSING
    return f"{number(value, locale, 1)}{NNBSP if locale == 'fr' else ' '}h"


def _as_date(value: object) -> date | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def day(value: object, locale: Locale) -> str:
    """A date: `02/12/2026` / `2026-12-02`."""
    d = _as_date(value)
    if d is None:
        return MISSING
    return f"{d:%d/%m/%Y}" if check_locale(locale) == "fr" else d.isoformat()


def month(value: object, locale: Locale) -> str:
    """A month: `nov. 2026` / `Nov 2026`."""
    d = _as_date(value)
    if d is None:
        return MISSING
    names = _MONTHS_FR if check_locale(locale) == "fr" else _MONTHS_EN
    return f"{names[d.month - 1]} {d.year}"


def quarter(value: object, locale: Locale) -> str:
    """The quarter a date falls in: `T3 2026` / `Q3 2026`."""
    d = _as_date(value)
    if d is None:
        return MISSING
    return f"{'T' if check_locale(locale) == 'fr' else 'Q'}{(d.month - 1) // 3 + 1} {d.year}"


def month_name(month_number: int, locale: Locale) -> str:
    """A calendar month on its own, in full: 11 → `novembre` / `November`."""
    return MONTH_NAMES[check_locale(locale)][int(month_number) - 1]


def flag(value: object, locale: Locale) -> str:
    """A yes/no value: `oui`/`non`, `yes`/`no`."""
    if is_missing(value):
        return MISSING
    yes, no = _FLAGS[check_locale(locale)]
    return yes if bool(value) else no


# A decimal in a sentence: `87.5`, not a dotted name or file (`v1.2.3`, `deals.csv`).
_DECIMAL_IN_TEXT = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")


def prose(value: object, locale: Locale) -> str:
    """A sentence the product wrote (in English: `near-tie between … 87.5 and … 86.0`) with its decimals
    in `locale`: `87,5` in French; `–` when missing."""
    if is_missing(value):
        return MISSING
    return _DECIMAL_IN_TEXT.sub(r"\1,\2", str(value)) if check_locale(locale) == "fr" else str(value)


def text(value: object) -> str:
    """Any other value as text; `–` when missing."""
    return MISSING if is_missing(value) else str(value)


def format_value(value: object, kind: str, locale: Locale) -> str:
    """`value` read as a `kind` (see `KINDS`) in `locale`."""
    if kind == "money":
        return money(value, locale)  # type: ignore[arg-type]
    if kind == "percent":
        return percent(value, locale)  # type: ignore[arg-type]
    if kind == "points":
        return points(value, locale)  # type: ignore[arg-type]
    if kind == "days":
        return days(value, locale)  # type: ignore[arg-type]
    if kind == "hours":
        return hours(value, locale)  # type: ignore[arg-type]
    if kind in ("count", "number", "ratio", "score"):
        return number(value, locale, DECIMALS[kind])  # type: ignore[arg-type]
    if kind == "year":
        return MISSING if is_missing(value) else str(int(value))  # type: ignore[call-overload]
    if kind == "date":
        return day(value, locale)
    if kind == "month":
        return month(value, locale)
    if kind == "flag":
        return flag(value, locale)
    if kind == "prose":
        return prose(value, locale)
    return text(value)
