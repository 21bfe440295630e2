"""Training runs: one model, or several advancing together on the same data order (a race).

Each model trains one pass per epoch over that epoch's shuffled order (full batches only): on TensorFlow from a
training set placed once on the training device (`ResidentRows`), else through Keras's own `fit`.
In a race every model has its own thread and they take turns every few batches, so all see the same
batches in the same order and all curves grow at once. Nothing here calls streamlit.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import keras
import numpy as np

from webapp import device
from webapp.config import WARMUP_SHARE, TrainConfig
from webapp import datasets
from webapp.data import Split, as_model_input, split_training_set
from webapp.datasets import Dataset
from webapp.history import HistoryRecorder, TrainingRecord
from webapp.network_catalog import short_name

TURN_BATCHES = 25  # batches one model of a race trains before handing over to the next
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
    fine_tuning: dict[str, Any] | None = None  # accuracies before and after, when a saved model was fine-tuned
    # What it was tested on: the held-out samples' ids (a learner's collection only) and the class names by label,
    # both as the dataset was read when training began (the collection may change while it trains)
    test_ids: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """Batches per epoch and where, within an epoch, the run pauses to validate."""

    steps_per_epoch: int
    validate_every: int
    epochs: int = 1

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def turn_batches(self) -> int:
        """Batches a model of a race trains before handing over: `TURN_BATCHES`, or an eighth of a short epoch,
        so a small job's curves also grow side by side rather than one after the other."""
        return max(1, min(TURN_BATCHES, self.steps_per_epoch // 8))


def make_schedule(config: TrainConfig, train_images: int) -> Schedule:
    """Full batches only (the remainder of each shuffled epoch is left out, as `drop_remainder` does)."""
    steps = train_images // config.batch_size
    if steps < 1:
        raise ValueError(f"{train_images} training images are fewer than one batch of {config.batch_size}.")
    validate_every = max(1, steps // config.validations_per_epoch)
    return Schedule(steps_per_epoch=steps, validate_every=validate_every, epochs=config.epochs)


def learning_rate_schedule(learning_rate: float, schedule: str, total_steps: int) -> Any:
    """The rate as Keras takes it: a number, or a schedule over the run's `total_steps` batches. "cosine" falls
    from `learning_rate` to 0 along a half cosine; "warmup-cosine" first climbs from 0 to it over `WARMUP_SHARE` of
    the batches (Keras' `CosineDecay` warm-up), then falls the same way over the rest."""
    total_steps = max(1, total_steps)
    warmup_steps = round(WARMUP_SHARE * total_steps) if schedule == "warmup-cosine" else 0
    if warmup_steps:
        return keras.optimizers.schedules.CosineDecay(0.0, decay_steps=total_steps - warmup_steps,
                                                      warmup_target=learning_rate, warmup_steps=warmup_steps)
    if schedule in ("cosine", "warmup-cosine"):  # a run too short to warm up decays from the start
        return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)
    return learning_rate


def make_optimizer(name: str, learning_rate: float, schedule: str = "constant", total_steps: int = 1,
                   slow_paths: frozenset[str] = frozenset(), slow_factor: float = 1.0) -> Any:
    """The optimizer with its rate schedule (the optimizer counts its own steps, so a schedule carries across the
    run's many `fit` calls). Variables in `slow_paths` (a fine-tuned network's pretrained layers) learn at
    `slow_factor` times the rate."""
    rate = learning_rate_schedule(learning_rate, schedule, total_steps)
    if slow_paths:
        from webapp.optimizers import two_rate

        return two_rate(name, rate, slow_paths, slow_factor)
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": rate}})


def training_loss(config: TrainConfig) -> Any:
    """Cross-entropy on the labels; with label smoothing, on one-hot targets that give `label_smoothing` of the
    probability to the other classes (Keras' sparse loss has no smoothing, so those runs train on one-hot targets,
    see `training_targets`). Every loss and accuracy the lab reports is still plain cross-entropy on the labels."""
    if config.label_smoothing:
        return keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    return "sparse_categorical_crossentropy"


def training_targets(labels: np.ndarray, config: TrainConfig, num_classes: int) -> np.ndarray:
    """What `fit` compares the model's answers with: the labels, or one-hot rows when the loss smooths them."""
    if config.label_smoothing:
        return np.eye(num_classes, dtype=np.float32)[labels.astype(np.int64)]
    return labels


def compile_recipes(config: TrainConfig, store: Any = None, total_steps: int = 1) -> dict[str, Any]:
    """A transfer job's networks: each recipe made from the source run's CNN for the target's classes."""
    from webapp import transfer
    from webapp.network_catalog import has_convolutions
    from webapp.store import RunStore

    store = store or RunStore()
    source_info = store.get(config.source_run)
    if not has_convolutions(source_info.model_name):
        raise ValueError(f"The source run {config.source_run} is a {short_name(source_info.model_name)}, which "
                         "has no convolutions: transfer starts from a CNN.")
    source = store.load_model(config.source_run)
    target = datasets.get(config.dataset)
    if tuple(source.input_shape[1:]) != target.image_shape:
        raise ValueError(f"The source run {config.source_run} takes {source.input_shape[1:]} images, and "
                         f"{target.label} has {target.image_shape}: transfer needs the same image size.")
    models = {}
    for recipe in config.recipes:
        model, _ = transfer.build_recipe(recipe, source, target.num_classes)
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.schedule, total_steps,
                                               transfer.pretrained_paths(recipe, model),
                                               transfer.PRETRAINED_RATE_FACTOR),
                      loss=training_loss(config), metrics=["accuracy"], jit_compile=device.use_xla())
        models[recipe] = model
    return models


