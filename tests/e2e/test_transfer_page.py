"""The Transfer page in Chromium: one cell at the page's default settings (four recipes race on 1,000 digits 5-9
for two epochs), its grid cell fills with four accuracies and a verdict, and a reload in the dark theme finds it."""
import os
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server, a real browser and four networks trained

ERROR_BOX = '[data-testid="stException"]'
RECIPE_LABELS = ("New head, all else frozen", "First conv block only, frozen", "Fine-tune everything", "From scratch")
VERDICT = re.compile(r"(Agrees|Disagrees) with the seed")


def screenshot(page, name: str) -> None:
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / name), full_page=True)


def wait_for_verdict(page, timeout: float) -> str:
    """The first verdict shown in the grid, waiting while checking that no exception box appears."""
    errors, verdicts = page.locator(ERROR_BOX), page.get_by_text(VERDICT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert errors.count() == 0, errors.first.inner_text()
        if verdicts.count():
            return verdicts.first.inner_text()
        page.wait_for_timeout(500)
    raise AssertionError(f"no verdict in the grid after {timeout:.0f} s")


def test_one_cell_at_the_default_settings_races_four_recipes_and_fills_the_grid(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2600})  # tall: the screenshots show it all
    page = context.new_page()
    page.goto(f"{server}/transfer")
    page.get_by_role("button", name="Train this cell").click()
    page.get_by_text("Plotted:").first.wait_for(timeout=120_000)  # the live race, drawn under the buttons
    live = " ".join(page.get_by_text("Plotted:").all_inner_texts())
    assert all(f"{label}:" in live for label in RECIPE_LABELS), live
    screenshot(page, "transfer-live.png")

    verdict = wait_for_verdict(page, timeout=600)
    table = page.locator("table").filter(has_text="Test accuracy").first.inner_text()  # the one cell measured
    assert all(label in table for label in RECIPE_LABELS) and len(re.findall(r"\d+\.\d%", table)) == 4, table
    assert "winner" in table and verdict.startswith(("Agrees", "Disagrees"))
    page.get_by_text("New head, all else frozen test accuracy").first.wait_for(timeout=60_000)  # the job's details
    assert page.locator(ERROR_BOX).count() == 0
    screenshot(page, "transfer-light.png")
    page.get_by_text("Download the runs").first.scroll_into_view_if_needed()
    screenshot(page, "transfer-light-details.png")

    page.emulate_media(color_scheme="dark")  # the same browser (its cookie) reloads: the grid is rebuilt
    page.reload()
    wait_for_verdict(page, timeout=120)
    page.get_by_text("New head, all else frozen test accuracy").first.wait_for(timeout=60_000)
    assert page.locator(ERROR_BOX).count() == 0
    screenshot(page, "transfer-dark.png")
    context.close()
