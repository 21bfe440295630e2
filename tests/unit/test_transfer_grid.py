"""The Transfer page's core: which runs can be a source, one cell's job and all four, bad settings as one
sentence, and the grid read back from saved runs (the latest race per cell, only this browser's jobs)."""
from pathlib import Path

import pytest

from webapp import datasets, transfer, transfer_grid
from webapp.config import TrainConfig
from webapp.run_record import RunRecord
from webapp.store import RunInfo

SOURCE = RunInfo(transfer.SOURCE_DEFAULT, Path("."), RunRecord(model="cnn3", dataset="mnist-0-4"), True)


def run(run_id: str, model: str = "cnn", dataset: str = "mnist", **record: object) -> RunInfo:
    return RunInfo(run_id, Path("."), RunRecord(model=model, dataset=dataset, **record), False)  # type: ignore[arg-type]


def transfer_run(run_id: str, job_id: str, recipe: str, accuracy: float, dataset: str = "mnist-5-9",
                 subset: int = 1000, created: str = "2026-11-30 10:00:00") -> RunInfo:
    config = TrainConfig(models=("cnn3",), dataset=dataset, recipes=(recipe,), source_run=SOURCE.run_id,
                         subset=subset, epochs=2, batch_size=32)
    return run(run_id, "cnn3", dataset, recipe=recipe, job_id=job_id, test_accuracy=accuracy, compute_seconds=1.5,
               train_config=config.to_dict(), created=created, status="done")


def test_only_cnns_trained_on_28x28_grey_images_are_offered_as_a_source_the_shipped_one_first():
    runs = [run("dense-1", "dnn"), run("cnn-1", "cnn"), run("lenet-1", "lenet", "fashion"), SOURCE]
    assert [info.run_id for info in transfer_grid.sources(runs)] == [SOURCE.run_id, "cnn-1", "lenet-1"]


def test_a_cell_is_a_transfer_job_small_stratified_or_large_all_images():
    small = transfer_grid.cell_config(SOURCE, "fashion", False, transfer.RECIPES)
    assert (small.dataset, small.subset, small.epochs, small.batch_size) == ("fashion", 1000, 2, 32)
    assert small.models == ("cnn3",) and small.source_run == SOURCE.run_id and small.recipes == tuple(transfer.RECIPES)
    large = transfer_grid.cell_config(SOURCE, "digits5-9", True, ("head",), small_images=300, epochs=1)
    assert (large.dataset, large.subset, large.epochs) == ("mnist-5-9", 0, 1)
    assert transfer_grid.cell_of(small).title == "Small target, different data"
    assert transfer_grid.cell_of(large).title == "Large target, similar data"
    assert transfer_grid.cell_of(TrainConfig(models=("dnn",))) is None


def test_all_four_cells_come_in_the_grids_order_small_first():
    configs = transfer_grid.grid_configs(SOURCE, ("head", "scratch"), small_images=500, epochs=1, batch_size=16)
    assert [transfer_grid.cell_of(config) for config in configs] == list(transfer.CELLS)
    assert [(config.dataset, config.subset) for config in configs] == [
        ("mnist-5-9", 500), ("fashion", 500), ("mnist-5-9", 0), ("fashion", 0)]
    assert transfer_grid.describe_config(configs[1]) == f"500 images of {datasets.get('fashion').label}, 1 epoch"


@pytest.mark.parametrize("recipes, images, batch, sentence", [
    ((), 1000, 32, "Choose at least one recipe to train."),
    (("head",), 100, 128, "A training set of 100 images is too small for batches of 128."),
])
def test_settings_that_cannot_train_are_one_sentence(recipes, images, batch, sentence):
    with pytest.raises(ValueError) as failed:
        transfer_grid.cell_config(SOURCE, "digits5-9", False, recipes, small_images=images, batch_size=batch)
    assert str(failed.value) == sentence


def test_the_grid_shows_each_cells_latest_race_of_this_browsers_jobs():
    old = [transfer_run(f"old-{name}", "job-old", name, 0.5, created="2026-11-30 09:00:00")
           for name in transfer.RECIPES]
    accuracies = {"head": 0.9, "early": 0.8, "finetune": 0.95, "scratch": 0.85}
    new = [transfer_run(f"new-{name}", "job-new", name, accuracies[name]) for name in reversed(transfer.RECIPES)]
    fashion = [transfer_run(f"f-{name}", "job-new", name, 0.7, dataset="fashion", subset=0) for name in ("head",)]
    someone_elses = [transfer_run("x-head", "job-x", "head", 0.99, created="2026-11-30 11:00:00")]
    grid = transfer_grid.grid(old + new + fashion + someone_elses + [SOURCE], ["job-old", "job-new"])
    small_similar, large_different = transfer.CELLS[0], transfer.CELLS[3]
    assert set(grid) == {small_similar, large_different}
    measured = grid[small_similar]
    assert measured.job_id == "job-new" and list(measured.accuracies) == list(transfer.RECIPES)
    assert measured.winner == "finetune" and measured.seconds["head"] == 1.5 and not measured.stopped
    assert measured.verdict.startswith("Disagrees with the seed: Fine-tune everything won (95.0%)")
    assert grid[large_different].verdict.startswith("Measured winner: New head")
    assert transfer_grid.grid(old + new, []) == {}