def compile_model(name: str, config: TrainConfig, precision: str = "float32", store: Any = None,
                  total_steps: int = 1) -> Any:
    """Build and compile one network, or load the saved run it fine-tunes (the caller puts it in the
    multi-GPU scope when there is one)."""
    from webapp.networks import build, options_for

    if config.is_fine_tuning:
        from webapp.store import RunStore

        store = store or RunStore()
        if store.get(config.base_run).model_name != name:
            raise ValueError(f"The run {config.base_run} is not a {short_name(name)} model.")
        model = store.load_model(config.base_run)
    else:
        data = datasets.get(config.dataset)  # the network takes its images and answers its classes
        model = build(name, options_for(name, config.dropout, config.batch_norm, config.activation,
                                        data.image_shape, data.num_classes), precision)
    model.compile(
        optimizer=make_optimizer(config.optimizer, config.learning_rate, config.schedule, total_steps),
        loss=training_loss(config),
        metrics=["accuracy"],
        jit_compile=device.use_xla(),
    )
    return model


def training_split(config: TrainConfig, dataset: Dataset) -> Split:
    """The dataset's training set (a subset, validation held out unless switched off), or the learner's
    collection (a fifth held out)."""
    # Without validation every chosen image trains, as in the seed tutorial; the test set still judges at the end.
    if not config.validation:
        return all_for_training(as_model_input(dataset.x_train), dataset.y_train, config.subset, config.seed)
    if config.collection:
        from webapp.own_digits import Collection, held_out_split

        collection = Collection(config.collection).as_dataset()
        return held_out_split(as_model_input(collection.x_train), collection.y_train, seed=config.seed)
    return split_training_set(as_model_input(dataset.x_train), dataset.y_train, subset=config.subset or None,
                              stratified=config.is_transfer,
                              validation_fraction=config.validation_fraction, seed=config.seed)


def all_for_training(x: np.ndarray, y: np.ndarray, subset: int, seed: int) -> Split:
    """The (subset of the) training set with nothing held out: the same images `split_training_set` would choose."""
    order = np.random.default_rng(seed).permutation(len(x))[: subset or None]
    return Split(x[order], y[order], x[:0], y[:0])


