"""Transfer learning as seed 004 teaches it: four recipes for reusing a CNN trained on one dataset (the source)
on another (the target), and the 2x2 grid of cases (the target's size x its similarity to the source's data)
with the recipe the seed recommends for each.

Everything here but `build_recipe` and `TwoRateAdam` is plain data, importable without Keras, so pages and the
CLI can list recipes, targets and cells cheaply. A transfer job is an ordinary training job whose race entries
are recipes (`TrainConfig.recipes`): same batches in the same order for all four, the same queue, the same
curves, one saved run per recipe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SMALL_RANGE = (100, 2_000)  # a small target: this many training images, stratified by class
DEFAULT_SMALL_IMAGES = 1_000
DEFAULT_EPOCHS = 2
DEFAULT_BATCH_SIZE = 32
PRETRAINED_RATE_FACTOR = 0.1  # finetune: the pretrained layers learn ten times slower than the new head
SOURCE_DATASET = "mnist-0-4"
SOURCE_DEFAULT = "default-cnn3-mnist-0-4"  # shipped: `python -m webapp train` command in models/README.md


@dataclass(frozen=True)
class Recipe:
    """One way to reuse the source network."""

    name: str  # the id on the command line and in saved runs
    label: str  # chart legends and tables
    short: str  # a few words for a chart's legend and end labels
    what: str  # what the recipe does, in one sentence
    seed_case: str  # the seed's case this recipe is its advice for


RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (
    Recipe("head", "New head, all else frozen", "New head only",
           "Cut off the last layer, add a new one for the target's classes and train only that; every pretrained "
           "weight stays as it is.", "small target, similar data"),
    Recipe("early", "First conv block only, frozen", "First block only",
           "Keep only the first convolution and its pooling (edges and blobs, which most images share), frozen, "
           "and train a new classifier on top of them.", "small target, different data"),
    Recipe("finetune", "Fine-tune everything", "Fine-tune all",
           "Replace the last layer, start every other layer from its pretrained weights and retrain them all "
           f"(the pretrained layers at {PRETRAINED_RATE_FACTOR:g} of the new layer's learning rate).",
           "large target, similar data"),
    Recipe("scratch", "From scratch", "From scratch",
           "The same network with random weights, trained on the target alone: the yardstick transfer has to beat.",
           "large target, different data"),
)}


@dataclass(frozen=True)
class Target:
    """A dataset to transfer to, and whether it looks like the source's (digits 0-4)."""

    name: str  # the CLI's --target
    dataset: str  # its id in webapp.datasets
    label: str
    similar: bool


TARGETS: dict[str, Target] = {target.name: target for target in (
    Target("digits5-9", "mnist-5-9", "MNIST digits 5-9 (similar: more handwritten digits)", similar=True),
    Target("fashion", "fashion", "Fashion-MNIST (different: clothes, not digits)", similar=False),
)}


@dataclass(frozen=True)
class Cell:
    """One case of the seed's grid and the recipe it recommends."""

    large: bool
    similar: bool
    recommended: tuple[str, ...]  # the seed's advice: one recipe, or two it offers as alternatives
    reason: str

    @property
    def title(self) -> str:
        return f"{'Large' if self.large else 'Small'} target, {'similar' if self.similar else 'different'} data"


CELLS: tuple[Cell, ...] = (
    Cell(False, True, ("head",), "Few images overfit easily, and similar data shares the source's high-level "
                                 "features: keep them all, frozen, and train only a new last layer."),
    Cell(False, False, ("early",), "Few images overfit easily, but different data does not share the source's "
                                   "high-level features: keep only the early layers (edges), frozen."),
    Cell(True, True, ("finetune",), "Many images do not overfit, and the features carry over: start from the "
                                    "pretrained weights and retrain the whole network."),
    Cell(True, False, ("scratch", "finetune"), "Many images, different data: train from scratch, or fine-tune "
                                               "from the pretrained weights if that trains faster."),
)


def cell_for(target: str, large: bool) -> Cell:
    """The grid cell a target and a size fall in."""
    similar = TARGETS[target].similar
    return next(cell for cell in CELLS if cell.large == large and cell.similar == similar)


def verdict(cell: Cell, accuracies: dict[str, float]) -> str:
    """Whether the measured winner is what the seed recommends for the cell, said plainly."""
    if not accuracies:
        return ""
    winner = max(accuracies, key=lambda name: accuracies[name])
    best = accuracies[winner]
    advised = [name for name in cell.recommended if name in accuracies]
    if not advised:
        return f"Measured winner: {RECIPES[winner].label} ({best:.1%}); the seed's advice was not run here."
    if winner in cell.recommended:
        return f"Agrees with the seed: {RECIPES[winner].label} won ({best:.1%})."
    gap = best - max(accuracies[name] for name in advised)
    return (f"Disagrees with the seed: {RECIPES[winner].label} won ({best:.1%}), "
            f"{gap:.1%} above the seed's advice ({' or '.join(RECIPES[name].label for name in advised)}).")


