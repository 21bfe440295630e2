"""A real server and a real browser: Playwright drives Debian's Chromium (no browser download)."""
from __future__ import annotations

import os

import pytest

from webapp.lab_server import CHROMIUM_ARGS, chromium_path, free_port, start_server, stop_server, wait_until_healthy


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free port with a private runs store; stopped after the module."""
    home = tmp_path_factory.mktemp("lab-home")
    port = free_port()
    process = start_server(port, env={"CONVNET_LAB_HOME": str(home)})
    try:
        wait_until_healthy(port, timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        except Exception as error:  # no browser on a developer's machine: say so, but never in CI
            if os.environ.get("CI"):
                raise
            pytest.skip(f"no Chromium to drive ({type(error).__name__}); apt-get install chromium")
        yield launched
        launched.close()
