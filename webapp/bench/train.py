"""`bench train`: seconds for the CNN to reach a test accuracy, the lab's defaults against the seed tutorial's."""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np

from webapp.bench.common import Log


def test_accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy from direct model calls (no `evaluate`, which would touch the training loop's state)."""
    from webapp.training import predict_probabilities, scores

    return scores(predict_probabilities(model, x), y)[1]


def make_probe(x_test: np.ndarray, y_test: np.ndarray, target: float, check_every: int,
               excluded_seconds: Callable[[], float]) -> Any:
    """A Keras callback that checks test accuracy every `check_every` batches until `target` is met, and at the
    end of every epoch (what `train --epochs N` gives a user).

    Its clock leaves out its own checks and `excluded_seconds()` (the trainer's own validation passes).
    """
    import keras

    class TimeToAccuracy(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.started: float | None = None
            self.checking_seconds = 0.0
            self.batches = 0
            self.reached_seconds: float | None = None
            self.reached_batches: int | None = None
            self.checks: list[tuple[int, float, float]] = []
            self.epoch_accuracies: list[float] = []

        def on_train_begin(self, logs: dict | None = None) -> None:
            if self.started is None:
                self.started = time.perf_counter()

        def elapsed(self) -> float:
            assert self.started is not None, "on_train_begin starts the clock"
            return time.perf_counter() - self.started - self.checking_seconds - excluded_seconds()

        def check(self) -> float:
            """Test accuracy now, its time kept off the clock."""
            began = time.perf_counter()
            accuracy = test_accuracy(self.model, x_test, y_test)
            self.checking_seconds += time.perf_counter() - began
            return accuracy

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.batches += 1
            if self.reached_seconds is not None or self.batches % check_every:
                return
            elapsed = self.elapsed()
            accuracy = self.check()
            self.checks.append((self.batches, elapsed, accuracy))
            if accuracy >= target:
                self.reached_seconds, self.reached_batches = elapsed, self.batches

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch_accuracies.append(self.check())

    return TimeToAccuracy()


def time_lab_defaults(seed: int, target: float, check_every: int, max_epochs: int, subset: int, mnist: Any) -> Any:
    """The lab's own trainer with its default settings, for its default epochs (its learning-rate schedule is
    planned over them); only the seed and subset are set here, and `max_epochs` caps the epochs."""
    from webapp.config import TrainConfig
    from webapp.data import as_model_input
    from webapp.training import run_training

    holder: dict[str, Any] = {}
    probe = make_probe(as_model_input(mnist.x_test), mnist.y_test, target, check_every,
                       lambda: holder["record"].evaluation_seconds() if "record" in holder else 0.0)
    config = TrainConfig(models=("cnn",), epochs=min(TrainConfig().epochs, max_epochs), seed=seed, subset=subset)
    run_training(config, data=mnist, on_record=lambda record: holder.setdefault("record", record),
                 extra_callbacks=lambda name: [probe])
    return probe


def time_seed_tutorial(seed: int, target: float, check_every: int, max_epochs: int, subset: int, mnist: Any) -> Any:
    """The seed tutorial's recipe on the same network (the `tutorial` settings preset: rmsprop at a constant 1e-3,
    batch 128, its 5 epochs, capped by `max_epochs`), one plain `model.fit`."""
    import keras

    from webapp.data import as_model_input
    from webapp.networks import build_cnn
    from webapp.presets import preset_config
    from webapp.training import make_optimizer

    tutorial = preset_config("tutorial")
    keras.utils.set_random_seed(seed)
    model = build_cnn()
    model.compile(optimizer=make_optimizer(tutorial.optimizer, tutorial.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe = make_probe(as_model_input(mnist.x_test), mnist.y_test, target, check_every, lambda: 0.0)
    x, y = as_model_input(mnist.x_train), mnist.y_train
    if subset:
        x, y = x[:subset], y[:subset]
    model.fit(x, y, epochs=min(tutorial.epochs, max_epochs), batch_size=tutorial.batch_size, callbacks=[probe],
              verbose=0)
    return probe


SETTINGS = ("optimizer", "learning_rate", "schedule", "label_smoothing", "batch_size", "epochs")


def _median_or_none(values: list[float | None]) -> float | None:
    reached = [value for value in values if value is not None]
    if len(reached) < len(values):
        # an unreached target counts as slower than any reached one
        padded = sorted(reached) + [float("inf")] * (len(values) - len(reached))
        middle = statistics.median(padded)
        return None if middle == float("inf") else middle
    return statistics.median(reached)


def train_benchmark(target: float = 0.985, seeds: int = 3, check_every: int = 100, max_epochs: int = 5,
                    subset: int = 0, log: Log = print) -> dict[str, Any]:
    """Time to `target` test accuracy for the CNN, and its test accuracy after each whole epoch: lab defaults vs
    the seed tutorial, median over seeds."""
    from webapp import device
    from webapp.config import TrainConfig
    from webapp.data import load_mnist

    from webapp.presets import preset_config

    mnist = load_mnist()
    lab, tutorial = TrainConfig(), preset_config("tutorial")
    report: dict[str, Any] = {
        "benchmark": "train", "target": target, "device": device.describe(), "check_every_batches": check_every,
        "lab_settings": {**{key: getattr(lab, key) for key in SETTINGS},
                         "precision": device.resolve_precision(lab.precision)},
        "seed_settings": {key: getattr(tutorial, key) for key in (*SETTINGS, "precision")},
    }
    runs: dict[str, list[Any]] = {"lab": [], "seed": []}
    for seed in range(seeds):  # the two settings take turns, so a busy spell on a shared machine slows both
        for label, timer in (("lab", time_lab_defaults), ("seed", time_seed_tutorial)):
            probe = timer(seed, target, check_every, max_epochs, subset, mnist)
            runs[label].append(probe)
            shown = (f"{probe.reached_seconds:.1f} s after {probe.reached_batches} batches" if probe.reached_seconds
                     else "not reached")
            checks = [(b, round(t, 1), round(a, 4)) for b, t, a in probe.checks]
            log(f"{label} settings, seed {seed}: {target:.1%} {shown}; after each epoch "
                f"{[round(a, 4) for a in probe.epoch_accuracies]}; checks {checks}")
    for label, probes in runs.items():
        epochs = [probe.epoch_accuracies for probe in probes]
        report[f"{label}_seconds"] = [probe.reached_seconds for probe in probes]
        report[f"{label}_batches"] = [probe.reached_batches for probe in probes]
        report[f"{label}_median_seconds"] = _median_or_none(report[f"{label}_seconds"])
        report[f"{label}_epoch_accuracy"] = epochs
        report[f"{label}_epoch_accuracy_median"] = [statistics.median(run[epoch] for run in epochs)
                                                    for epoch in range(min(map(len, epochs)))]
    lab, seed_median = report["lab_median_seconds"], report["seed_median_seconds"]
    report["ratio"] = lab / seed_median if lab and seed_median else None
    # each seed's own pair ran back to back, under much the same load: their spread shows how noisy the machine was
    report["ratio_per_seed"] = [mine / theirs if mine and theirs else None
                                for mine, theirs in zip(report["lab_seconds"], report["seed_seconds"])]
    return report


def format_train_report(report: dict[str, Any]) -> str:
    def shown(value: float | None) -> str:
        return f"{value:.1f} s" if value else "not reached"

    ratio = f"{report['ratio']:.2f}" if report["ratio"] else "n/a"

    def epochs(label: str) -> str:
        return ", ".join(f"{accuracy:.2%}" for accuracy in report[f"{label}_epoch_accuracy_median"])

    return (f"CNN to {report['target']:.1%} test accuracy on {report['device']} "
            f"(median of {len(report['lab_seconds'])} seeds)\n"
            f"  lab defaults  {report['lab_settings']}: {shown(report['lab_median_seconds'])}\n"
            f"  seed tutorial {report['seed_settings']}: {shown(report['seed_median_seconds'])}\n"
            f"  ratio lab/seed: {ratio} (each seed's own: "
            f"{', '.join(f'{value:.2f}' if value else 'n/a' for value in report['ratio_per_seed'])})\n"
            f"  test accuracy after each whole epoch: lab {epochs('lab')}; seed tutorial {epochs('seed')}")
