"""Company linking at scale: 50,000 raw CRM company strings against 20,000 BO clients.

Synthetic names in the demo's style (invented brand + sector word + legal form), CRM
strings written from them with the variants sales people type (case, accents, legal forms,
"(Paris)", "- France", stray spaces, one-letter typos, transposed letters), plus prospects
that are not BO clients. Reports wall time and peak memory of `link_clients` (normalise,
block, score, classify, write `client_links` and `link_candidates`), the share of true pairs
that survive blocking, and precision / recall of the auto links.

Targets (2 cores): ≤ 30 s, ≤ 2 GB peak, blocking recall ≥ 0.98.

    python benchmarks/link_bench.py [--queries 50000] [--clients 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.link.blocking import candidate_pairs
from core.link.clients import link_clients
from core.link.normalise import normalise_companies
from core.schema import TABLES_BY_NAME

SYLLABLES = ("ar", "bel", "cor", "da", "el", "fen", "gal", "hor", "is", "jor", "kal", "lum", "mar", "nor",
             "ol", "pra", "quin", "ros", "sil", "tor", "ul", "val", "wen", "xan", "yl", "zer", "bri", "cla",
             "dre", "fla", "gri", "plo", "stra", "tri", "vel", "vi", "no", "ra", "sa", "ta", "lo", "mi",
             "ken", "dor", "fi", "gue", "ly", "mon", "pe", "rin", "sto", "tal", "ver", "zo")
WORDS = ("Software", "Digital", "Systems", "Analytics", "Cloud", "Numérique", "Finance", "Capital",
         "Assurances", "Gestion", "Patrimoine", "Distribution", "Retail", "Commerce", "Boutiques",
         "Industries", "Mécanique", "Énergie", "Matériaux", "Aéro", "Santé", "Pharma", "Médical",
         "Biotech", "Conseil", "Logistique", "Transports", "Hôtellerie", "Data", "Media", "Nord", "Sud")
LEGAL = ("SAS", "SA", "SARL", "Inc.", "Ltd", "Group", "Technologies", "S.A.S.", "GmbH", "LLC")
NOISE = (" (Paris)", " - France", " (Lyon)", " - Paris", "  ")


def _brands(rng: np.random.Generator, n: int) -> np.ndarray:
    syl = np.array(SYLLABLES, dtype=object)
    k = rng.choice([2, 3, 4], size=n, p=[0.35, 0.5, 0.15])
    parts = [syl[rng.integers(0, len(syl), n)] for _ in range(4)]
    out = parts[0] + parts[1]
    out = np.where(k >= 3, out + parts[2], out)
    out = np.where(k >= 4, out + parts[3], out)
    return np.array([b.capitalize() for b in out], dtype=object)


def _typo(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """One substitution, deletion or transposition inside the first word."""
    first = names.str.split(" ", n=1).str[0]
    rest = names.str.split(" ", n=1).str[1].fillna("")
    length = first.str.len().to_numpy()
    pos = (rng.random(len(names)) * np.maximum(length - 2, 1)).astype(int) + 1
    kind = rng.integers(0, 3, len(names))
    letters = np.array(list("aeioulnrst"), dtype=object)[rng.integers(0, 10, len(names))]
    a = pd.Series([f[:p] for f, p in zip(first, pos)], index=names.index)
    b = pd.Series([f[p + 1:] for f, p in zip(first, pos)], index=names.index)
    c = pd.Series([f[p:p + 1] for f, p in zip(first, pos)], index=names.index)
    d = pd.Series([f[p + 1:p + 2] for f, p in zip(first, pos)], index=names.index)
    e = pd.Series([f[p + 2:] for f, p in zip(first, pos)], index=names.index)
    word = np.select([kind == 0, kind == 1], [a + letters + b, a + b], a + d + c + e)
    return pd.Series(word, index=names.index) + np.where(rest != "", " " + rest, "")


def synthetic(n_queries: int, n_clients: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clients[client_id, name], crm[crm_company, client_id or None]) with distinct CRM strings."""
    rng = np.random.default_rng(seed)
    brands = pd.unique(_brands(rng, n_clients * 2))[:n_clients]
    words = np.array(WORDS, dtype=object)
    shape = rng.random(n_clients)
    name = np.where(shape < 0.7, brands + " " + words[rng.integers(0, len(words), n_clients)],
                    np.where(shape < 0.9, brands, brands + " " + words[rng.integers(0, len(words), n_clients)]
                             + " " + words[rng.integers(0, len(words), n_clients)]))
    clients = pd.DataFrame({"client_id": [f"C{i:06d}" for i in range(n_clients)], "name": name})

    n = int(n_queries * 1.3)  # duplicates collapse when made distinct
    truth = rng.integers(0, n_clients, n)
    base = pd.Series(clients["name"].to_numpy(object)[truth])
    roll = rng.random((6, n))
    s = base.where(roll[0] > 0.3, base.str.upper())
    s = s.where(roll[0] < 0.85, s.str.lower())
    s = s.where(roll[1] > 0.4, s + " " + pd.Series(np.array(LEGAL, dtype=object)[rng.integers(0, len(LEGAL), n)]))
    s = s.where(roll[2] > 0.2, s + pd.Series(np.array(NOISE, dtype=object)[rng.integers(0, len(NOISE), n)]))
    s = s.where(roll[3] > 0.25, _typo(rng, s))
    s = s.where(roll[4] > 0.1, "  " + s.str.replace(" ", "  ", n=1) + " ")
    prospect = roll[5] < 0.1
    s = pd.Series(np.where(prospect, _brands(rng, n) + " " + words[rng.integers(0, len(words), n)], s))
    crm = pd.DataFrame({"crm_company": s.str.strip(), "client_id": np.where(prospect, None, clients["client_id"]
                                                                               .to_numpy(object)[truth])})
    crm = crm.drop_duplicates("crm_company").head(n_queries).reset_index(drop=True)
    return clients, crm


