"""Cutting a dataset into the train / validation / test parts a run uses, and MNIST (the digit pages' dataset).

Which datasets exist and how they are read is the catalog's business (`webapp.datasets`); this module splits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webapp import datasets
from webapp.datasets import DataMissingError, Dataset

__all__ = ["DataMissingError", "Dataset", "Split", "as_model_input", "find_mnist", "load_mnist", "split_training_set"]


@dataclass(frozen=True)
class Split:
    """What one run trains on (a subset of the training set) and validates on (held out from it)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def find_mnist() -> Path | None:
    """MNIST's file on disk, unread: the digit pages (Draw, the Home page's data check) need MNIST itself."""
    return datasets.find("mnist")


def load_mnist(path: Path | None = None) -> Dataset:
    """MNIST through the catalog (from `path` if given)."""
    return datasets.load("mnist", path)


def stratified_order(y: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` indices (in a shuffled order) whose classes come in the proportions of `y`: a small subset then
    has every class, as the transfer cases' small targets need (a plain random 100 may miss one)."""
    rng = np.random.default_rng(seed)
    classes, sizes = np.unique(y, return_counts=True)
    quotas = np.floor(sizes / len(y) * count).astype(int)
    for index in np.argsort(-(sizes / len(y) * count - quotas))[: count - quotas.sum()]:
        quotas[index] += 1  # the largest remainders get the images rounding left over
    picked = [rng.permutation(np.flatnonzero(y == label))[:quota] for label, quota in zip(classes, quotas)]
    return rng.permutation(np.concatenate(picked))


def split_training_set(
    x: np.ndarray, y: np.ndarray, *, subset: int | None, validation_fraction: float, seed: int,
    stratified: bool = False,
) -> Split:
    """Shuffle once with `seed`, keep `subset` images (in the classes' proportions if `stratified`), and hold
    out a fraction of them for validation.

    The test set is never touched here: validation during training must not peek at it.
    """
    if subset and stratified and subset < len(x):
        order = stratified_order(y, subset, seed)
    else:
        order = np.random.default_rng(seed).permutation(len(x))
    if subset:
        order = order[: min(subset, len(x))]
    n_val = max(1, int(round(len(order) * validation_fraction)))
    if n_val >= len(order):
        raise ValueError(f"A subset of {len(order)} images is too small to hold out a validation part.")
    val, train = order[:n_val], order[n_val:]
    return Split(x[train], y[train], x[val], y[val])


def as_model_input(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 28, 28, 1) uint8; the models rescale to [0, 1] themselves."""
    return images[..., None] if images.ndim == 3 else images
