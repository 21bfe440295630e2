"""Where a queued job trains: an `Executor` takes a job and hands back an `Execution` to follow it.

The queue (`webapp.jobs`) decides *when* a job runs (first come first served, so many at once); an executor
decides *where*. Two exist:

- `LocalExecutor` (the default): the server's own training processes (`webapp.worker`), one per queue slot.
- `webapp.executors.ray_cluster.RayExecutor`: a Ray cluster, when `RAY_ADDRESS` or `CONVNET_LAB_RAY_ADDRESS`
  is set. Ray is imported only there, and only then.

Every execution mirrors its job's progress into `job.record` / `job.stage` (what the pages read), watches
`job.stop_event` (a stop ends the job within a batch), and returns the runs saved in *this* server's run store,
or raises an error whose message is the one sentence to show.

This module is light (no TensorFlow, no Ray): Home asks it about the lab's settings (`setting_problems`).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from webapp.job import Job
    from webapp.store import RunInfo

LOG = logging.getLogger("convnet_lab.executors")
MAX_JOBS_VARIABLE = "CONVNET_LAB_MAX_JOBS"
RAY_ADDRESS_VARIABLES = ("CONVNET_LAB_RAY_ADDRESS", "RAY_ADDRESS")  # the lab's own setting wins
DEFAULT_GPU_SLOTS = 8  # on a GPU, at most this many jobs at once; the memory estimate usually admits fewer
RAY_CONNECT_SECONDS = 3.0


class Execution(Protocol):
    """One job started on an executor."""

    def wait(self) -> list[RunInfo]:
        """Block until the job ends, mirroring its progress into the job meanwhile; the runs saved in this
        server's store, or an exception whose message is one sentence."""
        ...

    def stop(self) -> None:
        """Ask the job to stop within a batch (it still saves what it trained, marked stopped)."""
        ...


class Executor(Protocol):
    """Starts jobs somewhere. `slot` (0 .. slots-1) is the queue slot the job runs in; at most one job per
    slot runs at a time, and each slot is served by one long-lived thread of the queue."""

    description: str  # where the jobs train, for the server log, e.g. "this server" or "the Ray cluster at ..."
    default_slots: int  # how many jobs it trains at once when CONVNET_LAB_MAX_JOBS is not set

    def start(self, job: Job, slot: int) -> Execution: ...

    def close(self) -> None: ...


class BlockingExecution:
    """An execution whose work runs in the calling thread when `wait` is called (the queue's slot thread):
    the local training process streams progress into the job itself."""

    def __init__(self, job: Job, work: Callable[[Job], list[RunInfo]]) -> None:
        self.job, self._work = job, work

    def wait(self) -> list[RunInfo]:
        return self._work(self.job)

    def stop(self) -> None:
        self.job.stop_event.set()


class FunctionExecutor:
    """Runs each job by calling `run(job)` in the queue's slot thread (tests, and any plain runner)."""

    description = "this process"
    default_slots = 1

    def __init__(self, run: Callable[[Job], list[RunInfo]]) -> None:
        self._run = run

    def start(self, job: Job, slot: int) -> Execution:
        return BlockingExecution(job, self._run)

    def close(self) -> None:
        close = getattr(self._run, "close", None)
        if close:
            close()


class LocalExecutor:
    """The server's own training processes: one child process per queue slot, started on first use by that
    slot's thread (a child's parent-death signal follows the thread that started it: the slot's, which lives
    as long as the queue)."""

    description = "this server"

    def __init__(self, on_gpu: bool = False) -> None:
        self.default_slots = default_slots(on_gpu)
        self._processes: dict[int, Any] = {}
        self._lock = threading.Lock()

    def pids(self) -> set[int]:
        """The process ids of its training processes (what they hold on the GPU is the lab's own)."""
        with self._lock:
            return {process.pid for process in self._processes.values() if process.pid is not None}

    def start(self, job: Job, slot: int) -> Execution:
        from webapp.worker import TrainingProcess

        with self._lock:
            process = self._processes.setdefault(slot, TrainingProcess(slot=slot))
        return BlockingExecution(job, process)

    def close(self) -> None:
        with self._lock:
            processes, self._processes = list(self._processes.values()), {}
        for process in processes:
            process.close()


