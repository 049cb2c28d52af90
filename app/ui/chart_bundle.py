"""The script the charts are drawn with (`app/ui/charts.py`) as the server serves it: its route, and the
middleware by which the app's page starts loading it as it opens. Kept apart from `charts` (Plotly,
Streamlit's elements) so that `app/serve.py` imports nothing heavy before the server listens.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

BUNDLE = Path(__file__).resolve().parent / "assets" / "plotly-crossview.min.js"


@cache
def bundle_bytes(encoding: str) -> bytes:
    """The bundle as sent with `encoding` (`gzip`, or `identity`: as it is); read once per process."""
    if encoding == "gzip":
        return gzip.compress(bundle_bytes("identity"), compresslevel=9)
    return BUNDLE.read_bytes()


# The name changes with the content, so browsers may keep the script for good.
BUNDLE_URL = f"/crossview/plotly-{hashlib.sha256(bundle_bytes('identity')).hexdigest()[:12]}.js"


# Loading the bundle: one promise per page for all its charts, started by the page's HTML itself
# (`PreloadCharts`) so that Plotly loads while Streamlit's own scripts start, else by the first chart.
# A page whose HTML names another bundle (cached before an upgrade) loads this one.
LOAD = f"const SOURCE = {json.dumps(BUNDLE_URL)};" + """
if (window.crossviewPlotlySource !== SOURCE || !window.crossviewPlotly) {
  window.crossviewPlotlySource = SOURCE;
  window.crossviewPlotly = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SOURCE;
    script.async = true;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => { window.crossviewPlotly = undefined; reject(new Error("no Plotly")); };
    document.head.appendChild(script);
  });
}
"""


def bundle_route() -> Any:
    """The server's route for the bundle: compressed when the browser accepts it, cached for a year
    (its name changes with its content)."""
    from starlette.responses import Response
    from starlette.routing import Route

    async def bundle(request: Any) -> Response:
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(bundle_bytes("gzip"), media_type="text/javascript", headers=headers | {"Content-Encoding": "gzip"})
        return Response(bundle_bytes("identity"), media_type="text/javascript", headers=headers)

    return Route(BUNDLE_URL, bundle, methods=["GET"])


class PreloadCharts:
    """ASGI middleware: the app's HTML page starts loading the charts' Plotly (`LOAD`) as it opens,
    instead of when its first chart arrives, some 1–2.5 s later: the download and the script's run then
    overlap Streamlit's own start. The page loses its validators (`ETag`, `Last-Modified`: Streamlit's
    are those of its own file), so a browser never keeps a copy naming a bundle no longer served."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        zipped = False
        body: list[bytes] = []

        async def rewrite(message: dict) -> None:
            nonlocal start, zipped
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message["headers"]}
                encoding = headers.get(b"content-encoding", b"identity")
                # Streamlit gzips every page's HTML but the root's: those are rewritten too.
                if (message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html")
                        and encoding in (b"identity", b"gzip")):
                    start, zipped = message, encoding == b"gzip"
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                html = b"".join(body)
                html = (gzip.decompress(html) if zipped else html).replace(b"</head>", _PRELOAD_TAG + b"</head>", 1)
                if zipped:
                    html = gzip.compress(html)
                kept = [(k, v) for k, v in start["headers"]
                        if k.lower() not in (b"content-length", b"etag", b"last-modified")]
                await send({**start, "headers": [*kept, (b"content-length", str(len(html)).encode())]})
                message = {"type": "http.response.body", "body": html}
            await send(message)

        await self.app(scope, receive, rewrite)


_PRELOAD_TAG = f"<script>{{{LOAD}}}</script>".encode()  # a block: its `const` stays out of the page's globals
