"""The default executor: the server's own training processes (`webapp.worker`), one per queue slot."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from webapp.executors.base import BlockingExecution, Execution

if TYPE_CHECKING:
    from webapp.job import Job

DEFAULT_GPU_SLOTS = 8  # on a GPU, at most this many jobs at once; the memory estimate usually admits fewer


def default_slots(on_gpu: bool) -> int:
    """How many jobs train at once when the teacher set nothing: one on a CPU (two jobs would only share its
    cores, each taking twice as long), up to `DEFAULT_GPU_SLOTS` on a GPU while their memory fits."""
    return DEFAULT_GPU_SLOTS if on_gpu else 1


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
            if slot not in self._processes:
                self._processes[slot] = TrainingProcess(slot=slot)
            return BlockingExecution(job, self._processes[slot])

    def close(self) -> None:
        with self._lock:
            processes, self._processes = list(self._processes.values()), {}
        for process in processes:
            process.close()
