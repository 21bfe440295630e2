import json
import threading

import pytest

from webapp.config import TrainConfig
from webapp.job import JobStatus
from webapp.jobs import JobQueue, QueueFullError, max_waiting
from webapp.ownership import NotOwnerError

CONFIG = TrainConfig(models=("dnn",), epochs=1, subset=1000)


def gated_queue():
    """A queue whose jobs block until released, so positions can be checked."""
    release = threading.Event()

    def run(job):
        release.wait(10)
        if job.config.epochs == 7:
            raise ValueError("Seven epochs are not allowed in this test")
        return []

    return JobQueue(run), release


def test_one_job_runs_at_a_time_and_the_rest_wait_in_order():
    queue, release = gated_queue()
    first = queue.submit(CONFIG, "alice")
    second = queue.submit(CONFIG, "bob")
    third = queue.submit(CONFIG, "carol")
    for _ in range(50):
        if first.status == JobStatus.RUNNING:
            break
        threading.Event().wait(0.05)
    assert first.status == JobStatus.RUNNING and queue.position(first) == 0
    assert (second.status, queue.position(second), queue.position(third)) == (JobStatus.QUEUED, 1, 2)
    release.set()
    assert queue.wait(third, 10) and third.status == JobStatus.DONE
    queue.shutdown()


def test_a_session_may_have_only_one_job_waiting_or_running():
    queue, release = gated_queue()
    queue.submit(CONFIG, "alice")
    with pytest.raises(QueueFullError):
        queue.submit(CONFIG, "alice")
    release.set()
    queue.shutdown()


def test_stopping_a_waiting_job_takes_it_off_the_queue():
    queue, release = gated_queue()
    queue.submit(CONFIG, "alice")
    waiting = queue.submit(CONFIG, "bob")
    queue.stop(waiting, "bob")
    assert waiting.status == JobStatus.STOPPED and queue.position(waiting) == 0
    release.set()
    queue.shutdown()


def test_a_failing_job_reports_one_sentence_and_the_worker_survives():
    queue, release = gated_queue()
    release.set()
    failing = queue.submit(TrainConfig(models=("dnn",), epochs=7), "alice")
    assert queue.wait(failing, 10)
    assert failing.status == JobStatus.FAILED and failing.error == "Seven epochs are not allowed in this test."
    after = queue.submit(CONFIG, "alice")
    assert queue.wait(after, 10) and after.status == JobStatus.DONE
    queue.shutdown()


def test_only_the_owner_can_stop_a_job():
    queue, release = gated_queue()
    queue.submit(CONFIG, "alice")
    waiting = queue.submit(CONFIG, "bob")
    with pytest.raises(NotOwnerError):
        queue.stop(waiting, "mallory")
    assert waiting.status == JobStatus.QUEUED and not waiting.stop_event.is_set()
    release.set()
    queue.shutdown()


def test_the_waiting_line_has_a_cap_with_one_sentence(monkeypatch):
    monkeypatch.setenv("CONVNET_LAB_MAX_WAITING", "2")
    queue, release = gated_queue()
    first = queue.submit(CONFIG, "alice")
    for _ in range(50):
        if first.status == JobStatus.RUNNING:
            break
        threading.Event().wait(0.05)
    queue.submit(CONFIG, "bob")
    queue.submit(CONFIG, "carol")
    with pytest.raises(QueueFullError, match="The lab is full: 2 jobs are already waiting"):
        queue.submit(CONFIG, "dave")
    release.set()
    queue.shutdown()


@pytest.mark.parametrize("raw", ["0", "-3", "many", "2.5"])
def test_a_bad_waiting_cap_is_one_sentence(monkeypatch, raw):
    monkeypatch.setenv("CONVNET_LAB_MAX_WAITING", raw)
    with pytest.raises(ValueError, match="CONVNET_LAB_MAX_WAITING must be a positive whole number"):
        max_waiting()


def test_statuses_print_compare_and_save_as_their_words():
    """Pages, JSON output and saved runs (older ones too) hold the plain words, so the enum must be one."""
    assert {status.value for status in JobStatus} == {"queued", "running", "done", "stopped", "failed", "interrupted"}
    assert JobStatus("stopped") is JobStatus.STOPPED and "done" == JobStatus.DONE
    assert f"{JobStatus.FAILED}" == str(JobStatus.FAILED) == "failed"
    assert json.dumps({"status": JobStatus.RUNNING}) == '{"status": "running"}'
    assert [status.finished for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)] == [False, False, True]


def test_a_waiting_job_is_told_about_when_it_starts_from_the_training_jobs_pace(monkeypatch):
    import webapp.jobs as jobs
    from webapp.history import TrainingRecord

    release, trained_half = threading.Event(), threading.Event()

    def run(job):
        record = TrainingRecord(job.config.race_entries, total_steps=10, steps_per_epoch=10)
        record.mark_started()
        for step in range(1, 6):  # half of the job, 5 of 10 batches
            record.add_batch("dnn", {"step": step, "epoch": step / 10, "seconds": 0.0, "loss": 1.0, "accuracy": 0.5,
                                     "samples_per_second": 1.0})
        job.record = record
        trained_half.set()
        release.wait(10)
        return []

    queue = JobQueue(run)
    first = queue.submit(CONFIG, "alice")
    second = queue.submit(CONFIG, "bob")
    third = queue.submit(TrainConfig(models=("dnn", "cnn"), epochs=1, subset=1000), "carol")
    fourth = queue.submit(CONFIG, "dave")
    assert trained_half.wait(10)
    assert queue.wait_estimate(first) is None, "a job already training is not waiting"
    started = first.record.snapshot()["started_at"]
    monkeypatch.setattr(jobs.time, "time", lambda: started + 10.0)  # half of the first job took 10 s
    # the first job has 10 s left; the second is as large as it (20 s); the third races two models (40 s)
    assert queue.wait_estimate(second) == pytest.approx(10, rel=0.05)
    assert queue.wait_estimate(third) == pytest.approx(10 + 20, rel=0.05)
    assert queue.wait_estimate(fourth) == pytest.approx(10 + 20 + 40, rel=0.05)
    monkeypatch.undo()
    release.set()
    queue.shutdown()


def test_a_teacher_can_cap_the_size_of_one_job(monkeypatch):
    from webapp.jobs import max_job_images

    assert max_job_images() is None
    monkeypatch.setenv("CONVNET_LAB_MAX_JOB_IMAGES", "5000")
    queue, release = gated_queue()
    queue.submit(TrainConfig(models=("dnn", "cnn"), epochs=2, subset=1000), "alice")  # 4,000 image passes
    with pytest.raises(QueueFullError, match="at most 5,000 image passes .* this one asks for 6,000"):
        queue.submit(TrainConfig(models=("dnn", "cnn"), epochs=3, subset=1000), "bob")
    monkeypatch.setenv("CONVNET_LAB_MAX_JOB_IMAGES", "lots")
    with pytest.raises(ValueError, match="CONVNET_LAB_MAX_JOB_IMAGES must be a positive whole number; it is 'lots'"):
        queue.submit(CONFIG, "carol")
    release.set()
    queue.shutdown()
