"""The dataset catalog: one test over every entry, views that select and relabel, and a throwaway dataset added
through the catalog alone."""
from dataclasses import replace

import numpy as np
import pytest

from webapp import datasets
from webapp.config import TrainConfig


@pytest.mark.parametrize("name", list(datasets.CATALOG))
def test_every_entry_describes_its_file_and_loads_as_described(name):
    info = datasets.get(name)
    assert info.name == name and info.label and info.licence and info.item
    assert info.num_classes == len(set(info.class_names)) >= 2
    if info.is_view:
        parent = datasets.get(info.parent)
        assert [parent.class_names[c] for c in info.parent_classes] == list(info.class_names)
    else:
        assert info.path.parent == datasets.DATA_DIR and (datasets.DATA_DIR / "README.md").read_text().count(info.file)
        assert all(0 < accuracy <= 1 for _, accuracy in info.reference_accuracies)
    loaded = datasets.load(name)
    assert loaded.info == info
    assert loaded.x_train.shape[1:3] == info.image_shape[:2] and loaded.x_train.dtype == np.uint8
    assert (len(loaded.y_train), len(loaded.y_test)) == (info.train_size, info.test_size)
    assert set(np.unique(loaded.y_train)) == set(range(info.num_classes))
    assert TrainConfig(dataset=name).problem() is None


def test_a_view_is_its_parents_images_relabelled_in_order(monkeypatch, tiny_mnist_file):
    monkeypatch.setitem(datasets.CATALOG, "mnist",
                        replace(datasets.MNIST, file="x.npz", fallback_paths=(tiny_mnist_file,)))
    whole = datasets.load("mnist")
    view = datasets.load("mnist-5-9")
    keep = whole.y_test >= 5
    assert np.array_equal(view.x_test, whole.x_test[keep])
    assert np.array_equal(view.y_test, whole.y_test[keep] - 5)
    reversed_view = datasets.subset_view(datasets.MNIST, (9, 0), "nine-or-zero", "9 or 0")
    monkeypatch.setitem(datasets.CATALOG, reversed_view.name, reversed_view)
    picked = datasets.load("nine-or-zero")
    assert picked.info.class_names == ("9", "0")
    assert np.array_equal(picked.y_train, np.where(whole.y_train[np.isin(whole.y_train, (9, 0))] == 9, 0, 1))


def test_unknown_ids_get_one_sentence_naming_the_choices():
    with pytest.raises(datasets.UnknownDatasetError, match="choose from mnist, fashion, mnist-0-4"):
        datasets.get("cifar")
    assert TrainConfig.problem.__doc__ and "Unknown dataset cifar" in _problem(dataset="cifar")
    assert "between 0 (all) and 30596" in _problem(dataset="mnist-0-4", subset=40_000)


def _problem(**settings) -> str:
    with pytest.raises(ValueError) as refused:
        TrainConfig(**settings)
    return str(refused.value)


def test_the_shipped_fashion_copy_is_fashion_mnist():
    fashion = datasets.load("fashion")
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert fashion.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert fashion.info.class_names[6] == "Shirt"
