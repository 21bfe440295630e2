"""`bench transfer`: seed 004's 2x2 grid measured. Each cell (a target x a size) races the four recipes from the
shipped source CNN, once per seed; the report gives each recipe's median test accuracy and compute seconds, the
measured winner, the seed's recommendation and whether they agree.

The runs go to a temporary store and are discarded: the benchmark measures, it does not fill the learner's list.
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from webapp import transfer
from webapp.bench.common import Log

CELL_ORDER = (("digits5-9", False), ("fashion", False), ("digits5-9", True), ("fashion", True))


Race = dict[str, dict[str, Any]]  # recipe -> test_accuracy, compute_seconds and images of one race


def run_cell(store: Any, target: str, images: int, seed: int, epochs: int) -> Race:
    """One race of every recipe on one cell: recipe -> test accuracy, compute seconds and training images."""
    from webapp.job import Job, execute, transfer_config

    source = store.get(transfer.SOURCE_DEFAULT)
    config = transfer_config(source.run_id, source.model_name, target, images, tuple(transfer.RECIPES),
                                 epochs=epochs, seed=seed)
    runs = execute(Job(config=config, owner="bench"), store)
    return {str(info.record.recipe): {"test_accuracy": info.record.test_accuracy,
                                      "compute_seconds": info.record.compute_seconds,
                                      "images": info.record.train_images} for info in runs}


def recipe_medians(races: list[Race], recipe: str) -> dict[str, Any]:
    """One recipe's median accuracy and seconds over the races, and every race's values."""
    accuracies = [race[recipe]["test_accuracy"] for race in races]
    seconds = [race[recipe]["compute_seconds"] for race in races]
    return {"test_accuracy": statistics.median(accuracies), "compute_seconds": statistics.median(seconds),
            "accuracies": accuracies, "seconds": seconds}


def summarise_cell(target: str, large: bool, images: int, races: list[Race]) -> dict[str, Any]:
    """A cell's medians over the seeds, its winner and the seed's advice."""
    cell = transfer.cell_for(target, large)
    recipes = {name: recipe_medians(races, name) for name in transfer.RECIPES}
    accuracies: dict[str, float] = {name: scores["test_accuracy"] for name, scores in recipes.items()}
    winner = max(accuracies, key=lambda name: accuracies[name])
    return {"cell": cell.title, "target": target, "dataset": transfer.TARGETS[target].dataset, "large": large,
            "images": races[0]["head"]["images"], "requested_images": images or "all", "recipes": recipes,
            "winner": winner, "recommended": list(cell.recommended), "agrees": winner in cell.recommended,
            "verdict": transfer.verdict(cell, accuracies)}


def transfer_benchmark(seeds: int = 3, small: int = transfer.DEFAULT_SMALL_IMAGES,
                       epochs: int = transfer.DEFAULT_EPOCHS, log: Log = print) -> dict[str, Any]:
    """The four cells x four recipes, `seeds` races each (seeds 0..seeds-1); medians reported."""
    from webapp import device
    from webapp.store import RunStore

    cells = []
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        store = RunStore(root=Path(folder))
        for target, large in CELL_ORDER:
            images = 0 if large else small
            races = []
            for seed in range(seeds):
                log(f"{target}, {'all' if large else images} images, seed {seed}: racing "
                    f"{', '.join(transfer.RECIPES)}")
                races.append(run_cell(store, target, images, seed, epochs))
            cells.append(summarise_cell(target, large, images, races))
            log(cells[-1]["verdict"])
    return {"source": transfer.SOURCE_DEFAULT, "seeds": seeds, "epochs": epochs,
            "batch_size": transfer.DEFAULT_BATCH_SIZE, "small_images": small, "device": device.describe(),
            "cells": cells}


def format_transfer_report(report: dict[str, Any]) -> str:
    """A readable table: one line per cell and recipe, then each cell's verdict."""
    lines = [f"median of {report['seeds']} seeds, {report['epochs']} epochs, batches of {report['batch_size']}, "
             f"from {report['source']} on {report['device']}"]
    for cell in report["cells"]:
        lines.append(f"{cell['cell']} ({cell['target']}, {cell['images']:,} training images); seed's advice: "
                     f"{' or '.join(cell['recommended'])}")
        for name, scores in cell["recipes"].items():
            lines.append(f"  {name:8} {scores['test_accuracy']:.2%}  {scores['compute_seconds']:.1f} s"
                         + ("  <- winner" if name == cell["winner"] else ""))
        lines.append(f"  {cell['verdict']}")
    return "\n".join(lines)
