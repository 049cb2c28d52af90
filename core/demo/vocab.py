"""Fixed vocabulary of the demo world: staff, job families, labels, name parts.

Every name here is invented; the people are placeholders, not real persons.
"""

from __future__ import annotations

from datetime import date

FIRST_JOB_DAY = date(2022, 1, 3)
LAST_JOB_DAY = date(2026, 10, 30)
AS_OF = date(2026, 10, 31)

# staff_id, name, role, team, start, end, hourly cost €, planted pitch->MER rate (sales only).
STAFF: tuple[tuple[str, str, str, str, str, str | None, float, float | None], ...] = (
    ("S01", "Jean Dupont", "sales", "Paris Tech", "2018-03-05", None, 72.0, 0.55),
    ("S02", "Claire Moreau", "sales", "Paris Tech", "2019-09-02", None, 64.0, 0.42),
    ("S03", "Thomas Bernard", "sales", "Paris Business", "2017-01-09", None, 68.0, 0.34),
    ("S04", "Sophie Laurent", "sales", "Paris Business", "2020-02-03", None, 61.5, 0.50),
    ("S05", "Nicolas Girard", "sales", "Lyon", "2019-05-13", None, 58.0, 0.25),
    ("S06", "Julie Roux", "sales", "Lyon", "2018-11-05", "2024-06-28", 60.0, 0.46),
    ("S07", "Antoine Fournier", "sales", "Lyon", "2024-07-01", None, 55.0, 0.38),
    ("S08", "Emma Lefèvre", "sales", "Lille", "2021-04-06", None, 57.5, 0.30),
    ("C01", "Hélène Chevalier", "coach", "Paris Tech", "2019-01-07", None, 44.0, None),
    ("C02", "Lucas Mercier", "coach", "Paris Tech", "2021-06-01", None, 41.0, None),
    ("C03", "Inès Garnier", "coach", "Paris Business", "2020-10-05", None, 42.5, None),
    ("C04", "Hugo Lambert", "coach", "Lyon", "2019-03-11", None, 40.0, None),
    ("C05", "Chloé Faure", "coach", "Lille", "2021-02-15", None, 39.0, None),
    ("C06", "Maxime Rousseau", "coach", "Lille", "2022-09-05", None, 38.5, None),
)
# The Lyon salesperson who left is replaced on her accounts by the one who arrived.
SUCCESSOR = {"S06": "S07"}

# job_type -> (base salary k€ at mid level, median days to fill, titles)
JOB_TYPES: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "Developer": (52.0, 62.0, ("Backend Developer", "Full-Stack Developer", "Développeur Java",
                               "Frontend Engineer", "DevOps Engineer", "Mobile Developer")),
    "Data": (56.0, 70.0, ("Data Engineer", "Data Scientist", "Data Analyst", "BI Developer", "ML Engineer")),
    "Sales": (46.0, 40.0, ("Account Executive", "Business Developer", "Key Account Manager",
                           "Ingénieur commercial", "Sales Manager")),
    "Finance": (50.0, 48.0, ("Contrôleur de gestion", "Financial Analyst", "Comptable", "Credit Analyst",
                             "Treasury Manager")),
    "Marketing": (45.0, 45.0, ("Product Marketing Manager", "Growth Marketer", "Chef de projet marketing",
                               "SEO Manager", "Brand Manager")),
    "Ops": (43.0, 38.0, ("Supply Chain Manager", "Operations Manager", "Office Manager", "Acheteur",
                         "Logistics Coordinator")),
    "HR": (44.0, 42.0, ("HR Business Partner", "Talent Acquisition Specialist", "Responsable paie")),
}
JOB_TYPE_SHARE = (0.27, 0.18, 0.16, 0.12, 0.10, 0.10, 0.07)

SENIORITIES = ("junior", "mid", "senior", "executive")
SENIORITY_SHARE = (0.22, 0.40, 0.30, 0.08)
SENIORITY_SALARY = (0.72, 1.0, 1.32, 1.9)
SENIORITY_PREFIX = ("Junior ", "", "Senior ", "Lead ")

FEE_RATES = (0.15, 0.18, 0.20, 0.22, 0.25)

# Month-of-year weight of job openings: peak in March, trough in August.
MONTH_WEIGHT = (1.00, 1.12, 1.42, 1.18, 1.02, 0.96, 0.78, 0.45, 1.05, 1.10, 1.00, 0.72)

