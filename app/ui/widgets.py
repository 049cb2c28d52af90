"""Shared UI pieces: number formats, tables with their download, definitions, empty states, chart style.

Every page draws with these so that money, rates and durations read the same everywhere, in the
reader's locale (French by default, English on request: the sidebar's `flt_locale`), with the
business words of `core.labels` as headers; each funnel stage and client segment keeps one colour;
and every table can be downloaded as shown, in the same locale (or as the plain machine CSV for
tools), through `core.csvsafe`, so no cell can turn into a spreadsheet formula.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import charts
from app.ui.state import page_path
from core import formats, labels
from core.csvsafe import to_csv_bytes
from core.filters import Filters
from core.formats import Locale
from core.tables import CODED, cell_formatters, headers, locale_csv_bytes

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

MISSING = formats.MISSING

# The reader's number format and words (`fr`, `en`): a sidebar choice, defaulting to
# $CROSSVIEW_LOCALE, else French (the agency's language).
LOCALE_KEY = "flt_locale"
LOCALE_ENV = "CROSSVIEW_LOCALE"
LOCALE_NAMES: dict[str, str] = {"fr": "Français", "en": "English"}
# Downloads as the plain machine CSV (snake_case headers, raw values) instead of the reader's.
PLAIN_CSV_KEY = "flt_plain_csv"

# A longer table shows its first rows (with the total) when the page asks for a preview: drawing
# and writing the CSV of tens of thousands of rows on every run costs seconds at a million deals.
PREVIEW_ROWS = 1_000


def default_locale() -> Locale:
    """$CROSSVIEW_LOCALE (`fr` or `en`) when set to one of them, else the browser's language when it is
    French or English, else `fr`."""
    configured = os.environ.get(LOCALE_ENV, "").strip().lower()
    if configured in formats.LOCALES:
        return configured  # type: ignore[return-value]
    browser = _browser_language()
    return browser if browser in formats.LOCALES else formats.DEFAULT_LOCALE  # type: ignore[return-value]


def _browser_language() -> str:
    """The browser's language (`fr`, `en`…), empty without a browser session."""
    try:
        return (st.context.locale or "")[:2].lower()
    except Exception:  # noqa: BLE001 - no browser session (bare run)
        return ""


def slider_format(decimals: int) -> str:
    """A slider's number format in the reader's locale. The slider writes its own value in the browser,
    by a printf format (always a decimal point) or by the browser's language (`localized`): the latter
    when it is the reader's, so that French reads `40,24`."""
    return "localized" if _browser_language() == current_locale() else f"%.{decimals}f"


def current_locale() -> Locale:
    """The locale the reader chose in the sidebar, else the default."""
    chosen = st.session_state.get(LOCALE_KEY)
    return chosen if chosen in formats.LOCALES else default_locale()


def locale_selector() -> None:
    """The sidebar's choice of number format and words, and of the CSV kind for downloads."""
    if st.session_state.get(LOCALE_KEY) not in formats.LOCALES:
        st.session_state[LOCALE_KEY] = default_locale()
    st.sidebar.segmented_control(
        "Numbers and words", list(LOCALE_NAMES), format_func=LOCALE_NAMES.get, key=LOCALE_KEY,
        required=True, help="French: 1 234,5 € and 12,3 %, CSV files for French Excel (;). "
                            "English: €1,234.5 and 12.3%, CSV files with commas.",
    )
    st.sidebar.checkbox("Plain CSV for tools", key=PLAIN_CSV_KEY,
                        help="Downloads keep the raw column names and values (comma-separated, "
                             "decimal dot, rates as fractions) for scripts and other tools.")


def _is_missing(x: object) -> bool:
    return formats.is_missing(x)


def value_words(value: object) -> str:
    """A coded value (stage, segment…) in the reader's words: `pitch` → `Présentation` / `Pitch`."""
    return labels.value_label(value, current_locale())


def money(x: float | None, locale: Locale | None = None) -> str:
    """Euros, no cents, thousands grouped: `1 234 567 €` / `€1,234,567`; `–` when unknown."""
    return formats.money(x, locale or current_locale())


def pct(x: float | None, digits: int = 1, locale: Locale | None = None) -> str:
    """A fraction as a percentage: 0.123 → `12,3 %` / `12.3%`; `–` when unknown."""
    return formats.percent(x, locale or current_locale(), digits)


