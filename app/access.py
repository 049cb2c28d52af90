"""Who may open the app.

Three modes, chosen by `.streamlit/secrets.toml` (see docs/app.md):
1. `[auth]` configured → OpenID Connect login with `st.login` (the identity provider decides);
2. otherwise `[access] password = "..."` → one shared password;
3. otherwise open (meant for a laptop on localhost).
"""

from __future__ import annotations

import hmac
import importlib.util
from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.ui.widgets import plain

PASSWORD_OK_KEY = "access_password_ok"


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


def _check_password() -> None:
    expected = str(_secrets()["access"]["password"])
    given = st.session_state.get("access_password", "")
    # Constant-time comparison: the time taken does not tell how much of the password was right.
    st.session_state[PASSWORD_OK_KEY] = hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    st.session_state["access_password"] = ""
    st.session_state["access_password_tried"] = True


def _password_gate() -> bool:
    if st.session_state.get(PASSWORD_OK_KEY):
        return True
    st.title("Crossview")
    with st.form("access_form"):
        st.text_input("Password", type="password", key="access_password")
        st.form_submit_button("Enter", on_click=_check_password, type="primary")
    if st.session_state.get("access_password_tried"):
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
