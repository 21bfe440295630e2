"""The Train page's tutorial preset (`?preset=tutorial`), seed 003's numbers as reference marks beside the lab's, and
the ReLU and dropout concepts (`?concept=relu`, `?concept=dropout`)."""
import numpy as np

from tests.app.conftest import open_page
from webapp import jobs
from webapp.presets import preset_config

TRAIN = "pages/train.py"


def form_values(at):
    values = {widget.label: widget.value for widget in [*at.selectbox, *at.select_slider, *at.slider, *at.toggle]}
    values["Models"] = at.multiselect[0].value
    return values


def assert_tutorial_settings(at):
    values = form_values(at)
    assert values["Models"] == ["dnn", "cnn"]
    assert (values["Optimizer"], values["Learning rate"], values["Batch size"], values["Epochs"]) == \
        ("rmsprop", 0.001, 128, 5)
    assert (values["Training images"], values["Hold out validation images"], values["Precision"]) == \
        (60_000, False, "float32")


def test_the_tutorial_link_fills_the_form_with_seed_003s_settings_and_names_its_numbers():
    at = open_page(TRAIN, preset="tutorial")
    assert_tutorial_settings(at)
    told = " ".join(info.value for info in at.info)
    assert "DNN 0.9782" in told and "CNN 0.9939" in told and "no validation curve" in told
    assert any("no validation curve" in markdown.value for markdown in at.markdown)


def test_one_click_on_the_preset_picker_fills_the_form_and_the_url():
    at = open_page(TRAIN)
    assert form_values(at)["Optimizer"] == "adam"
    at.selectbox(key="settings_preset_None").set_value("tutorial").run()
    assert not at.exception, at.exception
    assert at.query_params["preset"] == "tutorial"
    assert_tutorial_settings(at)


def synthetic_history(accuracies, test):
    """What a run with the tutorial's settings records: batches, Keras' epoch log, a test score; no validation."""
    batches = [{"step": step, "epoch": step / 4, "seconds": step * 0.1, "loss": 0.2,
                "accuracy": accuracies[(step - 1) // 4], "samples_per_second": 1000.0} for step in range(1, 21)]
    epochs = [{"step": 4 * epoch, "epoch": float(epoch), "seconds": epoch * 0.4, "loss": 0.2, "accuracy": value}
              for epoch, value in enumerate(accuracies, start=1)]
    return {"batches": batches, "validations": [], "epochs": epochs, "epoch_seconds": [0.4] * 5,
            "test": {"accuracy": test, "loss": 0.05}}


def chart_labels(chart) -> set[str]:
    """The text labels a chart draws (its datasets travel as Arrow tables)."""
    import pyarrow as pa

    labels = set()
    for dataset in chart.proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        if "label" in frame.columns:
            labels |= set(frame["label"].dropna())
    return labels


def test_a_tutorial_run_shows_the_seeds_numbers_as_reference_marks_beside_the_labs(monkeypatch):
    from webapp.networks import build
    from webapp.store import RunStore

    config = preset_config("tutorial")
    measured = {"dnn": ((0.9101, 0.9512, 0.9633, 0.9701, 0.9755), 0.9712),
                "cnn": ((0.9302, 0.9811, 0.9870, 0.9902, 0.9925), 0.9890)}
    store = RunStore()
    runs = [store.save(f"synthetic-tutorial-{name}", build(name), {
        "model": name, "status": "done", "train_config": config.to_dict(), "device": "CPU", "params": 1,
        "train_images": 59_904, "validation_images": 0, "test_accuracy": test, "test_loss": 0.05,
        "compute_seconds": 2.0, "warmup_seconds": 0.1}, synthetic_history(accuracies, test),
        np.zeros(10_000, np.uint8)) for name, (accuracies, test) in measured.items()]
    queue = jobs.JobQueue(lambda job: runs)  # a queue whose "training" hands back the synthetic runs
    monkeypatch.setattr(jobs, "_machine_queue", queue)
    job = queue.submit(config, "another-browser")
    assert queue.wait(job, 30)

    at = open_page(TRAIN, job=job.job_id)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics == {"DNN test accuracy": "97.12%", "CNN test accuracy": "98.90%"}
    marks = set().union(*(chart_labels(chart) for chart in at.get("vega_lite_chart")))
    assert {"DNN, seed 003: 0.9782", "CNN, seed 003: 0.9939", "DNN test 0.9712", "CNN test 0.9890"} <= marks
    caption = next(caption.value for caption in at.caption if caption.value.startswith("Thin lines"))
    assert "No validation curve" in caption and "Crosses: the training accuracy seed 003 reported" in caption
    assert "training accuracy at its last epoch's end 0.9755" in caption
    table = next(frame.value for frame in at.dataframe if "seed 003 (reported)" in frame.value.columns)
    last = table[table["epoch"] == 5].set_index("model")
    assert last.loc["dnn", "seed 003 (reported)"] == "0.9782" and last.loc["dnn", "the lab (measured)"] == "0.9755"
    assert last.loc["cnn", "seed 003 (reported)"] == "0.9939" and last.loc["cnn", "the lab (measured)"] == "0.9925"


def test_the_relu_concept_measures_the_first_layers_gradient_and_links_the_race():
    at = open_page(TRAIN, concept="relu")
    frame = next(frame.value for frame in at.dataframe if "hidden units" in frame.value.columns)
    frame = frame.set_index("hidden units")
    assert list(frame.index) == ["relu", "sigmoid", "tanh"]
    assert frame.loc["sigmoid", "mean slope of the hidden units"] <= 0.25
    assert any("larger with ReLU than with sigmoid" in caption.value for caption in at.caption)
    links = " ".join(markdown.value for markdown in at.markdown)
    assert "/train?models=dnn&activation=relu" in links and "/train?models=dnn&activation=sigmoid" in links


def test_a_concept_link_fills_the_form_with_its_run():
    at = open_page(TRAIN, models="dnn", activation="sigmoid", optimizer="sgd", lr="0.1")
    values = form_values(at)
    assert (values["Models"], values["Hidden units"], values["Optimizer"], values["Learning rate"]) == (
        ["dnn"], "sigmoid", "sgd", 0.1)
    again = open_page(TRAIN, models="dnn", dropout="0.5")
    assert form_values(again)["Dropout"] == 0.5


def test_the_dropout_concept_shows_ten_neurons_at_training_and_test_time():
    at = open_page(TRAIN, concept="dropout")
    frame = next(frame.value for frame in at.dataframe if "test output" in frame.value.columns)
    assert len(frame) == 10
    kept = frame[frame["training: kept?"] == "kept"]
    assert 0 < len(kept) < 10
    assert all(abs(float(row["training output"]) - 2 * float(row["output"])) < 0.011 for _, row in kept.iterrows())
    assert (frame["test output"] == frame["output"]).all()
    assert any("1/(1-p) = 2" in markdown.value for markdown in at.markdown)
    links = " ".join(markdown.value for markdown in at.markdown)
    assert "dropout=0.5" in links and "dropout=0.0" in links
