"""The Augment page in Chromium: add a transform, see the grid change, download the pipeline as YAML, then
train with it on the Train page."""
import os
import time
from pathlib import Path

import pytest
import yaml

from webapp import augment

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

# the captions put zero-width spaces between the words of a name (break opportunities): read them without
CAPTIONS_JS = ("() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
               ".map(node => node.innerText.replaceAll('\\u200b', ''))")


def sample_captions(page) -> list[str]:
    """The augmented samples' captions (the originals sit in a closed expander)."""
    return [caption for caption in page.evaluate(CAPTIONS_JS) if ":" in caption]


def wait_for_captions(page, condition, timeout: float = 60.0) -> list[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        captions = sample_captions(page)
        if page.locator("[data-testid=stStatusWidget]").count() == 0 and len(captions) == 16 and condition(captions):
            return captions
        time.sleep(0.2)
    raise AssertionError(f"the grid never showed what was expected: {sample_captions(page)}")


def test_adding_a_transform_changes_the_grid_and_the_yaml_downloads(server, browser, tmp_path):
    page = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True).new_page()
    page.goto(f"{server}/augment")
    before = wait_for_captions(page, lambda captions: True, timeout=90)
    assert not any("VerticalFlip" in caption for caption in before)

    page.get_by_test_id("stSelectbox").filter(has_text="Transform").click()
    page.get_by_role("option", name="Geometric · VerticalFlip").click()
    page.get_by_role("button", name="Add").click()
    page.get_by_text("3. VerticalFlip").wait_for(timeout=30_000)
    after = wait_for_captions(page, lambda captions: any("VerticalFlip" in caption for caption in captions))
    assert after != before
    page.get_by_text("a flipped 6 reads as a 9").wait_for(timeout=10_000)
    page.get_by_text("VerticalFlip(p 0.5)").wait_for(timeout=30_000)  # the export panel, drawn last, is up to date

    with page.expect_download() as download_info:
        page.get_by_role("button", name="YAML").click()
    download = download_info.value
    assert download.suggested_filename == "pipeline.yaml"
    saved = tmp_path / "pipeline.yaml"
    download.save_as(saved)
    data = yaml.safe_load(saved.read_text())
    assert [entry["__class_fullname__"] for entry in data["transform"]["transforms"]] == \
        ["Rotate", "Blur", "VerticalFlip"]
    assert augment.read_pipeline_file(saved) == data, "the download is a valid pipeline for the lab's own loader"
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "augment.png"), full_page=True)

    page.get_by_role("link", name="Train with this pipeline").click()
    page.get_by_text("Training images pass through: Rotate").wait_for(timeout=60_000)
    for slider in ("Training images", "Epochs"):  # the smallest run: 1,000 images, one epoch
        page.get_by_test_id("stSlider").filter(has_text=slider).get_by_role("slider").focus()
        page.keyboard.press("Home")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Trained on augmented images: Rotate").first.wait_for(timeout=180_000)
    assert page.get_by_text("VerticalFlip").count() >= 1
