"""Several jobs at once (`CONVNET_LAB_MAX_JOBS`): slots taken first come first served, a fake executor (no
TensorFlow), waiting times over several slots, and the GPU's memory admission."""
import threading

import pytest

from webapp import executors
from webapp.config import TrainConfig
from webapp.job import Job, JobStatus
from webapp.jobs import GpuAdmission, JobQueue, start_after

CONFIG = TrainConfig(models=("dnn",), epochs=1, subset=1000)


class FakeExecution:
    def __init__(self, job: Job, gate: threading.Event) -> None:
        self.job, self.gate, self.stopped = job, gate, False

    def wait(self):
        while not self.gate.wait(0.01):
            if self.job.stop_event.is_set():
                return []
        return []

    def stop(self):
        self.stopped = True
        self.job.stop_event.set()


class FakeExecutor:
    """Each job blocks until its own gate opens; records which slot each job got."""

    description = "a test"
    default_slots = 1

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.slots: dict[str, int] = {}
        self.executions: dict[str, FakeExecution] = {}
        self.closed = False

    def start(self, job, slot):
        self.slots[job.job_id] = slot
        self.executions[job.job_id] = FakeExecution(job, self.gates.setdefault(job.job_id, threading.Event()))
        return self.executions[job.job_id]

    def close(self):
        self.closed = True

    def release(self, job):
        self.gates.setdefault(job.job_id, threading.Event()).set()


def until(condition, tries=200):
    for _ in range(tries):
        if condition():
            return True
        threading.Event().wait(0.02)
    return False


def test_two_slots_train_two_jobs_at_once_and_the_third_waits_first_in_line():
    executor = FakeExecutor()
    queue = JobQueue(executor, slots=2)
    first, second, third, fourth = (queue.submit(CONFIG, owner) for owner in ("ann", "bob", "cat", "dan"))
    assert until(lambda: second.status == JobStatus.RUNNING)
    assert first.status == JobStatus.RUNNING and {executor.slots[first.job_id], executor.slots[second.job_id]} == {0, 1}
    assert (queue.position(third), queue.position(fourth)) == (1, 2)
    executor.release(second)
    assert until(lambda: third.status == JobStatus.RUNNING), "the first waiting job takes the freed slot"
    assert fourth.status == JobStatus.QUEUED and queue.position(fourth) == 1
    for job in (first, third, fourth):
        executor.release(job)
    assert queue.wait(fourth, 10) and fourth.status == JobStatus.DONE
    queue.shutdown()
    assert executor.closed


def test_stopping_a_running_job_stops_its_execution():
    executor = FakeExecutor()
    queue = JobQueue(executor, slots=2)
    job = queue.submit(CONFIG, "ann")
    assert until(lambda: job.job_id in executor.executions)
    queue.stop(job, "ann")
    assert queue.wait(job, 10) and job.status == JobStatus.STOPPED and executor.executions[job.job_id].stopped
    queue.shutdown()


def test_a_job_the_admission_refuses_waits_and_the_ones_behind_it_wait_too():
    executor, allow = FakeExecutor(), threading.Event()
    queue = JobQueue(executor, slots=3, admit=lambda job, running: allow.is_set())
    first, second, third = (queue.submit(CONFIG, owner) for owner in ("ann", "bob", "cat"))
    assert until(lambda: first.status == JobStatus.RUNNING), "a job alone always starts"
    threading.Event().wait(0.2)
    assert (second.status, third.status) == (JobStatus.QUEUED, JobStatus.QUEUED), "first come first served"
    allow.set()
    assert until(lambda: third.status == JobStatus.RUNNING, tries=400), "admitted at the next check"
    for job in (first, second, third):
        executor.release(job)
    assert queue.wait(third, 10)
    queue.shutdown()


def test_the_next_start_counts_every_slot_and_the_jobs_ahead():
    assert start_after([], []) == 0
    assert start_after([30, 10], []) == 10
    assert start_after([30, 10], [50]) == 30, "the job ahead takes the slot freed at 10, ours the one at 30"
    assert start_after([30, 10], [5, 5]) == 20
    assert start_after([0, 0, 40], [100]) == 0, "an idle slot is free now"


def test_the_estimate_shares_the_jobs_ahead_among_the_slots(monkeypatch):
    executor = FakeExecutor()
    queue = JobQueue(executor, slots=2)
    running = [queue.submit(CONFIG, owner) for owner in ("ann", "bob")]
    ahead, mine = queue.submit(CONFIG, "cat"), queue.submit(CONFIG, "dan")
    assert until(lambda: all(job.status == JobStatus.RUNNING for job in running))
    assert queue.wait_estimate(mine) is None, "nothing measured yet"
    monkeypatch.setattr("webapp.jobs._pace", lambda job, snapshot: 0.01)  # 1000 image-passes take 10 s
    left = {running[0].job_id: 5.0, running[1].job_id: 8.0}
    monkeypatch.setattr("webapp.jobs._seconds_left", lambda job, snapshot, pace: left[job.job_id])
    assert queue.wait_estimate(ahead) == pytest.approx(5.0)
    assert queue.wait_estimate(mine) == pytest.approx(8.0), "the job ahead takes the slot freed at 5 s"
    for job in (*running, ahead, mine):
        executor.release(job)
    queue.shutdown()


