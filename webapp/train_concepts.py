"""The training ideas the seed tutorials explain, computed by the lab: why ReLU, and dropout at training vs test time.

The Train page shows them (`?concept=relu`, `?concept=dropout`). The numbers come from the lab's own networks and
Keras' own layers on real batches, never typed in; each concept also names the two runs that race the idea.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from webapp.network_catalog import HIDDEN_ACTIVATIONS

TRAIN_CONCEPTS = {
    "relu": "Why ReLU: the gradient that reaches the first layer",
    "dropout": "Dropout at training time and at test time",
}

# The two runs each concept compares. The lab races different networks in one job, not two versions of one, so a
# concept is two jobs, one link each, overlaid afterwards under "Saved runs". Plain SGD shows the activations apart
# best: Adam and rmsprop rescale every weight's step, which hides much of a small gradient.
CONCEPT_RUNS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "relu": [
        ("DNN with ReLU hidden units", {"models": "dnn", "activation": "relu", "optimizer": "sgd", "lr": "0.1",
                                        "images": "12000", "epochs": "3"}),
        ("DNN with sigmoid hidden units", {"models": "dnn", "activation": "sigmoid", "optimizer": "sgd", "lr": "0.1",
                                           "images": "12000", "epochs": "3"}),
    ],
    "dropout": [
        ("DNN without dropout", {"models": "dnn", "dropout": "0.0", "images": "3000", "epochs": "10"}),
        ("DNN with dropout 0.5", {"models": "dnn", "dropout": "0.5", "images": "3000", "epochs": "10"}),
    ],
}


# -- Why ReLU ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradientSize:
    """For one activation: the mean |dLoss/dW| of the first layer's kernel on one batch, at initialisation, and the
    mean slope of the hidden units there (what the chain rule multiplies that gradient by)."""

    activation: str
    first_layer_gradient: float
    mean_slope: float
    loss: float


def gradient_sizes(x: np.ndarray, y: np.ndarray, activations: tuple[str, ...] = HIDDEN_ACTIVATIONS,
                   seed: int = 0) -> list[GradientSize]:
    """A freshly initialised DNN per activation (same seed, so the same starting weights), one batch through it.

    The gradient reaching the first layer passes through each hidden unit's slope: at most 1/4 for sigmoid, 0 or 1
    for ReLU. That is why deep sigmoid networks learned slowly and ReLU took over.
    """
    return [_gradient_size(x, y, activation, seed) for activation in activations]


def _gradient_size(x: np.ndarray, y: np.ndarray, activation: str, seed: int) -> GradientSize:
    import keras
    import tensorflow as tf

    from webapp.networks import NetworkOptions, build

    keras.utils.set_random_seed(seed)
    model = build("dnn", NetworkOptions(activation=activation))
    first = model.get_layer("dense_1")
    inputs = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as tape:  # watches the model's trainable weights
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(inputs, training=True)))
    gradient = tape.gradient(loss, [first.kernel])[0]
    flat = tf.reshape(inputs / 255.0, (len(x), -1))
    pre_activation = tf.matmul(flat, first.kernel) + first.bias
    with tf.GradientTape() as slope_tape:
        slope_tape.watch(pre_activation)
        activated = keras.activations.get(activation)(pre_activation)
    slopes = slope_tape.gradient(activated, pre_activation)
    return GradientSize(activation, float(tf.reduce_mean(tf.abs(gradient))), float(tf.reduce_mean(slopes)),
                        float(loss))


# -- Dropout -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DropoutDemo:
    """One layer's outputs passed through Keras' Dropout, at training time (a random mask, survivors scaled by
    1/(1-p): inverted dropout) and at test time (unchanged)."""

    rate: float
    outputs: tuple[float, ...]
    kept: tuple[bool, ...]
    training: tuple[float, ...]
    test: tuple[float, ...]

    @property
    def scale(self) -> float:
        return 1 / (1 - self.rate)

    def rows(self) -> list[dict[str, Any]]:
        """One row per neuron, for a table."""
        return [{"neuron": index + 1, "output": f"{value:.2f}", "training: kept?": "kept" if kept else "dropped",
                 "training output": f"{train:.2f}", "test output": f"{test:.2f}"}
                for index, (value, kept, train, test) in enumerate(zip(self.outputs, self.kept, self.training,
                                                                      self.test))]


def dropout_demo(rate: float = 0.5, neurons: int = 10, seed: int = 0) -> DropoutDemo:
    """Ten positive outputs (a seeded draw) through `keras.layers.Dropout(rate)`: once training, once not."""
    import keras

    if not 0 <= rate < 1:
        raise ValueError(f"The dropout rate must be at least 0 and below 1, not {rate}.")
    outputs = np.round(np.random.default_rng(seed).uniform(0.1, 2.0, (1, neurons)), 2).astype("float32")
    layer = keras.layers.Dropout(rate, seed=seed)
    training = np.asarray(layer(outputs, training=True))[0]
    test = np.asarray(layer(outputs, training=False))[0]
    values = lambda array: tuple(round(float(value), 4) for value in array)  # noqa: E731 - float32 noise off
    return DropoutDemo(rate, values(outputs[0]), tuple(bool(value) for value in training != 0), values(training),
                       values(test))


# -- The two runs of a concept, compared --------------------------------------------------------------------
def gap_row(run_id: str, model: str, train_config: dict[str, Any], history: dict[str, Any]) -> dict[str, Any] | None:
    """A saved run's last training accuracy (Keras' epoch log) and last validation accuracy, and the gap between
    them (how much better it does on images it learned from): None for a run without both."""
    epochs, validations = history.get("epochs", []), history.get("validations", [])
    if not epochs or not validations:
        return None
    train, validation = epochs[-1]["accuracy"], validations[-1]["accuracy"]
    return {"run": run_id, "model": model, "activation": train_config.get("activation", "relu"),
            "dropout": train_config.get("dropout", 0.0), "epochs": len(epochs),
            "training accuracy": round(train, 4), "validation accuracy": round(validation, 4),
            "gap": round(train - validation, 4)}
