"""A job with followups: several configs trained one after another in one queue slot (the Transfer page's
"run all four cells"), each saving its own runs, the live record switching to the stage training now."""
from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from webapp.config import TrainConfig
from webapp.history import TrainingRecord
from webapp.job import Job, JobStatus, PartialSaveError, execute
from webapp.jobs import JobQueue
from webapp.run_record import RunRecord
from webapp.store import RunInfo
from webapp.training import TrainedModel

FIRST = TrainConfig(models=("dnn",), epochs=1, subset=1000)
SECOND = TrainConfig(models=("dnn", "cnn"), epochs=1, subset=500, dataset="fashion")
THIRD = TrainConfig(models=("cnn",), epochs=2, subset=300)


class FakeStore:
    """Keeps what would be saved, without writing a model."""

    def __init__(self) -> None:
        self.saved: list[RunInfo] = []

    def save(self, run_id: str, model: object, config: RunRecord, history: dict, predictions: object) -> RunInfo:
        info = RunInfo(f"{run_id}-{len(self.saved)}", Path("."), config, False)
        self.saved.append(info)
        return info


def fake_training(seen: list[tuple[TrainConfig, int]], job: Job, fail_on: TrainConfig | None = None):
    """A stand-in for `run_training`: records which config trained while the job was at which stage."""
    def run_training(config, stop, *, store, device_type, on_record):
        seen.append((config, job.stage))
        if config is fail_on:
            raise ValueError("This stage cannot train")
        record = TrainingRecord(config.race_entries, total_steps=2, steps_per_epoch=2)
        on_record(record)
        for name in config.race_entries:
            record.add_batch(name, {"step": 1, "seconds": 0.1})
        model = types.SimpleNamespace(count_params=lambda: 7)
        results = [TrainedModel(name=name, model=model, test_accuracy=0.5, test_loss=1.0,
                                test_predictions=np.zeros(3), stopped=stop.is_set(), fine_tuning=None)
                   for name in config.race_entries]
        return record, results

    return run_training


@pytest.fixture
def training(monkeypatch):
    def install(job: Job, fail_on: TrainConfig | None = None) -> list[tuple[TrainConfig, int]]:
        seen: list[tuple[TrainConfig, int]] = []
        monkeypatch.setattr("webapp.training.run_training", fake_training(seen, job, fail_on))
        return seen

    return install


def test_every_config_trains_in_turn_and_saves_its_own_runs(training):
    job = Job(FIRST, owner="alice", followups=(SECOND, THIRD))
    seen = training(job)
    records = []
    runs = execute(job, FakeStore(), on_record=records.append)
    assert seen == [(FIRST, 0), (SECOND, 1), (THIRD, 2)]
    assert job.configs == (FIRST, SECOND, THIRD) and job.stage == 2 and job.current_config is THIRD
    assert [record.snapshot()["models"] for record in records] == [["dnn"], ["dnn", "cnn"], ["cnn"]]
    assert job.record is records[-1], "the live record is the stage training now"
    assert [(run.model_name, run.record.dataset, run.record.train_config["subset"]) for run in runs] == [
        ("dnn", "mnist", 1000), ("dnn", "fashion", 500), ("cnn", "fashion", 500), ("cnn", "mnist", 300)]
    assert {run.record.job_id for run in runs} == {job.job_id}
    assert runs[1].record.raced_with == ("cnn",) and runs[0].record.raced_with == ()


def test_a_job_without_followups_trains_its_one_config(training):
    job = Job(FIRST, owner="alice")
    seen = training(job)
    assert [run.model_name for run in execute(job, FakeStore())] == ["dnn"]
    assert seen == [(FIRST, 0)] and job.configs == (FIRST,)


def test_a_stop_saves_the_stage_training_now_and_skips_the_rest(training):
    job = Job(FIRST, owner="alice", followups=(SECOND, THIRD))
    seen = training(job)
    job.stop_event.set()  # as if pressed during the first stage
    runs = execute(job, FakeStore())
    assert seen == [(FIRST, 0)]
    assert [run.record.status for run in runs] == [JobStatus.STOPPED]


def test_a_later_stage_that_fails_keeps_the_earlier_runs_and_says_which_stage(training):
    job = Job(FIRST, owner="alice", followups=(SECOND, THIRD))
    training(job, fail_on=SECOND)
    with pytest.raises(PartialSaveError) as failed:
        execute(job, FakeStore())
    assert str(failed.value) == "This stage cannot train (stage 2 of 3); the 1 runs of the stages before it are saved."
    assert [run.model_name for run in failed.value.saved] == ["dnn"]


def test_a_first_stage_that_fails_is_its_own_sentence(training):
    job = Job(FIRST, owner="alice", followups=(SECOND,))
    training(job, fail_on=FIRST)
    with pytest.raises(ValueError, match="This stage cannot train"):
        execute(job, FakeStore())


def test_the_queue_hands_the_followups_to_the_runner_and_lists_an_owners_jobs():
    ran: list[tuple[TrainConfig, ...]] = []
    queue = JobQueue(lambda job: ran.append(job.configs) or [])
    first = queue.submit(FIRST, "alice", followups=(SECOND, THIRD))
    assert queue.wait(first, 10) and first.status == JobStatus.DONE
    second = queue.submit(THIRD, "alice")
    other = queue.submit(FIRST, "bob")
    assert queue.wait(second, 10) and queue.wait(other, 10)
    assert ran == [(FIRST, SECOND, THIRD), (THIRD,), (FIRST,)]
    assert queue.jobs_of("alice") == [first, second] and queue.jobs_of("carol") == []
    queue.shutdown()