def days(x: float | None, locale: Locale | None = None) -> str:
    """A duration in days: `45 jours` / `45 days`; `–` when unknown."""
    return formats.days(x, locale or current_locale())


def count(x: float | None, locale: Locale | None = None) -> str:
    """A count with thousands grouped: `12 345` / `12,345`; `–` when unknown."""
    return formats.integer(x, locale or current_locale())


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """Data text made safe for places that read markdown (labels, help, captions).

    Names come from exports: a company called `**Acme**` or `![x](http://…)` must show as
    typed, not as bold or a remote image; HTML is never rendered anyway.
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def period_label(f: Filters) -> str:
    """The filtered period, its dates in the reader's format: `01/11/2025 – 31/10/2026` (French),
    `2025-11-01 – 2026-10-31` (English), or `All time`."""
    if f.date_from is None and f.date_to is None:
        return "All time"
    locale = current_locale()
    start = formats.day(f.date_from, locale) if f.date_from else "the start"
    return f"{start} – {formats.day(f.date_to, locale)}" if f.date_to else f"From {start}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "table"


def csv_bytes(frame: pd.DataFrame, locale: Locale | None = None, plain: bool | None = None) -> bytes:
    """`frame` as the CSV a download gives: in the reader's locale, or the plain machine CSV."""
    if plain is None:
        plain = bool(st.session_state.get(PLAIN_CSV_KEY))
    if plain:
        return to_csv_bytes(frame)
    return locale_csv_bytes(frame, locale or current_locale())


def _csv_of(read: Callable[[], pd.DataFrame], locale: Locale, plain: bool) -> bytes:
    return csv_bytes(read(), locale, plain)


