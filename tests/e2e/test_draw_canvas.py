"""The Draw page in Chromium: scripted handwriting read by both models, see inside and the robustness explorer,
Clear that empties the canvas's pixels, and the own-digits loop (label, save, fine-tune, before/after)."""
import os
import time
from pathlib import Path

from tests.e2e.digit_strokes import PLACEMENTS, placed

PROMPT = "Draw a digit on the canvas"
INK_PIXELS_JS = """canvases => canvases.reduce((total, canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++; return total + ink; }, 0)"""


def ink_pixels(page) -> int:
    """Inked pixels on the drawing's canvas layers (the component lives in a shadow root, which locators pierce)."""
    return page.locator("canvas.lower-canvas, canvas.upper-canvas").evaluate_all(INK_PIXELS_JS)


def draw_stroke(page, canvas, points):
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    page.mouse.up()


def fresh_canvas(page, timeout: float = 30.0):
    """Saving clears the canvas by mounting a new one: wait until the old one, ink and all, is gone."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        idle = page.locator("[data-testid=stStatusWidget]").count() == 0
        if idle and page.locator("canvas.upper-canvas").count() == 1 and ink_pixels(page) == 0:
            return page.locator("canvas.upper-canvas").first
        time.sleep(0.1)
    raise AssertionError("the canvas was not cleared")


def draw_digit(page, canvas, points, tries: int = 3) -> None:
    """Draw, and again if a freshly mounted canvas was not listening yet (no ink landed)."""
    for _ in range(tries):
        draw_stroke(page, canvas, points)
        time.sleep(0.3)
        if ink_pixels(page) > 0:
            return
    raise AssertionError("the strokes never reached the canvas")


def reading(page, model: str) -> str:
    metric = page.locator("[data-testid=stMetric]", has_text=f"{model} reads").first
    metric.wait_for(timeout=60_000)
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def open_draw_page(browser, server, query=""):
    page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    page.goto(f"{server}/draw{query}")
    page.get_by_text(PROMPT).wait_for(timeout=90_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    return page, canvas


def test_both_models_read_a_drawn_one_and_clear_empties_the_canvas(server, browser):
    page, canvas = open_draw_page(browser, server)
    draw_stroke(page, canvas, placed(1, *PLACEMENTS[0]))
    assert reading(page, "CNN") == "1" and reading(page, "DNN") == "1"
    assert ink_pixels(page) > 500, "the stroke is on the canvas"
    page.get_by_text("See inside: feature maps").click()
    page.get_by_text("CNN, answer 1: largest drop").wait_for(timeout=60_000)
    page.get_by_text("conv_1: 26x26, 32 maps").wait_for(timeout=10_000)
    page.get_by_text("Robustness explorer").click()
    page.get_by_text("CNN now reads").wait_for(timeout=60_000)
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "draw.png"), full_page=True)

    page.get_by_role("button", name="Clear").click()
    page.get_by_text(PROMPT).wait_for(timeout=30_000)
    page.get_by_text("CNN reads").wait_for(state="detached", timeout=30_000)  # the old reading leaves when the run ends
    fresh_canvas(page)  # one canvas left, and no ink on any of its layers


def test_both_models_read_scripted_digits_anywhere_and_they_fine_tune_the_cnn(server, browser):
    """Ten digits at three sizes and places, each saved under its label (which clears the canvas); then the
    collection fine-tunes the CNN and the page shows the accuracy before and after."""
    page, canvas = open_draw_page(browser, server, "?collection=scripted")
    misread: dict[str, list] = {"CNN": [], "DNN": []}
    for digit in range(10):
        for placement in PLACEMENTS:
            draw_digit(page, canvas, placed(digit, *placement))
            for model, wrong in misread.items():
                answer = reading(page, model)
                if answer != str(digit):
                    wrong.append((digit, placement, answer))
            page.get_by_role("button", name=str(digit), exact=True).click()
            page.get_by_text(f"Saved a {digit} in 'scripted'").wait_for(timeout=30_000)
            canvas = fresh_canvas(page)
    for model, wrong in misread.items():
        assert len(wrong) <= 3, f"the {model} misread {len(wrong)} of 30: {wrong}"
    page.get_by_text("30 samples").wait_for(timeout=10_000)

    page.get_by_test_id("stRadioGroup").get_by_text("CNN", exact=True).click()
    page.get_by_role("button", name="Fine-tune").click()
    page.get_by_text("MNIST test set (10,000)").wait_for(timeout=180_000)
    assert page.get_by_text("your held-out digits (6)").count() == 1
    assert page.get_by_text("pick it in the sidebar").count() == 1, "the tuned model is saved as a new run"
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=str(Path(shots) / "own-digits.png"), full_page=True)
