"""Training on a Ray cluster: each job is a Ray actor; its progress and its saved runs come back to this server.

When `RAY_ADDRESS` (or `CONVNET_LAB_RAY_ADDRESS`) is set and answers, the queue's slots hand their jobs here
instead of to the server's own training processes. Per job:

1. An actor (`Trainer`) is created with one CPU, and one GPU when the cluster has GPUs. The server joined the
   cluster with the lab's code and data as Ray's `working_dir` (this checkout, less what `.gitignore` and
   `EXCLUDES` leave out), so the cluster's nodes need only the app's Python packages (requirements.txt): no
   shared disk, no lab checkout.
2. The actor trains the job (`webapp.job.execute`) into a temporary run store of its own, recording every
   change of its record as an event; the server polls `events` and applies them to the job the page reads,
   exactly as it mirrors a local training process (`webapp.worker`).
3. A stop on the page calls the actor's `stop`: training ends within a batch and saves what it has.
4. The actor returns each saved run's files (model.keras, config.json, history.json, test_predictions.npy) as
   bytes; the server writes them into its own run store (a temporary folder moved into place in one step).

Jobs that read the server's own files (a learner's collection or classes) train on the server's local
processes instead. Ray is imported here only, and only once an address is configured.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from webapp import datasets
from webapp.config import TrainConfig
from webapp.executors.base import Execution
from webapp.executors.local import LocalExecutor
from webapp.job import Job
from webapp.paths import PROJECT_ROOT
from webapp.store import (CONFIG_FILE, HISTORY_FILE, MODEL_FILE, PREDICTIONS_FILE, RUN_ID_PATTERN, RunInfo,
                           RunStore)

LOG = logging.getLogger("convnet_lab.ray")
POLL_SECONDS = 0.3
RUN_FILES = (MODEL_FILE, CONFIG_FILE, HISTORY_FILE, PREDICTIONS_FILE)
# Never shipped to the cluster (besides what .gitignore leaves out): the runs and learners' files, tests, docs.
EXCLUDES = [".git", ".venv", "venv", "tests", "docs", "models/runs", "models/collections", "models/classes",
            "models/interrupted-jobs", "models/jobs.sqlite3*", "**/__pycache__"]
FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _ray() -> Any:
    import ray

    return ray


class RayError(RuntimeError):
    """A job the cluster could not train; the message is the one sentence to show."""


class RayExecutor:
    """Starts each job as a Ray actor on the cluster at `address` (or the Ray this process already joined)."""

    def __init__(self, address: str, on_gpu: bool = False, init_options: dict[str, Any] | None = None) -> None:
        """Join the cluster at `address` with the lab's code and data as the job's `working_dir` (Ray ships a
        folder only when it is joined, not per actor). `init_options` go to `ray.init` too: a test starts a
        local Ray with `address="local"` and `{"num_cpus": 1}`."""
        ray = _ray()
        if ray.is_initialized():
            LOG.warning("Ray was already joined by this process: the cluster must have the lab's code itself.")
        else:
            ray.init(address=address, runtime_env={"working_dir": str(PROJECT_ROOT), "excludes": EXCLUDES},
                     logging_level=logging.WARNING, log_to_driver=False, **(init_options or {}))
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self.description = f"the Ray cluster at {address}"
        self.default_slots = max(1, gpus)  # one job per GPU; on a CPU cluster one at a time unless the teacher says
        self.gpus_per_job = 1 if gpus else 0
        self._local = LocalExecutor(on_gpu)  # for jobs on the server's own files
        self._trainer = ray.remote(Trainer)  # made remote once: each job's actor is one more of it

    def start(self, job: Job, slot: int) -> Execution:
        if any(needs_server_files(config) for config in job.configs):
            return self._local.start(job, slot)
        # read before the actor starts: a run that cannot be read fails here, not after reserving a GPU
        shipped = {info.run_id: run_files(info.path) for info in user_runs(job.configs)}
        actor = self._trainer.options(num_cpus=1, num_gpus=self.gpus_per_job, max_concurrency=4,
                                      name=f"convnet-lab-{job.job_id}").remote()
        result = actor.train.remote(job.job_id, [config.to_dict() for config in job.configs], shipped)
        return RayExecution(job, actor, result)

    def close(self) -> None:
        self._local.close()


def needs_server_files(config: TrainConfig) -> bool:
    """A job on a learner's collection or classes reads files only this server has."""
    return bool(config.collection) or config.dataset.startswith(datasets.CLASSES_PREFIX)


def user_runs(configs: tuple[TrainConfig, ...]) -> list[RunInfo]:
    """The learner's saved runs a job starts from (a transfer's source, a fine-tuning's base), by run id: the
    cluster gets their files; the shipped default models travel with the code."""
    store = RunStore()
    wanted = sorted({run_id for config in configs for run_id in (config.source_run, config.base_run) if run_id})
    return [info for info in map(store.get, wanted) if not info.is_default]


