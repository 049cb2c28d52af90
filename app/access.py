"""Who may open the app.

Three modes, chosen by `.streamlit/secrets.toml` (see docs/app.md):
1. `[auth]` configured → OpenID Connect login with `st.login` (the identity provider decides);
2. otherwise `[access] password = "..."` → one shared password;
3. otherwise open (meant for a laptop on localhost).

In password mode, wrong passwords are slowed down (per browser session and for the whole server),
and signing in sets a signed cookie that keeps the browser signed in until it is closed.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.ui.widgets import plain

PASSWORD_OK_KEY = "access_password_ok"
COOKIE = "crossview_access"
COOKIE_HOURS = 12  # a signed-in browser session lasts at most this long
FREE_TRIES = 3  # wrong passwords a browser session may type before each try waits
SESSION_WAIT_MAX = 60  # seconds: the longest a session waits (1, 2, 4… s after the free tries)
SERVER_TRIES = 10  # wrong passwords per minute from all sessions together, beyond which every try waits
_FAILURES: deque[float] = deque()  # times of the server's recent wrong passwords
_FAILURES_LOCK = threading.Lock()


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no or unreadable secrets file means "not configured"
        return {}


def access_mode() -> str:
    """`oidc`, `password` or `open`, from the secrets."""
    secrets = _secrets()
    if isinstance(secrets.get("auth"), Mapping) and secrets["auth"]:
        return "oidc"
    access = secrets.get("access")
    if isinstance(access, Mapping) and str(access.get("password") or ""):
        return "password"
    return "open"


# What `st.login` needs in `[auth]`, and for the provider (in `[auth]` itself or in `[auth.<name>]`).
SHARED_SETTINGS = ("redirect_uri", "cookie_secret")
PROVIDER_SETTINGS = ("client_id", "client_secret", "server_metadata_url")


def _provider(auth: Mapping[str, Any]) -> str | None:
    """The named provider when `[auth.<name>]` sections are used, None for a single `[auth]`."""
    if "client_id" in auth:
        return None
    named = [k for k, v in auth.items() if isinstance(v, Mapping) and "client_id" in v]
    return named[0] if named else None


def missing_settings(auth: Mapping[str, Any]) -> list[str]:
    """The `[auth]` settings `st.login` needs and the secrets leave out (empty when login can start).

    Args:
        auth: the `[auth]` section of secrets.toml.

    Returns:
        Setting names as written in secrets.toml, e.g. `auth.cookie_secret` or `auth.google.client_id`.
    """
    missing = [f"auth.{name}" for name in SHARED_SETTINGS if not auth.get(name)]
    name = _provider(auth)
    section = auth if name is None else auth[name]
    prefix = "auth." if name is None else f"auth.{name}."
    return missing + [prefix + key for key in PROVIDER_SETTINGS if not section.get(key)]


def login_available() -> bool:
    """Whether `st.login` can run: Streamlit needs the Authlib package, and httpx for the token exchange."""
    return all(importlib.util.find_spec(package) is not None for package in ("authlib", "httpx"))


def _oidc_gate() -> bool:
    if st.user.get("is_logged_in", False):
        # The provider's name and email are shown as typed: they are not markdown.
        name, email = (str(st.user.get(k) or "") for k in ("name", "email"))
        who = f"{plain(name)} ({plain(email)})" if name and email else plain(name or email) or "you"
        with st.sidebar:
            st.caption(f"Signed in as {who}")
            st.button("Log out", on_click=st.logout, icon=":material/logout:", type="tertiary")
        return True
    st.title("Crossview")
    if not login_available():
        st.error("Login is configured in secrets.toml, but the Authlib and httpx packages it needs are not "
                 "installed: run `pip install -r requirements.txt` (or `pip install Authlib httpx`) on the server.")
        return False
    auth = _secrets()["auth"]
    missing = missing_settings(auth)
    if missing:
        # Caught here rather than when the button is pressed, where st.login would fail with a traceback.
        st.error("Login is configured in secrets.toml but incomplete: set " + ", ".join(f"`{m}`" for m in missing)
                 + " (see docs/app.md, Access).")
        return False
    st.write("Sign in with your company account to see the agency's data.")
    st.button("Log in", on_click=st.login, args=(_provider(auth),), type="primary", icon=":material/login:")
    return False


def _signing_key() -> bytes:
    """The cookie's signing key: from the password and, when set, `[access] cookie_secret`.

    A new password (or secret) signs every browser out.
    """
    access = _secrets()["access"]
    material = f"{access.get('cookie_secret') or ''}\0{access['password']}".encode()
    return hashlib.sha256(b"crossview access cookie\0" + material).digest()


def _token(issued: int) -> str:
    body = f"{issued}.{secrets.token_hex(8)}"
    return body + "." + hmac.new(_signing_key(), body.encode(), hashlib.sha256).hexdigest()


def valid_token(token: object, now: float) -> bool:
    """Whether a cookie value was signed by this server with the current password and is recent enough."""
    if not isinstance(token, str):
        return False
    issued, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    if not (issued.isdigit() and nonce and mac):
        return False
    expected = hmac.new(_signing_key(), f"{issued}.{nonce}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, expected) and 0 <= now - int(issued) <= COOKIE_HOURS * 3600


def _set_cookie(value: str, max_age: int | None = None) -> None:
    """Set (or, with max_age 0, clear) the access cookie in the browser: a session cookie by default.

    Streamlit has no API to set a cookie, so a line of script does; the value is our own hex token.
    """
    age = "" if max_age is None else f"; max-age={max_age}"
    st.html(f"<script>document.cookie = '{COOKIE}={value}; path=/; SameSite=Strict{age}' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


def wait_seconds(session_failures: int, now: float) -> float:
    """How long a new try must wait: after the session's free tries, or while the server is under attack."""
    wait = 0.0
    if session_failures >= FREE_TRIES:
        last = st.session_state.get("access_last_failure", 0.0)
        wait = last + min(2 ** (session_failures - FREE_TRIES), SESSION_WAIT_MAX) - now
    with _FAILURES_LOCK:
        while _FAILURES and now - _FAILURES[0] > 60:
            _FAILURES.popleft()
        if len(_FAILURES) >= SERVER_TRIES:
            wait = max(wait, 60 - (now - _FAILURES[0]))
    return max(wait, 0.0)


