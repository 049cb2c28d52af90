"""Every column a metric returns has business words; tables and CSV files read them."""

from __future__ import annotations

import inspect
import io

import pandas as pd
import pytest

from core.answers import answer, strength
from core.filters import Filters
from core.labels import LABELS, describe, header, label
from core.metrics.glossary import functions
from core.report import build_report
from core.tables import display_frame, locale_csv_bytes

# Keys of `report --json` whose children are named by data (years, months, people, files).
DATA_KEYED = ("_by_year", "_by_month", "_by_sales", "_by_team", "_by_owner", "data_quality")


# Functions of core/metrics that write the warehouse during a build rather than read it.
BUILD_STEPS = {"create_derived_tables"}


def _metric_functions() -> list:
    """Every public function of core/metrics/* that reads the warehouse, and those of the glossary."""
    import importlib
    import pkgutil

    import core.metrics

    found = {fn for _, fn in functions()}
    for info in pkgutil.iter_modules(core.metrics.__path__):
        module = importlib.import_module(f"core.metrics.{info.name}")
        found |= {fn for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if fn.__module__ == module.__name__ and not name.startswith("_")}
    return sorted(found, key=lambda fn: (fn.__module__, fn.__name__))


def _frames(con) -> list[tuple[str, pd.DataFrame]]:
    client_id = con.execute("SELECT MIN(client_id) FROM clients").fetchone()[0]
    given = {"client_id": client_id, "objective_eur": 100_000.0}
    out: list[tuple[str, pd.DataFrame]] = []
    for fn in _metric_functions():
        params = inspect.signature(fn).parameters
        names = list(params)
        if names[:1] != ["con"] or fn.__name__ in BUILD_STEPS:
            continue  # helpers on values (wilson_interval, SQL builders) or build steps, not analyses
        args = [con, Filters()] if names[1:2] in (["f"], ["filters"]) else [con]
        rest = [n for n in names[len(args):] if params[n].default is inspect.Parameter.empty]
        if any(n not in given for n in rest):
            continue  # needs a value only a caller has (a locale, a SQL fragment)
        result = fn(*args, **{n: given[n] for n in names if n in given})
        if isinstance(result, dict):
            out += [(f"{fn.__name__}.{k}", v) for k, v in result.items() if isinstance(v, pd.DataFrame)]
        elif isinstance(result, pd.DataFrame):
            out.append((fn.__name__, result))
    return out


