import json
import os
import shutil
import zipfile

import keras
import numpy as np
import pytest

from webapp.networks import build
from webapp.store import RunStore, UnknownRunError, history_csv, new_run_id, promote_to_default

HISTORY = {"batches": [{"step": 1, "epoch": 0.5, "loss": 2.0, "accuracy": 0.1, "seconds": 0.1,
                        "samples_per_second": 100.0},
                       {"step": 2, "epoch": 1.0, "loss": 1.5, "accuracy": 0.4, "seconds": 0.2,
                        "samples_per_second": 110.0}],
           "validations": [{"step": 2, "epoch": 1.0, "loss": 1.4, "accuracy": 0.5, "seconds": 0.2}],
           "epoch_seconds": [0.2]}


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs", defaults_root=tmp_path / "defaults")


def save_dnn(store, run_id=None):
    run_id = run_id or new_run_id("dnn")
    config = {"model": "dnn", "status": "done", "test_accuracy": 0.9, "test_loss": 0.3}
    return store.save(run_id, build("dnn"), config, HISTORY, np.arange(10, dtype=np.uint8))


def test_a_saved_run_is_listed_and_loads_back(store):
    info = save_dnn(store)
    assert [run.run_id for run in store.list().runs] == [info.run_id]
    model = store.load_model(info.run_id)
    assert isinstance(model, keras.Model) and model.count_params() == 101_770
    assert store.load_history(info.run_id) == HISTORY
    assert store.load_predictions(info.run_id).tolist() == list(range(10))
    assert json.loads((info.path / "config.json").read_text())["run_id"] == info.run_id


def test_a_failed_save_leaves_nothing_visible(store):
    class Exploding:
        def save(self, path):
            path.write_bytes(b"half a model")
            raise OSError("disk full")

    with pytest.raises(OSError):
        store.save("20260101-000000-dnn-dead", Exploding(), {"model": "dnn"}, HISTORY)
    assert store.list().runs == [] and os.listdir(store.root) == []


def test_corrupt_and_foreign_entries_are_skipped_with_a_warning(store):
    save_dnn(store)
    (store.root / "half-written").mkdir()
    foreign = store.root / "someone-elses"
    foreign.mkdir()
    for name in ("model.keras", "history.json"):
        (foreign / name).write_text("{}")
    (foreign / "config.json").write_text(json.dumps({"model": "gpt"}))
    broken = store.root / "broken-json"
    broken.mkdir()
    for name in ("model.keras", "history.json"):
        (broken / name).write_text("{}")
    (broken / "config.json").write_text("{not json")
    listing = store.list()
    assert len(listing.runs) == 1
    assert len(listing.warnings) == 3 and all(warning.startswith("Skipped") for warning in listing.warnings)


def test_only_listed_runs_can_be_loaded(store, tmp_path):
    with pytest.raises(UnknownRunError):
        store.load_model("../../etc/passwd")
    with pytest.raises(UnknownRunError):
        store.load_model("20990101-000000-dnn-beef")


def test_deleting_removes_a_user_run_but_never_a_default(store):
    info = save_dnn(store)
    promote_to_default(store, info.run_id)
    assert store.resolve("dnn").run_id == "default-dnn"
    store.delete(info.run_id)
    assert [run.run_id for run in store.list().runs] == ["default-dnn"]
    with pytest.raises(ValueError, match="cannot be deleted"):
        store.delete("default-dnn")


def test_history_csv_has_a_row_per_batch_with_validation_where_measured():
    rows = history_csv(HISTORY).strip().splitlines()
    assert rows[0].startswith("step,epoch,seconds,loss,accuracy")
    assert len(rows) == 3 and rows[1].endswith(",,") and rows[2].endswith("1.4,0.5")


def test_a_damaged_model_file_is_one_sentence_not_a_crash(store):
    from webapp.store import UnreadableRunError

    info = save_dnn(store)
    with zipfile.ZipFile(info.path / "model.keras") as archive:
        architecture = archive.read("config.json")
    with zipfile.ZipFile(info.path / "model.keras", "w") as archive:  # a sound architecture, damaged weights
        archive.writestr("config.json", architecture)
        archive.writestr("model.weights.h5", b"not HDF5")
    with pytest.raises(UnreadableRunError, match=f"The saved model {info.run_id} cannot be read"):
        store.load_model(info.run_id)


def rewrite_config(info, **changes):
    config = json.loads((info.path / "config.json").read_text())
    (info.path / "config.json").write_text(json.dumps({**config, **changes}))


