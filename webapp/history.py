"""The live record of a training job and the Keras callback that fills it.

The worker writes, the page reads: every access goes through one lock, and readers get copies.
"""
from __future__ import annotations

import copy
import threading
import time
from typing import Any, Callable

import keras


class TrainingRecord:
    """Per-model curves (per batch and per validation) plus the job's progress, safe to share across threads.

    Every change is an event tuple applied by `apply`; a `listener` sees each one, which is how a record kept
    in the training process is mirrored, event by event, in the server's process.
    """

    def __init__(self, models: tuple[str, ...] | list[str], total_steps: int, steps_per_epoch: int,
                 train_images: int = 0, validation_images: int = 0) -> None:
        self._lock = threading.Lock()
        self.listener: Callable[[tuple], None] | None = None
        self._header = {"models": list(models), "total_steps": total_steps, "steps_per_epoch": steps_per_epoch,
                        "train_images": train_images, "validation_images": validation_images}
        self._data: dict[str, Any] = {
            **copy.deepcopy(self._header),  # total_steps: batches per model for the whole run
            "started_at": None,
            "finished_at": None,
            "curves": {name: {"batches": [], "validations": [], "epochs": [], "epoch_seconds": [],
                              "compute_seconds": 0.0, "warmup_seconds": 0.0} for name in models},
            "evaluation_seconds": 0.0,
            "results": {},
        }

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "TrainingRecord":
        """A record holding a saved `snapshot` (an interrupted job's curves, read back from the job database)."""
        record = cls(snapshot["models"], snapshot["total_steps"], snapshot["steps_per_epoch"],
                     snapshot.get("train_images", 0), snapshot.get("validation_images", 0))
        record._data.update(copy.deepcopy(snapshot))
        return record

    def header(self) -> dict[str, Any]:
        """The constructor arguments, to build a mirror of this record elsewhere."""
        return copy.deepcopy(self._header)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy the reader can use without holding the lock."""
        with self._lock:
            return copy.deepcopy(self._data)

    def apply(self, event: tuple) -> None:
        """Apply one change: ("started"|"finished", time), ("batch", model, point), ("validation", model, point,
        seconds), ("epoch", model, point), ("epoch_seconds", model, seconds), ("warmup_seconds", model, seconds),
        ("evaluation_seconds", seconds), ("result", model, dict)."""
        kind, *args = event
        with self._lock:
            data = self._data
            if kind in ("started", "finished"):
                data[f"{kind}_at"] = args[0]
            elif kind == "batch":
                curves = data["curves"][args[0]]
                curves["batches"].append(args[1])
                curves["compute_seconds"] = args[1]["seconds"]
            elif kind == "validation":
                data["curves"][args[0]]["validations"].append(args[1])
                data["evaluation_seconds"] += args[2]
            elif kind == "epoch":
                data["curves"][args[0]].setdefault("epochs", []).append(args[1])
            elif kind == "epoch_seconds":
                data["curves"][args[0]]["epoch_seconds"].append(args[1])
            elif kind == "warmup_seconds":
                data["curves"][args[0]]["warmup_seconds"] = args[1]
            elif kind == "evaluation_seconds":
                data["evaluation_seconds"] += args[0]
            elif kind == "result":
                data["results"][args[0]] = args[1]
            else:
                raise ValueError(f"Unknown record event {kind!r}.")
        if self.listener:
            self.listener(event)

    def mark_started(self) -> None:
        self.apply(("started", time.time()))

    def mark_finished(self) -> None:
        self.apply(("finished", time.time()))

    def add_batch(self, model: str, point: dict[str, float]) -> None:
        self.apply(("batch", model, point))

    def add_validation(self, model: str, point: dict[str, float], evaluation_seconds: float) -> None:
        self.apply(("validation", model, point, evaluation_seconds))

    def add_epoch(self, model: str, point: dict[str, float]) -> None:
        """An epoch's training loss and accuracy as Keras' fit log reports them (means over the epoch's batches)."""
        self.apply(("epoch", model, point))

    def add_epoch_seconds(self, model: str, seconds: float) -> None:
        self.apply(("epoch_seconds", model, seconds))

    def set_warmup_seconds(self, model: str, seconds: float) -> None:
        self.apply(("warmup_seconds", model, seconds))

    def add_evaluation_seconds(self, seconds: float) -> None:
        self.apply(("evaluation_seconds", seconds))

    def set_result(self, model: str, result: dict[str, Any]) -> None:
        self.apply(("result", model, result))

    def evaluation_seconds(self) -> float:
        with self._lock:
            return self._data["evaluation_seconds"]

    def compute_seconds(self, model: str) -> float:
        with self._lock:
            return self._data["curves"][model]["compute_seconds"]


def progress(snapshot: dict[str, Any]) -> tuple[float, float | None]:
    """Fraction done (0..1) and seconds left, estimated from the pace so far."""
    total = snapshot["total_steps"] * len(snapshot["models"])
    done = sum(len(curves["batches"]) for curves in snapshot["curves"].values())
    fraction = done / total if total else 0.0
    started = snapshot["started_at"]
    if not started or done == 0:
        return fraction, None
    end = snapshot["finished_at"] or time.time()
    elapsed = end - started
    return fraction, max(0.0, elapsed * (1 - fraction) / fraction) if fraction < 1 else 0.0


class HistoryRecorder(keras.callbacks.Callback):
    """Records each batch's own loss and accuracy, its compute time and throughput; never calls streamlit.

    Keras reports running means since the start of each `fit` call; the recorder turns them back into
    per-batch values, and asks the model to stop as soon as `should_stop()` is true.

    Compute seconds start at the end of the model's first batch: that batch also traces and compiles the
    training step (seconds, and more for whichever model of a race runs first), a one-off cost that would
    make the cheaper network look the costlier. It is kept apart, as the record's `warmup_seconds`, and the
    first batch is stamped 0 s.

    At the end of each epoch it also records that epoch's training loss and accuracy as Keras' fit log reports
    them (the running means over the epoch's batches, what `fit(verbose=1)` prints and the seed tutorials quote).
    """

    def __init__(self, record: TrainingRecord, model_name: str, batch_size: int, steps_per_epoch: int,
                 should_stop: Callable[[], bool]) -> None:
        super().__init__()
        self.record = record
        self.model_name = model_name
        self.steps = 0  # batches trained over every fit call of the run
        self.batch_size = batch_size
        self.steps_per_epoch = steps_per_epoch
        self.should_stop = should_stop
        self._compute_seconds = 0.0
        self._batch_started = 0.0
        self._previous_means = {"loss": 0.0, "accuracy": 0.0}
        self._epoch_sums = {"loss": 0.0, "accuracy": 0.0}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._previous_means = {"loss": 0.0, "accuracy": 0.0}

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._batch_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        values = {key: float(logs.get(key, 0.0)) for key in ("loss", "accuracy")}  # float() waits for the step
        seconds = time.perf_counter() - self._batch_started
        if self.steps == 0:  # the warm-up batch: tracing and compiling, not the network's own cost
            self.record.set_warmup_seconds(self.model_name, seconds)
        else:
            self._compute_seconds += seconds
        seen = batch + 1  # batches in this fit call, all of the same size
        own = {key: seen * values[key] - batch * self._previous_means[key] for key in values}
        self._previous_means = values
        self.steps += 1
        self._epoch_sums = {key: self._epoch_sums[key] + own[key] for key in own}
        self.record.add_batch(self.model_name, {
            "step": self.steps,
            "epoch": self.steps / self.steps_per_epoch,
            "loss": max(0.0, own["loss"]),
            "accuracy": min(1.0, max(0.0, own["accuracy"])),
            "seconds": self._compute_seconds,
            "samples_per_second": self.batch_size / seconds if seconds > 0 else 0.0,
        })
        if self.steps % self.steps_per_epoch == 0:
            self._end_epoch(values if seen == self.steps_per_epoch else None)
        if self.should_stop():
            self.model.stop_training = True

    def _end_epoch(self, fit_log: dict[str, float] | None) -> None:
        """Keras' epoch log when this `fit` call was the whole epoch (the log `on_epoch_end` receives is the last
        batch's running means); when a race split the epoch into turns, the same mean from the batches' own values."""
        means = fit_log or {key: total / self.steps_per_epoch for key, total in self._epoch_sums.items()}
        self._epoch_sums = {"loss": 0.0, "accuracy": 0.0}
        self.record.add_epoch(self.model_name, {"epoch": self.steps / self.steps_per_epoch, "step": self.steps,
                                                "loss": means["loss"], "accuracy": means["accuracy"],
                                                "seconds": self._compute_seconds})
