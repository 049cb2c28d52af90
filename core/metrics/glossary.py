"""The metrics glossary: every public metric function, and its definition taken from its docstring.

The registry below lists, per page family, the functions the pages and the report call. Each
function's docstring starts with its business definition; `definition(fn)` returns that first
paragraph (the app's help tooltips) and `glossary_markdown()` builds docs/metrics.md from the
docstrings (`python -m core metrics-doc`; a test keeps the file in sync).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

# (section title, module, public functions) in the order the glossary shows them.
REGISTRY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Overview", "core.metrics.overview", ("headline",)),
    ("Seasonality", "core.metrics.seasonality",
     ("monthly_activity", "seasonal_index", "seasonality_heatmap")),
    ("Clients", "core.metrics.clients",
     ("client_economics", "repeat_business", "client_segments", "pareto", "segment_drivers",
      "client_history")),
    ("Client acquisition", "core.metrics.acquisition", ("new_clients",)),
    ("Time wasters", "core.metrics.time_wasters", ("time_wasters",)),
    ("Typology", "core.metrics.typology", ("client_typology", "typology_profiles", "rank_typologies")),
    ("Churn and lifetime value", "core.metrics.churn",
     ("churn_by_year", "churn_timing", "churn_reasons", "client_lifetime", "lifetime_value",
      "at_risk_clients")),
    ("Funnel", "core.metrics.funnel",
     ("funnel_overall", "mer_to_placement_over_time", "mer_to_placement_factors",
      "fill_probability_by_count", "candidates_per_opportunity", "closing_duration",
      "new_vs_repeat", "pitch_to_mer_by_sales", "pitch_to_mer_by_team")),
    ("Objectives", "core.metrics.objectives", ("jobs_needed",)),
    ("CRM pipeline", "core.metrics.pipeline",
     ("crm_headline", "pipeline_now", "stale_deals", "win_rate", "sales_cycle",
      "won_amount_by_month", "won_seasonality", "top_accounts", "lost_reasons")),
    ("Data quality", "core.metrics.quality", ("quality_summary", "issues_by_rule", "quarantined_rows")),
    ("Linking", "core.link", ("coverage", "review_queue", "deals_without_job", "jobs_without_deal")),
    ("Reconciliation", "core.link.reconcile",
     ("reconciliation", "won_without_placement", "placements_without_deal", "amount_mismatch",
      "crm_completeness_by_sales")),
    ("Shared definitions", "core.metrics.common", ("as_of", "last_complete_year", "invoicing_pending_from",
                                                  "wilson_interval")),
)

_SECTIONS = ("Args:", "Returns:", "Raises:")
# A first docstring paragraph shorter than this, on one line, is a title rather than a definition.
_TITLE_LENGTH = 80


def functions() -> list[tuple[str, Callable[..., Any]]]:
    """Every registered function as (section title, function), in glossary order."""
    out: list[tuple[str, Callable[..., Any]]] = []
    for section, module_name, names in REGISTRY:
        module = importlib.import_module(module_name)
        out += [(section, getattr(module, name)) for name in names]
    return out


def _paragraphs(fn: Callable[..., Any]) -> list[str]:
    doc = inspect.cleandoc(fn.__doc__ or "")
    return [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_section(paragraph: str) -> bool:
    return paragraph.split("\n", 1)[0].strip() in _SECTIONS


def _definition_paragraphs(fn: Callable[..., Any]) -> int:
    """How many leading paragraphs make the definition: one, or two when the first is only a title line."""
    paragraphs = _paragraphs(fn)
    if not paragraphs:
        return 0
    title_only = "\n" not in paragraphs[0] and len(paragraphs[0]) < _TITLE_LENGTH
    if title_only and len(paragraphs) > 1 and not _is_section(paragraphs[1]):
        return 2
    return 1


def definition(fn: Callable[..., Any]) -> str:
    """The business definition of a metric: the first paragraph of its docstring, on one line.

    When that paragraph is only a short title line ("Churn rate per calendar year."), the
    paragraph after it, which then holds the definition, is added.
    """
    paragraphs = _paragraphs(fn)[:_definition_paragraphs(fn)]
    return _one_line(" ".join(paragraphs))


def _details(fn: Callable[..., Any]) -> tuple[list[str], str]:
    """The docstring's further explanation paragraphs and its `Returns:` text."""
    body: list[str] = []
    returns = ""
    for paragraph in _paragraphs(fn)[_definition_paragraphs(fn):]:
        head = paragraph.split("\n", 1)[0].strip()
        if head in _SECTIONS:
            if head == "Returns:":
                returns = _one_line(paragraph[len("Returns:"):])
            continue
        body.append(_one_line(paragraph))
    return body, returns


def _params(fn: Callable[..., Any]) -> str:
    params = inspect.signature(fn).parameters.values()
    return ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in params)


def glossary_markdown() -> str:
    """docs/metrics.md: per section, each function's definition, details and what it returns."""
    lines = ["# Metrics glossary", "",
             ("Generated from the docstrings of the metric functions by `python -m core metrics-doc`; "
             "a test keeps them in sync. Every metric is `f(con, filters) -> DataFrame`; money is in "
             "euros, rates are fractions, \"now\" is the data's as-of date. The first paragraph of each "
             "entry is the definition the app shows beside the number."), ""]
    current = None
    for section, fn in functions():
        if section != current:
            lines += [f"## {section}", ""]
            current = section
        body, returns = _details(fn)
        lines += [f"### `{fn.__name__}`", "", f"`{fn.__module__}.{fn.__name__}({_params(fn)})`", "",
                  definition(fn), ""]
        for paragraph in body:
            lines += [paragraph, ""]
        if returns:
            lines += [f"**Returns:** {returns}", ""]
    return "\n".join(lines)
