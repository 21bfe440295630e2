"""Every network the lab knows, in one table: names, labels, shapes and where its builder lives.

Pages, pickers, the CLI's choices, the store's default names and the "has convolutions" checks all read this
table, so adding a network is one entry here plus its builder. The module imports no Keras: builders are named
by a dotted path ("module:function") and imported only when a network is really built, so the Home page and
`python -m webapp --help` can show labels without loading TensorFlow.

To add a network: one `Network(...)` entry below, plus its builder (a trainable one in `webapp/networks.py`, taking
`(options, dtype=...)` like `build_cnn`; one only inspected on the Architectures page in `webapp/architectures.py`,
taking no arguments). tests/unit/test_network_catalog.py then checks the new entry's shape, parameter count and
convolutions against the built model; "show code" writes it from its layers (webapp/codegen.py lists the layer
types it can write).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The hidden units' functions a learner can pick for the networks that take the choice (relu first: the
# tutorial's, and the default).
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh")


@dataclass(frozen=True)
class Network:
    """One network: how it is named and shown, what it takes, and the function that builds it.

    `builder` is "module:function". A trainable network's builder takes `(options, dtype=...)`
    (see `webapp.networks`); every builder can also be called with no arguments for the plain network.
    """

    name: str  # the short id used in run folders, configs and on the command line
    label: str  # pickers and menus ("DNN (dense)")
    short_name: str  # charts, tables and metrics ("DNN")
    architecture_label: str  # the Architectures page and `python -m webapp summary`
    input_shape: tuple[int, int, int]
    convolutional: bool  # has convolution layers (kernels to show, feature maps to draw)
    trainable: bool  # trained in the lab (Train page, `train`); else only inspected on the Architectures page
    published_params: int  # as published (the papers, Keras's applications table, the seed notes)
    builder: str
    # The hidden units' function when the network keeps its own (LeNet's tanh); None: the learner's choice
    # from HIDDEN_ACTIVATIONS applies.
    fixed_activation: str | None = None


NETWORKS: tuple[Network, ...] = (
    Network("dnn", "DNN (dense)", "DNN", "DNN (dense, MNIST)", (28, 28, 1), convolutional=False, trainable=True,
            published_params=101_770, builder="webapp.networks:build_dnn"),
    Network("cnn", "CNN (conv)", "CNN", "CNN (two conv blocks, MNIST)", (28, 28, 1), convolutional=True,
            trainable=True, published_params=225_034, builder="webapp.networks:build_cnn"),
    Network("lenet", "LeNet-5", "LeNet-5", "LeNet-5 (1998, MNIST)", (28, 28, 1), convolutional=True, trainable=True,
            published_params=61_706, builder="webapp.networks:build_lenet", fixed_activation="tanh"),
    Network("cnn3", "CNN, 3 conv + 3 dense", "CNN-3", "CNN, 3 conv + 3 dense (seed 004's transfer network)",
            (28, 28, 1), convolutional=True, trainable=True, published_params=138_506,
            builder="webapp.networks:build_cnn3"),
    # Seed 004's network, counted from its layers: 168 + 880 + 69,240 + 10,164 + 3,655. The lab trains it on photos
    # of the learner's own classes (webapp.classes); the Architectures page shows the seed's code for it.
    Network("lenet32", "LeNet-style 32x32", "LeNet-32", "LeNet-style, 32x32 colour (seed 004)", (32, 32, 3),
            convolutional=True, trainable=True, published_params=84_107, builder="webapp.networks:build_lenet32"),
    Network("alexnet", "AlexNet", "AlexNet", "AlexNet (2012)", (227, 227, 3), convolutional=True, trainable=False,
            published_params=62_378_344, builder="webapp.architectures:build_alexnet"),
    Network("vgg16", "VGG16", "VGG16", "VGG16 (2014)", (224, 224, 3), convolutional=True, trainable=False,
            published_params=138_357_544, builder="webapp.architectures:build_vgg16"),
    Network("resnet50", "ResNet50", "ResNet50", "ResNet50 (2015)", (224, 224, 3), convolutional=True, trainable=False,
            published_params=25_636_712, builder="webapp.architectures:build_resnet50"),
    Network("inceptionv3", "Inception v3", "Inception v3", "Inception v3 (2015)", (299, 299, 3), convolutional=True,
            trainable=False, published_params=23_851_784, builder="webapp.architectures:build_inceptionv3"),
    Network("mobilenetv2", "MobileNetV2", "MobileNetV2", "MobileNetV2 (2018)", (224, 224, 3), convolutional=True,
            trainable=False, published_params=3_538_984, builder="webapp.architectures:build_mobilenetv2"),
)
CATALOG: dict[str, Network] = {network.name: network for network in NETWORKS}

# Derived views, in the table's order.
ALL_NAMES = tuple(CATALOG)  # the Architectures page and `summary`: the lab's networks, then classic ImageNet ones
TRAINABLE_NAMES = tuple(network.name for network in NETWORKS if network.trainable)  # Train page, `train`, defaults
CONVOLUTIONAL_NAMES = tuple(name for name in TRAINABLE_NAMES if CATALOG[name].convolutional)
MODEL_LABELS = {network.name: network.label for network in NETWORKS}
SHORT_NAMES = {network.name: network.short_name for network in NETWORKS}
ARCHITECTURE_LABELS = {network.name: network.architecture_label for network in NETWORKS}
PUBLISHED_PARAMS = {network.name: network.published_params for network in NETWORKS}


def network(name: str) -> Network:
    """The entry for `name`, or a ValueError that lists the choices."""
    if name not in CATALOG:
        raise ValueError(f"Unknown network {name!r}; choose from {', '.join(ALL_NAMES)}.")
    return CATALOG[name]


def trainable_names() -> tuple[str, ...]:
    """The trainable networks as the table stands now (an entry added at run time, as a test does, counts)."""
    return tuple(network.name for network in CATALOG.values() if network.trainable)


def short_name(model: str) -> str:
    """How charts, tables and metrics name a network: DNN, CNN, LeNet-5 (an unknown name in capitals)."""
    return CATALOG[model].short_name if model in CATALOG else model.upper()


def has_convolutions(name: str) -> bool:
    """Whether the network has convolution layers: its kernels and feature maps can be shown (False if unknown)."""
    return name in CATALOG and CATALOG[name].convolutional


def takes_activation_choice(name: str) -> bool:
    """Whether the learner's hidden-activation choice applies (dnn, cnn), rather than the network's own (LeNet)."""
    return network(name).fixed_activation is None


def load_builder(name: str) -> Callable[..., Any]:
    """The network's builder function, imported now (this is where Keras gets loaded)."""
    module, function = network(name).builder.split(":")
    return getattr(importlib.import_module(module), function)
