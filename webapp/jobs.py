"""The machine-wide queue of training jobs: first come first served, each browser may have one job.

As many jobs train at once as the queue has slots (`CONVNET_LAB_MAX_JOBS`; one on a CPU), each slot served by
one thread of the queue; on a GPU the next job also waits until its estimated memory fits the free device
memory (`webapp.job_memory`). The queue's threads never call streamlit; they hand each job (`webapp.job`) to
an executor (`webapp.executors`): the server's training processes (`webapp.worker`), or a Ray cluster. Pages
look jobs up by id and read their record.

In the server the queue writes through a job database (`webapp.job_store`) at each step of a job, and
saves the running job's live record every few seconds: when a server starts again (even after a
`kill -9`), the waiting jobs run in their order, the one that was running shows as interrupted with the
curves it had (its owner may start it again), and finished jobs still show their runs.
"""
from __future__ import annotations

import collections
import heapq
import hmac
import logging
import sqlite3
import threading
import time
from typing import Any, Callable, Sequence

from webapp import classes, datasets, device, executors
from webapp.config import TrainConfig, positive_setting
from webapp.errors import describe_error
from webapp.executors import Execution, Executor, FunctionExecutor, LocalExecutor
from webapp.history import TrainingRecord, progress
from webapp.job import Job, JobStatus
from webapp.job import PartialSaveError, execute  # noqa: F401  re-exported: webapp.cli imports them from here
from webapp.job_memory import DeviceMemory, fits, job_memory, read_device_memory
from webapp.job_store import JobStore, JobStoreUnavailable, StoredJob
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo, RunStore

LOG = logging.getLogger("convnet_lab.jobs")
KEEP_FINISHED_JOBS = 200  # finished jobs stay reachable by id (for reloads) up to this many
MAX_WAITING_VARIABLE = "CONVNET_LAB_MAX_WAITING"
MAX_JOB_IMAGES_VARIABLE = "CONVNET_LAB_MAX_JOB_IMAGES"  # a teacher's cap on one job: epochs x images x models
DEFAULT_MAX_WAITING = 30
SNAPSHOT_SECONDS = 3.0  # how often the running job's live record is saved (not per batch: it can be large)
ADMIT_RECHECK_SECONDS = 2.0  # how often a job waiting for device memory asks again
Admission = Callable[[Job, Sequence[Job]], bool]  # may this job start beside those running?


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


def max_waiting() -> int:
    """How many jobs may wait at once on this server (`CONVNET_LAB_MAX_WAITING`, default 30)."""
    return positive_setting(MAX_WAITING_VARIABLE) or DEFAULT_MAX_WAITING


def max_job_images() -> int | None:
    """The largest job a shared server accepts, in image-passes (epochs x training images x models, every stage
    counted; `CONVNET_LAB_MAX_JOB_IMAGES`), or None: no limit."""
    return positive_setting(MAX_JOB_IMAGES_VARIABLE)


def start_after(free_at: Sequence[float], durations: Sequence[float]) -> float:
    """When the next job can start: each slot frees at `free_at` (seconds from now; 0 for an idle slot), and the
    jobs ahead, in order, each take the first slot to free up for their `durations`."""
    slots = sorted(max(0.0, moment) for moment in free_at) or [0.0]
    for duration in durations:
        heapq.heappush(slots, heapq.heappop(slots) + duration)
    return slots[0]


