"""Look inside a trained model: the CNN's feature maps for one input, the dense net's first-layer weights."""
from __future__ import annotations

from typing import Any

import numpy as np

SPATIAL_LAYERS = ("Conv2D", "Activation", "MaxPooling2D", "AveragePooling2D", "BatchNormalization")


def feature_maps(model: Any, digit: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(layer name, H x W x C float array) after every convolution, activation and pooling layer."""
    import keras

    wanted = [layer for layer in model.layers if type(layer).__name__ in SPATIAL_LAYERS]
    if not wanted:
        return []
    probe = keras.Model(model.inputs[0], [layer.output for layer in wanted])
    outputs = probe(digit.reshape(1, 28, 28, 1).astype(np.float32), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [(layer.name, keras.ops.convert_to_numpy(output)[0].astype(np.float32))
            for layer, output in zip(wanted, outputs)]


def first_dense_weights(model: Any) -> np.ndarray | None:
    """The first dense layer's weights as one 28x28 image per neuron (N, 28, 28), when it reads the pixels."""
    for layer in model.layers:
        if type(layer).__name__ == "Dense":
            kernel = np.asarray(layer.get_weights()[0])
            return kernel.T.reshape(-1, 28, 28) if kernel.shape[0] == 28 * 28 else None
    return None


def to_tiles(maps: np.ndarray, symmetric: bool = False) -> list[np.ndarray]:
    """One uint8 image per channel, scaled over the whole layer so channels compare (symmetric: 0 is grey)."""
    maps = np.moveaxis(maps, -1, 0) if maps.ndim == 3 else maps
    if symmetric:
        top = float(np.abs(maps).max()) or 1.0
        scaled = (maps / top + 1.0) / 2.0
    else:
        low, high = float(maps.min()), float(maps.max())
        scaled = (maps - low) / ((high - low) or 1.0)
    return [np.clip(tile * 255.0 + 0.5, 0, 255).astype(np.uint8) for tile in scaled]


def occlusion_map(model: Any, digit: np.ndarray, label: int, patch: int = 6, stride: int = 2) -> np.ndarray:
    """How much the probability of `label` drops when each part of the digit is covered by a black patch.

    Zeiler and Fergus's occlusion test: every patch position is one image of a single batch; each pixel
    gets the mean drop over the patches covering it (positive: the model relies on that part).
    """
    from webapp.predict import probabilities

    digit = np.asarray(digit, dtype=np.float32)
    size = digit.shape[0]
    corners = [(top, left) for top in range(0, size - patch + 1, stride) for left in range(0, size - patch + 1, stride)]
    batch = np.repeat(digit[None], len(corners) + 1, axis=0)
    for index, (top, left) in enumerate(corners, start=1):
        batch[index, top:top + patch, left:left + patch] = 0.0
    confidence = probabilities(model, batch)[:, label]
    drops = confidence[0] - confidence[1:]
    total, covered = np.zeros_like(digit), np.zeros_like(digit)
    for (top, left), drop in zip(corners, drops):
        total[top:top + patch, left:left + patch] += drop
        covered[top:top + patch, left:left + patch] += 1
    return total / np.maximum(covered, 1)


def occlusion_overlay(heat: np.ndarray, digit: np.ndarray, floor: float = 0.05) -> np.ndarray:
    """RGB picture of an occlusion map over the faint digit: red where covering hurts the answer, blue
    where it helps; changes below `floor` (5 points of probability) stay faint rather than amplified."""
    strength = np.clip(heat / max(float(np.abs(heat).max()), floor), -1.0, 1.0)
    base = np.asarray(digit, dtype=np.float32)[..., None] / 255.0 * 0.35 * np.ones(3)
    red, blue = np.array([1.0, 0.15, 0.1]), np.array([0.15, 0.35, 1.0])
    picture = base + np.clip(strength, 0, 1)[..., None] * red + np.clip(-strength, 0, 1)[..., None] * blue
    return np.clip(picture * 255.0 + 0.5, 0, 255).astype(np.uint8)
