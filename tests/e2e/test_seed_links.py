"""Seed links in Chromium: `?preset=` and `?concept=` open the right tab with the figure visible, not hidden in a
tab the learner has to find."""
import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test


def test_a_stages_preset_opens_its_tab_with_the_figure_shown(server, browser):
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(f"{server}/stages?preset=pool-by-hand")
    figure = page.get_by_text("Step 1: max(3, 1, 2, 8) = 8", exact=False)
    figure.wait_for(state="visible", timeout=90_000)
    assert page.get_by_role("tab", name="Worked examples").get_attribute("aria-selected") == "true"

    page.goto(f"{server}/stages?preset=seed004-pool-same")
    page.get_by_text("SAME gives 75x75x16", exact=False).wait_for(state="visible", timeout=90_000)
    assert page.get_by_role("tab", name="Seed figures").get_attribute("aria-selected") == "true"


def test_an_architectures_concept_opens_the_concepts_tab(server, browser):
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(f"{server}/architectures?concept=dense-photo")
    page.get_by_text("30,000,000 weights", exact=False).wait_for(state="visible", timeout=90_000)
    assert page.get_by_role("tab", name="Concepts").get_attribute("aria-selected") == "true"


def test_a_test_image_link_opens_the_mnist_tab_and_next_misread_one_keeps_the_link(server, browser):
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(f"{server}/draw?test_image=0")
    page.get_by_text("Seed 003 reports test image 0 predicted as 7", exact=False).wait_for(state="visible",
                                                                                         timeout=90_000)
    assert page.get_by_role("tab", name="MNIST test images").get_attribute("aria-selected") == "true"
    page.get_by_role("button", name="Next misread one").click()
    page.get_by_text("Misread: the", exact=False).wait_for(state="visible", timeout=90_000)
    page.wait_for_function("!location.search.includes('test_image=0')", timeout=30_000)
    index = int(page.url.split("test_image=")[1].split("&")[0])
    assert index > 0 and page.get_by_text(f"Test image {index}, as the models see it").is_visible()
