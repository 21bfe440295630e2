"""A process test: the training process ends when the server that spawned it is killed mid-job."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webapp import housekeeping

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys, threading, time
from webapp.config import TrainConfig
from webapp.job import Job
from webapp.worker import TrainingProcess

process = TrainingProcess()
job = Job(config=TrainConfig(models=("dnn",), epochs=200, subset=2000, batch_size=32), owner="test",
          job_id="job-feedbeef")
threading.Thread(target=process, args=(job,), daemon=True).start()
while job.record is None or not job.record.snapshot()["curves"]["dnn"]["batches"]:
    time.sleep(0.1)
print(process._process.pid, flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    return housekeeping.process_start_time(pid) is None  # a zombie counts as gone: it has ended


@pytest.mark.slow
def test_killing_the_server_mid_job_ends_the_training_process_and_the_next_start_marks_the_job(lab_home):
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "CONVNET_LAB_HOME": str(lab_home)})
    child = int(server.stdout.readline())  # printed once the child is training
    assert not gone(child)
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not gone(child):
        os.kill(child, signal.SIGKILL)  # leave no stray behind, then fail
        pytest.fail("The training process outlived its server by 10 s.")
    assert housekeeping.on_server_start(lab_home)["interrupted"] == ["job-feedbeef"]
    assert housekeeping.interrupted_job("job-feedbeef", lab_home)["config"]["epochs"] == 200


CHILD_WITHOUT_PDEATHSIG = """
import os, sys, time
sys.platform = "darwin"  # no parent-death signal: only the watchdog on the parent's pid is left
from webapp.worker import die_with_parent
die_with_parent(int(sys.argv[1]), interval=0.2)
print("watching", flush=True)
time.sleep(600)
"""
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(__import__("os").getpid())],
                         stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_the_watchdog_alone_ends_the_child_when_its_parent_dies():
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD_WITHOUT_PDEATHSIG], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not gone(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("The watchdog did not end the child within 10 s of its parent's death.")


def test_the_training_process_runs_below_the_pages_priority():
    import multiprocessing

    from webapp.worker import TRAINING_NICENESS, lower_priority

    def child(queue):
        lower_priority()
        queue.put(os.nice(0))

    queue = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=child, args=(queue,))
    process.start()
    process.join(30)
    assert queue.get(timeout=5) == min(19, os.nice(0) + TRAINING_NICENESS)


def test_training_threads_leave_a_core_to_the_pages_on_larger_machines(monkeypatch):
    from webapp.worker import training_threads

    monkeypatch.delenv("CONVNET_LAB_TRAINING_THREADS", raising=False)
    assert (training_threads(2), training_threads(4), training_threads(16)) == (None, 3, 15)
    monkeypatch.setenv("CONVNET_LAB_TRAINING_THREADS", "1")
    assert training_threads(16) == 1
    monkeypatch.setenv("CONVNET_LAB_TRAINING_THREADS", "all")
    with pytest.raises(ValueError, match="CONVNET_LAB_TRAINING_THREADS must be a positive whole number"):
        training_threads()


@pytest.mark.slow
def test_the_cap_reaches_tensorflow_in_a_fresh_process():
    code = ("from webapp.device import import_backend_quietly; import_backend_quietly()\n"
            "from webapp.worker import cap_threads; cap_threads(1)\n"
            "import tensorflow as tf; print(tf.config.threading.get_intra_op_parallelism_threads())")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "1", result.stderr[-500:]
