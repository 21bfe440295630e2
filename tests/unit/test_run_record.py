"""RunRecord: a run's config.json as typed fields. Runs saved before it existed (the shipped defaults, users'
older runs) must still read, list and load; keys it does not know are ignored; writers keep the same keys."""
import json

import numpy as np

from webapp import cli
from webapp.networks import build
from webapp.run_record import RunRecord
from webapp.store import RunStore, new_run_id

# models/defaults/lenet/config.json as shipped before runs recorded their dataset, warm-up or epochs trained
OLD_CONFIG = r'''
{
 "model": "lenet",
 "status": "done",
 "job_id": "job-4346362c",
 "raced_with": [
  "dnn",
  "cnn"
 ],
 "train_config": {
  "models": [
   "dnn",
   "cnn",
   "lenet"
  ],
  "epochs": 20,
  "batch_size": 128,
  "subset": 0,
  "seed": 0,
  "optimizer": "adam",
  "learning_rate": 0.001,
  "schedule": "cosine",
  "dropout": 0.0,
  "batch_norm": false,
  "validation_fraction": 0.08333333333333333,
  "validations_per_epoch": 10,
  "precision": "float32",
  "pipeline": {
   "__version__": "2.0.8",
   "transform": {
    "__class_fullname__": "Compose",
    "p": 1.0,
    "transforms": [
     {
      "__class_fullname__": "Affine",
      "p": 0.7,
      "balanced_scale": false,
      "border_mode": 0,
      "fill": 0.0,
      "fill_mask": 0.0,
      "fit_output": false,
      "interpolation": 1,
      "keep_ratio": false,
      "mask_interpolation": 0,
      "rotate": [
       -15.0,
       15.0
      ],
      "rotate_method": "largest_box",
      "scale": {
       "x": [
        0.9,
        1.1
       ],
       "y": [
        0.9,
        1.1
       ]
      },
      "shear": {
       "x": [
        0.0,
        0.0
       ],
       "y": [
        0.0,
        0.0
       ]
      },
      "translate_percent": {
       "x": [
        -0.1,
        0.1
       ],
       "y": [
        -0.1,
        0.1
       ]
      },
      "translate_px": null
     },
     {
      "__class_fullname__": "ElasticTransform",
      "p": 0.3,
      "alpha": 34.0,
      "approximate": false,
      "border_mode": 0,
      "fill": 0.0,
      "fill_mask": 0.0,
      "interpolation": 1,
      "keypoint_remapping_method": "mask",
      "mask_interpolation": 0,
      "noise_distribution": "gaussian",
      "same_dxdy": false,
      "sigma": 4.0
     },
     {
      "__class_fullname__": "CoarseDropout",
      "p": 0.3,
      "fill": 0.0,
      "fill_mask": null,
      "hole_height_range": [
       0.1,
       0.25
      ],
      "hole_width_range": [
       0.1,
       0.25
      ],
      "num_holes_range": [
       1,
       2
      ]
     }
    ],
    "bbox_params": null,
    "keypoint_params": null,
    "additional_targets": {},
    "is_check_shapes": true
   }
  },
  "base_run": "",
  "collection": ""
 },
 "seed": 0,
 "device": "CPU, 2 cores (tensorflow)",
 "precision": "float32",
 "params": 61706,
 "train_images": 55000,
 "validation_images": 5000,
 "steps": 8580,
 "epoch_seconds": [
  15.451392971000473,
  16.305619856000305,
  21.417350206999515,
  30.054516346999662,
  33.67448841400051,
  37.48243906500204,
  33.464857048997374,
  26.05891874099939,
  22.461758096997755,
  18.43626502099937,
  29.93831375699756,
  19.456866872997125,
  20.88892835999559,
  15.70136802400566,
  32.648000970998964,
  21.891181824989417,
  22.15100780099783,
  22.03765960699866,
  24.31747283400091,
  24.403972755999348
 ],
 "compute_seconds": 488.24237857597745,
 "wall_seconds": 4576.530393362045,
 "test_accuracy": 0.9918,
 "test_loss": 0.02421143464744091,
 "created": "2026-11-30 12:38:02",
 "augmentation": "Affine(rotate \u00b115, translate_percent \u00b10.1, scale 0.9-1.1, p 0.7)",
 "run_id": "20261130-123802-lenet-b11d"
}
'''
HISTORY = {"batches": [], "validations": [], "epoch_seconds": []}


