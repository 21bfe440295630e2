"""The runs store: shipped default models plus the user's runs, each a folder written atomically.

A run folder holds `model.keras`, `config.json`, `history.json` and `test_predictions.npy`. It is
written under a hidden temporary name and moved into place with one `os.replace`, so a half-written
run is never listed. Models are loaded only for run ids the store itself lists, with `safe_mode=True`.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from webapp import run_checks
from webapp.datasets import DEFAULT_DATASET
from webapp.network_catalog import TRAINABLE_NAMES, short_name
from webapp.paths import DEFAULT_MODELS_DIR, runs_dir
from webapp.run_record import RunRecord

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.json"
PREDICTIONS_FILE = "test_predictions.npy"
REQUIRED_FILES = (MODEL_FILE, CONFIG_FILE, HISTORY_FILE)
RUN_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
DEFAULT_PREFIX = "default-"


class UnknownRunError(LookupError):
    """A run id or model name the store does not list."""


class UnreadableRunError(LookupError):
    """A listed run whose model file cannot be loaded (damaged, or deleted meanwhile)."""


@dataclass(frozen=True)
class RunInfo:
    """A run as listed: its id, folder, and the record written with it (`config.json`)."""

    run_id: str
    path: Path
    record: RunRecord
    is_default: bool

    @property
    def config(self) -> dict[str, Any]:
        """The record as `config.json` holds it, for code written before `record` existed; read `record`."""
        return self.record.to_dict()

    @property
    def model_name(self) -> str:
        return self.record.model

    @property
    def label(self) -> str:
        """A short human label for pickers: model, dataset (when not MNIST), accuracy, origin."""
        accuracy = self.record.test_accuracy
        shown = f"{accuracy:.2%}" if isinstance(accuracy, (int, float)) else "n/a"
        status = " (stopped)" if self.record.status == "stopped" else ""
        tuned = self.record.fine_tuning or {}
        origin = f" · tuned on {tuned['collection']}" if tuned.get("collection") else ""
        origin += " · augmented" if self.record.augmentation else ""
        on = f" on {self.record.dataset}" if self.record.dataset != DEFAULT_DATASET else ""
        return f"{self.run_id} · {short_name(self.model_name)}{on} · test {shown}{origin}{status}"


@dataclass(frozen=True)
class Listing:
    runs: list[RunInfo]
    warnings: list[str]


def new_run_id(model_name: str) -> str:
    """Sortable by time, readable, and unique even for two runs started in the same second."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{model_name}-{secrets.token_hex(2)}"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, allow_nan=False), encoding="utf-8")


