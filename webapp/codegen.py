""""Show code": a short, runnable Keras script that reproduces a run, written from its config."""
from __future__ import annotations

from typing import Any

from webapp.config import TrainConfig
from webapp.networks_info import short_name

_LAYERS = {
    "dnn": ["layers.Flatten()", ("Dense(128)", "relu")],
    "cnn": [("Conv2D(32, 3)", "relu"), "layers.MaxPooling2D(2)", ("Conv2D(64, 3)", "relu"),
            "layers.MaxPooling2D(2)", "layers.Flatten()", ("Dense(128)", "relu")],
    "lenet": [("Conv2D(6, 5, padding='same')", "tanh"), "layers.AveragePooling2D(2)", ("Conv2D(16, 5)", "tanh"),
              "layers.AveragePooling2D(2)", "layers.Flatten()", ("Dense(120)", "tanh"), ("Dense(84)", "tanh")],
}


def _layer_lines(model: str, config: TrainConfig) -> list[str]:
    lines = []
    for layer in _LAYERS[model]:
        if isinstance(layer, str):
            lines.append(layer)
            continue
        weights, activation = layer
        activation = config.activation if model != "lenet" else activation  # LeNet keeps its own tanh
        if config.batch_norm:
            lines += [f"layers.{weights}", "layers.BatchNormalization()", f"layers.Activation('{activation}')"]
        else:
            lines.append(f"layers.{weights[:-1]}, activation='{activation}')")
        if config.dropout and weights.startswith("Dense"):
            lines.append(f"layers.Dropout({config.dropout})")
    return lines


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
    """The learning rate: a number, or a cosine decay to 0 over every batch of the run (full batches only)."""
    if config.schedule == "cosine":
        return (f"# The rate falls from {config.learning_rate!r} to 0 along a half cosine over all the run's batches.\n"
                f"learning_rate = keras.optimizers.schedules.CosineDecay(\n"
                f"    {config.learning_rate!r}, decay_steps={config.epochs} * (len(x_train) // {config.batch_size}))\n")
    return f"learning_rate = {config.learning_rate!r}\n"
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


def reproduce_script(model: str, train_config: dict[str, Any]) -> str:
    """A standalone script: same network, optimizer, data split, batch order seed, epochs and augmentation."""
    config = TrainConfig.from_dict(train_config)
    body = ",\n    ".join(_layer_lines(model, config))
    augmentation, training_data = _augmentation_lines(config)
    split, validation = _split_lines(config)
    return f'''"""Reproduce a ConvNet Lab run: {short_name(model)} on MNIST ({config.epochs} epoch{"s" if config.epochs != 1 else ""}, seed {config.seed})."""
import os

import keras
import numpy as np
from keras import layers

# MNIST in Keras's layout; the lab ships it as data/mnist.npz, Keras can also download it.
path = "data/mnist.npz" if os.path.exists("data/mnist.npz") else keras.utils.get_file(
    "mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
with np.load(path) as mnist:
    x_train, y_train = mnist["x_train"][..., None], mnist["y_train"]
    x_test, y_test = mnist["x_test"][..., None], mnist["y_test"]

{split}
keras.utils.set_random_seed({config.seed})
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Rescaling(1 / 255),
    {body},
    layers.Dense(10, activation="softmax"),
])
{_rate_lines(config)}model.compile(
    optimizer=keras.optimizers.get({{"class_name": "{config.optimizer}", "config": {{"learning_rate": learning_rate}}}}),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
{augmentation}model.fit({training_data}, epochs={config.epochs}{validation})
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {{accuracy:.4f}}, test loss {{loss:.4f}}")
'''
