"""SQL macros shared by the cleaning steps: blanks and null tokens, numbers, dates.

They are created as TEMP macros on the build connection, so every rule is one set-based
statement over a whole file.
"""

from __future__ import annotations

import duckdb

NULL_TOKENS = ("", "n/a", "na", "null", "-", "—", "–", "none", "#n/a", "nan", "nil", "(vide)", "(blank)")

_WS = r"[\s\x{00a0}\x{202f}\x{2007}\x{2009}\x{200b}\x{feff}]"
# Currency codes read in money cells and currency columns (ISO 4217, the ones exports commonly carry).
CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
                  "HUF", "INR", "CNY", "BRL", "MXN", "ZAR", "SGD", "HKD", "AED", "MAD", "TND", "XOF")
_CODES = "|".join(CURRENCY_CODES)
# What is stripped from a money cell before reading the number: symbols, codes and their spellings.
_MONEY = "euros?|" + "|".join(c.lower() for c in CURRENCY_CODES) + r"|us\$|ca\$|au\$|c\$|a\$|fr\.|€|\$|£|¥"


def _formats(dayfirst: bool) -> str:
    """The strptime formats of the accepted date shapes, as a SQL list literal."""
    dm = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] if dayfirst else ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y"]
    days = ["%Y-%m-%d", "%Y/%m/%d"] + dm
    times = ["", " %H:%M", " %H:%M:%S", "T%H:%M:%S"]
    return "[" + ", ".join(f"'{d}{t}'" for d in days for t in times) + "]"

