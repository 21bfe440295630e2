"""The Augment grid's captions in Chromium, wide and phone-sized: long transform names (RandomResizedCrop,
RandomBrightnessContrast) wrap between words, never inside one ("RandomResizedCro" / "p")."""
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

# Every place where a caption's text wraps inside a word: two letters or digits side by side in the text that
# the browser laid out on different lines.
MID_WORD_BREAKS_JS = """() => {
  const breaks = [];
  for (const caption of document.querySelectorAll('[data-testid=stImageCaption]')) {
    const walker = document.createTreeWalker(caption, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent, range = document.createRange();
      let previousTop = null;
      for (let index = 0; index < text.length; index++) {
        range.setStart(node, index); range.setEnd(node, index + 1);
        const rect = range.getClientRects()[0];
        if (!rect) { previousTop = null; continue; }
        if (previousTop !== null && rect.top > previousTop + 1 && /[\\p{L}\\p{N}]/u.test(text[index - 1])
            && /[\\p{L}\\p{N}]/u.test(text[index])) {
          breaks.push(text.slice(Math.max(0, index - 12), index) + ' / ' + text.slice(index, index + 6));
        }
        previousTop = rect.top;
      }
    }
  }
  return breaks;
}"""
CAPTIONS_JS = ("() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
               ".map(node => node.innerText.replaceAll('\\u200b', ''))")


def add_transform(page, option: str, name: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Transform").click()
    page.get_by_role("option", name=option).click()
    page.get_by_role("button", name="Add").click()
    page.get_by_text(name, exact=False).first.wait_for(timeout=30_000)


def settled_captions(page, needle: str, timeout: float = 90.0) -> list[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        captions = page.evaluate(CAPTIONS_JS)
        if page.locator("[data-testid=stStatusWidget]").count() == 0 and any(needle in caption for caption in captions):
            return captions
        time.sleep(0.2)
    raise AssertionError(f"the grid never showed {needle}: {page.evaluate(CAPTIONS_JS)}")


@pytest.mark.parametrize("width", [1400, 390])
def test_long_transform_names_wrap_between_words(server, browser, width):
    page = browser.new_context(viewport={"width": width, "height": 1600}).new_page()
    page.goto(f"{server}/augment")
    page.get_by_test_id("stImageCaption").first.wait_for(timeout=90_000)
    add_transform(page, "Geometric · RandomResizedCrop", "RandomResizedCrop ·")
    add_transform(page, "Pixel-level · RandomBrightnessContrast", "RandomBrightnessContrast ·")
    captions = settled_captions(page, "RandomBrightnessContrast contrast")
    assert any("RandomResizedCrop crop" in caption for caption in captions)
    assert page.evaluate(MID_WORD_BREAKS_JS) == []
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.get_by_test_id("stImageCaption").nth(2).scroll_into_view_if_needed()  # the page scrolls inside
        page.screenshot(path=str(Path(shots) / f"augment-captions-{width}.png"), full_page=True)
    page.context.close()


def test_on_a_phone_the_samples_stay_four_to_a_row(server, browser):
    """Streamlit stacks columns on a narrow screen: the sixteen samples stood one per row at full width, a page
    ~9,600 pixels tall. They keep four to a row, each a quarter of the width."""
    page = browser.new_context(viewport={"width": 390, "height": 1600}).new_page()
    page.goto(f"{server}/augment")
    page.get_by_test_id("stImageCaption").first.wait_for(timeout=90_000)
    boxes = [image.bounding_box() for image in page.locator(".st-key-augment_samples img").all()[:8]]
    tops = sorted({round(box["y"]) for box in boxes})
    assert len(boxes) == 8 and len(tops) == 2, f"two rows of four: {boxes}"
    assert all(60 <= box["width"] <= 100 for box in boxes), boxes
    page.context.close()