def test_an_old_config_reads_with_its_values_and_mnist_as_its_dataset():
    old = json.loads(OLD_CONFIG)
    record = RunRecord.from_dict(old)
    assert (record.model, record.dataset, record.status) == ("lenet", "mnist", "done")
    assert record.test_accuracy == 0.9918 and record.params == 61706 and record.raced_with == ("dnn", "cnn")
    assert record.train_config["batch_size"] == 128 and record.augmentation.startswith("Affine(rotate ±15")
    assert len(record.epoch_seconds) == 20 and record.run_id == "20261130-123802-lenet-b11d"
    assert record.warmup_seconds is None and record.epochs_trained is None and record.fine_tuning is None
    assert record.to_dict() == {**old, "dataset": "mnist"}  # nothing it had is lost when written again


def test_unknown_keys_are_ignored_and_missing_ones_take_their_defaults():
    record = RunRecord.from_dict({"model": "cnn", "test_accuracy": 0.5, "colour": "red", "dataset": "fashion",
                                  "future": {"nested": [1, 2]}})
    assert (record.model, record.dataset, record.test_accuracy) == ("cnn", "fashion", 0.5)
    assert not hasattr(record, "colour") and record.status is None and record.train_config == {}
    assert record.to_dict() == {"model": "cnn", "dataset": "fashion", "raced_with": [], "train_config": {},
                                "epoch_seconds": [], "test_accuracy": 0.5}  # what was never recorded stays out
    assert RunRecord.from_dict({}) == RunRecord() and RunRecord().model == "?"
    assert RunRecord.from_dict({"model": "dnn", "raced_with": "cnn"}).raced_with == ()  # not a list: none


def test_runs_saved_in_the_old_format_or_with_unknown_keys_are_listed_and_load(tmp_path):
    store = RunStore(tmp_path / "runs", defaults_root=tmp_path / "none")
    old = store.save(new_run_id("lenet"), build("lenet"), json.loads(OLD_CONFIG), HISTORY, np.zeros(3, np.uint8))
    newer = store.save(new_run_id("lenet"), build("lenet"), {**json.loads(OLD_CONFIG), "colour": "red",
                                                               "dataset": "mnist", "extra": {"a": [1]}}, HISTORY)
    listing = store.list()
    assert listing.warnings == [] and {info.run_id for info in listing.runs} == {old.run_id, newer.run_id}
    for info in listing.runs:
        assert info.record.model == "lenet" and info.record.dataset == "mnist" and info.record.run_id == info.run_id
        assert "test 99.18%" in info.label and "augmented" in info.label
        assert store.load_model(info.run_id).output_shape == (None, 10)


def test_training_writes_the_same_keys_as_before_plus_the_dataset(monkeypatch, capsys, tiny_mnist):
    monkeypatch.setattr("webapp.datasets.load", lambda name="mnist", path=None: tiny_mnist)
    assert cli.main(["train", "--model", "dnn", "--subset", "600", "--epochs", "1", "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    written = json.loads((RunStore().get(line["run_id"]).path / "config.json").read_text())
    assert set(written) == {"model", "status", "job_id", "raced_with", "train_config", "seed", "device", "precision",
                            "params", "train_images", "validation_images", "steps", "epoch_seconds", "compute_seconds",
                            "warmup_seconds", "epochs_trained", "wall_seconds", "test_accuracy", "test_loss", "created",
                            "run_id", "dataset"}
    assert written["dataset"] == "mnist" and written["raced_with"] == [] and isinstance(written["epoch_seconds"], list)
    assert RunRecord.from_dict(written).to_dict() == written


def test_a_run_is_listed_to_its_owner_and_to_all_when_it_has_none_and_deleted_only_by_its_owner():
    from webapp.ownership import new_secret, owner_key

    mine, theirs = owner_key(new_secret()), owner_key(new_secret())
    owned, shared = RunRecord(owner=mine), RunRecord()
    assert owned.visible_to(mine) and not owned.visible_to(theirs)
    assert owned.deletable_by(mine) and not owned.deletable_by(theirs)
    assert shared.visible_to(theirs) and not shared.deletable_by(theirs)
    assert RunRecord.from_dict(owned.to_dict()).owner == mine and "owner" not in shared.to_dict()


def test_a_stored_owner_that_is_not_an_owner_key_makes_the_run_unusable():
    from webapp.run_checks import config_problem

    assert config_problem({"model": "dnn", "owner": "../../etc"}) == "its owner is not an owner key"
