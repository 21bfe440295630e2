"""The Draw page in Chromium: draw a 1 with the mouse, see both models read it; Clear empties the canvas."""
import os
from pathlib import Path


def draw_stroke(page, canvas, points):
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
    page.mouse.up()


def test_drawing_a_one_is_read_by_both_models_and_clear_empties_the_canvas(server, browser):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{server}/draw")
    page.get_by_text("Draw a digit on the canvas").wait_for(timeout=90_000)
    # the component draws three stacked <canvas> of the same size in the page; strokes go to the top one
    canvas = page.locator("canvas").nth(2)
    canvas.wait_for(timeout=30_000)
    draw_stroke(page, canvas, [(140, 50), (142, 140), (143, 230)])

    page.get_by_text("CNN reads").wait_for(timeout=60_000)
    page.get_by_text("DNN reads").wait_for(timeout=10_000)
    readings = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    assert readings[:2] == ["1", "1"], readings
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "draw.png"))

    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the canvas").wait_for(timeout=30_000)
    assert page.get_by_text("CNN reads").count() == 0
