"""CRM deal → BO job (`deal_links`): fit by date, title and amount, one job per deal at most.

Candidates of a deal: the jobs of the client its company is linked to (status auto or
override) opened between WINDOW_BEFORE days before and WINDOW_AFTER days after the deal
was created. Fit score (0–100) = 0.45·date + 0.35·title + 0.20·amount:

- date: 100 when the deal was created 0–10 days after the job opened, −1 point per day
  later, −5 points per day earlier;
- title: 100 when the deal name contains the job title as whole words (case, accents and
  punctuation ignored) and no longer title of another candidate job is in it ("Senior Backend
  Developer" beats "Backend Developer"), 60 when it contains a shorter title or the job type,
  0 otherwise;
- amount: 100 when the amount equals the expected fee (salary_k × 1000 × fee_rate), −2 points
  per % of difference; 50 when either is unknown.

Assignment is global: in rounds, a (deal, job) pair that is the best for its deal and the
best for its job is fixed, both leave the pool, until nothing is left. Each job thus gets at
most one deal, and the best-fitting pairs win. Then two deals exchange their jobs when that
raises their total fit (two jobs with the same title opened a few days apart). Set-based SQL
throughout (a million deals).
"""

from __future__ import annotations

import duckdb

WINDOW_BEFORE = 120  # days a deal may be created after its job opened
WINDOW_AFTER = 30  # days a deal may be created before its job opened
DEAL_AUTO = 66.0  # fit from which the link is taken without review (a date and amount fit alone stay below)
DEAL_REVIEW = 35.0  # below this the best free job is not proposed
TIE_MARGIN = 3.0  # another free job this close -> review
SWAP_GAIN = 1.0  # total fit two deals must gain by exchanging their jobs
MAX_SWAP_PASSES = 10

_CANDIDATES = f"""
CREATE OR REPLACE TEMP TABLE _deal_cand AS
WITH d AS (
    SELECT d.deal_id, d.created_at, d.amount, cl.client_id,
           ' ' || trim(regexp_replace(lower(strip_accents(coalesce(d.deal_name, ''))), '[^a-z0-9]+', ' ', 'g'))
           || ' ' AS dname
    FROM deals d JOIN client_links cl ON cl.crm_company = trim(d.company)
    WHERE cl.status IN ('auto', 'override') AND cl.client_id IS NOT NULL AND d.created_at IS NOT NULL
), c AS (
    SELECT d.deal_id, j.job_id,
           date_diff('day', j.opened_at, d.created_at) AS lag,
           j.title_words <> '' AND contains(d.dname, ' ' || j.title_words || ' ') AS title_hit,
           j.type_words <> '' AND contains(d.dname, ' ' || j.type_words || ' ') AS type_hit,
           length(j.title_words) AS title_len,
           j.salary_k * 1000 * j.fee_rate AS expected_fee, d.amount
    FROM d JOIN (
        -- Titles and job types repeat: each distinct text is reduced to its words once.
        SELECT jobs.*, t.words AS title_words, y.words AS type_words
        FROM jobs
        JOIN (SELECT v, trim(regexp_replace(lower(strip_accents(coalesce(v, ''))), '[^a-z0-9]+', ' ', 'g')) AS words
              FROM (SELECT DISTINCT title AS v FROM jobs)) t ON t.v IS NOT DISTINCT FROM jobs.title
        JOIN (SELECT v, trim(regexp_replace(lower(strip_accents(coalesce(v, ''))), '[^a-z0-9]+', ' ', 'g')) AS words
              FROM (SELECT DISTINCT job_type AS v FROM jobs)) y ON y.v IS NOT DISTINCT FROM jobs.job_type
    ) j ON j.client_id = d.client_id
     AND j.opened_at BETWEEN d.created_at - INTERVAL {WINDOW_BEFORE} DAY
                         AND d.created_at + INTERVAL {WINDOW_AFTER} DAY
)
SELECT deal_id, job_id, lag, expected_fee, amount,
       -- "Backend Developer" is inside "Senior Backend Developer": only the longest title found counts in full.
       CASE WHEN title_hit AND title_len = max(CASE WHEN title_hit THEN title_len END)
                                           OVER (PARTITION BY deal_id) THEN 100.0
            WHEN title_hit OR type_hit THEN 60.0
            ELSE 0.0 END AS title_score,
       CASE WHEN lag BETWEEN 0 AND 10 THEN 100.0
            WHEN lag > 10 THEN greatest(0.0, 100.0 - (lag - 10))
            ELSE greatest(0.0, 100.0 + 5.0 * lag) END AS date_score,
       CASE WHEN amount IS NULL OR expected_fee IS NULL OR expected_fee <= 0 THEN 50.0
            ELSE greatest(0.0, 100.0 - 200.0 * abs(amount - expected_fee) / expected_fee) END AS amount_score
FROM c
"""

