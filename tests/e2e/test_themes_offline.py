"""Every page in Chromium, in the light and the dark theme, with the network closed to everything but the lab:
no request leaves the lab's own server (a classroom may be offline), no page shows an exception, the page
follows the browser's colour scheme, and the drawing canvas stays paper-white with dark ink in both themes.
Screenshots of every page in both themes go to test-results/themes/ (or $SCREENSHOT_DIR/themes)."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from webapp.ui.navigation import PAGES

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TITLES = {entry.url_path: entry.title for entry in PAGES}
TITLES["home"] = "Welcome to ConvNet Lab"


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", "test-results")) / "themes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_until_shown(page, title: str, timeout: float = 120.0) -> None:
    """The page's title is up and the script has finished (no running indicator for a moment)."""
    page.get_by_role("heading", name=title, level=1).first.wait_for(timeout=timeout * 1000)
    deadline, quiet_since = time.time() + timeout, None
    while time.time() < deadline:
        if (page.locator("[data-testid=stStatusWidget]").count() == 0
                and page.locator("[data-testid=stSkeleton]").count() == 0):
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since > 1.5:
                return
        else:
            quiet_since = None
        time.sleep(0.2)
    raise AssertionError(f"{title} never finished running")


def luminance(css_colour: str) -> float:
    red, green, blue = (float(part) for part in css_colour[css_colour.index("(") + 1:].rstrip(")").split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_served_by_the_lab_alone_and_reads_in_both_themes(server, browser, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_the_lab(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:  # what an offline classroom would see: nothing answers
            outside.append(url)
            route.abort()

    context.route("**/*", only_the_lab)
    page = context.new_page()
    try:
        for entry in PAGES:
            page.goto(f"{server}/{'' if entry.url_path == 'home' else entry.url_path}")  # Home lives at `/`
            wait_until_shown(page, TITLES[entry.url_path])
            assert page.locator("[data-testid=stException]").count() == 0, f"{entry.title} shows an exception"
            background = page.evaluate(
                "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
            if scheme == "dark":
                assert luminance(background) < 80, f"{entry.title} is not dark: {background}"
            else:
                assert luminance(background) > 200, f"{entry.title} is not light: {background}"
            page.screenshot(path=str(screenshot_dir() / f"{scheme}-{entry.url_path}.png"))
            if entry.url_path == "draw":
                canvas = page.locator("canvas.upper-canvas").first
                canvas.scroll_into_view_if_needed()
                paper = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
                assert sum(paper.getdata()) / (paper.width * paper.height) > 200, "the canvas is paper-white"
    finally:
        context.close()
    assert outside == [], f"the browser tried to fetch from outside the lab: {sorted(set(outside))}"


def test_home_opens_at_its_own_name_too_without_a_page_not_found_dialog(server, browser):
    """Streamlit serves the default page at `/` only; `/home` (its name in PAGES) used to answer with a
    "Page not found" dialog before showing Home."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        page.goto(f"{server}/home")
        wait_until_shown(page, TITLES["home"])
        assert page.get_by_text("Page not found").count() == 0
        assert urlparse(page.url).path == "/", page.url
    finally:
        page.context.close()
