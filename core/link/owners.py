"""CRM owner string → staff member (`owner_links`), and grouping owner variants into people.

A person's name is compared with every staff name (staff lists are small, so the full
matrix is scored with `rapidfuzz.process.cdist`) in its written forms: "Jean Dupont",
"J Dupont", "Jean D" (initials), words in any order (token_sort_ratio). "J. Dupont" is
therefore "Jean Dupont" when the agency has one Dupont whose first name starts with J,
and a near-tie (review) when it has two.

In a CRM-only build (no BO staff list, or only the --teams file's people), owner strings
that match nobody are grouped into people by themselves: spellings with the same words
("Jean Dupont", "jean dupont", "DUPONT Jean") form one person, and so does a spelling one
typo away when it is rare next to the other ("Jean Dupond" on 2 deals vs 40); each person
gets a staff row `crm:<slug>`; initial forms ("J. Dupont") then join the person they match
unambiguously.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from core.link.normalise import normalise_people

PERSON_AUTO = 90.0  # name similarity from which an owner is linked without review
PERSON_REVIEW = 75.0  # below this, no link is proposed
TIE_MARGIN = 3.0
NO_TEAM = "(no team)"
TYPO_SHARE = 0.2  # a near spelling used on at most this share of the other's deals is a typo of it


def _aliases(keys: pd.Series) -> pd.DataFrame:
    """Written forms of each name: full, initial + last name(s), first name + initials."""
    words = keys.str.split()
    full = keys
    initial_first = words.map(lambda w: " ".join([w[0][0]] + w[1:]) if len(w) > 1 else "")
    initial_rest = words.map(lambda w: " ".join(w[:1] + [x[0] for x in w[1:]]) if len(w) > 1 else "")
    out = pd.concat([
        pd.DataFrame({"t": keys.index, "alias": full, "full": True}),
        pd.DataFrame({"t": keys.index, "alias": initial_first, "full": False}),
        pd.DataFrame({"t": keys.index, "alias": initial_rest, "full": False}),
    ])
    out = out[out["alias"] != ""].sort_values(["t", "full"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)


def score_people(owner_keys: pd.Series, staff_keys: pd.Series) -> pd.DataFrame:
    """Similarity (0–100) of every owner name with every staff name, best written form.

    Args:
        owner_keys: normalised owner names (positions 0..n-1).
        staff_keys: normalised staff names (positions 0..m-1).

    Returns:
        DataFrame[q, t, score, full_score, rank] for pairs scoring ≥ PERSON_REVIEW - 10, best first.
    """
    empty = pd.DataFrame({"q": [], "t": [], "score": [], "full_score": [], "rank": []})
    aliases = _aliases(staff_keys.reset_index(drop=True))
    if aliases.empty or owner_keys.empty:
        return empty
    mat = process.cdist(owner_keys.to_numpy(object), aliases["alias"].to_numpy(object),
                        scorer=fuzz.token_sort_ratio, workers=-1, dtype=np.float32)
    starts = np.flatnonzero(np.r_[True, aliases["t"].to_numpy()[1:] != aliases["t"].to_numpy()[:-1]])
    best = np.maximum.reduceat(mat, starts, axis=1)
    full = mat[:, starts]  # first alias of each person is the full name (sorted so)
    staff_pos = aliases["t"].to_numpy()[starts]
    q, col = np.nonzero(best >= PERSON_REVIEW - 10)
    out = pd.DataFrame({"q": q, "t": staff_pos[col], "score": best[q, col].astype(float).round(1),
                        "full_score": full[q, col].astype(float).round(1)})
    out = out[owner_keys.to_numpy(object)[out["q"].to_numpy()] != ""]
    out = out.sort_values(["q", "score", "full_score", "t"], ascending=[True, False, False, True])
    out["rank"] = out.groupby("q").cumcount() + 1
    return out.reset_index(drop=True)


def classify_people(scored: pd.DataFrame, n: int, staff_ids: np.ndarray, staff_names: np.ndarray) -> pd.DataFrame:
    """auto / review / none for each owner (positions 0..n-1); same rules as companies.

    Returns:
        DataFrame indexed by owner position: staff_id (NULL unless auto), score, status, reason.
    """
    first = scored[scored["rank"] == 1].set_index("q")
    second = scored[scored["rank"] == 2].set_index("q")
    out = pd.DataFrame(index=pd.RangeIndex(n))
    if len(staff_ids) == 0:  # nobody to match: every owner ends as `none`
        staff_ids = staff_names = np.array([""], dtype=object)
    t1 = first["t"].reindex(out.index)
    has = t1.notna().to_numpy()
    t1i = t1.fillna(0).astype(np.int64).to_numpy()
    t2 = second["t"].reindex(out.index)
    t2i = t2.fillna(0).astype(np.int64).to_numpy()
    s1 = first["score"].reindex(out.index).fillna(0.0)
    s2 = second["score"].reindex(out.index)
    by_initial = (first["full_score"].reindex(out.index) < s1).to_numpy()
    name1 = pd.Series(staff_names[t1i], index=out.index).astype(str) + " (" + \
        pd.Series(staff_ids[t1i], index=out.index).astype(str) + ")"
    name2 = pd.Series(staff_names[t2i], index=out.index).astype(str)
    tie = has & s2.notna().to_numpy() & ((s1 - s2) < TIE_MARGIN).to_numpy() & (s2 >= PERSON_REVIEW).to_numpy()
    auto = has & (s1 >= PERSON_AUTO).to_numpy() & ~tie
    review = has & (s1 >= PERSON_REVIEW).to_numpy() & ~auto
    how = np.where(by_initial, " on initials", "")
    out["status"] = np.select([auto, review], ["auto", "review"], "none")
    out["reason"] = np.select(
        [auto, tie, review, has],
        ["same person as " + name1 + how + ", name score " + s1.astype(str),
         "near-tie between " + name1 + " " + s1.astype(str) + " and " + name2 + " "
         + s2.fillna(0).astype(str) + ": needs a decision",
         "plausible " + name1 + how + ", name score " + s1.astype(str),
         "no staff name close enough (best " + name1 + " " + s1.astype(str) + ")"],
        "no staff name close to this one")
    out["staff_id"] = np.where(auto, staff_ids[t1i], None)
    out["score"] = s1.to_numpy()
    return out


def _slug(names: pd.Series) -> pd.Series:
    s = normalise_people(names).str.replace(" ", "-", regex=False)
    s = s.where(s != "", "owner")
    # Two people whose names fold to one slug get -2, -3…
    rank = s.groupby(s).cumcount()
    return "crm:" + s + np.where(rank > 0, "-" + (rank + 1).astype(str), "")


def _group_unmatched(owners: pd.DataFrame, existing_ids: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group full-name owner variants into people (connected components of near-identical names).

    Args:
        owners: DataFrame[crm_owner, key, deals] of owners matched to nobody, with ≥ 2 words
            of 2+ letters (full names).
        existing_ids: staff ids already taken.

    Returns:
        (links DataFrame[crm_owner, staff_id, score, status, reason], new staff DataFrame[staff_id, name]).
    """
    n = len(owners)
    mat = process.cdist(owners["key"].to_numpy(object), owners["key"].to_numpy(object),
                        scorer=fuzz.token_sort_ratio, workers=-1, dtype=np.float32)
    same_words = owners["key"].str.split().map(sorted).map(" ".join).to_numpy(object)
    deals = owners["deals"].to_numpy(np.float64)
    # A spelling one typo away is the same person only when it is rare next to the other one:
    # "Julie Roux" and "Julien Roux" with as many deals each are two people.
    rare = np.minimum.outer(deals, deals) <= TYPO_SHARE * np.maximum.outer(deals, deals)
    i, j = np.nonzero((same_words[:, None] == same_words[None, :]) | ((mat >= PERSON_AUTO) & rare))
    _, label = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    g = owners.assign(group=label)
    # The person's display name: the variant used on most deals (then the alphabetically first).
    canon = g.sort_values(["group", "deals", "crm_owner"], ascending=[True, False, True]) \
        .drop_duplicates("group")[["group", "crm_owner"]].rename(columns={"crm_owner": "name"})
    canon = canon.sort_values("name").reset_index(drop=True)
    canon["staff_id"] = _slug(canon["name"])
    clash = canon["staff_id"].isin(existing_ids)
    canon.loc[clash, "staff_id"] = canon.loc[clash, "staff_id"] + "-crm"
    g = g.merge(canon, on="group")
    sizes = g.groupby("group")["crm_owner"].transform("size")
    links = pd.DataFrame({
        "crm_owner": g["crm_owner"], "staff_id": g["staff_id"],
        "score": 100.0,
        "status": "auto",
        "reason": np.where(sizes > 1, "grouped with " + (sizes - 1).astype(str)
                           + " other spelling(s) as one person: " + g["name"],
                           "new person from the CRM: " + g["name"]),
    })
    return links, canon[["staff_id", "name"]]