class JobQueue:
    """Up to `slots` jobs train at once, first come first served; each owner (a browser, across its tabs) may
    have one job queued or running. `admit`, when given, may hold the first waiting job back while others train
    (the GPU's memory); a job always starts when nothing else trains.

    Anyone holding a job's id may look at it (`get`); only its owner may stop it (`stop`) or start an
    interrupted one again (`start_again`). With a `store`, every job is also kept in the job database, and the
    queue starts with the jobs it holds (see the module's docstring); without one it lives in memory only.
    `run` is an executor (`webapp.executors`) or a plain function that trains a job (tests)."""

    def __init__(self, run: Executor | Callable[[Job], list[RunInfo]], store: JobStore | None = None,
                 slots: int = 1, admit: Admission | None = None) -> None:
        self._executor: Executor = run if isinstance(run, Executor) else FunctionExecutor(run)
        self._store = store
        self._slots = max(1, slots)
        self._admit = admit
        self._lock = threading.Condition()
        self._waiting: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._running: list[Job] = []
        self._executions: dict[str, Execution] = {}
        self._workers: list[threading.Thread] = []
        self._saver: threading.Thread | None = None
        self._closing = threading.Event()
        self._closed = False
        if store is not None:
            self._load(store)

    @property
    def slots(self) -> int:
        """How many jobs may train at once."""
        return self._slots

    def running(self) -> list[Job]:
        """The jobs training now, oldest start first."""
        with self._lock:
            return list(self._running)

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
        """About how many seconds until a waiting `job` starts: each slot frees when its training job ends, and
        the jobs ahead take the slots in turn (`start_after`), each sized by its images x epochs x race entries
        at the pace the training jobs show. None while nothing trains yet to measure the pace by."""
        with self._lock:
            running, waiting, slots = list(self._running), list(self._waiting), self._slots
        if job not in waiting:
            return None
        snapshots = [current.record.snapshot() if current.record is not None else None for current in running]
        measured = [pace for pace in map(_pace, running, snapshots) if pace is not None]
        if not measured:
            return None
        seconds_per_unit = sum(measured) / len(measured)
        free_at = [_seconds_left(current, snapshot, seconds_per_unit) for current, snapshot in zip(running, snapshots)]
        free_at += [0.0] * max(0, slots - len(running))
        ahead = waiting[:waiting.index(job)]
        return start_after(free_at, [_units(waiting_job) * seconds_per_unit for waiting_job in ahead])

    def stop(self, job: Job, owner: str) -> None:
        """Stop a running job within one batch, or take a waiting one off the queue: its owner only."""
        if not hmac.compare_digest(owner, job.owner):
            raise NotOwnerError("Only the browser that started this job can stop it.")
        with self._lock:
            job.stop_event.set()
            execution = self._executions.get(job.job_id)
            if execution is not None:
                execution.stop()
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
            for job in list(self._waiting) + self._running:
                job.stop_event.set()
            for execution in self._executions.values():
                execution.stop()
            self._waiting.clear()  # they stay queued in the job database: the next start runs them
            self._lock.notify_all()
        self._closing.set()
        for worker in self._workers:
            worker.join(timeout=60)
        if self._saver:
            self._saver.join(timeout=10)
        self._executor.close()

    def _forget_old_jobs(self) -> None:
        finished = [job for job in self._jobs.values() if job.finished]
        for job in sorted(finished, key=lambda job: job.submitted_at)[:-KEEP_FINISHED_JOBS or None]:
            del self._jobs[job.job_id]

    def _ensure_worker(self) -> None:
        """One long-lived thread per slot (a local training process lives as long as the thread that started
        it), and the snapshot saver."""
        for slot in range(self._slots):
            if slot < len(self._workers) and self._workers[slot].is_alive():
                continue
            worker = threading.Thread(target=self._work, args=(slot,), name=f"convnet-lab-trainer-{slot}", daemon=True)
            if slot < len(self._workers):
                self._workers[slot] = worker
            else:
                self._workers.append(worker)
            worker.start()
        if self._store is not None and (self._saver is None or not self._saver.is_alive()):
            self._saver = threading.Thread(target=self._save_snapshots, name="convnet-lab-snapshots", daemon=True)
            self._saver.start()

    def _next_may_start(self) -> bool:
        """Called with the lock held: the first waiting job may start now (FIFO: a later job never jumps it)."""
        if not self._waiting:
            return False
        if not self._running:
            return True  # alone it always starts, even when its estimate is larger than the device
        if self._admit is None:
            return True
        try:
            return self._admit(self._waiting[0], list(self._running))
        except Exception as error:  # an estimate that fails must not stop the queue: the job starts
            LOG.warning("Could not estimate job %s's memory: %s", self._waiting[0].job_id, error)
            return True

    def _prepare_admission(self) -> None:
        """Outside the lock, the slow part of admitting the first waiting job (asking the GPU's driver, estimating
        the jobs' memory): every page asking the queue anything waits on its lock."""
        prepare = getattr(self._admit, "prepare", None)
        if prepare is None:
            return
        with self._lock:
            first, running = (self._waiting[0] if self._waiting else None), list(self._running)
        if first is None or not running:
            return
        try:
            prepare(first, running)
        except Exception as error:  # the check under the lock meets it again, and lets the job start
            LOG.warning("Could not estimate job %s's memory: %s", first.job_id, error)

    def _work(self, slot: int) -> None:
        while True:
            self._prepare_admission()
            with self._lock:
                if not self._closed and not self._next_may_start():
                    self._lock.wait(timeout=ADMIT_RECHECK_SECONDS if self._waiting else None)
                    continue
                if self._closed:
                    return
                job = self._waiting.popleft()
                self._running.append(job)
                job.status, job.started_at = JobStatus.RUNNING, time.time()
                self._persist(lambda store: store.mark_running(job.job_id, job.started_at or time.time()))
                self._lock.notify_all()  # another free slot may take the next job
            status, runs, error = self._run_safely(job, slot)
            with self._lock:
                job.runs, job.error = runs, error
                job.status, job.finished_at = status, time.time()
                self._running.remove(job)
                self._executions.pop(job.job_id, None)
                self._persist(lambda store: store.finish(job.job_id, status, job.finished_at or time.time(), error,
                                                         [info.run_id for info in runs]))
                self._lock.notify_all()

    def _run_safely(self, job: Job, slot: int) -> tuple[JobStatus, list[RunInfo], str | None]:
        try:
            execution = self._executor.start(job, slot)
            with self._lock:
                self._executions[job.job_id] = execution
                if job.stop_event.is_set():  # stopped while it was starting
                    execution.stop()
            runs = execution.wait()
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
            for job in self.running():
                record = job.record
                if record is not None:
                    snapshot, stage, job_id = record.snapshot(), job.stage, job.job_id
                    self._persist(lambda store: store.save_snapshot(job_id, stage, snapshot))

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


