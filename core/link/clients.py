"""CRM company string → BO client (`client_links`, `link_candidates`) and BO duplicates.

One row of `client_links` per distinct trimmed, non-empty CRM company string (deals with
no company get no row: there is nothing to link; they count as unlinked in coverage).
Strings that normalise to the same key share one matching run.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from core.link.normalise import normalise_companies, token_weights, unknown_weight
from core.link.scoring import AUTO_SCORE, AUTO_WORDS, classify, match, reason_text

N_CANDIDATES = 5  # candidates kept per CRM company for the review queue
CANDIDATE_FLOOR = 50.0  # below this score a candidate is not worth showing


def client_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The BO clients with their matching keys (client_id, name, key), in id order (shorter id first)."""
    frame = con.execute(
        "SELECT client_id, coalesce(trim(name), '') AS name FROM clients "
        "WHERE client_id IS NOT NULL ORDER BY length(client_id), client_id").df()
    frame["key"] = normalise_companies(frame["name"]).to_numpy()
    return frame


def link_clients(con: duckdb.DuckDBPyConnection, clients: pd.DataFrame | None = None) -> None:
    """Fill `client_links` and `link_candidates` from `deals.company` and `clients` (algorithm only).

    Args:
        con: writable warehouse connection with `deals` and `clients` loaded.
        clients: `client_keys(con)` when the caller already has it (normalised once per build).
    """
    companies = con.execute(
        "SELECT DISTINCT trim(company) AS crm_company FROM deals "
        "WHERE company IS NOT NULL AND trim(company) <> '' ORDER BY 1").df()
    clients = client_keys(con) if clients is None else clients
    companies["key"] = normalise_companies(companies["crm_company"]).to_numpy()
    keys = pd.Series(pd.unique(companies["key"][companies["key"] != ""]), dtype=object)

    if clients.empty or keys.empty:
        scored = pd.DataFrame(columns=["q", "t", "score", "wov", "unmatched", "tsr", "jw", "ind", "rank"])
        decided = classify(scored.astype({"q": int, "t": int, "rank": int}), len(keys),
                           np.array([], dtype=object), np.array([], dtype=object))
    else:
        weights = token_weights(clients["key"])
        scored = match(keys, clients["key"], weights, unknown_weight(len(clients)))
        decided = classify(scored, len(keys), clients["client_id"].to_numpy(object),
                           clients["name"].to_numpy(object))
    decided["key"] = keys.to_numpy()

    links = companies.merge(decided, on="key", how="left")
    empty = links["key"].eq("")
    links.loc[empty, "status"] = "none"
    links.loc[empty, "score"] = 0.0
    links.loc[empty, "reason"] = "no distinctive word left once legal forms and common words are removed"
    if clients.empty:
        links["reason"] = np.where(empty, links["reason"], "no BO client list to link to")
    links = links[["crm_company", "target_id", "score", "status", "reason"]].rename(
        columns={"target_id": "client_id"})
    links["score"] = links["score"].astype(float).round(1)
    con.register("_client_links", links)
    con.execute("DELETE FROM client_links")
    con.execute("INSERT INTO client_links SELECT crm_company, client_id, score, status, reason FROM _client_links")
    con.unregister("_client_links")

    if scored.empty:
        return
    cand = scored[(scored["rank"] <= N_CANDIDATES) & (scored["score"] >= CANDIDATE_FLOOR)].copy()
    cand["reason"] = reason_text(cand)
    cand["key"] = keys.to_numpy()[cand["q"].to_numpy()]
    cand["client_id"] = clients["client_id"].to_numpy(object)[cand["t"].to_numpy()]
    cand["client_name"] = clients["name"].to_numpy(object)[cand["t"].to_numpy()]
    cand["score"] = cand["score"].astype(float).round(1)
    cand = companies.merge(cand[["key", "rank", "client_id", "client_name", "score", "reason"]], on="key")
    con.register("_cand", cand)
    con.execute("DELETE FROM link_candidates")
    con.execute("INSERT INTO link_candidates SELECT crm_company, rank, client_id, client_name, score, reason "
                "FROM _cand")
    con.unregister("_cand")


def find_client_duplicates(con: duckdb.DuckDBPyConnection, clients: pd.DataFrame | None = None) -> int:
    """Fill `client_duplicates`: pairs of BO clients whose names would link automatically.

    The reference is the client with the smaller id (shorter id first, then alphabetical),
    so each pair appears once.

    Args:
        con: writable warehouse connection with `clients` loaded.
        clients: `client_keys(con)` when the caller already has it.

    Returns:
        number of pairs found.
    """
    clients = client_keys(con) if clients is None else clients
    con.execute("DELETE FROM client_duplicates")
    keyed = clients[clients["key"] != ""].reset_index(drop=True)
    if len(keyed) < 2:
        return 0
    weights = token_weights(keyed["key"])
    scored = match(keyed["key"], keyed["key"], weights, unknown_weight(len(keyed)))
    # keyed is in id order, so q < t means the query is the reference.
    pairs = scored[(scored["q"] < scored["t"]) & (scored["score"] >= AUTO_SCORE)
                   & (scored["wov"] >= AUTO_WORDS)].copy()
    ids = keyed["client_id"].to_numpy(object)
    names = keyed["name"].to_numpy(object)
    out = pd.DataFrame({
        "client_id": ids[pairs["q"].to_numpy()],
        "duplicate_client_id": ids[pairs["t"].to_numpy()],
        "score": pairs["score"].astype(float).round(1).to_numpy(),
        "reason": ("names " + pd.Series(names[pairs["q"].to_numpy()]).astype(str) + " / "
                   + pd.Series(names[pairs["t"].to_numpy()]).astype(str) + ": "
                   + reason_text(pairs).to_numpy()).to_numpy(),
    })
    con.register("_dups", out)
    con.execute("INSERT INTO client_duplicates SELECT * FROM _dups")
    con.unregister("_dups")
    return len(out)


def explain_duplicate_ties(con: duckdb.DuckDBPyConnection) -> None:
    """Say so in the reason when a near-tie is between two BO records of one company."""
    con.execute("""
        UPDATE client_links SET reason = client_links.reason || '; the two BO records look like one company: '
                                         || 'merge them in the BO or choose one'
        FROM link_candidates c1, link_candidates c2, client_duplicates d
        WHERE client_links.status = 'review' AND client_links.reason LIKE 'near-tie%'
          AND c1.crm_company = client_links.crm_company AND c1.rank = 1
          AND c2.crm_company = client_links.crm_company AND c2.rank = 2
          AND ((d.client_id = c1.client_id AND d.duplicate_client_id = c2.client_id)
               OR (d.client_id = c2.client_id AND d.duplicate_client_id = c1.client_id))
    """)
