"""The Train page in Chromium: a live race whose curves grow, a queued second learner, both final scores."""
import os
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

PLOTTED = re.compile(r"(DNN|CNN): (\d+) batch(?:es)?")
VALIDATED = re.compile(r"(DNN|CNN): \d+ batch(?:es)?, (\d+) validation points?")
ERROR_BOX = '[data-testid="stException"]'


def plotted_batches(page) -> int:
    """Batches plotted so far, read from the chart's text summary (the canvas itself has no DOM points)."""
    captions = page.get_by_text("Plotted:").all_inner_texts()
    return sum(int(count) for text in captions for _, count in PLOTTED.findall(text))


def wait_for_plotted(page, at_least: int, timeout: float = 90) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        count = plotted_batches(page)
        if count >= at_least:
            return count
        page.wait_for_timeout(250)
    raise AssertionError(f"fewer than {at_least} batches plotted after {timeout:.0f} s")


def test_race_grows_live_queues_a_second_learner_and_ends_with_both_scores(server, browser):
    first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    first.goto(f"{server}/train?images=30000&epochs=3")
    first.get_by_role("button", name="Start training").click()

    early = wait_for_plotted(first, 2)
    first.wait_for_timeout(3000)
    later = wait_for_plotted(first, early + 1)
    assert later > early, "the plotted curves did not grow while training"
    assert first.get_by_text("Training:").first.is_visible()

    second = browser.new_context().new_page()
    second.goto(f"{server}/train?images=1000&epochs=1")
    second.get_by_role("button", name="Start training").click()
    second.get_by_text("Queued, position 1").wait_for(timeout=30_000)

    first.get_by_text("DNN test accuracy").wait_for(timeout=180_000)
    first.get_by_text("CNN test accuracy").wait_for(timeout=10_000)
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        first.screenshot(path=str(Path(shots) / "train.png"), full_page=True)
    # the queued learner's job runs once the first is done
    second.get_by_text("DNN test accuracy").wait_for(timeout=120_000)


def screenshot(page, name: str) -> None:
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / name))


def test_a_race_at_the_default_settings_shows_no_error_box_from_start_to_stop(server, browser):
    """What a learner gets without touching the form: 60,000 images, the default epochs and models. The first
    seconds have training rows but no validation point yet, the shape tiny test races skip past."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(f"{server}/train")
    page.get_by_role("button", name="Start training").click()
    errors = page.locator(ERROR_BOX)
    started = time.time()
    validated = False
    while not validated or time.time() - started < 10:
        assert errors.count() == 0, errors.first.inner_text()
        summary = " ".join(page.get_by_text("Plotted:").all_inner_texts())
        counts = dict(VALIDATED.findall(summary))
        validated = len(counts) == 2 and all(int(count) > 0 for count in counts.values())
        assert time.time() - started < 300, f"no validation point for both models after 5 minutes: {summary!r}"
        page.wait_for_timeout(500)
    screenshot(page, "train-live-default.png")
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped early").wait_for(timeout=180_000)
    page.get_by_text("CNN test accuracy").wait_for(timeout=30_000)
    page.get_by_role("tab", name="CNN mistakes").wait_for(timeout=60_000)  # the results are drawn to the end
    assert errors.count() == 0, errors.first.inner_text()
    screenshot(page, "train-stopped-default.png")
