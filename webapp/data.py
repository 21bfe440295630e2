"""MNIST: find it, load it, and cut it into the train / validation / test parts a run uses."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webapp.paths import MNIST_PATH

KERAS_CACHE_PATH = Path("~/.keras/datasets/mnist.npz").expanduser()
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataMissingError(RuntimeError):
    """MNIST could be found neither in the project, nor in Keras's cache, nor downloaded."""


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays, uint8 images (N, 28, 28) and uint8 labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Split:
    """What one run trains on (a subset of the training set) and validates on (held out from it)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def find_mnist(candidates: tuple[Path, ...] = (MNIST_PATH, KERAS_CACHE_PATH)) -> Path | None:
    """The first MNIST file present on disk, without reading it (cheap enough for the Home page)."""
    return next((path for path in candidates if path.is_file()), None)


def read_mnist_file(path: Path) -> Mnist:
    """Read a Keras-layout `mnist.npz`; `allow_pickle=False` so a hostile file cannot run code."""
    with np.load(path, allow_pickle=False) as arrays:
        missing = [key for key in MNIST_KEYS if key not in arrays]
        if missing:
            raise DataMissingError(f"{path} is not an MNIST file: it lacks {', '.join(missing)}.")
        return Mnist(*(np.asarray(arrays[key]) for key in MNIST_KEYS))


def load_mnist(path: Path | None = None) -> Mnist:
    """MNIST from `path`, else the project's copy, else Keras's cache, else Keras's download."""
    if path is not None:
        if not Path(path).is_file():
            raise DataMissingError(f"The MNIST file {path} does not exist.")
        return read_mnist_file(Path(path))
    found = find_mnist()
    if found is not None:
        return read_mnist_file(found)
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # no internet, a proxy, a broken download: all mean the same to the user
        raise DataMissingError(
            f"MNIST is missing: put mnist.npz at {MNIST_PATH} (download failed: {type(error).__name__})."
        ) from error
    return Mnist(x_train, y_train, x_test, y_test)


def split_training_set(
    x: np.ndarray, y: np.ndarray, *, subset: int | None, validation_fraction: float, seed: int
) -> Split:
    """Shuffle once with `seed`, keep `subset` images, and hold out a fraction of them for validation.

    The test set is never touched here: validation during training must not peek at it.
    """
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