def _report_keys(node: object, path: str = "") -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add((str(key), path))
            if not str(key).endswith(DATA_KEYED):
                keys |= _report_keys(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            keys |= _report_keys(item, f"{path}[]")
    return keys


def test_every_metric_column_and_measure_has_a_label(demo_con) -> None:
    missing = set()
    for name, frame in _frames(demo_con):
        missing |= {(c, name) for c in frame.columns if c not in LABELS}
        if "measure" in frame.columns:
            missing |= {(m, f"{name} measure") for m in frame["measure"] if m not in LABELS}
    assert not missing, f"columns without a label in core/labels.py: {sorted(missing)}"


def test_every_report_key_has_a_label(demo_con, demo_db) -> None:
    keys = _report_keys(build_report(demo_con, Filters(), db_path=demo_db))
    missing = sorted((k, p) for k, p in keys if k not in LABELS)
    assert not missing, f"report keys without a label in core/labels.py: {missing}"


def test_labels_have_both_languages_and_a_known_kind() -> None:
    from core.formats import KINDS

    for column, found in LABELS.items():
        assert found.fr and found.en and found.kind in KINDS, column
        assert "_" not in found.fr + found.en, column


def test_header_carries_the_unit() -> None:
    assert header("turnover", "fr") == "Chiffre d'affaires (€)"
    assert header("fill_rate", "en") == "Fill rate (%)"
    assert header("rate_change", "fr") == "Évolution du taux (pt)"
    assert header("jobs", "fr") == "Postes"
    assert label("unknown_thing", "en") == "Unknown thing" and describe("unknown_thing").kind == "text"


# new_vs_repeat-like frame, hand-written: its display and its CSVs.
FRAME = pd.DataFrame({
    "job_kind": ["new", "repeat"],
    "jobs": [1305, 2248],
    "fill_rate": [0.192691, 0.261704],
    "median_days": [51.0, 52.4],
    "avg_fee": [11337.586207, -5125.0],
    "opened_at": pd.to_datetime(["2026-12-02", None]),
})
N = "\u202f"


def test_display_frame_labels_and_formats_every_cell() -> None:
    shown = display_frame(FRAME, "fr")
    assert list(shown.columns) == ["Nouveau ou récurrent", "Postes", "Taux de remplissage (%)",
                                   "Délai médian (jours)", "Honoraires moyens (€)", "Ouvert le"]
    assert shown.iloc[0].tolist() == ["Nouveau", f"1{N}305", f"19,3{N}%", "51 jours", f"11{N}338{N}€",
                                      "02/12/2026"]
    assert shown.iloc[1].tolist() == ["Récurrent", f"2{N}248", f"26,2{N}%", "52 jours", f"-5{N}125{N}€", "–"]
    english = display_frame(FRAME, "en")
    assert english.iloc[1].tolist() == ["Repeat", "2,248", "26.2%", "52 days", "-€5,125", "–"]


def test_french_csv_opens_into_columns_with_decimal_commas() -> None:
    data = locale_csv_bytes(FRAME, "fr")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ("Nouveau ou récurrent;Postes;Taux de remplissage (%);Délai médian (jours);"
                        "Honoraires moyens (€);Ouvert le")
    assert lines[1] == "Nouveau;1305;19,3;51;11337,59;02/12/2026"
    assert lines[2] == "Récurrent;2248;26,2;52;-5125,0;"
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["Taux de remplissage (%)"].tolist() == [19.3, 26.2]


def test_english_csv_uses_commas_and_dots() -> None:
    lines = locale_csv_bytes(FRAME, "en").decode("utf-8-sig").split("\r\n")
    assert lines[0] == "New or repeat,Jobs,Fill rate (%),Median days (days),Average fee (€),Opened on"
    assert lines[1] == "New,1305,19.3,51,11337.59,2026-12-02"


def test_csv_text_cannot_start_a_formula() -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "Acme"], "turnover": [1.0, 2.0]})
    assert b"'=HYPERLINK" in locale_csv_bytes(frame, "fr")


def test_measures_frame_formats_each_row_by_its_unit() -> None:
    frame = pd.DataFrame({"measure": ["turnover", "fill_rate"], "label": ["Turnover", "Fill rate"],
                          "value": [1234.0, 0.25], "previous": [1000.0, 0.2], "unit": ["eur", "rate"]})
    shown = display_frame(frame, "en")
    assert shown["Value"].tolist() == ["€1,234", "25.0%"]
    assert locale_csv_bytes(frame, "fr").decode("utf-8-sig").split("\r\n")[1].endswith(";1234,0;1000,0;eur")


@pytest.mark.parametrize(("p", "effect", "word"), [
    (0.001, 0.5, "clearly"), (0.001, 0.02, "probably"), (0.03, None, "probably"), (0.2, 0.5, "no evidence"),
    (None, None, "unknown"),
])
def test_strength_words(p, effect, word) -> None:
    assert strength(p, effect) == word


def test_answer_sentence_keeps_the_test_as_detail() -> None:
    found = answer("Top clients are larger: median 5,010 employees vs 252", 0.0105, "Kruskal-Wallis", "en",
                   effect=18.9)
    assert found.sentence == "Top clients are larger: median 5,010 employees vs 252; probably a real difference."
    assert found.detail == "Kruskal-Wallis, p = 0.011"
    french = answer("Les top clients sont plus grands", 0.0004, "Kruskal-Wallis", "fr")
    assert french.sentence == "Les top clients sont plus grands\u202f; clairement une vraie différence."
    assert french.detail == "Kruskal-Wallis, p < 0,001"


def test_month_names_read_in_the_reader_language() -> None:
    frame = pd.DataFrame({"month_of_year": [3], "month_name": ["March"], "index": [1.25]})
    assert display_frame(frame, "fr").iloc[0].tolist() == ["3", "mars", "1,25"]
    assert locale_csv_bytes(frame, "fr").decode("utf-8-sig").split("\r\n")[1] == "3;mars;1,25"