def _check_password() -> None:
    state = st.session_state
    given = state.get("access_password", "")
    state["access_password"] = ""
    state["access_password_tried"] = True
    now = time.time()
    failures = state.get("access_failures", 0)
    wait = wait_seconds(failures, now)
    if wait > 0:
        state["access_wait"] = wait
        return
    state.pop("access_wait", None)
    expected = str(_secrets()["access"]["password"])
    # Constant-time comparison: the time taken does not tell how much of the password was right.
    ok = hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    state[PASSWORD_OK_KEY] = ok
    if ok:
        state["access_failures"] = 0
        state["access_new_cookie"] = _token(int(now))
        return
    state["access_failures"] = failures + 1
    state["access_last_failure"] = now
    with _FAILURES_LOCK:
        _FAILURES.append(now)


def _sign_out() -> None:
    st.session_state[PASSWORD_OK_KEY] = False
    st.session_state["access_signed_out"] = True


def _password_gate() -> bool:
    state = st.session_state
    if state.pop("access_signed_out", False):
        _set_cookie("", max_age=0)
    elif not state.get(PASSWORD_OK_KEY) and valid_token(st.context.cookies.get(COOKIE), time.time()):
        state[PASSWORD_OK_KEY] = True  # signed in earlier in this browser session (reload, new tab)
    if state.get(PASSWORD_OK_KEY):
        cookie = state.pop("access_new_cookie", None)
        if cookie:
            _set_cookie(cookie)
        st.sidebar.button("Sign out", on_click=_sign_out, icon=":material/logout:", type="tertiary")
        return True
    st.title("Crossview")
    with st.form("access_form"):
        st.text_input("Password", type="password", key="access_password")
        st.form_submit_button("Enter", on_click=_check_password, type="primary")
    if state.get("access_wait"):
        st.error(f"Too many wrong passwords: wait {state['access_wait']:.0f} s before trying again.")
    elif state.get("access_password_tried"):
        st.error("Wrong password. Ask your manager for the team's password.")
    return False


def gate() -> bool:
    """Show the login (or password) screen when access is protected; True when the visitor may proceed."""
    mode = access_mode()
    if mode == "oidc":
        return _oidc_gate()
    if mode == "password":
        return _password_gate()
    return True
