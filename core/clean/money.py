"""Deal amounts in several currencies: never added together (docs/data-quality.md, currencies).

A deal's currency is its export's currency column (HubSpot `Currency`, Pipedrive `Deal - Currency`,
Salesforce `Amount Currency`, Zoho `Currency`, or the mapping's `currency` field), else the symbol or
code written in its amount cell (`$16,421.54`, `USD 1,234.00`, `1 234,56 €`). Amounts are kept in
one reporting currency: the mapping's `reporting_currency`, else the file's only currency, else EUR
when the file has some, else its most frequent currency. An amount in another currency is converted
with the mapping's `currency_rates` (value of one unit in the reporting currency); without a rate it
is left out of the totals (amount NULL, flagged) and the build summary lists the amounts per currency.
"""

from __future__ import annotations

import duckdb

from core.clean.engine import FileCleaner

# `<currency>__c` from a currency column: a known code or symbol, or any three letters as a code.
CURRENCY_VALUE = "COALESCE(cv_currency(v), CASE WHEN regexp_full_match(upper(v), '[A-Z]{3}') THEN upper(v) END)"


def _money(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "0"


def convert_currencies(con: duckdb.DuckDBPyConnection, fc: FileCleaner, frm: str, settings: dict) -> None:
    """Put every amount of `frm` in the reporting currency, or leave it out of the totals (flagged).

    Reads `currency__c` (the currency column) and `amount__cur` (the amount cell's symbol or code);
    writes `currency__c` (the deal's currency) and `amount__orig` (the amount in that currency, for
    the rows whose amount is converted or left out). Rules: `currency.converted` (fixed, the
    original amount and currency logged), `currency.no_rate` and `currency.unknown` (flagged: the
    amount is NULL in `deals.amount`, kept in `deals.amount_original`).
    """
    con.execute(f"ALTER TABLE {frm} ADD COLUMN amount__orig DOUBLE")
    con.execute(f"UPDATE {frm} SET currency__c = amount__cur WHERE currency__c IS NULL AND amount__cur IS NOT NULL")
    counts = dict(con.execute(f"SELECT currency__c, count(*) FROM {frm} WHERE amount__n IS NOT NULL "
                              "GROUP BY ALL ORDER BY 2 DESC, 1").fetchall())
    unknown = counts.pop(None, 0)
    if not counts:
        return
    rates = {k: float(v) for k, v in (settings.get("currency_rates") or {}).items()}
    reporting = (settings.get("reporting_currency") or (next(iter(counts)) if len(counts) == 1 else None)
                 or ("EUR" if "EUR" in counts else next(iter(counts))))
    rates[reporting] = 1.0
    fc.facts["currency.reporting"] = reporting
    fc.facts["currency.deals"] = ", ".join(f"{c} {n}" for c, n in counts.items())
    if unknown and len(counts) == 1 and reporting in counts:
        # Every amount that names a currency names this one: the others are in it too.
        con.execute(f"UPDATE {frm} SET currency__c = ? WHERE currency__c IS NULL AND amount__n IS NOT NULL",
                    [reporting])
        unknown = 0
    con.execute(f"UPDATE {frm} SET amount__orig = amount__n WHERE amount__n IS NOT NULL "
                "AND currency__c IS DISTINCT FROM ?", [reporting])
    original = "CAST(amount__n AS VARCHAR) || ' ' || COALESCE(currency__c, '?')"
    won = dict(con.execute(f"SELECT currency__c, sum(amount__n) FILTER (WHERE stage__l = 'won') FROM {frm} "
                           "WHERE amount__n IS NOT NULL GROUP BY ALL").fetchall())
    converted = {c: r for c, r in rates.items() if c in counts and c != reporting}
    with fc.effect("currency.converted"):
        for code, rate in converted.items():
            fc.change("currency.converted", "fixed", "amount", "amount__n",
                      "currency__c = ? AND amount__n IS NOT NULL", f"amount__n * {rate!r}", original=original,
                      frm=frm, params=[code])
    missing = [c for c in counts if c not in rates]
    if missing:
        with fc.effect("currency.no_rate"):
            fc.change("currency.no_rate", "flagged", "amount", "amount__n",
                      f"currency__c IN ({', '.join('?' for _ in missing)}) AND amount__n IS NOT NULL", "NULL",
                      original=original, frm=frm, params=missing)
    if unknown:
        with fc.effect("currency.unknown"):
            fc.change("currency.unknown", "flagged", "amount", "amount__n",
                      "currency__c IS NULL AND amount__n IS NOT NULL", "NULL", original=original, frm=frm)
    per_currency = "; ".join(f"{c}: {n:,} deal(s), won {_money(won.get(c))} {c}" for c, n in counts.items())
    if len(counts) == 1 and not unknown and not missing:
        if reporting != "EUR" and not settings.get("reporting_currency"):
            fc.warnings.append(f"{fc.file}: amounts are in {reporting}; they are kept in {reporting} "
                               "(set \"reporting_currency\" and \"currency_rates\" in the mapping file to convert).")
        elif converted:
            code, rate = next(iter(converted.items()))
            fc.warnings.append(f"{fc.file}: amounts in {code} converted to {reporting} at {rate!r}.")
        return
    several = f"{len(counts)} currencies" if len(counts) > 1 else next(iter(counts))
    text = f"{fc.file}: amounts in {several} ({per_currency}). Totals are in {reporting}"
    if converted:
        text += "; " + ", ".join(f"{c} converted at {r!r}" for c, r in converted.items())
    if missing:
        n = sum(counts[c] for c in missing)
        example = ", ".join(f"\"{c}\": ..." for c in missing)
        text += (f"; {n:,} deal(s) in {', '.join(missing)} have no rate and are left out of amount totals: add "
                 f"\"currency_rates\": {{{example}}} (value of one unit in {reporting}) to the mapping file")
    if unknown:
        text += f"; {unknown:,} amount(s) name no currency and are left out of amount totals"
    fc.warnings.append(text + ".")