def accuracies(model: Any, split: Split, dataset: Dataset) -> dict[str, float]:
    """A fine-tuned model's two yardsticks: the held-out part of the collection, and MNIST's test set (collections
    fine-tune MNIST models only, see `TrainConfig.problem`)."""
    return {"held_out_accuracy": _evaluate(model, split.x_val, split.y_val)[1],
            "mnist_test_accuracy": _evaluate(model, as_model_input(dataset.x_test), dataset.y_test)[1]}


def predict_probabilities(model: Any, x: np.ndarray, batch_size: int = EVALUATION_BATCH_SIZE) -> np.ndarray:
    """Class probabilities through Keras's compiled predict step. Eager model calls are several times
    slower (far slower in worker threads); `predict_on_batch` is cheapest but does not split a batch
    across devices, so a model trained on several devices goes through `predict`."""
    if _replicas(model) > 1:
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    parts = [np.asarray(model.predict_on_batch(x[start:start + batch_size]))
             for start in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)


def _replicas(model: Any) -> int:
    """How many devices the model was built to train on (1 outside `tf.distribute`, and on other backends)."""
    strategy = getattr(model, "distribute_strategy", None)
    return int(getattr(strategy, "num_replicas_in_sync", 1)) if strategy is not None else 1


def scores(probabilities: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Cross-entropy loss and accuracy, as Keras computes them for sparse labels."""
    picked = np.clip(probabilities[np.arange(len(y)), y.astype(np.int64)], 1e-7, 1.0)
    return float(-np.mean(np.log(picked))), float(np.mean(np.argmax(probabilities, axis=1) == y))


def _evaluate(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    return scores(predict_probabilities(model, x), y)


def run_training(
    config: TrainConfig,
    stop: threading.Event | None = None,
    *,
    data: Dataset | None = None,
    store: Any = None,
    device_type: str = "GPU",
    on_record: Callable[[TrainingRecord], None] | None = None,
    extra_callbacks: Callable[[str], list[Any]] | None = None,
) -> tuple[TrainingRecord, list[TrainedModel]]:
    """Train every model of `config` in lockstep and evaluate each on the test set.

    `on_record` receives the live record as soon as it exists, so a page can draw it while training runs.
    `stop` ends the run within one batch; the models trained so far are still evaluated and returned.
    A fine-tuning config starts from a saved run (read from `store`) and trains on the learner's collection.
    """
    stop = stop or threading.Event()
    dataset = data if data is not None else datasets.load(config.dataset)
    split = training_split(config, dataset)
    if config.is_fine_tuning:  # a small collection: batches no larger than it
        config = replace(config, batch_size=min(config.batch_size, len(split.x_train)))
    schedule = make_schedule(config, len(split.x_train))
    record = TrainingRecord(config.race_entries, schedule.total_steps, schedule.steps_per_epoch,
                            train_images=len(split.x_train), validation_images=len(split.x_val))
    if on_record:
        on_record(record)

    keras.utils.set_random_seed(config.seed)
    precision = device.resolve_precision(config.precision)
    with device.training_scope(device_type):
        if config.is_transfer:
            models = compile_recipes(config, store, schedule.total_steps)
        else:
            models = {name: compile_model(name, config, precision, store, schedule.total_steps)
                      for name in config.models}
    before = ({name: accuracies(model, split, dataset) for name, model in models.items()} if config.is_fine_tuning
              else {})
    # tf.distribute deadlocks when two models' steps interleave across threads: on several devices a
    # race takes turns in one thread instead, one `fit` per turn.
    several_devices = any(_replicas(model) > 1 for model in models.values())
    lockstep = Lockstep(list(models)) if len(models) > 1 and not several_devices else None
    # `fit` sees the training targets (one-hot when smoothed); validation and testing read the plain labels
    classes = int(next(iter(models.values())).output_shape[-1])
    fit_split = replace(split, y_train=training_targets(split.y_train, config, classes))
    resident = resident_rows(fit_split, config, several_devices)
    trainers = [ModelTrainer(name, model, config, fit_split, schedule, record, stop, lockstep,
                             extra_callbacks(name) if extra_callbacks else [], resident)
                for name, model in models.items()]
    record.mark_started()
    if len(trainers) > 1 and several_devices:
        _run_in_one_thread(trainers, stop)
    else:
        _run_side_by_side(trainers, stop)
    results = [_finish(name, model, dataset, record, stop.is_set()) for name, model in models.items()]
    for result in results:
        if result.name in before:
            result.fine_tuning = {"collection": config.collection, "base_run": config.base_run,
                                  "held_out_images": len(split.x_val), "before": before[result.name],
                                  "after": accuracies(result.model, split, dataset)}
    record.mark_finished()
    return record, results


def epoch_order(seed: int, epoch: int, images: int, steps: int, batch_size: int) -> np.ndarray:
    """The shuffled image order of one epoch, cut to full batches; every model of a race gets the same."""
    return np.random.default_rng([seed, epoch]).permutation(images)[: steps * batch_size]


class Lockstep:
    """Turn-taking for a race: each model trains a few batches, then hands over to the next.

    Only one model computes at a time, so each one's compute seconds are its own, and all curves grow together.
    """

    def __init__(self, names: list[str]) -> None:
        self._order = list(names)
        self._turn = 0
        self._changed = threading.Condition()

    def wait_for_turn(self, name: str) -> None:
        with self._changed:
            self._changed.wait_for(lambda: name not in self._order or self._order[self._turn] == name)

    def pass_turn(self, name: str) -> None:
        with self._changed:
            if self._order and self._order[self._turn] == name:
                self._turn = (self._turn + 1) % len(self._order)
                self._changed.notify_all()

    def leave(self, name: str) -> None:
        """A finished (or failed) model drops out, so the others never wait for it."""
        with self._changed:
            if name not in self._order:
                return
            index, current = self._order.index(name), self._order[self._turn]
            self._order.remove(name)
            if not self._order:
                self._turn = 0
            elif current == name:
                self._turn = index % len(self._order)  # the next in line
            else:
                self._turn = self._order.index(current)
            self._changed.notify_all()


class ModelTrainer:
    """Trains one model of a job: one pass per epoch over that epoch's order (`fit_rows`), validating as it goes."""

    def __init__(self, name: str, model: Any, config: TrainConfig, split: Split, schedule: Schedule,
                 record: TrainingRecord, stop: threading.Event, lockstep: Lockstep | None, extra: list[Any],
                 resident: ResidentRows | None = None) -> None:
        self.name, self.model, self.config, self.split, self.resident = name, model, config, split, resident
        self.schedule, self.record, self.stop, self.lockstep = schedule, record, stop, lockstep
        self.recorder = HistoryRecorder(record, name, config.batch_size, schedule.steps_per_epoch, stop.is_set)
        wait, hand_over = (([TakeTurns(self, lockstep, hand_over=False)], [TakeTurns(self, lockstep, hand_over=True)])
                           if lockstep else ([], []))
        validation = [PeriodicValidation(self)] if len(split.x_val) else []
        self.callbacks = wait + [self.recorder] + validation + extra + hand_over

    def train(self) -> None:
        try:
            for epoch in range(self.config.epochs):
                if self.stop.is_set():
                    return
                order = epoch_order(self.config.seed, epoch, len(self.split.x_train),
                                    self.schedule.steps_per_epoch, self.config.batch_size)
                before = self.record.compute_seconds(self.name)
                fit_rows(self.model, self.split, order, self.config, epoch, self.callbacks, resident=self.resident)
                if not self.stop.is_set():
                    self.record.add_epoch_seconds(self.name, self.record.compute_seconds(self.name) - before)
        finally:
            if self.lockstep:
                self.lockstep.leave(self.name)

    def validate(self) -> None:
        started = time.perf_counter()
        loss, accuracy = _evaluate(self.model, self.split.x_val, self.split.y_val)
        steps = self.recorder.steps
        self.record.add_validation(self.name, {
            "step": steps, "epoch": steps / self.schedule.steps_per_epoch, "loss": loss, "accuracy": accuracy,
            "seconds": self.record.compute_seconds(self.name),
        }, time.perf_counter() - started)


class PeriodicValidation(keras.callbacks.Callback):
    """Validates every `validate_every` batches and at the end of each epoch (time kept out of compute seconds)."""

    def __init__(self, trainer: "ModelTrainer") -> None:
        super().__init__()
        self.trainer = trainer

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        steps, schedule = self.trainer.recorder.steps, self.trainer.schedule
        if steps % schedule.validate_every == 0 or steps % schedule.steps_per_epoch == 0:
            self.trainer.validate()


class TakeTurns(keras.callbacks.Callback):
    """Turn-taking in a race, every `Schedule.turn_batches` batches. Used twice per model: first in the callback list
    it waits for the turn (before the recorder starts its clock, so waiting is not compute); last, it hands
    the turn over (after every other callback, so the batch is fully recorded before the next model starts)."""

    def __init__(self, trainer: "ModelTrainer", lockstep: Lockstep, hand_over: bool) -> None:
        super().__init__()
        self.trainer, self.lockstep, self.hand_over = trainer, lockstep, hand_over

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if not self.hand_over and self.trainer.recorder.steps % self.trainer.schedule.turn_batches == 0:
            self.lockstep.wait_for_turn(self.trainer.name)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.hand_over and self.trainer.recorder.steps % self.trainer.schedule.turn_batches == 0:
            self.lockstep.pass_turn(self.trainer.name)


class ResidentRows:
    """A job's training images and targets, placed once where the models train (a GPU's memory, or the host's):
    each batch is then gathered there by its row numbers. `fit` on arrays would copy the epoch's rows on the host
    (and, on a GPU, send every batch across), and set up a new input pipeline for every `fit` call."""

    def __init__(self, x: np.ndarray, y: np.ndarray, device_name: str) -> None:
        import tensorflow as tf

        self.device_name = device_name
        with tf.device(device_name):
            self.x, self.y = tf.identity(x), tf.identity(y)

    def batch(self, rows: np.ndarray) -> tuple[Any, Any]:
        """The images and targets of these rows, gathered on the device the set lives on."""
        import tensorflow as tf

        with tf.device(self.device_name):
            indices = tf.constant(rows, dtype=tf.int32)
            return tf.gather(self.x, indices), tf.gather(self.y, indices)


def resident_rows(split: Split, config: TrainConfig, several_devices: bool) -> ResidentRows | None:
    """The training set placed once on the training device, where batches can be sliced there: not for a pipeline
    (augmented on the host, batch by batch), nor across several devices (`fit` splits each batch among them), nor
    on a backend other than TensorFlow."""
    where = device.resident_device()
    if config.pipeline or several_devices or where is None:
        return None
    return ResidentRows(split.x_train, split.y_train, where)


def fit_resident(model: Any, resident: ResidentRows, rows: np.ndarray, batch_size: int, callbacks: list[Any]) -> None:
    """What `fit(epochs=1, shuffle=False)` does over these rows (full batches), one `train_on_batch` per batch on
    the resident set: the same callbacks, called the same way, with the same logs (running means since the call
    began, as `fit` reports them; `train_on_batch` itself reports each batch's own)."""
    callback_list = keras.callbacks.CallbackList(callbacks, model=model)
    model.stop_training = False
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    sums: dict[str, float] = {}
    means: dict[str, float] = {}
    for batch in range(len(rows) // batch_size):
        callback_list.on_train_batch_begin(batch)
        x, y = resident.batch(rows[batch * batch_size:(batch + 1) * batch_size])
        logs = model.train_on_batch(x, y, return_dict=True)
        sums = {key: sums.get(key, 0.0) + float(value) for key, value in logs.items()}
        means = {key: total / (batch + 1) for key, total in sums.items()}
        callback_list.on_train_batch_end(batch, means)
        if model.stop_training:
            break
    callback_list.on_epoch_end(0, means)
    callback_list.on_train_end(means)


def fit_rows(model: Any, split: Split, rows: np.ndarray, config: TrainConfig, epoch: int, callbacks: list[Any],
             first_batch: int = 0, resident: ResidentRows | None = None) -> None:
    """One pass over these training rows in this order: batches sliced from the `resident` set, plain arrays
    through `fit`, or batches augmented on the fly by the config's pipeline (`first_batch` numbers the batches of
    a turn within its epoch, for their seeds)."""
    if resident is not None:
        fit_resident(model, resident, rows, config.batch_size, callbacks)
    elif config.pipeline:
        from webapp.augmented_batches import AugmentedBatches

        batches = AugmentedBatches(split.x_train, split.y_train, rows, config.batch_size, config.pipeline,
                                   config.seed, epoch, first_batch)
        model.fit(batches, epochs=1, verbose=0, callbacks=callbacks)
    else:
        model.fit(split.x_train[rows], split.y_train[rows], batch_size=config.batch_size, epochs=1, shuffle=False,
                  verbose=0, callbacks=callbacks)


def _run_in_one_thread(trainers: list[ModelTrainer], stop: threading.Event) -> None:
    """Each model fits `Schedule.turn_batches` batches of the epoch's order in turn, all in the calling thread (only
    for models spread over several devices, which always go through `fit`: no resident set)."""
    first_trainer = trainers[0]
    config, schedule, batch = first_trainer.config, first_trainer.schedule, first_trainer.config.batch_size
    for epoch in range(config.epochs):
        order = epoch_order(config.seed, epoch, len(first_trainer.split.x_train), schedule.steps_per_epoch, batch)
        before = {trainer.name: trainer.record.compute_seconds(trainer.name) for trainer in trainers}
        for first in range(0, schedule.steps_per_epoch, schedule.turn_batches):
            turn = order[first * batch:(first + schedule.turn_batches) * batch]
            for trainer in trainers:
                if stop.is_set():
                    return
                fit_rows(trainer.model, trainer.split, turn, config, epoch, trainer.callbacks, first_batch=first)
        for trainer in trainers:
            seconds = trainer.record.compute_seconds(trainer.name) - before[trainer.name]
            trainer.record.add_epoch_seconds(trainer.name, seconds)


def _run_side_by_side(trainers: list[ModelTrainer], stop: threading.Event) -> None:
    """One thread per model (they take turns); the first error stops the others and is raised here."""
    if len(trainers) == 1:
        trainers[0].train()
        return
    errors: list[BaseException] = []

    def guarded(trainer: ModelTrainer) -> None:
        try:
            trainer.train()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=guarded, args=(trainer,), name=f"train-{trainer.name}") for trainer in trainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _finish(name: str, model: Any, dataset: Dataset, record: TrainingRecord, stopped: bool) -> TrainedModel:
    """Test-set loss, accuracy and predicted labels, measured once at the end of the run."""
    started = time.perf_counter()
    probabilities = predict_probabilities(model, as_model_input(dataset.x_test))
    loss, accuracy = scores(probabilities, dataset.y_test)
    record.add_evaluation_seconds(time.perf_counter() - started)
    record.set_result(name, {"test_loss": loss, "test_accuracy": accuracy, "stopped": stopped})
    return TrainedModel(name, model, loss, accuracy, np.argmax(probabilities, axis=1).astype(np.uint8), stopped,
                        test_ids=dataset.test_ids, class_names=dataset.info.class_names)
