"""Overview: the period's headline numbers against the previous period, revenue by month, data health."""

from __future__ import annotations

import streamlit as st

from app.ui.filters import warm_other_periods
from app.ui.health import linking_line, quality_line
from app.ui.state import cached, current_filters, page_path
from app.ui.widgets import (
    bars,
    chart,
    current_locale,
    definition,
    definition_text,
    empty_state,
    metric_row,
    period_label,
    style_figure,
)
from app.ui.widgets import headline as headline_answer
from core.metrics.common import has_bo, has_crm
from core.metrics.headlines import overview_sentence, win_rate_sentence
from core.metrics.overview import headline
from core.metrics.pipeline import crm_headline
from core.metrics.seasonality import MONTH_STATUSES, monthly_activity


def overview() -> None:
    f = current_filters()
    st.title("Overview")
    comparison = " compared with the previous period of the same length" if f.date_from and f.date_to else ""
    st.caption(f"{period_label(f)}{comparison}.")

    if cached(has_bo):
        numbers = cached(headline, f)
        headline_answer(overview_sentence(numbers, current_locale()))
        metric_row(numbers, glossary=definition_text(headline))
        for note in numbers["note"].dropna().unique():
            st.caption(note)
        definition(headline, label="Definition: headline numbers")
        monthly = cached(monthly_activity, f)
        if monthly.empty or monthly["revenue"].fillna(0).sum() == 0:
            empty_state("No revenue invoiced in this period for these filters.")
        else:
            # Months still to be invoiced (or still running) are drawn apart: their bars will grow.
            fig = bars(monthly, "month", "revenue", "%{x|%b %Y}<br>€%{y:,.0f} invoiced", colour_by="status",
                       colours=dict(zip(MONTH_STATUSES, ("#1B3A6B", "#A9B8D0", "#D9DEE8"))))
            fig.update_yaxes(tickprefix="€")
            chart(style_figure(fig, "Revenue by month (fees by invoice date)", "Month of invoice",
                               "Revenue invoiced (€)"), "overview_revenue_chart")
            definition(monthly_activity, label="Definition: revenue by month")
        warm_other_periods(headline, monthly_activity)
    elif cached(has_crm):
        st.info("CRM export only: these are pipeline numbers. Upload the back-office export for revenue.",
                icon=":material/info:")
        numbers = cached(crm_headline, f)
        headline_answer(win_rate_sentence(numbers, current_locale()))
        metric_row(numbers, glossary=definition_text(crm_headline))
        for note in numbers["note"].dropna().unique():
            st.caption(note)
        definition(crm_headline, label="Definition: CRM numbers")
    else:
        empty_state("The warehouse is empty. Upload your exports on the Data page.")

    st.subheader("Data health")
    st.page_link(page_path("data.py"), label=quality_line(), icon=":material/rule:")
    if cached(has_crm) and cached(has_bo):
        st.page_link(page_path("data.py"), label=linking_line(), icon=":material/link:")


overview()
