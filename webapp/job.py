"""A training job: its record, its statuses, and how to run one and save its models.

This module knows nothing of queues or processes: the queue (`webapp.jobs`) and the training process
(`webapp.worker`) both build on it, so neither needs the other.
"""
from __future__ import annotations

import enum
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from webapp import device
from webapp.config import CONSTANT_RATE, TrainConfig
from webapp.errors import describe_error
from webapp.history import TrainingRecord
from webapp.ownership import OWNER_KEY_PATTERN
from webapp.run_record import RunRecord
from webapp.store import RunInfo, RunStore, new_run_id
from webapp.transfer import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, TARGETS, parameter_split


class JobStatus(enum.StrEnum):
    """Where a job stands. A `str` enum: each member equals, prints and saves as its lower-case word
    ("done" == JobStatus.DONE), so JSON output, saved runs and older files keep the same strings."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the server died while it ran (webapp.job_store, webapp.housekeeping); never live

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.STOPPED, JobStatus.FAILED, JobStatus.INTERRUPTED)


class PartialSaveError(RuntimeError):
    """Saving stopped part-way: `saved` lists the runs that were saved before it failed."""

    def __init__(self, message: str, saved: list[RunInfo]) -> None:
        super().__init__(message)
        self.saved = saved


@dataclass
class Job:
    """A training job as the page sees it: its config, status, live record and saved runs.

    A job may carry `followups`: more configs trained one after another once `config` is done, in the same
    queue slot (the Transfer page's "run all four cells"). `stage` is the index of the one training now, in
    `configs`; `record` is always that one's live record."""

    config: TrainConfig
    owner: str  # the owner key (`webapp.ownership.owner_key`) of the browser that submitted it
    job_id: str = field(default_factory=lambda: f"job-{secrets.token_hex(4)}")
    status: JobStatus = JobStatus.QUEUED
    record: TrainingRecord | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    runs: list[RunInfo] = field(default_factory=list)
    error: str | None = None
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    followups: tuple[TrainConfig, ...] = ()
    stage: int = 0

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def configs(self) -> tuple[TrainConfig, ...]:
        """Every config the job trains, in order: `config` first, then its followups."""
        return (self.config, *self.followups)

    @property
    def current_config(self) -> TrainConfig:
        """The config of the stage training now (the last one once the job is done)."""
        return self.configs[min(self.stage, len(self.configs) - 1)]


def execute(job: Job, store: RunStore, *, device_type: str = "GPU",
            on_record: Callable[[TrainingRecord], None] | None = None) -> list[RunInfo]:
    """Train each of the job's configs in turn and save one run per model of each (marked stopped if it was
    stopped; a stop also skips the stages still to come). A later stage that fails keeps what the earlier
    ones saved, and says so."""
    saved: list[RunInfo] = []
    for index, config in enumerate(job.configs):
        if index and job.stop_event.is_set():
            break
        job.stage = index
        try:
            saved += _execute_one(job, config, store, device_type, on_record)
        except PartialSaveError as error:
            raise PartialSaveError(str(error), saved + error.saved) from None
        except Exception as error:
            if not saved:
                raise
            raise PartialSaveError(f"{describe_error(error).rstrip('.')} (stage {index + 1} of "
                                   f"{len(job.configs)}); the {len(saved)} runs of the stages before it are saved.",
                                   saved) from None
    return saved


def _execute_one(job: Job, job_config: TrainConfig, store: RunStore, device_type: str,
                 on_record: Callable[[TrainingRecord], None] | None) -> list[RunInfo]:
    """Train one config of the job, then save one run per model."""
    from webapp.training import run_training

    def attach(created: TrainingRecord) -> None:
        job.record = created
        if on_record:
            on_record(created)

    started = time.time()
    record, results = run_training(job_config, job.stop_event, store=store, device_type=device_type, on_record=attach)
    job.record = record
    snapshot = record.snapshot()
    where = device.describe()
    saved: list[RunInfo] = []
    for result in results:
        trainable, frozen = parameter_split(result.model) if job_config.is_transfer else (None, None)
        curves = snapshot["curves"][result.name]
        augmentation = None
        if job_config.pipeline:
            from webapp.augment import describe_pipeline

            augmentation = describe_pipeline(job_config.pipeline)
        config = RunRecord(  # written as config.json
            model=job_config.models[0] if job_config.is_transfer else result.name,
            dataset=job_config.dataset,  # what the run's results, labels and galleries are shown with
            status=(JobStatus.STOPPED if result.stopped else JobStatus.DONE).value,  # a plain string on disk
            job_id=job.job_id,
            raced_with=tuple(name for name in job_config.race_entries if name != result.name),
            train_config=job_config.to_dict(),
            seed=job_config.seed,
            device=where,
            precision=device.resolve_precision(job_config.precision),
            params=int(result.model.count_params()),
            train_images=snapshot["train_images"],
            validation_images=snapshot["validation_images"],
            steps=len(curves["batches"]),
            epoch_seconds=tuple(curves["epoch_seconds"]),
            compute_seconds=curves["compute_seconds"],
            warmup_seconds=curves["warmup_seconds"],  # the first batch's tracing, left out of compute_seconds
            epochs_trained=len(curves["batches"]) / snapshot["steps_per_epoch"],
            wall_seconds=time.time() - started,
            test_accuracy=result.test_accuracy,
            test_loss=result.test_loss,
            created=time.strftime("%Y-%m-%d %H:%M:%S"),
            fine_tuning=result.fine_tuning or None,  # only a fine-tuning run has its before/after scores
            augmentation=augmentation,
            recipe=result.name if job_config.is_transfer else None,
            source_run=job_config.source_run or None,
            trainable_params=trainable,
            frozen_params=frozen,
            class_names=trained_class_names(job_config.dataset, result.class_names),
            held_out_samples=result.test_ids or None,  # a collection's: which samples test_predictions belong to
            owner=job.owner if OWNER_KEY_PATTERN.match(job.owner) else None,  # the CLI's jobs belong to nobody
        )
        history = {key: curves.get(key, []) for key in ("batches", "validations", "epochs", "epoch_seconds")}
        history["test"] = {"accuracy": result.test_accuracy, "loss": result.test_loss}
        try:
            saved.append(store.save(new_run_id(result.name), result.model, config, history, result.test_predictions))
        except Exception as error:
            if not saved:
                raise
            kept = ", ".join(info.run_id for info in saved)  # one sentence that also says what was kept
            raise PartialSaveError(f"{describe_error(error, 'Saving').rstrip('.')} (the {result.name} model); "
                                   f"saved before that: {kept}.", saved) from None
    return saved


def trained_class_names(dataset: str, learned: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """A collection of the learner's own classes changes after training: its run keeps the names it learned
    (`learned`, as the data was read when training began; the collection's names now only when not given)."""
    from webapp import datasets

    if not dataset.startswith(datasets.CLASSES_PREFIX):
        return None
    return tuple(learned) or datasets.get(dataset).class_names


def transfer_config(source_run: str, source_network: str, target: str, images: int, recipes: tuple[str, ...],
                    epochs: int = DEFAULT_EPOCHS, seed: int = 0, batch_size: int = DEFAULT_BATCH_SIZE) -> TrainConfig:
    """The TrainConfig of a transfer race: the recipes made from `source_run` (a `source_network` CNN) trained on
    `images` stratified images of the target (0: all of them). Raises ValueError with one sentence for a source
    that is no CNN, an unknown target or recipe, or a target too small for one batch."""
    from webapp.network_catalog import has_convolutions

    if target not in TARGETS:
        raise ValueError(f"Unknown target {target}; choose from {', '.join(TARGETS)}.")
    if not has_convolutions(source_network):
        raise ValueError(f"The source run {source_run} is a {source_network} network, which has no convolutions: "
                         "transfer starts from a CNN.")
    return TrainConfig(models=(source_network,), dataset=TARGETS[target].dataset, recipes=tuple(recipes),
                       source_run=source_run, subset=images, epochs=epochs, seed=seed, batch_size=batch_size,
                       **CONSTANT_RATE)


def classes_config(dataset: str, input_kind: str, recipes: tuple[str, ...] = (), epochs: int | None = None,
                   pipeline: dict[str, Any] | None = None, seed: int = 0) -> TrainConfig:
    """The TrainConfig that trains on a collection of the learner's own classes ("classes:<name>").

    Sketches: transfer recipes (default `head`) made from the digit CNN, since a sketch is drawn like a digit.
    Photos: seed 004's lenet32 trained from scratch (the lab ships no network pretrained on colour photos), with
    the Augment page's "photos" preset on the fly unless `pipeline` is given. Every sample but the held-out share
    trains (no validation part: the held-out share is the test set), in batches of at most 16
    (`classes.batch_size_for`)."""
    from webapp import classes, datasets

    if input_kind not in classes.INPUT_KINDS:
        raise ValueError(f"Unknown input kind {input_kind!r}; choose from {', '.join(classes.INPUT_KINDS)}.")
    recipes = tuple(recipes) or (classes.DEFAULT_RECIPE[input_kind],)
    if input_kind == "photo" and recipes != ("scratch",):
        raise ValueError("Photos train from scratch only: the lab has no network pretrained on colour photos to "
                         "start from.")
    info = datasets.get(dataset)
    batch_size = classes.batch_size_for(info.train_size)
    base = TrainConfig(models=("cnn",), dataset=dataset, validation=False, seed=seed, batch_size=batch_size,
                       epochs=epochs or classes.DEFAULT_EPOCHS[input_kind], recipes=recipes,
                       source_run=classes.SKETCH_SOURCE_RUN, **CONSTANT_RATE)
    if input_kind == "sketch":
        return base
    if pipeline is None:
        from webapp.augment import PRESETS, steps_to_dict

        pipeline = steps_to_dict(PRESETS["photos"].steps, classes.PHOTO_SHAPE)
    return replace(base, models=(classes.PHOTO_NETWORK,), recipes=(), source_run="", pipeline=pipeline)
