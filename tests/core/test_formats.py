"""French and English number and date formats: exact examples, and properties over any number."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import formats as fm

N = "\u202f"


@pytest.mark.parametrize(("fn", "value", "fr", "en"), [
    (fm.money, 1234.5, f"1{N}235{N}€", "€1,235"),
    (fm.money, -5125, f"-5{N}125{N}€", "-€5,125"),
    (fm.money, 0, f"0{N}€", "€0"),
    (fm.percent, 0.123, f"12,3{N}%", "12.3%"),
    (fm.percent, 0.5, f"50,0{N}%", "50.0%"),
    (fm.points, -0.014, f"-1,4{N}pt", "-1.4 pts"),
    (fm.points, 0.02, f"+2,0{N}pt", "+2.0 pts"),
    (fm.integer, 1234567, f"1{N}234{N}567", "1,234,567"),
    (fm.integer, 7.773, "8", "8"),
    (fm.days, 45.2, "45 jours", "45 days"),
    (fm.days, 1, "1 jour", "1 day"),
    (fm.hours, 12.46, f"12,5{N}h", "12.5 h"),
    (fm.day, date(2026, 12, 2), "02/12/2026", "2026-12-02"),
    (fm.month, pd.Timestamp("2026-11-01"), "nov. 2026", "Nov 2026"),
    (fm.quarter, pd.Timestamp("2026-07-01"), "T3 2026", "Q3 2026"),
    (fm.quarter, date(2026, 12, 31), "T4 2026", "Q4 2026"),
    (fm.flag, True, "oui", "yes"),
])
def test_examples(fn, value, fr, en) -> None:
    assert fn(value, "fr") == fr
    assert fn(value, "en") == en


def test_money_with_decimals() -> None:
    assert fm.money(1234.5, "fr", 1) == f"1{N}234,5{N}€"
    assert fm.money(1234.5, "en", 1) == "€1,234.5"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
@pytest.mark.parametrize("kind", fm.KINDS)
def test_missing_reads_as_a_dash_in_every_kind(missing, kind) -> None:
    assert fm.format_value(missing, kind, "fr") == "–"
    assert fm.format_value(missing, kind, "en") == "–"


def test_year_is_not_grouped() -> None:
    assert fm.format_value(2026, "year", "fr") == "2026"


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="fr, en"):
        fm.number(1, "de")  # type: ignore[arg-type]


def _parse(text: str, locale: str) -> float:
    """Read a formatted number back (independently of the formatter): drop grouping, fix the decimal."""
    body = re.sub(r"[€%a-z ]", "", text.replace(N, ""))
    return float(body.replace(",", ".") if locale == "fr" else body.replace(",", ""))


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@given(finite, st.sampled_from(fm.LOCALES), st.integers(min_value=0, max_value=3))
def test_number_reads_back_to_the_rounded_value(value: float, locale, decimals: int) -> None:
    # People round half away from zero (1.25 -> 1.3), on the number as written (its shortest repr), not
    # to even as Python's round() does (1.2).
    expected = Decimal(repr(value)).quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP)
    assert _parse(fm.number(value, locale, decimals), locale) == float(expected)


@pytest.mark.parametrize(("value", "decimals", "fr"), [(1.25, 1, "1,3"), (2.5, 0, "3"), (-2.5, 0, "-3"),
                                                       (0.125, 2, "0,13"), (-0.04, 1, "0,0")])
def test_halves_round_away_from_zero(value: float, decimals: int, fr: str) -> None:
    assert fm.number(value, "fr", decimals) == fr


@given(finite, st.sampled_from(fm.LOCALES))
def test_groups_of_three_digits_and_one_decimal_mark(value: float, locale) -> None:
    text = fm.number(value, locale, 1).lstrip("-")
    group, decimal = (N, ",") if locale == "fr" else (",", ".")
    whole, _, fraction = text.partition(decimal)
    assert len(fraction) == 1
    parts = whole.split(group)
    assert all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3


@given(finite)
def test_money_sign_and_currency_placement(value: float) -> None:
    fr, en = fm.money(value, "fr"), fm.money(value, "en")
    negative = value <= -0.5  # half away from zero: -0.5 is -1 €
    assert fr.endswith(f"{N}€") and fr.startswith("-") == negative
    assert en.startswith("-€" if negative else "€")


def test_the_products_sentences_take_the_readers_decimal_mark() -> None:
    reason = "near-tie between Velylken (C0200) 100.0 and Velylken SA (C0266) 99.5: needs a decision"
    assert fm.prose(reason, "fr") == \
        "near-tie between Velylken (C0200) 100,0 and Velylken SA (C0266) 99,5: needs a decision"
    assert fm.prose(reason, "en") == reason
    # dotted names, versions and files are not numbers; a sentence's full stop is not a decimal mark
    assert fm.prose("see deals.csv, v1.2.3 and 3. Next: 12.", "fr") == "see deals.csv, v1.2.3 and 3. Next: 12."
    assert fm.prose(None, "fr") == fm.MISSING


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.integers(min_value=0, max_value=3))
def test_a_decimal_in_a_sentence_reads_as_french_formats_write_it(value: float, decimals: int) -> None:
    written = f"score {value:.{decimals}f} of 100"
    assert fm.prose(written, "fr") == written.replace(".", ",")


def test_a_range_of_percentages_is_spaced_in_french_only() -> None:
    assert fm.percent_range(10, 90, "fr") == "10–90\u202f%"
    assert fm.percent_range(10, 90, "en") == "10–90%"


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_percent_has_exactly_one_decimal(fraction: float) -> None:
    assert re.fullmatch(rf"-?\d{{1,3}}({N}\d{{3}})*,\d{N}%", fm.percent(fraction, "fr"))
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d%", fm.percent(fraction, "en"))


@given(st.floats(min_value=-1, max_value=1, allow_nan=False))
def test_points_are_always_signed(change: float) -> None:
    assert fm.points(change, "fr")[0] in "+-" and fm.points(change, "en")[0] in "+-"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_read_back(d: date) -> None:
    day, month, year = fm.day(d, "fr").split("/")
    assert date(int(year), int(month), int(day)) == d
    assert date.fromisoformat(fm.day(d, "en")) == d


@pytest.mark.parametrize(("typed", "amount"), [
    ("100000", 100_000), ("100 000", 100_000), (f"100{N}000{N}€", 100_000), ("€100,000", 100_000),
    ("100.000", 100_000), ("1 234,50", 1234.5), ("1,234.50", 1234.5), ("1.234.567,5", 1_234_567.5),
    ("150k", 150_000), ("1,5 M€", 1_500_000), ("1,5", 1.5), ("99.90", 99.9), ("0,500", 0.5),
    ("1 234 EUR", 1234), ("250 000 euros", 250_000), ("-5 125 €", -5125), ("1'000'000", 1_000_000),
])
def test_read_amount_as_typed(typed, amount) -> None:
    assert fm.read_amount(typed) == amount


@pytest.mark.parametrize("typed", ["", "abc", "€", "1,2,3", "12,34,567", "1.000,000.5", ".5", "5.", "1 000 k €x",
                                   "1,000.5,0"])
def test_read_amount_refuses_what_is_not_an_amount(typed) -> None:
    assert fm.read_amount(typed) is None


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from(fm.LOCALES), st.sampled_from((0, 2)))
def test_read_amount_reads_back_what_money_and_number_write(cents: int, locale, decimals: int) -> None:
    value = cents / 100 if decimals else float(cents)
    assert fm.read_amount(fm.money(value, locale, decimals)) == pytest.approx(value, abs=1e-9)
    assert fm.read_amount(fm.number(value, locale, decimals)) == pytest.approx(value, abs=1e-9)