def skipped(store, info):
    """The one warning about `info`, after checking that the run is not listed and cannot be opened."""
    from webapp.store import UnreadableRunError

    listing = store.list()
    assert info.run_id not in [run.run_id for run in listing.runs]
    with pytest.raises(UnreadableRunError, match=f"The run {info.run_id} cannot be used"):
        store.get(info.run_id)
    (warning,) = [warning for warning in listing.warnings if info.run_id in warning]
    assert "/" not in warning and str(store.root.parent) not in warning  # no server paths for visitors
    return warning


@pytest.mark.parametrize("changes, reason", [
    ({"train_config": "zzz"}, "training settings are not a mapping"),
    ({"train_config": {"models": ["dnn"], "collection": "mine"}}, "training settings are invalid"),
    ({"train_config": {"models": ["dnn"], "epochs": "three"}}, "training settings are invalid"),
    ({"fine_tuning": {"collection": "mine"}}, "names no base run"),
    ({"train_config": {"models": ["dnn"], "pipeline": {"transform": {"__class_fullname__": "NoSuchTransform"}}}},
     "augmentation pipeline cannot be rebuilt"),  # checked once per pipeline (cached), still refused
    ({"test_accuracy": "high"}, "test accuracy is not a number"),
    ({"compute_seconds": None}, "compute seconds is not a number"),
    ({"status": ["done"]}, "status is neither"),
    ({"dataset": 7}, "dataset is not text"),
])
def test_a_run_with_a_malformed_config_is_skipped_with_one_sentence_naming_it(store, changes, reason):
    good, bad = save_dnn(store), save_dnn(store)
    rewrite_config(bad, **changes)
    assert reason in skipped(store, bad)
    assert [run.run_id for run in store.list().runs] == [good.run_id]


def test_a_run_whose_history_is_not_utf8_or_not_numbers_is_skipped(store):
    latin, strings = save_dnn(store), save_dnn(store)
    (latin.path / "history.json").write_bytes('{"batches": [], "note": "caf\xe9"}'.encode("latin-1"))
    assert "not UTF-8" in skipped(store, latin)
    (strings.path / "history.json").write_text(json.dumps({"batches": [{**HISTORY["batches"][0], "loss": "2"}]}))
    assert "batches are not points of numbers" in skipped(store, strings)


def test_test_predictions_must_be_classes_in_a_regular_file(store):
    info = save_dnn(store)
    np.save(info.path / "test_predictions.npy", np.array([3, 12], np.int64))
    assert "not classes 0 to 9" in skipped(store, info)
    piped = save_dnn(store)
    (piped.path / "test_predictions.npy").unlink()
    os.mkfifo(piped.path / "test_predictions.npy")  # listing must not wait for a writer
    assert "test predictions cannot be read" in skipped(store, piped)


@pytest.mark.parametrize("model, reason", [
    (lambda: keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]),
     "does not take 28x28 grey digits"),
    (lambda: keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]),
     "does not answer 10 classes"),
])
def test_a_model_of_another_input_shape_or_class_count_is_skipped(store, model, reason):
    info = save_dnn(store)
    model().save(info.path / "model.keras")
    assert reason in skipped(store, info)


def test_a_model_whose_architecture_is_huge_is_refused_before_parsing(store):
    info = save_dnn(store)
    with zipfile.ZipFile(info.path / "model.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "[" + " " * 3_000_000 + "]")  # small on disk, 3 MB to parse
        archive.writestr("model.weights.h5", b"")
    assert (info.path / "model.keras").stat().st_size < 100_000
    assert "architecture is over" in skipped(store, info)


def test_links_and_the_defaults_prefix_are_refused(store, tmp_path):
    real = save_dnn(store)
    outside = tmp_path / "outside-run"
    shutil.copytree(real.path, outside)
    (store.root / "20260101-000000-dnn-link").symlink_to(outside, target_is_directory=True)
    shutil.copytree(real.path, store.root / "default-cnn")
    listing = store.list()
    assert [run.run_id for run in listing.runs] == [real.run_id]
    assert any("20260101-000000-dnn-link: it is a link" in warning for warning in listing.warnings)
    assert any("default-cnn: names starting with 'default-'" in warning for warning in listing.warnings)
    linked_file = save_dnn(store)
    (linked_file.path / "history.json").unlink()
    (linked_file.path / "history.json").symlink_to(outside / "history.json")
    assert "history.json is a link" in skipped(store, linked_file)
