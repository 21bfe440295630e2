"""The machine-wide queue of training jobs: one job runs at a time, each browser may have one waiting.

The queue's thread never calls streamlit; in the server it hands each job (`webapp.job`) to a training
process (`webapp.worker`). Pages look jobs up by id and read their record.

In the server the queue writes through a job database (`webapp.job_store`) at each step of a job, and
saves the running job's live record every few seconds: when a server starts again (even after a
`kill -9`), the waiting jobs run in their order, the one that was running shows as interrupted with the
curves it had (its owner may start it again), and finished jobs still show their runs.
"""
from __future__ import annotations

import collections
import hmac
import logging
import os
import sqlite3
import threading
import time
from typing import Callable

from webapp import classes, datasets
from webapp.config import TrainConfig
from webapp.errors import describe_error
from webapp.history import TrainingRecord, progress
from webapp.job import Job, JobStatus
from webapp.job import PartialSaveError, execute  # noqa: F401  re-exported: webapp.cli imports them from here
from webapp.job_store import JobStore, JobStoreUnavailable, StoredJob
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo, RunStore
from webapp.worker import TrainingProcess

LOG = logging.getLogger("convnet_lab.jobs")
KEEP_FINISHED_JOBS = 200  # finished jobs stay reachable by id (for reloads) up to this many
MAX_WAITING_VARIABLE = "CONVNET_LAB_MAX_WAITING"
MAX_JOB_IMAGES_VARIABLE = "CONVNET_LAB_MAX_JOB_IMAGES"  # a teacher's cap on one job: epochs x images x models
DEFAULT_MAX_WAITING = 30
SNAPSHOT_SECONDS = 3.0  # how often the running job's live record is saved (not per batch: it can be large)


class QueueFullError(RuntimeError):
    """This visitor already has a job waiting or running, or the whole lab's queue is full, or the job is larger
    than the lab's teacher allows."""


def workload(config: TrainConfig) -> float:
    """A job stage's size in image-passes: training images x epochs x race entries (a rough yardstick: a CNN
    pass costs more than a DNN pass, which the estimate ignores)."""
    try:
        images = config.subset or datasets.get(config.dataset).train_size
    except LookupError:
        images = config.subset or 1
    return float(images * config.epochs * len(config.race_entries))


