"""The business words and formats of every column and measure Crossview shows or downloads.

One dictionary: a column name (as the metric functions return it) → its label in French and in
English, its unit and its format kind (see `core.formats.KINDS`). Tables, charts and CSV
downloads read it, so a column reads the same on every page and in every file. A test calls
every metric function on the demo warehouse and fails on a column missing here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.formats import Locale, check_locale

# The unit a header shows beside its label, per format kind and locale.
UNITS: dict[str, dict[str, str]] = {
    "money": {"fr": "€", "en": "€"},
    "percent": {"fr": "%", "en": "%"},
    "points": {"fr": "pt", "en": "pts"},
    "days": {"fr": "jours", "en": "days"},
    "hours": {"fr": "h", "en": "h"},
}


@dataclass(frozen=True)
class Label:
    """How one column reads: `fr` and `en` labels and its format kind (`money`, `percent`…)."""

    fr: str
    en: str
    kind: str = "text"

    def text(self, locale: Locale) -> str:
        return self.fr if check_locale(locale) == "fr" else self.en

    def unit(self, locale: Locale) -> str | None:
        """The unit of the column (`€`, `%`, `jours`…), or None for counts, text and dates."""
        return UNITS.get(self.kind, {}).get(locale)


def _L(fr: str, en: str, kind: str = "text") -> Label:
    return Label(fr, en, kind)


LABELS: dict[str, Label] = {
    # Who and what
    "account": _L("Compte", "Account"),
    "client_id": _L("N° client", "Client no."),
    "client_name": _L("Client", "Client"),
    "name": _L("Nom", "Name"),
    "company": _L("Société", "Company"),
    "crm_company": _L("Société (CRM)", "Company (CRM)"),
    "sector": _L("Secteur", "Sector"),
    "employees": _L("Effectif", "Employees", "count"),
    "segment": _L("Segment", "Segment"),
    "relationship": _L("Relation", "Relationship"),
    "quadrant": _L("Profil", "Profile"),
    "cluster": _L("Groupe n°", "Group no.", "year"),
    "cluster_name": _L("Groupe", "Group"),
    "owner": _L("Commercial", "Salesperson"),
    "sales": _L("Commercial", "Salesperson"),
    "sales_id": _L("N° commercial", "Salesperson no."),
    "staff_id": _L("N° commercial", "Salesperson no."),
    "team": _L("Équipe", "Team"),
    "job_id": _L("N° poste", "Job no."),
    "title": _L("Intitulé", "Title"),
    "job_type": _L("Type de poste", "Job type"),
    "job_kind": _L("Nouveau ou récurrent", "New or repeat"),
    "deal_id": _L("N° affaire", "Deal no."),
    "deal_name": _L("Affaire", "Deal"),
    "placement_id": _L("N° placement", "Placement no."),
    "record_id": _L("N° d'enregistrement", "Record no."),
    "candidate_1_id": _L("Candidat 1 : n°", "Candidate 1: no."),
    "candidate_1_name": _L("Candidat 1", "Candidate 1"),
    "candidate_1_score": _L("Candidat 1 : score", "Candidate 1: score", "score"),
    "candidate_2_id": _L("Candidat 2 : n°", "Candidate 2: no."),
    "candidate_2_name": _L("Candidat 2", "Candidate 2"),
    "candidate_2_score": _L("Candidat 2 : score", "Candidate 2: score", "score"),
    "candidate_3_id": _L("Candidat 3 : n°", "Candidate 3: no."),
    "candidate_3_name": _L("Candidat 3", "Candidate 3"),
    "candidate_3_score": _L("Candidat 3 : score", "Candidate 3: score", "score"),
    "score": _L("Score de correspondance", "Match score", "score"),
    # Status and stages
    "stage": _L("Étape", "Stage"),
    "stage_detail": _L("Étape (CRM)", "Stage (CRM)"),
    "status": _L("Statut", "Status"),
    "note": _L("Remarque", "Note"),
    "last_job_status": _L("Statut du dernier poste", "Last job's status"),
    "last_event": _L("Dernier événement", "Last event"),
    "lost_reason": _L("Motif de perte", "Lost reason"),
    "reason": _L("Motif", "Reason", "prose"),
    "why": _L("Pourquoi", "Why", "prose"),
    "is_returning": _L("Client récurrent", "Returning client", "flag"),
    "is_peak": _L("Mois le plus fort", "Peak month", "flag"),
    "is_trough": _L("Mois le plus faible", "Trough month", "flag"),
    "is_best": _L("Meilleur groupe", "Best group", "flag"),
    "significant": _L("Différence réelle", "Real difference", "flag"),
    "had_broken_guarantee": _L("Garantie rompue", "Broken guarantee", "flag"),
    "had_long_unfilled_job": _L("Poste longtemps non pourvu", "Long-unfilled job", "flag"),
    "had_lost_job": _L("Poste perdu", "Lost job", "flag"),
    "complete": _L("Période complète", "Complete period", "flag"),
    "exports_start": _L("Début des exports", "Exports start", "flag"),
    # Dates and periods
    "month": _L("Mois", "Month", "month"),
    "period": _L("Période", "Period", "month"),
    "year": _L("Année", "Year", "year"),
    "churn_year": _L("Année de départ", "Churn year", "year"),
    "month_of_year": _L("Mois n°", "Month no.", "year"),
    "month_name": _L("Mois", "Month"),
    "opened_at": _L("Ouvert le", "Opened on", "date"),
    "closed_at": _L("Clos le", "Closed on", "date"),
    "created_at": _L("Créée le", "Created on", "date"),
    "updated_at": _L("Mise à jour le", "Updated on", "date"),
    "expected_close_at": _L("Clôture prévue le", "Expected close on", "date"),
    "invoiced_at": _L("Facturé le", "Invoiced on", "date"),
    "won_at": _L("Gagnée le", "Won on", "date"),
    "first_job_at": _L("Premier poste le", "First job on", "date"),
    "last_job_at": _L("Dernier poste le", "Last job on", "date"),
    "last_event_at": _L("Dernier événement le", "Last event on", "date"),
    "split_date": _L("Date de coupure", "Split date", "date"),
    # Money
    "amount": _L("Montant", "Amount", "money"),
    "avg_basket": _L("Panier moyen", "Average basket", "money"),
    "avg_deal_size": _L("Affaire moyenne", "Average deal size", "money"),
    "avg_fee": _L("Honoraires moyens", "Average fee", "money"),
    "difference": _L("Écart", "Difference", "money"),
    "effort_cost": _L("Coût de l'effort", "Effort cost", "money"),
    "expected_fee_per_job": _L("Honoraires attendus par poste", "Expected fee per job", "money"),
    "fee": _L("Honoraires", "Fee", "money"),
    "fee_eur": _L("Honoraires", "Fee", "money"),
    "booked": _L("Honoraires placés", "Fees booked", "money"),
    "mean_amount": _L("Montant moyen", "Average amount", "money"),
    "mean_clv": _L("Valeur vie client moyenne", "Average lifetime value", "money"),
    "median_clv": _L("Valeur vie client médiane", "Median lifetime value", "money"),
    "clv": _L("Valeur vie client", "Lifetime value", "money"),
    "mean_turnover": _L("Chiffre d'affaires moyen", "Average turnover", "money"),
    "net_profit": _L("Bénéfice net", "Net profit", "money"),
    "objective_eur": _L("Objectif", "Objective", "money"),
    "open_amount": _L("Montant en cours", "Open amount", "money"),
    "refunds": _L("Remboursements", "Refunds", "money"),
    "revenue": _L("Chiffre d'affaires", "Revenue", "money"),
    "turnover": _L("Chiffre d'affaires", "Turnover", "money"),
    "turnover_from_returning_clients": _L("CA des clients récurrents", "Turnover from returning clients",
                                          "money"),
    "turnover_per_client": _L("CA par client", "Turnover per client", "money"),
    "weighted_amount": _L("Montant pondéré", "Weighted amount", "money"),
    "won_amount": _L("Montant gagné", "Won amount", "money"),
    "margin": _L("Marge", "Margin", "money"),
    "loyal": _L("Fidèles", "Loyal", "money"),
    "broken": _L("Relation rompue", "Broken relationship", "money"),
    "avg_salary_k": _L("Salaire moyen (k€)", "Average salary (k€)", "number"),
    "mean_avg_salary_k": _L("Salaire moyen (k€)", "Average salary (k€)", "number"),
    # Counts
    "active_clients": _L("Clients actifs", "Active clients", "count"),
    "active_prev_year": _L("Actifs l'année d'avant", "Active the year before", "count"),
    "candidates": _L("Candidats", "Candidates", "count"),
    "churned": _L("Clients partis", "Churned clients", "count"),
    "churned_clients": _L("Clients partis", "Churned clients", "count"),
    "clients": _L("Clients", "Clients", "count"),
    "clients_more_than_one_job": _L("Clients à plusieurs postes", "Clients with more than one job", "count"),
    "clients_with_incident": _L("Clients avec incident", "Clients with an incident", "count"),
    "clients_with_jobs": _L("Clients avec un poste", "Clients with a job", "count"),
    "count": _L("Nombre", "Number", "count"),
    "deals": _L("Affaires", "Deals", "count"),
    "deals_with_probability": _L("Affaires avec probabilité", "Deals with a probability", "count"),
    "deals_without_amount": _L("Affaires sans montant", "Deals without amount", "count"),
    "early_mers": _L("MER (avant)", "MERs (before)", "count"),
    "early_placements": _L("Placements (avant)", "Placements (before)", "count"),
    "events": _L("Événements", "Events", "count"),
    "filled_jobs": _L("Postes pourvus", "Filled jobs", "count"),
    "decided_jobs": _L("Postes tranchés", "Decided jobs", "count"),
    "issues": _L("Anomalies", "Issues", "count"),
    "jobs": _L("Postes", "Jobs", "count"),
    "jobs_filled": _L("Postes pourvus", "Jobs filled", "count"),
    "jobs_opened": _L("Postes ouverts", "Jobs opened", "count"),
    "jobs_without_deal": _L("Postes sans affaire", "Jobs without deal", "count"),
    "late_mers": _L("MER (après)", "MERs (after)", "count"),
    "late_placements": _L("Placements (après)", "Placements (after)", "count"),
    "lost": _L("Perdues", "Lost", "count"),
    "mers": _L("MER", "MERs", "count"),
    "offers": _L("Offres", "Offers", "count"),
    "open": _L("En cours", "Open", "count"),
    "pitches": _L("Présentations", "Pitches", "count"),
    "placements": _L("Placements", "Placements", "count"),
    "rank": _L("Rang", "Rank", "count"),
    "performance_rank": _L("Rang de performance", "Performance rank", "count"),
    "mean_rank": _L("Rang moyen", "Mean rank", "number"),
    "returning_clients": _L("Clients récurrents", "Returning clients", "count"),
    "row_number": _L("Ligne", "Line", "count"),
    "rows": _L("Lignes", "Rows", "count"),
    "rows_clean": _L("Lignes propres", "Clean rows", "count"),
    "rows_in": _L("Lignes lues", "Rows read", "count"),
    "rows_merged": _L("Lignes fusionnées", "Rows merged", "count"),
    "rows_quarantined": _L("Lignes écartées", "Rows quarantined", "count"),
    "won": _L("Gagnées", "Won", "count"),
    "won_deals": _L("Affaires gagnées", "Won deals", "count"),
    "years_active": _L("Années d'activité", "Years active", "count"),
    "new_clients": _L("Nouveaux clients", "New clients", "count"),
    "previous_new_clients": _L("Nouveaux clients (période d'avant)", "New clients (previous period)",
                               "count"),
    "auto": _L("Liens automatiques", "Automatic links", "count"),
    "review": _L("Liens revus", "Reviewed links", "count"),
    "override": _L("Liens imposés", "Overridden links", "count"),
    "none": _L("Sans lien", "Not linked", "count"),
    "clean": _L("Lignes propres", "Clean rows", "count"),
    "duplicates": _L("Doublons", "Duplicates", "count"),
    "quarantined": _L("Lignes écartées", "Rows quarantined", "count"),
    # Rates and shares (fractions)
    "ci_high": _L("Intervalle : haut", "Range: high", "percent"),
    "ci_low": _L("Intervalle : bas", "Range: low", "percent"),
    "churn_rate": _L("Taux de départ", "Churn rate", "percent"),
    "conversion_from_previous": _L("Conversion depuis l'étape d'avant", "Conversion from previous stage",
                                   "percent"),
    "cumulative_share": _L("Part cumulée", "Cumulative share", "percent"),
    "deal_coverage": _L("Affaires liées", "Deals linked", "percent"),
    "deals_without_amount_share": _L("Part d'affaires sans montant", "Share of deals without amount",
                                     "percent"),
    "difference_share": _L("Écart relatif", "Relative difference", "percent"),
    "early_rate": _L("Taux MER → placement (avant)", "MER → placement rate (before)", "percent"),
    "early_share_of_mers": _L("Part des MER (avant)", "Share of MERs (before)", "percent"),
    "fill_probability": _L("Chance de pourvoir", "Chance to fill", "percent"),
    "fill_rate": _L("Taux de remplissage", "Fill rate", "percent"),
    "fill_rate_ci_low": _L("Taux de remplissage : bas de l'intervalle", "Fill rate: range low", "percent"),
    "fill_rate_ci_high": _L("Taux de remplissage : haut de l'intervalle", "Fill rate: range high", "percent"),
    "jobs_without_deal_share": _L("Part de postes sans affaire", "Share of jobs without deal", "percent"),
    "late_rate": _L("Taux MER → placement (après)", "MER → placement rate (after)", "percent"),
    "late_share_of_mers": _L("Part des MER (après)", "Share of MERs (after)", "percent"),
    "mean_avg_fee_rate": _L("Taux d'honoraires moyen", "Average fee rate", "percent"),
    "avg_fee_rate": _L("Taux d'honoraires moyen", "Average fee rate", "percent"),
    "mean_senior_share": _L("Part de postes seniors", "Share of senior jobs", "percent"),
    "senior_share": _L("Part de postes seniors", "Share of senior jobs", "percent"),
    "mer_to_offer": _L("MER → offre", "MER → offer", "percent"),
    "mer_to_placement": _L("MER → placement", "MER → placement", "percent"),
    "mer_to_placement_rate": _L("Taux MER → placement", "MER → placement rate", "percent"),
    "offer_to_placement": _L("Offre → placement", "Offer → placement", "percent"),
    "pitch_to_mer": _L("Présentation → MER", "Pitch → MER", "percent"),
    "pitch_to_mer_rate": _L("Taux présentation → MER", "Pitch → MER rate", "percent"),
    "revenue_share": _L("Part du CA", "Share of turnover", "percent"),
    "share": _L("Part", "Share", "percent"),
    "share_clients_more_than_one_job": _L("Part de clients à plusieurs postes",
                                          "Share of clients with more than one job", "percent"),
    "share_of_jobs": _L("Part des postes", "Share of jobs", "percent"),
    "share_revenue_from_returning_clients": _L("Part du CA des clients récurrents",
                                               "Share of turnover from returning clients", "percent"),
    "win_rate": _L("Taux de succès", "Win rate", "percent"),
    "new": _L("Nouveaux postes", "New jobs", "percent"),
    "repeat": _L("Postes récurrents", "Repeat jobs", "percent"),
    "silence_ratio": _L("Silence / rythme habituel", "Silence / usual gap", "ratio"),
    "rate_change": _L("Évolution du taux", "Rate change", "points"),
    # Durations
    "closing_days_median": _L("Délai médian de clôture", "Median days to close", "days"),
    "cycle_days_median": _L("Cycle de vente médian", "Median sales cycle", "days"),
    "days_overdue": _L("Jours de retard", "Days overdue", "days"),
    "days_silent": _L("Jours sans nouvelles", "Days silent", "days"),
    "days_since_last_job": _L("Jours depuis le dernier poste", "Days since last job", "days"),
    "days_since_update": _L("Jours depuis la mise à jour", "Days since update", "days"),
    "mean_days": _L("Délai moyen", "Average days", "days"),
    "median_days": _L("Délai médian", "Median days", "days"),
    "median_days_since_last_job": _L("Jours depuis le dernier poste (médiane)",
                                     "Median days since last job", "days"),
    "median_days_to_fill": _L("Délai médian pour pourvoir", "Median days to fill", "days"),
    "median_gap_days": _L("Écart habituel entre postes", "Usual gap between jobs", "days"),
    "median_tenure_days": _L("Ancienneté médiane", "Median tenure", "days"),
    "tenure_days": _L("Ancienneté", "Tenure", "days"),
    "p25": _L("1er quartile", "1st quartile", "days"),
    "p75": _L("3e quartile", "3rd quartile", "days"),
    "p25_days": _L("1er quartile", "1st quartile", "days"),
    "p75_days": _L("3e quartile", "3rd quartile", "days"),
    "bucket": _L("Tranche", "Range"),
    "bucket_start_days": _L("Début de tranche", "Range start", "days"),
    "effort_hours": _L("Heures d'effort", "Effort hours", "hours"),
    "activity_hours": _L("Heures d'activité", "Activity hours", "hours"),
    "effort_hours_per_job": _L("Heures d'effort par poste", "Effort hours per job", "hours"),
    "mean_effort_hours_per_job": _L("Heures d'effort par poste", "Effort hours per job", "hours"),
    # Other numbers
    "candidates_per_job": _L("Candidats par poste", "Candidates per job", "number"),
    "median_candidates_per_job": _L("Candidats par poste (médiane)", "Median candidates per job", "number"),
    "jobs_needed": _L("Postes nécessaires", "Jobs needed", "number"),
    "mean_employees": _L("Effectif moyen", "Average employees", "count"),
    "mean_jobs": _L("Postes par client", "Jobs per client", "number"),
    "mean_jobs_opened": _L("Postes ouverts par client", "Jobs opened per client", "number"),
    "mean_pitches_per_job": _L("Présentations par poste", "Pitches per job", "number"),
    "pitches_per_job": _L("Présentations par poste", "Pitches per job", "number"),
    "mean_years_active": _L("Années d'activité (moyenne)", "Average years active", "number"),
    "index": _L("Indice saisonnier", "Seasonal index", "ratio"),
    "mean_value": _L("Moyenne mensuelle", "Monthly average", "number"),
    "effort_score": _L("Score d'effort", "Effort score", "score"),
    "return_score": _L("Score de retour", "Return score", "score"),
    "waste_score": _L("Score de temps perdu", "Time-waste score", "score"),
    "pc1": _L("Axe 1", "Axis 1", "score"),
    "pc2": _L("Axe 2", "Axis 2", "score"),
    "before_review": _L("Avant revue", "Before review", "percent"),
    "after_review": _L("Après revue", "After review", "percent"),
    "total": _L("Total", "Total", "number"),
    # Several-meaning columns: their rows say what they hold
    "measure": _L("Mesure", "Measure"),
    "label": _L("Mesure", "Measure"),
    "unit": _L("Unité", "Unit"),
    "value": _L("Valeur", "Value", "number"),
    "previous": _L("Période d'avant", "Previous period", "number"),
    "change": _L("Évolution", "Change", "percent"),
    "factor": _L("Facteur", "Factor"),
    "feature": _L("Caractéristique", "Attribute"),
    "test": _L("Test statistique", "Statistical test"),
    "p_value": _L("Valeur p", "p-value", "ratio"),
    # Data quality
    "action": _L("Action", "Action"),
    "file": _L("Fichier", "File"),
    "source": _L("Source", "Source"),
    "table_name": _L("Table", "Table"),
    "rule": _L("Règle", "Rule"),
    "raw": _L("Ligne d'origine", "Original line"),
    "step": _L("Étape n°", "Step no.", "count"),
    "role": _L("Rôle", "Role"),
    "deals_before": _L("Affaires avant", "Deals before", "count"),
    "deals_after": _L("Affaires après", "Deals after", "count"),
    "won_amount_before": _L("Montant gagné avant", "Won amount before", "money"),
    "won_amount_after": _L("Montant gagné après", "Won amount after", "money"),
    "won_amount_change": _L("Évolution du montant gagné", "Won amount change", "percent"),
    "win_rate_before": _L("Taux de succès avant", "Win rate before", "percent"),
    "win_rate_after": _L("Taux de succès après", "Win rate after", "percent"),
}

# Report sections and scalar keys of `report --json` (`core.report.REPORT_KEYS` and their fields).
LABELS |= {
    "churn_rate_by_year": _L("Taux de départ par année", "Churn rate by year", "percent"),
    "crm": _L("CRM", "CRM"),
    "data_quality": _L("Qualité des données", "Data quality"),
    "forecast": _L("Prévision", "Forecast"),
    "funnel": _L("Entonnoir", "Funnel"),
    "index_by_month": _L("Indice par mois", "Index by month", "ratio"),
    "jobs_needed_per_month": _L("Postes nécessaires par mois", "Jobs needed per month"),
    "links": _L("Liens", "Links"),
    "mer_to_placement_by_year": _L("MER → placement par année", "MER → placement by year", "percent"),
    "model": _L("Modèle", "Model"),
    "peak_month": _L("Mois le plus fort", "Peak month", "year"),
    "pitch_to_mer_by_sales": _L("Présentation → MER par commercial", "Pitch → MER by salesperson",
                                "percent"),
    "pitch_to_mer_by_team": _L("Présentation → MER par équipe", "Pitch → MER by team", "percent"),
    "revenue_by_month": _L("Chiffre d'affaires par mois", "Revenue by month", "money"),
    "revenue_peak_month": _L("Mois le plus fort (CA)", "Peak month (revenue)", "year"),
    "seasonality": _L("Saisonnalité", "Seasonality"),
    "segments": _L("Segments", "Segments"),
    "time_wasters": _L("Clients chronophages", "Time wasters"),
    "top_accounts": _L("Meilleurs comptes", "Top accounts"),
    "trough_month": _L("Mois le plus faible", "Trough month", "year"),
    "win_rate_by_owner": _L("Taux de succès par commercial", "Win rate by salesperson", "percent"),
    "win_rate_by_team": _L("Taux de succès par équipe", "Win rate by team", "percent"),
    "won_amount_by_month": _L("Montant gagné par mois", "Won amount by month", "money"),
    "top": _L("Top", "Top"),
    "large": _L("Grands", "Large"),
    "medium": _L("Moyens", "Medium"),
    "other": _L("Autres", "Other"),
}

# Values that are names of things (funnel stages, job kinds, factors) in the same business words.
VALUES: dict[str, Label] = {
    "qualification": _L("Qualification", "Qualification"),
    "(unknown)": _L("Étape inconnue", "Unknown stage"),
    "pitch": _L("Présentation", "Pitch"),
    "mer": _L("MER", "MER"),
    "offer": _L("Offre", "Offer"),
    "placement": _L("Placement", "Placement"),
    "new": _L("Nouveau", "New"),
    "repeat": _L("Récurrent", "Repeat"),
    "top": _L("Top", "Top"),
    "large": _L("Grand", "Large"),
    "medium": _L("Moyen", "Medium"),
    "other": _L("Autre", "Other"),
    "none": _L("Sans segment", "No segment"),
    "overall": _L("Ensemble", "Overall"),
    "all": _L("Tous", "All"),
    "client_segment": _L("Segment du client", "Client segment"),
    "coach": _L("Coach", "Coach"),
    "salesperson": _L("Commercial", "Salesperson"),
    "seniority": _L("Séniorité", "Seniority"),
    "time_to_first_pitch": _L("Délai avant la 1re présentation", "Time to first pitch"),
    "time waster": _L("Chronophage", "Time waster"),
    "key account": _L("Compte clé", "Key account"),
    "efficient": _L("Efficace", "Efficient"),
    "low stakes": _L("Petit enjeu", "Low stakes"),
    "broken guarantee": _L("Garantie rompue", "Broken guarantee"),
    "lost job": _L("Poste perdu", "Lost job"),
    "long unfilled job": _L("Poste longtemps non pourvu", "Long unfilled job"),
    "no incident": _L("Aucun incident", "No incident"),
    "loyal": _L("Fidèle", "Loyal"),
    "broken": _L("Rompue", "Broken"),
    "filled": _L("Pourvu", "Filled"),
    "lost": _L("Perdu", "Lost"),
    "cancelled": _L("Annulé", "Cancelled"),
    "open": _L("Ouvert", "Open"),
    "won": _L("Gagné", "Won"),
    "complete": _L("Complet", "Complete"),
    "not all invoiced": _L("Pas tout facturé", "Not all invoiced"),
    "running": _L("En cours", "Running"),
}


def describe(column: str) -> Label:
    """The label of `column`; a column not in the dictionary reads as its name in words."""
    found = LABELS.get(column)
    if found is not None:
        return found
    words = str(column).replace("_", " ").strip()
    words = words[:1].upper() + words[1:]
    return Label(words, words)


def label(column: str, locale: Locale) -> str:
    """`column` in business words: `fill_rate` → `Taux de remplissage` / `Fill rate`."""
    return describe(column).text(locale)


def header(column: str, locale: Locale) -> str:
    """A column heading with its unit: `turnover` → `Chiffre d'affaires (€)` / `Turnover (€)`."""
    found = describe(column)
    unit = found.unit(locale)
    return f"{found.text(locale)} ({unit})" if unit else found.text(locale)


def value_label(value: object, locale: Locale) -> str:
    """A coded value (stage, job kind, segment, factor) in business words; other values unchanged."""
    found = VALUES.get(value) if isinstance(value, str) else None
    return found.text(locale) if found else str(value)
