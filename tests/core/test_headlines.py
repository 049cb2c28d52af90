"""Headline sentences on tiny hand-computed fixtures, and new clients per period on a tiny warehouse."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.filters import Filters
from core.metrics import funnel
from core.metrics import headlines as h
from core.metrics.acquisition import new_clients
from tests.helpers import warehouse

N = "\u202f"


def _curve(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame([("pitch", c, j, p) for c, j, p in rows], columns=["stage", "count", "jobs", "fill_probability"])


def test_pitches_to_close_finds_the_fewest_that_are_as_good_as_the_best() -> None:
    # Groups of >= 30 jobs: 1 (3/30), 2-3 (7/30), 4 (20/40), 5-6 (18+3 of 40+10: the last 10 join).
    # Best 4 pitches at 50 %; the Wilson upper bounds of 1 (25.6 %) and 2-3 (40.9 %) stay below 50 %.
    curve = _curve([(1, 30, 0.1), (2, 10, 0.2), (3, 20, 0.25), (4, 40, 0.5), (5, 40, 0.45), (6, 10, 0.3)])
    groups = funnel.count_groups(curve)
    assert groups[["low", "high", "jobs", "filled"]].values.tolist() == [[1, 1, 30, 3], [2, 3, 30, 7], [4, 4, 40, 20],
                                                                         [5, 6, 50, 21]]
    assert h.events_to_close_sentence(curve, "pitch", "en") == (
        "Jobs with 4 pitches close 5.0× more often than jobs with 1 pitch (50.0% vs 10.0%); "
        "beyond 4 pitches, no clear gain.")
    assert h.events_to_close_sentence(curve, "pitch", "fr") == (
        f"Les postes avec 4 présentations sont pourvus 5,0× plus souvent que ceux avec 1 présentation "
        f"(50,0{N}% contre 10,0{N}%){N}; au-delà de 4 présentations, plus aucun gain net.")


def test_pitches_to_close_says_when_more_do_not_help() -> None:
    # 12/40 = 30 % has a Wilson upper bound of 45.5 %, above the best 35 %.
    curve = _curve([(1, 40, 0.3), (2, 40, 0.35)])
    assert h.events_to_close_sentence(curve, "pitch", "en") == (
        "More pitches do not clearly fill more jobs: 30.0% of jobs with 1 pitch are filled, at best 35.0%.")


def test_pitches_to_close_needs_enough_jobs() -> None:
    assert h.events_to_close_sentence(_curve([(1, 12, 0.5), (2, 8, 0.25)]), "pitch", "en") == (
        "Too few jobs to tell how many pitches it takes: 20 decided jobs, 30 needed per group compared.")


def test_new_vs_repeat_puts_the_better_first_and_says_how_sure() -> None:
    # 60 of 100 decided repeat jobs filled vs 20 of 100 new ones: far beyond chance.
    frame = pd.DataFrame({"job_kind": ["new", "repeat"], "jobs": [130, 120], "decided_jobs": [100, 100],
                          "filled_jobs": [20, 60], "fill_rate": [0.2, 0.6]})
    found = h.new_vs_repeat_answer(frame, "en")
    assert found.sentence == ("Repeat jobs fill at 60.0% vs 20.0% for new jobs (100 and 100 decided jobs); "
                              "clearly a real difference.")
    assert found.detail == "Fisher's exact test, p < 0.001"
    assert h.new_vs_repeat_sentence(frame, "fr") == (
        f"Les postes récurrents sont pourvus à 60,0{N}% contre 20,0{N}% pour les nouveaux postes "
        f"(100 et 100 postes tranchés){N}; clairement une vraie différence.")


def test_new_vs_repeat_close_rates_are_no_evidence() -> None:
    # 29/145 vs 88/496 (20.0% vs 17.7%): Fisher's two-sided p is about 0.55, nowhere near 0.05.
    frame = pd.DataFrame({"job_kind": ["new", "repeat"], "jobs": [160, 520], "decided_jobs": [145, 496],
                          "filled_jobs": [29, 88], "fill_rate": [29 / 145, 88 / 496]})
    found = h.new_vs_repeat_answer(frame, "en")
    assert found.sentence == ("New jobs fill at 20.0% vs 17.7% for repeat jobs (145 and 496 decided jobs); "
                              "no evidence of a real difference.")
    assert found.strength == "no evidence"


def test_new_vs_repeat_without_decided_jobs_says_so() -> None:
    frame = pd.DataFrame({"job_kind": ["new", "repeat"], "jobs": [3, 4], "decided_jobs": [0, 2],
                          "filled_jobs": [0, 1], "fill_rate": [np.nan, 0.5]})
    assert h.new_vs_repeat_sentence(frame, "en") == "Not enough decided jobs to compare new and repeat jobs."


def test_mer_to_placement_trend_skips_thin_years() -> None:
    frame = pd.DataFrame({"period": pd.to_datetime(["2022-01-01", "2023-01-01", "2026-01-01"]),
                          "mers": [100, 10, 50], "placements": [9, 5, 2],
                          "mer_to_placement_rate": [0.089, 0.5, 0.049]})
    assert h.mer_to_placement_trend_sentence(frame, "en") == "MER → placement fell from 8.9% (2022) to 4.9% (2026)."


def test_new_clients_against_the_previous_period() -> None:
    frame = pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-04-01"]), "new_clients": [12, 9],
                          "complete": [True, True]})
    assert h.new_clients_sentence(frame, "en") == "9 new clients in Q2 2026 (-3 vs Q1 2026)."
    assert h.new_clients_sentence(frame, "fr") == "9 nouveaux clients au T2 2026 (-3 par rapport au T1 2026)."
    partial = pd.concat([frame, pd.DataFrame({"period": pd.to_datetime(["2026-07-01"]), "new_clients": [1],
                                              "complete": [False]})], ignore_index=True)
    assert h.new_clients_sentence(partial, "en") == "1 new client in Q3 2026 so far (9 in Q2 2026)."


def test_pareto_top_fifth() -> None:
    frame = pd.DataFrame({"rank": range(1, 11), "cumulative_share": [0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98, 0.99, 1.0]})
    assert h.pareto_sentence(frame, "en") == "The top 20% of clients (2 of 10 with turnover) bring 70.0% of turnover."


def test_time_wasters_share_of_hours_and_turnover() -> None:
    ranked = pd.DataFrame({"quadrant": ["time waster", "time waster", "key account", "efficient"],
                           "activity_hours": [30.0, 20.0, 40.0, 10.0], "turnover": [0.0, 100.0, 700.0, 200.0]})
    assert h.time_wasters_sentence(ranked, "en") == (
        "2 clients are time wasters: 50.0% of activity hours (50 h) for 10.0% of turnover.")
    assert h.time_wasters_sentence(ranked, "fr") == (
        f"2 clients sont chronophages{N}: 50,0{N}% des heures d'activité (50{N}h) pour 10,0{N}% du chiffre d'affaires.")


def test_seasonality_peak_and_trough() -> None:
    index = pd.DataFrame({"month_of_year": [1, 3, 8], "index": [1.0, 1.25, 0.6], "is_peak": [False, True, False],
                          "is_trough": [False, False, True]})
    assert h.seasonality_sentence(index, "jobs_opened", "en") == (
        "Most jobs are opened in March (+25.0% vs an average month), the fewest in August (-40.0%).")


def test_seasonality_with_no_activity_names_no_peak() -> None:
    # seasonal_index of complete months that are all zero: no index, so no peak and no trough.
    index = pd.DataFrame({"month_of_year": [1, 2], "index": [float("nan")] * 2, "is_peak": [False, False],
                          "is_trough": [False, False]})
    assert h.seasonality_sentence(index, "placements", "en") == (
        "No activity in the period's complete months: no season to tell.")


def test_churn_last_year_in_points() -> None:
    frame = pd.DataFrame({"year": [2024, 2025], "active_prev_year": [100, 120], "churned": [20, 30],
                          "churn_rate": [0.2, 0.25]})
    assert h.churn_sentence(frame, "en") == "25.0% of the clients active in 2024 churned in 2025 (30 of 120); +5.0 pts vs 2024."


def test_overview_turnover_and_change() -> None:
    frame = pd.DataFrame({"measure": ["turnover"], "value": [815345.0], "change": [-0.409]})
    assert h.overview_sentence(frame, "en") == "Turnover: €815,345 in the period (-40.9% vs the previous period)."
    assert h.overview_sentence(frame, "fr") == (
        f"Chiffre d'affaires{N}: 815{N}345{N}€ sur la période (-40,9{N}% par rapport à la période d'avant).")


def test_overview_compares_booked_fees_when_turnover_cannot_be_compared() -> None:
    # The period ends in months not all invoiced: no turnover change, the placements made carry it.
    frame = pd.DataFrame({"measure": ["turnover", "booked"], "value": [815345.0, 800820.0],
                          "change": [np.nan, -0.3708]})
    assert h.overview_sentence(frame, "en") == (
        "Turnover: €815,345 in the period; fees booked on placements made: €800,820 (-37.1% vs the previous period).")
    assert h.overview_sentence(frame, "fr") == (
        f"Chiffre d'affaires{N}: 815{N}345{N}€ sur la période{N}; honoraires des placements faits{N}: "
        f"800{N}820{N}€ (-37,1{N}% par rapport à la période d'avant).")
    no_booked_change = frame.assign(change=[np.nan, np.nan])
    assert h.overview_sentence(no_booked_change, "en") == "Turnover: €815,345 in the period."


def test_segment_drivers_as_answers() -> None:
    drivers = pd.DataFrame({"feature": ["employees", "employees", "sector: Banking"], "segment": ["top", "other", "top"],
                            "value": [5000.0, 250.0, 0.5], "test": ["Kruskal-Wallis"] * 2 + ["chi-square"],
                            "p_value": [0.004, 0.004, 0.5], "significant": [True, True, False]})
    (found,) = h.segment_driver_answers(drivers, "en")
    assert found.sentence == ("Top clients are larger: median 5,000 employees vs 250 employees for other clients; "
                              "clearly a real difference.")
    assert found.detail == "Kruskal-Wallis, p = 0.004"


def test_segment_driver_equal_once_rounded_says_so() -> None:
    drivers = pd.DataFrame({"feature": ["pitches_per_job"] * 2, "segment": ["top", "other"], "value": [7.71, 7.74],
                            "test": ["Kruskal-Wallis"] * 2, "p_value": [0.672] * 2, "significant": [False] * 2})
    (found,) = h.segment_driver_answers(drivers, "en")
    assert found.sentence == ("Top clients: median 7.7 pitches per job, as for other clients; "
                              "no evidence of a real difference.")


def _job(job_id: str, client: str, opened: date, job_type: str = "Dev") -> dict:
    return {"job_id": job_id, "client_id": client, "opened_at": opened, "job_type": job_type, "status": "open"}


def test_new_clients_count_first_jobs_ever() -> None:
    con = warehouse({
        "clients": [{"client_id": c, "name": c} for c in "ABC"],
        "jobs": [_job("J1", "A", date(2025, 12, 20)), _job("J2", "A", date(2026, 2, 1)),
                 _job("J3", "B", date(2026, 1, 15)), _job("J4", "B", date(2026, 3, 1), "Sales"),
                 _job("J5", "C", date(2026, 5, 3), "Sales")],
    })
    f = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
    # A's first job is in 2025: not new in 2026. As of 2026-05-03, Q2 is not over.
    out = new_clients(con, f)
    assert out.values.tolist() == [[pd.Timestamp("2026-01-01"), 1, True, False],
                                   [pd.Timestamp("2026-04-01"), 1, False, False]]
    # B was won on a Dev job: with Sales jobs only, only C is new.
    sales = new_clients(con, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30), job_types=("Sales",)))
    assert sales.values.tolist() == [[pd.Timestamp("2026-04-01"), 1, False, False]]
    assert new_clients(con, Filters(date_from=date(2027, 1, 1))).empty
    # Without a period, the exports' first quarter (Q4 2025, A's first job) is marked, and only it.
    every = new_clients(con, Filters())
    assert every[["period", "exports_start"]].values.tolist() == [
        [pd.Timestamp("2025-10-01"), True], [pd.Timestamp("2026-01-01"), False], [pd.Timestamp("2026-04-01"), False]]


def test_win_rate_and_its_change_in_points() -> None:
    frame = pd.DataFrame({"measure": ["won", "lost", "win_rate"], "value": [30.0, 70.0, 0.3],
                          "previous": [20.0, 60.0, 0.25]})
    assert h.win_rate_sentence(frame, "en") == "Win rate: 30.0% of 100 deals closed (+5.0 pts vs the previous period)."
    assert h.win_rate_sentence(frame.assign(previous=np.nan), "fr") == (
        f"Taux de succès{N}: 30,0{N}% des 100 affaires closes.")


def test_jobs_to_open_a_month() -> None:
    # €100,000 / (20% × €10,000) = 50 jobs a month.
    assert h.jobs_to_open_sentence(50.0, 100_000.0, 0.2, 10_000.0, "en") == (
        "To invoice €100,000 a month, open 50.0 jobs a month: 20.0% of them fill, at €10,000 in fees on average.")
    assert h.jobs_to_open_sentence(50.0, 100_000.0, 0.2, 10_000.0, "fr") == (
        f"Pour facturer 100{N}000{N}€ par mois, ouvrir 50,0 postes par mois{N}: 20,0{N}% sont pourvus, "
        f"à 10{N}000{N}€ d'honoraires en moyenne.")
    assert h.jobs_to_open_sentence(None, 100_000.0, np.nan, np.nan, "en") == (
        "No decided job in this period: no fill rate or fee to plan with.")


def test_data_health_in_one_sentence() -> None:
    summary = pd.DataFrame({"rows_in": [1000, 200], "rows_clean": [950, 190]})
    # Two rules on one file: 100,000 before the first, 95,000 after the last (-5.0%).
    effects = pd.DataFrame({"file": ["deals.csv", "deals.csv"], "step": [2, 1],
                            "won_amount_before": [98_000.0, 100_000.0], "won_amount_after": [95_000.0, 98_000.0]})
    coverage = pd.DataFrame({"measure": ["deals", "amount", "revenue"], "after_review": [0.8, 0.85, np.nan]})
    assert h.data_sentence(summary, effects, coverage, "en") == (
        "1,200 rows read, 95.0% loaded clean; cleaning took the CRM won amount from €100,000 to €95,000 (-5.0%); "
        "80.0% of CRM deals linked.")
    assert h.data_sentence(summary, effects.iloc[0:0], coverage.iloc[0:0], "fr") == (
        f"1{N}200 lignes lues, 95,0{N}% chargées propres.")
    assert h.data_sentence(summary.iloc[0:0], effects, coverage, "en") == "No rows were read."
