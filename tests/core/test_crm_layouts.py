"""Real CRM layouts load without a mapping and give the numbers a plain pandas reading of the file gives.

Each fixture (tests/fixtures/crm_layouts, written by make_fixtures.py in the real header spellings and
value formats, sources in its README) is built as a CRM-only warehouse; the report's CRM figures are
compared with figures computed here from the file by pandas, with this test's own parsing of its
amounts, dates and stage labels (never the product's parsers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from core.filters import Filters
from core.report import build_report
from core.warehouse import build, connect

HERE = Path(__file__).parents[1] / "fixtures" / "crm_layouts"


def plain(text: str) -> float:
    return float(text)


def french(text: str) -> float:
    return float(text.replace(" ", "").replace(",", "."))


def us_dollars(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


@dataclass
class Layout:
    """How this test reads one fixture."""

    file: str
    id: str | None
    stage: str
    amount: str
    money: object
    closed: list[str]
    date_format: str
    created: str | None = None
    company: str | None = None
    won: set[str] = field(default_factory=lambda: {"Closed Won"})
    lost: set[str] = field(default_factory=lambda: {"Closed Lost"})
    sep: str = ","
    created_format: str | None = None
    mapping: str | None = None
    rates: dict[str, float] | None = None
    currency: str | None = None


LAYOUTS = [
    Layout("hubspot_en.csv", "Record ID", "Deal Stage", "Amount", plain, ["Close Date"], "%Y-%m-%d %H:%M",
           created="Create Date", company="Associated Company"),
    Layout("hubspot_fr.csv", "ID de fiche d'informations", "Phase de la transaction", "Montant", french,
           ["Date de fermeture"], "%d/%m/%Y %H:%M", created="Date de création", company="Entreprise associée",
           won={"Fermé gagné"}, lost={"Fermé perdu"}, sep=";"),
    Layout("hubspot_default_view.csv", "Record ID", "Deal Stage", "Amount", plain, ["Close Date"],
           "%Y-%m-%d %H:%M"),
    Layout("pipedrive_en_old.csv", "Deal - ID", "Deal - Status", "Deal - Value", plain,
           ["Deal - Won time", "Deal - Lost time"], "%Y-%m-%d %H:%M:%S", created="Deal - Deal created",
           company="Deal - Organization", won={"won"}, lost={"lost"}),
    Layout("pipedrive_en_new.csv", "Deal - ID", "Deal - Status", "Deal - Deal value", plain,
           ["Deal - Deal closed on"], "%m/%d/%Y %I:%M %p", created="Deal - Deal created on",
           company="Deal - Organization", won={"won"}, lost={"lost"}),
    Layout("pipedrive_fr.csv", "Affaire - ID", "Affaire - Statut", "Affaire - Valeur", french,
           ["Affaire - Date de gain", "Affaire - Date de perte"], "%d/%m/%Y %H:%M", created="Affaire - Affaire créée",
           company="Affaire - Organisation", won={"Gagné"}, lost={"Perdu"}, sep=";"),
    Layout("salesforce_report.csv", "Opportunity ID", "Stage", "Amount", us_dollars, ["Close Date"], "%m/%d/%Y",
           created="Created Date", company="Account Name"),
    Layout("zoho_deals.csv", "Record Id", "Stage", "Amount", plain, ["Closing Date"], "%Y-%m-%d",
           created="Created Time", created_format="%Y-%m-%d %H:%M:%S", company="Account Name"),
    Layout("hubspot_excel_ids.csv", "Record ID", "Deal Stage", "Amount", french, ["Close Date"], "%d/%m/%Y %H:%M",
           created="Create Date", company="Associated Company", sep=";"),
    Layout("hubspot_custom_stages.csv", "Record ID", "Deal Stage", "Amount", plain, ["Close Date"],
           "%Y-%m-%d %H:%M", created="Create Date", company="Associated Company", won={"Mandat signé"},
           lost={"Perdu - pas de budget"}, mapping="custom_stages_mapping.json"),
    Layout("pipedrive_mixed_currency.csv", "Deal - ID", "Deal - Status", "Deal - Value", plain,
           ["Deal - Won time", "Deal - Lost time"], "%Y-%m-%d %H:%M:%S", created="Deal - Deal created",
           company="Deal - Organization", won={"won"}, lost={"lost"}, mapping="mixed_currency_mapping.json",
           rates={"EUR": 1.0, "USD": 0.92, "GBP": 1.17}, currency="Deal - Currency"),
    Layout("salesforce_report_no_id.csv", None, "Stage", "Amount", us_dollars, ["Close Date"], "%m/%d/%Y",
           created="Created Date", company="Account Name"),
]


def expected(lay: Layout) -> dict:
    """The CRM figures of one export, computed with pandas from the file alone."""
    frame = pd.read_csv(HERE / lay.file, sep=lay.sep, dtype=str, keep_default_na=False)
    frame = frame[frame[lay.stage] != ""]  # a report's footer lines hold only a first cell
    outcome = frame[lay.stage].map(lambda s: "won" if s in lay.won else "lost" if s in lay.lost else "open")
    amount = frame[lay.amount].map(lay.money)
    if lay.rates:
        amount = amount * frame[lay.currency].map(lay.rates)
    closed_text = frame[lay.closed[0]]
    for other in lay.closed[1:]:
        closed_text = closed_text.where(closed_text != "", frame[other])
    closed = pd.to_datetime(closed_text.where(closed_text != ""), format=lay.date_format).dt.normalize()
    won = outcome == "won"
    cycle = None
    if lay.created:
        created = pd.to_datetime(frame[lay.created], format=lay.created_format or lay.date_format).dt.normalize()
        days = (closed - created).dt.days[won & (closed >= created)]
        cycle = float(days.median())
    top: list[str] = []
    if lay.company:
        by_company = amount[won].groupby(frame.loc[won, lay.company].str.strip()).sum()
        by_company = by_company[by_company > 0].reset_index()
        by_company.columns = ["account", "amount"]
        top = by_company.sort_values(["amount", "account"], ascending=[False, True])["account"].head(5).tolist()
    n_won, n_lost = int(won.sum()), int((outcome == "lost").sum())
    return {"deals": len(frame), "won": n_won, "lost": n_lost, "open": int((outcome == "open").sum()),
            "win_rate": n_won / (n_won + n_lost), "won_amount": float(amount[won].sum()), "cycle_days_median": cycle,
            "top_accounts": top}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache: dict[str, tuple[dict, dict]] = {}

    def get(lay: Layout, with_mapping: bool = True) -> tuple[dict, dict]:
        key = f"{lay.file}:{with_mapping}"
        if key not in cache:
            db = tmp_path_factory.mktemp("layout") / "w.duckdb"
            mapping = HERE / lay.mapping if lay.mapping and with_mapping else None
            summary = build(crm=HERE / lay.file, bo=None, db=db, mapping=mapping)
            with connect(db) as con:
                cache[key] = (summary, build_report(con, Filters())["crm"])
        return cache[key]

    return get


@pytest.mark.parametrize("lay", LAYOUTS, ids=[lay.file for lay in LAYOUTS])
def test_layout_gives_the_numbers_pandas_gives(built, lay):
    summary, crm = built(lay)
    want = expected(lay)
    got = {k: crm[k] for k in ("deals", "won", "lost", "open")}
    assert got == {k: want[k] for k in ("deals", "won", "lost", "open")}
    assert crm["win_rate"] == pytest.approx(want["win_rate"], rel=1e-12)
    assert crm["won_amount"] == pytest.approx(want["won_amount"], rel=1e-12)
    assert crm["cycle_days_median"] == want["cycle_days_median"]
    assert crm["top_accounts"][:5] == want["top_accounts"]
    [crm_file] = [f for f in summary["files"] if f["table"] == "deals"]
    assert crm_file["rows_quarantined"] == 0 and crm_file["rows_merged"] == 0


def test_salesforce_footer_lines_are_dropped_and_counted(built):
    summary, _ = built(LAYOUTS[6])
    [f] = summary["files"]
    # "Grand Totals (240 records)", the confidentiality and the copyright lines: 3 records, none a deal.
    assert (f["rows_in"], f["rows_footer"], f["rows_quarantined"]) == (240, 3, 0)


def test_report_without_id_column_numbers_its_deals(built, tmp_path):
    summary, crm = built(LAYOUTS[11])
    assert crm["deals"] == 240
    assert any("has no id column" in w for w in summary["warnings"])
    db = Path(summary["db"])
    with connect(db) as con:
        assert con.execute("SELECT min(deal_id), count(DISTINCT deal_id) FROM deals").fetchone() == ("row 1", 240)


def test_dates_are_ordered_once_per_file(built):
    """Every Salesforce close date is ambiguous alone (day <= 12); the creation dates prove month-first."""
    frame = pd.read_csv(HERE / "salesforce_report.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["Stage"] != ""]
    assert (pd.to_datetime(frame["Close Date"], format="%m/%d/%Y").dt.day <= 12).all()
    summary, crm = built(LAYOUTS[6])
    assert not any("date" in w for w in summary["warnings"])
    assert crm["cycle_days_median"] == expected(LAYOUTS[6])["cycle_days_median"]


def test_default_view_without_created_date_or_company_says_what_is_missing(built):
    summary, crm = built(LAYOUTS[2])
    assert crm["cycle_days_median"] is None and crm["top_accounts"] == []
    missing = [w for w in summary["warnings"] if "has no column for" in w]
    assert any("company" in w for w in missing) and any("created_at" in w for w in missing)
    # said once in the summary, not once per won deal
    assert not {"missing.won_company", "missing.created_at"} & {i["rule"] for i in summary["issues"]}


def test_excel_ids_keep_their_deals_apart(built):
    lay = LAYOUTS[8]
    frame = pd.read_csv(HERE / lay.file, sep=";", dtype=str)
    assert frame["Record ID"].nunique() < len(frame) == 120  # Excel collapsed the ids
    summary, crm = built(lay)
    assert crm["deals"] == 120
    assert any("went through Excel" in w for w in summary["warnings"])
    assert not any(i["rule"].startswith("duplicate.") for i in summary["issues"])


def test_mixed_currencies_without_rates_are_never_added_together(built):
    lay = LAYOUTS[10]
    summary, crm = built(lay, with_mapping=False)
    frame = pd.read_csv(HERE / lay.file, dtype=str)
    eur_won = frame[(frame["Deal - Status"] == "won") & (frame["Deal - Currency"] == "EUR")]["Deal - Value"]
    assert crm["won_amount"] == pytest.approx(eur_won.astype(float).sum(), rel=1e-12)
    [text] = [w for w in summary["warnings"] if "currencies" in w]
    assert "3 currencies" in text and "currency_rates" in text and "USD" in text and "GBP" in text
    flagged = {i["rule"]: i["rows"] for i in summary["issues"]}
    assert flagged["currency.no_rate"] == int((frame["Deal - Currency"] != "EUR").sum())
    assert "missing.won_amount" not in flagged  # those deals have an amount, in another currency


def test_mixed_currencies_with_rates_are_converted(built):
    summary, _ = built(LAYOUTS[10])
    frame = pd.read_csv(HERE / LAYOUTS[10].file, dtype=str)
    rates = json.loads((HERE / "mixed_currency_mapping.json").read_text())["currency_rates"]
    assert {i["rule"]: i["rows"] for i in summary["issues"]}["currency.converted"] == \
        int(frame["Deal - Currency"].isin(list(rates)).sum())


def test_hubspot_amount_in_company_currency_is_read_without_rates():
    """HubSpot converted it already: the deal's own currency column must not convert it again."""
    from core.io.layouts import crm_layout

    layout = crm_layout(["Record ID", "Deal Stage", "Amount", "Amount in company currency", "Currency"])
    assert layout.fields["amount"] == ["Amount in company currency"] and "currency" not in layout.fields
    assert crm_layout(["Record ID", "Deal Stage", "Amount", "Currency"]).fields["currency"] == ["Currency"]


