""""Show code": a short, runnable Keras script that reproduces a run, written from its config.

The network's lines are read off the model the lab really builds for that config (each layer's `get_config()`),
so the script can never describe a different network from the one trained.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from webapp import datasets
from webapp.config import WARMUP_SHARE, TrainConfig
from webapp.network_catalog import short_name


def _side(value: Any) -> Any:
    """A square window or stride as one number (3 for (3, 3)), as one would write it by hand."""
    value = tuple(value)
    return value[0] if len(set(value)) == 1 else value


def _keywords(config: dict[str, Any], **defaults: Any) -> list[str]:
    """`key=value` for each setting that differs from Keras's default, so the line shows only what was chosen."""
    return [f"{key}={_side(config[key]) if isinstance(config[key], (tuple, list)) else config[key]!r}"
            for key, default in defaults.items() if config[key] != default]


def _scale(value: float) -> str:
    """1 / 255 rather than 0.00392156862745098."""
    inverse = round(1 / value) if value else 0
    return f"1 / {inverse}" if inverse and 1 / inverse == value else repr(value)


def _pooling(config: dict[str, Any]) -> list[str]:
    return [repr(_side(config["pool_size"])), *_keywords(config, strides=tuple(config["pool_size"]), padding="valid")]


# For each layer type the lab's networks use: its arguments, written from the layer's config.
_ARGUMENTS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "Rescaling": lambda config: [_scale(config["scale"]), *_keywords(config, offset=0.0)],
    "Conv2D": lambda config: [repr(config["filters"]), repr(_side(config["kernel_size"])),
                              *_keywords(config, strides=(1, 1), padding="valid", activation="linear")],
    "MaxPooling2D": _pooling,
    "AveragePooling2D": _pooling,
    "Flatten": lambda config: [],
    "Dense": lambda config: [repr(config["units"]), *_keywords(config, activation="linear")],
    "Dropout": lambda config: [repr(config["rate"])],
    "BatchNormalization": lambda config: _keywords(config, momentum=0.99, epsilon=0.001),
    "Activation": lambda config: [repr(config["activation"])],
}


def layer_line(layer: Any) -> str:
    """The Keras call that makes `layer` again, e.g. `layers.Conv2D(32, 3, activation='relu')`."""
    kind = type(layer).__name__
    if kind not in _ARGUMENTS:
        raise ValueError(f"Show code cannot write a {kind} layer yet.")
    return f"layers.{kind}({', '.join(_ARGUMENTS[kind](layer.get_config()))})"


@lru_cache(maxsize=64)
def model_lines(model: str, dropout: float = 0.0, batch_norm: bool = False, activation: str = "relu",
                dataset: str = datasets.DEFAULT_DATASET) -> tuple[str, ...]:
    """The lines of the `keras.Sequential([...])` list for the network the lab builds with these options for
    the dataset's images and classes: its input, then one line per layer (cached: the Train page asks again on
    every rerun)."""
    from webapp.networks import build, options_for

    data = datasets.get(dataset)
    network = build(model, options_for(model, dropout, batch_norm, activation, data.image_shape, data.num_classes))
    shape = tuple(network.inputs[0].shape[1:])
    return (f"keras.Input(shape={shape!r})", *(layer_line(layer) for layer in network.layers))


def _augmentation_lines(config: TrainConfig) -> tuple[str, str]:
    """(the code defining the augmented training batches, the data argument of `fit`); plain arrays without one."""
    if not config.pipeline:
        return "", f"x_train, y_train, batch_size={config.batch_size}"
    from webapp.augment import pipeline_python, sized_for

    pipeline = pipeline_python(sized_for(config.pipeline, (28, 28)), seed=config.seed).split("\n\naugmented =")[0]
    definition = f'''
# The run's augmentation, applied afresh to the training images in every epoch (never to validation or test).
{pipeline.replace("import albumentations as A", "import albumentations as A  # pip install albumentations")}


class AugmentedBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.random.permutation(len(x))

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = [pipeline(image=image)["image"].reshape(28, 28, 1) for image in self.x[rows]]
        return np.stack(images), self.y[rows]

    def on_epoch_end(self):
        self.order = np.random.permutation(len(self.x))


'''
    return definition, f"AugmentedBatches(x_train, y_train, {config.batch_size})"


def _rate_lines(config: TrainConfig) -> str:
    """The learning rate: a number, or a schedule over every batch of the run (full batches only), as
    `training.learning_rate_schedule` makes it."""
    steps = f"{config.epochs} * (len(x_train) // {config.batch_size})"
    if config.schedule == "warmup-cosine":
        return (f"# The rate climbs from 0 to {config.learning_rate!r} over the first {WARMUP_SHARE:.0%} of the run's "
                "batches, then falls to 0 along a half cosine.\n"
                f"total_steps = {steps}\n"
                f"warmup_steps = round({WARMUP_SHARE!r} * total_steps)\n"
                "learning_rate = keras.optimizers.schedules.CosineDecay(\n"
                "    0.0, decay_steps=total_steps - warmup_steps, "
                f"warmup_target={config.learning_rate!r}, warmup_steps=warmup_steps,\n"
                ") if warmup_steps else keras.optimizers.schedules.CosineDecay("
                f"{config.learning_rate!r}, total_steps)\n")
    if config.schedule == "cosine":
        return (f"# The rate falls from {config.learning_rate!r} to 0 along a half cosine over all the run's batches.\n"
                f"learning_rate = keras.optimizers.schedules.CosineDecay(\n"
                f"    {config.learning_rate!r}, decay_steps={steps})\n")
    return f"learning_rate = {config.learning_rate!r}\n"


