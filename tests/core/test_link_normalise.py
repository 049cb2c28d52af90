"""Company and person name normalisation, blocking keys."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.link.blocking import blocking_keys, candidate_pairs
from core.link.normalise import normalise_companies, normalise_people, token_weights


def _norm(*names: str | None) -> list[str]:
    return normalise_companies(pd.Series(list(names), dtype=object)).tolist()


@pytest.mark.parametrize("raw, key", [
    ("ACME S.A.S. (Paris)", "acme"),
    ("Acme - France", "acme"),
    ("acme sarl", "acme"),
    ("  Acme   Inc.  ", "acme"),
    ("Acmé GmbH", "acme"),
    ("<b>Acme</b> 🚀", "acme"),
    ("Acme &amp; Co", "acme"),
    ("L'Oréal SA", "oreal"),
    ("Groupe Dupont Technologies", "dupont"),
    ("Bank of the West", "bank west"),
    ("Banque de Lyon", "banque lyon"),      # a place inside the name is part of it
    ("Gropue Kalmaro", "kalmaro"),           # a misspelt stop word is still a stop word
    ("Norvel Servicees", "norvel"),
    ("Acme - Digital", "acme digital"),     # a dash tail that is not a place is kept
    ("(Acme)", "acme"),                     # brackets around the whole name are kept
    ("The Group", "the group"),             # only stop words: they stay
    ("SAS", ""),                            # only a legal form: nothing distinctive
    ("", ""),
    (None, ""),
    ("🚀🚀", ""),
])
def test_company_keys(raw, key):
    assert _norm(raw) == [key]


def test_lookalikes_keep_their_distinctive_word():
    assert _norm("Acme Labs", "Acme Ltd") == ["acme labs", "acme"]
    assert _norm("Banque Orvel de l'Ouest", "Banque Orvel de l'Est") == ["banque orvel ouest", "banque orvel est"]


def test_very_long_name_is_cut():
    key = _norm("Acme " + "Very Long Name " * 100)[0]
    assert key.startswith("acme very long name")
    assert len(key) <= 120


@pytest.mark.parametrize("raw, key", [
    ("Jean DUPONT", "jean dupont"),
    ("J. Dupont", "j dupont"),
    ("J.Dupont", "j dupont"),
    ("DUPONT Jean", "dupont jean"),
    ("jean.dupont@agency.fr", "jean dupont"),
    ("Hélène Chevalier", "helene chevalier"),
    (None, ""),
])
def test_people_keys(raw, key):
    assert normalise_people(pd.Series([raw], dtype=object)).tolist() == [key]


def test_token_weights_favour_rare_words():
    w = token_weights(pd.Series(["acme software", "norvel software", "brisaro software", "acme labs"]))
    # 4 names: software in 3 -> ln(1 + 4/3); norvel in 1 -> ln(5)
    assert w["software"] == pytest.approx(0.8473, abs=1e-4)
    assert w["norvel"] == pytest.approx(1.6094, abs=1e-4)


def test_blocking_keys_catch_one_typo():
    keys = blocking_keys(pd.Series(["norvel", "nrovel"]))
    shared = set(keys.loc[keys["pos"] == 0, "key"]) & set(keys.loc[keys["pos"] == 1, "key"])
    assert shared


def test_candidate_pairs_skip_empty_and_unrelated():
    pairs = candidate_pairs(pd.Series(["acme", "", "zzzz"]), pd.Series(["acme labs", "norvel"]))
    assert sorted(map(tuple, pairs.to_numpy().tolist())) == [(0, 0)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=20))
def test_any_text_normalises_to_plain_words(names):
    keys = normalise_companies(pd.Series(names, dtype=object))
    assert len(keys) == len(names)
    for key in keys:
        assert key == key.strip() and "  " not in key
        assert all(c.isascii() and (c.islower() or c.isdigit() or c == " ") for c in key)
    pairs = candidate_pairs(keys, keys)
    assert set(pairs["q"]) == {i for i, k in enumerate(keys) if k}   # every name meets itself