def _insert_people(con: duckdb.DuckDBPyConnection, people: pd.DataFrame) -> None:
    con.register("_people", people)
    con.execute("INSERT INTO staff (staff_id, name, email, role, team) "
                "SELECT staff_id, name, '', 'sales', ? FROM _people", [NO_TEAM])
    con.unregister("_people")


def _replace(links: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([links[~links["crm_owner"].isin(new["crm_owner"])], new], ignore_index=True)


def _known_names(con: duckdb.DuckDBPyConnection, links: pd.DataFrame, owners: pd.DataFrame) -> pd.DataFrame:
    """Every written form of every person: staff names, and the owner spellings linked to them."""
    staff = con.execute("SELECT staff_id, coalesce(name, '') AS name FROM staff "
                        "WHERE staff_id IS NOT NULL ORDER BY staff_id").df()
    spellings = links[links["status"].eq("auto")].merge(owners[["crm_owner", "key"]], on="crm_owner")
    table = pd.concat([pd.DataFrame({"staff_id": staff["staff_id"], "key": normalise_people(staff["name"])}),
                       spellings[["staff_id", "key"]]]).drop_duplicates(ignore_index=True)
    return table.merge(staff, on="staff_id", how="left")


def _crm_only_people(con: duckdb.DuckDBPyConnection, owners: pd.DataFrame,
                     links: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Group the owners nobody matched into new people (staff rows `crm:<slug>`).

    1. full names matched to nobody are grouped (same words, or a rare one-typo spelling);
    2. the rest (initial forms such as "J. Dupont") are matched against every person's
       written forms, a person reached through two of their spellings counting once;
    3. what still matches nobody becomes a person of its own.

    Returns:
        (updated links, number of staff rows added).
    """
    added = 0
    open_ = links["status"].eq("none") & links["crm_owner"].isin(owners.loc[owners["key"] != "", "crm_owner"])
    words = owners.set_index("crm_owner")["key"].str.split()
    full_name = words.map(lambda w: sum(len(x) > 1 for x in w) >= 2 or len(w) == 1)
    first = open_ & links["crm_owner"].map(full_name).fillna(False).astype(bool)
    if first.any():
        grouped, people = _group_unmatched(owners[owners["crm_owner"].isin(links.loc[first, "crm_owner"])],
                                           set(con.execute("SELECT staff_id FROM staff").df()["staff_id"]))
        _insert_people(con, people)
        added += len(people)
        links = _replace(links, grouped)
    todo = owners[owners["crm_owner"].isin(links.loc[links["status"].eq("none"), "crm_owner"])
                  & owners["key"].ne("")].reset_index(drop=True)
    if not todo.empty:
        known = _known_names(con, links, owners)
        scored = score_people(todo["key"], known["key"])
        scored["sid"] = known["staff_id"].to_numpy(object)[scored["t"].to_numpy(np.int64)]
        scored = scored.drop_duplicates(["q", "sid"]).copy()
        scored["rank"] = scored.groupby("q").cumcount() + 1
        again = classify_people(scored, len(todo), known["staff_id"].to_numpy(object),
                                known["name"].to_numpy(object))
        again.insert(0, "crm_owner", todo["crm_owner"])
        links = _replace(links, again)
        alone = todo[todo["crm_owner"].isin(links.loc[links["status"].eq("none"), "crm_owner"])]
        if not alone.empty:
            grouped, people = _group_unmatched(alone, set(known["staff_id"]))
            _insert_people(con, people)
            added += len(people)
            links = _replace(links, grouped)
    return links, added


def link_owners(con: duckdb.DuckDBPyConnection, crm_only: bool) -> int:
    """Fill `owner_links` (algorithm only); in a CRM-only build also add grouped people to `staff`.

    Args:
        con: writable warehouse connection with `deals` and `staff` loaded.
        crm_only: True when there is no BO export (staff empty or from the --teams file).

    Returns:
        number of staff rows added.
    """
    owners = con.execute(
        "SELECT trim(owner_raw) AS crm_owner, count(*) AS deals FROM deals "
        "WHERE owner_raw IS NOT NULL AND trim(owner_raw) <> '' GROUP BY 1 ORDER BY 1").df()
    staff = con.execute("SELECT staff_id, coalesce(name, '') AS name FROM staff "
                        "WHERE staff_id IS NOT NULL ORDER BY staff_id").df()
    owners["key"] = normalise_people(owners["crm_owner"]).to_numpy()
    decided = classify_people(score_people(owners["key"], normalise_people(staff["name"])), len(owners),
                              staff["staff_id"].to_numpy(object), staff["name"].to_numpy(object))
    links = pd.concat([owners[["crm_owner"]], decided[["staff_id", "score", "status", "reason"]]], axis=1)
    added = 0
    if crm_only:
        links, added = _crm_only_people(con, owners, links)
    links = links[["crm_owner", "staff_id", "score", "status", "reason"]]
    con.register("_owner_links", links)
    con.execute("DELETE FROM owner_links")
    con.execute("INSERT INTO owner_links SELECT crm_owner, staff_id, score, status, reason FROM _owner_links")
    con.unregister("_owner_links")
    return added
