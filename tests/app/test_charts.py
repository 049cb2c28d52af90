"""Every chart is drawn in the reader's locale (`widgets.chart`): amounts read `1 234 €` in French."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.ui.widgets import money_in_locale

NNBSP = "\u202f"


def figure() -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=["a"], y=[2], hovertemplate="%{x}: €%{y:,.0f} (average €%{customdata[0]:,.0f})",
                texttemplate="€%{y:.2s}")
    fig.add_scatter(x=["a"], y=[0.5], hovertemplate="%{y:.1%} of €%{customdata}", secondary_y=True)
    fig.add_trace(go.Funnel(x=[3], y=["pitch"], hovertemplate="%{x} jobs"))
    fig.update_yaxes(tickprefix="€", secondary_y=False)
    fig.update_yaxes(tickformat=".0%", secondary_y=True)
    return fig


def test_french_puts_the_euro_sign_after_every_amount() -> None:
    fig = money_in_locale(figure(), "fr")
    assert fig.data[0].hovertemplate == f"%{{x}}: %{{y:,.0f}}{NNBSP}€ (average %{{customdata[0]:,.0f}}{NNBSP}€)"
    assert fig.data[0].texttemplate == f"%{{y:.2s}}{NNBSP}€"
    assert fig.data[1].hovertemplate == f"%{{y:.1%}} of %{{customdata}}{NNBSP}€"
    assert fig.data[2].hovertemplate == "%{x} jobs"
    assert (fig.layout.yaxis.tickprefix, fig.layout.yaxis.ticksuffix) == (None, f"{NNBSP}€")
    # the rate axis is left as it is
    assert (fig.layout.yaxis2.tickprefix, fig.layout.yaxis2.ticksuffix) == (None, None)


def test_english_keeps_the_euro_sign_first() -> None:
    assert money_in_locale(figure(), "en").to_dict() == figure().to_dict()