def _units(job: Job) -> float:
    """A whole job's size in image-passes, every stage counted."""
    return sum(workload(config) for config in job.configs)


def _pace(job: Job, snapshot: dict[str, Any] | None) -> float | None:
    """Seconds per image-pass a running job shows so far (`snapshot`: its record's), or None before its first
    measured progress."""
    if snapshot is None:
        return None
    fraction, left = progress(snapshot)
    done = workload(job.current_config) * fraction
    if left is None or done <= 0 or not snapshot["started_at"]:
        return None
    return (time.time() - snapshot["started_at"]) / done


def _seconds_left(job: Job, snapshot: dict[str, Any] | None, seconds_per_unit: float) -> float:
    """About how long a running job still trains: what its record says is left of the current stage, then
    its later stages at the pace given; the whole job at that pace before it shows any progress."""
    left = progress(snapshot)[1] if snapshot is not None else None
    if left is None:
        return _units(job) * seconds_per_unit
    return left + sum(workload(config) for config in job.configs[job.stage + 1:]) * seconds_per_unit


class GpuAdmission:
    """Admits the next job while its estimated memory (`webapp.job_memory`) fits beside the running jobs'
    estimates in the GPU's free memory, read from the driver (at most every `ADMIT_RECHECK_SECONDS`)."""

    def __init__(self, lab_pids: Callable[[], set[int]]) -> None:
        self._lab_pids = lab_pids  # the lab's own training processes: what they hold counts as room
        self._estimates: dict[str, int] = {}
        self._reading: tuple[float, DeviceMemory | None] = (-ADMIT_RECHECK_SECONDS, None)

    def _device(self) -> DeviceMemory | None:
        """The driver's last answer, asked again once it is older than half the recheck interval (every idle slot's
        thread asks: one `nvidia-smi` per half interval is enough, and each check finds a fresh answer)."""
        asked, reading = self._reading
        if time.monotonic() - asked >= ADMIT_RECHECK_SECONDS / 2:
            reading = read_device_memory()
            self._reading = (time.monotonic(), reading)
        return reading

    def estimate(self, job: Job) -> int:
        if job.job_id not in self._estimates:
            self._estimates[job.job_id] = job_memory(job.configs).total
        return self._estimates[job.job_id]

    def prepare(self, job: Job, running: Sequence[Job]) -> None:
        """What `__call__` needs that takes time, done before the queue takes its lock: the driver's answer (two
        `nvidia-smi` calls) and each job's estimate (a network's layer table is built on its first use)."""
        self._device()
        for each in (job, *running):
            self.estimate(each)

    def __call__(self, job: Job, running: Sequence[Job]) -> bool:
        reading = self._device()
        if reading is None:
            return True  # no driver to ask: the slots alone limit the jobs
        ours = self._lab_pids()
        held = sum(used for pid, used in reading.held.items() if pid in ours)
        admitted = fits(self.estimate(job), [self.estimate(other) for other in running], reading.free, held)
        self._estimates = {each.job_id: self._estimates[each.job_id] for each in (job, *running)
                           if each.job_id in self._estimates}  # forget the jobs that have started or ended
        return admitted


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
    """The one queue of this process (the server): `CONVNET_LAB_MAX_JOBS` jobs at once (one on a CPU), on this
    machine's training processes or the configured Ray cluster."""
    global _machine_queue
    with _machine_queue_lock:
        if _machine_queue is None:
            on_gpu = bool(device.gpu_names_from_driver())
            executor = executors.choose_executor(on_gpu)
            slots, admit = executors.slots(executor.default_slots), None
            if isinstance(executor, LocalExecutor) and on_gpu:
                admit = GpuAdmission(executor.pids)
            LOG.info("Training on %s, up to %d jobs at once.", executor.description, slots)
            _machine_queue = JobQueue(executor, _open_store(), slots=slots, admit=admit)
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


