"""`bench startup`: seconds from starting the server to the Home page shown in Chromium."""
from __future__ import annotations

import statistics
import time
from typing import Any

from webapp.bench.common import Log
from webapp.lab_server import CHROMIUM_ARGS, chromium_path, free_port, start_server, stop_server, wait_until_healthy


def startup_benchmark(repeats: int = 3, log: Log = print, marker: str = "Welcome to ConvNet Lab") -> dict[str, Any]:
    """Seconds from launching the server to the Home page's heading being visible in Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("bench startup needs Playwright: pip install -r requirements-dev.txt.") from None
    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for attempt in range(repeats):
            port = free_port()
            started = time.perf_counter()
            server = start_server(port)
            try:
                wait_until_healthy(port)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text(marker).first.wait_for(timeout=60_000)
                timings.append(time.perf_counter() - started)
                page.close()
            finally:
                stop_server(server)
            log(f"start {attempt + 1}: Home shown after {timings[-1]:.2f} s")
        browser.close()
    return {"benchmark": "startup", "seconds": timings, "median_seconds": statistics.median(timings)}
