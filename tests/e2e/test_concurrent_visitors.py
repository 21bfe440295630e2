"""A class opening the lab at once: nine browsers ask one fresh server for a different network's Architectures
page together, so the server builds every network in parallel threads (issue 18: the builds collided on layer
names and pages came back blank or with an exception)."""
import pytest

from webapp import summary
from webapp.architectures import ARCHITECTURE_NAMES, Design

pytestmark = pytest.mark.slow  # a real server and a real browser: seconds per test

DONE = "Memory, term by term"  # the page's last section, drawn after the network's table


def test_nine_visitors_opening_different_networks_at_once_each_get_their_full_page(server, browser):
    networks = [*ARCHITECTURE_NAMES, "design"]
    tables = {name: summary.network_table(name) for name in ARCHITECTURE_NAMES}
    tables["design"] = summary.design_table(Design())
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in networks]
    pages = [context.new_page() for context in contexts]
    for page, network in zip(pages, networks):  # each goto returns at the first byte: the scripts overlap
        page.goto(f"{server}/architectures?network={network}", wait_until="commit")
    for page, network in zip(pages, networks):
        page.get_by_role("heading", name=DONE).wait_for(timeout=90_000)
        metrics = page.locator("[data-testid=stMetricValue]")
        metrics.filter(has_text=f"{tables[network].total_params:,}").first.wait_for(timeout=30_000)  # its own count
        assert page.locator("[data-testid=stException]").count() == 0, network
    for context in contexts:
        context.close()
