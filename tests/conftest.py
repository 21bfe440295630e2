"""Shared fixtures: tiny synthetic MNIST-like data and a private runs store for every test."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 'digits': class k is a bright bar at row 2k+4, plus noise; learnable in a few batches."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
    for index, label in enumerate(labels):
        row = 2 * int(label) + 4
        images[index, row:row + 2, 4:24] = 255
    return images, labels


@pytest.fixture
def tiny_mnist():
    from webapp.datasets import Dataset

    x_train, y_train = synthetic_digits(720, seed=1)
    x_test, y_test = synthetic_digits(100, seed=2)
    return Dataset(x_train, y_train, x_test, y_test)


@pytest.fixture
def tiny_mnist_file(tmp_path, tiny_mnist) -> Path:
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, x_train=tiny_mnist.x_train, y_train=tiny_mnist.y_train,
                        x_test=tiny_mnist.x_test, y_test=tiny_mnist.y_test)
    return path


@pytest.fixture(autouse=True)
def lab_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own CONVNET_LAB_HOME, so no test sees or leaves real runs."""
    home = tmp_path / "lab-home"
    monkeypatch.setenv("CONVNET_LAB_HOME", str(home))
    return home