_SCORE = """
CREATE OR REPLACE TEMP TABLE _deal_cand AS
SELECT *, round(0.45 * date_score + 0.35 * title_score + 0.20 * amount_score, 1) AS fit
FROM _deal_cand
"""

# One round: fix every pair that is both its deal's best and its job's best among what is left.
_ROUND = """
CREATE OR REPLACE TEMP TABLE _deal_new AS
SELECT deal_id, job_id, fit FROM (
    SELECT * FROM _deal_work
    QUALIFY row_number() OVER (PARTITION BY deal_id ORDER BY fit DESC, job_id) = 1
)
QUALIFY row_number() OVER (PARTITION BY job_id ORDER BY fit DESC, deal_id) = 1
"""
_SHRINK = """
CREATE OR REPLACE TEMP TABLE _deal_work AS
SELECT w.* FROM _deal_work w
WHERE w.deal_id NOT IN (SELECT deal_id FROM _deal_new) AND w.job_id NOT IN (SELECT job_id FROM _deal_new)
"""

# Two fixed pairs of one client whose jobs, exchanged, fit better in total ("greedy took the
# slightly better pair first and left the other deal a poor job"): swap them. Each swap raises
# the total fit, so repeating ends.
_SWAPS = f"""
CREATE OR REPLACE TEMP TABLE _deal_swap AS
WITH s AS (
    SELECT p1.deal_id AS d1, p1.job_id AS j1, p2.deal_id AS d2, p2.job_id AS j2,
           c12.fit AS f12, c21.fit AS f21, c12.fit + c21.fit - p1.fit - p2.fit AS gain
    FROM _deal_pick p1
    JOIN _deal_cand c12 ON c12.deal_id = p1.deal_id AND c12.job_id <> p1.job_id
    JOIN _deal_pick p2 ON p2.job_id = c12.job_id
    JOIN _deal_cand c21 ON c21.deal_id = p2.deal_id AND c21.job_id = p1.job_id
    WHERE p1.deal_id < p2.deal_id AND c12.fit + c21.fit - p1.fit - p2.fit > {SWAP_GAIN}
), ends AS (
    SELECT d1 AS deal_id, d1, d2, gain FROM s UNION ALL SELECT d2, d1, d2, gain FROM s
), best AS (   -- a deal takes part in its best swap only
    SELECT * FROM ends QUALIFY row_number() OVER (PARTITION BY deal_id ORDER BY gain DESC, d1, d2) = 1
)
SELECT s.* FROM s
JOIN best b1 ON b1.deal_id = s.d1 AND b1.d2 = s.d2
JOIN best b2 ON b2.deal_id = s.d2 AND b2.d1 = s.d1
"""

_APPLY_SWAPS = """
UPDATE _deal_pick
SET job_id = CASE WHEN _deal_pick.deal_id = s.d1 THEN s.j2 ELSE s.j1 END,
    fit = CASE WHEN _deal_pick.deal_id = s.d1 THEN s.f12 ELSE s.f21 END
FROM _deal_swap s WHERE _deal_pick.deal_id = s.d1 OR _deal_pick.deal_id = s.d2
"""

