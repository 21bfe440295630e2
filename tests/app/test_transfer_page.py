"""The Transfer page: it opens on a small cell with every recipe chosen, says in one sentence what cannot train,
races the recipes through the Train page's queue and fills its cell of the seed's grid, and queues all four cells
as one job."""
import re
import time

import pytest

from tests.app.conftest import open_page
from webapp import transfer
from webapp.jobs import machine_queue

TRANSFER = "pages/transfer.py"
PERCENT = re.compile(r"\d+\.\d%")


def widget(elements, label):
    return next(element for element in elements if element.label == label)


def grid_tables(at) -> list[str]:
    """The measured cells' tables (markdown with a 'Test accuracy' column)."""
    return [markdown.value for markdown in at.markdown if "| Test accuracy |" in markdown.value]


def start(at, button: str):
    widget(at.button, button).click().run()  # the page queues the job and reruns itself to follow it
    at.run()  # AppTest drops a click made right after a run that ended in st.rerun; a browser does not
    assert not at.exception, at.exception
    return machine_queue().get(at.query_params["job"])


def test_the_page_opens_on_a_small_similar_cell_with_every_recipe_and_an_empty_grid():
    at = open_page(TRANSFER)
    assert widget(at.selectbox, "Source network").value == transfer.SOURCE_DEFAULT
    assert widget(at.radio, "Target").value == "digits5-9" and widget(at.radio, "Target size").value is False
    assert widget(at.slider, "Small target: training images").value == transfer.DEFAULT_SMALL_IMAGES
    assert widget(at.slider, "Epochs").value == transfer.DEFAULT_EPOCHS
    assert widget(at.multiselect, "Recipes").value == list(transfer.RECIPES)
    assert all(element.help for group in (at.selectbox, at.radio, at.slider, at.multiselect, at.select_slider,
                                          at.button) for element in group), "every control explains itself"
    assert sum("Not measured yet" in caption.value for caption in at.caption) == 4
    assert not at.error and not grid_tables(at)


def test_no_recipe_is_one_sentence_and_nothing_can_start():
    at = open_page(TRANSFER)
    widget(at.multiselect, "Recipes").set_value([]).run()
    assert [error.value for error in at.error] == ["Choose at least one recipe to train."]
    assert widget(at.button, "Train this cell").disabled and widget(at.button, "Run all four cells").disabled


def test_a_target_smaller_than_one_batch_is_one_sentence():
    at = open_page(TRANSFER)
    widget(at.slider, "Small target: training images").set_value(100)
    widget(at.select_slider, "Batch size").set_value(128).run()
    assert [error.value for error in at.error] == ["A training set of 100 images is too small for batches of 128."]
    assert widget(at.button, "Train this cell").disabled
    widget(at.radio, "Target size").set_value(True).run()  # every image: this cell can train, the grid's small ones not
    assert not widget(at.button, "Train this cell").disabled and widget(at.button, "Run all four cells").disabled


@pytest.mark.slow
def test_a_small_cell_races_the_four_recipes_and_fills_its_grid_cell_with_a_verdict():
    at = open_page(TRANSFER)
    widget(at.slider, "Small target: training images").set_value(200)
    widget(at.slider, "Epochs").set_value(1).run()
    job = start(at, "Train this cell")
    assert job.config.recipes == tuple(transfer.RECIPES) and job.config.subset == 200 and not job.followups
    assert machine_queue().wait(job, 300)
    at.run()
    assert not at.exception, at.exception
    (table,) = grid_tables(at)
    assert len(PERCENT.findall(table)) == 4 and "winner" in table
    assert all(recipe.label in table for recipe in transfer.RECIPES.values())
    verdicts = [box.value for box in (*at.success, *at.info) if "the seed" in box.value]
    assert len(verdicts) == 1 and verdicts[0].startswith(("Agrees with the seed", "Disagrees with the seed"))
    metrics = [metric.label for metric in at.metric]
    assert metrics == [f"{recipe.label} test accuracy" for recipe in transfer.RECIPES.values()]
    reloaded = open_page(TRANSFER, browser_of=at)  # a reload without the job in the URL: the same browser's grid
    assert grid_tables(reloaded) == [table]
    stranger = open_page(TRANSFER)  # another browser has measured nothing
    assert not grid_tables(stranger)


@pytest.mark.slow
def test_all_four_cells_are_one_job_that_says_which_cell_it_trains():
    at = open_page(TRANSFER)
    job = start(at, "Run all four cells")
    assert [config.dataset for config in job.configs] == ["mnist-5-9", "fashion", "mnist-5-9", "fashion"]
    assert [config.subset for config in job.configs] == [1000, 1000, 0, 0]
    deadline = time.time() + 120
    while job.record is None and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    assert any(markdown.value.startswith("**Cell 1 of 4**: Small target, similar data") for markdown in at.markdown)
    machine_queue().stop(job, job.owner)
    assert machine_queue().wait(job, 120)
    assert {run.record.dataset for run in job.runs} == {"mnist-5-9"}, "a stop skips the cells still to come"
