"""Classic networks, seed 004's small network (kept as data) and the seed notes' design pattern, built only so their
layers can be counted.

Keras is imported inside the builders: this module's names (and `Design`, which a page's widgets fill in)
stay importable without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from webapp.network_catalog import ALL_NAMES, load_builder

ARCHITECTURE_NAMES = ALL_NAMES

# Limits for the designer: the seed notes' usual ranges (0 <= N <= 3, M >= 0, 0 <= K < 3), a little wider.
MAX_CONVS_PER_BLOCK, MAX_BLOCKS, MAX_DENSE_LAYERS = 4, 6, 3
MAX_FILTERS, MAX_WIDTH, MAX_IMAGE_SIZE = 2048, 8192, 512


@dataclass(frozen=True)
class Design:
    """INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC, the seed notes' pattern.

    Convolutions are `same`-padded, so only the 2x2 max-pools shrink the image; with `double_filters`
    each block has twice the filters of the one before, the usual way to trade resolution for depth.
    """

    image_size: int = 32
    channels: int = 3
    convs_per_block: int = 2  # N
    blocks: int = 3  # M
    pool: bool = True
    filters: int = 32
    double_filters: bool = True
    kernel_size: int = 3
    dense_layers: int = 1  # K
    dense_width: int = 128
    classes: int = 10

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    def problem(self) -> str | None:
        """The first impossible setting, as one sentence, or None."""
        checks = [
            (not 4 <= self.image_size <= MAX_IMAGE_SIZE,
             f"The image side must be between 4 and {MAX_IMAGE_SIZE} pixels."),
            (self.channels not in (1, 3), "Images have 1 channel (grey) or 3 (RGB)."),
            (not 0 <= self.convs_per_block <= MAX_CONVS_PER_BLOCK,
             f"N (convolutions per block) must be between 0 and {MAX_CONVS_PER_BLOCK}."),
            (not 0 <= self.blocks <= MAX_BLOCKS, f"M (blocks) must be between 0 and {MAX_BLOCKS}."),
            (not 0 <= self.dense_layers <= MAX_DENSE_LAYERS,
             f"K (hidden dense layers) must be between 0 and {MAX_DENSE_LAYERS}."),
            (not 1 <= self.filters <= MAX_FILTERS, f"Filters must be between 1 and {MAX_FILTERS}."),
            (self.kernel_size not in (1, 3, 5, 7), "The kernel side must be 1, 3, 5 or 7."),
            (not 1 <= self.dense_width <= MAX_WIDTH, f"Dense widths must be between 1 and {MAX_WIDTH}."),
            (not 2 <= self.classes <= 1000, "Classes must be between 2 and 1000."),
            (self.pool and self.blocks and self.image_size >> self.blocks < 1,
             f"An image of {self.image_size} pixels cannot be halved {self.blocks} times; use fewer blocks, "
             "a larger image, or no pooling."),
            (self.convs_per_block and self.blocks and self.block_filters(self.blocks) > MAX_FILTERS,
             f"Doubling {self.filters} filters over {self.blocks} blocks exceeds {MAX_FILTERS}; "
             "use fewer filters or blocks."),
        ]
        return next((message for failed, message in checks if failed), None)

    def block_filters(self, block: int) -> int:
        """Filters in block `block` (counted from 1)."""
        return self.filters * 2 ** (block - 1) if self.double_filters else self.filters

    def pattern(self) -> str:
        """The design in the seed notes' notation,
        e.g. INPUT -> [[CONV -> RELU]*2 -> POOL]*3 -> [FC -> RELU]*1 -> FC."""
        block = f"[CONV -> RELU]*{self.convs_per_block}" + (" -> POOL" if self.pool else "")
        return f"INPUT -> [{block}]*{self.blocks} -> [FC -> RELU]*{self.dense_layers} -> FC"


def build_alexnet() -> Any:
    """AlexNet as one tower (Krizhevsky et al., 2012) on 227x227x3: 62,378,344 weights.

    The paper split conv2, conv4 and conv5 over two GPUs; as one tower every filter sees all channels,
    which is how the network is usually counted. Local response normalisation has no weights and is left out.
    """
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(227, 227, 3), name="image"),
        layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2"),
        layers.MaxPooling2D(3, strides=2, name="pool2"),
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4"),
        layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5"),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(name="flatten"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="dropout6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="dropout7"),
        layers.Dense(1000, activation="softmax", name="fc8"),
    ], name="alexnet")


def build_design(design: Design) -> Any:
    """The designer's network, with layer names that say where each layer sits (conv2_1: block 2, first conv)."""
    import keras
    from keras import layers

    stack: list[Any] = [keras.Input(shape=(design.image_size, design.image_size, design.channels), name="image")]
    for block in range(1, design.blocks + 1):
        stack += [layers.Conv2D(design.block_filters(block), design.kernel_size, padding="same", activation="relu",
                                name=f"conv{block}_{index}") for index in range(1, design.convs_per_block + 1)]
        if design.pool:
            stack.append(layers.MaxPooling2D(2, name=f"pool{block}"))
    stack.append(layers.Flatten(name="flatten"))
    stack += [layers.Dense(design.dense_width, activation="relu", name=f"fc{index}")
              for index in range(1, design.dense_layers + 1)]
    stack.append(layers.Dense(design.classes, activation="softmax", name="predictions"))
    return keras.Sequential(stack, name="design")


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a network kept as data: a conv, a max pool, a flatten or a dense layer."""

    name: str
    kind: str  # "conv", "maxpool", "flatten" or "dense"
    units: int = 0  # filters (conv) or neurons (dense)
    size: int = 0  # kernel side (conv) or window side (maxpool)
    stride: int = 1
    activation: str | None = None

    def keras_call(self) -> str:
        """The Keras line that makes this layer (the code shown beside the layer table)."""
        activation = f", activation=\"{self.activation}\"" if self.activation else ""
        calls = {"conv": f"layers.Conv2D({self.units}, {self.size}, strides={self.stride}{activation})",
                 "maxpool": f"layers.MaxPooling2D({self.size}, strides={self.stride})",
                 "flatten": "layers.Flatten()", "dense": f"layers.Dense({self.units}{activation})"}
        return calls[self.kind]


@dataclass(frozen=True)
class NetworkSpec:
    """A network listed as data: its input and its layers, in order."""

    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    source: str  # where it comes from, one line


SPEC_NETWORKS = {
    "lenet32": NetworkSpec((32, 32, 3), (
        LayerSpec("conv1", "conv", 6, 3, activation="relu"),
        LayerSpec("pool1", "maxpool", size=2, stride=2),
        LayerSpec("conv2", "conv", 16, 3, activation="relu"),
        LayerSpec("pool2", "maxpool", size=2, stride=2),
        LayerSpec("flatten", "flatten"),
        LayerSpec("fc1", "dense", 120, activation="relu"),
        LayerSpec("fc2", "dense", 84, activation="relu"),
        LayerSpec("logits", "dense", 43),
    ), "Seed 004's small TensorFlow network: LeNet's pattern on 32x32 colour images with 43 classes (raw scores, "
       "no softmax)."),
}


def build_spec(spec: NetworkSpec, input_shape: tuple[int, int, int] | None = None, name: str = "network") -> Any:
    """A Keras model from a spec (`input_shape` replaces the spec's, to see what a larger image changes)."""
    import keras
    from keras import layers

    makers = {
        "conv": lambda layer: layers.Conv2D(layer.units, layer.size, strides=layer.stride, activation=layer.activation,
                                            name=layer.name),
        "maxpool": lambda layer: layers.MaxPooling2D(layer.size, strides=layer.stride, name=layer.name),
        "flatten": lambda layer: layers.Flatten(name=layer.name),
        "dense": lambda layer: layers.Dense(layer.units, activation=layer.activation, name=layer.name),
    }
    stack = [keras.Input(shape=input_shape or spec.input_shape, name="image")]
    return keras.Sequential(stack + [makers[layer.kind](layer) for layer in spec.layers], name=name)


def build_lenet32() -> Any:
    """Seed 004's small network, from its spec."""
    return build_spec(SPEC_NETWORKS["lenet32"], name="lenet32")


def _application(class_name: str) -> Any:
    """One of Keras's ImageNet applications, untrained (weights=None: nothing downloaded)."""
    import keras

    return getattr(keras.applications, class_name)(weights=None)


def build_vgg16() -> Any:
    return _application("VGG16")


def build_resnet50() -> Any:
    return _application("ResNet50")


def build_inceptionv3() -> Any:
    return _application("InceptionV3")


def build_mobilenetv2() -> Any:
    return _application("MobileNetV2")


def builder(name: str) -> Callable[[], Any]:
    """A function that builds the named network (untrained), from the network catalog."""
    if name not in ARCHITECTURE_NAMES:
        raise ValueError(f"Unknown network {name!r}; choose from {', '.join(ARCHITECTURE_NAMES)}.")
    if name in SPEC_NETWORKS:  # the seed's own layers (lenet32 trains in the lab with a rescaling layer in front)
        return partial(build_spec, SPEC_NETWORKS[name], name=name)
    return load_builder(name)
