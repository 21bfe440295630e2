"""Training runs: one model, or several advancing together on the same data order (a race).

The engine calls Keras's own `fit` on short chunks of each epoch, model after model, so every model
sees the same batches in the same order and all curves grow at once. It never calls streamlit.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from webapp import device
from webapp.config import TrainConfig
from webapp.data import Mnist, Split, as_model_input, load_mnist, split_training_set
from webapp.history import HistoryRecorder, TrainingRecord

MAX_BATCHES_PER_CHUNK = 20  # how far one model runs ahead of the other in a race
EVALUATION_BATCH_SIZE = 1000


@dataclass
class TrainedModel:
    """What one model of a job produced, ready for the store."""

    name: str
    model: Any  # keras.Model
    test_loss: float
    test_accuracy: float
    test_predictions: np.ndarray
    stopped: bool


@dataclass
class Schedule:
    """Batches per epoch and where, within an epoch, the run pauses to validate."""

    steps_per_epoch: int
    validate_every: int
    total_steps: int = field(init=False)
    epochs: int = 1

    def __post_init__(self) -> None:
        self.total_steps = self.steps_per_epoch * self.epochs

    def chunks(self) -> Iterator[tuple[int, int, int, bool]]:
        """(epoch, first batch, end batch, validate after) for every chunk of the run, in order."""
        for epoch in range(self.epochs):
            start = 0
            while start < self.steps_per_epoch:
                next_validation = (start // self.validate_every + 1) * self.validate_every
                end = min(self.steps_per_epoch, start + MAX_BATCHES_PER_CHUNK, next_validation)
                yield epoch, start, end, end == next_validation or end == self.steps_per_epoch
                start = end


def make_schedule(config: TrainConfig, train_images: int) -> Schedule:
    """Full batches only (the remainder of each shuffled epoch is left out, as `drop_remainder` does)."""
    steps = train_images // config.batch_size
    if steps < 1:
        raise ValueError(f"{train_images} training images are fewer than one batch of {config.batch_size}.")
    validate_every = max(1, steps // config.validations_per_epoch)
    return Schedule(steps_per_epoch=steps, validate_every=validate_every, epochs=config.epochs)


def make_optimizer(name: str, learning_rate: float) -> Any:
    import keras

    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate}})


def compile_model(name: str, config: TrainConfig) -> Any:
    """Build and compile one network, inside the multi-GPU scope when there is one."""
    from webapp.networks import NetworkOptions, build

    model = build(name, NetworkOptions(dropout=config.dropout, batch_norm=config.batch_norm))
    model.compile(
        optimizer=make_optimizer(config.optimizer, config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _evaluate(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    loss, accuracy = model.evaluate(x, y, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return float(loss), float(accuracy)


def run_training(
    config: TrainConfig,
    stop: threading.Event | None = None,
    *,
    data: Mnist | None = None,
    device_type: str = "GPU",
    on_record: Callable[[TrainingRecord], None] | None = None,
    extra_callbacks: Callable[[str], list[Any]] | None = None,
) -> tuple[TrainingRecord, list[TrainedModel]]:
    """Train every model of `config` in lockstep and evaluate each on the test set.

    `on_record` receives the live record as soon as it exists, so a page can draw it while training runs.
    `stop` ends the run within one batch; the models trained so far are still evaluated and returned.
    """
    import keras

    stop = stop or threading.Event()
    mnist = data if data is not None else load_mnist()
    split = split_training_set(
        as_model_input(mnist.x_train), mnist.y_train,
        subset=config.subset or None, validation_fraction=config.validation_fraction, seed=config.seed,
    )
    schedule = make_schedule(config, len(split.x_train))
    record = TrainingRecord(config.models, schedule.total_steps, schedule.steps_per_epoch,
                            train_images=len(split.x_train), validation_images=len(split.x_val))
    if on_record:
        on_record(record)

    keras.utils.set_random_seed(config.seed)
    with device.training_scope(device_type):
        models = {name: compile_model(name, config) for name in config.models}
    recorders = {
        name: HistoryRecorder(record, name, config.batch_size, schedule.steps_per_epoch, stop.is_set)
        for name in config.models
    }
    record.mark_started()
    _train_in_chunks(config, split, schedule, models, recorders, record, stop, extra_callbacks)
    results = [_finish(name, model, mnist, record, stop.is_set()) for name, model in models.items()]
    record.mark_finished()
    return record, results


def _train_in_chunks(config: TrainConfig, split: Split, schedule: Schedule, models: dict, recorders: dict,
                     record: TrainingRecord, stop: threading.Event, extra_callbacks: Callable | None) -> None:
    """The race loop: each chunk of each epoch goes through every model before the next chunk starts."""
    batch = config.batch_size
    order = np.arange(len(split.x_train))
    epoch_start_seconds = {name: 0.0 for name in models}
    for epoch, first, end, validate in schedule.chunks():
        if first == 0:
            order = np.random.default_rng([config.seed, epoch]).permutation(len(split.x_train))
            epoch_start_seconds = {name: record.compute_seconds(name) for name in models}
        indices = order[first * batch:end * batch]
        x_chunk, y_chunk = split.x_train[indices], split.y_train[indices]
        for name, model in models.items():
            callbacks = [recorders[name]] + (extra_callbacks(name) if extra_callbacks else [])
            model.fit(x_chunk, y_chunk, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        if stop.is_set():
            return
        if validate:
            _validate(models, split, record, {name: recorders[name].steps for name in models}, schedule)
        if end == schedule.steps_per_epoch:
            for name in models:
                record.add_epoch_seconds(name, record.compute_seconds(name) - epoch_start_seconds[name])


def _validate(models: dict, split: Split, record: TrainingRecord, steps_done: dict, schedule: Schedule) -> None:
    for name, model in models.items():
        started = time.perf_counter()
        loss, accuracy = _evaluate(model, split.x_val, split.y_val)
        record.add_validation(name, {
            "step": steps_done[name],
            "epoch": steps_done[name] / schedule.steps_per_epoch,
            "loss": loss,
            "accuracy": accuracy,
            "seconds": record.compute_seconds(name),
        }, time.perf_counter() - started)


def _finish(name: str, model: Any, mnist: Mnist, record: TrainingRecord, stopped: bool) -> TrainedModel:
    """Test-set loss, accuracy and predicted labels, measured once at the end of the run."""
    started = time.perf_counter()
    x_test = as_model_input(mnist.x_test)
    loss, accuracy = _evaluate(model, x_test, mnist.y_test)
    probabilities = model.predict(x_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    record.add_evaluation_seconds(time.perf_counter() - started)
    record.set_result(name, {"test_loss": loss, "test_accuracy": accuracy, "stopped": stopped})
    return TrainedModel(name, model, loss, accuracy, np.argmax(probabilities, axis=1).astype(np.uint8), stopped)
