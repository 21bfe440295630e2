import pytest

from tests.conftest import synthetic_digits
from webapp.bench import predict, stages, summary, train
from webapp.networks import build


def test_probe_notes_the_batch_and_time_when_the_target_is_met_and_each_epochs_accuracy():
    x, y = synthetic_digits(512)
    model = build("dnn")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe = train.make_probe(x[..., None], y, target=0.9, check_every=2, excluded_seconds=lambda: 0.0)
    model.fit(x[..., None], y, batch_size=32, epochs=5, verbose=0, callbacks=[probe])
    assert probe.reached_batches % 2 == 0 and probe.reached_seconds > 0
    assert probe.checks[-1][2] >= 0.9 and probe.checks[-1][0] == probe.reached_batches  # no checks after it
    assert len(probe.epoch_accuracies) == 5  # training went on to the run's end
    assert probe.epoch_accuracies[-1] == pytest.approx(train.test_accuracy(model, x[..., None], y))


def test_medians_treat_an_unreached_target_as_slowest():
    assert train._median_or_none([3.0, 1.0, 2.0]) == 2.0
    assert train._median_or_none([3.0, None, 1.0]) == 3.0
    assert train._median_or_none([None, None, 1.0]) is None


@pytest.mark.slow
def test_train_benchmark_reports_both_settings_and_their_ratio():
    report = train.train_benchmark(target=0.0, seeds=1, check_every=1, max_epochs=1, subset=1200, log=lambda _: None)
    assert report["lab_batches"] == [1] and report["seed_batches"] == [1]
    assert report["ratio"] is not None and report["ratio"] > 0
    assert "ratio lab/seed" in train.format_train_report(report)
    assert len(report["lab_epoch_accuracy_median"]) == 1 and len(report["seed_epoch_accuracy"][0]) == 1
    assert report["lab_settings"]["schedule"] == "warmup-cosine" and report["seed_settings"]["schedule"] == "constant"


def test_predict_benchmark_reports_medians_for_prediction_and_decoding():
    report = predict.predict_benchmark(runs=20, log=lambda _: None)
    assert report["predict_median_ms"] > 0 and report["decode_median_ms"] > 0


def test_summary_benchmark_times_the_first_build_and_the_cached_lookup():
    report = summary.summary_benchmark(["dnn", "lenet"], repeats=3, log=lambda _: None)
    assert set(report["networks"]) == {"dnn", "lenet"}
    assert report["networks"]["lenet"]["layers"] == 10
    assert report["max_first_seconds"] > 0 and report["max_cached_ms"] > 0


@pytest.mark.slow
def test_bench_stages_memory_reports_the_cli_and_page_peaks():
    """The figures are measured, not asserted (they depend on the machine); the report must carry them."""
    report = stages.stages_memory_benchmark(side=800, log=lambda _: None)
    assert report["memory_photo"] == "800x800 grey PNG" and report["worked_shape"] == "800x800x1"
    assert report["cli_peak_bytes"] > 0 and report["page_peak_bytes"] >= 0
    assert report["page_budget_bytes"] == 300_000_000 and report["cli_peak_goal_bytes"] == 3_000_000_000
