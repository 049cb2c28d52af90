"""Shared UI pieces: number formats, tables with their download, definitions, empty states, chart style.

Every page draws with these so that money, rates and durations read the same everywhere,
each funnel stage and client segment keeps one colour, and every table can be downloaded
exactly as shown (through `core.csvsafe`, so no cell can turn into a spreadsheet formula).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui.state import page_path
from core.csvsafe import to_csv_bytes
from core.filters import Filters

# One colour per funnel stage and per client segment, on every page.
STAGE_COLOURS: dict[str, str] = {
    "pitch": "#4C78A8",
    "mer": "#F58518",
    "offer": "#B279A2",
    "placement": "#54A24B",
}
SEGMENT_COLOURS: dict[str, str] = {
    "top": "#1B3A6B",
    "large": "#3E7CB1",
    "medium": "#8FB8DE",
    "other": "#C9CED6",
}

MISSING = "—"

# A longer table shows its first rows (with the total) when the page asks for a preview: drawing
# and writing the CSV of tens of thousands of rows on every run costs seconds at a million deals.
PREVIEW_ROWS = 1_000


def _is_missing(x: object) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False


def money(x: float | int | None) -> str:
    """Euros, no cents, thousands separated: `€1,234,567`; `—` when unknown."""
    if _is_missing(x):
        return MISSING
    value = float(x)
    sign = "-" if value < 0 else ""
    return f"{sign}€{abs(value):,.0f}"


def pct(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.123 → `12.3%`; `—` when unknown."""
    if _is_missing(x):
        return MISSING
    return f"{float(x) * 100:.{digits}f}%"


def days(x: float | int | None) -> str:
    """A duration in days: `45 days`; `—` when unknown."""
    if _is_missing(x):
        return MISSING
    value = float(x)
    return "1 day" if round(value) == 1 else f"{value:,.0f} days"


