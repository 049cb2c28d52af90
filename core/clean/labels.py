"""Label tables: the spellings real exports use for stages, statuses and roles, and their canonical value.

Keys are normalised (`core.io.text.normalise_name`: case, accents, punctuation and spacing
ignored) and then written without spaces (`label_key`), so `Closed Won `, `closed-won`,
`CLOSED WON` and HubSpot's internal `closedwon` are one entry.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.io.text import normalise_name


def label_key(label: str | None) -> str:
    """A label as looked up: normalised, without spaces (SQL twin: the `cv_key` macro)."""
    return normalise_name(label).replace(" ", "")

# CRM deal stage label -> (canonical stage, open sub-stage).
DEAL_STAGES: dict[str, tuple[str, str | None]] = {}
_OPEN_DETAIL = {
    "qualification": ["qualification", "qualified", "qualifie", "qualifiee", "qualified to buy", "appointment scheduled",
                      "lead in", "contact made", "prospect", "prospection", "new", "nouveau", "lead", "a qualifier",
                      "rendez vous planifie", "rdv planifie", "discovery", "decouverte",
                      # Salesforce and Zoho default opportunity stages
                      "prospecting", "needs analysis"],
    "pitch": ["pitch", "presentation", "presentation scheduled", "demo scheduled", "presentation planifiee",
              "pitched", "candidats presentes", "shortlist"],
    "mer": ["mer", "mise en relation", "decision maker bought in", "entretien client", "interview",
            "entretiens", "meeting"],
    "offer": ["offer", "offre", "proposal", "proposition", "proposal made", "contract sent", "contrat envoye",
              "negotiation", "negociation", "negotiations started", "en negociation",
              "proposal price quote", "negotiation review"],
    "other": ["open", "ouvert", "ouverte", "en cours", "in progress", "active", "actif",
              "value proposition", "id decision makers", "identify decision makers", "perception analysis"],
}
for _detail, _labels in _OPEN_DETAIL.items():
    for _label in _labels:
        DEAL_STAGES[label_key(_label)] = ("open", _detail)
for _label in ["won", "closed won", "closedwon", "gagne", "gagnee", "ferme gagne", "ferme gagnee",
               "conclu", "conclue", "signed", "signe", "signee", "deal won", "win"]:
    DEAL_STAGES[label_key(_label)] = ("won", None)
for _label in ["lost", "closed lost", "closedlost", "perdu", "perdue", "ferme perdu", "ferme perdue",
               "abandonne", "abandonnee", "deal lost", "loss", "sans suite", "closed lost to competition"]:
    DEAL_STAGES[label_key(_label)] = ("lost", None)

JOB_STATUSES: dict[str, str] = {}
for _canon, _labels in {
    "open": ["open", "opened", "ouvert", "ouverte", "en cours", "active", "actif", "in progress", "a pourvoir"],
    "filled": ["filled", "pourvu", "pourvue", "placed", "place", "placee", "won", "gagne", "closed won", "hired"],
    "lost": ["lost", "perdu", "perdue", "closed lost", "echec"],
    "cancelled": ["cancelled", "canceled", "annule", "annulee", "abandonne", "abandonnee", "on hold cancelled"],
}.items():
    for _label in _labels:
        JOB_STATUSES[label_key(_label)] = _canon

STAFF_ROLES: dict[str, str] = {}
for _canon, _labels in {
    "sales": ["sales", "commercial", "commerciale", "business developer", "business developper", "bizdev",
              "biz dev", "account manager", "sales manager", "ingenieur commercial", "ingenieure commerciale",
              "business manager", "developpeur commercial", "sales rep"],
    "coach": ["coach", "recruiter", "recruteur", "recruteuse", "consultant", "consultante",
              "charge de recrutement", "chargee de recrutement", "talent acquisition", "recruitment consultant",
              "sourceur", "sourceuse"],
}.items():
    for _label in _labels:
        STAFF_ROLES[label_key(_label)] = _canon

EVENT_STAGES: dict[str, str] = {}
for _canon, _labels in {
    "pitch": ["pitch", "presentation", "presente", "pitched", "candidat presente", "envoi cv", "cv envoye"],
    "mer": ["mer", "mise en relation", "entretien client", "rencontre client", "interview", "client interview",
            "meeting"],
    "offer": ["offer", "offre", "proposition", "offre envoyee", "job offer"],
    "placement": ["placement", "placed", "place", "placee", "hired", "embauche", "embauchee", "recrute"],
}.items():
    for _label in _labels:
        EVENT_STAGES[label_key(_label)] = _canon

BOOLEANS: dict[str, bool] = {label_key(k): v for k, v in {
    "oui": True, "yes": True, "true": True, "vrai": True, "1": True, "y": True, "o": True, "x": True,
    "non": False, "no": False, "false": False, "faux": False, "0": False, "n": False,
}.items()}


def deal_stage_table(extra: dict[str, str] | None = None) -> pd.DataFrame:
    """The deal stage table as rows (label_norm, stage, stage_detail), the mapping file's labels first.

    Args:
        extra: the mapping file's `stages` section (label -> open|won|lost|leave out or an open
            sub-stage); `leave out` deals are kept out of the clean table (excluded.stage_left_out).
    """
    table = dict(DEAL_STAGES)
    for label, value in (extra or {}).items():
        value = value.strip().lower()
        table[label_key(label)] = (value, None) if value in ("open", "won", "lost", "leave out") else ("open", value)
    return pd.DataFrame([(k, v[0], v[1]) for k, v in sorted(table.items())],
                        columns=["label_norm", "stage", "stage_detail"])


def register_labels(con: duckdb.DuckDBPyConnection, stages: dict[str, str] | None = None) -> None:
    """Create the label tables as temp tables (`lbl_deal_stage`, `lbl_job_status`, …) for set-based joins."""
    frames = {
        "lbl_deal_stage": deal_stage_table(stages),
        "lbl_job_status": pd.DataFrame(sorted(JOB_STATUSES.items()), columns=["label_norm", "value"]),
        "lbl_staff_role": pd.DataFrame(sorted(STAFF_ROLES.items()), columns=["label_norm", "value"]),
        "lbl_event_stage": pd.DataFrame(sorted(EVENT_STAGES.items()), columns=["label_norm", "value"]),
        "lbl_bool": pd.DataFrame(sorted(BOOLEANS.items()), columns=["label_norm", "value"]),
    }
    for name, frame in frames.items():
        con.register("_lbl", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _lbl")
        con.unregister("_lbl")
