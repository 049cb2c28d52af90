"""Reconciliation sections on a hand-made warehouse (exact rows)."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import warehouse

from core.filters import Filters
from core.link import link_all
from core.link.reconcile import reconciliation


@pytest.fixture(scope="module")
def con():
    c = warehouse({
        "staff": [{"staff_id": "S1", "name": "Jean Dupont", "role": "sales", "team": "North"},
                  {"staff_id": "S2", "name": "Claire Moreau", "role": "sales", "team": "South"}],
        "clients": [{"client_id": "C1", "name": "Norvel Software"}, {"client_id": "C2", "name": "Acme Labs"}],
        "jobs": [
            {"job_id": "J1", "client_id": "C1", "title": "Analyst", "salary_k": 50.0, "fee_rate": 0.2,
             "opened_at": date(2024, 1, 10), "sales_id": "S1"},
            {"job_id": "J2", "client_id": "C1", "title": "Comptable", "salary_k": 60.0, "fee_rate": 0.2,
             "opened_at": date(2024, 2, 10), "sales_id": "S1"},
            {"job_id": "J3", "client_id": "C2", "title": "Buyer", "salary_k": 45.0, "fee_rate": 0.2,
             "opened_at": date(2024, 3, 1), "sales_id": "S2"}],
        "placements": [
            {"placement_id": "P1", "job_id": "J1", "fee_eur": 10000.0, "invoiced_at": date(2024, 4, 1)},
            {"placement_id": "P2", "job_id": "J2", "fee_eur": 12000.0, "invoiced_at": date(2024, 5, 1)},
            {"placement_id": "P3", "job_id": "J3", "fee_eur": 9000.0, "invoiced_at": date(2024, 6, 1)}],
        "deals": [
            {"deal_id": "D1", "deal_name": "Norvel - Analyst", "company": "Norvel Software", "stage": "won",
             "amount": 10500.0, "created_at": date(2024, 1, 12), "closed_at": date(2024, 3, 1),
             "owner_raw": "Jean Dupont"},
            {"deal_id": "D2", "deal_name": "Comptable", "company": "NORVEL SOFTWARE SAS", "stage": "won",
             "amount": 15000.0, "created_at": date(2024, 2, 12), "closed_at": date(2024, 4, 1),
             "owner_raw": "jean dupont"},
            {"deal_id": "D3", "deal_name": "Buyer", "company": "Unknown Co", "stage": "won", "amount": 5000.0,
             "created_at": date(2024, 4, 1), "closed_at": date(2024, 5, 1), "owner_raw": "Claire Moreau"},
            {"deal_id": "D4", "deal_name": "Later", "company": "Norvel Software", "stage": "open",
             "amount": None, "created_at": date(2024, 9, 1), "owner_raw": "J. Dupont"},
            {"deal_id": "D5", "deal_name": "Sales Manager", "company": "Norvel Software", "stage": "won",
             "amount": 7000.0, "created_at": date(2024, 3, 5), "closed_at": date(2024, 3, 20),
             "owner_raw": "Jean Dupont"}],
    })
    link_all(c, None, crm_only=False)
    return c


def test_sections_unfiltered(con):
    r = reconciliation(con, Filters())
    assert list(r) == ["won_without_placement", "placements_without_deal", "amount_mismatch",
                       "crm_completeness_by_sales"]
    assert r["won_without_placement"][["deal_id", "owner", "why"]].values.tolist() == [
        ["D5", "Jean Dupont", "no BO job linked to the deal"],
        ["D3", "Claire Moreau", "company not linked to a BO client"]]
    assert r["placements_without_deal"][["placement_id", "fee_eur", "why"]].values.tolist() == [
        ["P3", 9000.0, "no CRM company linked to this client"]]
    mm = r["amount_mismatch"]
    assert mm[["deal_id", "job_id", "amount", "fee_eur", "difference"]].values.tolist() == [
        ["D2", "J2", 15000.0, 12000.0, 3000.0]]          # D1 is 5 % off: within tolerance
    assert mm["difference_share"].tolist() == pytest.approx([0.25])
    comp = r["crm_completeness_by_sales"]
    assert comp[["staff_id", "jobs", "jobs_without_deal", "deals", "deals_without_amount"]].values.tolist() == [
        ["S2", 1, 1, 1, 0], ["S1", 2, 0, 4, 1]]
    assert comp["jobs_without_deal_share"].tolist() == [1.0, 0.0]
    assert comp["deals_without_amount_share"].tolist() == [0.0, 0.25]


def test_sections_filtered_by_period_and_team(con):
    r = reconciliation(con, Filters(date_from=date(2024, 4, 1), date_to=date(2024, 12, 31)))
    assert r["won_without_placement"]["deal_id"].tolist() == ["D3"]
    assert r["amount_mismatch"]["deal_id"].tolist() == ["D2"]
    assert r["placements_without_deal"]["placement_id"].tolist() == ["P3"]
    r = reconciliation(con, Filters(teams=("North",)))
    assert r["won_without_placement"]["deal_id"].tolist() == ["D5"]
    assert r["placements_without_deal"].empty
    assert r["crm_completeness_by_sales"]["staff_id"].tolist() == ["S1"]


def test_crm_only_warehouse_gives_empty_bo_sections():
    c = warehouse({"deals": [{"deal_id": "D1", "company": "Acme", "stage": "won", "amount": 100.0,
                              "created_at": date(2024, 1, 1), "owner_raw": "Ann Lee"}]})
    link_all(c, None, crm_only=True)
    r = reconciliation(c, Filters())
    assert r["won_without_placement"]["why"].tolist() == ["company not linked to a BO client"]
    assert r["placements_without_deal"].empty and r["amount_mismatch"].empty
    assert r["crm_completeness_by_sales"][["staff_id", "deals"]].values.tolist() == [["crm:ann-lee", 1]]
