import importlib
import inspect
from pathlib import Path

from core.__main__ import main
from core.metrics import funnel
from core.metrics.glossary import REGISTRY, definition, functions, glossary_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_definition_is_the_first_paragraph_on_one_line():
    text = definition(funnel.funnel_overall)
    assert text.startswith("Pipeline events per stage (pitch, MER, offer, placement) dated in the period")
    assert "\n" not in text and "Args" not in text


def test_title_line_is_completed_by_the_next_paragraph():
    def churn(con, f):
        """Churn rate per year.

        A client active in Y-1 that opens no job in Y
        has churned in Y.

        Args:
            con: connection.
        """

    assert (
        definition(churn)
        == "Churn rate per year. A client active in Y-1 that opens no job in Y has churned in Y."
    )


def test_every_registered_function_has_a_definition():
    registered = functions()
    assert len(registered) == sum(len(names) for _, _, names in REGISTRY)
    for _, fn in registered:
        assert len(definition(fn)) > 30, fn.__name__


def test_every_public_metric_is_registered():
    """A metric is a public function of a registered module taking (con, filters) first."""
    registered = {(m, n) for _, m, names in REGISTRY for n in names}
    for module_name in {m for _, m, _ in REGISTRY}:
        module = importlib.import_module(module_name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module_name:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] in (["con", "f"], ["con", "filters"]):
                assert (module_name, name) in registered, f"{module_name}.{name} is missing from the glossary"


def test_glossary_lists_returns():
    text = glossary_markdown()
    assert "### `mer_to_placement_over_time`" in text
    assert (
        "**Returns:** DataFrame [period (DATE, first day), mers, placements, mer_to_placement_rate]" in text
    )


def test_docs_metrics_md_is_in_sync():
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == glossary_markdown(), (
        "docs/metrics.md is out of date: run `python -m core metrics-doc`"
    )


def test_metrics_doc_command(tmp_path, capsys):
    out = tmp_path / "metrics.md"
    assert main(["metrics-doc", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == glossary_markdown()
