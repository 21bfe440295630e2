"""The CNN Stages page in Chromium: upload a photo and see it go through convolution, ReLU and pooling."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test


def test_an_uploaded_photo_goes_through_conv_relu_and_pool(server, browser, tmp_path):
    rows, cols = np.mgrid[0:64, 0:80]
    pattern = np.stack([rows * 4, cols * 3, ((rows // 8 + cols // 8) % 2) * 255], axis=-1).astype(np.uint8)
    photo = tmp_path / "photo.png"
    Image.fromarray(pattern).save(photo)

    page = browser.new_context(viewport={"width": 1400, "height": 2400}).new_page()
    page.goto(f"{server}/stages")
    page.get_by_text("4 · Pooling: 150x225x4").wait_for(timeout=90_000)  # the sample photo comes first
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_text("1 · Input: 64x80x3").wait_for(timeout=60_000)
    for heading in ("2 · Convolution: 64x80x4", "3 · ReLU: 64x80x4", "4 · Pooling: 32x40x4"):
        page.get_by_text(heading).wait_for(timeout=10_000)
    images = page.locator("[data-testid=stImage] img")
    assert images.count() == 16  # the photo and its 3 channels, then 4 maps per stage
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)", timeout=30_000)
    assert page.get_by_text("This file is not an image").count() == 0
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "stages.png"), full_page=True)
