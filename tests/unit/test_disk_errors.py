"""A full or read-only disk: one sentence without paths, nothing half-written left, and the CLI says what it saved."""
import errno
import json
import os

import numpy as np
import pytest

from webapp import cli
from webapp.errors import DISK_FULL, DISK_READ_ONLY, describe_error
from webapp.networks import build
from webapp.store import RunStore, new_run_id

HISTORY = {"batches": [], "validations": [], "epoch_seconds": []}


def test_a_save_on_a_full_disk_leaves_nothing_and_reads_as_one_sentence(lab_home, monkeypatch):
    store = RunStore()
    model = build("dnn")

    def full(path, *args, **kwargs):
        (path.parent / "partial").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(model, "save", full)
    with pytest.raises(OSError) as caught:
        store.save(new_run_id("dnn"), model, {"model": "dnn"}, HISTORY)
    assert describe_error(caught.value) == DISK_FULL
    assert os.listdir(store.root) == []


def test_deleting_on_a_read_only_disk_is_one_sentence(lab_home, monkeypatch):
    store = RunStore()
    info = store.save(new_run_id("dnn"), build("dnn"), {"model": "dnn"}, HISTORY, np.zeros(3, np.uint8))

    def read_only(source, target):
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr("webapp.store.os.replace", read_only)
    with pytest.raises(OSError) as caught:
        store.delete(info.run_id)
    assert describe_error(caught.value) == DISK_READ_ONLY
    assert info.run_id in [run.run_id for run in store.list().runs]


def test_cli_train_reports_the_models_it_saved_before_the_disk_filled(lab_home, monkeypatch, capsys, tiny_mnist):
    monkeypatch.setattr("webapp.datasets.load", lambda name="mnist", path=None: tiny_mnist)
    original = RunStore.save
    calls = []

    def second_fails(self, run_id, *args, **kwargs):
        calls.append(run_id)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.root / f".tmp-{run_id}"))
        return original(self, run_id, *args, **kwargs)

    monkeypatch.setattr(RunStore, "save", second_fails)
    assert cli.main(["train", "--model", "dnn,cnn", "--subset", "600", "--epochs", "1", "--json"]) == 1
    captured = capsys.readouterr()
    (saved,) = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert saved["model"] == "dnn" and saved["run_id"] == calls[0]
    last = captured.err.strip().splitlines()[-1]
    assert last == f"The lab could not save: its disk is full (the cnn model); saved before that: {calls[0]}."
    assert [run.run_id for run in RunStore().list().runs if not run.is_default] == [calls[0]]


def test_a_digit_that_cannot_be_saved_leaves_no_half_sample(lab_home, monkeypatch):
    from webapp import own_digits

    original = own_digits._write_png
    writes = []

    def second_fails(path, pixels):
        writes.append(path)
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        original(path, pixels)

    monkeypatch.setattr(own_digits, "_write_png", second_fails)
    collection = own_digits.Collection("full")
    with pytest.raises(OSError):
        collection.add(np.zeros((28, 28), np.uint8), np.zeros((50, 50), np.uint8), 3, "a" * 64)
    assert collection.samples() == [] and list((collection.path / "3").iterdir()) == []