def download_button(frame: pd.DataFrame, name: str, key: str | None = None,
                    full: Callable[[], pd.DataFrame] | None = None, total: int | None = None) -> None:
    """A button that downloads exactly `frame` as CSV (formula triggers neutralised).

    The file is in the reader's locale (labelled headers; French: `;` and decimal comma), or the
    plain machine CSV when the sidebar's "Plain CSV for tools" is ticked.

    Args:
        frame: the rows and columns shown on screen.
        name: what the table is; gives the file name (`crossview_<name>.csv`) and the label.
        key: widget key; defaults to one derived from `name`.
        full: when `frame` is only the first rows of a longer table, reads the whole table (all
            `total` rows); the CSV is built from it. Either CSV is built when the button is clicked.
        total: the number of rows `full` returns.
    """
    slug = _slug(name)
    locale, plain = current_locale(), bool(st.session_state.get(PLAIN_CSV_KEY))
    # Streamlit calls `data` when the button is clicked: drawing a page never pays for a file (some
    # 80 ms a table in the reader's locale) nobody asked for, and the file exists on the server (at a
    # /media address) only from a signed-in user's click until the next page runs.
    if full is None:
        data, rows = partial(csv_bytes, frame, locale, plain), f"{count(len(frame), locale)} rows as shown"
    else:
        data = partial(_csv_of, full, locale, plain)
        rows = f"all {count(len(frame) if total is None else total, locale)} rows"
    st.download_button(
        "Download CSV",
        data=data,
        file_name=f"crossview_{slug}.csv",
        mime="text/csv",
        key=key or f"download_{slug}",
        icon=":material/download:",
        on_click="ignore",
        help=f"{name}: {rows}, as CSV" + (" for tools" if plain else f" ({LOCALE_NAMES[locale]})"),
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


def headline(sentence: str) -> None:
    """A page's answer in one sentence, with its number, above everything else on the page."""
    with st.container(border=True, key=None):
        st.markdown(f"#### {plain(sentence)}")


def answers(found: Iterable[Any], label: str = "Statistical detail") -> None:
    """Findings said as answers (`core.answers.Answer`), the test and p-value of each one click away."""
    found = list(found)
    for item in found:
        st.markdown(f"- {plain(item.sentence)}")
    if found:
        with st.expander(label, icon=":material/functions:"):
            for item in found:
                if item.detail:
                    st.caption(plain(f"{item.sentence} {item.detail}."))


def _tidy_amount(key: str) -> None:
    amount = formats.read_amount(st.session_state[key])
    if amount is not None and amount >= 0:
        st.session_state[key] = money(amount)


def amount_input(label: str, key: str, default: float, help: str | None = None) -> float:
    """A box for an amount of euros, typed as the reader writes it (`150 000`, `€150,000`, `150k`:
    `formats.read_amount`) and written back in their format once read, thousands grouped.

    Returns:
        The amount read, or, while what is typed is not an amount of euros, the last one read (with a
        warning saying so).
    """
    last_key = f"_{key}_read"
    if key not in st.session_state:
        st.session_state[key] = money(default)
    typed = st.text_input(label, key=key, on_change=_tidy_amount, args=(key,),
                          help=help or "For example 150 000, 150 000 €, €150,000 or 150k.")
    amount = formats.read_amount(typed)
    if amount is None or amount < 0:
        kept = st.session_state.get(last_key, default)
        st.warning(f"“{plain(typed)}” is not an amount of euros: type it as 150 000 or 150k. "
                   f"Showing {money(kept)} meanwhile.", icon=":material/edit:")
        return kept
    st.session_state[last_key] = amount
    return amount


def empty_state(message: str) -> None:
    """Say why a view is empty (instead of an empty chart), e.g. 'No placements in this period.'"""
    st.info(message, icon=":material/filter_alt_off:")


_LOWER_IS_BETTER = ("churn", "refund", "cost", "days", "duration", "lost")


def _format(value: object, unit: str | None) -> str:
    unit = (unit or "").lower()
    if unit in ("eur", "€", "euro", "euros", "money"):
        return money(value)  # type: ignore[arg-type]
    if unit in ("pct", "%", "rate", "share", "fraction", "percent"):
        return pct(value)  # type: ignore[arg-type]
    if unit in ("days", "day"):
        return days(value)  # type: ignore[arg-type]
    return count(value)  # type: ignore[arg-type]


def _delta(value: object, previous: object, change: object, unit: str | None) -> str | None:
    if _is_missing(previous) or _is_missing(value):
        return None
    unit = (unit or "").lower()
    locale = current_locale()
    if unit in ("pct", "%", "rate", "share", "fraction", "percent"):
        # A rate's change reads in percentage points: 5% → 7% is "+2,0 pt", not "+40 %".
        return formats.points(float(value) - float(previous), locale)  # type: ignore[arg-type]
    if _is_missing(change):
        if float(previous) == 0:  # type: ignore[arg-type]
            return None
        change = float(value) / float(previous) - 1  # type: ignore[arg-type]
    text = formats.percent(float(change), locale)  # type: ignore[arg-type]
    return text if text.startswith("-") else f"+{text}"


def measure_definition(glossary: str, label: str) -> str | None:
    """The clause `label = …` of a definition listing several measures ("fill rate = filled / decided …")."""
    match = re.search(rf"(?:^|[;.:]\s*){re.escape(label)} = (.+?)(?:;|\.\s+[A-Z]|\.?$)", glossary,
                      flags=re.IGNORECASE)
    return f"{label} = {match.group(1).strip().rstrip('.')}." if match else None


def _metric_label(measure: str, label: str) -> str:
    """A headline number's label in the reader's language (core gives it in English)."""
    from core.labels import LABELS

    locale = current_locale()
    return LABELS[measure].text(locale) if locale != "en" and measure in LABELS else label


def label(column: str) -> str:
    """A column's business label in the reader's language, for chart legends and hover text."""
    from core.labels import label as labelled

    return labelled(column, current_locale())


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
                _metric_label(measure, label),
                _format(row.get("value"), unit),
                delta=_delta(row.get("value"), previous, row.get("change"), unit),
                delta_color="inverse" if any(w in measure for w in _LOWER_IS_BETTER) else "normal",
                help=plain(" ".join(n for n in notes if n)) or None,
                border=True,
            )


def header(column: object) -> str:
    """A column's heading in the reader's words, with its unit: `fill_rate` → `Taux de remplissage (%)`."""
    from core.labels import header as labelled

    return labelled(str(column), current_locale())