SECTORS = ("Tech", "Finance", "Retail", "Industry", "Health", "Services")
SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "Tech": ("Software", "Digital", "Systems", "Analytics", "Numérique"),
    "Finance": ("Finance", "Capital", "Assurances", "Gestion", "Patrimoine"),
    "Retail": ("Distribution", "Retail", "Commerce", "Boutiques", "Marchés"),
    "Industry": ("Industries", "Mécanique", "Énergie", "Matériaux", "Aéro"),
    "Health": ("Santé", "Pharma", "Médical", "Biotech", "Cliniques"),
    "Services": ("Conseil", "Services", "Logistique", "Transports", "Hôtellerie"),
}
CITIES = ("Paris", "Lyon", "Lille", "Marseille", "Bordeaux", "Nantes", "Toulouse", "Rennes", "Strasbourg")
CITY_SHARE = (0.38, 0.16, 0.12, 0.07, 0.07, 0.06, 0.06, 0.04, 0.04)

# Syllables of invented brand names ("Norvel", "Brisaro"...).
SYLLABLES = ("ar", "bel", "cor", "da", "el", "fen", "gal", "hor", "is", "jor", "kal", "lum", "mar", "nor",
             "ol", "pra", "quin", "ros", "sil", "tor", "ul", "val", "wen", "xan", "yl", "zer", "bri", "cla",
             "dre", "fla", "gri", "plo", "stra", "tri", "vel", "vi", "no", "ra", "sa", "ta", "lo", "mi",
             "ken", "dor", "fi", "gue", "ly", "mon", "pe", "rin", "sto", "tal", "ver", "zo")

# Look-alike pairs that are different companies: (name A, name B); later pairs reuse a brand.
LOOKALIKE_FIXED = (("Acme Labs", "Acme Ltd"), ("Banque Orvel de l'Ouest", "Banque Orvel de l'Est"))
LOOKALIKE_WORDS = (("Data", "Media"), ("Nord", "Sud"), ("Conseil", "Capital"), ("Santé", "Sports"))

LEGAL_SUFFIXES = ("SAS", "SA", "SARL", "Inc.", "Ltd", "Group", "Technologies", "S.A.S.")

CANDIDATE_SOURCES = ("LinkedIn", "Jobboard", "Cooptation", "Site carrières", "Approche directe", "Salon")
CANDIDATE_SOURCE_SHARE = (0.38, 0.22, 0.10, 0.12, 0.15, 0.03)

ACTIVITY_TYPES = ("call", "email", "meeting")
ACTIVITY_TYPE_SHARE = (0.50, 0.32, 0.18)
ACTIVITY_MINUTES = ((5, 45), (5, 20), (30, 120))

# CRM stage labels as written -> canonical stage. Open labels are ordered by how far the job went.
STAGE_WON = ("Closed Won", "closedwon", "Gagné", "gagné", "Closed Won ")
STAGE_WON_SHARE = (0.50, 0.22, 0.16, 0.07, 0.05)
STAGE_LOST = ("Closed Lost", "closedlost", "Perdu", "perdu")
STAGE_LOST_SHARE = (0.50, 0.25, 0.18, 0.07)
# Open labels by job progress: nothing yet, pitched, MER, offer.
STAGE_OPEN_BY_STEP = (
    (("appointmentscheduled", "Appointment Scheduled", "qualifiedtobuy", "Qualified To Buy", "Qualifié"),
     (0.25, 0.25, 0.2, 0.15, 0.15)),
    (("presentationscheduled", "Presentation Scheduled"), (0.5, 0.5)),
    (("decisionmakerboughtin", "Decision Maker Bought-In"), (0.5, 0.5)),
    (("contractsent", "Contract Sent"), (0.6, 0.4)),
)
STEP_PROBABILITY = (0.2, 0.4, 0.6, 0.8)
# Labels the cleaner's table must not know (planted as invalid.unknown_stage).
UNKNOWN_STAGES = ("zz_archive_2023", "Stage 7 (old pipeline)", "A relancer ???")

LOST_REASONS = ("Budget gelé", "Client recruited internally", "Fee too high", "No response from client",
                "Poste annulé", "Competitor agency", "Candidat refusé")

JOB_STATUS_VARIANTS = {"filled": ("Pourvu", "Filled", "placed"), "open": ("Ouvert", "Open"),
                       "lost": ("perdu", "Perdu", "Lost"), "cancelled": ("annulé", "Annulé", "Cancelled")}
EVENT_STAGE_VARIANTS = {"pitch": ("Pitch", "présentation"), "mer": ("Mise en relation", "MER "),
                        "offer": ("Offre",), "placement": ("placed", "Placement")}
UNKNOWN_EVENT_STAGES = ("brouillon", "relance ???", "xx")
STAFF_ROLE_VARIANTS = {"sales": ("Business Developer", "commercial", "Sales"),
                       "coach": ("chargé de recrutement", "Recruiter", "consultant")}
