import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT
from webapp.jobs import reset_machine_queue
from webapp.ui.identity import SESSION_KEY

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(autouse=True)
def clean_server_state():
    """Stop training workers and clear Streamlit caches between tests."""
    reset_machine_queue()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    reset_machine_queue()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str | None = None, browser_of: AppTest | None = None, **query) -> AppTest:
    """A fresh session on `page`; `browser_of` makes it the same browser as that session (its owner cookie),
    as a reload or a second tab would be. Without it, the session is a different browser."""
    at = AppTest.from_file(APP, default_timeout=60)
    if browser_of is not None:
        at.session_state[SESSION_KEY] = browser_of.session_state[SESSION_KEY]
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
