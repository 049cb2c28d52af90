"""Crossview's charts: plotly figures drawn in the browser by a Plotly holding only the trace types the
app uses (bar, scatter, heatmap, funnel).

`st.plotly_chart` loads the whole of plotly.js, a 4.7 MB script: on a first visit, loading and running
it took 1.2–2.4 s of the page's time in Chromium, even from the browser's cache (`docs/benchmarks.md`).
The bundle here (`assets/plotly-crossview.min.js`, rebuilt by `scripts/build_plotly.sh`) is 1.2 MB.
The server serves it (`app/ui/chart_bundle.py`), cached by the browser for good since its name changes
with its content, and the app's page starts loading it as it opens; a component (`st.components.v2`,
drawn in the page itself, not in a frame) draws each figure with it, by `Plotly.react`.

The look is Streamlit's own chart theme, written as a plotly template (`TEMPLATE`).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Any

import plotly.graph_objects as go
import plotly.io
import streamlit as st

from app.ui.chart_bundle import LOAD

# What `scripts/plotly_entry.js` puts in the bundle; a figure with another trace type would draw nothing.
TRACE_TYPES = frozenset({"bar", "scatter", "heatmap", "funnel"})
_TEXT = "#1F2430"  # .streamlit/config.toml's textColor
_FADED = "rgba(31, 36, 48, 0.6)"
_GRID = "#E6E9EF"
_FONT = '"Source Sans", sans-serif'

# Streamlit's chart theme (what `st.plotly_chart` applies in the browser), for the light theme of
# .streamlit/config.toml: faded 12 px ticks, 14 px axis titles, 16 px chart titles, grid on y only.
TEMPLATE = go.layout.Template(layout={
    "font": {"family": _FONT, "size": 12, "color": _FADED},
    "title": {"font": {"family": _FONT, "size": 16, "weight": 600, "color": _TEXT}, "x": 0, "xanchor": "left", "pad": {"l": 2}},
    "margin": {"pad": 8},
    "paper_bgcolor": "#FFFFFF",
    "plot_bgcolor": "#FFFFFF",
    "colorway": ["#0068C9", "#83C9FF", "#FF2B2B", "#FFABAB", "#29B09D", "#7DEFA1", "#FF8700", "#FFD16A",
                 "#6D3FC0", "#D5DAE5"],
    "legend": {"font": {"size": 12, "color": _TEXT}, "bordercolor": "rgba(0,0,0,0)", "borderwidth": 0},
    "xaxis": {"showgrid": False, "zeroline": False, "gridcolor": _GRID, "tickcolor": _GRID, "automargin": True,
              "title": {"font": {"size": 14, "color": _FADED}, "standoff": 16}},
    "yaxis": {"gridcolor": _GRID, "zerolinecolor": _GRID, "tickcolor": _GRID, "automargin": True,
              "title": {"font": {"size": 14, "color": _FADED}, "standoff": 24}},
    "hoverlabel": {"bgcolor": "#FFFFFF", "bordercolor": "#D5DAE5", "font": {"family": _FONT, "size": 12, "color": _TEXT}},
})

# `st.plotly_chart`'s height for a figure that sets none.
DEFAULT_HEIGHT = 450

# Plotly's toolbar without its logo; the chart follows its column's width.
CONFIG = {"displaylogo": False, "responsive": True}

# Each chart is drawn in place: `Plotly.react` updates a chart already drawn instead of drawing it again.
_JS = """
export default function ({ data, parentElement }) {
  const node = parentElement.querySelector(".crossview-chart");
  const spec = JSON.parse(new TextDecoder().decode(data));
  // The box keeps the chart's height while the page's Plotly loads: nothing below it moves.
  node.style.minHeight = spec.figure.layout.height + "px";
""" + LOAD + """
  window.crossviewPlotly
    .then((Plotly) => Plotly.react(node, spec.figure.data, spec.figure.layout, spec.config))
    .catch(() => {
      node.classList.add("crossview-chart-failed");
      node.textContent = "This chart could not be drawn: reload the page.";
    });
}
"""

# In the page's own DOM (no shadow root): Plotly styles its hover labels and toolbar through the document.
_component = st.components.v2.component("crossview_chart", html='<div class="crossview-chart"></div>',
                                        css=".crossview-chart { width: 100%; }", js=_JS, isolate_styles=False)


def figure_json(fig: Any, config: dict[str, Any]) -> bytes:
    """What the browser receives for `fig`: `{"figure": …, "config": …}` as UTF-8 JSON, the figure in
    Crossview's template and `config` over `CONFIG`. A ValueError names any trace type the bundle lacks."""
    missing = {trace.type for trace in fig.data} - TRACE_TYPES
    if missing:
        raise ValueError(f"Crossview's Plotly cannot draw {sorted(missing)}: add them to scripts/plotly_entry.js")
    fig.update_layout(template=TEMPLATE)
    if fig.layout.height is None:
        # The chart's box takes its figure's height: without one it would have none.
        fig.update_layout(height=DEFAULT_HEIGHT)
    figure = plotly.io.to_json(fig, validate=False)
    return f'{{"figure":{figure},"config":{json.dumps(CONFIG | config)}}}'.encode()


def draw(fig: Any, key: str, config: dict[str, Any], where: Any = None) -> None:
    """Draw `fig` (see `figure_json`) in `where` (a column, a container; the page by default)."""
    with where if where is not None else nullcontext():
        _component(key=key, data=figure_json(fig, config))
