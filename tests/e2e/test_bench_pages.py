"""`bench pages --runs 1` against the test server: it drives the pages and reports one JSON line per action.
No timing is asserted (shared, noisy machines): only that each action finished and was reported."""
import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test


def test_bench_pages_reports_a_line_per_page_and_action(server, browser):  # browser: skips where no Chromium
    finished = subprocess.run([sys.executable, "-m", "webapp", "bench", "pages", "--runs", "1", "--pages",
                               "home,augment", "--url", server, "--json"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    lines = [json.loads(line) for line in finished.stdout.splitlines()]
    assert [(line["page"], line["action"]) for line in lines] == [
        ("home", "first visit"), ("augment", "first visit"), ("augment", "press Resample"),
        ("augment", "press Resample on a photo")]
    assert all(len(line["runs_ms"]) == 1 and line["median_ms"] > 0 for line in lines)
    assert "augment, press Resample, run 1" in finished.stderr
