"""Every chart is drawn in the reader's locale (`widgets.chart`): amounts read `1 234 €` in French; and by the
app's own Plotly (`app/ui/charts.py`), which the server serves."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version
from plotly.subplots import make_subplots
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from app.ui import chart_bundle, charts
from app.ui.widgets import money_in_locale, percents_in_locale
from core import formats

ROOT = Path(__file__).resolve().parents[2]

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


def test_french_percentages_take_the_currency_flag_that_writes_a_spaced_percent_sign() -> None:
    fig = figure()
    fig.add_scatter(x=["a"], y=[0.1], hovertemplate="%{x}: %{y:+,.1%} (%{customdata[0]:.0%}), %{x|%b %Y}",
                    texttemplate="%{y:$.1%}")
    fig = percents_in_locale(fig, "fr")
    assert fig.data[1].hovertemplate == "%{y:$.1%} of €%{customdata}"
    # d3 wants the `$` after the sign; a date format and a format already flagged are left alone
    assert fig.data[3].hovertemplate == "%{x}: %{y:+$,.1%} (%{customdata[0]:$.0%}), %{x|%b %Y}"
    assert fig.data[3].texttemplate == "%{y:$.1%}"
    assert fig.data[0].hovertemplate == figure().data[0].hovertemplate
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis2.tickformat) == (None, "$.0%")
    # the French chart locale's currency is that ` %`, after the number
    assert formats.plotly_config("fr")["locales"]["fr"]["format"]["currency"] == ["", f"{NNBSP}%"]
    assert percents_in_locale(figure(), "en").to_dict() == figure().to_dict()


# --- The charts' own Plotly (app/ui/charts.py) ---


def test_a_chart_reaches_the_browser_in_the_house_look_with_its_config() -> None:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    sent = json.loads(charts.figure_json(fig, {"locale": "fr"}))
    assert [trace["type"] for trace in sent["figure"]["data"]] == ["bar"]
    assert sent["figure"]["data"][0]["y"] == [1, 2]
    layout = sent["figure"]["layout"]
    assert layout["template"]["layout"]["font"]["family"] == '"Source Sans", sans-serif'
    assert layout["height"] == charts.DEFAULT_HEIGHT  # a box without a height would collapse
    assert sent["config"] == {"displaylogo": False, "responsive": True, "locale": "fr"}
    tall = json.loads(charts.figure_json(go.Figure(go.Bar(x=[1], y=[1]), layout={"height": 700}), {}))
    assert tall["figure"]["layout"]["height"] == 700


def test_a_trace_type_the_bundle_lacks_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"\['pie'\].*plotly_entry\.js"):
        charts.figure_json(go.Figure([go.Bar(x=[1], y=[1]), go.Pie(values=[1, 2])]), {})


def test_the_bundle_holds_the_trace_types_python_allows_and_no_other() -> None:
    registered = set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", (ROOT / "scripts" / "plotly_entry.js").read_text()))
    assert registered == {"core", "bar", "heatmap", "funnel"}
    bundle = chart_bundle.BUNDLE.read_text()
    assert set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle)) == charts.TRACE_TYPES
    assert charts.TRACE_TYPES == {"scatter"} | registered - {"core"}  # the core brings scatter


def test_the_bundle_is_the_plotly_js_that_python_plotly_writes_figures_for() -> None:
    banner = chart_bundle.BUNDLE.read_text()[:200]
    assert banner.startswith(f"/*! plotly.js {get_plotlyjs_version()}, partial bundle"), banner
    assert f"PLOTLY_JS={get_plotlyjs_version()}\n" in (ROOT / "scripts" / "build_plotly.sh").read_text()


def test_the_server_serves_the_bundle_compressed_and_cached_for_good() -> None:
    client = TestClient(Starlette(routes=[chart_bundle.bundle_route()]))
    raw = chart_bundle.BUNDLE.read_bytes()
    assert chart_bundle.BUNDLE_URL == f"/crossview/plotly-{hashlib.sha256(raw).hexdigest()[:12]}.js"
    zipped = client.get(chart_bundle.BUNDLE_URL, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == raw and int(zipped.headers["content-length"]) < len(raw) / 2
    plain = client.get(chart_bundle.BUNDLE_URL, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw
    for response in (zipped, plain):
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/crossview/plotly-000000000000.js").status_code == 404


def _site() -> TestClient:
    async def page(_):
        return HTMLResponse("<html><head><title>x</title></head><body></body></html>", headers={"ETag": '"file"'})

    async def script(_):
        return Response("let head = '</head>';", media_type="text/javascript")

    async def unchanged(_):
        return Response(status_code=304, headers={"ETag": '"file"'})

    # Like Streamlit, which gzips every page's HTML but the root's, inside the app's own middleware.
    zipped = Starlette(routes=[Route("/clients", page)], middleware=[Middleware(GZipMiddleware, minimum_size=1)])
    app = Starlette(routes=[Route("/", page), Mount("/z", zipped), Route("/app.js", script),
                            Route("/cached", unchanged)], middleware=[Middleware(chart_bundle.PreloadCharts)])
    return TestClient(app)


def test_the_app_page_starts_loading_the_charts_plotly_as_it_opens() -> None:
    client = _site()
    for path, encoding in (("/", None), ("/z/clients", "gzip")):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("content-encoding") == encoding
        html = response.text
        # the loader sits at the end of the head, once, naming the bundle the server serves
        assert html.count("<script>") == 1 and html.index("<script>") < html.index("</head>") < html.index("<body>")
        assert f'const SOURCE = "{chart_bundle.BUNDLE_URL}"' in html and "window.crossviewPlotly" in html
        assert int(response.headers["content-length"]) == response.num_bytes_downloaded
        # no validator of the unchanged file: a browser never keeps a page naming an old bundle
        assert "etag" not in response.headers
    assert client.get("/app.js").text == "let head = '</head>';"
    assert client.get("/cached").status_code == 304
    assert client.post("/").status_code == 405
