from dataclasses import replace

import numpy as np
import pytest

from webapp import datasets
from webapp.data import DataMissingError, load_mnist, split_training_set


def test_loads_the_four_arrays_from_a_keras_layout_file(tiny_mnist_file):
    mnist = load_mnist(tiny_mnist_file)
    assert mnist.x_train.shape == (720, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_test.shape == (100,)


def test_the_shipped_copy_is_real_mnist():
    mnist = datasets.read_npz(datasets.MNIST.path, datasets.MNIST)
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert list(mnist.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_a_file_without_the_mnist_arrays_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, something=np.zeros(3))
    with pytest.raises(DataMissingError, match="lacks x_train"):
        load_mnist(path)


def test_falls_back_to_the_keras_cache(monkeypatch, tiny_mnist_file, tmp_path):
    entry = replace(datasets.MNIST, file="missing.npz", fallback_paths=(tiny_mnist_file,))
    monkeypatch.setitem(datasets.CATALOG, "mnist", entry)
    assert load_mnist().x_train.shape == (720, 28, 28)


def test_says_which_file_is_missing_and_downloads_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    monkeypatch.setitem(datasets.CATALOG, "mnist", replace(datasets.MNIST, fallback_paths=()))
    with pytest.raises(DataMissingError, match="put mnist.npz at"):
        load_mnist()


def test_split_is_deterministic_disjoint_and_sized(tiny_mnist):
    x = np.arange(len(tiny_mnist.x_train))
    first = split_training_set(x, tiny_mnist.y_train, subset=240, validation_fraction=0.25, seed=3)
    again = split_training_set(x, tiny_mnist.y_train, subset=240, validation_fraction=0.25, seed=3)
    assert len(first.x_val) == 60 and len(first.x_train) == 180
    assert not set(first.x_train) & set(first.x_val)
    assert np.array_equal(first.x_train, again.x_train)


def test_split_refuses_a_subset_too_small_to_hold_out(tiny_mnist):
    with pytest.raises(ValueError, match="too small"):
        split_training_set(tiny_mnist.x_train, tiny_mnist.y_train, subset=1, validation_fraction=0.2, seed=0)
