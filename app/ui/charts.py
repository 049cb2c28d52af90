"""Crossview's charts: plotly figures drawn in the browser by a Plotly holding only the trace types the
app uses (bar, scatter, heatmap, funnel).

`st.plotly_chart` loads the whole of plotly.js, a 4.7 MB script: on a first visit, loading and running
it took 1.2–2.4 s of the page's time in Chromium, even from the browser's cache (`docs/benchmarks.md`).
The bundle here (`assets/plotly-crossview.min.js`, rebuilt by `scripts/build_plotly.sh`) is 1.2 MB.
The server serves it (`app/ui/chart_bundle.py`), cached by the browser for good since its name changes
with its content, and the app's page starts loading it as it opens; a component (`st.components.v2`,
drawn in the page itself, not in a frame) draws each figure with it, by `Plotly.react`.

The look is Streamlit's own chart theme, written as a plotly template (`TEMPLATE`). The figure's title is
drawn above the chart as the page's text, and back into the image of the PNG download (`_JS`).
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

# The title the figure's template gives (`TEMPLATE`), for the page's own heading above the chart.
_TITLE_CSS = f'font: 600 16px/1.35 {_FONT}; color: {_TEXT}; margin: 4px 0 2px 2px; white-space: pre-line;'

# Each chart is drawn in place: `Plotly.react` updates a chart already drawn instead of drawing it again.
# The figure's title is drawn above the chart as the page's text: in the figure, Plotly would draw it and
# a horizontal legend in the same top margin, over each other when both are long (it does not stack
# them). The title then wraps with its column, and the chart keeps the figure's height in all. The PNG
# download draws the title back in the image, with the legend on the right.
_JS = """
const titleText = (title) => (title && title.text || "")
  .replace(/<br\\s*\\/?>/gi, "\\n").replace(/<\\/?[bi]>/gi, "").replace(/&lt;/g, "<");

const pngButton = (Plotly, spec, title) => ({
  name: "toImage",
  title: "Download plot as a PNG",
  icon: Plotly.Icons.camera,
  click: (gd) => {
    const { layout } = spec.figure;
    const legend = { ...layout.legend, orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top" };
    // Room on the right for the widest legend entry as drawn on the page, and a fifth more: the image
    // is drawn in another font (below), which may be wider.
    const entries = [...gd.querySelectorAll(".legend .traces")].map((entry) => entry.getBBox().width);
    const right = ((layout.margin || {}).r ?? 10) + (entries.length ? 1.2 * Math.max(...entries) + 30 : 0);
    // An image cannot use the page's web font: Plotly would size the text in one font and the image
    // draw it in another, clipping the legend. The system's sans-serif serves for both.
    const font = { ...layout.font, family: "sans-serif" };
    const heading = { ...layout.title, font: { ...(layout.title || {}).font, family: "sans-serif" } };
    const figure = { data: gd.data, config: spec.config,
                     layout: { ...layout, font, title: heading, legend, margin: { ...layout.margin, r: right } } };
    const width = gd._fullLayout.width, height = layout.height;
    Plotly.toImage(figure, { format: "png", width, height }).then((url) => {
      const link = document.createElement("a");
      link.href = url;
      link.download = (title.replace(/[\\\\/:*?"<>|\\n]+/g, " ").trim() || "chart") + ".png";
      link.click();
    });
  },
});

export default function ({ data, parentElement }) {
  const node = parentElement.querySelector(".crossview-chart");
  const heading = parentElement.querySelector(".crossview-chart-title");
  const spec = JSON.parse(new TextDecoder().decode(data));
  const { layout } = spec.figure;
  const title = titleText(layout.title);
  heading.textContent = title;
  heading.hidden = !title;
  // The chart and its title together take the figure's height; the box keeps it while Plotly loads.
  const height = Math.max(150, layout.height - (title ? heading.offsetHeight + 6 : 0));
  node.style.minHeight = height + "px";
  const margin = { ...layout.margin, t: Math.max(10, ((layout.margin || {}).t ?? 50) - (title ? 40 : 0)) };
  const drawn = { ...layout, title: { ...layout.title, text: "" }, height, margin };
""" + LOAD + """
  window.crossviewPlotly
    .then((Plotly) => Plotly.react(node, spec.figure.data, drawn, {
      ...spec.config, modeBarButtonsToRemove: ["toImage"], modeBarButtonsToAdd: [pngButton(Plotly, spec, title)] }))
    .catch(() => {
      node.classList.add("crossview-chart-failed");
      node.textContent = "This chart could not be drawn: reload the page.";
    });
}
"""

# In the page's own DOM (no shadow root): Plotly styles its hover labels and toolbar through the document.
_component = st.components.v2.component(
    "crossview_chart", html='<div class="crossview-chart-title" hidden></div><div class="crossview-chart"></div>',
    # On lines of its own: Streamlit reads a one-line string holding a `/` as a file's path.
    css=f".crossview-chart {{ width: 100%; }}\n.crossview-chart-title {{ {_TITLE_CSS} }}\n", js=_JS,
    isolate_styles=False)


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