def run(n_queries: int = 50_000, n_clients: int = 20_000, seed: int = 0) -> dict[str, float]:
    """Generate, link, measure. Returns the figures (seconds, MB, shares)."""
    clients, crm = synthetic(n_queries, n_clients, seed)
    con = duckdb.connect()
    for name in ("clients", "deals", "client_links", "link_candidates"):
        con.execute(TABLES_BY_NAME[name].ddl())
    con.register("_c", clients)
    con.execute("INSERT INTO clients (client_id, name) SELECT client_id, name FROM _c")
    deals = pd.DataFrame({"deal_id": [f"D{i}" for i in range(len(crm))], "company": crm["crm_company"]})
    con.register("_d", deals)
    con.execute("INSERT INTO deals (deal_id, company) SELECT deal_id, company FROM _d")

    start = time.perf_counter()
    link_clients(con)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Blocking recall: true pairs (distinct normalised CRM key, true client) present among candidates.
    qkey = normalise_companies(crm["crm_company"])
    tkey = normalise_companies(clients["name"]).reset_index(drop=True)
    true = pd.DataFrame({"qkey": qkey, "t": crm["client_id"].str.slice(1).astype(float)}).dropna()
    true = true[true["qkey"] != ""].drop_duplicates()
    keys = pd.Series(pd.unique(true["qkey"]), dtype=object)
    pos = pd.Series(np.arange(len(keys)), index=keys)
    pairs = candidate_pairs(keys, tkey)
    found = pairs.merge(pd.DataFrame({"q": pos[true["qkey"]].to_numpy(), "t": true["t"].astype(np.int64)}))
    recall_blocking = len(found.drop_duplicates()) / len(true)

    links = con.execute("SELECT crm_company, client_id, status FROM client_links").df().merge(
        crm.rename(columns={"client_id": "true_id"}), on="crm_company")
    auto = links[links["status"] == "auto"]
    in_bo = links["true_id"].notna()
    return {
        "crm_strings": float(len(crm)), "clients": float(len(clients)),
        "seconds": round(seconds, 2), "peak_mb": round(peak_mb, 0),
        "pairs_after_blocking": float(len(pairs)),
        "blocking_recall": round(recall_blocking, 4),
        "auto_precision": round(float((auto["client_id"] == auto["true_id"]).mean()), 4),
        "auto_recall": round(float((auto["client_id"] == auto["true_id"]).sum() / in_bo.sum()), 4),
        "review_share": round(float((links["status"] == "review").mean()), 4),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=50_000)
    p.add_argument("--clients", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(json.dumps(run(args.queries, args.clients, args.seed), indent=2))


if __name__ == "__main__":
    main()
