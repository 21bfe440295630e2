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
    probe = keras.Model(model.inputs, [layer.output for layer in wanted])
    outputs = probe(digit.reshape(1, 28, 28, 1).astype(np.float32), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [(layer.name, keras.ops.convert_to_numpy(output)[0].astype(np.float32)) for layer, output in zip(wanted, outputs)]


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