_LINKS = f"""
INSERT INTO deal_links
WITH pick AS (
    SELECT p.deal_id, p.job_id, p.fit, c.lag, c.title_score, c.amount_score
    FROM _deal_pick p JOIN _deal_cand c USING (deal_id, job_id)
), free_alt AS (   -- the best other job the deal could still have had
    SELECT c.deal_id, max(c.fit) AS alt_fit, arg_max(c.job_id, c.fit) AS alt_job
    FROM _deal_cand c LEFT JOIN _deal_pick p ON p.job_id = c.job_id
    WHERE p.job_id IS NULL GROUP BY c.deal_id
), cand_n AS (SELECT deal_id, count(*) AS n FROM _deal_cand GROUP BY deal_id)
SELECT d.deal_id,
       pk.job_id,
       coalesce(pk.fit, 0.0) AS score,
       CASE WHEN pk.fit >= {DEAL_AUTO} AND coalesce(a.alt_fit, -1) <= pk.fit - {TIE_MARGIN} THEN 'auto'
            WHEN pk.fit >= {DEAL_REVIEW} THEN 'review'
            ELSE 'none' END AS status,
       CASE
         WHEN cl.crm_company IS NULL THEN 'deal has no company'
         WHEN cl.status NOT IN ('auto', 'override') OR cl.client_id IS NULL
              THEN 'company not linked to a BO client (' || cl.status || ')'
         WHEN d.created_at IS NULL THEN 'deal has no creation date'
         WHEN cn.n IS NULL THEN 'no job of client ' || cl.client_id || ' opened within {WINDOW_BEFORE} days '
              || 'before or {WINDOW_AFTER} days after the deal'
         WHEN pk.job_id IS NULL THEN 'every fitting job went to a better-fitting deal'
         ELSE 'job ' || pk.job_id || ' fit ' || pk.fit || ' (opened ' || abs(pk.lag) || ' days '
              || CASE WHEN pk.lag >= 0 THEN 'before' ELSE 'after' END || ' the deal, title '
              || CAST(pk.title_score AS INTEGER) || ', amount ' || CAST(round(pk.amount_score) AS INTEGER) || ')'
              || CASE WHEN a.alt_fit > pk.fit - {TIE_MARGIN} THEN '; near-tie with job ' || a.alt_job
                      || ' fit ' || a.alt_fit
                      WHEN pk.fit < {DEAL_AUTO} THEN '; weak fit' ELSE '' END
       END AS reason
FROM deals d
LEFT JOIN client_links cl ON cl.crm_company = trim(d.company)
LEFT JOIN pick pk ON pk.deal_id = d.deal_id
LEFT JOIN free_alt a ON a.deal_id = d.deal_id
LEFT JOIN cand_n cn ON cn.deal_id = d.deal_id
"""


def link_deals(con: duckdb.DuckDBPyConnection) -> int:
    """Fill `deal_links` (algorithm only): one row per deal; job_id set for auto links.

    A `review` row keeps its proposed job in the reason (and in `review_queue`), not in job_id,
    so readers of `deal_links` only ever see confirmed links.

    Args:
        con: writable warehouse connection; `client_links` filled, `deals` and `jobs` loaded.

    Returns:
        number of assignment rounds run.
    """
    con.execute(_CANDIDATES)
    con.execute(_SCORE)
    con.execute("CREATE OR REPLACE TEMP TABLE _deal_pick (deal_id VARCHAR, job_id VARCHAR, fit DOUBLE)")
    con.execute("CREATE OR REPLACE TEMP TABLE _deal_work AS SELECT deal_id, job_id, fit FROM _deal_cand")
    rounds = 0
    # Each round fixes at least the best remaining pair, so the loop ends; in practice in a few rounds.
    while con.execute("SELECT count(*) FROM _deal_work").fetchone()[0]:
        con.execute(_ROUND)
        con.execute("INSERT INTO _deal_pick SELECT * FROM _deal_new")
        con.execute(_SHRINK)
        rounds += 1
    for _ in range(MAX_SWAP_PASSES):
        con.execute(_SWAPS)
        if not con.execute("SELECT count(*) FROM _deal_swap").fetchone()[0]:
            break
        con.execute(_APPLY_SWAPS)
    con.execute("DELETE FROM deal_links")
    con.execute(_LINKS)
    con.execute("UPDATE deal_links SET job_id = NULL WHERE status <> 'auto'")
    for table in ("_deal_work", "_deal_new", "_deal_swap", "_deal_pick", "_deal_cand"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return rounds
