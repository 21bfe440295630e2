"""Predict digits: one 28x28 input through one or more models, called directly (no `predict()` overhead)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from webapp.digits import to_mnist
from webapp.files import MAX_FILE_BYTES
from webapp.images import ImageError, load_image_file, to_array

DECODE_MAX_SIDE = 2000  # a digit needs no more; big phone photos decode at reduced scale


@dataclass(frozen=True)
class Prediction:
    label: int
    probabilities: list[float]


def probabilities(model: Any, digits: np.ndarray) -> np.ndarray:
    """(N, 10) probabilities for N 28x28 uint8 digits, in one direct call of the model."""
    import keras

    batch = np.asarray(digits).reshape(-1, 28, 28, 1).astype(np.float32)
    return keras.ops.convert_to_numpy(model(batch, training=False)).astype(float)


def classify(models: dict[str, Any], digit: np.ndarray) -> dict[str, Prediction]:
    """Each model's label and ten probabilities for one 28x28 uint8 digit."""
    predictions = {}
    for name, model in models.items():
        ten = probabilities(model, digit)[0]
        predictions[name] = Prediction(int(np.argmax(ten)), [round(p, 6) for p in ten.tolist()])
    return predictions


def predict_file(path: str | Path, models: dict[str, Any], max_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """One JSON-ready result per file: the predictions, or one readable sentence saying why not."""
    try:
        pixels = to_array(load_image_file(path, max_side=DECODE_MAX_SIDE, max_bytes=max_bytes))
    except ImageError as error:
        return {"file": str(path), "error": str(error)}
    prepared = to_mnist(pixels)
    if prepared.digit is None:
        return {"file": str(path), "error": prepared.problem}
    return {"file": str(path), **{name: {"label": p.label, "probabilities": p.probabilities}
                                  for name, p in classify(models, prepared.digit).items()}}
