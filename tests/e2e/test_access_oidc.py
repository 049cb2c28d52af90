"""Company login for real: the app behind `st.login`, a browser, and a small OpenID provider on loopback.

The provider runs in the test process. It publishes its metadata, sends the browser straight back
with a code and the state (no login form), checks the code, the client's secret and the PKCE
verifier at the token endpoint, and signs the id_token (RS256) with a key made for this run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e.support import ARTIFACTS, CHROMIUM, free_port, running_app, screenshot, wait_for_app

CLIENT_ID = "crossview"
CLIENT_SECRET = "client-secret-for-this-test"
USER = {"sub": "u-1042", "name": "Alice Martin", "email": "alice.martin@agency.example", "email_verified": True}


@dataclass
class Provider:
    """What the test can see of the OpenID provider: its URL, the requests it served, what it refused."""

    url: str = ""
    hits: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # When set, id_tokens are signed with a key the provider does not publish (a forged token).
    forge: bool = False


def _b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def _handler(provider: Provider, key, forged_key) -> type[BaseHTTPRequestHandler]:
    from joserfc import jwt

    codes: dict[str, dict[str, str]] = {}
    access_tokens: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the test reads `provider.hits`, not stderr
            pass

        def _json(self, body: dict, status: int = 200) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _refuse(self, why: str, status: int = 400) -> None:
            provider.refusals.append(why)
            self._json({"error": "invalid_request", "error_description": why}, status)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            provider.hits.append(parts.path)
            if parts.path == "/.well-known/openid-configuration":
                self._json({
                    "issuer": provider.url,
                    "authorization_endpoint": f"{provider.url}/authorize",
                    "token_endpoint": f"{provider.url}/token",
                    "jwks_uri": f"{provider.url}/jwks",
                    "userinfo_endpoint": f"{provider.url}/userinfo",
                    "end_session_endpoint": f"{provider.url}/logout",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "scopes_supported": ["openid", "email", "profile"],
                })
            elif parts.path == "/authorize":
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                    return self._refuse(f"bad authorization request: {query}")
                if "openid" not in query.get("scope", "").split() or not query.get("state"):
                    return self._refuse(f"no openid scope or no state: {query}")
                code = secrets.token_urlsafe(16)
                codes[code] = query
                # No login form: the user is taken as signed in, and sent back with the code and the state.
                self._redirect(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
            elif parts.path == "/jwks":
                self._json({"keys": [key.as_dict(private=False)]})
            elif parts.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in access_tokens:
                    return self._refuse("unknown access token", 401)
                self._json(USER)
            elif parts.path == "/logout":
                back = query.get("post_logout_redirect_uri", "")
                if query.get("client_id") != CLIENT_ID or not back.startswith("http://127.0.0.1:"):
                    return self._refuse(f"bad logout request: {query}")
                self._redirect(back)
            else:
                self._refuse(f"unknown path {parts.path}", 404)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            provider.hits.append(parts.path)
            if parts.path != "/token":
                return self._refuse(f"unknown path {parts.path}", 404)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
            form = {k: v[0] for k, v in parse_qs(body).items()}
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode("utf-8").partition(":")
            else:
                client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
            if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
                return self._refuse("wrong client credentials", 401)
            grant = codes.pop(form.get("code", ""), None)  # a code is good for one exchange only
            if form.get("grant_type") != "authorization_code" or grant is None:
                return self._refuse("unknown or reused code")
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return self._refuse("redirect_uri differs from the authorization request")
            if grant.get("code_challenge_method") != "S256" or \
                    _b64url_sha256(form.get("code_verifier", "")) != grant.get("code_challenge"):
                return self._refuse("PKCE verifier does not match the challenge")
            now = int(time.time())
            claims = {"iss": provider.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": grant.get("nonce"), **USER}
            signing_key = forged_key if provider.forge else key
            id_token = jwt.encode({"alg": "RS256", "kid": signing_key.kid}, claims, signing_key)
            access_token = secrets.token_urlsafe(16)
            access_tokens.add(access_token)
            self._json({"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                        "id_token": id_token, "scope": grant["scope"]})

    return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The OpenID provider, listening on a free loopback port for this module's tests."""
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "crossview-test", "use": "sig", "alg": "RS256"})
    # Same key id, other key: what an attacker forging tokens would send.
    forged = RSAKey.generate_key(2048, parameters={"kid": "crossview-test", "use": "sig", "alg": "RS256"})
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, key, forged))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def oidc_app(provider: Provider, e2e_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with `[auth]` pointing at the provider, from a secrets file used for this run only."""
    port = free_port()
    folder = tmp_path_factory.mktemp("oidc")
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    # `--secrets.files` replaces the usual secrets locations, so a developer's own secrets.toml is not read.
    with running_app(e2e_db, folder / "uploads", folder / "streamlit.log", port=port,
                     options=["--secrets.files", str(secrets_file)],
                     env={"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}) as url:
        yield url


def _login_screen_shown(pg) -> None:
    pg.get_by_role("button", name=re.compile("Log in")).wait_for()
    wait_for_app(pg)
    assert pg.locator('[data-testid="stSidebarNav"]').count() == 0, "no page is listed before login"
    assert pg.locator('[data-testid="stMetric"]').count() == 0, "no figure is shown before login"
    assert pg.get_by_text("Signed in as").count() == 0
    assert pg.locator('[data-testid="stException"]').count() == 0


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed")
def test_login_goes_through_the_provider_and_logout_returns_to_the_login_screen(
        page, oidc_app: str, provider: Provider) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    provider.hits.clear()
    page.goto(oidc_app)
    _login_screen_shown(page)
    screenshot(page, ARTIFACTS / "oidc_1_login_screen.png")

    with page.expect_navigation(url=f"{oidc_app}/", timeout=30_000):
        page.get_by_role("button", name=re.compile("Log in")).click()
    page.get_by_text("Signed in as").wait_for()
    wait_for_app(page)
    assert provider.refusals == []
    assert ["/authorize", "/token"] == [h for h in provider.hits if h in ("/authorize", "/token")]
    assert urlsplit(page.url).netloc == urlsplit(oidc_app).netloc, "back on the app after the provider"
    sidebar = page.locator('[data-testid="stSidebar"]')
    signed_in = sidebar.get_by_text("Signed in as").inner_text()
    assert USER["name"] in signed_in and USER["email"] in signed_in, signed_in
    nav = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert any("Overview" in t for t in nav) and any("Data & linking" in t for t in nav), nav
    assert page.locator('[data-testid="stMetric"]').count() > 0, "the Overview's figures are shown"
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, ARTIFACTS / "oidc_2_signed_in.png")

    # The identity cookie keeps the user signed in on a new visit.
    page.goto(oidc_app)
    page.get_by_text("Signed in as").wait_for()

    sidebar.get_by_role("button", name=re.compile("Log out")).click()
    _login_screen_shown(page)
    assert "/logout" in provider.hits, "the provider's session is ended too"
    assert provider.refusals == []
    screenshot(page, ARTIFACTS / "oidc_3_logged_out.png")
    # The cookie is gone: a new visit asks to log in again.
    page.goto(oidc_app)
    _login_screen_shown(page)


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's /usr/bin/chromium is not installed")
def test_a_forged_id_token_does_not_sign_anyone_in(page, oidc_app: str, provider: Provider) -> None:
    provider.forge = True
    provider.hits.clear()
    try:
        page.goto(oidc_app)
        _login_screen_shown(page)
        # Login leaves for the provider and comes back to the app's root through the callback.
        with page.expect_navigation(url=f"{oidc_app}/", timeout=30_000):
            page.get_by_role("button", name=re.compile("Log in")).click()
        _login_screen_shown(page)
        assert "/token" in provider.hits, "the code was exchanged: the app refused the token itself"
    finally:
        provider.forge = False


# --- the `[auth]` settings, checked before the login button is offered (no browser needed) ---------------

COMPLETE = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32,
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}


def test_missing_settings_names_what_login_needs() -> None:
    from app.access import missing_settings

    assert missing_settings(COMPLETE) == []
    assert missing_settings({"client_id": CLIENT_ID}) == [
        "auth.redirect_uri", "auth.cookie_secret", "auth.client_secret", "auth.server_metadata_url"]
    shared = {k: COMPLETE[k] for k in ("redirect_uri", "cookie_secret")}
    named = dict(shared, microsoft={"client_id": CLIENT_ID, "server_metadata_url": "https://x.example"})
    assert missing_settings(named) == ["auth.microsoft.client_secret"]


def test_login_needs_httpx_as_well_as_authlib(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from app.access import login_available

    assert login_available()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "httpx" else real(name, *a))
    assert not login_available()


def test_incomplete_login_settings_are_named_instead_of_failing_at_login(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.e2e.support import ROOT

    # The access screen comes before the warehouse is opened: none is needed.
    monkeypatch.setenv("CROSSVIEW_DB", str(tmp_path / "none" / "crossview.duckdb"))
    monkeypatch.setenv("CROSSVIEW_UPLOADS", str(tmp_path / "uploads"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.secrets["auth"] = {k: v for k, v in COMPLETE.items() if k != "cookie_secret"}
    at.run()
    assert not at.exception
    assert "`auth.cookie_secret`" in at.error[0].value and not at.button
    assert not (tmp_path / "none").exists()
