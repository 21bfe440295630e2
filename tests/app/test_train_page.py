import time

from tests.app.conftest import open_page
from webapp.jobs import machine_queue

TRAIN = "pages/train.py"


def configure(at, images=1_000, epochs=1, models=("dnn", "cnn")):
    at.multiselect[0].set_value(list(models))
    slider = next(widget for widget in at.select_slider if widget.label == "Training images")
    slider.set_value(images)
    next(widget for widget in at.slider if widget.label == "Epochs").set_value(epochs)
    start = next(button for button in at.button if button.label == "Start training")
    start.click().run()
    assert not at.exception, at.exception
    return machine_queue().get(at.query_params["job"])


def wait_for_steps(job, steps, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job.record and min(len(c["batches"]) for c in job.record.snapshot()["curves"].values()) >= steps:
            return
        time.sleep(0.1)
    raise AssertionError("the job did not train")


def test_a_short_race_ends_with_scores_confusion_matrices_and_mistakes():
    at = open_page(TRAIN)
    job = configure(at)
    assert job is not None and job.config.models == ("dnn", "cnn")
    assert machine_queue().wait(job, 120)
    at.run()
    assert not at.exception, at.exception
    metrics = {metric.label: metric.value for metric in at.metric}
    assert set(metrics) == {"DNN test accuracy", "CNN test accuracy"}
    assert all(value.endswith("%") for value in metrics.values())
    assert [tab.label for tab in at.tabs] == ["DNN mistakes", "CNN mistakes"]
    assert any("Plotted: DNN:" in caption.value for caption in at.caption)
    listed = at.selectbox(key="selected_run").options
    assert all(any(run.run_id in option for option in listed) for run in job.runs)


def test_reloading_the_page_reconnects_to_the_running_job():
    at = open_page(TRAIN)
    job = configure(at, images=12_000, epochs=3)
    wait_for_steps(job, 2)
    again = open_page(TRAIN, job=job.job_id)
    assert any(element.proto.text.startswith("Training") for element in again.get("progress"))
    assert any(button.label == "Stop" for button in again.button)
    machine_queue().stop(job)
    assert machine_queue().wait(job, 60)


def test_stop_ends_the_run_within_a_batch_and_saves_it_marked_stopped():
    at = open_page(TRAIN)
    job = configure(at, images=12_000, epochs=5)
    wait_for_steps(job, 2)
    next(button for button in at.button if button.label == "Stop").click().run()
    assert machine_queue().wait(job, 60)
    at.run()
    assert job.status == "stopped"
    assert all(run.config["status"] == "stopped" for run in job.runs)
    assert any("Stopped early" in warning.value for warning in at.warning)


def test_a_second_learner_sees_queued_with_a_position():
    first = open_page(TRAIN)
    running = configure(first, images=12_000, epochs=5)
    second = open_page(TRAIN)
    waiting = configure(second, images=1_000, epochs=1)
    assert waiting.status == "queued"
    assert any("Queued, position 1" in info.value for info in second.info)
    for job in (waiting, running):
        machine_queue().stop(job)
    assert machine_queue().wait(running, 60)


def test_an_impossible_setting_gets_one_sentence():
    at = open_page(TRAIN)
    at.multiselect[0].set_value([])
    next(button for button in at.button if button.label == "Start training").click().run()
    assert [error.value for error in at.error] == ["Choose at least one model."]


def test_training_with_the_augment_pages_pipeline_records_it_on_the_run():
    from webapp.augment import pipeline_to_dict, preset_pipeline
    from webapp.ui.state import AUGMENT_PIPELINE_KEY

    at = open_page(TRAIN)
    at.session_state[AUGMENT_PIPELINE_KEY] = pipeline_to_dict(preset_pipeline("seed"))
    at.run()
    picker = next(box for box in at.selectbox if box.label == "Augmentation")
    assert picker.value == "page", "the Augment page's pipeline is offered first when there is one"
    assert any("Rotate" in caption.value for caption in at.caption)
    job = configure(at, models=("dnn",))
    assert job.config.pipeline["transform"]["transforms"][0]["__class_fullname__"] == "Rotate"
    assert machine_queue().wait(job, 120)
    at.run()
    assert not at.exception, at.exception
    assert "Rotate" in job.runs[0].config["augmentation"]
    assert any("augmented" in option for option in at.selectbox(key="selected_run").options)


def test_a_broken_pipeline_file_gets_one_sentence_and_no_job():
    at = open_page(TRAIN)
    next(box for box in at.selectbox if box.label == "Augmentation").set_value("file").run()
    at.file_uploader[0].set_value(("broken.yaml", b"transform: [oops", "text/yaml")).run()
    start = next(button for button in at.button if button.label == "Start training")
    start.click().run()
    assert not at.exception, at.exception
    assert at.error and "job" not in at.query_params


def test_the_saved_runs_table_shows_each_runs_recipe():
    """The shipped defaults list how they were trained: optimizer, rate and schedule, batch, augmentation."""
    from webapp.store import RunStore

    at = open_page(TRAIN)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    default_cnn = table[table["run"] == RunStore().resolve("cnn").run_id].iloc[0]
    train = RunStore().resolve("cnn").config["train_config"]
    assert default_cnn["recipe"].startswith(f"{train['optimizer']} {train['learning_rate']}")
    assert default_cnn["recipe"].endswith(f"batch {train['batch_size']}")
    assert ("cosine" in default_cnn["recipe"]) == (train.get("schedule") == "cosine")