def _loss_lines(config: TrainConfig, classes: int) -> str:
    """The loss: cross-entropy on the labels, or, with label smoothing, on one-hot rows (Keras' sparse loss has no
    smoothing), as `training.training_loss` does."""
    if not config.label_smoothing:
        return 'loss = "sparse_categorical_crossentropy"\n'
    held_out = f"y_val = keras.utils.to_categorical(y_val, {classes})\n" if config.validation else ""
    return (f"# Label smoothing: each target gives {config.label_smoothing!r} of the probability to the other classes,"
            " so the\n# labels become one-hot rows (the loss printed at the end is the smoothed one; the lab reports "
            "plain cross-entropy).\n"
            f"y_train = keras.utils.to_categorical(y_train, {classes})\n{held_out}"
            f"y_test = keras.utils.to_categorical(y_test, {classes})\n"
            f"loss = keras.losses.CategoricalCrossentropy(label_smoothing={config.label_smoothing!r})\n")


def _split_lines(config: TrainConfig) -> tuple[str, str]:
    """(the code choosing the training images, the validation argument of `fit`): held out as the lab does, or none."""
    order = f"order = np.random.default_rng({config.seed}).permutation(len(x_train))\n"
    subset = f"order = order[:{config.subset}]\n" if config.subset else ""
    if not config.validation:
        return ("# Same images as the lab, none held out (as seed 003 trained); the test set judges at the end.\n"
                f"{order}{subset}x_train, y_train = x_train[order], y_train[order]\n"), ""
    return ("# Same subset and validation hold-out as the lab (the test set is only used at the end).\n"
            f"{order}{subset}n_val = max(1, round(len(order) * {config.validation_fraction!r}))\n"
            "x_val, y_val = x_train[order[:n_val]], y_train[order[:n_val]]\n"
            "x_train, y_train = x_train[order[n_val:]], y_train[order[n_val:]]\n"), ", validation_data=(x_val, y_val)"


def _data_lines(dataset: datasets.DatasetInfo) -> str:
    """Reading the run's dataset as the lab does: its file in Keras's layout, and a view's classes picked out and
    numbered from 0 in the view's order."""
    base = datasets.get(dataset.parent) if dataset.is_view else dataset
    path = f"data/{base.file}"
    if base.name == "mnist":
        source = (f"# MNIST in Keras's layout; the lab ships it as {path}, Keras can also download it.\n"
                  f'path = "{path}" if os.path.exists("{path}") else keras.utils.get_file(\n'
                  '    "mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")\n')
    else:
        source = f'# {base.label} in Keras\'s layout, as the lab ships it ({base.licence}).\npath = "{path}"\n'
    lines = (source + "with np.load(path) as data:\n"
             '    x_train, y_train = data["x_train"][..., None], data["y_train"]\n'
             '    x_test, y_test = data["x_test"][..., None], data["y_test"]\n')
    if base.image_shape[-1] != 1:
        lines = lines.replace("[..., None]", "")
    if dataset.is_view:
        classes = list(dataset.parent_classes)
        lines += (f"\n# {dataset.label}: only these classes of {base.label}, numbered 0 to {len(classes) - 1} in "
                  f"this order.\nclasses = {classes!r}\n\n\n"
                  "def select(x, y):\n"
                  "    keep = np.isin(y, classes)\n"
                  "    return x[keep], np.array([classes.index(label) for label in y[keep]], dtype=y.dtype)\n\n\n"
                  "x_train, y_train = select(x_train, y_train)\nx_test, y_test = select(x_test, y_test)\n")
    return lines


def reproduce_script(model: str, train_config: dict[str, Any]) -> str:
    """A standalone script: same dataset, network, optimizer, data split, batch order seed, epochs and
    augmentation."""
    config = TrainConfig.from_dict(train_config)
    dataset = datasets.get(config.dataset)
    body = ",\n    ".join(model_lines(model, config.dropout, config.batch_norm, config.activation, config.dataset))
    augmentation, training_data = _augmentation_lines(config)
    split, validation = _split_lines(config)
    epochs = f'{config.epochs} epoch{"s" if config.epochs != 1 else ""}'
    optimizer = '{"class_name": "%s", "config": {"learning_rate": learning_rate}}' % config.optimizer
    return f'''"""Reproduce a ConvNet Lab run: {short_name(model)} on {dataset.label} ({epochs}, seed {config.seed})."""
import os

import keras
import numpy as np
from keras import layers

{_data_lines(dataset)}
{split}
keras.utils.set_random_seed({config.seed})
model = keras.Sequential([
    {body},
])
{_rate_lines(config)}{_loss_lines(config, dataset.num_classes)}model.compile(
    optimizer=keras.optimizers.get({optimizer}),
    loss=loss,
    metrics=["accuracy"],
)
{augmentation}model.fit({training_data}, epochs={config.epochs}{validation})
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {{accuracy:.4f}}, test loss {{loss:.4f}}")
'''
