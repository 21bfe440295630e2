"""This browser's owner secret (see `webapp.ownership`): kept in a cookie so it survives reloads and new tabs.

Streamlit has no login. The secret is made on a browser's first visit, held in the session, and written to a
first-party cookie by a tiny script (`st.html` with JavaScript), which the server reads back from the next
connection's headers (`st.context.cookies`). A second browser (or a private window) has no cookie, so it gets
a secret of its own: it can open someone's link, but not change what is behind it.
"""
from __future__ import annotations

import streamlit as st

from webapp.ownership import is_valid_secret, new_secret, owner_key

COOKIE_NAME = "convnet_lab_owner"
SESSION_KEY = "visitor_secret"
_WRITTEN_KEY = "visitor_cookie_written"
COOKIE_DAYS = 365


def _cookie_secret() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser behind this run (AppTest, bare mode): there are no cookies
        return None
    return value if is_valid_secret(value) else None


def visitor_secret() -> str:
    """The owner secret of this browser: the cookie's, or a new one for a browser seen for the first time."""
    secret = st.session_state.get(SESSION_KEY)
    if not is_valid_secret(secret):
        secret = _cookie_secret() or new_secret()
        st.session_state[SESSION_KEY] = secret
    return secret


def visitor_key() -> str:
    """The server-side key of this browser's secret (what jobs and collections record as their owner)."""
    return owner_key(visitor_secret())


def remember_visitor() -> None:
    """Write the secret to the browser's cookie once per session, when the browser does not have it yet.

    Called by the shared page frame on every run, so the first page a visitor opens sets it."""
    secret = visitor_secret()
    if st.session_state.get(_WRITTEN_KEY) or _cookie_secret() == secret:
        return
    if not st.context.headers:  # AppTest: no browser to keep a cookie
        return
    st.session_state[_WRITTEN_KEY] = True
    max_age = COOKIE_DAYS * 24 * 3600
    st.html(f"<script>document.cookie = '{COOKIE_NAME}={secret}; path=/; max-age={max_age}; SameSite=Strict';"
            "</script>", unsafe_allow_javascript=True)