def styled(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> Any:
    """`df` with every cell shown in the reader's format (a pandas Styler: sorting keeps the raw values).

    Args:
        kinds: format kinds forced for some columns (`money`, `percent`, `days`…), over `core.labels`.
    """
    locale = current_locale()
    formatters = cell_formatters(df, locale)
    for col, kind in (kinds or {}).items():
        if col in df.columns:
            formatters[col] = partial(formats.format_value, kind=kind, locale=locale)
    if "unit" in df.columns:
        # A frame of measures: each row's own unit (done by `core.tables`), shown as text.
        from core.tables import display_frame

        shown = display_frame(df, locale)
        shown.columns = list(df.columns)
        df = df.assign(**{c: shown[c] for c in ("value", "previous") if c in df.columns})
        formatters = {c: f for c, f in formatters.items() if c not in ("value", "previous")}
    return df.style.format(formatters, na_rep=MISSING)


# Formatting every cell on the server (a pandas Styler, then Streamlit reading it back) costs some
# 10-30 µs a cell (profiled: 86 ms a table on the demo under cProfile and load): beyond this many
# cells a table keeps its labels but leaves number formats to the browser's grid.
STYLED_CELLS = 5_000
# The grid's presets write money and counts in the browser's language ("-5 125 €", "12 345"); a printf
# format would put the sign after the symbol ("€-5,125") and group in English whatever the reader.
_GRID_FORMATS = {"money": "euro", "percent": "percent", "points": "%+.3f", "days": "%.0f", "hours": "%,.1f",
                 "count": "localized", "number": "%,.1f", "ratio": "%.2f", "score": "%.2f", "year": "%d"}
# The grid writes a preset with as many decimals as its column's step has (percentages: two fewer), so
# that amounts and counts are whole and percentages keep one decimal, as the formatted tables write them.
_GRID_STEPS = {"money": 1, "count": 1, "percent": 0.001}


def _number_config(df: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    """Column settings of a table too large to format on the server: labels, and the grid's own formats."""
    from core.tables import kind_of

    config: dict[str, Any] = {}
    for col in df.columns:
        kind = kinds.get(col) or kind_of(df, col)
        if kind in _GRID_FORMATS and pd.api.types.is_numeric_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(labels[col], format=_GRID_FORMATS[kind], step=_GRID_STEPS.get(kind))
        elif kind in ("date", "month") and pd.api.types.is_datetime64_any_dtype(df[col]):
            config[col] = st.column_config.DateColumn(
                labels[col], format="DD/MM/YYYY" if current_locale() == "fr" else "YYYY-MM-DD")
        else:
            config[col] = st.column_config.Column(labels[col])
    return config


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
    """A sortable, searchable table in business words and the reader's formats, and its CSV download.

    Headers are the labels of `core.labels` with their unit; cells are formatted by the column's
    kind (money, percentage, days, dates…) in the sidebar's locale, while sorting keeps the raw
    values. A table of more than `STYLED_CELLS` cells keeps its labels but takes the grid's own
    number formats (English separators), since formatting each cell on the server would cost seconds.

    Args:
        df: exactly what to show (and download).
        money_cols: columns in euros. pct_cols: columns holding fractions (0.12 → 12 %); both
            override the labels' kinds (a column the labels already know needs neither).
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
    kinds = {c: "money" for c in money_cols} | {c: "percent" for c in pct_cols} | {c: "days" for c in days_cols}
    if preview and len(df) > PREVIEW_ROWS:
        full, total, df = df.copy, len(df), df.head(PREVIEW_ROWS)
    capped = full is not None and total is not None and total > len(df)
    locale = current_locale()
    if capped:
        st.caption(f"Showing the first {count(len(df), locale)} of {count(total, locale)} rows; "
                   f"the CSV download holds all {count(total, locale)}.")
    labels = dict(zip(df.columns, headers(df, locale)))
    if df.size <= STYLED_CELLS:
        data: Any = styled(df, kinds)
        config: dict[str, Any] = {col: st.column_config.Column(labels[col]) for col in df.columns}
    else:
        data, config = df, _number_config(df, kinds, labels)
    event = st.dataframe(
        data,
        hide_index=True,
        column_config=config,
        key=key,
        height=height,
        # The grid draws an empty cell as "None" unless told otherwise, whatever the Styler says.
        placeholder=MISSING,
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
        The same figure, for chaining into `chart`.
    """
    fig.update_layout(
        title={"text": _plotly_text(title), "x": 0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        hoverlabel={"namelength": -1},
        # Plotly's decimal mark and thousands separator, in the reader's locale.
        separators=",\u202f" if current_locale() == "fr" else ".,",
    )
    return fig


# Pages write a hover's amount and a money axis the English way, `€%{y:,.0f}` and a `€` tick prefix
# (plotly's number formats have no currency placement); French puts the euro sign after the number.
_EURO_FIRST = re.compile(r"€(%\{[^}]*\})")


def money_in_locale(fig: Any, locale: Locale) -> Any:
    """`fig` with its amounts written as `locale` writes them: in French `1 234 €` (hover and text
    templates, money axes), in English unchanged (`€1,234`). Returns the same figure."""
    if locale != "fr":
        return fig

    def axis(ax: Any) -> None:
        if ax.tickprefix == "€":
            ax.update(tickprefix=None, ticksuffix=formats.NNBSP + "€")

    return _rewrite(fig, lambda template: _EURO_FIRST.sub("\\1" + formats.NNBSP + "€", template), axis)


def _rewrite(fig: Any, template: Callable[[str], str], axis: Callable[[Any], None]) -> Any:
    """`fig` with `template` applied to its traces' hover and text templates and `axis` to its axes."""
    for trace in fig.data:
        for attribute in ("hovertemplate", "texttemplate"):
            text = getattr(trace, attribute, None)
            if isinstance(text, str):
                setattr(trace, attribute, template(text))
    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    return fig


# A percentage format in a hover or text template: `%{y:.1%}`, `%{customdata[0]:,.0%}`.
_PERCENT_FORMAT = re.compile(r"%\{([^}:|]+):([^}$]*%)\}")


def _percent_spec(spec: str) -> str:
    """A d3 percentage format with the currency symbol flag `$`, placed after the sign as d3 requires."""
    return spec[0] + "$" + spec[1:] if spec[0] in "+-( " else "$" + spec


def percents_in_locale(fig: Any, locale: Locale) -> Any:
    """`fig` with its percentages written as `locale` writes them: in French `12,3 %` (templates, axes),
    in English unchanged (`12.3%`). Returns the same figure.

    d3's `%` format glues its sign to the number; with the `$` flag it writes the locale's currency
    suffix instead, which the French chart locale sets to a narrow space and `%` (`formats.plotly_config`).
    """
    if locale != "fr":
        return fig

    def axis(ax: Any) -> None:
        if isinstance(ax.tickformat, str) and ax.tickformat.endswith("%") and "$" not in ax.tickformat:
            ax.update(tickformat=_percent_spec(ax.tickformat))

    return _rewrite(fig, lambda template: _PERCENT_FORMAT.sub(
        lambda m: f"%{{{m.group(1)}:{_percent_spec(m.group(2))}}}", template), axis)


def chart(fig: Any, key: str, where: Any = None) -> None:
    """Draw a plotly figure (styled by `style_figure`) in the reader's locale (amounts, percentages, month
    names), in `where` (a column, a container; the page by default). Every chart of the app is drawn here."""
    locale = current_locale()
    charts.draw(percents_in_locale(money_in_locale(fig, locale), locale), key, formats.plotly_config(locale), where)


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


def bars(frame: pd.DataFrame, x: str, y: str, hover: str, *, colour: Any = "#4C78A8",
         colour_by: str | None = None, colours: dict[str, str] | None = None, custom: Iterable[str] = ()) -> Any:
    """Bars of `y` per `x`, one trace per value of `colour_by` (drawn in `colours`' order, then the
    others, each named in business words: `labels.value_label`) or a single trace in `colour` (one
    colour, or one per bar).

    `hover` is a plotly hovertemplate in which `%{customdata[i]}` are the `custom` columns. Built
    with graph objects: plotly express took 40–80 ms per chart on every rerun, these take under 10.
    """
    custom = list(custom)

    def words(values: pd.Series) -> pd.Series:
        # Coded categories (stages…) read in business words, as in the tables.
        return values.map(value_words) if x in CODED else values

    def trace(rows: pd.DataFrame, name: str | None, marker: Any) -> go.Bar:
        return go.Bar(x=words(rows[x]), y=rows[y], name=name, marker_color=marker, hovertemplate=hover + "<extra></extra>",
                      customdata=rows[custom] if custom else None, showlegend=name is not None)

    if colour_by is None:
        return go.Figure(trace(frame, None, colour))
    present = list(pd.unique(frame[colour_by]))
    order = [v for v in (colours or {}) if v in present] + [v for v in present if v not in (colours or {})]
    fig = go.Figure([trace(frame[frame[colour_by] == value], value_words(value), (colours or {}).get(value))
                     for value in order])
    fig.update_layout(barmode="relative")
    if not pd.api.types.is_numeric_dtype(frame[x]) and not pd.api.types.is_datetime64_any_dtype(frame[x]):
        # Categories keep the frame's order (a ranking), not the order the traces happen to list them in.
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(pd.unique(words(frame[x]))))
    return fig


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