# -- settings --------------------------------------------------------------------------------------------
def max_jobs_setting() -> int | None:
    """`CONVNET_LAB_MAX_JOBS` as a number, None when unset; ValueError (one sentence) when it is not a positive
    whole number."""
    raw = os.environ.get(MAX_JOBS_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_JOBS_VARIABLE} must be a positive whole number; it is {raw!r}, so one job trains "
                         "at a time.")
    return int(raw)


def default_slots(on_gpu: bool) -> int:
    """How many jobs train at once when the teacher set nothing: one on a CPU (two jobs would only share its
    cores, each taking twice as long), up to `DEFAULT_GPU_SLOTS` on a GPU while their memory fits."""
    return DEFAULT_GPU_SLOTS if on_gpu else 1


def slots(default: int) -> int:
    """The number of jobs that may train at once: the setting, else the executor's `default`; a bad setting
    logs its sentence and counts as 1."""
    try:
        return max_jobs_setting() or default
    except ValueError as misconfigured:
        LOG.warning("%s", misconfigured)
        return 1


def ray_address() -> str | None:
    """The Ray cluster to train on (`CONVNET_LAB_RAY_ADDRESS`, else `RAY_ADDRESS`), or None: train here."""
    for variable in RAY_ADDRESS_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    return None


def ray_endpoint(address: str) -> tuple[str, int] | None:
    """(host, port) to try for an address such as `ray://head:10001` or `head:6379`; None for `auto` and `local`
    (Ray finds or starts the cluster itself) or an address without a port."""
    rest = address.split("://", 1)[-1].rstrip("/")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def ray_unreachable(address: str, timeout: float = RAY_CONNECT_SECONDS) -> str | None:
    """A sentence when the Ray address cannot be used from here (Ray not installed, or nothing answers at its
    host and port), else None. Cheap: a TCP connection, no Ray start-up."""
    fallback = "training runs on this server instead."
    try:
        import importlib.util

        installed = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        return (f"A Ray cluster is configured ({address}) but Ray is not installed here "
                f"(pip install -r requirements-ray.txt); {fallback}")
    endpoint = ray_endpoint(address)
    if endpoint is None:
        return None
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            return None
    except OSError:
        return f"The Ray cluster at {address} cannot be reached; {fallback}"


_ray_problem: dict[str, str | None] = {}
_ray_problem_lock = threading.Lock()


def ray_problem() -> str | None:
    """The sentence about the configured Ray address, checked once per address and process (Home asks on every
    visit), or None when there is none to say (no address, or it answers). `choose_executor` may add one."""
    address = ray_address()
    if address is None:
        return None
    with _ray_problem_lock:
        if address not in _ray_problem:
            _ray_problem[address] = ray_unreachable(address)
        return _ray_problem[address]


def note_ray_problem(address: str, sentence: str) -> None:
    """Remember that connecting to `address` failed after all (Ray's own start-up said no)."""
    with _ray_problem_lock:
        _ray_problem[address] = sentence


def forget_ray_checks() -> None:
    """Check the address again at its next use (tests)."""
    with _ray_problem_lock:
        _ray_problem.clear()


def setting_problems() -> list[str]:
    """Sentences about the lab's job settings, for Home: a `CONVNET_LAB_MAX_JOBS` that is no positive number,
    a Ray address that cannot be used."""
    problems = []
    try:
        max_jobs_setting()
    except ValueError as misconfigured:
        problems.append(str(misconfigured))
    if sentence := ray_problem():
        problems.append(sentence)
    return problems


def choose_executor(on_gpu: bool = False) -> Executor:
    """The Ray cluster when one is configured and answers, else this server's training processes (the Ray
    problem is then logged and kept for Home). `on_gpu`: this server has a GPU."""
    address = ray_address()
    if address is None:
        return LocalExecutor(on_gpu)
    problem = ray_problem()
    if problem is None:
        from webapp.executors.ray_cluster import RayExecutor

        try:
            return RayExecutor(address)
        except Exception as error:  # Ray's own start-up failed: any of its many errors means "not there"
            LOG.warning("Ray did not start: %s", error, exc_info=True)  # the details: server log only
            problem = (f"The Ray cluster at {address} cannot be used ({type(error).__name__}); training runs on "
                       "this server instead.")
            note_ray_problem(address, problem)
    LOG.warning("%s", problem)
    return LocalExecutor(on_gpu)