def test_a_plain_function_still_runs_jobs():
    queue = JobQueue(lambda job: [])
    job = queue.submit(CONFIG, "ann")
    assert queue.wait(job, 10) and job.status == JobStatus.DONE
    queue.shutdown()


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_a_max_jobs_that_is_no_positive_whole_number_is_one_sentence_and_one_slot(monkeypatch, raw):
    monkeypatch.setenv(executors.MAX_JOBS_VARIABLE, raw)
    for variable in executors.RAY_ADDRESS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ValueError, match="CONVNET_LAB_MAX_JOBS must be a positive whole number") as raised:
        executors.max_jobs_setting()
    assert executors.slots(default=8) == 1
    assert executors.setting_problems() == [str(raised.value)], "Home shows the same one sentence"


def test_max_jobs_sets_the_slots_and_its_default_depends_on_the_device(monkeypatch):
    monkeypatch.delenv(executors.MAX_JOBS_VARIABLE, raising=False)
    for variable in executors.RAY_ADDRESS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert executors.LocalExecutor(on_gpu=False).default_slots == 1
    assert executors.slots(executors.LocalExecutor(on_gpu=True).default_slots) == executors.DEFAULT_GPU_SLOTS
    monkeypatch.setenv(executors.MAX_JOBS_VARIABLE, "3")
    assert executors.slots(default=1) == 3 and executors.setting_problems() == []


def test_the_slow_part_of_admission_runs_outside_the_queues_lock():
    """Asking the GPU's driver and estimating memory take time: pages asking the queue meanwhile get answers."""
    executor, preparing, finish = FakeExecutor(), threading.Event(), threading.Event()

    class SlowAdmission:
        def prepare(self, job, running):
            preparing.set()
            finish.wait(10)

        def __call__(self, job, running):
            return True

    queue = JobQueue(executor, slots=2, admit=SlowAdmission())
    first, second = queue.submit(CONFIG, "ann"), queue.submit(CONFIG, "bob")
    assert preparing.wait(10), "the second job is being admitted"
    answered = threading.Event()
    threading.Thread(target=lambda: (queue.position(second), answered.set()), daemon=True).start()
    assert answered.wait(2), "the queue answered a page while the admission was still preparing"
    finish.set()
    assert until(lambda: second.status == JobStatus.RUNNING, tries=400)
    for job in (first, second):
        executor.release(job)
    assert queue.wait(second, 10)
    queue.shutdown()


def test_gpu_admission_reads_the_driver_and_counts_the_labs_own_memory_as_room(monkeypatch):
    from webapp.job_memory import MIB, DeviceMemory

    reading = DeviceMemory(free=1000 * MIB, held={111: 3000 * MIB, 222: 500 * MIB})
    monkeypatch.setattr("webapp.jobs.read_device_memory", lambda: reading)
    admission = GpuAdmission(lambda: {111})
    estimates = {"a": 2000 * MIB, "b": 1500 * MIB, "c": 2600 * MIB}
    monkeypatch.setattr(admission, "estimate", lambda job: estimates[job.job_id])
    running = [Job(config=CONFIG, owner="x", job_id="a")]
    assert admission(Job(config=CONFIG, owner="y", job_id="b"), running), "1000 free + 3000 ours - 2000 >= 1500"
    assert not admission(Job(config=CONFIG, owner="y", job_id="c"), running), "another program's 500 is not ours"
    monkeypatch.setattr("webapp.jobs.read_device_memory", lambda: None)
    without_driver = GpuAdmission(lambda: {111})
    monkeypatch.setattr(without_driver, "estimate", lambda job: estimates[job.job_id])
    assert without_driver(Job(config=CONFIG, owner="y", job_id="c"), running), "no driver: the slots alone decide"


@pytest.mark.slow
def test_two_slots_train_two_jobs_at_once_in_two_training_processes(lab_home):
    """The real local executor: each slot has its own training process (and its own record for a restart)."""
    long = TrainConfig(models=("dnn",), epochs=30, batch_size=32, validations_per_epoch=2)
    executor = executors.LocalExecutor()
    queue = JobQueue(executor, slots=2)
    try:
        jobs = [queue.submit(long, owner) for owner in ("ann", "bob")]

        def both_training():
            return all(job.record is not None and job.record.snapshot()["curves"]["dnn"]["batches"] for job in jobs)

        assert until(both_training, tries=6000), "both jobs train at the same time"
        assert not any(job.finished for job in jobs) and len(executor.pids()) == 2
        assert {path.name for path in lab_home.glob("training-process*.json")} == {"training-process.json",
                                                                                 "training-process-1.json"}
        for job in jobs:
            queue.stop(job, job.owner)
        assert all(queue.wait(job, 120) for job in jobs)
        assert [job.status for job in jobs] == [JobStatus.STOPPED, JobStatus.STOPPED]
    finally:
        queue.shutdown()
    assert not list(lab_home.glob("training-process*.json")), "closed cleanly: nothing for a restart to reap"


def test_an_unreachable_ray_address_falls_back_to_local_training_and_says_so_once(monkeypatch, caplog):
    import socket

    monkeypatch.delenv(executors.MAX_JOBS_VARIABLE, raising=False)
    monkeypatch.delenv("CONVNET_LAB_RAY_ADDRESS", raising=False)
    with socket.socket() as probe:  # bound, never listening: nothing answers there
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{probe.getsockname()[1]}")
        executors.forget_ray_checks()
        executor = executors.choose_executor()
    assert isinstance(executor, executors.LocalExecutor)
    [sentence] = executors.setting_problems()
    assert sentence.endswith("training runs on this server instead.") and sentence in caplog.text
    executors.forget_ray_checks()


def test_ray_addresses_name_the_host_and_port_to_try():
    assert executors.ray_endpoint("ray://head.example:10001") == ("head.example", 10001)
    assert executors.ray_endpoint("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert executors.ray_endpoint("auto") is None and executors.ray_endpoint("local") is None
