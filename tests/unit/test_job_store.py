"""The job database: rows round-trip, keep their order, survive a restart of the queue, and a foreign file is
moved aside (never deleted) with one sentence."""
import sqlite3
import subprocess
import sys
import threading

import pytest

from webapp import job_store
from webapp.config import TrainConfig
from webapp.job import JobStatus
from webapp.job_store import JobStore, StoredJob
from webapp.jobs import JobQueue
from webapp.ownership import NotOwnerError

CONFIG = TrainConfig(models=("dnn",), epochs=1, subset=1000)
BATCHES = [{"step": step, "epoch": step / 10, "loss": 2.0 / step, "accuracy": 0.1 * step, "seconds": 0.1 * step,
            "samples_per_second": 640.0} for step in (1, 2, 3)]
SNAPSHOT = {"models": ["dnn"], "total_steps": 10, "steps_per_epoch": 10, "train_images": 900,
            "validation_images": 100, "started_at": 1.0, "finished_at": None, "evaluation_seconds": 0.0,
            "results": {}, "curves": {"dnn": {"batches": BATCHES, "validations": [], "epochs": [], "epoch_seconds": [],
                                              "compute_seconds": 0.3, "warmup_seconds": 0.4}}}


@pytest.fixture(autouse=True)
def fresh_checks():
    """Each test's database file is checked anew (the check is remembered per process and path)."""
    job_store.forget_checks()
    yield
    job_store.forget_checks()


def stored(job_id: str, owner: str = "alice", submitted_at: float = 1.0) -> StoredJob:
    return StoredJob(job_id=job_id, owner=owner, status="queued", config=CONFIG.to_dict(),
                     followups=[TrainConfig(models=("cnn",), epochs=2).to_dict()], submitted_at=submitted_at)


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def as_if_a_dead_server_had_them(store: JobStore) -> None:
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE jobs SET server_pid = ?, server_started = 1", (dead_pid(),))


def test_a_job_round_trips_through_every_step(lab_home):
    store = JobStore()
    store.add(stored("job-00000001"))
    store.mark_running("job-00000001", 5.0)
    store.save_snapshot("job-00000001", 1, SNAPSHOT)
    running = store.get("job-00000001")
    assert (running.status, running.started_at, running.stage, running.snapshot) == ("running", 5.0, 1, SNAPSHOT)
    assert running.owner == "alice" and TrainConfig.from_dict(running.config) == CONFIG
    assert running.followups == [TrainConfig(models=("cnn",), epochs=2).to_dict()]
    store.finish("job-00000001", "failed", 9.0, "It broke.", ["dnn-run-1"])
    again = JobStore(lab_home / job_store.FILE_NAME).get("job-00000001")  # as a new server would read it
    assert (again.status, again.finished_at, again.error, again.run_ids, again.snapshot) == (
        "failed", 9.0, "It broke.", ["dnn-run-1"], None)


def test_jobs_come_back_in_the_order_they_were_submitted_whatever_their_clocks():
    store = JobStore()
    for job_id, submitted in (("job-0000000c", 3.0), ("job-0000000a", 9.0), ("job-0000000b", 1.0)):
        store.add(stored(job_id, submitted_at=submitted))
    assert [job.job_id for job in store.jobs()] == ["job-0000000c", "job-0000000a", "job-0000000b"]


def test_a_dead_servers_running_job_is_interrupted_with_its_curves_and_its_waiting_jobs_kept():
    store = JobStore()
    for job_id in ("job-00000001", "job-00000002", "job-00000003"):
        store.add(stored(job_id))
    store.mark_running("job-00000001", 5.0)
    store.save_snapshot("job-00000001", 0, SNAPSHOT)
    as_if_a_dead_server_had_them(store)
    taken = {job.job_id: job for job in store.take_over()}
    assert taken["job-00000001"].status == "interrupted" and taken["job-00000001"].snapshot == SNAPSHOT
    assert [taken[job_id].status for job_id in ("job-00000002", "job-00000003")] == ["queued", "queued"]


def test_the_jobs_of_another_live_server_on_the_same_home_are_left_to_it():
    store = JobStore()
    store.add(stored("job-00000001"))
    store.mark_running("job-00000001", 5.0)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        from webapp.housekeeping import process_start_time

        with sqlite3.connect(store.path) as connection:
            connection.execute("UPDATE jobs SET server_pid = ?, server_started = ?",
                               (other.pid, process_start_time(other.pid)))
        assert store.take_over() == []
        assert store.get("job-00000001").status == "running"
    finally:
        other.kill()


