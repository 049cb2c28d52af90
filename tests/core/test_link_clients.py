"""CRM company → BO client links: look-alikes apart, variants together, ties to review."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import warehouse

from core.link import link_all, review_queue

CLIENTS = [
    {"client_id": "C1", "name": "Acme Labs"},
    {"client_id": "C2", "name": "Acme Ltd"},
    {"client_id": "C3", "name": "Bank of the West"},
    {"client_id": "C4", "name": "Bank of the East"},
    {"client_id": "C5", "name": "Norvel Software"},
    {"client_id": "C6", "name": "Brisaro Conseil"},
    {"client_id": "C7", "name": "BRISARO CONSEIL SAS"},   # a duplicate record of C6
    {"client_id": "C8", "name": "Kalmaro Data"},
    {"client_id": "C9", "name": "Kalmaro Media"},
    {"client_id": "C10", "name": "Datasoft"},
    {"client_id": "C11", "name": "Galvel"},
    {"client_id": "C12", "name": "Kenol"},
    {"client_id": "C13", "name": "Kenul"},
]


VARIANTS = [
    ("Acme Labs", "C1"),
    ("ACME LABS SAS", "C1"),
    ("Acme Ltd.", "C2"),
    ("acme limited", "C2"),
    ("Bank of the West", "C3"),
    ("Bank of the East", "C4"),
    ("Norvel Software SA", "C5"),
    ("norvel software (Paris)", "C5"),
    ("Norvel Software - France", "C5"),
    ("Norvle Software", "C5"),          # transposed letters
    ("Norvel Sofware", "C5"),           # one letter missing
    ("  Norvel   Software  ", "C5"),
    ("Nörvel Software", "C5"),          # accent
    ("<b>Norvel</b> Software 🚀", "C5"),  # HTML and emoji
    ("Kalmaro Data", "C8"),
    ("Kalmaro Media Group", "C9"),
    ("Data Soft", "C10"),               # spacing only
    ("Gavlel", "C11"),                  # a typo in a short one-word name, nothing else near
    ("Groupe Gavlel", "C11"),
]
LOOKALIKES = [
    "Acme Labz Research",   # shares only "acme" with two clients
    "Bank of the North",    # neither West nor East
    "Kalmaro",              # Data or Media? a tie
    "Kalmaro Sports",       # a third Kalmaro
    "Kenil",                # one letter from Kenol and from Kenul
]


@pytest.fixture(scope="module")
def linked() -> dict[str, tuple[str | None, str]]:
    """All the adversarial strings linked in one build (each string is linked on its own)."""
    return _links(*(c for c, _ in VARIANTS), *LOOKALIKES)


def _links(*companies: str | None) -> dict[str, tuple[str | None, str]]:
    con = warehouse({
        "clients": CLIENTS,
        "deals": [{"deal_id": f"D{i}", "company": c, "created_at": date(2024, 1, 1)}
                  for i, c in enumerate(companies)],
    })
    link_all(con, None, crm_only=False)
    rows = con.execute("SELECT crm_company, client_id, status FROM client_links").fetchall()
    return {c: (cid, status) for c, cid, status in rows}


@pytest.mark.parametrize("crm, client", VARIANTS)
def test_variants_link_automatically(linked, crm, client):
    assert linked[crm.strip()] == (client, "auto")


@pytest.mark.parametrize("crm", LOOKALIKES)
def test_lookalikes_are_never_auto(linked, crm):
    client, status = linked[crm]
    assert status in ("review", "none")
    assert client is None


def test_tie_between_duplicate_clients_goes_to_review():
    links = _links("Brisaro Conseil")
    assert links["Brisaro Conseil"] == (None, "review")
    con = warehouse({"clients": CLIENTS, "deals": [{"deal_id": "D1", "company": "Brisaro Conseil"}]})
    link_all(con, None, crm_only=False)
    reason = con.execute("SELECT reason FROM client_links").fetchone()[0]
    assert reason == ("near-tie between Brisaro Conseil (C6) 100.0 and BRISARO CONSEIL SAS (C7) 100.0: needs a "
                      "decision; the two BO records look like one company: merge them in the "
                      "BO or choose one")


def test_empty_and_legal_form_only_names():
    con = warehouse({"clients": CLIENTS, "deals": [
        {"deal_id": "D1", "company": "SAS"}, {"deal_id": "D2", "company": ""},
        {"deal_id": "D3", "company": None}, {"deal_id": "D4", "company": "   "},
        {"deal_id": "D5", "company": "🚀"}]})
    link_all(con, None, crm_only=False)
    rows = con.execute("SELECT crm_company, client_id, status, reason FROM client_links ORDER BY 1").fetchall()
    # Empty strings get no row; names with nothing distinctive are explicit non-matches.
    assert [r[:3] for r in rows] == [("SAS", None, "none"), ("🚀", None, "none")]
    assert rows[0][3] == "no distinctive word left once legal forms and common words are removed"


def test_very_long_name_links():
    crm = "Norvel Software " + "and a very long description of what they do " * 20
    assert _links(crm)[crm.strip()][1] in ("review", "none")  # many extra words: not the same name
    assert _links("Norvel Software" + " " * 300)["Norvel Software"] == ("C5", "auto")
    crm = "Norvel Software " + "x" * 5000
    assert _links(crm)[crm][1] in ("review", "none")


def test_one_row_per_distinct_trimmed_string_and_candidates():
    con = warehouse({"clients": CLIENTS, "deals": [
        {"deal_id": "D1", "company": "Acme Labs"}, {"deal_id": "D2", "company": " Acme Labs "},
        {"deal_id": "D3", "company": "ACME LABS"}]})
    summary = link_all(con, None, crm_only=False)
    assert con.execute("SELECT crm_company FROM client_links ORDER BY 1").fetchall() == [("ACME LABS",),
                                                                                         ("Acme Labs",)]
    assert summary["client"] == {"auto": 2, "review": 0, "none": 0, "override": 0}
    cand = con.execute("SELECT rank, client_id FROM link_candidates WHERE crm_company = 'Acme Labs' "
                       "ORDER BY rank").fetchall()
    assert cand[0] == (1, "C1") and cand[1] == (2, "C2")


def test_client_duplicates_found():
    con = warehouse({"clients": CLIENTS, "deals": []})
    summary = link_all(con, None, crm_only=False)
    assert con.execute("SELECT client_id, duplicate_client_id, score FROM client_duplicates").fetchall() == [
        ("C6", "C7", 100.0)]
    assert summary["client_duplicates"] == 1


def test_review_queue_lists_candidates():
    con = warehouse({"clients": CLIENTS, "deals": [
        {"deal_id": "D1", "company": "Kalmaro", "amount": 1000.0},
        {"deal_id": "D2", "company": "Kalmaro", "amount": 500.0},
        {"deal_id": "D3", "company": "Norvel Software"}]})
    link_all(con, None, crm_only=False)
    queue = review_queue(con, status="review")
    assert queue["crm_company"].tolist() == ["Kalmaro"]
    row = queue.iloc[0]
    assert (row["deals"], row["amount"]) == (2, 1500.0)
    assert {row["candidate_1_id"], row["candidate_2_id"]} == {"C8", "C9"}
    assert len(review_queue(con)) == 2


def test_no_client_list():
    con = warehouse({"deals": [{"deal_id": "D1", "company": "Acme"}]})
    summary = link_all(con, None, crm_only=True)
    assert summary["client"] == {"auto": 0, "review": 0, "none": 1, "override": 0}
    assert con.execute("SELECT reason FROM client_links").fetchone()[0] == "no BO client list to link to"


def test_ties_between_lookalikes_are_reviews(linked):
    assert linked["Kalmaro"] == (None, "review")
    assert linked["Kenil"] == (None, "review")
