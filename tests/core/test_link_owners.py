"""CRM owner strings → staff, and grouping owner variants into people in a CRM-only build."""

from __future__ import annotations

from helpers import warehouse

from core.link import link_all

STAFF = [
    {"staff_id": "S1", "name": "Jean Dupont", "role": "sales", "team": "Paris"},
    {"staff_id": "S2", "name": "Claire Moreau", "role": "sales", "team": "Paris"},
    {"staff_id": "S3", "name": "Julie Roux", "role": "sales", "team": "Lyon"},
    {"staff_id": "S4", "name": "Julien Roux", "role": "sales", "team": "Lyon"},
]


def _deals(*owners: str | None) -> list[dict]:
    return [{"deal_id": f"D{i}", "owner_raw": o} for i, o in enumerate(owners)]


def _owner_links(con) -> dict[str, tuple[str | None, str]]:
    return {o: (s, st) for o, s, st in con.execute("SELECT crm_owner, staff_id, status FROM owner_links").fetchall()}


def test_owner_variants_resolve_to_one_staff_member():
    owners = ["Jean Dupont", "jean dupont", "J. Dupont", "DUPONT Jean", "Jean DUPONT ", "jean.dupont@agency.fr",
              "Jean Dupond"]
    con = warehouse({"staff": STAFF, "deals": _deals(*owners)})
    summary = link_all(con, None, crm_only=False)
    links = _owner_links(con)
    assert {o.strip(): links[o.strip()] for o in owners} == {o.strip(): ("S1", "auto") for o in owners}
    assert summary["owner"] == {"auto": 7, "review": 0, "none": 0, "override": 0}
    assert con.execute("SELECT DISTINCT owner_id FROM deals").fetchall() == [("S1",)]


def test_ambiguous_initial_goes_to_review_and_unknown_to_none():
    con = warehouse({"staff": STAFF, "deals": _deals("J. Roux", "Paul Martin", "", None)})
    link_all(con, None, crm_only=False)
    links = _owner_links(con)
    assert links == {"J. Roux": (None, "review"), "Paul Martin": (None, "none")}
    assert con.execute("SELECT reason FROM owner_links WHERE crm_owner = 'J. Roux'").fetchone()[0].startswith(
        "near-tie between Julie Roux (S3)")
    # Unresolved owners are reported, not guessed.
    assert con.execute("SELECT count(*) FROM deals WHERE owner_id IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM staff").fetchone()[0] == 4


def test_crm_only_groups_variants_into_people():
    owners = ["Jean Dupont", "jean dupont", "DUPONT Jean", "J. Dupont", "Jean Dupont",
              "Claire Moreau", "claire moreau", "Paul"]
    con = warehouse({"deals": _deals(*owners)})
    summary = link_all(con, None, crm_only=True)
    staff = con.execute("SELECT staff_id, name, email, role, team FROM staff ORDER BY 1").fetchall()
    assert staff == [("crm:claire-moreau", "Claire Moreau", "", "sales", "(no team)"),
                     ("crm:jean-dupont", "Jean Dupont", "", "sales", "(no team)"),
                     ("crm:paul", "Paul", "", "sales", "(no team)")]
    links = _owner_links(con)
    assert {o: links[o][0] for o in links} == {
        "Jean Dupont": "crm:jean-dupont", "jean dupont": "crm:jean-dupont", "DUPONT Jean": "crm:jean-dupont",
        "J. Dupont": "crm:jean-dupont", "Claire Moreau": "crm:claire-moreau",
        "claire moreau": "crm:claire-moreau", "Paul": "crm:paul"}
    assert summary["owner"]["auto"] == 7
    assert con.execute("SELECT count(*) FROM deals WHERE owner_id IS NULL").fetchone()[0] == 0


def test_crm_only_with_teams_file_people():
    # The --teams file gave one person; the other owner becomes a new person.
    con = warehouse({"staff": [{"staff_id": "crm:jean-dupont", "name": "Jean Dupont", "role": "sales",
                                "team": "North"}],
                     "deals": _deals("DUPONT Jean", "J. Dupont", "Marie Curie", "marie curie")})
    link_all(con, None, crm_only=True)
    links = _owner_links(con)
    assert links == {"DUPONT Jean": ("crm:jean-dupont", "auto"), "J. Dupont": ("crm:jean-dupont", "auto"),
                     "Marie Curie": ("crm:marie-curie", "auto"), "marie curie": ("crm:marie-curie", "auto")}
    assert con.execute("SELECT staff_id, team FROM staff ORDER BY 1").fetchall() == [
        ("crm:jean-dupont", "North"), ("crm:marie-curie", "(no team)")]


def test_crm_only_initial_between_two_people_stays_in_review():
    con = warehouse({"deals": _deals("Julie Roux", "Julien Roux", "J. Roux")})
    link_all(con, None, crm_only=True)
    links = _owner_links(con)
    assert links["J. Roux"] == (None, "review")
    assert links["Julie Roux"] == ("crm:julie-roux", "auto")
    assert links["Julien Roux"] == ("crm:julien-roux", "auto")


def test_crm_only_rare_typo_joins_frequent_spelling():
    con = warehouse({"deals": _deals(*(["Jean Dupont"] * 10), "Jean Dupond")})
    link_all(con, None, crm_only=True)
    assert _owner_links(con) == {"Jean Dupont": ("crm:jean-dupont", "auto"),
                                 "Jean Dupond": ("crm:jean-dupont", "auto")}


def test_crm_only_initial_form_alone_becomes_a_person():
    con = warehouse({"deals": _deals("K. Martin", "K. Martin ")})
    link_all(con, None, crm_only=True)
    assert _owner_links(con) == {"K. Martin": ("crm:k-martin", "auto")}


def test_owner_decisions(tmp_path):
    from core.link import apply_decision

    path = tmp_path / "overrides.csv"
    apply_decision(path, "owner", "J. Roux", "accept")            # the first of the near-tie: Julie
    apply_decision(path, "owner", "Paul Martin", "link", "S2")
    con = warehouse({"staff": STAFF, "deals": _deals("J. Roux", "Paul Martin")})
    summary = link_all(con, path, crm_only=False)
    assert _owner_links(con) == {"J. Roux": ("S3", "override"), "Paul Martin": ("S2", "override")}
    assert con.execute("SELECT deal_id, owner_id FROM deals ORDER BY 1").fetchall() == [("D0", "S3"), ("D1", "S2")]
    assert summary["owner"]["override"] == 2
