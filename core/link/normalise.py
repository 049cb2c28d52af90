"""Name normalisation for linking: company names and people's names.

A company name typed in a CRM ("ACME S.A.S. (Paris)", "Acme - France", "<b>Acmé</b> 🚀")
and the BO's "Acme" must reduce to the same key, while "Acme Labs" keeps the word that
makes it another company. Normalisation is vectorised over a pandas Series (pandas
string methods), so a million names go through in seconds.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Legal forms never tell two companies apart: always dropped.
LEGAL_FORMS = frozenset({
    "sas", "sa", "sarl", "sasu", "eurl", "sci", "snc", "sca", "scop", "selarl", "gie", "inc",
    "incorporated", "ltd", "limited", "llc", "llp", "lp", "gmbh", "mbh", "kg", "ug", "spa", "srl", "sl",
    "sro", "bv", "nv", "ag", "oy", "ab", "as", "plc", "corp", "corporation", "co", "cie", "pte", "pty",
    "kk"
})

# Words too common to identify a company; dropped unless nothing else is left
# ("The Group" stays "the group").
STOP_WORDS = frozenset({
    "the", "a", "an", "of", "and", "for", "et", "de", "la", "le", "les", "du", "des", "d", "l", "en",
    "au", "aux", "group", "groupe", "grp", "holding", "holdings", "technologies", "technology",
    "international", "intl", "solutions", "services"
})

# Place words that CRM users append as noise after a dash ("Acme - France"); only dropped
# there, so "Banque de Lyon" and "Banque de Paris" stay two names.
PLACE_WORDS = frozenset({
    "france", "paris", "lyon", "marseille", "lille", "toulouse", "bordeaux", "nantes", "nice",
    "strasbourg", "rennes", "uk", "usa", "us", "europe", "emea", "germany", "deutschland", "spain",
    "italy", "belgium", "belgique", "suisse", "switzerland", "siege", "hq", "head", "office"
})

TYPO_SIMILARITY = 0.8  # OSA similarity of a word one typo away from another (5+ letters)
MAX_CHARS = 120  # very long names are cut: the first words identify the company

_HTML_TAG = r"<[^>]*>"
_HTML_ENTITY = r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);"
_PARENS = r"\([^)]*\)|\[[^\]]*\]"
_DASH_TAIL = r"\s[-–—/|]\s*([^-–—/|]*)$"
_ELISION = r"\b[ld]['’`]"


def _pattern(words: frozenset[str]) -> str:
    return r"\b(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"


_LEGAL_RE = _pattern(LEGAL_FORMS)
_STOP_RE = _pattern(STOP_WORDS)
_PLACE_RE = _pattern(PLACE_WORDS)
_LONG_STOPS = sorted(w for w in STOP_WORDS if len(w) >= 5)


def _ascii_fold(s: pd.Series) -> pd.Series:
    """Casefold and strip accents (é → e, ß → ss); emoji and other symbols vanish."""
    return (s.str.casefold().str.normalize("NFKD")
            .str.encode("ascii", errors="ignore").str.decode("ascii"))


def _squash(s: pd.Series) -> pd.Series:
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def normalise_companies(names: pd.Series) -> pd.Series:
    """The matching key of each company name: lower-case ASCII words, legal forms and noise removed.

    Steps: HTML tags and entities removed; casefold; accents stripped; text in
    parentheses and a trailing "- <place>" removed; dotted abbreviations joined
    ("S.A.S." → "sas"); French elisions dropped ("L'Oréal" → "oreal"); punctuation
    → space; legal-form tokens dropped; stop words dropped unless nothing else would
    remain. A name that is only a legal form ("SAS") becomes "".

    Args:
        names: raw names (NULL allowed).

    Returns:
        Series of keys aligned with `names` ("" for NULL/empty names).
    """
    s = names.astype("string").fillna("").str.slice(0, 4 * MAX_CHARS)
    s = s.str.replace(_HTML_TAG, " ", regex=True).str.replace(_HTML_ENTITY, " ", regex=True,
                                                             flags=re.IGNORECASE)
    s = _ascii_fold(s)
    bare = s.str.replace(_PARENS, " ", regex=True)
    # Keep the bracketed text when it was the whole name ("(Acme)").
    s = bare.where(bare.str.contains(r"[a-z0-9]", regex=True), s)
    tail = s.str.extract(_DASH_TAIL, expand=False).fillna("")
    tail_is_place = _squash(tail.str.replace(r"[^a-z0-9 ]", " ", regex=True)
                            .str.replace(_PLACE_RE, " ", regex=True)) == ""
    s = s.where(~(tail_is_place & (tail != "")), s.str.replace(_DASH_TAIL, "", regex=True))
    s = s.str.replace(_ELISION, " ", regex=True)
    s = s.str.replace(".", "", regex=False).str.replace(r"['’`]", "", regex=True)
    s = _squash(s.str.replace(r"[^a-z0-9]+", " ", regex=True))
    s = _squash(s.str.replace(_LEGAL_RE, " ", regex=True))
    s = _drop_misspelt_stop_words(s)
    core = _squash(s.str.replace(_STOP_RE, " ", regex=True))
    s = core.where(core != "", s)
    return s.str.slice(0, MAX_CHARS).str.strip().astype(object)


def _drop_misspelt_stop_words(s: pd.Series) -> pd.Series:
    """Replace words one typo away from a long stop word ("Gropue", "Servicees") by that stop word.

    Only stop words of 5+ letters are considered (a typo in "sa" or "the" cannot be told apart).
    Works on the distinct words only, so it costs little on a million names.
    """
    words = pd.Series(pd.unique(s.str.split().explode().dropna()), dtype=object)
    words = words[(words.str.len() >= 5) & ~words.isin(STOP_WORDS)]
    if words.empty:
        return s
    sim = process.cdist(words.to_numpy(object), _LONG_STOPS, scorer=OSA.normalized_similarity,
                        score_cutoff=TYPO_SIMILARITY, workers=-1)
    hit = sim.max(axis=1) >= TYPO_SIMILARITY
    if not hit.any():
        return s
    fixes = dict(zip(words[hit], np.asarray(_LONG_STOPS, dtype=object)[sim[hit].argmax(axis=1)]))
    pattern = r"\b(?:" + "|".join(map(re.escape, sorted(fixes, key=len, reverse=True))) + r")\b"
    return s.str.replace(pattern, lambda m: fixes[m.group(0)], regex=True)


def normalise_people(names: pd.Series) -> pd.Series:
    """The matching key of each person's name: lower-case ASCII words, in the order typed.

    An email address keeps its local part ("jean.dupont@x.fr" → "jean dupont"); dots,
    hyphens and other punctuation separate words ("J.Dupont" → "j dupont").

    Args:
        names: raw owner or staff names (NULL allowed).

    Returns:
        Series of keys aligned with `names` ("" for NULL/empty names).
    """
    s = names.astype("string").fillna("").str.slice(0, MAX_CHARS)
    s = s.str.replace(r"@.*$", "", regex=True).str.replace(_HTML_TAG, " ", regex=True)
    s = _ascii_fold(s)
    return _squash(s.str.replace(r"[^a-z]+", " ", regex=True)).astype(object)


def token_weights(keys: pd.Series) -> dict[str, float]:
    """Rarity weight of each token across a list of normalised names (inverse document frequency).

    weight = ln(1 + N / df), N = number of distinct names, df = names containing the token.
    A token absent from the list gets `unknown_weight(N)` (as rare as possible).

    Args:
        keys: normalised names (the BO client list).

    Returns:
        {token: weight}.
    """
    distinct = pd.Series(pd.unique(keys[keys != ""]), dtype=object)
    n = max(len(distinct), 1)
    tokens = distinct.str.split().explode().dropna()
    pairs = pd.DataFrame({"name": tokens.index.to_numpy(), "tok": tokens.to_numpy(object)}).drop_duplicates()
    df = pairs["tok"].value_counts()
    return {tok: math.log1p(n / cnt) for tok, cnt in df.items()}


def unknown_weight(n_names: int) -> float:
    """Weight of a token that no name of the reference list contains."""
    return math.log1p(max(n_names, 1))
