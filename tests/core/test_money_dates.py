"""Money and dates as exports write them: the SQL parsers against values this test formats itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clean.bo import decide_date_order, typed_numbers
from core.clean.engine import FileCleaner
from core.clean.sql import create_macros
from core.io.readers import ReadInfo
from core.schema import ALL_TABLES


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    create_macros(c)
    for table in ALL_TABLES:
        c.execute(table.ddl())
    yield c
    c.close()


def _grouped(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


STYLES = {  # thousands separator, decimal separator
    "us": (",", "."), "fr": (" ", ","), "fr_nbsp": ("\u00a0", ","), "fr_narrow": ("\u202f", ","),
    "de": (".", ","), "ch": ("'", "."), "plain": ("", "."),
}
MONEY = [("", "", None), ("$", "", "USD"), ("", " €", "EUR"), ("USD ", "", "USD"), ("", " EUR", "EUR"),
         ("£", "", "GBP"), ("CHF ", "", "CHF"), ("", "€", "EUR"), ("US$ ", "", "USD"), ("", " GBP", "GBP")]


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(min_value=-10**11, max_value=10**11), style=st.sampled_from(sorted(STYLES)),
       money=st.sampled_from(MONEY), negative=st.sampled_from(["-", "()", "-after"]))
def test_money_cells_read_as_written(con, cents, style, money, negative):
    thousands, decimal = STYLES[style]
    value = Decimal(abs(cents)) / 100
    whole, frac = divmod(abs(cents), 100)
    number = f"{_grouped(whole, thousands) if thousands else whole}{decimal}{frac:02d}"
    before, after, code = money
    cell = f"{before}{number}{after}"
    if cents < 0:
        cell = {"-": f"-{cell}", "()": f"({cell})", "-after": f"{cell}-"}[negative]
    got, currency = con.execute("SELECT cv_num(?), cv_currency(?)", [cell, cell]).fetchone()
    assert got == pytest.approx(float(value) * (-1 if cents < 0 else 1), abs=1e-6), cell
    assert currency == code, cell


def _cleaner(con, table: str) -> FileCleaner:
    fc = FileCleaner(con, "crm", ReadInfo(file="deals.csv", kind="csv", columns=[]), table, "deals", '"id"')
    return fc


def _numbers(con, cells: list[str]) -> list[float | None]:
    con.execute("CREATE OR REPLACE TABLE _n AS SELECT range AS rn, CAST(range AS VARCHAR) AS id, v AS amount, "
                "cv_num(v) AS amount__n FROM (SELECT unnest(?) AS v, unnest(range(len(?))) AS range)",
                [cells, cells])
    typed_numbers(_cleaner(con, "_n"), "_n", ("amount",), money=("amount",))
    return [r[0] for r in con.execute("SELECT amount__n FROM _n ORDER BY rn").fetchall()]


@pytest.mark.parametrize("cells,expected", [
    # `1,234` alone is ambiguous: other cells of the column show the decimal separator ...
    (["$5,000", "$12,500.50"], [5000.0, 12500.5]),
    (["1.234", "12,5"], [1234.0, 12.5]),
    (["1,234", "0,25"], [1.234, 0.25]),
    (["1,234", "7.5"], [1234.0, 7.5]),
    # ... and without any, in a money column, it groups thousands.
    (["1,234", "2.500", "900"], [1234.0, 2500.0, 900.0]),
])
def test_ambiguous_separators_are_settled_by_the_column(con, cells, expected):
    assert _numbers(con, cells) == expected


def _order(con, columns: dict[str, list[str]], forced: str | None = None) -> tuple[dict[str, bool], FileCleaner]:
    n = max(len(v) for v in columns.values())
    padded = {c: v + [None] * (n - len(v)) for c, v in columns.items()}
    con.execute("CREATE OR REPLACE TABLE _d AS SELECT * FROM (SELECT " + ", ".join(
        f"unnest(?) AS {c}" for c in padded) + ")", list(padded.values()))
    fc = _cleaner(con, "_d")
    return decide_date_order(con, fc, "_d", tuple(columns), forced), fc


@settings(max_examples=60, deadline=None)
@given(days=st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), min_size=2, max_size=30),
       dayfirst=st.booleans(), proof=st.dates(dt.date(2000, 1, 13), dt.date(2030, 12, 31)).filter(lambda d: d.day > 12))
def test_one_unambiguous_date_orders_every_column(con, days, dayfirst, proof):
    def fmt(d: dt.date) -> str:
        return f"{d.day}/{d.month}/{d.year}" if dayfirst else f"{d.month}/{d.day}/{d.year}"

    ambiguous = [fmt(d.replace(day=min(d.day, 12))) for d in days]
    # The close column alone is ambiguous; only the created column's one date shows the order.
    orders, fc = _order(con, {"created_at": ambiguous[:-1] + [fmt(proof)], "closed_at": ambiguous})
    assert orders == {"created_at": dayfirst, "closed_at": dayfirst}
    assert fc.facts["date_order"] == ("dmy" if dayfirst else "mdy") and not fc.warnings


def test_no_evidence_is_said_and_the_mapping_can_force(con):
    orders, fc = _order(con, {"created_at": ["01/02/2024", "03/04/2024"]})
    assert orders == {"created_at": True} and fc.facts["date_order"] == "unknown"
    assert "date_order" in fc.warnings[0] and "mdy" in fc.warnings[0]
    orders, fc = _order(con, {"created_at": ["01/02/2024", "03/04/2024"]}, forced="mdy")
    assert orders == {"created_at": False} and not fc.warnings


def test_contradicting_columns_are_a_warning(con):
    orders, fc = _order(con, {"created_at": ["25/01/2024"], "closed_at": ["01/25/2024"]})
    assert orders == {"created_at": True, "closed_at": False}
    assert fc.facts["date_order"] == "contradictory" and "contradict" in fc.warnings[0]
    orders, fc = _order(con, {"created_at": ["25/01/2024", "02/03/2024"]}, forced="mdy")
    assert orders == {"created_at": False} and "date_order" in fc.warnings[0]


@pytest.mark.parametrize("value,damaged", [
    ("1,89165E+11", True), ("1.89165E+11", True), ("1.89165e11", True), ("1234567890123450000", True),
    ("189165000123", False), ("1234567890123456789", False), ("0065g00000XYZ", False), ("zcrm_48768760001", False),
])
def test_ids_written_by_excel_are_recognised(con, value, damaged):
    from core.clean.ids import is_damaged

    assert con.execute(f"SELECT {is_damaged('x')} FROM (SELECT ? AS x)", [value]).fetchone()[0] is damaged
