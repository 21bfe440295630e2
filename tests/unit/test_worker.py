"""The training process: jobs train in a child process and their record is mirrored in the server."""
import types

import pytest

from webapp.config import TrainConfig
from webapp.job import Job
from webapp.worker import TrainingProcess, TrainingProcessError


@pytest.fixture(scope="module")
def process():
    worker = TrainingProcess()
    yield worker
    worker.close()


@pytest.mark.slow
def test_a_job_trains_in_the_child_and_its_record_is_mirrored(process, lab_home):
    job = Job(config=TrainConfig(models=("dnn", "cnn"), epochs=1, subset=1200, batch_size=64), owner="test")
    runs = process(job)
    assert [run.model_name for run in runs] == ["dnn", "cnn"]
    assert all(run.path.parent == lab_home / "runs" for run in runs)
    snapshot = job.record.snapshot()
    assert snapshot["finished_at"] is not None
    assert all(len(curves["batches"]) == 17 for curves in snapshot["curves"].values())  # 1100 // 64


def test_a_failing_job_comes_back_as_one_sentence_and_the_process_lives_on(process):
    broken = types.SimpleNamespace(to_dict=lambda: {"models": ["dnn"], "epochs": 0})
    with pytest.raises(TrainingProcessError, match="Epochs must be between 1 and 200."):
        process(Job(config=broken, owner="test"))
    job = Job(config=TrainConfig(models=("dnn",), epochs=1, subset=1000), owner="test")
    assert len(process(job)) == 1


@pytest.mark.slow
def test_a_jobs_followups_travel_to_the_child_and_each_stage_is_mirrored(process):
    first = TrainConfig(models=("dnn",), epochs=1, subset=1000)
    job = Job(config=first, owner="test", followups=(TrainConfig(models=("cnn",), epochs=1, subset=500,
                                                                 batch_size=64),))
    runs = process(job)
    assert [(run.model_name, run.record.train_config["subset"]) for run in runs] == [("dnn", 1000), ("cnn", 500)]
    assert job.stage == 1 and job.record.snapshot()["models"] == ["cnn"], "the mirror follows the current stage"
    assert len(job.record.snapshot()["curves"]["cnn"]["batches"]) == 7  # (500 - 42) // 64
