"""Predict digits: one 28x28 input through one or more models, called directly (no `predict()` overhead)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from webapp.digits import Preprocessed, to_mnist
from webapp.files import MAX_FILE_BYTES
from webapp.images import ImageError, load_image_file, to_array

DECODE_MAX_SIDE = 2000  # a digit needs no more; big phone photos decode at reduced scale
UNSURE = 0.7  # a model whose top probability is below this is unsure


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


def model_doubt(predictions: dict[str, Prediction]) -> str | None:
    """Why the models' answers suggest the picture is not a digit they know, as a phrase, or None."""
    labels = {prediction.label for prediction in predictions.values()}
    if len(labels) > 1:
        return "the models disagree"
    if predictions and all(max(prediction.probabilities) < UNSURE for prediction in predictions.values()):
        return "every model is unsure" if len(predictions) > 1 else "the model is unsure"
    return None


def not_a_digit_note(prepared: Preprocessed, predictions: dict[str, Prediction]) -> str | None:
    """One sentence when the input does not look like one digit (its shape or the models' answers say so),
    teaching why an answer still came: None for a picture that reads as one clear digit."""
    reason = prepared.doubt or model_doubt(predictions)
    if reason is None:
        return None
    return (f"This may not be one digit ({reason}): the models only know the ten classes 0-9 and always answer "
            "with one of them, even for a picture of something else, so take this answer with doubt.")


def predict_file(path: str | Path, models: dict[str, Any], max_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """One JSON-ready result per file: the predictions, or one readable sentence saying why not."""
    try:
        pixels = to_array(load_image_file(path, max_side=DECODE_MAX_SIDE, max_bytes=max_bytes))
    except ImageError as error:
        return {"file": str(path), "error": str(error)}
    prepared = to_mnist(pixels)
    if prepared.digit is None:
        return {"file": str(path), "error": prepared.problem}
    predictions = classify(models, prepared.digit)
    note = not_a_digit_note(prepared, predictions)
    return {"file": str(path), **{name: {"label": p.label, "probabilities": p.probabilities}
                                  for name, p in predictions.items()}, **({"note": note} if note else {})}
