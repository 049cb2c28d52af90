"""Headline answers: one sentence with its number on top of each page, in French or English.

Each headline is computed from the output of the metric the page already shows (so it follows
any change of definition there): a pure `*_sentence(frame, locale)` function turns that output
into the sentence, and a `(con, filters, locale)` wrapper runs the metric first. A headline
that has too little data to say something says so instead of inventing a number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.answers import Answer, answer
from core.filters import Filters
from core.formats import (
    MONTH_NAMES,
    NNBSP,
    Locale,
    check_locale,
    days,
    integer,
    money,
    number,
    percent,
    points,
    quarter,
)
from core.metrics import acquisition, churn, clients, funnel, overview, pipeline, seasonality, time_wasters

# The share of clients the Pareto headline looks at (the "20" of 80/20).
PARETO_SHARE = 0.2

_STAGE_WORDS = {
    "pitch": {"fr": ("présentation", "présentations"), "en": ("pitch", "pitches")},
    "mer": {"fr": ("MER", "MER"), "en": ("MER", "MERs")},
    "offer": {"fr": ("offre", "offres"), "en": ("offer", "offers")},
}


def _semicolon(locale: Locale) -> str:
    """French typography puts a narrow no-break space before `;` and `:`."""
    return f"{NNBSP};" if locale == "fr" else ";"


def _colon(locale: Locale) -> str:
    return f"{NNBSP}:" if locale == "fr" else ":"


def _signed_percent(change: float, locale: Locale) -> str:
    """A change as a signed percentage: `+81,6 %` / `-49.4%`."""
    text = percent(change, locale)
    return text if text.startswith("-") else "+" + text


# -- Funnel: how many pitches / MERs / offers to close ---------------------------------------------


def _span(low: int, high: int, stage: str, locale: Locale) -> str:
    one, many = _STAGE_WORDS[stage][locale]
    if low == high:
        # French puts 0 and 1 in the singular, English only 1.
        return f"{low} {one if low == 1 or (low == 0 and locale == 'fr') else many}"
    joiner = "à" if locale == "fr" else "to"
    return f"{low} {joiner} {high} {many}"


def events_to_close_sentence(curve: pd.DataFrame, stage: str, locale: Locale,
                             min_jobs: int = funnel.MIN_JOBS_PER_GROUP) -> str:
    """How many events of `stage` give a job the best chance to close, against the fewest.

    Method: counts are grouped (`funnel.count_groups`, at least `min_jobs` jobs per group); the best
    group is the one with the highest fill rate; "enough" is the first group whose rate cannot be
    told apart from the best one (its Wilson 95 % upper bound reaches the best rate): beyond that
    group, more events bring no clear gain. The ratio compares that group with the group of the
    fewest events. When the group of the fewest events is already as good as the best, more
    events do not clearly help.
    """
    check_locale(locale)
    stage_rows = curve[curve["stage"] == stage] if "stage" in curve.columns else curve
    groups = funnel.count_groups(stage_rows, min_jobs)
    many = _STAGE_WORDS[stage][locale][1]
    total = int(stage_rows["jobs"].sum()) if not stage_rows.empty else 0
    if len(groups) < 2:
        if locale == "fr":
            return (f"Trop peu de postes pour dire combien de {many} il faut : {integer(total, locale)} postes "
                    f"décidés, il en faut {min_jobs} par groupe comparé.")
        return (f"Too few jobs to tell how many {many} it takes: {integer(total, locale)} decided jobs, "
                f"{min_jobs} needed per group compared.")
    base = groups.iloc[0]
    best_at = int(groups["rate"].to_numpy().argmax())
    best = groups.iloc[best_at]
    # The first group as good as the best one: the fewest events that give the best chance.
    enough_at = next(i for i in range(best_at + 1) if i == best_at or groups["upper"].iloc[i] >= best["rate"])
    enough = groups.iloc[enough_at]
    enough_span = _span(int(enough["low"]), int(enough["high"]), stage, locale)
    base_span = _span(int(base["low"]), int(base["high"]), stage, locale)
    if enough_at == 0:
        if locale == "fr":
            return (f"Plus de {many} ne pourvoit pas clairement plus de postes : {percent(base['rate'], locale)} "
                    f"des postes avec {base_span} sont pourvus, au mieux {percent(best['rate'], locale)}.")
        return (f"More {many} do not clearly fill more jobs: {percent(base['rate'], locale)} of jobs with "
                f"{base_span} are filled, at best {percent(best['rate'], locale)}.")
    rates = (f"{percent(enough['rate'], locale)} {'contre' if locale == 'fr' else 'vs'} "
             f"{percent(base['rate'], locale)}")
    if base["rate"] > 0:
        ratio = number(enough["rate"] / base["rate"], locale, 1)
        lead = (f"Les postes avec {enough_span} sont pourvus {ratio}× plus souvent que ceux avec {base_span} "
                f"({rates})" if locale == "fr" else
                f"Jobs with {enough_span} close {ratio}× more often than jobs with {base_span} ({rates})")
    else:
        lead = (f"Les postes avec {enough_span} sont pourvus à {percent(enough['rate'], locale)}, ceux avec "
                f"{base_span} jamais" if locale == "fr" else
                f"Jobs with {enough_span} close {percent(enough['rate'], locale)} of the time, jobs with "
                f"{base_span} never")
    if enough_at == len(groups) - 1:
        return f"{lead}."
    beyond = int(enough["high"])
    tail = (f"au-delà de {beyond} {many}, plus aucun gain net" if locale == "fr" else
            f"beyond {beyond} {many}, no clear gain")
    return f"{lead}{_semicolon(locale)} {tail}."


# -- Funnel: new vs repeat jobs --------------------------------------------------------------------


def new_vs_repeat_answer(frame: pd.DataFrame, locale: Locale) -> Answer:
    """Which of new and repeat jobs fill better, with both fill rates, their decided jobs, and whether
    the gap is more than chance (Fisher's exact test on filled / not filled × new / repeat).

    Args:
        frame: `funnel.new_vs_repeat` (job_kind, decided_jobs, filled_jobs, fill_rate, …).
    """
    rows = frame.set_index("job_kind")
    rates = rows["fill_rate"]
    if rates.isna().any():
        return Answer("Pas assez de postes décidés pour comparer nouveaux et récurrents." if locale == "fr" else
                      "Not enough decided jobs to compare new and repeat jobs.", "unknown", "")
    first, second = ("new", "repeat") if rates["new"] > rates["repeat"] else ("repeat", "new")
    decided = (integer(rows.at[first, "decided_jobs"], locale), integer(rows.at[second, "decided_jobs"], locale))
    table = [[int(rows.at[k, "filled_jobs"]), int(rows.at[k, "decided_jobs"] - rows.at[k, "filled_jobs"])]
             for k in (first, second)]
    from scipy import stats  # imported here: scipy.stats takes ~1.5 s to load, and most pages never test

    p_value = float(stats.fisher_exact(table)[1])
    effect = rates[first] / rates[second] - 1 if rates[second] > 0 else None
    if locale == "fr":
        words = {"new": "nouveaux postes", "repeat": "postes récurrents"}
        statement = (f"Les {words[first]} sont pourvus à {percent(rates[first], locale)} contre "
                     f"{percent(rates[second], locale)} pour les {words[second]} "
                     f"({decided[0]} et {decided[1]} postes tranchés)")
    else:
        words = {"new": "new jobs", "repeat": "repeat jobs"}
        statement = (f"{words[first].capitalize()} fill at {percent(rates[first], locale)} vs "
                     f"{percent(rates[second], locale)} for {words[second]} "
                     f"({decided[0]} and {decided[1]} decided jobs)")
    return answer(statement, p_value, "Fisher's exact test", locale, effect)


def new_vs_repeat_sentence(frame: pd.DataFrame, locale: Locale) -> str:
    """`new_vs_repeat_answer` as a sentence."""
    return new_vs_repeat_answer(frame, locale).sentence


# -- Funnel: MER → placement over the years --------------------------------------------------------


def mer_to_placement_trend_sentence(frame: pd.DataFrame, locale: Locale, min_mers: int = 30) -> str:
    """MER → placement rate of the first and the last year with at least `min_mers` MERs.

    Args:
        frame: `funnel.mer_to_placement_over_time(grain="year")` (period, mers, placements,
            mer_to_placement_rate).
    """
    years = frame[frame["mers"] >= min_mers].sort_values("period")
    if len(years) < 2:
        return ("Moins de deux années avec assez de MER pour dire une tendance." if locale == "fr" else
                "Fewer than two years with enough MERs to tell a trend.")
    first, last = years.iloc[0], years.iloc[-1]
    y0, y1 = pd.Timestamp(first["period"]).year, pd.Timestamp(last["period"]).year
    r0, r1 = percent(first["mer_to_placement_rate"], locale), percent(last["mer_to_placement_rate"], locale)
    if r0 == r1:
        return (f"Le taux MER → placement est stable à {r1} de {y0} à {y1}." if locale == "fr" else
                f"MER → placement held at {r1} from {y0} to {y1}.")
    down = last["mer_to_placement_rate"] < first["mer_to_placement_rate"]
    if locale == "fr":
        return f"Le taux MER → placement {'a baissé' if down else 'a augmenté'} de {r0} ({y0}) à {r1} ({y1})."
    return f"MER → placement {'fell' if down else 'rose'} from {r0} ({y0}) to {r1} ({y1})."


def mer_to_placement_trend(con, f: Filters, locale: Locale) -> str:
    """The Funnel headline on the MER → placement trend: by year over the whole history (a trend
    needs years, whatever the period chosen), with the other filters applied."""
    frame = funnel.mer_to_placement_over_time(con, f.without_period(), grain="year")
    return mer_to_placement_trend_sentence(frame, locale)


# -- Clients: new clients won ----------------------------------------------------------------------


def _period_name(period: pd.Timestamp, grain: str, locale: Locale) -> tuple[str, str]:
    """(preposition + name, name): `("au T3 2026", "T3 2026")`, `("in Q3 2026", "Q3 2026")`."""
    if grain == "quarter":
        name = quarter(period, locale)
        return (f"au {name}" if locale == "fr" else f"in {name}"), name
    if grain == "month":
        name = f"{MONTH_NAMES[locale][period.month - 1]} {period.year}"
    else:
        name = str(period.year)
    return (f"en {name}" if locale == "fr" else f"in {name}"), name


def new_clients_sentence(frame: pd.DataFrame, locale: Locale, grain: str = "quarter") -> str:
    """New clients won in the last period, and the change against the period before.

    Args:
        frame: `acquisition.new_clients` (period, new_clients, complete).
    """
    if frame.empty:
        return ("Aucun nouveau client sur la période." if locale == "fr" else "No new client in this period.")
    last = frame.iloc[-1]
    n = int(last["new_clients"])
    when, _ = _period_name(pd.Timestamp(last["period"]), grain, locale)
    if locale == "fr":
        lead = f"{integer(n, locale)} {'nouveau client' if n == 1 else 'nouveaux clients'} {when}"
        lead += "" if last["complete"] else " à ce jour"
    else:
        lead = f"{integer(n, locale)} new {'client' if n == 1 else 'clients'} {when}"
        lead += "" if last["complete"] else " so far"
    if len(frame) < 2:
        return f"{lead}."
    before = frame.iloc[-2]
    m = int(before["new_clients"])
    prev_when, prev_name = _period_name(pd.Timestamp(before["period"]), grain, locale)
    if not last["complete"]:
        return f"{lead} ({integer(m, locale)} {prev_when})."
    diff = n - m
    if diff == 0:
        return f"{lead} ({'autant qu' if locale == 'fr' else 'as many as '}{prev_when})."
    signed = f"{'+' if diff > 0 else '-'}{integer(abs(diff), locale)}"
    vs = f"par rapport {'au ' + prev_name if grain == 'quarter' else 'à ' + prev_name}" if locale == "fr" else \
        f"vs {prev_name}"
    return f"{lead} ({signed} {vs})."


def new_clients(con, f: Filters, locale: Locale, grain: str = "quarter") -> str:
    """The Clients headline on acquisition: new clients won in the last period of the filters."""
    return new_clients_sentence(acquisition.new_clients(con, f, grain), locale, grain)


# -- Clients: concentration ------------------------------------------------------------------------


def pareto_sentence(frame: pd.DataFrame, locale: Locale, share: float = PARETO_SHARE) -> str:
    """Which share of turnover the top `share` of clients bring.

    Args:
        frame: `clients.pareto` (rank, cumulative_share, …), clients with turnover only.
    """
    if frame.empty:
        return ("Aucun client n'a de chiffre d'affaires sur la période." if locale == "fr" else
                "No client has turnover in this period.")
    n = len(frame)
    k = max(1, math.ceil(share * n))
    cumulative = float(frame.sort_values("rank")["cumulative_share"].iloc[k - 1])
    if locale == "fr":
        return (f"Les {percent(share, locale).replace(',0', '')} premiers clients ({integer(k, locale)} sur "
                f"{integer(n, locale)} avec du chiffre d'affaires) font {percent(cumulative, locale)} du "
                "chiffre d'affaires.")
    return (f"The top {percent(share, locale).replace('.0', '')} of clients ({integer(k, locale)} of "
            f"{integer(n, locale)} with turnover) bring {percent(cumulative, locale)} of turnover.")


def client_concentration(con, f: Filters, locale: Locale) -> str:
    """The Clients headline: how concentrated turnover is."""
    return pareto_sentence(clients.pareto(con, f), locale)


# -- Clients: what sets the segments apart, as answers ---------------------------------------------

# Numeric segment drivers: format kind, the unit words of the median (fr, en), and what a higher /
# lower median says about the segment (fr, en).
_DRIVERS = {
    "employees": ("count", ("salariés", "employees"), ("sont plus grands", "sont plus petits"),
                  ("are larger", "are smaller")),
    "fee_rate": ("percent", ("de taux d'honoraires", "fee rate"), ("paient un taux plus haut", "paient un taux plus bas"),
                 ("pay a higher fee rate", "pay a lower fee rate")),
    "salary_k": ("salary", ("de salaire", "salary"), ("recrutent à des salaires plus hauts",
                                                      "recrutent à des salaires plus bas"),
                 ("hire at higher salaries", "hire at lower salaries")),
    "pitches_per_job": ("number", ("présentations par poste", "pitches per job"),
                        ("demandent plus de présentations", "demandent moins de présentations"),
                        ("need more pitches", "need fewer pitches")),
    "days_to_first_pitch": ("days", ("avant la 1re présentation", "to the first pitch"),
                            ("sont servis moins vite", "sont servis plus vite"),
                            ("are served more slowly", "are served faster")),
    "days_to_first_mer": ("days", ("avant la 1re MER", "to the first MER"),
                          ("sont servis moins vite", "sont servis plus vite"),
                          ("are served more slowly", "are served faster")),
}
_SEGMENT_WORDS = {"top": ("Les top clients", "Top clients"), "large": ("Les grands clients", "Large clients"),
                  "medium": ("Les clients moyens", "Medium clients")}


def _driver_value(value: float, kind: str, what: tuple[str, str], locale: Locale) -> str:
    words = what[0] if locale == "fr" else what[1]
    if kind == "percent":
        return f"{percent(value, locale)} {words}"
    if kind == "salary":
        return f"{number(value, locale, 1)}{NNBSP if locale == 'fr' else ' '}k€ {words}"
    if kind == "days":
        return f"{days(value, locale)} {words}"
    return f"{number(value, locale, 0 if kind == 'count' else 1)} {words}"


def segment_driver_answers(drivers: pd.DataFrame, locale: Locale) -> list[Answer]:
    """Each numeric segment driver said as an answer: the highest segment present against `other`.

    Args:
        drivers: `clients.segment_drivers` (feature, segment, value, test, p_value, significant).

    Returns:
        One `Answer` per numeric feature with both medians known, strongest evidence first.
    """
    out: list[tuple[float, Answer]] = []
    for feature, (kind, what, fr_words, en_words) in _DRIVERS.items():
        rows = drivers[drivers["feature"] == feature].set_index("segment")
        known = rows["value"].dropna()
        lead = next((s for s in ("top", "large", "medium") if s in known.index), None)
        if lead is None or "other" not in known.index:
            continue
        a, b = float(known[lead]), float(known["other"])
        if a == b:
            continue
        higher = a > b
        words = fr_words if locale == "fr" else en_words
        who = _SEGMENT_WORDS[lead][0 if locale == "fr" else 1]
        adjective = words[0] if higher else words[1]
        shown_a, shown_b = _driver_value(a, kind, what, locale), _driver_value(b, kind, what, locale)
        if shown_a == shown_b:
            # Equal once rounded: no "more" or "less" to tell.
            statement = (f"{who}{_colon(locale)} médiane {shown_a}, comme les autres" if locale == "fr" else
                         f"{who}: median {shown_a}, as for other clients")
        elif locale == "fr":
            statement = (f"{who} {adjective}{_colon(locale)} médiane {_driver_value(a, kind, what, locale)} "
                         f"contre {_driver_value(b, kind, what, locale)} pour les autres")
        else:
            statement = (f"{who} {adjective}: median {_driver_value(a, kind, what, locale)} vs "
                         f"{_driver_value(b, kind, what, locale)} for other clients")
        p = rows["p_value"].dropna()
        p_value = float(p.iloc[0]) if not p.empty else None
        test = str(rows["test"].iloc[0])
        effect = (a / b - 1) if b else None
        found = answer(statement, p_value, test, locale, effect)
        out.append((p_value if p_value is not None else 1.0, found))
    return [a for _, a in sorted(out, key=lambda x: x[0])]


# -- Time wasters ----------------------------------------------------------------------------------


def time_wasters_sentence(ranked: pd.DataFrame, locale: Locale) -> str:
    """How many clients are time wasters and what share of effort and turnover they account for.

    Args:
        ranked: `time_wasters.time_wasters` (quadrant, activity_hours, turnover, …).
    """
    wasters = ranked[ranked["quadrant"] == "time waster"]
    if wasters.empty:
        return ("Aucun client chronophage sur la période." if locale == "fr" else
                "No client is a time waster in this period.")
    n = len(wasters)
    hours_total, turnover_total = ranked["activity_hours"].sum(), ranked["turnover"].sum()
    hours = wasters["activity_hours"].sum()
    hours_share = hours / hours_total if hours_total else np.nan
    turnover_share = wasters["turnover"].sum() / turnover_total if turnover_total else np.nan
    h = f"{integer(hours, locale)}{NNBSP if locale == 'fr' else ' '}h"
    if locale == "fr":
        return (f"{integer(n, locale)} {'client est chronophage' if n == 1 else 'clients sont chronophages'}"
                f"{_colon(locale)} {percent(hours_share, locale)} des heures d'activité ({h}) pour "
                f"{percent(turnover_share, locale)} du chiffre d'affaires.")
    return (f"{integer(n, locale)} {'client is a time waster' if n == 1 else 'clients are time wasters'}: "
            f"{percent(hours_share, locale)} of activity hours ({h}) for {percent(turnover_share, locale)} "
            "of turnover.")


def time_wasters_headline(con, f: Filters, locale: Locale) -> str:
    """The Time wasters headline."""
    return time_wasters_sentence(time_wasters.time_wasters(con, f), locale)


# -- Seasonality -----------------------------------------------------------------------------------

_SEASON_WORDS = {
    "jobs_opened": ("de postes sont ouverts", "jobs are opened"),
    "placements": ("de placements sont facturés", "placements are invoiced"),
    "revenue": ("de chiffre d'affaires est facturé", "revenue is invoiced"),
}


def seasonality_sentence(index: pd.DataFrame, measure: str, locale: Locale) -> str:
    """The peak and trough calendar months of `measure`, each against an average month.

    Args:
        index: `seasonality.seasonal_index` (month_of_year, index, is_peak, is_trough).
    """
    if index.empty:
        return ("Pas de mois complet pour dire une saison." if locale == "fr" else
                "No complete month to tell a season.")
    if not index["is_peak"].any():
        # Every complete month at zero: no month stands out.
        return ("Aucune activité sur les mois complets de la période : pas de saison à dire." if locale == "fr"
                else "No activity in the period's complete months: no season to tell.")
    peak = index[index["is_peak"]].iloc[0]
    trough = index[index["is_trough"]].iloc[0]
    names = MONTH_NAMES[locale]
    up, down = _signed_percent(peak["index"] - 1, locale), percent(trough["index"] - 1, locale)
    fr, en = _SEASON_WORDS[measure]
    if locale == "fr":
        return (f"C'est en {names[int(peak['month_of_year']) - 1]} que le plus {fr} ({up} par rapport à un "
                f"mois moyen), en {names[int(trough['month_of_year']) - 1]} le moins ({down}).")
    least = "the least" if measure == "revenue" else "the fewest"
    return (f"Most {en} in {names[int(peak['month_of_year']) - 1]} ({up} vs an average month), {least} in "
            f"{names[int(trough['month_of_year']) - 1]} ({down}).")


def seasonality_headline(con, f: Filters, locale: Locale, measure: str = "jobs_opened") -> str:
    """The Seasonality headline for `measure`."""
    return seasonality_sentence(seasonality.seasonal_index(con, f, measure=measure), measure, locale)


# -- Churn -----------------------------------------------------------------------------------------


def churn_sentence(frame: pd.DataFrame, locale: Locale) -> str:
    """The churn rate of the last complete year and its change in points against the year before.

    Args:
        frame: `churn.churn_by_year` (year, active_prev_year, churned, churn_rate).
    """
    rows = frame.dropna(subset=["churn_rate"])
    if rows.empty:
        return ("Pas encore d'année complète pour mesurer les départs." if locale == "fr" else
                "No complete year yet to measure churn.")
    last = rows.iloc[-1]
    year, rate = int(last["year"]), percent(last["churn_rate"], locale)
    churned, active = integer(last["churned"], locale), integer(last["active_prev_year"], locale)
    if locale == "fr":
        lead = f"{rate} des clients actifs en {year - 1} sont partis en {year} ({churned} sur {active})"
    else:
        lead = f"{rate} of the clients active in {year - 1} churned in {year} ({churned} of {active})"
    if len(rows) < 2:
        return f"{lead}."
    before = rows.iloc[-2]
    change = points(last["churn_rate"] - before["churn_rate"], locale)
    vs = f"{change} par rapport à {int(before['year'])}" if locale == "fr" else f"{change} vs {int(before['year'])}"
    return f"{lead}{_semicolon(locale)} {vs}."


def churn_period_sentence(all_years: pd.DataFrame, f: Filters, locale: Locale) -> str:
    """The Churn headline: the last complete churn year the period reaches, against the year before
    it even when the period does not reach back that far (a change needs two years), other filters
    applied.

    Args:
        all_years: `churn.churn_by_year(con, f.without_period())`, every complete year.
        f: the filters; only the end of their period is read here.
    """
    if f.date_to is not None:
        all_years = all_years[all_years["year"] <= f.date_to.year]
    return churn_sentence(all_years, locale)


def churn_headline(con, f: Filters, locale: Locale) -> str:
    """The Churn headline (`churn_period_sentence`) from the warehouse."""
    return churn_period_sentence(churn.churn_by_year(con, f.without_period()), f, locale)


# -- Overview --------------------------------------------------------------------------------------


def overview_sentence(frame: pd.DataFrame, locale: Locale) -> str:
    """Turnover of the period and its change against the previous period of the same length.

    When the turnover cannot be compared (the period ends in months not all invoiced yet, see
    `overview.headline`), the fees booked on the placements made, which do not wait for invoices,
    carry the comparison instead.

    Args:
        frame: `overview.headline` (measure, value, change, …).
    """
    rows = frame.set_index("measure")
    if "turnover" not in rows.index or pd.isna(rows.at["turnover", "value"]):
        return "Pas de chiffre d'affaires sur la période." if locale == "fr" else "No turnover in this period."
    value, change = rows.at["turnover", "value"], rows.at["turnover", "change"]
    booked = rows.loc["booked"] if "booked" in rows.index else None
    versus = "par rapport à la période d'avant" if locale == "fr" else "vs the previous period"
    if locale == "fr":
        lead = f"Chiffre d'affaires{_colon(locale)} {money(value, locale)} sur la période"
    else:
        lead = f"Turnover: {money(value, locale)} in the period"
    if not pd.isna(change):
        return f"{lead} ({_signed_percent(change, locale)} {versus})."
    if booked is None or pd.isna(booked["value"]) or pd.isna(booked["change"]):
        return f"{lead}."
    fees = money(booked["value"], locale)
    if locale == "fr":
        return (f"{lead}{_semicolon(locale)} honoraires des placements faits{_colon(locale)} {fees} "
                f"({_signed_percent(booked['change'], locale)} {versus}).")
    return f"{lead}; fees booked on placements made: {fees} ({_signed_percent(booked['change'], locale)} {versus})."


def overview_headline(con, f: Filters, locale: Locale) -> str:
    """The Overview headline."""
    return overview_sentence(overview.headline(con, f), locale)


# -- Forecast: jobs to open per month --------------------------------------------------------------


def jobs_to_open_sentence(jobs: float | None, objective: float, fill_rate: float, avg_fee: float,
                          locale: Locale) -> str:
    """Jobs to open per month for a monthly objective, with the fill rate and the fee it counts on.

    Args:
        jobs: `scenarios.jobs_needed` (None or NaN when the period gives no fill rate or fee).
        objective: the monthly revenue objective, €.
        fill_rate, avg_fee: what the plan counts on (`scenarios.planned_fill_rate_and_fee`).
    """
    if jobs is None or math.isnan(jobs):
        if locale == "fr":
            return f"Aucun poste tranché sur la période{_colon(locale)} pas de taux de pourvoi ni d'honoraire pour planifier."
        return "No decided job in this period: no fill rate or fee to plan with."
    if locale == "fr":
        return (f"Pour facturer {money(objective, locale)} par mois, ouvrir {number(jobs, locale, 1)} postes par "
                f"mois{_colon(locale)} {percent(fill_rate, locale)} sont pourvus, à {money(avg_fee, locale)} "
                "d'honoraires en moyenne.")
    return (f"To invoice {money(objective, locale)} a month, open {number(jobs, locale, 1)} jobs a month: "
            f"{percent(fill_rate, locale)} of them fill, at {money(avg_fee, locale)} in fees on average.")


# -- Data & linking --------------------------------------------------------------------------------


def data_sentence(summary: pd.DataFrame, effects: pd.DataFrame, coverage: pd.DataFrame, locale: Locale) -> str:
    """Rows read and loaded clean, what cleaning did to the CRM won amount, and how much is linked.

    Args:
        summary: `quality.quality_summary` (rows_in, rows_clean per file).
        effects: `quality.rule_effects`: the won amount before a file's first rule and after its last.
        coverage: `core.link.review.coverage` (measure, after_review).
    """
    rows_in = float(summary["rows_in"].sum()) if not summary.empty else 0.0
    if rows_in == 0:
        return "Aucune ligne lue." if locale == "fr" else "No rows were read."
    clean = percent(float(summary["rows_clean"].sum()) / rows_in, locale)
    fr = locale == "fr"
    parts = [f"{integer(rows_in, locale)} lignes lues, {clean} chargées propres" if fr else
             f"{integer(rows_in, locale)} rows read, {clean} loaded clean"]
    ran = effects.sort_values(["file", "step"]).groupby("file") if not effects.empty else None
    if ran is not None:
        before = float(ran["won_amount_before"].first().sum())
        after = float(ran["won_amount_after"].last().sum())
        change = f" ({_signed_percent(after / before - 1, locale)})" if before else ""
        parts.append(f"le nettoyage fait passer le montant gagné du CRM de {money(before, locale)} à "
                     f"{money(after, locale)}{change}" if fr else
                     f"cleaning took the CRM won amount from {money(before, locale)} to {money(after, locale)}{change}")
    shares = dict(zip(coverage["measure"], coverage["after_review"])) if not coverage.empty else {}
    linked = [(shares[m], what) for m, what in (("deals", ("des affaires CRM", "CRM deals")),
                                                 ("revenue", ("du CA du back-office", "BO revenue")))
              if m in shares and not pd.isna(shares[m])]
    if linked:
        if fr:
            parts.append(" et ".join(f"{percent(v, locale)} {w[0]}" for v, w in linked) + " reliés")
        else:
            parts.append(" and ".join(f"{percent(v, locale)} of {w[1]}" for v, w in linked) + " linked")
    return f"{_semicolon(locale)} ".join(parts) + "."


def data_headline(con, locale: Locale) -> str:
    """The Data & linking headline (the whole warehouse: the filters do not apply to the data's health)."""
    from core.link.review import coverage
    from core.metrics import quality

    return data_sentence(quality.quality_summary(con), quality.rule_effects(con), coverage(con), locale)


# -- CRM pipeline ----------------------------------------------------------------------------------


def win_rate_sentence(frame: pd.DataFrame, locale: Locale) -> str:
    """The CRM win rate of the period on the deals closed, and its change in points.

    Args:
        frame: `pipeline.crm_headline` (measure, value, previous, …).
    """
    rows = frame.set_index("measure")
    rate = rows.at["win_rate", "value"] if "win_rate" in rows.index else np.nan
    if pd.isna(rate):
        return ("Aucune affaire close sur la période." if locale == "fr" else "No deal closed in this period.")
    closed = integer(rows.at["won", "value"] + rows.at["lost", "value"], locale)
    if locale == "fr":
        lead = f"Taux de succès{_colon(locale)} {percent(rate, locale)} des {closed} affaires closes"
    else:
        lead = f"Win rate: {percent(rate, locale)} of {closed} deals closed"
    before = rows.at["win_rate", "previous"]
    if pd.isna(before):
        return f"{lead}."
    versus = "par rapport à la période d'avant" if locale == "fr" else "vs the previous period"
    return f"{lead} ({points(rate - before, locale)} {versus})."


def win_rate_headline(con, f: Filters, locale: Locale) -> str:
    """The CRM pipeline headline."""
    return win_rate_sentence(pipeline.crm_headline(con, f), locale)
