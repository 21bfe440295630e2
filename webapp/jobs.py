"""Training jobs: run one and save its models, and a machine-wide queue that runs one job at a time.

The queue's thread never calls streamlit; in the server it hands each job to a training process
(`webapp.worker`). Pages look jobs up by id and read their record.
"""
from __future__ import annotations

import collections
import hmac
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from webapp import device
from webapp.config import TrainConfig
from webapp.errors import describe_error
from webapp.history import TrainingRecord
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo, RunStore, new_run_id

LOG = logging.getLogger("convnet_lab.jobs")
QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
KEEP_FINISHED_JOBS = 200  # finished jobs stay reachable by id (for reloads) up to this many
MAX_WAITING_VARIABLE = "CONVNET_LAB_MAX_WAITING"
DEFAULT_MAX_WAITING = 30


class PartialSaveError(RuntimeError):
    """Saving stopped part-way: `saved` lists the runs that were saved before it failed."""

    def __init__(self, message: str, saved: list[RunInfo]) -> None:
        super().__init__(message)
        self.saved = saved


class QueueFullError(RuntimeError):
    """This visitor already has a job waiting or running, or the whole lab's queue is full."""


def max_waiting() -> int:
    """How many jobs may wait at once on this server (`CONVNET_LAB_MAX_WAITING`, default 30)."""
    raw = os.environ.get(MAX_WAITING_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_WAITING
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_WAITING_VARIABLE} must be a positive whole number; it is {raw!r}.")
    return int(raw)


@dataclass
class Job:
    """A training job as the page sees it: its config, status, live record and saved runs."""

    config: TrainConfig
    owner: str  # the owner key (`webapp.ownership.owner_key`) of the browser that submitted it
    job_id: str = field(default_factory=lambda: f"job-{secrets.token_hex(4)}")
    status: str = QUEUED
    record: TrainingRecord | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    runs: list[RunInfo] = field(default_factory=list)
    error: str | None = None
    submitted_at: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, STOPPED, FAILED)


def execute(job: Job, store: RunStore, *, device_type: str = "GPU",
            on_record: Callable[[TrainingRecord], None] | None = None) -> list[RunInfo]:
    """Train the job's models, then save one run per model (marked stopped if it was stopped)."""
    from webapp.training import run_training

    def attach(created: TrainingRecord) -> None:
        job.record = created
        if on_record:
            on_record(created)

    started = time.time()
    record, results = run_training(job.config, job.stop_event, store=store, device_type=device_type, on_record=attach)
    job.record = record
    snapshot = record.snapshot()
    where = device.describe()
    saved = []
    for result in results:
        curves = snapshot["curves"][result.name]
        augmentation = None
        if job.config.pipeline:
            from webapp.augment import describe_pipeline

            augmentation = describe_pipeline(job.config.pipeline)
        from webapp.run_record import RunRecord

        config = RunRecord(  # written as config.json; `dataset` keeps its default, MNIST, the only one trained on
            model=result.name,
            status=STOPPED if result.stopped else DONE,
            job_id=job.job_id,
            raced_with=tuple(name for name in job.config.models if name != result.name),
            train_config=job.config.to_dict(),
            seed=job.config.seed,
            device=where,
            precision=device.resolve_precision(job.config.precision),
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


class JobQueue:
    """One job runs at a time; each owner (a browser, across its tabs) may have one job queued or running.

    Anyone holding a job's id may look at it (`get`); only its owner may stop it (`stop`)."""

    def __init__(self, run: Callable[[Job], list[RunInfo]]) -> None:
        self._run = run
        self._lock = threading.Condition()
        self._waiting: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._current: Job | None = None
        self._worker: threading.Thread | None = None
        self._closed = False

    def submit(self, config: TrainConfig, owner: str) -> Job:
        with self._lock:
            mine = [job for job in self._jobs.values() if job.owner == owner and not job.finished]
            if mine:
                raise QueueFullError("You already have a training job queued or running; stop it or wait for it.")
            if len(self._waiting) >= max_waiting():
                raise QueueFullError(f"The lab is full: {len(self._waiting)} jobs are already waiting. "
                                     "Try again in a few minutes.")
            job = Job(config=config, owner=owner)
            self._forget_old_jobs()
            self._jobs[job.job_id] = job
            self._waiting.append(job)
            self._ensure_worker()
            self._lock.notify_all()
            return job

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id or "")

    def position(self, job: Job) -> int:
        """0 while running (or finished), N for the N-th job waiting."""
        with self._lock:
            return next((index + 1 for index, waiting in enumerate(self._waiting) if waiting is job), 0)

    def stop(self, job: Job, owner: str) -> None:
        """Stop a running job within one batch, or take a waiting one off the queue: its owner only."""
        if not hmac.compare_digest(owner, job.owner):
            raise NotOwnerError("Only the browser that started this job can stop it.")
        with self._lock:
            job.stop_event.set()
            if job in self._waiting:
                self._waiting.remove(job)
                job.status = STOPPED

    def wait(self, job: Job, timeout: float) -> bool:
        """Block until the job has finished (for tests and the CLI); True if it did."""
        deadline = time.time() + timeout
        with self._lock:
            while not job.finished and time.time() < deadline:
                self._lock.wait(timeout=0.1)
            return job.finished

    def shutdown(self) -> None:
        """Stop every job and the worker (tests, server shutdown)."""
        with self._lock:
            self._closed = True
            for job in list(self._waiting) + ([self._current] if self._current else []):
                job.stop_event.set()
            self._waiting.clear()
            self._lock.notify_all()
        if self._worker:
            self._worker.join(timeout=60)
        close = getattr(self._run, "close", None)
        if close:
            close()

    def _forget_old_jobs(self) -> None:
        finished = [job for job in self._jobs.values() if job.finished]
        for job in sorted(finished, key=lambda job: job.submitted_at)[:-KEEP_FINISHED_JOBS or None]:
            del self._jobs[job.job_id]

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="convnet-lab-trainer", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._current = self._waiting.popleft()
                job.status = RUNNING
            status, runs, error = self._run_safely(job)
            with self._lock:
                job.runs, job.error = runs, error
                job.status = status
                self._current = None
                self._lock.notify_all()

    def _run_safely(self, job: Job) -> tuple[str, list[RunInfo], str | None]:
        try:
            runs = self._run(job)
        except Exception as error:  # the worker must survive any job; the page shows the sentence
            LOG.warning("Training job %s failed: %s", job.job_id, error, exc_info=True)  # details: server log only
            return FAILED, [], describe_error(error)
        return (STOPPED if job.stop_event.is_set() else DONE), runs, None


_machine_queue: JobQueue | None = None
_machine_queue_lock = threading.Lock()


def machine_queue() -> JobQueue:
    """The one queue of this process (the server): one job at a time on this machine."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is None:
            from webapp.worker import TrainingProcess

            _machine_queue = JobQueue(TrainingProcess())
        return _machine_queue


def reset_machine_queue() -> None:
    """Shut the queue down and forget it (tests)."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is not None:
            _machine_queue.shutdown()
        _machine_queue = None


