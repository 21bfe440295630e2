"""The training process: the server's jobs train here, not in the server's own process.

Streamlit resets Keras after every script run (`keras.backend.clear_session()`: it drops Keras's global
state and TensorFlow's kernel cache), which would break and slow down any training sharing its process.
So a long-lived child process per queue slot (TensorFlow stays loaded between jobs; one slot unless
`CONVNET_LAB_MAX_JOBS` says more, `webapp.executors.local`) trains that slot's jobs one at a time and streams
every change of its record back; the server mirrors it into the job the page reads.

The child never outlives the server: it asks the kernel for SIGKILL when its parent dies (Linux's
parent-death signal) and a watchdog thread also checks the parent's pid, so a `kill -9` of the server
cannot leave a training process (and its gigabyte) behind. The server also records which child and job
it runs (webapp.housekeeping), so the next start can make sure and mark that job interrupted.

It builds on the job itself (`webapp.job`) and never on the queue (`webapp.jobs`), which builds on it.
"""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import types
from typing import Any, Callable, Iterator

from webapp import housekeeping
from webapp.history import TrainingRecord
from webapp.job import Job, execute
from webapp.store import RunInfo, RunStore

POLL_SECONDS = 0.2
WATCHDOG_SECONDS = 1.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class TrainingProcessError(RuntimeError):
    """A job failed in the training process; the message is the one sentence to show."""


class TrainingProcess:
    """Callable as a JobQueue runner: `run(job)` trains in the child and returns the saved runs."""

    def __init__(self, slot: int = 0) -> None:
        self.slot = slot  # the queue slot it serves: its own record in the lab home (webapp.housekeeping)
        self._context = multiprocessing.get_context("spawn")  # fork after TensorFlow starts is unsafe
        self._lock = threading.Lock()
        self._process: Any = None
        self._requests: Any = None
        self._events: Any = None
        self._stop: Any = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs, else None."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def __call__(self, job: Job) -> list[RunInfo]:
        with self._lock:
            self._ensure_started()
            self._stop.clear()
            store = RunStore()
            config = job.config.to_dict()
            housekeeping.record_training_process(self._process.pid, {"job_id": job.job_id, "owner": job.owner,
                                                                     "config": config}, slot=self.slot)
            try:
                followups = [more.to_dict() for more in job.followups]
                self._requests.put((job.job_id, config, str(store.root), followups))
                return self._follow(job, store)
            finally:
                housekeeping.record_training_process(self._process.pid, slot=self.slot)

    def _ensure_started(self) -> None:
        """Start the child if needed. Linux sends the parent-death signal when the *thread* that started the
        child ends: here the queue's worker thread, which lives as long as the queue."""
        if self._process is not None and self._process.is_alive():
            return
        self._requests, self._events, self._stop = self._context.Queue(), self._context.Queue(), self._context.Event()
        self._process = self._context.Process(target=serve,
                                              args=(self._requests, self._events, self._stop, os.getpid()),
                                              name="convnet-lab-training", daemon=True)
        with _no_main_script():
            self._process.start()
        housekeeping.record_training_process(self._process.pid, slot=self.slot)

    def _follow(self, job: Job, store: RunStore) -> list[RunInfo]:
        """Mirror the child's record into the job until the child reports the saved runs or an error."""
        while True:
            if job.stop_event.is_set():
                self._stop.set()
            try:
                kind, *args = self._events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():
                    raise TrainingProcessError("The training process stopped unexpectedly; try again.") from None
                continue
            if kind in ("record", "event"):
                follow_record(job, kind, args)
            elif kind == "done":
                return [store.get(run_id) for run_id in args[0]]
            elif kind == "error":
                raise TrainingProcessError(args[0])

    def close(self) -> None:
        """End the child (server shutdown, tests)."""
        with self._lock:
            if self._process is None:
                return
            self._requests.put(None)
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()
            self._process = None
            housekeeping.forget_training_process(slot=self.slot)