def run_files(folder: Path) -> dict[str, bytes]:
    """A run folder's files, as bytes."""
    return {name: (folder / name).read_bytes() for name in RUN_FILES if (folder / name).is_file()}


def store_run(store: RunStore, run_id: str, files: dict[str, bytes]) -> RunInfo:
    """Write a run that came back from the cluster into `store` (`RunStore.save_files`: never half-written),
    after checking the names it came with."""
    if not RUN_ID_PATTERN.match(run_id) or not all(FILE_NAME.match(name) for name in files):
        raise RayError(f"The cluster sent back a run with an unexpected name ({run_id!r}).")
    return store.save_files(run_id, files)


class RayExecution:
    """Follows one job's actor: applies its record's events to the job, passes a stop on, stores its runs."""

    def __init__(self, job: Job, actor: Any, result: Any) -> None:
        self.job, self._actor, self._result = job, actor, result
        self._stop_sent = False
        self._seen = 0

    def stop(self) -> None:
        self.job.stop_event.set()

    def wait(self) -> list[RunInfo]:
        ray = _ray()
        try:
            while True:
                if self.job.stop_event.is_set() and not self._stop_sent:
                    self._actor.stop.remote()
                    self._stop_sent = True
                done, _ = ray.wait([self._result], timeout=POLL_SECONDS)
                self._apply(ray.get(self._actor.events.remote(self._seen)))
                if done:
                    return self._store(ray.get(self._result))
        except ray.exceptions.RayError as error:
            LOG.warning("Ray lost job %s: %s", self.job.job_id, error)
            raise RayError("The Ray cluster lost this job (its worker ended); start it again.") from None
        finally:
            with contextlib.suppress(Exception):  # already gone with its node: nothing left to end
                ray.kill(self._actor, no_restart=True)

    def _apply(self, events: list[tuple]) -> None:
        """The same messages a local training process sends (`webapp.worker`)."""
        from webapp.worker import follow_record

        for kind, *args in events:
            self._seen += 1
            follow_record(self.job, kind, args)

    def _store(self, outcome: dict[str, Any]) -> list[RunInfo]:
        store = RunStore()
        saved = [store_run(store, run["run_id"], run["files"]) for run in outcome.get("runs", [])]
        if outcome.get("error"):
            if saved:
                from webapp.job import PartialSaveError

                raise PartialSaveError(outcome["error"], saved)
            raise RayError(outcome["error"])
        return saved


class _EventList:
    """What `webapp.worker`'s streamer puts events into; the server reads them from `Trainer.events`."""

    def __init__(self) -> None:
        self.items: list[tuple] = []
        self.lock = threading.Lock()

    def put(self, item: tuple) -> None:
        with self.lock:
            self.items.append(item)


class Trainer:
    """The actor on the cluster (made remote by `RayExecutor`): trains one job into a temporary store."""

    def __init__(self) -> None:
        self._events = _EventList()
        self._stop = threading.Event()

    def events(self, start: int) -> list[tuple]:
        """The record's events from number `start` on (the server keeps count)."""
        with self._events.lock:
            return self._events.items[start:]

    def stop(self) -> None:
        self._stop.set()

    def train(self, job_id: str, configs: list[dict[str, Any]], shipped: dict[str, dict[str, bytes]]) -> dict:
        """Train the job; {"runs": [{"run_id", "files"}], "error": one sentence or None}."""
        from webapp.device import import_backend_quietly, share_gpus
        from webapp.errors import describe_error
        from webapp.job import PartialSaveError, execute
        from webapp.worker import streamer

        home = Path(tempfile.mkdtemp(prefix="convnet-lab-ray-"))
        os.environ["CONVNET_LAB_HOME"] = str(home)  # this actor's process only: it trains one job
        try:
            import_backend_quietly()
            share_gpus()
            store = RunStore(home / "runs")
            for run_id, files in shipped.items():
                store_run(store, run_id, files)
            settings = [TrainConfig.from_dict(config) for config in configs]
            job = Job(config=settings[0], followups=tuple(settings[1:]), owner="ray", job_id=job_id,
                      stop_event=self._stop)
            started = time.time()
            try:
                runs, error = execute(job, store, on_record=streamer(self._events, job)), None
            except PartialSaveError as partial:
                runs, error = partial.saved, str(partial)
            except Exception as failure:  # one sentence back to the server; the details stay in Ray's log
                LOG.warning("Job %s failed on the cluster: %s", job_id, failure, exc_info=True)
                runs, error = [], describe_error(failure)
            LOG.info("Job %s trained in %.0f s.", job_id, time.time() - started)
            return {"runs": [{"run_id": info.run_id, "files": run_files(info.path)} for info in runs],
                    "error": error}
        finally:
            shutil.rmtree(home, ignore_errors=True)
