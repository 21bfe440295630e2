"""A process test: a server killed (`kill -9`) mid-job and started again on the same lab home loses nothing.

The "server" is the lab's own machine queue with its real training process, in a subprocess; the restarted
one is a queue in this process on the same `CONVNET_LAB_HOME`, after the same start-up clean-up a server runs.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from webapp import housekeeping
from webapp.config import TrainConfig
from webapp.job import JobStatus
from webapp.job_store import JobStore
from webapp.jobs import JobQueue
from webapp.ownership import NotOwnerError
from webapp.store import RunStore
from webapp.worker import TrainingProcess

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LONG = TrainConfig(models=("dnn",), epochs=200, subset=2000, batch_size=32)
SERVER = """
import sys, time
from webapp.config import TrainConfig
from webapp.job_store import JobStore
from webapp.jobs import machine_queue

small = TrainConfig(models=("dnn",), epochs=1, subset=1000, batch_size=64)
queue = machine_queue()
finished = queue.submit(small, "alice")
assert queue.wait(finished, 600) and finished.status == "done", (finished.status, finished.error)
running = queue.submit(TrainConfig(models=("dnn",), epochs=200, subset=2000, batch_size=32), "bob")
first, second = queue.submit(small, "carol"), queue.submit(small, "dave")
store = JobStore()
while not ((row := store.get(running.job_id)) and row.snapshot and row.snapshot["curves"]["dnn"]["batches"]):
    time.sleep(0.1)  # its curves are in the database: kill it now
print(finished.job_id, running.job_id, first.job_id, second.job_id, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_server_killed_mid_job_and_started_again_runs_the_waiting_jobs_and_keeps_the_rest(lab_home):
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "CONVNET_LAB_HOME": str(lab_home)})
    try:
        line = server.stdout.readline()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert line, "the server script ended before its job was training"
    finished_id, running_id, first_id, second_id = line.split()

    housekeeping.on_server_start(lab_home)  # what a server does first: end the stray training process
    queue = JobQueue(TrainingProcess(), JobStore(lab_home / "jobs.sqlite3"))
    try:
        interrupted = queue.get(running_id)
        assert interrupted.status == JobStatus.INTERRUPTED and interrupted.owner == "bob"
        assert interrupted.record.snapshot()["curves"]["dnn"]["batches"], "it keeps the curves it had"

        first, second = queue.get(first_id), queue.get(second_id)
        assert (first.owner, second.owner) == ("carol", "dave")
        assert queue.wait(second, 600), "the waiting jobs run again"
        assert (first.status, second.status) == (JobStatus.DONE, JobStatus.DONE), (first.error, second.error)
        assert first.started_at < second.started_at, "in their original order"

        with pytest.raises(NotOwnerError):
            queue.start_again(interrupted, "carol")
        again = queue.start_again(interrupted, "bob")
        assert (again.config, again.owner, again.job_id != running_id) == (LONG, "bob", True)
        assert not again.finished, "a new job, queued (or already training) with the same settings"
        queue.stop(again, "bob")
        assert queue.wait(again, 600) and again.status == JobStatus.STOPPED

        finished = queue.get(finished_id)
        assert finished.status == JobStatus.DONE and [info.model_name for info in finished.runs] == ["dnn"]
        listed = {info.run_id for info in RunStore().list().runs}
        saved = [info.run_id for job in (finished, first, second) for info in job.runs]
        assert len(saved) == 3 and set(saved) <= listed, "every finished run is intact"
        assert RunStore().load_history(finished.runs[0].run_id)["batches"]
    finally:
        queue.shutdown()