def die_with_parent(parent_pid: int, interval: float = WATCHDOG_SECONDS) -> None:
    """End this process as soon as `parent_pid` (the server) is gone: the kernel's parent-death signal where
    there is one (Linux), and a watchdog thread on the parent's pid everywhere (it also covers a parent that
    died before the signal was asked for)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still ends the child
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:  # re-parented: the server has died
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


@contextlib.contextmanager
def _no_main_script() -> Iterator[None]:
    """Start a spawned child without re-running this process's `__main__` in it.

    A spawned child first re-runs the parent's `__main__` file. In the server, Streamlit makes each page
    script `__main__` while it runs, so the child would run a page script outside any session: every
    streamlit call in it logs "missing ScriptRunContext", and it loads whatever the page loads. The child
    only needs `serve`, importable by name, so it is shown an empty `__main__` while it starts."""
    real = sys.modules.get("__main__")
    empty = types.ModuleType("__main__")  # no __file__ and no __spec__: the child re-runs nothing
    sys.modules["__main__"] = empty
    try:
        yield
    finally:
        if sys.modules.get("__main__") is empty:  # unless a script run has made its own __main__ meanwhile
            del sys.modules["__main__"]
            if real is not None:
                sys.modules["__main__"] = real


TRAINING_NICENESS = 10  # how much lower than the pages the training process runs (Unix nice levels)


def lower_priority(increment: int = TRAINING_NICENESS) -> None:
    """Let the pages' threads win the CPU while a job trains: a class keeps responsive pages, and the training
    still gets every cycle the pages leave idle. Best effort (some systems forbid it)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(increment)


def follow_record(job: Job, kind: str, args: list[Any]) -> None:
    """Apply one message of `streamer`'s to the server's copy of the job: a new stage's record (a job with followups
    has one per config), or one change of it."""
    if kind == "record":
        job.record = TrainingRecord(**args[0])
        job.stage = args[1] if len(args) > 1 else 0
    elif job.record is not None:  # "event": the trainer sends its record before any event
        job.record.apply(args[0])


def streamer(events: Any, job: Job) -> Callable[[TrainingRecord], None]:
    """Sends each new record (one per stage of the job) to the server, with its stage, then its every event."""
    def stream(record: TrainingRecord) -> None:
        events.put(("record", record.header(), job.stage))
        record.listener = lambda event: events.put(("event", event))

    return stream


THREADS_VARIABLE = "CONVNET_LAB_TRAINING_THREADS"


def training_threads(cores: int | None = None) -> int | None:
    """How many threads one training job may compute with: `CONVNET_LAB_TRAINING_THREADS`, else one core fewer
    than the machine has from four cores up (that core stays with the pages), else None: every core (on one or
    two cores, capping would halve training while the lower priority already keeps pages first)."""
    from webapp.config import positive_setting

    chosen = positive_setting(THREADS_VARIABLE)
    if chosen:
        return chosen
    cores = cores or os.cpu_count() or 1
    return cores - 1 if cores >= 4 else None


def cap_threads(threads: int | None) -> None:
    """Cap TensorFlow's thread pools before it starts computing (it refuses later); other backends as they are."""
    if threads is None:
        return
    import keras

    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # already initialised: the cap cannot apply any more
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))


def serve(requests: Any, events: Any, stop: Any, parent_pid: int | None = None) -> None:
    """The child's loop: train each requested job, streaming its record; None ends the loop."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    lower_priority()
    from webapp.device import import_backend_quietly, share_gpus

    import_backend_quietly()
    share_gpus()  # several jobs may train at once, each in its own process (CONVNET_LAB_MAX_JOBS)
    try:
        cap_threads(training_threads())
    except ValueError as misconfigured:  # the operator's setting: said once in the server's log, training goes on
        print(f"ConvNet Lab: {misconfigured} Training uses every core.", file=sys.stderr, flush=True)
    from webapp.config import TrainConfig
    from webapp.errors import describe_error

    while True:
        request = requests.get()
        if request is None:
            return
        job_id, config, runs_root, followups = request

        try:
            job = Job(config=TrainConfig.from_dict(config), owner="worker", job_id=job_id, stop_event=stop,
                      followups=tuple(TrainConfig.from_dict(more) for more in followups))
            runs = execute(job, RunStore(runs_root), on_record=streamer(events, job))
            events.put(("done", [info.run_id for info in runs]))
        except Exception as error:  # reported to the server as one sentence; the process lives on
            events.put(("error", describe_error(error)))
