"""Turn training histories into the rows a chart draws: smoothed per-batch curves plus validation points."""
from __future__ import annotations

from typing import Any

import numpy as np

X_AXES = {"epoch": "Epoch", "seconds": "Compute seconds (each model's own)"}
# The chart's own axis titles say more than the radio buttons: compute seconds start after each model's first
# batch, which also traces and compiles its training step (a one-off cost that says nothing about the network).
AXIS_TITLES = {"epoch": "Epoch", "seconds": "Compute seconds (each model's own, after its warm-up batch)"}
METRICS = {"accuracy": "Accuracy", "loss": "Loss"}
TRAIN, VALIDATION = "train", "validation"
EPOCH_TRAIN, TEST, REPORTED = "train (epoch log)", "test", "reported"  # Keras' epoch log; the final test; a source's


def smooth(values: list[float], span: int = 20) -> np.ndarray:
    """Exponential moving average, debiased at the start, so per-batch noise does not hide the trend."""
    alpha = 2 / (span + 1)
    smoothed = np.empty(len(values))
    running, weight = 0.0, 0.0
    for index, value in enumerate(values):
        running = (1 - alpha) * running + alpha * value
        weight = (1 - alpha) * weight + alpha
        smoothed[index] = running / weight
    return smoothed


def thin(count: int, max_points: int) -> np.ndarray:
    """Indices of at most `max_points` evenly spread points, always keeping the last one."""
    if count <= max_points:
        return np.arange(count)
    picked = np.linspace(0, count - 1, max_points).round().astype(int)
    return np.unique(picked)


def chart_rows(histories: dict[str, dict[str, Any]], x: str = "epoch", metric: str = "accuracy",
               max_points: int = 300, references: dict[str, list[dict[str, Any]]] | None = None
               ) -> list[dict[str, Any]]:
    """Long-format rows (model, split, x, y, label) for every model's train and validation curve, its training
    score at each epoch's end as Keras' fit log reports it, its final test score, and `references` (label ->
    points of epoch, accuracy and label, what a tutorial reported), which are drawn on the epoch axis only."""
    rows: list[dict[str, Any]] = []
    for label, history in histories.items():
        for point in history.get("epochs", []):
            rows.append({"model": label, "split": EPOCH_TRAIN, "x": point[x], "y": point[metric]})
        test, batches = history.get("test"), history.get("batches", [])
        if test and batches:
            rows.append({"model": label, "split": TEST, "x": batches[-1][x], "y": test[metric],
                         "label": f"{label} test {test[metric]:.4f}"})
        if x == "epoch" and metric == "accuracy":
            for point in (references or {}).get(label, []):
                rows.append({"model": label, "split": REPORTED, "x": point["epoch"], "y": point["accuracy"],
                             "label": f"{label}, {point['label']}" if point["label"] else ""})
        batches = history.get("batches", [])
        if batches:
            smoothed = smooth([point[metric] for point in batches])
            for index in thin(len(batches), max_points):
                rows.append({"model": label, "split": TRAIN, "x": batches[index][x], "y": float(smoothed[index])})
        for point in history.get("validations", []):
            rows.append({"model": label, "split": VALIDATION, "x": point[x], "y": point[metric]})
    return rows


def plotted_summary(histories: dict[str, dict[str, Any]]) -> str:
    """The chart in words (also what screen readers and the browser test read)."""
    parts = []
    for label, history in histories.items():
        validations = history.get("validations", [])
        last = f", last validation accuracy {validations[-1]['accuracy']:.1%}" if validations else ""
        epochs = history.get("epochs", [])
        last += f", training accuracy at its last epoch's end {epochs[-1]['accuracy']:.4f}" if epochs else ""
        last += f", test accuracy {history['test']['accuracy']:.4f}" if history.get("test") else ""
        counts = f"{_count(len(history.get('batches', [])), 'batch', 'batches')}, " \
                 f"{_count(len(validations), 'validation point', 'validation points')}"
        parts.append(f"{label}: {counts}{last}")
    return "; ".join(parts)


def _count(number: int, one: str, many: str) -> str:
    """'1 validation point', '3 validation points': the caption reads as a sentence."""
    return f"{number} {one if number == 1 else many}"
