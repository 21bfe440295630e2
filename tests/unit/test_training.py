import threading

import keras
import numpy as np
import pytest

from webapp.config import TrainConfig
from webapp import training
from webapp.training import epoch_order, make_schedule, run_training

TINY = dict(epochs=2, batch_size=32, subset=0, validation_fraction=0.1)


def test_schedule_keeps_full_batches_and_validates_ten_times_an_epoch():
    schedule = make_schedule(TrainConfig(epochs=3, batch_size=32), train_images=650)
    assert (schedule.steps_per_epoch, schedule.validate_every, schedule.total_steps) == (20, 2, 60)


def test_every_epoch_has_its_own_order_from_the_seed():
    first, again, second = epoch_order(7, 0, 100, 3, 32), epoch_order(7, 0, 100, 3, 32), epoch_order(7, 1, 100, 3, 32)
    assert len(first) == 96 and np.array_equal(first, again) and not np.array_equal(first, second)


def test_a_race_records_both_models_on_the_same_steps(tiny_mnist):
    record, results = run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist)
    snapshot = record.snapshot()
    steps = snapshot["steps_per_epoch"] * 2
    for name in ("dnn", "cnn"):
        curves = snapshot["curves"][name]
        assert [point["step"] for point in curves["batches"]] == list(range(1, steps + 1))
        assert len(curves["validations"]) >= 10
        assert len(curves["epoch_seconds"]) == 2
        assert all(0 <= point["accuracy"] <= 1 and point["samples_per_second"] > 0 for point in curves["batches"])
    assert {result.name for result in results} == {"dnn", "cnn"}
    assert all(len(result.test_predictions) == 100 for result in results)
    # the bars are easy: both models must learn them
    assert all(result.test_accuracy > 0.5 for result in results)


def test_validation_never_uses_the_test_set(tiny_mnist):
    record, _ = run_training(TrainConfig(models=("dnn",), **TINY), data=tiny_mnist)
    assert record.snapshot()["validation_images"] == 72  # a tenth of the 720 training images


def test_racing_models_take_turns_every_few_batches(tiny_mnist, monkeypatch):
    monkeypatch.setattr(training, "TURN_BATCHES", 3)
    order = []

    class Spy(keras.callbacks.Callback):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_train_batch_end(self, batch, logs=None):
            order.append(self.name)

    record, _ = run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist,
                             extra_callbacks=lambda name: [Spy(name)])
    turn = min(3, record.header()["steps_per_epoch"] // 8)  # a short epoch takes shorter turns
    assert turn == 2 and order[:4 * turn] == ["dnn"] * turn + ["cnn"] * turn + ["dnn"] * turn + ["cnn"] * turn
    assert order.count("dnn") == order.count("cnn") == 40


def test_turns_are_a_few_batches_and_an_eighth_of_a_short_epoch():
    assert training.Schedule(steps_per_epoch=1000, validate_every=100).turn_batches == training.TURN_BATCHES
    assert training.Schedule(steps_per_epoch=28, validate_every=3).turn_batches == 3
    assert training.Schedule(steps_per_epoch=5, validate_every=1).turn_batches == 1


def test_a_failing_model_stops_the_race_without_deadlock(tiny_mnist):
    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 5:
                raise RuntimeError("exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist,
                     extra_callbacks=lambda name: [Boom()] if name == "cnn" else [])


def test_stop_takes_effect_within_one_batch(tiny_mnist):
    stop = threading.Event()

    class StopAfterThree(keras.callbacks.Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            StopAfterThree.count += 1
            if StopAfterThree.count == 3:
                stop.set()

    record, results = run_training(TrainConfig(models=("cnn",), **TINY), stop, data=tiny_mnist,
                                   extra_callbacks=lambda name: [StopAfterThree()])
    assert len(record.snapshot()["curves"]["cnn"]["batches"]) <= 4  # the batch under way when Stop came, and no more
    assert results[0].stopped


def test_a_run_smaller_than_one_batch_is_refused(tiny_mnist):
    with pytest.raises(ValueError, match="fewer than one batch"):
        run_training(TrainConfig(models=("dnn",), epochs=1, batch_size=1024), data=tiny_mnist)


def test_in_a_race_each_model_counts_only_its_own_compute_time(tiny_mnist, monkeypatch):
    monkeypatch.setattr(training, "TURN_BATCHES", 2)
    record, _ = run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist)
    snapshot = record.snapshot()
    wall = snapshot["finished_at"] - snapshot["started_at"]
    own = [curves["compute_seconds"] for curves in snapshot["curves"].values()]
    # waiting for the other model's turn is not compute: together they cannot exceed the wall clock
    assert sum(own) < wall


def test_the_first_batchs_compute_stamp_leaves_out_the_warm_up(tiny_mnist):
    """The first batch traces and compiles the step: in a race that one-off cost must not count as compute."""
    record, _ = run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist)
    for curves in record.snapshot()["curves"].values():
        assert curves["batches"][0]["seconds"] == 0.0
        assert curves["warmup_seconds"] > 0
        assert curves["compute_seconds"] == curves["batches"][-1]["seconds"]
        assert sum(curves["epoch_seconds"]) == pytest.approx(curves["compute_seconds"])


