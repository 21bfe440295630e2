"""The design ideas the seed notes explain, each computed: stacked 3x3 filters (VGG), skip connections (ResNet),
Inception modules, why Flatten fixes the input size, and a photo fed to a dense neuron.

The Architectures page shows them (`?concept=vgg-stacking` ...); the numbers come from the formulas and from the
layer tables of the real networks, never typed in.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import partial
from typing import Sequence

from webapp.architectures import SPEC_NETWORKS, build_spec
from webapp.formulas import dense_params
from webapp.summary import LayerRow, NetworkTable, count_layers

CONCEPTS = {
    "vgg-stacking": "Stacked small filters (VGG)",
    "skip-connection": "Skip connections (ResNet)",
    "inception": "Inception modules (GoogLeNet)",
    "flatten-input-size": "Flatten fixes the input size",
    "dense-photo": "A photo into one dense neuron",
}


# -- VGG: stacked 3x3 filters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StackedFilters:
    """`layers` convolutions of `kernel` x `kernel`, C channels in and out, against one layer that sees as far."""

    kernel: int
    layers: int
    channels: int

    def __post_init__(self) -> None:
        if self.kernel < 1 or self.layers < 1 or self.channels < 1:
            raise ValueError("The kernel side, the number of layers and the channels must be at least 1.")

    @property
    def receptive_field(self) -> int:
        """Each stride-1 layer widens the view by F − 1: 1 + L·(F − 1), so two 3x3 layers see 5x5."""
        return 1 + self.layers * (self.kernel - 1)

    @property
    def stacked_weights(self) -> int:
        """L·F²·C² (biases left out, as the notes count)."""
        return self.layers * self.kernel**2 * self.channels**2

    @property
    def single_weights(self) -> int:
        """One layer with a receptive_field x receptive_field kernel: R²·C²."""
        return self.receptive_field**2 * self.channels**2

    @property
    def nonlinearities(self) -> tuple[int, int]:
        """ReLUs along the way: one per stacked layer, against one."""
        return self.layers, 1


# -- ResNet and Inception: where a block sits and what it weighs ------------------------------------------------
@dataclass(frozen=True)
class BlockConcept:
    network: str  # a listed network
    kind: str  # the layer type that closes each block (Add, Concatenate)
    pattern: str  # which of those close a block (Inception also concatenates inside its last modules)
    first: str  # the block shown first


BLOCK_CONCEPTS = {
    "skip-connection": BlockConcept("resnet50", "Add", r".*_add$", "conv2_block2_add"),
    "inception": BlockConcept("inceptionv3", "Concatenate", r"mixed\d+$", "mixed0"),
}


def block_ends(table: NetworkTable, concept: BlockConcept) -> list[tuple[int, LayerRow]]:
    """Each block's closing layer and its position in the network (0-based row)."""
    return [(index, row) for index, row in enumerate(table.rows)
            if row.kind == concept.kind and re.fullmatch(concept.pattern, row.name)]


def block_rows(table: NetworkTable, end: str) -> tuple[LayerRow, tuple[LayerRow, ...]]:
    """(the block's input, the block's layers up to `end`): walking back from `end`, every layer a pending branch
    reads joins the block, until all branches meet in one layer, the input they fork from."""
    index = {row.name: position for position, row in enumerate(table.rows)}
    stop = index[end]
    pending, members = set(table.rows[stop].inputs), [table.rows[stop]]
    for position in range(stop - 1, -1, -1):
        row = table.rows[position]
        if len(pending) == 1 and row.name in pending and all(index[name] >= position for name in pending):
            return row, tuple(reversed(members))
        if row.name in pending:
            pending.discard(row.name)
            pending.update(row.inputs)
            members.append(row)
    raise ValueError(f"{end} has no single input it forks from.")


def block_params(rows: Sequence[LayerRow]) -> int:
    return sum(row.params for row in rows)


# -- Flatten: the first dense layer grows with the image ------------------------------------------------------
@dataclass(frozen=True)
class FlattenSize:
    side: int
    flatten_shape: tuple[int, ...]  # the last feature maps, flattened
    last_maps: tuple[int, ...]
    first_dense: LayerRow
    total_params: int


def flatten_growth(name: str = "lenet32", sides: Sequence[int] = (32, 64, 128)) -> list[FlattenSize]:
    """The spec network rebuilt for larger square inputs: the convolutions keep their weights, the first
    dense layer's grow with the flattened maps (Keras works every shape out; no weights are filled)."""
    spec = SPEC_NETWORKS[name]
    flatten = next(position for position, layer in enumerate(spec.layers) if layer.kind == "flatten")
    first_dense = next(layer.name for layer in spec.layers[flatten:] if layer.kind == "dense")
    found = []
    for side in sides:
        shape = (side, side, spec.input_shape[2])
        table = count_layers(partial(build_spec, spec, shape), name, f"{name} at {side}x{side}")
        rows = {row.name: row for row in table.rows}
        before = table.rows[[row.name for row in table.rows].index(spec.layers[flatten].name) - 1]
        found.append(FlattenSize(side, rows[spec.layers[flatten].name].output_shape, before.output_shape,
                                 rows[first_dense], table.total_params))
    return found


# -- a photo into one dense neuron ------------------------------------------------------------------------
def dense_weights_of_photo(megapixels: float, channels: int = 3) -> int:
    """Weights of one dense neuron reading every value of a photo: 10 megapixels x 3 channels = 30,000,000."""
    return dense_params(math.floor(megapixels * 1_000_000) * channels, 1)[0]
