"""Checks of a run folder before the store lists it: a run anyone could have written (or damaged) must not
break a page for every visitor when it is listed, picked, overlaid or drawn on.

Each check returns the reason a run is skipped, as words for "Skipped <run>: <reason>." (never a server
path), or None. Reading a history and a model's config costs milliseconds, so results are kept per
folder until one of its files changes.
"""
from __future__ import annotations

import io
import json
import math
import os
import stat
import threading
import zipfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from webapp import datasets
from webapp.datasets import DatasetInfo
from webapp.network_catalog import trainable_names
from webapp.ownership import OWNER_KEY_PATTERN

STATUSES = ("done", "stopped")
CONFIG_LIMIT = 1_000_000  # bytes of config.json; ours are about 1 KB
HISTORY_LIMIT = 64_000_000  # bytes of history.json: about 300,000 batches
PREDICTIONS_LIMIT = 1_000_000  # bytes of test_predictions.npy: 10,000 uint8 plus a header
MODEL_CONFIG_LIMIT = 2_000_000  # bytes of the config inside a .keras file; the lab's are under 20 KB
BATCH_KEYS = ("step", "epoch", "seconds", "loss", "accuracy")
VALIDATION_KEYS = ("step", "epoch", "seconds", "loss", "accuracy")

_cache: dict[str, tuple[tuple, str | None]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 2048


class OversizedFileError(ValueError):
    """A file over the size the lab reads."""


def read_capped(path: Path, limit: int) -> bytes:
    """A regular file's bytes, refusing (before reading) one larger than `limit` or one that is not a plain file.
    (`webapp.files.read_file_capped` is the CLI's version, whose sentences name `--max-bytes`.)"""
    with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:  # a FIFO never blocks
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OversizedFileError("it is not a regular file")
        if status.st_size > limit:
            raise OversizedFileError(f"it is over {limit:,} bytes")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OversizedFileError(f"it is over {limit:,} bytes")
    return data


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_json(path: Path, limit: int) -> Any:
    """UTF-8 JSON from a capped file; ValueError (with the reason) for anything else."""
    try:
        return json.loads(read_capped(path, limit).decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except json.JSONDecodeError:
        raise ValueError("it is not valid JSON") from None


# -- the parts of a run ---------------------------------------------------------------------------------
def config_problem(config: Any) -> str | None:
    """What is wrong with a run's config.json contents (already parsed), or None."""
    if not isinstance(config, dict) or config.get("model") not in trainable_names():
        return "it was not written by ConvNet Lab"
    if isinstance(config.get("dataset"), str) and not datasets.known(config["dataset"]):
        if config["dataset"].startswith(datasets.CLASSES_PREFIX):
            return (f"it was trained on the collection of classes "
                    f"{config['dataset'][len(datasets.CLASSES_PREFIX):]!r}, which no longer exists")
        return f"it was trained on {config['dataset']!r}, a dataset this lab does not have"
    if "status" in config and config["status"] not in STATUSES:
        return "its status is neither done nor stopped"
    for key in ("test_accuracy", "test_loss", "params", "train_images", "validation_images", "steps", "compute_seconds",
                "wall_seconds", "warmup_seconds", "seed"):
        if key in config and not is_number(config[key]):
            return f"its {key.replace('_', ' ')} is not a number"
    for key in ("device", "created", "augmentation", "precision", "job_id", "dataset", "recipe",
                "source_run"):
        if key in config and not isinstance(config[key], str):
            return f"its {key} is not text"
    if "class_names" in config and not (isinstance(config["class_names"], list) and config["class_names"]
                                        and all(isinstance(name, str) for name in config["class_names"])):
        return "its class names are not a list of names"
    if "held_out_samples" in config and not (isinstance(config["held_out_samples"], list)
                                             and all(isinstance(name, str) for name in config["held_out_samples"])):
        return "its held-out samples are not a list of sample ids"
    if "owner" in config and not (isinstance(config["owner"], str) and OWNER_KEY_PATTERN.match(config["owner"])):
        return "its owner is not an owner key"
    if "epoch_seconds" in config and not (isinstance(config["epoch_seconds"], list)
                                          and all(is_number(value) for value in config["epoch_seconds"])):
        return "its epoch seconds are not a list of numbers"
    return train_config_problem(config) or fine_tuning_problem(config)


def train_config_problem(config: dict[str, Any]) -> str | None:
    from webapp.config import TrainConfig

    settings = config.get("train_config", {})
    if not isinstance(settings, dict):
        return "its training settings are not a mapping"
    try:
        trained = TrainConfig.from_dict(settings)
    except (TypeError, ValueError):
        return "its training settings are invalid"
    if settings and config["model"] not in trained.models:
        return "its training settings do not include its model"
    if trained.pipeline and not pipeline_rebuilds(json.dumps(trained.pipeline, sort_keys=True)):
        return "its augmentation pipeline cannot be rebuilt"
    return None


@lru_cache(maxsize=256)
def pipeline_rebuilds(pipeline_json: str) -> bool:
    """Whether Albumentations rebuilds this pipeline (its dict as JSON text, the cache key). Kept: every page that
    lists the runs checks each run's config on every rerun, and rebuilding the pipelines took ~50 ms a listing."""
    from webapp.augment import pipeline_from_dict

    try:
        pipeline_from_dict(json.loads(pipeline_json))
    except Exception:  # noqa: BLE001 - any failure to rebuild it means "Show code" would fail too
        return False
    return True


def fine_tuning_problem(config: dict[str, Any]) -> str | None:
    tuned = config.get("fine_tuning")
    if tuned is None:
        return None
    if not isinstance(tuned, dict) or not all(isinstance(tuned.get(key), str) and tuned[key]
                                              for key in ("base_run", "collection")):
        return "it is marked fine-tuned but names no base run and collection"
    return None


def history_problem(path: Path) -> str | None:
    """The curves must be lists of points whose values are numbers (charts and the CSV read them)."""
    try:
        history = read_json(path, HISTORY_LIMIT)
    except (OSError, ValueError) as error:
        return f"its history cannot be read ({error})"
    if not isinstance(history, dict):
        return "its history is not a mapping"
    for key, needed in (("batches", BATCH_KEYS), ("validations", VALIDATION_KEYS)):
        points = history.get(key, [])
        if not isinstance(points, list) or not all(
                isinstance(point, dict) and all(is_number(point.get(name)) for name in needed) for point in points):
            return f"its history's {key} are not points of numbers"
    if "batches" in history and history["batches"] and not all(
            is_number(point.get("samples_per_second")) for point in history["batches"]):
        return "its history's batches are not points of numbers"
    return None


def predictions_problem(path: Path, dataset: DatasetInfo = datasets.MNIST) -> str | None:
    """Optional; if there, one of the dataset's classes per test image."""
    if not os.path.lexists(path):
        return None
    try:
        data = read_capped(path, PREDICTIONS_LIMIT)
        predictions = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return "its test predictions cannot be read"
    if predictions.ndim != 1 or not np.issubdtype(predictions.dtype, np.integer) or (
            predictions.size and (predictions.min() < 0 or predictions.max() >= dataset.num_classes)):
        return f"its test predictions are not classes 0 to {dataset.num_classes - 1}"
    return None


def model_config(path: Path, limit: int = MODEL_CONFIG_LIMIT) -> dict[str, Any]:
    """The architecture stored in a `.keras` file, read with its size capped before parsing (a small file can
    hold a config that takes gigabytes and minutes to parse). ValueError with the reason otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                entry = archive.getinfo("config.json")
            except KeyError:
                raise ValueError("its model file has no architecture") from None
            if entry.file_size > limit:
                raise ValueError(f"its model's architecture is over {limit:,} bytes")
            with archive.open(entry) as file:
                text = file.read(limit + 1)  # the header's size could lie
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, RuntimeError):
        raise ValueError("its model file is not a Keras archive") from None
    if len(text) > limit:
        raise ValueError(f"its model's architecture is over {limit:,} bytes")
    try:
        config = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("its model's architecture cannot be read") from None
    if not isinstance(config, dict):
        raise ValueError("its model's architecture cannot be read")
    return config


def model_problem(path: Path, dataset: DatasetInfo = datasets.MNIST) -> str | None:
    """The model must take the images of the dataset it was trained on and answer its classes, as every page
    that shows the run feeds and reads it."""
    try:
        config = model_config(path)
    except ValueError as error:
        return str(error)
    layers = (config.get("config") or {}).get("layers") if isinstance(config.get("config"), dict) else None
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        return "its model's architecture lists no layers"
    inputs = [layer.get("config", {}).get("batch_shape") for layer in layers if layer.get("class_name") == "InputLayer"]
    if inputs != [[None, *dataset.image_shape]]:
        height, width, channels = dataset.image_shape
        return (f"its model does not take {height}x{width} {'grey' if channels == 1 else 'colour'} "
                f"{dataset.item}s")
    last = layers[-1].get("config")
    if not isinstance(last, dict) or last.get("units") != dataset.num_classes:
        return f"its model does not answer {dataset.num_classes} classes"
    return None


# -- a whole folder -------------------------------------------------------------------------------------
def _signature(folder: Path, names: tuple[str, ...]) -> tuple:
    stats: list[tuple[str, int, int, int] | tuple[str, None]] = []
    for name in names:
        try:
            status = (folder / name).lstat()
            stats.append((name, status.st_mtime_ns, status.st_size, status.st_ino))
        except OSError:
            stats.append((name, None))
    return tuple(stats)


def trained_on(config: dict[str, Any]) -> DatasetInfo:
    """The dataset's entry as the run saw it: a collection of the learner's own classes may have gained, lost or
    renamed classes since, so its run is checked against (and shown with) the class names it recorded."""
    dataset = datasets.get(config.get("dataset", datasets.DEFAULT_DATASET))
    if config.get("class_names") and dataset.name.startswith(datasets.CLASSES_PREFIX):
        return replace(dataset, class_names=tuple(config["class_names"]))
    return dataset


def run_problem(folder: Path, config: dict[str, Any], files: dict[str, str]) -> str | None:
    """Everything a page will read of the run: the parsed config each time (cheap, and it names the dataset the
    rest is checked against), the files once per version of them and of the dataset's entry (cached)."""
    problem = config_problem(config)
    if problem:
        return problem
    dataset = trained_on(config)
    names = tuple(files.values())
    key, signature = str(folder), (_signature(folder, names), dataset)
    with _cache_lock:
        cached = _cache.get(key)
    if cached and cached[0] == signature:
        return cached[1]
    problem = (model_problem(folder / files["model"], dataset) or history_problem(folder / files["history"])
               or predictions_problem(folder / files["predictions"], dataset))
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = (signature, problem)
    return problem