def _positive_setting(variable: str) -> int | None:
    """A positive whole number from the environment, None when unset; one sentence when it is anything else."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{variable} must be a positive whole number; it is {raw!r}.")
    return int(raw)


def max_waiting() -> int:
    """How many jobs may wait at once on this server (`CONVNET_LAB_MAX_WAITING`, default 30)."""
    return _positive_setting(MAX_WAITING_VARIABLE) or DEFAULT_MAX_WAITING


def max_job_images() -> int | None:
    """The largest job a shared server accepts, in image-passes (epochs x training images x models, every stage
    counted; `CONVNET_LAB_MAX_JOB_IMAGES`), or None: no limit."""
    return _positive_setting(MAX_JOB_IMAGES_VARIABLE)


class JobQueue:
    """One job runs at a time; each owner (a browser, across its tabs) may have one job queued or running.

    Anyone holding a job's id may look at it (`get`); only its owner may stop it (`stop`) or start an
    interrupted one again (`start_again`). With a `store`, every job is also kept in the job database, and the
    queue starts with the jobs it holds (see the module's docstring); without one it lives in memory only."""

    def __init__(self, run: Callable[[Job], list[RunInfo]], store: JobStore | None = None) -> None:
        self._run = run
        self._store = store
        self._lock = threading.Condition()
        self._waiting: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._current: Job | None = None
        self._worker: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._closing = threading.Event()
        self._closed = False
        if store is not None:
            self._load(store)

    @property
    def problem(self) -> str | None:
        """The sentence about a job database that was not the lab's (moved aside at start), or None."""
        return self._store.problem if self._store is not None else None

    def submit(self, config: TrainConfig, owner: str, followups: tuple[TrainConfig, ...] = ()) -> Job:
        """Queue a job: `config`, then each of `followups` in turn, in one slot of the queue. A learner's
        collection of classes is trained only by its owner (NotOwnerError otherwise)."""
        for stage in (config, *followups):
            classes.check_may_train(stage.dataset, owner)
        with self._lock:
            mine = [job for job in self._jobs.values() if job.owner == owner and not job.finished]
            if mine:
                raise QueueFullError("You already have a training job queued or running; stop it or wait for it.")
            if len(self._waiting) >= max_waiting():
                raise QueueFullError(f"The lab is full: {len(self._waiting)} jobs are already waiting. "
                                     "Try again in a few minutes.")
            limit, size = max_job_images(), sum(workload(stage) for stage in (config, *followups))
            if limit is not None and size > limit:
                raise QueueFullError(f"This lab takes jobs of at most {limit:,} image passes (epochs x images x "
                                     f"models); this one asks for {size:,.0f}: choose fewer epochs or images.")
            job = Job(config=config, owner=owner, followups=tuple(followups))
            self._forget_old_jobs()
            self._jobs[job.job_id] = job
            self._waiting.append(job)
            self._persist(lambda store: store.add(_stored(job)))
            self._ensure_worker()
            self._lock.notify_all()
            return job

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id or "")

    def jobs_of(self, owner: str) -> list[Job]:
        """The jobs this owner submitted that the queue still remembers, oldest first."""
        with self._lock:
            mine = [job for job in self._jobs.values() if hmac.compare_digest(owner, job.owner)]
        return sorted(mine, key=lambda job: job.submitted_at)

    def position(self, job: Job) -> int:
        """0 while running (or finished), N for the N-th job waiting."""
        with self._lock:
            return next((index + 1 for index, waiting in enumerate(self._waiting) if waiting is job), 0)

    def wait_estimate(self, job: Job) -> float | None:
        """About how many seconds until a waiting `job` starts: what the training job has left, then the jobs
        ahead, each sized by its images x epochs x race entries at the pace the training job shows. None while
        nothing trains yet to measure the pace by."""
        with self._lock:
            current, waiting = self._current, list(self._waiting)
        if job not in waiting or current is None or current.record is None:
            return None
        snapshot = current.record.snapshot()
        fraction, left = progress(snapshot)
        done = workload(current.current_config) * fraction
        if left is None or done <= 0 or not snapshot["started_at"]:
            return None
        seconds_per_unit = (time.time() - snapshot["started_at"]) / done
        later_stages = current.configs[current.stage + 1:]
        ahead = waiting[:waiting.index(job)]
        units = sum(workload(config) for config in later_stages)
        units += sum(workload(config) for waiting_job in ahead for config in waiting_job.configs)
        return left + units * seconds_per_unit

    def stop(self, job: Job, owner: str) -> None:
        """Stop a running job within one batch, or take a waiting one off the queue: its owner only."""
        if not hmac.compare_digest(owner, job.owner):
            raise NotOwnerError("Only the browser that started this job can stop it.")
        with self._lock:
            job.stop_event.set()
            if job in self._waiting:
                self._waiting.remove(job)
                job.status, job.finished_at = JobStatus.STOPPED, time.time()
                self._persist(lambda store: store.finish(job.job_id, job.status, time.time(), None, []))

    def start_again(self, job: Job, owner: str) -> Job:
        """Queue an interrupted (or any finished) job's settings again, as a new job: its owner only."""
        if not hmac.compare_digest(owner, job.owner):
            raise NotOwnerError("Only the browser that started this job can start it again.")
        return self.submit(job.config, owner, job.followups)

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
            self._waiting.clear()  # they stay queued in the job database: the next start runs them
            self._lock.notify_all()
        self._closing.set()
        if self._worker:
            self._worker.join(timeout=60)
        if self._saver:
            self._saver.join(timeout=10)
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
        if self._store is not None and (self._saver is None or not self._saver.is_alive()):
            self._saver = threading.Thread(target=self._save_snapshots, name="convnet-lab-snapshots", daemon=True)
            self._saver.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._current = self._waiting.popleft()
                job.status, job.started_at = JobStatus.RUNNING, time.time()
                self._persist(lambda store: store.mark_running(job.job_id, job.started_at or time.time()))
            status, runs, error = self._run_safely(job)
            with self._lock:
                job.runs, job.error = runs, error
                job.status, job.finished_at = status, time.time()
                self._current = None
                self._persist(lambda store: store.finish(job.job_id, status, job.finished_at or time.time(), error,
                                                         [info.run_id for info in runs]))
                self._lock.notify_all()

    def _run_safely(self, job: Job) -> tuple[JobStatus, list[RunInfo], str | None]:
        try:
            runs = self._run(job)
        except Exception as error:  # the worker must survive any job; the page shows the sentence
            LOG.warning("Training job %s failed: %s", job.job_id, error, exc_info=True)  # details: server log only
            return JobStatus.FAILED, [], describe_error(error)
        return (JobStatus.STOPPED if job.stop_event.is_set() else JobStatus.DONE), runs, None

    # -- the job database ----------------------------------------------------------------------------
    def _persist(self, write: Callable[[JobStore], None]) -> None:
        """Write through to the job database, if any. A failing disk only logs: training goes on in memory."""
        if self._store is None:
            return
        try:
            write(self._store)
        except (sqlite3.Error, OSError) as error:
            LOG.warning("Could not write to the job database: %s", error)

    def _save_snapshots(self) -> None:
        """Every few seconds, save the running job's live record, so an interrupted job keeps its curves."""
        while not self._closing.wait(SNAPSHOT_SECONDS):
            with self._lock:
                job = self._current
            record = job.record if job is not None else None
            if job is not None and record is not None:
                snapshot, stage = record.snapshot(), job.stage
                self._persist(lambda store: store.save_snapshot(job.job_id, stage, snapshot))

    def _load(self, store: JobStore) -> None:
        """Start with the jobs the database holds: waiting ones in their order, the rest to be looked at."""
        try:
            store.prune(KEEP_FINISHED_JOBS)
            stored = store.take_over()
        except (sqlite3.Error, OSError) as error:
            LOG.warning("Could not read the job database; the queue starts empty: %s", error)
            return
        for row in stored:
            job = _revived(row)
            if job is None:
                continue
            self._jobs[job.job_id] = job
            if job.status == JobStatus.QUEUED:
                self._waiting.append(job)
        interrupted = [job.job_id for job in self._jobs.values() if job.status == JobStatus.INTERRUPTED]
        if self._waiting or interrupted:
            LOG.warning("Resumed the job database: %d jobs waiting, interrupted: %s.", len(self._waiting),
                        interrupted)
        if self._waiting:
            self._ensure_worker()


