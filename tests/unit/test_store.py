import json
import os

import keras
import numpy as np
import pytest

from webapp.networks import build
from webapp.store import RunStore, UnknownRunError, history_csv, new_run_id, promote_to_default

HISTORY = {"batches": [{"step": 1, "epoch": 0.5, "loss": 2.0, "accuracy": 0.1, "seconds": 0.1, "samples_per_second": 100.0},
                       {"step": 2, "epoch": 1.0, "loss": 1.5, "accuracy": 0.4, "seconds": 0.2, "samples_per_second": 110.0}],
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
    (info.path / "model.keras").write_bytes(b"not a zip at all")
    with pytest.raises(UnreadableRunError, match=f"The saved model {info.run_id} cannot be read"):
        store.load_model(info.run_id)
