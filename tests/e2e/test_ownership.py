"""Ownership in real browsers: a job's link shows the job to anyone, but only the browser that started it (its
owner cookie) can stop it; a new tab of that browser is the same learner, so it cannot queue a second job."""
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

JOB_STOP = "[class*='st-key-stop_job-'] button"  # the job's Stop (Streamlit's own toolbar has a 'Stop' too)


def test_a_stranger_sees_the_job_but_cannot_stop_it_and_a_new_tab_is_the_same_learner(server, browser):
    owner = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = owner.new_page()
    page.goto(f"{server}/train?images=60000&epochs=3")  # long enough to be running throughout
    page.get_by_role("button", name="Start training").click()
    page.locator(JOB_STOP).first.wait_for(timeout=60_000)
    page.wait_for_url("**job=*", timeout=30_000)
    job_id = parse_qs(urlparse(page.url).query)["job"][0]

    stranger = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    stranger.goto(f"{server}/train?job={job_id}")
    stranger.get_by_text("only that browser can stop it").wait_for(timeout=60_000)
    assert stranger.locator(JOB_STOP).count() == 0

    second_tab = owner.new_page()
    second_tab.goto(f"{server}/train?images=1000&epochs=1")
    second_tab.get_by_role("button", name="Start training").click()
    second_tab.get_by_text("You already have a training job queued or running").wait_for(timeout=60_000)

    page.locator(JOB_STOP).first.click()
    page.get_by_text("Stopped early").wait_for(timeout=120_000)
    assert page.locator("[data-testid=stException]").count() == 0
    owner.close()
    stranger.context.close()
