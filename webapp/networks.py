"""The lab's networks, one builder each, shared by every page and the CLI.

Every model takes (28, 28, 1) uint8-range pixels and scales them itself with a `Rescaling` layer,
so training and serving can never disagree on the input range. Every layer gets its name and its dtype
policy explicitly: Keras's automatic names and global policy live in state that Streamlit resets after
each visitor's script run, so a build must not depend on them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import keras
from keras import layers

from webapp.network_catalog import HIDDEN_ACTIVATIONS, load_builder, takes_activation_choice, trainable_names

INPUT_SHAPE = (28, 28, 1)  # MNIST's; a dataset of another shape or class count says so in the options
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
    # What the dataset hands in and asks for (webapp.datasets: image_shape, num_classes); MNIST by default.
    input_shape: tuple[int, int, int] = INPUT_SHAPE
    num_classes: int = NUM_CLASSES

    def __post_init__(self) -> None:
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"Dropout must be at least 0 and below 1, not {self.dropout}.")
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"Unknown activation {self.activation!r}; choose from {', '.join(HIDDEN_ACTIVATIONS)}.")


def options_for(name: str, dropout: float = 0.0, batch_norm: bool = False, activation: str = "relu",
                input_shape: tuple[int, int, int] = INPUT_SHAPE, num_classes: int = NUM_CLASSES) -> NetworkOptions:
    """The options `name` is built with: a network with units of its own (LeNet's tanh) leaves the activation
    choice at its default, which it ignores anyway."""
    return NetworkOptions(dropout, batch_norm, activation if takes_activation_choice(name) else "relu",
                          input_shape, num_classes)


def _hidden(make: Callable[..., layers.Layer], activation: str, options: NetworkOptions,
            dtype: str) -> list[layers.Layer]:
    """A weight layer with its activation; with batch norm, the norm sits between the two."""
    if not options.batch_norm:
        return [make(activation=activation, dtype=dtype)]
    weights = make(activation=None, dtype=dtype)
    return [weights, layers.BatchNormalization(name=f"{weights.name}_bn", dtype=dtype),
            layers.Activation(activation, name=f"{weights.name}_{activation}", dtype=dtype)]


def _dense_head(options: NetworkOptions, widths: tuple[int, ...], activation: str, dtype: str) -> list[layers.Layer]:
    """Hidden dense layers (each with optional dropout after it), then the softmax classifier in float32."""
    head: list[layers.Layer] = []
    for index, width in enumerate(widths, start=1):
        head += _hidden(partial(layers.Dense, width, name=f"dense_{index}"), activation, options, dtype)
        if options.dropout:
            head.append(layers.Dropout(options.dropout, name=f"dropout_{index}", dtype=dtype))
    head.append(layers.Dense(options.num_classes, activation="softmax", name="probabilities", dtype="float32"))
    return head


def _sequential(name: str, body: list[layers.Layer], options: NetworkOptions, dtype: str) -> keras.Model:
    """The model around the layers; it carries the policy too (Keras wraps a mixed_float16 model's optimizer
    for loss scaling), set after construction since `Sequential` takes no `dtype`."""
    stem = [keras.Input(shape=options.input_shape, name="pixels"),
            layers.Rescaling(1.0 / 255, name="scale_to_unit", dtype=dtype)]
    model = keras.Sequential(stem + body, name=name)
    model.dtype_policy = dtype
    return model


def build_dnn(options: NetworkOptions = NetworkOptions(), dtype: str = "float32") -> keras.Model:
    """The seed tutorial's dense network: Flatten, Dense 128 relu, Dense 10 softmax (101,770 weights)."""
    return _sequential("dnn", [layers.Flatten(name="flatten", dtype=dtype)]
                       + _dense_head(options, (128,), options.activation, dtype),
                       options, dtype)


def build_cnn(options: NetworkOptions = NetworkOptions(), dtype: str = "float32") -> keras.Model:
    """The seed tutorial's convnet: two conv/max-pool blocks (32 and 64 filters), then Dense 128 (225,034 weights)."""
    body = (
        _hidden(partial(layers.Conv2D, 32, 3, name="conv_1"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool_1", dtype=dtype)]
        + _hidden(partial(layers.Conv2D, 64, 3, name="conv_2"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool_2", dtype=dtype), layers.Flatten(name="flatten", dtype=dtype)]
        + _dense_head(options, (128,), options.activation, dtype)
    )
    return _sequential("cnn", body, options, dtype)


def build_lenet(options: NetworkOptions = NetworkOptions(), dtype: str = "float32") -> keras.Model:
    """LeNet-5 (LeCun et al., 1998) on 28x28 input: a same-padded first 5x5 conv keeps the classic
    32x32 geometry, tanh units and average pooling, 6-16-120-84-10 (61,706 weights)."""
    body = (
        _hidden(partial(layers.Conv2D, 6, 5, padding="same", name="conv_1"), "tanh", options, dtype)
        + [layers.AveragePooling2D(2, name="pool_1", dtype=dtype)]
        + _hidden(partial(layers.Conv2D, 16, 5, name="conv_2"), "tanh", options, dtype)
        + [layers.AveragePooling2D(2, name="pool_2", dtype=dtype), layers.Flatten(name="flatten", dtype=dtype)]
        + _dense_head(options, (120, 84), "tanh", dtype)
    )
    return _sequential("lenet", body, options, dtype)


def build_cnn3(options: NetworkOptions = NetworkOptions(), dtype: str = "float32") -> keras.Model:
    """Seed 004's demonstration network for transfer learning, sized for 28x28: three conv layers (edges, then
    shapes, then higher-level features: 32, 64, 64 filters) and three dense layers (128, 64, then the classes),
    so each of the seed's four recipes has a place to cut (138,506 weights for ten classes)."""
    body = (
        _hidden(partial(layers.Conv2D, 32, 3, name="conv_1"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool_1", dtype=dtype)]
        + _hidden(partial(layers.Conv2D, 64, 3, name="conv_2"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool_2", dtype=dtype)]
        + _hidden(partial(layers.Conv2D, 64, 3, name="conv_3"), options.activation, options, dtype)
        + [layers.Flatten(name="flatten", dtype=dtype)]
        + _dense_head(options, (128, 64), options.activation, dtype)
    )
    return _sequential("cnn3", body, options, dtype)


LENET32_OPTIONS = NetworkOptions(input_shape=(32, 32, 3), num_classes=43)  # seed 004's: 32x32 colour, 43 signs


def build_lenet32(options: NetworkOptions | None = None, dtype: str = "float32") -> keras.Model:
    """Seed 004's small network for colour photos: LeNet's pattern with two unpadded 3x3 convolutions (6 and 16
    filters, relu), each followed by 2x2 max pooling, then Dense 120 and 84 and one output per class (84,107
    weights on 32x32x3 with seed 004's 43 classes). Its layers keep the seed's names, so the Architectures page's
    table (webapp.architectures, the seed's code as data) and the trained model read alike."""
    options = options or LENET32_OPTIONS
    body = (
        _hidden(partial(layers.Conv2D, 6, 3, name="conv1"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool1", dtype=dtype)]
        + _hidden(partial(layers.Conv2D, 16, 3, name="conv2"), options.activation, options, dtype)
        + [layers.MaxPooling2D(2, name="pool2", dtype=dtype), layers.Flatten(name="flatten", dtype=dtype)]
        + _dense_head(options, (120, 84), options.activation, dtype)
    )
    return _sequential("lenet32", body, options, dtype)


def build(name: str, options: NetworkOptions | None = None, precision: str = "float32") -> keras.Model:
    """Build a trainable network by its short name (`dnn`, `cnn`, `lenet`...: the catalog's trainable entries, whose
    builders take the options and `dtype`, a Keras dtype policy name); the softmax always computes in float32.
    Without options each network gets its own defaults (MNIST's shape, or seed 004's 32x32 colour for lenet32)."""
    if name not in trainable_names():
        raise ValueError(f"Unknown network {name!r}; choose from {', '.join(trainable_names())}.")
    if options is None:
        return load_builder(name)(dtype=precision)
    return load_builder(name)(options, dtype=precision)