def test_the_recorder_starts_the_compute_clock_at_the_end_of_the_first_batch(monkeypatch):
    from webapp import history
    from webapp.history import HistoryRecorder, TrainingRecord

    clock = iter([0.0, 5.0, 5.0, 5.1, 5.1, 5.3])  # a 5 s warm-up batch, then batches of 0.1 s and 0.2 s
    monkeypatch.setattr(history.time, "perf_counter", lambda: next(clock))
    record = TrainingRecord(["dnn"], total_steps=3, steps_per_epoch=3)
    recorder = HistoryRecorder(record, "dnn", batch_size=32, steps_per_epoch=3, should_stop=lambda: False)
    for batch in range(3):
        recorder.on_train_batch_begin(batch)
        recorder.on_train_batch_end(batch, {"loss": 1.0, "accuracy": 0.5})
    curves = record.snapshot()["curves"]["dnn"]
    assert [point["seconds"] for point in curves["batches"]] == pytest.approx([0.0, 0.1, 0.3])
    assert curves["warmup_seconds"] == pytest.approx(5.0)
    assert curves["compute_seconds"] == pytest.approx(0.3)


def test_the_cosine_schedule_decays_the_rate_to_zero_over_the_whole_run(tiny_mnist):
    config = TrainConfig(models=("dnn",), schedule="cosine", **TINY)
    record, results = run_training(config, data=tiny_mnist)
    optimizer = results[0].model.optimizer
    assert int(optimizer.iterations.numpy()) == record.snapshot()["total_steps"]
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-6)  # counted down over every epoch's batches
    constant = run_training(TrainConfig(models=("dnn",), schedule="constant", **TINY),
                            data=tiny_mnist)[1][0].model.optimizer
    assert float(constant.learning_rate) == pytest.approx(config.learning_rate)


