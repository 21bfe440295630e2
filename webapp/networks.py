"""The lab's networks, one builder each, shared by every page and the CLI.

Every model takes (28, 28, 1) uint8-range pixels and scales them itself with a `Rescaling` layer,
so training and serving can never disagree on the input range.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from functools import partial
from typing import Callable

import keras
from keras import layers

from webapp.networks_info import HIDDEN_ACTIVATIONS

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


@dataclass(frozen=True)
class NetworkOptions:
    """Choices a learner can make; all default to the seed tutorial's plain networks.

    `activation` is the hidden units' function in dnn and cnn (relu in the tutorial; sigmoid and tanh show why
    relu won). LeNet keeps its own tanh: it is a historical design, not a tutorial network.
    """

    dropout: float = 0.0
    batch_norm: bool = False
    activation: str = "relu"

    def __post_init__(self) -> None:
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"Dropout must be at least 0 and below 1, not {self.dropout}.")
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"Unknown activation {self.activation!r}; choose from {', '.join(HIDDEN_ACTIVATIONS)}.")


def _hidden(make: Callable[..., layers.Layer], activation: str, options: NetworkOptions) -> list[layers.Layer]:
    """A weight layer with its activation; with batch norm, the norm sits between the two."""
    if not options.batch_norm:
        return [make(activation=activation)]
    weights = make(activation=None)
    return [weights, layers.BatchNormalization(name=f"{weights.name}_bn"), layers.Activation(activation, name=f"{weights.name}_{activation}")]


def _dense_head(options: NetworkOptions, widths: tuple[int, ...], activation: str) -> list[layers.Layer]:
    """Hidden dense layers (each with optional dropout after it), then the softmax classifier."""
    head: list[layers.Layer] = []
    for index, width in enumerate(widths, start=1):
        head += _hidden(partial(layers.Dense, width, name=f"dense_{index}"), activation, options)
        if options.dropout:
            head.append(layers.Dropout(options.dropout, name=f"dropout_{index}"))
    head.append(layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities", dtype="float32"))
    return head


def _sequential(name: str, body: list[layers.Layer]) -> keras.Model:
    stem = [keras.Input(shape=INPUT_SHAPE, name="pixels"), layers.Rescaling(1.0 / 255, name="scale_to_unit")]
    return keras.Sequential(stem + body, name=name)


def build_dnn(options: NetworkOptions = NetworkOptions()) -> keras.Model:
    """The seed tutorial's dense network: Flatten, Dense 128 relu, Dense 10 softmax (101,770 weights)."""
    return _sequential("dnn", [layers.Flatten(name="flatten")] + _dense_head(options, (128,), options.activation))


def build_cnn(options: NetworkOptions = NetworkOptions()) -> keras.Model:
    """The seed tutorial's convnet: two conv/max-pool blocks (32 and 64 filters), then Dense 128 (225,034 weights)."""
    body = (
        _hidden(partial(layers.Conv2D, 32, 3, name="conv_1"), options.activation, options)
        + [layers.MaxPooling2D(2, name="pool_1")]
        + _hidden(partial(layers.Conv2D, 64, 3, name="conv_2"), options.activation, options)
        + [layers.MaxPooling2D(2, name="pool_2"), layers.Flatten(name="flatten")]
        + _dense_head(options, (128,), options.activation)
    )
    return _sequential("cnn", body)


def build_lenet(options: NetworkOptions = NetworkOptions()) -> keras.Model:
    """LeNet-5 (LeCun et al., 1998) on 28x28 input: a same-padded first 5x5 conv keeps the classic
    32x32 geometry, tanh units and average pooling, 6-16-120-84-10 (61,706 weights)."""
    body = (
        _hidden(partial(layers.Conv2D, 6, 5, padding="same", name="conv_1"), "tanh", options)
        + [layers.AveragePooling2D(2, name="pool_1")]
        + _hidden(partial(layers.Conv2D, 16, 5, name="conv_2"), "tanh", options)
        + [layers.AveragePooling2D(2, name="pool_2"), layers.Flatten(name="flatten")]
        + _dense_head(options, (120, 84), "tanh")
    )
    return _sequential("lenet", body)


BUILDERS: dict[str, Callable[[NetworkOptions], keras.Model]] = {
    "dnn": build_dnn,
    "cnn": build_cnn,
    "lenet": build_lenet,
}


_policy_lock = threading.Lock()


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build layers under a Keras dtype policy (e.g. "mixed_bfloat16"), restoring the previous one after."""
    with _policy_lock:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(name)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(previous)


def build(name: str, options: NetworkOptions = NetworkOptions(), precision: str = "float32") -> keras.Model:
    """Build a network by its short name (`dnn`, `cnn`, `lenet`); the softmax always computes in float32."""
    if name not in BUILDERS:
        raise ValueError(f"Unknown network {name!r}; choose from {', '.join(BUILDERS)}.")
    with dtype_policy(precision):
        return BUILDERS[name](options)
