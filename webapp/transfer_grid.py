"""The Transfer page's core, free of Streamlit: which saved runs can be a source, the config of one cell of
seed 004's 2x2 grid (or of all four), and the grid's results read back from saved runs.

A cell's results are the runs one transfer job saved for one target at one size: one run per recipe, all
trained on the same batches. The grid is rebuilt from saved runs every time it is drawn, so a reload (or a
second tab) shows what the learner has measured as long as the runs are in the store.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from webapp import datasets, transfer
from webapp.config import CONSTANT_RATE, TrainConfig
from webapp.network_catalog import has_convolutions
from webapp.store import RunInfo
from webapp.transfer import CELLS, RECIPES, TARGETS, Cell

SOURCE_SHAPE = (28, 28, 1)  # the targets' images: a source must take the same


def is_source(info: RunInfo) -> bool:
    """Whether a saved run can be transfer's source: a CNN trained on 28x28 grey images."""
    dataset = datasets.CATALOG.get(info.record.dataset)
    return has_convolutions(info.model_name) and dataset is not None and dataset.image_shape == SOURCE_SHAPE


def sources(runs: Iterable[RunInfo]) -> list[RunInfo]:
    """The runs offered as a source, the shipped one first."""
    usable = [info for info in runs if is_source(info)]
    return sorted(usable, key=lambda info: info.run_id != transfer.SOURCE_DEFAULT)


def target_of(dataset: str) -> str | None:
    """The target (a key of TARGETS) that trains on this dataset, or None."""
    return next((name for name, target in TARGETS.items() if target.dataset == dataset), None)


def target_for(similar: bool) -> str:
    return next(name for name, target in TARGETS.items() if target.similar == similar)


def cell_config(source: RunInfo, target: str, large: bool, recipes: Iterable[str], *,
                small_images: int = transfer.DEFAULT_SMALL_IMAGES, epochs: int = transfer.DEFAULT_EPOCHS,
                batch_size: int = transfer.DEFAULT_BATCH_SIZE) -> TrainConfig:
    """One cell's transfer job: the recipes raced from `source` on the target, small (a stratified subset) or
    large (every training image). Raises ValueError with one sentence for settings that cannot train."""
    recipes = tuple(recipes)
    if not recipes:
        raise ValueError("Choose at least one recipe to train.")
    return TrainConfig(models=(source.model_name,), dataset=TARGETS[target].dataset, recipes=recipes,
                       source_run=source.run_id, subset=0 if large else small_images, epochs=epochs,
                       batch_size=batch_size, **CONSTANT_RATE)


def grid_configs(source: RunInfo, recipes: Iterable[str], **settings: int) -> list[TrainConfig]:
    """The four cells' jobs in the grid's order (small targets first: their results come soonest)."""
    return [cell_config(source, target_for(cell.similar), cell.large, recipes, **settings) for cell in CELLS]


def cell_of(config: TrainConfig) -> Cell | None:
    """The grid cell a transfer config trains, or None for a config that is not one."""
    target = target_of(config.dataset)
    if not config.is_transfer or target is None:
        return None
    return transfer.cell_for(target, large=config.subset == 0)


def describe_config(config: TrainConfig) -> str:
    """'1,000 images of Fashion-MNIST, 2 epochs' (or 'all 29,404 images ...')."""
    data = datasets.get(config.dataset)
    images = f"{config.subset:,} images" if config.subset else f"all {data.train_size:,} images"
    return f"{images} of {data.label}, {config.epochs} epoch{'s' if config.epochs != 1 else ''}"


@dataclass(frozen=True)
class CellResult:
    """What one transfer job measured in one cell: a run per recipe."""

    cell: Cell
    job_id: str
    runs: tuple[RunInfo, ...]

    @property
    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.runs[0].record.train_config)

    @property
    def accuracies(self) -> dict[str, float]:
        return {info.record.recipe or "": float(info.record.test_accuracy or 0.0) for info in self.runs}

    @property
    def seconds(self) -> dict[str, float]:
        return {info.record.recipe or "": float(info.record.compute_seconds or 0.0) for info in self.runs}

    @property
    def winner(self) -> str:
        accuracies = self.accuracies
        return max(accuracies, key=lambda name: accuracies[name])

    @property
    def stopped(self) -> bool:
        return any(info.record.status == "stopped" for info in self.runs)

    @property
    def verdict(self) -> str:
        return transfer.verdict(self.cell, self.accuracies)

    @property
    def created(self) -> str:
        return max(info.record.created or "" for info in self.runs)


def grid(runs: Iterable[RunInfo], job_ids: Iterable[str]) -> dict[Cell, CellResult]:
    """Each cell's latest results among the runs of these jobs (a job that ran all four cells fills four)."""
    wanted = set(job_ids)
    groups: dict[tuple[str, str, int], list[RunInfo]] = {}
    for info in runs:
        record = info.record
        if record.recipe in RECIPES and record.job_id in wanted:
            subset = int(record.train_config.get("subset", 0))
            groups.setdefault((record.job_id or "", record.dataset, subset), []).append(info)
    results: dict[Cell, CellResult] = {}
    for (job_id, dataset, subset), members in groups.items():
        target = target_of(dataset)
        if target is None:
            continue
        order = list(RECIPES)
        members.sort(key=lambda info: order.index(info.record.recipe or ""))
        found = CellResult(transfer.cell_for(target, large=subset == 0), job_id, tuple(members))
        if found.cell not in results or found.created >= results[found.cell].created:
            results[found.cell] = found
    return results
