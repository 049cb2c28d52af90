"""Scoring name pairs with several rapidfuzz scorers, and classifying the best match.

For each candidate pair (from blocking) four scores, each 0–100, on the normalised names:

- `tsr`  token_sort_ratio: edit similarity with words in sorted order (word order free);
- `jw`   Jaro-Winkler on the names without spaces (typos, transpositions, "Data Soft" = "Datasoft");
- `ind`  Indel ratio on the names without spaces;
- `wov`  weighted word overlap: each word is matched to its most similar word on the other
  side (exact, or one typo: OSA similarity ≥ 0.8); matched words count with their rarity
  weight, unmatched words count against. A distinctive word present on one side only
  ("Acme **Labs**" vs "Acme") pulls this down, which is what keeps look-alikes apart.

Combined score = 0.45·wov + 0.25·tsr + 0.15·jw + 0.15·ind.

Scoring runs in two stages: a cheap one (token_sort_ratio, token_set_ratio and Indel ratio
through `rapidfuzz.process.cpdist`, the pairwise form of `cdist`, in chunks, on all cores,
with a score cutoff) on every blocked pair, keeping the best few targets per query; then all
four scores on those only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

WEIGHTS = {"wov": 0.45, "tsr": 0.25, "jw": 0.15, "ind": 0.15}
TOKEN_MATCH = 0.8  # OSA similarity for two words to count as the same word (one typo in 5+ letters)
PREFILTER_CUTOFF = 50.0  # cheap-stage score below which a pair is dropped
PREFILTER_KEEP = 8  # best targets kept per query after the cheap stage
CHUNK = 500_000  # pairs per scorer call (bounds memory)


def _pairwise(scorer, left: np.ndarray, right: np.ndarray, cutoff: float | None = None) -> np.ndarray:
    """Score aligned string arrays pair by pair, in chunks, on all cores."""
    out = np.zeros(len(left), dtype=np.float32)
    for start in range(0, len(left), CHUNK):
        stop = start + CHUNK
        out[start:stop] = process.cpdist(left[start:stop], right[start:stop], scorer=scorer,
                                         score_cutoff=cutoff, workers=-1, dtype=np.float32)
    return out


def _compact(names: np.ndarray) -> np.ndarray:
    """The names without spaces (computed once per distinct name, then indexed by pair)."""
    return pd.Series(names, dtype=object).str.replace(" ", "", regex=False).to_numpy(object)


def prefilter(pairs: pd.DataFrame, qnames: np.ndarray, tnames: np.ndarray,
              cutoff: float = PREFILTER_CUTOFF, keep: int = PREFILTER_KEEP) -> pd.DataFrame:
    """Cheap first stage: keep, per query, the `keep` best targets scoring at least `cutoff`.

    The cheap score is max(token_sort_ratio, Indel ratio without spaces, token_set_ratio).

    Args:
        pairs: DataFrame[q, t] positions into `qnames` / `tnames`.
        qnames, tnames: normalised names.

    Returns:
        DataFrame[q, t, pre] for the kept pairs.
    """
    left, right = qnames[pairs["q"].to_numpy()], tnames[pairs["t"].to_numpy()]
    lc, rc = _compact(qnames)[pairs["q"].to_numpy()], _compact(tnames)[pairs["t"].to_numpy()]
    pre = np.maximum.reduce([
        _pairwise(fuzz.token_sort_ratio, left, right, cutoff),
        _pairwise(fuzz.ratio, lc, rc, cutoff),
        _pairwise(fuzz.token_set_ratio, left, right, cutoff),
    ])
    out = pairs.assign(pre=pre)
    out = out[out["pre"] >= cutoff]
    out = out.sort_values(["q", "pre", "t"], ascending=[True, False, True])
    return out.groupby("q", sort=False).head(keep).reset_index(drop=True)


def _slots(positions: np.ndarray, names: np.ndarray, col: str) -> pd.DataFrame:
    """(position, slot, tok): the words of each distinct name used, numbered within the name."""
    frame = pd.DataFrame({col: positions, "tok": names[positions]})
    frame = frame.assign(tok=frame["tok"].str.split()).explode("tok").dropna()
    frame[f"{col}slot"] = frame.groupby(col).cumcount().to_numpy(np.int64)
    return frame.reset_index(drop=True)


def _word_overlap(pairs: pd.DataFrame, qnames: np.ndarray, tnames: np.ndarray,
                  weights: dict[str, float], default_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted soft word overlap (0–100) of each pair, and its number of words matched to nothing.

    Words are split once per distinct name, word similarities computed once per distinct
    word pair, and the per-pair sums run on integer codes.
    """
    n = len(pairs)
    q_pos, t_pos = pairs["q"].to_numpy(np.int64), pairs["t"].to_numpy(np.int64)
    qt = _slots(np.unique(q_pos), qnames, "q")
    tt = _slots(np.unique(t_pos), tnames, "t")
    codes, vocab = pd.factorize(np.concatenate([qt["tok"].to_numpy(object), tt["tok"].to_numpy(object)]))
    qt["code"], tt["code"] = codes[: len(qt)], codes[len(qt):]
    w = pd.Series(vocab).map(weights).fillna(default_weight).to_numpy(np.float64)
    qt["w"], tt["w"] = w[qt["code"].to_numpy()], w[tt["code"].to_numpy()]

    cross = pd.DataFrame({"pid": np.arange(n), "q": q_pos, "t": t_pos})
    cross = cross.merge(qt[["q", "qslot", "code", "w"]], on="q").merge(
        tt[["t", "tslot", "code", "w"]], on="t", suffixes=("_q", "_t"))
    pair_code = cross["code_q"].to_numpy(np.int64) * len(vocab) + cross["code_t"].to_numpy(np.int64)
    uniq, inverse = np.unique(pair_code, return_inverse=True)
    left = np.asarray(vocab, dtype=object)[uniq // len(vocab)]
    right = np.asarray(vocab, dtype=object)[uniq % len(vocab)]
    sim = _pairwise(OSA.normalized_similarity, left, right)[inverse]
    cross["sim"] = np.where(sim >= TOKEN_MATCH, sim, 0.0)

    # Each word's best counterpart on the other side (a word matches at most its best twin).
    best_q = cross.groupby(["pid", "qslot"], sort=False).agg(sim=("sim", "max"), w=("w_q", "first"))
    best_t = cross.groupby(["pid", "tslot"], sort=False).agg(sim=("sim", "max"), w=("w_t", "first"))
    matched = np.zeros(n)
    total = np.zeros(n)
    lonely = np.zeros(n, dtype=np.int32)
    for best in (best_q, best_t):
        pid = best.index.get_level_values(0).to_numpy()
        np.add.at(matched, pid, (best["w"] * best["sim"]).to_numpy())
        np.add.at(total, pid, best["w"].to_numpy())
        np.add.at(lonely, pid, (best["sim"].to_numpy() == 0).astype(np.int32))
    ratio = np.divide(matched, total, out=np.zeros(n), where=total > 0)
    return (100.0 * ratio).astype(np.float32), lonely


def score_pairs(pairs: pd.DataFrame, qnames: np.ndarray, tnames: np.ndarray,
                weights: dict[str, float], default_weight: float) -> pd.DataFrame:
    """All four scores and the combined score for each pair.

    Args:
        pairs: DataFrame[q, t, ...] positions into `qnames` / `tnames` (normalised names).
        weights: token rarity weights (see normalise.token_weights).
        default_weight: weight of a token missing from `weights`.

    Returns:
        `pairs` with columns tsr, jw, ind, wov, score (all 0–100) and unmatched (words of
        either name matched to no word of the other).
    """
    left, right = qnames[pairs["q"].to_numpy()], tnames[pairs["t"].to_numpy()]
    lc, rc = _compact(qnames)[pairs["q"].to_numpy()], _compact(tnames)[pairs["t"].to_numpy()]
    out = pairs.copy()
    out["tsr"] = _pairwise(fuzz.token_sort_ratio, left, right)
    out["jw"] = 100.0 * _pairwise(JaroWinkler.normalized_similarity, lc, rc)
    out["ind"] = _pairwise(fuzz.ratio, lc, rc)
    wov, unmatched = _word_overlap(out, qnames, tnames, weights, default_weight)
    # Same letters, different spacing ("Data Soft" / "Datasoft") is the same word set.
    same = lc == rc
    out["wov"] = np.where(same, 100.0, wov)
    out["unmatched"] = np.where(same, 0, unmatched)
    out["score"] = sum(WEIGHTS[k] * out[k] for k in WEIGHTS).round(1)
    return out


def reason_text(frame: pd.DataFrame) -> pd.Series:
    """The scorer breakdown of each scored pair, in words."""
    return ("score " + frame["score"].round(1).astype(str)
            + " (words " + frame["wov"].round(0).astype(int).astype(str)
            + ", word order-free " + frame["tsr"].round(0).astype(int).astype(str)
            + ", Jaro-Winkler " + frame["jw"].round(0).astype(int).astype(str)
            + ", Indel " + frame["ind"].round(0).astype(int).astype(str) + ")")


AUTO_SCORE = 88.0  # combined score from which a match is taken without review
AUTO_WORDS = 80.0  # ... provided the distinctive words agree (weighted overlap)
AUTO_TYPO_SCORE = 80.0  # ... or from this score when every word matches and no other client comes close
CLEAR_MARGIN = 15.0  # "no other client comes close": the runner-up is this many points behind
REVIEW_SCORE = 65.0  # below this, no link is proposed
TIE_MARGIN = 5.0  # a runner-up this close to the best makes it a tie -> review


def match(query_keys: pd.Series, target_keys: pd.Series, weights: dict[str, float],
          default_weight: float) -> pd.DataFrame:
    """Block, prefilter and score: the scored candidate pairs of each query, best first.

    Args:
        query_keys: normalised query names (index = query position).
        target_keys: normalised target names (index = target position).

    Returns:
        DataFrame[q, t, pre, tsr, jw, ind, wov, score, rank] sorted by q then rank (1 = best).
    """
    from core.link.blocking import candidate_pairs

    qn = query_keys.to_numpy(dtype=object)
    tn = target_keys.to_numpy(dtype=object)
    pairs = candidate_pairs(query_keys.reset_index(drop=True), target_keys.reset_index(drop=True))
    pairs = prefilter(pairs, qn, tn)
    scored = score_pairs(pairs, qn, tn, weights, default_weight)
    scored = scored.sort_values(["q", "score", "wov", "t"], ascending=[True, False, False, True])
    scored["rank"] = scored.groupby("q", sort=False).cumcount() + 1
    return scored.reset_index(drop=True)


def classify(scored: pd.DataFrame, n_queries: int, target_ids: np.ndarray,
             target_names: np.ndarray) -> pd.DataFrame:
    """Decide auto / review / none for every query from its scored candidates.

    - auto: weighted word overlap ≥ AUTO_WORDS and either best score ≥ AUTO_SCORE with no
      runner-up within TIE_MARGIN points (a near-tie is never settled by an arbitrary pick),
      or best score ≥ AUTO_TYPO_SCORE, every word paired with a word of the other name, and no
      runner-up within CLEAR_MARGIN points (a one-letter typo in a short name, e.g. "Gavlel"
      for "Galvel", with nothing else near);
    - review: best score ≥ REVIEW_SCORE otherwise;
    - none: nothing scores REVIEW_SCORE.

    Args:
        scored: output of `match`.
        n_queries: number of queries (positions 0..n-1; queries without candidates get `none`).
        target_ids, target_names: id and display name of each target position.

    Returns:
        DataFrame indexed by query position with target_id (NULL unless auto), best_id, score, status, reason.
    """
    first = scored[scored["rank"] == 1].set_index("q")
    second = scored[scored["rank"] == 2].set_index("q")
    out = pd.DataFrame(index=pd.RangeIndex(n_queries, name="q"))
    out["t1"] = first["t"].reindex(out.index)
    out["score"] = first["score"].reindex(out.index).astype(np.float64)
    out["wov"] = first["wov"].reindex(out.index)
    out["unmatched"] = first["unmatched"].reindex(out.index)
    out["t2"] = second["t"].reindex(out.index)
    out["score2"] = second["score"].reindex(out.index).astype(np.float64)
    breakdown = reason_text(first).reindex(out.index)

    has = out["t1"].notna()
    if len(target_ids) == 0:  # nothing to link to: every query ends as `none`
        target_ids = target_names = np.array([""], dtype=object)
    t1 = out["t1"].fillna(0).astype(np.int64).to_numpy()
    t2 = out["t2"].fillna(0).astype(np.int64).to_numpy()
    label1 = pd.Series(target_names[t1], index=out.index).astype(str) + " (" + \
        pd.Series(target_ids[t1], index=out.index).astype(str) + ")"
    label2 = pd.Series(target_names[t2], index=out.index).astype(str) + " (" + \
        pd.Series(target_ids[t2], index=out.index).astype(str) + ")"

    tie = has & out["score2"].notna() & (out["score"] - out["score2"] < TIE_MARGIN) \
        & (out["score2"] >= REVIEW_SCORE)
    clear_winner = out["score2"].isna() | (out["score"] - out["score2"] >= CLEAR_MARGIN)
    strong = has & (out["wov"] >= AUTO_WORDS) & (
        (out["score"] >= AUTO_SCORE)
        | ((out["score"] >= AUTO_TYPO_SCORE) & clear_winner & out["unmatched"].eq(0)))
    plausible = has & (out["score"] >= REVIEW_SCORE)
    out["status"] = np.select([strong & ~tie, plausible], ["auto", "review"], "none")
    runner = np.where(out["score2"].notna(), "; next best " + out["score2"].round(1).astype(str), "")
    out["reason"] = np.select(
        [out["status"].eq("auto"),
         tie,
         plausible & (out["wov"] < AUTO_WORDS),
         plausible,
         has],
        ["match " + label1 + ": " + breakdown + runner,
         "near-tie between " + label1 + " " + out["score"].round(1).astype(str) + " and " + label2
         + " " + out["score2"].round(1).astype(str) + ": needs a decision",
         "plausible " + label1 + " but distinctive words differ: " + breakdown,
         "plausible " + label1 + ", not certain: " + breakdown,
         "no close match (best " + label1 + " " + out["score"].round(1).astype(str) + ")"],
        "no candidate shares a word or spelling with this name")
    out["best_id"] = np.where(has, target_ids[t1], None)
    out["target_id"] = np.where(out["status"].eq("auto"), out["best_id"], None)
    out["score"] = out["score"].fillna(0.0)
    return out[["target_id", "best_id", "score", "status", "reason"]]