def test_the_warm_up_climbs_from_zero_to_the_peak_then_decays_to_zero():
    from webapp.config import WARMUP_SHARE
    from webapp.training import learning_rate_schedule

    rate = learning_rate_schedule(0.01, "warmup-cosine", total_steps=100)
    warmup = round(WARMUP_SHARE * 100)
    at = [float(rate(step)) for step in (0, warmup // 2, warmup, warmup + (100 - warmup) // 2, 100)]
    assert at[0] == pytest.approx(0.0, abs=1e-9)
    assert at[1] == pytest.approx(0.01 * (warmup // 2) / warmup)  # linear on the way up
    assert at[2] == pytest.approx(0.01)
    assert at[3] == pytest.approx(0.005, rel=0.02)  # a half cosine: half way down, half the peak
    assert at[4] == pytest.approx(0.0, abs=1e-9)
    # a run of one batch has no room to warm up: it decays from the peak, never trains at a rate of 0 throughout
    assert float(learning_rate_schedule(0.01, "warmup-cosine", total_steps=1)(0)) == pytest.approx(0.01)
    assert learning_rate_schedule(0.01, "constant", total_steps=100) == 0.01


def test_label_smoothing_trains_on_one_hot_targets_and_reports_plain_accuracy(tiny_mnist):
    from webapp.training import training_loss, training_targets

    smoothed = TrainConfig(models=("cnn",), label_smoothing=0.1, **TINY)
    targets = training_targets(np.array([0, 2, 1], dtype=np.uint8), smoothed, 3)
    assert targets.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert training_loss(smoothed).label_smoothing == pytest.approx(0.1)
    plain = TrainConfig(models=("cnn",), label_smoothing=0.0, **TINY)
    assert training_loss(plain) == "sparse_categorical_crossentropy"
    record, results = run_training(smoothed, data=tiny_mnist)
    snapshot = record.snapshot()
    assert 0.0 <= snapshot["results"]["cnn"]["test_accuracy"] <= 1.0
    assert snapshot["curves"]["cnn"]["validations"]  # validation read the plain labels
    assert results[0].test_predictions.shape == (len(tiny_mnist.y_test),)


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="Unknown schedule step"):
        TrainConfig(schedule="step")


def _tiny_model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    return model


class _Logs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events, self.batch_logs = [], []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch}")

    def on_train_end(self, logs=None):
        self.events.append("train_end")

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append((batch, dict(logs)))


def test_batches_sliced_from_the_resident_set_train_as_fit_on_the_same_rows():
    """One pass over rows of a set placed once on the device: the same weights, callbacks and running-mean logs
    as `fit(shuffle=False)` on those rows copied out (the full batches only)."""
    from webapp.training import ResidentRows, fit_resident

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 4)).astype(np.float32), rng.integers(0, 3, 50).astype(np.uint8)
    rows = rng.permutation(50)[:40]
    by_fit, by_rows = _tiny_model(3), _tiny_model(3)
    fit_logs, row_logs = _Logs(), _Logs()
    by_fit.fit(x[rows], y[rows], batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[fit_logs])
    resident = ResidentRows(x, y, "/CPU:0")
    fit_resident(by_rows, resident, rows[:45], batch_size=8, callbacks=[row_logs])  # 45 rows: 5 full batches
    for mine, theirs in zip(by_rows.get_weights(), by_fit.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    assert not np.allclose(by_rows.get_weights()[0], _tiny_model(3).get_weights()[0])  # it did train
    assert row_logs.events == fit_logs.events == ["train_begin", "epoch_end 0", "train_end"]
    assert [batch for batch, _ in row_logs.batch_logs] == [0, 1, 2, 3, 4]
    for (_, mine), (_, theirs) in zip(row_logs.batch_logs, fit_logs.batch_logs):
        assert mine["loss"] == pytest.approx(float(theirs["loss"]), rel=1e-4)
        assert mine["accuracy"] == pytest.approx(float(theirs["accuracy"]), rel=1e-4)


def test_a_stop_asked_for_by_a_callback_ends_the_pass_after_that_batch():
    from webapp.training import ResidentRows, fit_resident

    class StopAfterTwo(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    spy = _Logs()
    x, y = np.zeros((40, 4), np.float32), np.zeros(40, np.uint8)
    fit_resident(_tiny_model(0), ResidentRows(x, y, "/CPU:0"), np.arange(40), 8, [StopAfterTwo(), spy])
    assert [batch for batch, _ in spy.batch_logs] == [0, 1]


def test_jobs_place_their_training_set_once_except_where_batches_come_another_way(tiny_mnist, monkeypatch):
    """Plain jobs train from the resident set (built once per job, shared by a race's models); a job with an
    augmentation pipeline goes through `fit` (its batches are made on the host)."""
    from webapp.augment import pipeline_to_dict, preset_pipeline

    placed = []
    original = training.ResidentRows.__init__

    def counting(self, x, y, device_name):
        placed.append((len(x), device_name))
        original(self, x, y, device_name)

    monkeypatch.setattr(training.ResidentRows, "__init__", counting)
    run_training(TrainConfig(models=("dnn", "cnn"), **TINY), data=tiny_mnist)
    assert placed == [(648, "/CPU:0")]  # 720 images less the tenth held out, once for both models
    placed.clear()
    augmented = TrainConfig(models=("dnn",), pipeline=pipeline_to_dict(preset_pipeline("digits")), **TINY)
    run_training(augmented, data=tiny_mnist)
    assert placed == []


def test_training_steps_are_xla_compiled_only_where_there_is_a_gpu(monkeypatch):
    from webapp import device

    monkeypatch.setattr(device, "accelerators", lambda: [])
    assert device.use_xla() is False and device.resident_device() == "/CPU:0"
    monkeypatch.setattr(device, "accelerators", lambda: ["/device:GPU:0"])
    assert device.use_xla() is True and device.resident_device() == "/device:GPU:0"