class RunStore:
    """User runs under `root` (default `$CONVNET_LAB_HOME/runs`), defaults under `models/defaults`."""

    def __init__(self, root: Path | None = None, defaults_root: Path = DEFAULT_MODELS_DIR) -> None:
        self.root = Path(root) if root is not None else runs_dir()
        self.defaults_root = Path(defaults_root)

    # -- writing -------------------------------------------------------------------------------
    def save(self, run_id: str, model: Any, config: RunRecord | dict[str, Any], history: dict[str, Any],
             test_predictions: np.ndarray | None = None) -> RunInfo:
        """Write every file into a temporary folder, then move it into place in one step."""
        if isinstance(config, RunRecord):
            config = config.to_dict()
        with self._staging(run_id) as staging:
            model.save(staging / MODEL_FILE)
            _write_json(staging / CONFIG_FILE, {**config, "run_id": run_id})
            _write_json(staging / HISTORY_FILE, history)
            if test_predictions is not None:
                np.save(staging / PREDICTIONS_FILE, np.asarray(test_predictions, dtype=np.uint8), allow_pickle=False)
        return self.get(run_id)

    def save_files(self, run_id: str, files: dict[str, bytes]) -> RunInfo:
        """A run's files as bytes (a run trained elsewhere: on a Ray cluster), written as `save` writes them."""
        with self._staging(run_id) as staging:
            for name, data in files.items():
                (staging / name).write_bytes(data)
        return self.get(run_id)

    @contextlib.contextmanager
    def _staging(self, run_id: str) -> Iterator[Path]:
        """A temporary folder in the store, moved into place as the run `run_id` in one step when the block ends
        (removed if it fails), so a half-written run is never listed."""
        if not RUN_ID_PATTERN.match(run_id):
            raise ValueError(f"{run_id!r} is not a valid run id.")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{run_id}-", dir=self.root))
        try:
            yield staging
            os.replace(staging, self.root / run_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def delete(self, run_id: str) -> None:
        """Remove a user run (renamed away first, so it vanishes from listings at once)."""
        info = self.get(run_id)
        if info.is_default:
            raise ValueError("The shipped default models cannot be deleted.")
        doomed = info.path.with_name(f".deleting-{run_id}-{secrets.token_hex(2)}")
        os.replace(info.path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------------
    def list(self) -> Listing:
        """Defaults first, then user runs newest first; broken or foreign folders skipped with a warning."""
        runs: list[RunInfo] = []
        warnings: list[str] = []
        for base, is_default in ((self.defaults_root, True), (self.root, False)):
            if not base.is_dir():
                continue
            folders = sorted((p for p in base.iterdir()
                              if (p.is_dir() or p.is_symlink()) and not p.name.startswith(".")),
                             key=lambda p: p.name, reverse=not is_default)
            for folder in folders:
                info, problem = self._read_entry(folder, is_default)
                if info:
                    runs.append(info)
                elif problem:
                    warnings.append(problem)
        return Listing(runs, warnings)

    def _read_entry(self, folder: Path, is_default: bool) -> tuple[RunInfo | None, str | None]:
        """The run in `folder` if every file a page reads is sound; else None and a sentence naming the run
        (never a server path, since every visitor sees the warnings)."""
        info, reason = self._check_entry(folder, is_default)
        return info, (f"Skipped {folder.name}: {reason}." if reason else None)

    def _check_entry(self, folder: Path, is_default: bool) -> tuple[RunInfo | None, str | None]:
        if folder.is_symlink():
            return None, "it is a link, and the store keeps only real folders"
        if not is_default and folder.name.startswith(DEFAULT_PREFIX):
            return None, f"names starting with '{DEFAULT_PREFIX}' are kept for the shipped models"
        missing = [file for file in REQUIRED_FILES if not (folder / file).is_file()]
        if missing:
            return None, f"it lacks {', '.join(missing)}"
        links = [file for file in (*REQUIRED_FILES, PREDICTIONS_FILE) if (folder / file).is_symlink()]
        if links:
            return None, f"its {', '.join(links)} is a link, and the store keeps only real files"
        try:
            config = run_checks.read_json(folder / CONFIG_FILE, run_checks.CONFIG_LIMIT)
        except (OSError, ValueError) as error:
            return None, f"its config cannot be read ({error})"
        run_id = DEFAULT_PREFIX + folder.name if is_default else folder.name
        if not RUN_ID_PATTERN.match(run_id):
            return None, "the folder name is not a run id"
        problem = run_checks.run_problem(folder, config, {"config": CONFIG_FILE, "model": MODEL_FILE,
                                                          "history": HISTORY_FILE, "predictions": PREDICTIONS_FILE})
        if problem:
            return None, problem
        return RunInfo(run_id, folder, RunRecord.from_dict(config), is_default), None

    def get(self, run_id: str) -> RunInfo:
        """The run's own folder, read and checked as `list` does (no other run is read)."""
        is_default = run_id.startswith(DEFAULT_PREFIX)
        name = run_id[len(DEFAULT_PREFIX):] if is_default else run_id
        folder = (self.defaults_root if is_default else self.root) / name
        if RUN_ID_PATTERN.match(run_id) and (folder.is_dir() or folder.is_symlink()):  # no "/", ".." or hidden names
            info, reason = self._check_entry(folder, is_default)
            if info and info.run_id == run_id:
                return info
            if reason:
                raise UnreadableRunError(f"The run {run_id} cannot be used: {reason}.")
        raise UnknownRunError(f"No saved run is called {run_id!r}; `python -m webapp runs` lists them.")

    def resolve(self, name: str) -> RunInfo:
        """A trainable network's name (`dnn`, `cnn`, `lenet`) means its shipped default; anything else is a run id."""
        return self.get(DEFAULT_PREFIX + name if name in TRAINABLE_NAMES else name)

    def load_model(self, run_id: str) -> Any:
        """Load a listed run's model; safe mode refuses Lambda layers and other code in the file."""
        import keras

        path = self.get(run_id).path / MODEL_FILE
        try:
            from webapp.optimizers import TWO_RATE  # the lab's own optimizers, which transfer runs are saved with

            return keras.saving.load_model(path, safe_mode=True,
                                           custom_objects={kind.__name__: kind for kind in TWO_RATE.values()})
        except Exception as error:  # Keras raises many kinds for a damaged file; the user needs one sentence
            raise UnreadableRunError(f"The saved model {run_id} cannot be read ({type(error).__name__}): "
                                     "pick another run, or delete this one.") from error

    def load_history(self, run_id: str) -> dict[str, Any]:
        return run_checks.read_json(self.get(run_id).path / HISTORY_FILE, run_checks.HISTORY_LIMIT)

    def load_predictions(self, run_id: str) -> np.ndarray | None:
        path = self.get(run_id).path / PREDICTIONS_FILE
        return np.load(path, allow_pickle=False) if path.is_file() else None

    def model_bytes(self, run_id: str) -> bytes:
        return (self.get(run_id).path / MODEL_FILE).read_bytes()


def history_csv(history: dict[str, Any]) -> str:
    """One row per batch, with the validation measured after that batch where there was one."""
    validations = {point["step"]: point for point in history.get("validations", [])}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["step", "epoch", "seconds", "loss", "accuracy", "samples_per_second", "val_loss", "val_accuracy"])
    for point in history.get("batches", []):
        val = validations.get(point["step"], {})
        writer.writerow([point["step"], round(point["epoch"], 4), round(point["seconds"], 4),
                         point["loss"], point["accuracy"], round(point["samples_per_second"], 1),
                         val.get("loss", ""), val.get("accuracy", "")])
    return out.getvalue()


def default_name(record: RunRecord) -> str:
    """The shipped default's folder: the network's name for MNIST (`models/defaults/cnn`, run id `default-cnn`,
    what the digit pages read), else the network and the dataset (`cnn-fashion`, `cnn3-mnist-0-4`)."""
    return record.model if record.dataset == DEFAULT_DATASET else f"{record.model}-{record.dataset}"


def promote_to_default(store: RunStore, run_id: str) -> Path:
    """Copy a user run into the shipped defaults as `models/defaults/<default_name>` (maintainers only)."""
    info = store.get(run_id)
    name = default_name(info.record)
    target = store.defaults_root / name
    store.defaults_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=store.defaults_root))
    shutil.copytree(info.path, staging, dirs_exist_ok=True)
    if target.exists():
        retired = target.with_name(f".old-{name}-{secrets.token_hex(2)}")
        os.replace(target, retired)
        shutil.rmtree(retired, ignore_errors=True)
    os.replace(staging, target)
    return target