MACROS = [
    # Trim every kind of space, including non-breaking and zero-width ones. Most cells start and end
    # with a printable ASCII character and need no trimming at all: they skip it. (`x[-1]`, the last
    # character, costs far less than `right(x, 1)`.)
    ("CREATE OR REPLACE TEMP MACRO cv_trim(x) AS CASE WHEN ascii(x) BETWEEN 33 AND 126 "
     "AND ascii(x[-1]) BETWEEN 33 AND 126 THEN x ELSE trim(x, ' ' || chr(9) || chr(10) || chr(13) || "
     "chr(160) || chr(8239) || chr(8199) || chr(8201) || chr(8203) || chr(65279)) END"),
    # A trimmed cell, NULL for blanks and null tokens (missing.null_token).
    ("CREATE OR REPLACE TEMP MACRO cv_null(t) AS CASE WHEN strlen(t) <= 7 AND lower(t) IN ("
     + ", ".join("'" + t.replace("'", "''") + "'" for t in NULL_TOKENS) + ") THEN NULL ELSE t END"),
    # A raw cell trimmed, NULL for blanks and null tokens.
    "CREATE OR REPLACE TEMP MACRO cv_nz(x) AS cv_null(cv_trim(x))",
    # A label reduced for lookups, as core.io.text.normalise_name does in Python.
    ("CREATE OR REPLACE TEMP MACRO cv_norm(x) AS "
     "trim(regexp_replace(lower(strip_accents(CAST(x AS VARCHAR))), '[^0-9a-z]+', ' ', 'g'))"),
    "CREATE OR REPLACE TEMP MACRO cv_key(x) AS replace(cv_norm(x), ' ', '')",
    # Number text with spaces, currency symbols and codes, %, k removed; sign forms made a leading minus
    # (`(1,234.00)` and `1,234.00-` are accounting negatives, `−` the minus sign); decimal separator
    # decided from the shape (a lone `1,234` is ambiguous: `typed_numbers` settles it per column).
    (f"CREATE OR REPLACE TEMP MACRO cv_num_text(x) AS regexp_replace(replace(lower(x), '\u2212', '-'), "
     f"'{_WS}|{_MONEY}|%|''|\u2019|k', '', 'g')"),
    (r"CREATE OR REPLACE TEMP MACRO cv_num_sign(s) AS CASE "
     r"WHEN regexp_full_match(s, '\(([^()]+)\)') THEN '-' || regexp_extract(s, '\(([^()]+)\)', 1) "
     r"WHEN regexp_full_match(s, '[^-]+-') THEN '-' || rtrim(s, '-') "
     r"WHEN regexp_full_match(s, '-[+]?[^-]+') THEN '-' || ltrim(s, '-+') ELSE s END"),
    ("CREATE OR REPLACE TEMP MACRO cv_num_shape(s) AS CASE "
     r"WHEN regexp_full_match(s, '[+-]?\d+') THEN s "
     r"WHEN regexp_full_match(s, '[+-]?\d*[.,]\d+') THEN replace(s, ',', '.') "
     r"WHEN regexp_full_match(s, '[+-]?\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(s, ',', '') "
     r"WHEN regexp_full_match(s, '[+-]?\d{1,3}(\.\d{3})+(,\d+)?') THEN replace(replace(s, '.', ''), ',', '.') "
     r"WHEN regexp_full_match(s, '[+-]?\d+\.') THEN rtrim(s, '.') "
     "ELSE NULL END"),
    # Plain numbers (with a decimal point or comma) take the fast cast; the rest the full shape analysis.
    "CREATE OR REPLACE TEMP MACRO cv_num_fast(x) AS TRY_CAST(replace(x, ',', '.') AS DOUBLE)",
    ("CREATE OR REPLACE TEMP MACRO cv_num(x) AS COALESCE("
     "CASE WHEN isfinite(cv_num_fast(x)) AND NOT contains(lower(x), 'e') THEN cv_num_fast(x) END, "
     "TRY_CAST(cv_num_shape(cv_num_sign(cv_num_text(x))) AS DOUBLE))"),
    # A number whose decimal separator is known (`dec` is '.' or ','): the other one groups thousands.
    ("CREATE OR REPLACE TEMP MACRO cv_num_dec_s(s, dec) AS TRY_CAST(CASE "
     r"WHEN NOT regexp_full_match(s, '[+-]?\d[\d.,]*') THEN NULL "
     "WHEN dec = '.' THEN replace(s, ',', '') ELSE replace(replace(s, '.', ''), ',', '.') END AS DOUBLE)"),
    "CREATE OR REPLACE TEMP MACRO cv_num_dec(x, dec) AS cv_num_dec_s(cv_num_sign(cv_num_text(x)), dec)",
    # The currency a money cell is written in (`USD 1,234.00`, `1 234,56 €`, `$16,421.54`), NULL when none.
    # Most cells are plain numbers: they skip the patterns.
    ("CREATE OR REPLACE TEMP MACRO cv_currency(x) AS CASE "
     "WHEN regexp_full_match(x, '[0-9.,+() -]*') THEN NULL "
     f"WHEN regexp_matches(upper(x), '(^|[^A-Z])({_CODES})([^A-Z]|$)') "
     f"THEN regexp_extract(upper(x), '(^|[^A-Z])({_CODES})([^A-Z]|$)', 2) "
     "WHEN contains(x, '€') OR regexp_matches(lower(x), 'euros?') THEN 'EUR' "
     "WHEN contains(x, '£') THEN 'GBP' WHEN contains(x, '¥') THEN 'JPY' "
     r"WHEN regexp_matches(upper(x), '(^|[^A-Z])(CA|C)\$') THEN 'CAD' "
     r"WHEN regexp_matches(upper(x), '(^|[^A-Z])(AU|A)\$') THEN 'AUD' "
     "WHEN contains(x, '$') THEN 'USD' "
     r"WHEN regexp_matches(upper(x), '(^|[^A-Z])FR\.') THEN 'CHF' END"),
    # `18,5 k€`, `18k`: the number is in thousands.
    (f"CREATE OR REPLACE TEMP MACRO cv_is_k(x) AS regexp_matches(regexp_replace(lower(x), '{_WS}', '', 'g'), "
     r"'\dk(€|eur|euros?)?$')"),
    ("CREATE OR REPLACE TEMP MACRO cv_ymd(y, m, d) AS CASE WHEN TRY_CAST(y AS INTEGER) BETWEEN 1900 AND 2200 "
     "THEN TRY_CAST(y || '-' || lpad(m, 2, '0') || '-' || lpad(d, 2, '0') AS DATE) END"),
    # Dates: yyyy-mm-dd, dd/mm/yyyy (or mm/dd when the column is month-first), -, . separators,
    # optional time after; Excel serial numbers when the file is a workbook. The common shapes
    # go through strptime (fast); anything else through the regular expressions below.
    ("CREATE OR REPLACE TEMP MACRO cv_date_fast(x, dayfirst) AS CAST(CASE WHEN dayfirst "
     f"THEN try_strptime(x, {_formats(True)}) ELSE try_strptime(x, {_formats(False)}) END AS DATE)"),
    ("CREATE OR REPLACE TEMP MACRO cv_date(x, dayfirst, serial) AS COALESCE("
     "CASE WHEN year(cv_date_fast(x, dayfirst)) BETWEEN 1900 AND 2200 THEN cv_date_fast(x, dayfirst) END, "
     "cv_date_slow(x, dayfirst, serial))"),
    ("CREATE OR REPLACE TEMP MACRO cv_date_slow(x, dayfirst, serial) AS CASE "
     r"WHEN regexp_matches(x, '^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}($|[ T])') THEN cv_ymd("
     r"regexp_extract(x, '^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})', 1), "
     r"regexp_extract(x, '^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})', 2), "
     r"regexp_extract(x, '^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})', 3)) "
     r"WHEN regexp_matches(x, '^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}($|[ T])') THEN cv_ymd("
     r"regexp_extract(x, '^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})', 3), "
     r"CASE WHEN dayfirst THEN regexp_extract(x, '^(\d{1,2})[-/.](\d{1,2})', 2) "
     r"ELSE regexp_extract(x, '^(\d{1,2})[-/.](\d{1,2})', 1) END, "
     r"CASE WHEN dayfirst THEN regexp_extract(x, '^(\d{1,2})[-/.](\d{1,2})', 1) "
     r"ELSE regexp_extract(x, '^(\d{1,2})[-/.](\d{1,2})', 2) END) "
     r"WHEN serial AND regexp_full_match(x, '\d{4,5}(\.\d+)?') "
     "THEN CAST(DATE '1899-12-30' + CAST(floor(CAST(x AS DOUBLE)) AS INTEGER) AS DATE) "
     "ELSE NULL END"),
]


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the cleaning macros on a connection (idempotent); a macro is created after those it uses."""
    pending = list(MACROS)
    while pending:
        sql = pending.pop(0)
        try:
            con.execute(sql)
        except duckdb.CatalogException:
            if not pending:
                raise
            pending.append(sql)
