"""Where a queued job trains: an `Executor` takes a job and hands back an `Execution` to follow it.

The queue (`webapp.jobs`) decides *when* a job runs (first come first served, so many at once); an executor
decides *where*. Two exist:

- `LocalExecutor` (the default): the server's own training processes (`webapp.worker`), one per queue slot.
- `webapp.executors.ray_cluster.RayExecutor`: a Ray cluster, when `RAY_ADDRESS` or `CONVNET_LAB_RAY_ADDRESS`
  is set. Ray is imported only there, and only then.

The interface is in `base`, the local executor in `local`, Ray's in `ray_cluster`; this package's settings
(`CONVNET_LAB_MAX_JOBS`, the Ray address) are light (no TensorFlow, no Ray): Home asks them
(`setting_problems`).
"""
from __future__ import annotations

import logging
import os
import socket
import threading

from webapp.executors.base import BlockingExecution, Execution, Executor, FunctionExecutor
from webapp.executors.local import DEFAULT_GPU_SLOTS, LocalExecutor, default_slots

__all__ = ["BlockingExecution", "DEFAULT_GPU_SLOTS", "Execution", "Executor", "FunctionExecutor", "LocalExecutor",
           "choose_executor", "default_slots", "max_jobs_setting", "ray_address", "setting_problems", "slots"]

LOG = logging.getLogger("convnet_lab.executors")
MAX_JOBS_VARIABLE = "CONVNET_LAB_MAX_JOBS"
RAY_ADDRESS_VARIABLES = ("CONVNET_LAB_RAY_ADDRESS", "RAY_ADDRESS")  # the lab's own setting wins
RAY_CONNECT_SECONDS = 3.0


# -- settings --------------------------------------------------------------------------------------------
def max_jobs_setting() -> int | None:
    """`CONVNET_LAB_MAX_JOBS` as a number, None when unset; ValueError (one sentence) when it is not a positive
    whole number."""
    from webapp.config import positive_setting

    try:
        return positive_setting(MAX_JOBS_VARIABLE)
    except ValueError as bad:
        raise ValueError(f"{str(bad).rstrip('.')}, so one job trains at a time.") from None


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
            return RayExecutor(address, on_gpu)
        except Exception as error:  # Ray's own start-up failed: any of its many errors means "not there"
            LOG.warning("Ray did not start: %s", error, exc_info=True)  # the details: server log only
            problem = (f"The Ray cluster at {address} cannot be used ({type(error).__name__}); training runs on "
                       "this server instead.")
            note_ray_problem(address, problem)
    LOG.warning("%s", problem)
    return LocalExecutor(on_gpu)
