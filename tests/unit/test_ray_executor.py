"""Training on Ray: a local Ray started here (one CPU) trains tiny jobs as the lab's executor; progress streams
back, a stop ends a job within a batch, and the runs come back as bytes to this process's run store.

Needs `pip install -r requirements-ray.txt` (CI installs it); skipped with that reason where Ray is missing.
"""
import threading

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed here: pip install -r requirements-ray.txt")

from webapp.config import TrainConfig  # noqa: E402  after the skip: without Ray nothing below runs
from webapp.executors.ray_cluster import RayExecutor  # noqa: E402
from webapp.job import JobStatus  # noqa: E402
from webapp.jobs import JobQueue  # noqa: E402
from webapp.store import RunStore  # noqa: E402

pytestmark = pytest.mark.slow
TINY = TrainConfig(models=("dnn",), epochs=1, subset=384, batch_size=32, validations_per_epoch=2)
LONG = TrainConfig(models=("dnn",), epochs=30, batch_size=32, validations_per_epoch=2)


@pytest.fixture(scope="module")
def executor():
    """A local Ray of one CPU, joined as a server joins a cluster (the lab's code shipped as its working_dir)."""
    started = RayExecutor("local", init_options={"num_cpus": 1, "include_dashboard": False})
    yield started
    started.close()
    ray.shutdown()


def until(condition, seconds: float) -> bool:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return True
        threading.Event().wait(0.1)
    return False


def test_a_job_trains_on_ray_its_progress_streams_back_and_its_run_is_stored_here(executor, lab_home):
    queue = JobQueue(executor, slots=executor.default_slots)
    try:
        job = queue.submit(TINY, "ann")
        assert queue.wait(job, 600), "the tiny job ends"
        assert job.status == JobStatus.DONE, job.error
        snapshot = job.record.snapshot()
        curves = snapshot["curves"]["dnn"]
        assert len(curves["batches"]) == snapshot["steps_per_epoch"] and curves["validations"], "every batch came back"
        [run] = job.runs
        assert run.run_id in {info.run_id for info in RunStore().list().runs}, "stored by this process's store"
        assert run.path.parent == lab_home / "runs" and run.record.job_id == job.job_id
        assert RunStore().load_history(run.run_id)["batches"] and RunStore().load_predictions(run.run_id) is not None
        assert RunStore().load_model(run.run_id).count_params() == run.record.params
    finally:
        queue.shutdown()


def test_a_job_on_ray_stops_within_a_batch_and_keeps_what_it_trained(executor, lab_home):
    queue = JobQueue(executor, slots=1)
    try:
        job = queue.submit(LONG, "bob")
        trained = lambda: job.record is not None and len(job.record.snapshot()["curves"]["dnn"]["batches"]) > 5  # noqa: E731
        assert until(trained, 300), "progress arrives while the job trains"
        queue.stop(job, "bob")
        assert queue.wait(job, 120), "a stop ends the job within a batch"
        assert job.status == JobStatus.STOPPED, job.error
        [run] = job.runs
        assert run.record.status == "stopped" and run.record.epochs_trained < 1
    finally:
        queue.shutdown()