def count(x: float | int | None) -> str:
    """A count with thousands separated: `12,345`; `—` when unknown."""
    if _is_missing(x):
        return MISSING
    return f"{float(x):,.0f}"


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """Data text made safe for places that read markdown (labels, help, captions).

    Names come from exports: a company called `**Acme**` or `![x](http://…)` must show as
    typed, not as bold or a remote image; HTML is never rendered anyway.
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def period_label(f: Filters) -> str:
    """The filtered period in words: `01 Nov 2025 – 31 Oct 2026`, or `All time`."""
    if f.date_from is None and f.date_to is None:
        return "All time"
    start = f"{f.date_from:%d %b %Y}" if f.date_from else "the start"
    return f"{start} – {f.date_to:%d %b %Y}" if f.date_to else f"From {start}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "table"


def _csv_of(read: Callable[[], pd.DataFrame]) -> bytes:
    return to_csv_bytes(read())


def download_button(frame: pd.DataFrame, name: str, key: str | None = None,
                    full: Callable[[], pd.DataFrame] | None = None, total: int | None = None) -> None:
    """A button that downloads exactly `frame` as CSV (formula triggers neutralised).

    Args:
        frame: the rows and columns shown on screen.
        name: what the table is; gives the file name (`crossview_<name>.csv`) and the label.
        key: widget key; defaults to one derived from `name`.
        full: when `frame` is only the first rows of a longer table, reads the whole table (all
            `total` rows) when the button is clicked, so drawing the page never pays for a large
            file nobody asked for.
        total: the number of rows `full` returns.
    """
    slug = _slug(name)
    # Always generated when the button is clicked, never when the page is drawn: the file then exists
    # on the server (at a /media address) only from a signed-in user's click until the next page runs.
    if full is None:
        data, rows = partial(to_csv_bytes, frame), f"{len(frame):,} rows as shown"
    else:
        data, rows = partial(_csv_of, full), f"all {len(frame) if total is None else total:,} rows"
    st.download_button(
        "Download CSV",
        data=data,
        file_name=f"crossview_{slug}.csv",
        mime="text/csv",
        key=key or f"download_{slug}",
        icon=":material/download:",
        on_click="ignore",
        help=f"{name}: {rows}, as CSV",
    )


def definition_text(fn_or_text: Callable[..., Any] | str) -> str:
    """The glossary entry of a metric function (its docstring's first paragraph), or the text given."""
    if isinstance(fn_or_text, str):
        return fn_or_text
    try:
        from core.metrics.glossary import definition as glossary_definition

        text = glossary_definition(fn_or_text)
        if text:
            return text
    except ImportError:
        pass
    doc = (fn_or_text.__doc__ or "").strip()
    return re.split(r"\n\s*\n", doc, maxsplit=1)[0].replace("\n", " ") if doc else ""


def definition(fn_or_text: Callable[..., Any] | str, label: str = "Definition") -> str:
    """An expander holding the definition of what is shown; returns the text (for `help=`)."""
    text = definition_text(fn_or_text)
    if text:
        with st.expander(label, icon=":material/info:"):
            st.markdown(text)
    return text


def empty_state(message: str) -> None:
    """Say why a view is empty (instead of an empty chart), e.g. 'No placements in this period.'"""
    st.info(message, icon=":material/filter_alt_off:")


_LOWER_IS_BETTER = ("churn", "refund", "cost", "days", "duration", "lost")


def _format(value: object, unit: str | None) -> str:
    unit = (unit or "").lower()
    if unit in ("eur", "€", "euro", "euros", "money"):
        return money(value)
    if unit in ("pct", "%", "rate", "share", "fraction", "percent"):
        return pct(value)
    if unit in ("days", "day"):
        return days(value)
    return count(value)


def _delta(value: object, previous: object, change: object, unit: str | None) -> str | None:
    if _is_missing(previous) or _is_missing(value):
        return None
    unit = (unit or "").lower()
    if unit in ("pct", "%", "rate", "share", "fraction", "percent"):
        # A rate's change reads in percentage points: 5% → 7% is "+2.0 pts", not "+40%".
        return f"{(float(value) - float(previous)) * 100:+.1f} pts"
    if not _is_missing(change):
        return f"{float(change) * 100:+.1f}%"
    if float(previous) == 0:
        return None
    return f"{(float(value) / float(previous) - 1) * 100:+.1f}%"


def measure_definition(glossary: str, label: str) -> str | None:
    """The clause `label = …` of a definition listing several measures ("fill rate = filled / decided …")."""
    match = re.search(rf"(?:^|[;.:]\s*){re.escape(label)} = (.+?)(?:;|\.\s+[A-Z]|\.?$)", glossary,
                      flags=re.IGNORECASE)
    return f"{label} = {match.group(1).strip().rstrip('.')}." if match else None


def metric_row(df: pd.DataFrame, per_row: int = 4, glossary: str | None = None) -> None:
    """Headline numbers with their change against the previous period.

    Args:
        df: rows of `measure, label, value` and optionally `previous, change` (relative change,
            a fraction) and `unit` (`eur`, `pct`/`rate`, `days`, or a count), as returned by
            `core.metrics.overview.headline`.
        per_row: metrics per line.
        glossary: a definition listing the measures as `label = …` (a metric's docstring); each
            number's help then shows its own clause.
    """
    rows = df.to_dict("records")
    for start in range(0, len(rows), per_row):
        cols = st.columns(per_row)
        for col, row in zip(cols, rows[start:start + per_row]):
            unit = row.get("unit")
            measure = str(row.get("measure", ""))
            previous = row.get("previous")
            label = str(row.get("label", measure))
            own = next((d for name in (label, measure, measure.replace("_", " "))
                        if glossary and (d := measure_definition(glossary, name))), None)
            notes = [own,
                     None if _is_missing(previous) else f"Previous period: {_format(previous, unit)}."]
            col.metric(
                label,
                _format(row.get("value"), unit),
                delta=_delta(row.get("value"), previous, row.get("change"), unit),
                delta_color="inverse" if any(w in measure for w in _LOWER_IS_BETTER) else "normal",
                help=plain(" ".join(n for n in notes if n)) or None,
                border=True,
            )


def header(column: object) -> str:
    """A column name as a heading: `jobs_without_deal_share` → `Jobs without deal share`."""
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _float_format(col: str, values: pd.Series) -> str:
    """Enough digits to read, not the 4 trailing decimals of a raw float (hours, jobs needed…)."""
    if "p_value" in col:
        return "%.4f"
    return "%.3f" if values.abs().max(skipna=True) < 10 else "%,.1f"


def show_table(
    df: pd.DataFrame,
    money_cols: Iterable[str] = (),
    pct_cols: Iterable[str] = (),
    key: str = "table",
    days_cols: Iterable[str] = (),
    name: str | None = None,
    height: int | str = "auto",
    selectable: bool = False,
    preview: bool = False,
    full: Callable[[], pd.DataFrame] | None = None,
    total: int | None = None,
) -> list[int]:
    """A sortable, searchable table with money in €, fractions as %, and its CSV download.

    Args:
        df: exactly what to show (and download).
        money_cols: columns in euros. pct_cols: columns holding fractions (0.12 → 12%).
        key: widget key (unique on the page); also names the downloaded file unless `name` is given.
        days_cols: columns in days.
        selectable: let the user pick one row.
        preview: draw only the first `PREVIEW_ROWS` rows of a longer `df`; a caption gives the total
            and the download still holds every row of `df` (its CSV is built when clicked).
        full, total: `df` is already the first rows of a table of `total` rows: a caption says so and
            the download holds the whole table, read by `full()` when the button is clicked.

    Returns:
        The positions (0-based, in `df`) of the selected rows; empty unless `selectable`.
    """
    money_cols, pct_cols, days_cols = set(money_cols), set(pct_cols), set(days_cols)
    if preview and len(df) > PREVIEW_ROWS:
        full, total, df = df.copy, len(df), df.head(PREVIEW_ROWS)
    capped = full is not None and total is not None and total > len(df)
    if capped:
        st.caption(f"Showing the first {len(df):,} of {total:,} rows; the CSV download holds all {total:,}.")
    config: dict[str, Any] = {}
    for col in df.columns:
        label = header(col)
        if col in money_cols:
            config[col] = st.column_config.NumberColumn(label, format="€%,.0f")
        elif col in pct_cols:
            config[col] = st.column_config.NumberColumn(label, format="percent")
        elif col in days_cols:
            config[col] = st.column_config.NumberColumn(label, format="%.0f days")
        elif pd.api.types.is_datetime64_any_dtype(df[col]) and (df[col].dropna().dt.normalize() == df[col].dropna()).all():
            # Business dates travel as midnight timestamps: show them as dates.
            config[col] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif pd.api.types.is_float_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(label, format=_float_format(col, df[col]))
        else:
            config[col] = st.column_config.Column(label)
    event = st.dataframe(
        df,
        hide_index=True,
        column_config=config,
        key=key,
        height=height,
        on_select="rerun" if selectable else "ignore",
        selection_mode="single-row",
    )
    download_button(df, name or key, key=f"{key}_download", full=full if capped else None, total=total)
    if selectable:
        return list(event.selection.rows)
    return []


_PLOTLY_TAGS = re.compile(r"<(?!/?(?:b|i|br)\s*/?>)")


def _plotly_text(text: str) -> str:
    """Plotly reads a few HTML tags in titles; a name holding `<a …>` or `<span …>` must stay text."""
    return _PLOTLY_TAGS.sub("&lt;", text)


def style_figure(fig: Any, title: str, x_title: str, y_title: str) -> Any:
    """Give a plotly figure the house look: title, axis titles with units, unified hover.

    Args:
        title: what the chart answers ("Revenue by month").
        x_title, y_title: axis titles with the unit ("Revenue (€)", "Rate (%)", "Days").

    Returns:
        The same figure, for chaining into `st.plotly_chart`.
    """
    fig.update_layout(
        title={"text": _plotly_text(title), "x": 0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        hoverlabel={"namelength": -1},
    )
    return fig


def requires_bo(con: Any) -> bool:
    """True when the warehouse holds the back-office export; otherwise say the page needs it."""
    from core.metrics.common import has_bo

    if has_bo(con):
        return True
    st.info(
        "This page needs the back-office (BO) export: clients, jobs, pipeline events and placements. "
        "The current data is a CRM export only. Upload the BO export on the Data page; meanwhile the "
        "Pipeline page shows what the CRM alone can tell.",
        icon=":material/database:",
    )
    st.page_link(page_path("data.py"), label="Go to the Data page", icon=":material/upload_file:")
    return False


def bars_with_range(
    frame: pd.DataFrame, x: str, y: str, low: str, high: str, colour: str, hover: str, counts: Iterable[str]
) -> Any:
    """Bars of `y` per `x` with asymmetric error bars from `low` to `high` (an interval or quartiles).

    `hover` is a plotly hovertemplate in which `%{customdata[i]}` are the `counts` columns, so a
    rate is always read beside the numbers it rests on.
    """
    return go.Figure(
        go.Bar(
            x=frame[x],
            y=frame[y],
            customdata=frame[list(counts)],
            marker_color=colour,
            error_y={"type": "data", "symmetric": False, "array": frame[high] - frame[y],
                     "arrayminus": frame[y] - frame[low]},
            hovertemplate=hover + "<extra></extra>",
        )
    )