def _stored(job: Job) -> StoredJob:
    """A new job as the job database keeps it."""
    return StoredJob(job_id=job.job_id, owner=job.owner, status=job.status, config=job.config.to_dict(),
                     followups=[more.to_dict() for more in job.followups], submitted_at=job.submitted_at)


def _revived(row: StoredJob) -> Job | None:
    """A job of the database as the queue keeps it (an interrupted one with its last curves, a finished one with
    the runs still in the store), or None, logged, if its settings or status no longer read."""
    try:
        job = Job(config=TrainConfig.from_dict(row.config), owner=row.owner, job_id=row.job_id,
                  status=JobStatus(row.status), submitted_at=row.submitted_at, started_at=row.started_at,
                  finished_at=row.finished_at, error=row.error, stage=row.stage,
                  followups=tuple(TrainConfig.from_dict(more) for more in row.followups))
        job.record = TrainingRecord.from_snapshot(row.snapshot) if row.snapshot else None
    except (TypeError, ValueError, KeyError) as error:
        LOG.warning("Skipped the stored job %s: it cannot be read (%s).", row.job_id, error)
        return None
    if job.status == JobStatus.INTERRUPTED:
        job.stop_event.set()  # it is not training: a page shows it finished
    store = RunStore()
    for run_id in row.run_ids:
        try:
            job.runs.append(store.get(run_id))
        except LookupError:  # deleted since, or damaged: the job shows the runs that are left
            continue
    return job


_machine_queue: JobQueue | None = None
_machine_queue_lock = threading.Lock()


def machine_queue() -> JobQueue:
    """The one queue of this process (the server): one job at a time on this machine."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is None:
            _machine_queue = JobQueue(TrainingProcess(), _open_store())
        return _machine_queue


def _open_store() -> JobStore | None:
    """The lab home's job database, or None (logged) where none can be written: then jobs live in memory."""
    try:
        return JobStore()
    except (JobStoreUnavailable, sqlite3.Error, OSError) as error:
        LOG.warning("Training jobs are kept in memory only: %s", error)
        return None


def reset_machine_queue() -> None:
    """Shut the queue down and forget it (tests)."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is not None:
            _machine_queue.shutdown()
        _machine_queue = None


