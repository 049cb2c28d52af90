"""Blocking: which (query, target) name pairs are worth scoring.

Comparing 50,000 CRM names with 20,000 BO clients is 10⁹ pairs; a true pair almost
always shares something cheap to index. Each normalised name gets keys:

- `w:<token>`   every word (a shared word, typically the rare distinctive one);
- `d:<word with one letter deleted>` (and the word itself) for words of 4+ letters: two
  words one typo apart (substitution, insertion, deletion, transposition) share one of
  these keys (the deletion neighbourhood used by SymSpell);
- `k:<name without spaces>` ("Data Soft" vs "Datasoft");
- `s:<sorted words>` the words in sorted order (catches names made only of common words).

Pairs sharing at least one key are candidates. A key held by too many targets (a common
word like "conseil") says little and would explode the pair count, so keys above a
block-size cap are dropped; the exact keys `s:` and `k:` are never capped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WORD_CAP = 100  # max targets behind a whole-word key
FUZZY_CAP = 50  # max targets behind a one-deletion key
MAX_DELETE_LEN = 14  # words are cut to this many letters before taking deletions


def _tokens(keys: pd.Series) -> pd.DataFrame:
    """(pos, tok) for every word of every non-empty name."""
    k = keys[keys != ""]
    tokens = k.str.split().explode().dropna()
    tokens = tokens[tokens.str.len() > 0]
    return pd.DataFrame({"pos": tokens.index.to_numpy(np.int64), "tok": tokens.to_numpy(object)})


def _word_keys(words: pd.Series) -> pd.DataFrame:
    """(word, key, fuzzy) for distinct words: `w:` the word, `d:` it and its one-letter deletions."""
    long = words[words.str.len() >= 4]
    cut = long.str.slice(0, MAX_DELETE_LEN)
    deletions = [cut] + [cut[cut.str.len() > i].str.slice_replace(i, i + 1, "") for i in range(MAX_DELETE_LEN)]
    dele = pd.concat(deletions)
    return pd.DataFrame({
        "word": np.concatenate([words.to_numpy(object), long.to_numpy(object)[_positions(long, dele)]]),
        "key": np.concatenate([("w:" + words).to_numpy(object), ("d:" + dele).to_numpy(object)]),
        "fuzzy": np.concatenate([np.zeros(len(words), bool), np.ones(len(dele), bool)]),
    })


def _positions(base: pd.Series, derived: pd.Series) -> np.ndarray:
    """Row positions in `base` of the index labels of `derived` (derived rows keep base labels)."""
    return pd.Index(base.index).get_indexer(derived.index)


def _name_keys(keys: pd.Series) -> pd.DataFrame:
    """(pos, key): `k:` the name without spaces and `s:` its words in sorted order."""
    k = keys[keys != ""]
    compact = "k:" + k.str.replace(" ", "", regex=False)
    sorted_words = "s:" + k.str.split().map(lambda words: " ".join(sorted(words)))
    both = pd.concat([compact, sorted_words])
    return pd.DataFrame({"pos": both.index.to_numpy(np.int64), "key": both.to_numpy(object)})


def blocking_keys(keys: pd.Series) -> pd.DataFrame:
    """Blocking keys of each normalised name.

    Args:
        keys: normalised names (index = name position).

    Returns:
        DataFrame[pos, key] (a key may repeat for one name); empty names get no key.
    """
    tokens = _tokens(keys)
    words = _word_keys(pd.Series(pd.unique(tokens["tok"]), dtype=object))
    per_word = tokens.merge(words, left_on="tok", right_on="word")[["pos", "key"]]
    return pd.concat([per_word, _name_keys(keys)], ignore_index=True)


def candidate_pairs(query_keys: pd.Series, target_keys: pd.Series,
                    word_cap: int = WORD_CAP, fuzzy_cap: int = FUZZY_CAP) -> pd.DataFrame:
    """All (query, target) pairs that share at least one blocking key.

    Word keys are computed once per distinct word of either side and everything after that
    runs on integer codes, so a million names block in seconds.

    Args:
        query_keys: normalised query names (index = query position).
        target_keys: normalised target names (index = target position).
        word_cap: whole-word keys held by more targets than this are ignored.
        fuzzy_cap: deletion keys held by more targets than this are ignored.

    Returns:
        DataFrame[q, t] of distinct pairs (positions), int64.
    """
    empty = pd.DataFrame({"q": np.array([], dtype=np.int64), "t": np.array([], dtype=np.int64)})
    qtok, ttok = _tokens(query_keys), _tokens(target_keys)
    if qtok.empty or ttok.empty:
        return empty
    words = pd.Index(pd.unique(np.concatenate([qtok["tok"].to_numpy(object), ttok["tok"].to_numpy(object)])))
    wkeys = _word_keys(pd.Series(words, dtype=object))
    wcode, wuniq = pd.factorize(wkeys["key"].to_numpy(object))
    word_table = pd.DataFrame({"w": words.get_indexer(wkeys["word"].to_numpy(object)), "code": wcode})
    fuzzy = np.zeros(len(wuniq), bool)
    fuzzy[wcode[wkeys["fuzzy"].to_numpy()]] = True
    qn, tn = _name_keys(query_keys), _name_keys(target_keys)
    ncode, _ = pd.factorize(np.concatenate([qn["key"].to_numpy(object), tn["key"].to_numpy(object)]))
    ncode = ncode + len(wuniq)
    n_codes = len(wuniq) + (ncode.max() - len(wuniq) + 1 if len(ncode) else 0)

    def coded(tok: pd.DataFrame, names: pd.DataFrame, name_codes: np.ndarray, col: str) -> pd.DataFrame:
        per_word = pd.DataFrame({col: tok["pos"].to_numpy(), "w": words.get_indexer(tok["tok"].to_numpy(object))})
        per_word = per_word.merge(word_table, on="w")[[col, "code"]]
        per_name = pd.DataFrame({col: names["pos"].to_numpy(), "code": name_codes})
        return pd.concat([per_word, per_name], ignore_index=True).drop_duplicates()

    q_frame = coded(qtok, qn, ncode[: len(qn)], "q")
    t_frame = coded(ttok, tn, ncode[len(qn):], "t")
    cap = np.full(n_codes, np.iinfo(np.int64).max, dtype=np.int64)
    cap[: len(wuniq)] = np.where(fuzzy, fuzzy_cap, word_cap)
    size = np.bincount(t_frame["code"].to_numpy(), minlength=n_codes)
    codes = t_frame["code"].to_numpy()
    t_frame = t_frame[size[codes] <= cap[codes]]
    pairs = q_frame.merge(t_frame, on="code")[["q", "t"]]
    return pairs.drop_duplicates(ignore_index=True)
