"""CONTRIBUTING.md's recipes hold: a dataset and a network added through the catalogs alone (one entry each, plus
the data file and the builder) train for an epoch, are saved, listed and evaluated like the lab's own."""
import threading

import numpy as np
import pytest

from webapp import datasets, network_catalog
from webapp.config import TrainConfig
from webapp.training import run_training

# Each test trains a network for an epoch: seconds, so out of the quick loop.
pytestmark = pytest.mark.slow

SHAPES = ("ring", "cross", "bar")


def build_tiny(options, dtype: str = "float32"):
    """A throwaway network: one small convolution and the softmax, for whatever the dataset hands in."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=options.input_shape, name="pixels"),
                              layers.Rescaling(1 / 255, name="scale_to_unit", dtype=dtype),
                              layers.Conv2D(4, 3, activation="relu", name="conv_1", dtype=dtype),
                              layers.GlobalAveragePooling2D(name="pool", dtype=dtype),
                              layers.Dense(options.num_classes, activation="softmax", name="probabilities",
                                           dtype="float32")], name="tiny")
    return model


def _shapes(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """16x16 pictures of three shapes on noise: easy enough to learn in an epoch."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPES), count).astype(np.uint8)
    images = rng.integers(0, 60, (count, 16, 16)).astype(np.uint8)
    rows, cols = np.mgrid[:16, :16]
    masks = [np.abs(np.hypot(rows - 7.5, cols - 7.5) - 5) < 1.2,
             (np.abs(rows - cols) < 1.5) | (np.abs(rows + cols - 15) < 1.5),
             np.abs(rows - 7.5) < 2]
    for image, label in zip(images, labels):
        image[masks[label]] = 255
    return images, labels


@pytest.fixture
def throwaway_catalogs(monkeypatch, tmp_path, lab_home):
    """One dataset entry (and its file) and one network entry, added the way the recipes say."""
    (x_train, y_train), (x_test, y_test) = _shapes(480, 1), _shapes(120, 2)
    np.savez_compressed(tmp_path / "shapes.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    monkeypatch.setitem(datasets.CATALOG, "shapes", datasets.DatasetInfo(
        name="shapes", label="Three shapes", class_names=SHAPES, image_shape=(16, 16, 1), file="shapes.npz",
        licence="made by the test", train_size=480, test_size=120, item="shape"))
    monkeypatch.setitem(network_catalog.CATALOG, "tiny", network_catalog.Network(
        "tiny", "Tiny (test)", "Tiny", "Tiny (a test's network)", (16, 16, 1), convolutional=True, trainable=True,
        published_params=4 * 9 + 4 + 4 * 3 + 3, builder=f"{__name__}:build_tiny"))


@pytest.mark.parametrize("model", ["tiny", "cnn"])
def test_a_dataset_and_a_network_added_to_the_catalogs_train_and_evaluate(throwaway_catalogs, model):
    config = TrainConfig(models=(model,), dataset="shapes", epochs=1, batch_size=32, validations_per_epoch=2)
    record, (result,) = run_training(config, threading.Event(), device_type="CPU")
    assert result.model.output_shape == (None, len(SHAPES)) and result.model.input_shape == (None, 16, 16, 1)
    assert len(result.test_predictions) == 120 and set(np.unique(result.test_predictions)) <= {0, 1, 2}
    assert 0 <= result.test_accuracy <= 1 and record.header()["models"] == [model]
    if model == "tiny":
        assert result.model.count_params() == network_catalog.CATALOG["tiny"].published_params


def test_a_run_on_the_added_dataset_is_saved_with_it_listed_and_loaded(throwaway_catalogs, lab_home):
    from webapp.job import Job, execute
    from webapp.store import RunStore

    store = RunStore()
    job = Job(TrainConfig(models=("tiny", "dnn"), dataset="shapes", epochs=1, batch_size=32), owner="a" * 64)
    saved = execute(job, store, device_type="CPU")
    assert job.error is None and [run.record.dataset for run in saved] == ["shapes", "shapes"]
    listing = store.list()
    assert not listing.warnings and {run.run_id for run in saved} <= {run.run_id for run in listing.runs}
    model = store.load_model(saved[0].run_id)
    assert model.output_shape == (None, 3) and len(store.load_predictions(saved[0].run_id)) == 120


def test_a_run_whose_dataset_left_the_catalog_is_skipped_with_a_sentence(throwaway_catalogs, lab_home, monkeypatch):
    from webapp.job import Job, execute
    from webapp.store import RunStore

    store = RunStore()
    (run,) = execute(Job(TrainConfig(models=("tiny",), dataset="shapes", epochs=1, batch_size=32), owner="a" * 64),
                     store, device_type="CPU")
    monkeypatch.delitem(datasets.CATALOG, "shapes")
    listing = store.list()
    assert run.run_id not in {listed.run_id for listed in listing.runs}
    assert any("'shapes', a dataset this lab does not have" in warning for warning in listing.warnings)


def test_the_added_network_is_offered_where_trainable_networks_are(throwaway_catalogs):
    assert "tiny" in network_catalog.trainable_names()
    assert network_catalog.short_name("tiny") == "Tiny" and network_catalog.has_convolutions("tiny")
    assert TrainConfig(models=("tiny", "dnn"), dataset="shapes").problem() is None