def test_old_finished_jobs_are_pruned_and_unfinished_ones_kept():
    store = JobStore()
    for number in range(5):
        store.add(stored(f"job-0000000{number}"))
    for number in range(4):
        store.finish(f"job-0000000{number}", "done", 1.0, None, [])
    store.prune(keep_finished=2)
    assert [job.job_id for job in store.jobs()] == ["job-00000002", "job-00000003", "job-00000004"]


@pytest.mark.parametrize("kind", ["garbage", "another program's"])
def test_a_file_that_is_not_the_labs_is_moved_aside_with_one_sentence_and_the_queue_starts_empty(lab_home, kind,
                                                                                                  caplog):
    path = lab_home / job_store.FILE_NAME
    lab_home.mkdir(parents=True)
    if kind == "garbage":
        path.write_bytes(b"\x00not a database at all\xff" * 100)
    else:
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE invoices (number INTEGER)")
        connection.close()
    before = path.read_bytes()
    store = JobStore()
    assert store.problem is not None and store.problem == job_store.problem(lab_home)
    assert store.problem.startswith(f"The job database {path} is not the lab's") and store.problem.count(". ") == 0
    assert [record.getMessage() for record in caplog.records if record.name == "convnet_lab.job_store"] == [
        store.problem], "logged once, for the server's operator"
    moved = [entry for entry in lab_home.iterdir() if entry.name.startswith("jobs.sqlite3.not-the-labs-")]
    assert [entry.read_bytes() for entry in moved] == [before], "moved aside whole, never deleted"
    assert store.jobs() == []
    queue = JobQueue(lambda job: [], store)
    job = queue.submit(CONFIG, "alice")
    assert queue.wait(job, 10) and store.get(job.job_id).status == "done"
    queue.shutdown()


def test_the_labs_own_file_is_no_problem(lab_home):
    JobStore().add(stored("job-00000001"))
    job_store.forget_checks()
    assert job_store.problem(lab_home) is None and [job.job_id for job in JobStore().jobs()] == ["job-00000001"]


def test_a_queue_on_a_dead_servers_database_runs_its_waiting_jobs_in_order_and_offers_the_interrupted_one():
    store = JobStore()
    for job_id, owner in (("job-00000001", "alice"), ("job-00000002", "bob"), ("job-00000003", "carol")):
        store.add(stored(job_id, owner))
    store.mark_running("job-00000001", 5.0)
    store.save_snapshot("job-00000001", 0, SNAPSHOT)
    as_if_a_dead_server_had_them(store)
    order, release = [], threading.Event()

    def run(job):
        release.wait(10)
        order.append(job.job_id)
        return []

    queue = JobQueue(run, store)
    interrupted = queue.get("job-00000001")
    assert interrupted.status == JobStatus.INTERRUPTED and interrupted.finished
    assert interrupted.record.snapshot()["curves"]["dnn"]["batches"] == SNAPSHOT["curves"]["dnn"]["batches"]
    assert queue.get("job-00000003").owner == "carol" and queue.position(queue.get("job-00000003")) in (1, 2)
    with pytest.raises(NotOwnerError):
        queue.start_again(interrupted, "mallory")
    release.set()
    assert queue.wait(queue.get("job-00000003"), 10)
    again = queue.start_again(interrupted, "alice")
    assert (again.config, again.followups, again.owner) == (interrupted.config, interrupted.followups, "alice")
    assert queue.wait(again, 10)
    assert order == ["job-00000002", "job-00000003", again.job_id]
    assert [store.get(job_id).status for job_id in ("job-00000002", "job-00000003", again.job_id)] == ["done"] * 3
    queue.shutdown()


def test_the_running_jobs_record_is_saved_every_few_seconds_while_it_trains(monkeypatch):
    from webapp import jobs
    from webapp.history import TrainingRecord

    monkeypatch.setattr(jobs, "SNAPSHOT_SECONDS", 0.05)
    seen = []
    store = JobStore()

    def run(job):
        job.record = TrainingRecord.from_snapshot(SNAPSHOT)
        for _ in range(200):  # up to 10 s: the job "trains" until its record shows up in the database
            seen.append(store.get(job.job_id).snapshot)
            if seen[-1]:
                break
            threading.Event().wait(0.05)
        return []

    queue = JobQueue(run, store)
    job = queue.submit(CONFIG, "alice")
    assert queue.wait(job, 15) and seen[-1] == SNAPSHOT
    assert store.get(job.job_id).snapshot is None, "a finished job's runs hold its curves"
    queue.shutdown()


def test_home_can_count_the_jobs_training_and_waiting_without_names(lab_home):
    assert job_store.activity() == (0, 0)
    store = JobStore()
    for job_id in ("job-00000001", "job-00000002", "job-00000003", "job-00000004"):
        store.add(stored(job_id))
    store.mark_running("job-00000001", 2.0)
    store.finish("job-00000004", "done", 3.0, None, [])
    assert job_store.activity() == (1, 2)
