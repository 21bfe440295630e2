"""The very first visitor of a fresh server, opening a page's own URL: Streamlit runs that page script on its own,
the page declares the navigation and reruns through app.py. The visitor must come out of it remembered (the
owner cookie set), or a reload makes them a stranger to the job or collection they just started."""
from __future__ import annotations

import pytest

from webapp.ui.identity import COOKIE_NAME

pytestmark = pytest.mark.slow


def test_the_first_visitor_opening_a_page_url_is_remembered(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/train")  # the module's server is fresh: this is its first visit
        page.get_by_text("Train & Compare").first.wait_for(timeout=90_000)
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        page.wait_for_function(f"document.cookie.includes('{COOKIE_NAME}=')", timeout=30_000)
        secret = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == COOKIE_NAME)
        page.reload()
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        assert next(cookie["value"] for cookie in context.cookies() if cookie["name"] == COOKIE_NAME) == secret
    finally:
        context.close()
