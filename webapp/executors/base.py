"""What every executor offers the queue (`webapp.jobs`): start a job in a slot, then wait on it or stop it.

Every execution mirrors its job's progress into `job.record` / `job.stage` (what the pages read), watches
`job.stop_event` (a stop ends the job within a batch), and returns the runs saved in *this* server's run store,
or raises an error whose message is the one sentence to show.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from webapp.job import Job
    from webapp.store import RunInfo


class Execution(Protocol):
    """One job started on an executor."""

    def wait(self) -> list[RunInfo]:
        """Block until the job ends, mirroring its progress into the job meanwhile; the runs saved in this
        server's store, or an exception whose message is one sentence."""
        ...

    def stop(self) -> None:
        """Ask the job to stop within a batch (it still saves what it trained, marked stopped)."""
        ...


@runtime_checkable
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
