"""The machine-wide queue of training jobs: one job runs at a time, each browser may have one waiting.

The queue's thread never calls streamlit; in the server it hands each job (`webapp.job`) to a training
process (`webapp.worker`). Pages look jobs up by id and read their record.
"""
from __future__ import annotations

import collections
import hmac
import logging
import os
import threading
import time
from typing import Callable

from webapp.config import TrainConfig
from webapp.errors import describe_error
from webapp.job import Job, JobStatus
from webapp.job import PartialSaveError, execute  # noqa: F401  re-exported: webapp.cli imports them from here
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo
from webapp.worker import TrainingProcess

LOG = logging.getLogger("convnet_lab.jobs")
KEEP_FINISHED_JOBS = 200  # finished jobs stay reachable by id (for reloads) up to this many
MAX_WAITING_VARIABLE = "CONVNET_LAB_MAX_WAITING"
DEFAULT_MAX_WAITING = 30


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

    def submit(self, config: TrainConfig, owner: str, followups: tuple[TrainConfig, ...] = ()) -> Job:
        """Queue a job: `config`, then each of `followups` in turn, in one slot of the queue."""
        with self._lock:
            mine = [job for job in self._jobs.values() if job.owner == owner and not job.finished]
            if mine:
                raise QueueFullError("You already have a training job queued or running; stop it or wait for it.")
            if len(self._waiting) >= max_waiting():
                raise QueueFullError(f"The lab is full: {len(self._waiting)} jobs are already waiting. "
                                     "Try again in a few minutes.")
            job = Job(config=config, owner=owner, followups=tuple(followups))
            self._forget_old_jobs()
            self._jobs[job.job_id] = job
            self._waiting.append(job)
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

    def stop(self, job: Job, owner: str) -> None:
        """Stop a running job within one batch, or take a waiting one off the queue: its owner only."""
        if not hmac.compare_digest(owner, job.owner):
            raise NotOwnerError("Only the browser that started this job can stop it.")
        with self._lock:
            job.stop_event.set()
            if job in self._waiting:
                self._waiting.remove(job)
                job.status = JobStatus.STOPPED

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
                job.status = JobStatus.RUNNING
            status, runs, error = self._run_safely(job)
            with self._lock:
                job.runs, job.error = runs, error
                job.status = status
                self._current = None
                self._lock.notify_all()

    def _run_safely(self, job: Job) -> tuple[JobStatus, list[RunInfo], str | None]:
        try:
            runs = self._run(job)
        except Exception as error:  # the worker must survive any job; the page shows the sentence
            LOG.warning("Training job %s failed: %s", job.job_id, error, exc_info=True)  # details: server log only
            return JobStatus.FAILED, [], describe_error(error)
        return (JobStatus.STOPPED if job.stop_event.is_set() else JobStatus.DONE), runs, None


_machine_queue: JobQueue | None = None
_machine_queue_lock = threading.Lock()


def machine_queue() -> JobQueue:
    """The one queue of this process (the server): one job at a time on this machine."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is None:
            _machine_queue = JobQueue(TrainingProcess())
        return _machine_queue


def reset_machine_queue() -> None:
    """Shut the queue down and forget it (tests)."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is not None:
            _machine_queue.shutdown()
        _machine_queue = None