def test_one_foreign_currency_without_a_rate_is_said(tmp_path):
    """USD deals reported in EUR with no USD rate: no amount total, and the summary says why."""
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"reporting_currency": "EUR"}))
    summary = build(crm=HERE / "pipedrive_en_new.csv", bo=None, db=tmp_path / "w.duckdb", mapping=mapping)
    [text] = [w for w in summary["warnings"] if "no rate" in w]
    assert "amounts in USD" in text and '"currency_rates": {"USD": ...}' in text
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT count(amount), count(amount_original), min(currency) FROM deals").fetchone() == \
            (0, 240, "USD")


def test_an_amount_naming_no_currency_among_several_is_left_out(tmp_path):
    crm = tmp_path / "deals.csv"
    crm.write_text("Record ID,Deal Stage,Amount,Create Date,Close Date\n"
                   "1,Closed Won,$1000,2024-01-02,2024-02-01\n2,Closed Won,2 000 €,2024-01-02,2024-02-01\n"
                   "3,Closed Won,3000,2024-01-02,2024-02-01\n", encoding="utf-8")
    summary = build(crm=crm, bo=None, db=tmp_path / "w.duckdb")
    rules = {i["rule"]: i["rows"] for i in summary["issues"]}
    assert rules["currency.unknown"] == 1 and rules["currency.no_rate"] == 1
    assert any("name no currency" in w for w in summary["warnings"])
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT deal_id, amount, currency, amount_original FROM deals ORDER BY 1").fetchall() == [
            ("1", None, "USD", 1000.0), ("2", 2000.0, "EUR", 2000.0), ("3", None, None, 3000.0)]