FROZEN = ("head", "early")  # recipes that train only new layers


def why_it_may_differ(cell: Cell, winner: str) -> str:
    """Where the measured winner is not the seed's advice, the likely reason, for the learner to test (more
    epochs, another size or seed); empty when they agree."""
    if winner in cell.recommended:
        return ""
    advised_frozen = all(name in FROZEN for name in cell.recommended)
    if advised_frozen and winner not in FROZEN:
        return ("A likely reason: the frozen layers were trained only to tell the source's classes apart, so the "
                "features they keep carry less about this target than the seed assumes, while these images were "
                "already enough for a network that trains every layer. Try more epochs: if the frozen recipe stays "
                "behind, its features are the limit, not its training time.")
    if winner in FROZEN and not advised_frozen:
        return ("A likely reason: with this many images and epochs, training every layer had too few steps or "
                "began to overfit, and the frozen features generalised better. Try more epochs or more images.")
    if winner == "early":
        return ("A likely reason: the source's later layers are too specific to its own classes; its first "
                "layer's edges and blobs carry over to almost any image.")
    return ("A likely reason: the two recipes are close here; run other seeds to see whether the gap is larger "
            "than their spread.")


def recipe_problem(recipes: tuple[str, ...] | list[str]) -> str | None:
    """One sentence for an unknown or repeated recipe, else None."""
    unknown = [name for name in recipes if name not in RECIPES]
    if unknown:
        return f"Unknown recipe {', '.join(unknown)}; choose from {', '.join(RECIPES)}."
    if len(set(recipes)) != len(recipes):
        return "Each recipe can run only once in a transfer race."
    return None


# -- building the recipes' networks (Keras from here on) -------------------------------------------------------
@dataclass(frozen=True)
class LayerRole:
    """What a recipe does with one layer, for the page's diagram."""

    name: str
    kind: str  # the Keras class: Conv2D, Dense...
    params: int
    role: str  # "frozen", "retrained" (from pretrained weights), "random" (same layer, new weights), "new", "cut"


def _first_block_end(layers: list[Any]) -> int:
    """Index just past the first pooling layer after the first convolution (the "early" recipe's cut)."""
    seen_conv = False
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        seen_conv = seen_conv or kind == "Conv2D"
        if seen_conv and "Pooling" in kind:
            return index + 1
    raise ValueError("The source network has no convolution followed by pooling: transfer needs a CNN.")


def build_recipe(recipe: str, source: Any, num_classes: int) -> tuple[Any, list[LayerRole]]:
    """The recipe's network made from `source` (a trained Sequential CNN; it is not changed), and the role of
    every layer for the diagram. The new classifier computes in float32 like the lab's own."""
    import keras
    from keras import layers

    copy = keras.models.clone_model(source)  # fresh layers: the four recipes never share weights
    if recipe != "scratch":
        copy.set_weights(source.get_weights())
    *body, classifier = copy.layers
    cut: list[Any] = [classifier]
    if recipe == "early":
        end = _first_block_end(body)
        cut = body[end:] + cut
        body = body[:end] + [layers.Flatten(name="new_flatten")]
    for layer in body:
        layer.trainable = recipe in ("finetune", "scratch") or layer.name == "new_flatten"
    head = layers.Dense(num_classes, activation="softmax", name="new_probabilities", dtype="float32")
    model = keras.Sequential([keras.Input(shape=source.input_shape[1:], name="pixels"), *body, head],
                             name=f"transfer_{recipe}")
    role = {"head": "frozen", "early": "frozen", "finetune": "retrained", "scratch": "random"}[recipe]
    roles = [LayerRole(layer.name, type(layer).__name__, int(layer.count_params()),
                       "new" if layer.name == "new_flatten" else role) for layer in body]
    roles += [LayerRole(layer.name, type(layer).__name__, int(layer.count_params()), "cut") for layer in cut]
    roles.append(LayerRole(head.name, "Dense", int(head.count_params()), "new"))
    return model, roles


def parameter_split(model: Any) -> tuple[int, int]:
    """(trainable, frozen) weights of a built model."""
    import numpy as np

    def count(weights: list[Any]) -> int:
        return int(sum(np.prod(weight.shape) for weight in weights))

    return count(model.trainable_weights), count(model.non_trainable_weights)


def pretrained_paths(recipe: str, model: Any) -> frozenset[str]:
    """The variables `finetune` trains at the lower rate: everything but the new layers."""
    if recipe != "finetune":
        return frozenset()
    return frozenset(weight.path for layer in model.layers if not layer.name.startswith("new_")
                     for weight in layer.trainable_weights)
