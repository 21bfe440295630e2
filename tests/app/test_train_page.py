import time

import pytest

from tests.app.conftest import open_page
from webapp.jobs import machine_queue

TRAIN = "pages/train.py"


def configure(at, images=1_000, epochs=1, models=("dnn", "cnn")):
    at.multiselect[0].set_value(list(models))
    slider = next(widget for widget in at.select_slider if widget.label == "Training images")
    slider.set_value(images)
    next(widget for widget in at.slider if widget.label == "Epochs").set_value(epochs)
    start = next(button for button in at.button if button.label == "Start training")
    start.click().run()  # the page queues the job and reruns itself to show it first
    at.run()  # AppTest drops a click made right after a run that ended in st.rerun; a browser does not
    assert not at.exception, at.exception
    return machine_queue().get(at.query_params["job"])


def wait_for_steps(job, steps, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job.record and min(len(c["batches"]) for c in job.record.snapshot()["curves"].values()) >= steps:
            return
        time.sleep(0.1)
    raise AssertionError("the job did not train")


@pytest.mark.slow
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
    # the saved run's own numbers, not an example: 1,000 images chosen, a twelfth held out
    at.selectbox(key="selected_run").set_value(job.runs[0].run_id).run()
    assert any(f"{job.runs[0].run_id}: 1,000 images chosen, 917 trained on, 83 held out" in caption.value
               for caption in at.caption)


@pytest.mark.slow
def test_reloading_the_page_reconnects_to_the_running_job():
    at = open_page(TRAIN)
    job = configure(at, images=12_000, epochs=3)
    wait_for_steps(job, 2)
    again = open_page(TRAIN, browser_of=at, job=job.job_id)
    assert any(element.proto.text.startswith("Training") for element in again.get("progress"))
    assert any(button.label == "Stop" for button in again.button)
    machine_queue().stop(job, job.owner)
    assert machine_queue().wait(job, 60)


@pytest.mark.slow
def test_someone_elses_job_link_shows_the_job_without_a_stop_button():
    at = open_page(TRAIN)
    job = configure(at, images=12_000, epochs=3)
    wait_for_steps(job, 2)
    stranger = open_page(TRAIN, job=job.job_id)  # another browser: its own session, so its own owner secret
    assert any(element.proto.text.startswith("Training") for element in stranger.get("progress"))
    assert not any(button.label == "Stop" for button in stranger.button)
    assert any("only that browser can stop it" in caption.value for caption in stranger.caption)
    machine_queue().stop(job, job.owner)
    assert machine_queue().wait(job, 60)


@pytest.mark.slow
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
    # the saved-runs table says how far the runs got, not the epochs that were planned
    table = at.dataframe[0].value.set_index("run")
    for run in job.runs:
        done, planned = table.loc[run.run_id, "epochs"].split(" of ")
        assert planned == "5" and 0 < float(done) < 5


@pytest.mark.slow
def test_a_second_learner_sees_queued_with_a_position():
    first = open_page(TRAIN)
    running = configure(first, images=12_000, epochs=5)
    second = open_page(TRAIN)
    waiting = configure(second, images=1_000, epochs=1)
    assert waiting.status == "queued"
    assert any("Queued, position 1" in info.value for info in second.info)
    for job in (waiting, running):
        machine_queue().stop(job, job.owner)
    assert machine_queue().wait(running, 60)


@pytest.mark.slow
def test_with_two_slots_two_learners_train_at_once_and_a_third_waits_first_in_line(monkeypatch):
    monkeypatch.setenv("CONVNET_LAB_MAX_JOBS", "2")
    jobs = [configure(open_page(TRAIN), images=12_000, epochs=5, models=("dnn",)) for _ in range(2)]
    third = open_page(TRAIN)
    waiting = configure(third, images=1_000, epochs=1, models=("dnn",))
    assert machine_queue().slots == 2 and [job.status for job in jobs] == ["running", "running"]
    assert waiting.status == "queued"
    assert any("Queued, position 1: 2 other learners' jobs are training." in info.value for info in third.info)
    for job in (waiting, *jobs):
        machine_queue().stop(job, job.owner)
    assert all(machine_queue().wait(job, 60) for job in jobs)


def test_an_impossible_setting_gets_one_sentence():
    at = open_page(TRAIN)
    at.multiselect[0].set_value([])
    next(button for button in at.button if button.label == "Start training").click().run()
    assert [error.value for error in at.error] == ["Choose at least one model."]


@pytest.mark.slow
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
    # the job's link, opened in a fresh session, gives its augmentation back in the folded form
    again = open_page(TRAIN, job=job.job_id)
    assert next(box for box in again.selectbox if box.label == "Augmentation").value == "seed"


def test_a_broken_pipeline_file_gets_one_sentence_and_no_job():
    at = open_page(TRAIN)
    next(box for box in at.selectbox if box.label == "Augmentation").set_value("file").run()
    at.file_uploader[0].set_value(("broken.yaml", b"transform: [oops", "text/yaml")).run()
    start = next(button for button in at.button if button.label == "Start training")
    start.click().run()
    assert not at.exception, at.exception
    assert at.error and "job" not in at.query_params


def test_a_pipeline_file_with_holes_larger_than_a_digit_gets_its_sentence_before_training():
    at = open_page(TRAIN)
    next(box for box in at.selectbox if box.label == "Augmentation").set_value("file").run()
    holes = (b"transform:\n  __class_fullname__: Compose\n  transforms:\n  - __class_fullname__: CoarseDropout\n"
             b"    hole_height_range: [30, 40]\n    hole_width_range: [4, 12]\n")
    at.file_uploader[0].set_value(("holes.yaml", holes, "text/yaml")).run()
    next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception, at.exception
    assert any("at least 30 pixels; these images are 28 pixels high" in error.value for error in at.error)
    assert "job" not in at.query_params


@pytest.mark.slow
def test_a_followed_job_comes_first_and_the_form_waits_folded_below_it():
    at = open_page(TRAIN)
    folded = [node for node in at.main if node.type == "expander" and node.label.startswith("Train another run")]
    assert not folded, "without a job the form is open at the top"
    job = configure(at, images=12_000, epochs=3)
    wait_for_steps(job, 2)
    at.run()
    nodes = list(at.main)
    form = next(node for node in nodes if node.type == "expander" and node.label.startswith("Train another run"))
    assert not form.proto.expanded
    assert any(button.label == "Start training" for button in form.button)
    live = next(index for index, node in enumerate(nodes) if node.type == "progress")
    assert live < nodes.index(form), "the running job is drawn above the folded form"
    machine_queue().stop(job, job.owner)
    assert machine_queue().wait(job, 60)


@pytest.mark.slow
def test_a_reopened_job_link_fills_the_form_with_the_jobs_settings():
    at = open_page(TRAIN)
    job = configure(at, images=3_000, epochs=2, models=("cnn",))
    assert machine_queue().wait(job, 120)
    again = open_page(TRAIN, job=job.job_id)  # a fresh session: only the link knows the settings
    assert next(widget for widget in again.select_slider if widget.label == "Training images").value == 3_000
    assert next(widget for widget in again.slider if widget.label == "Epochs").value == 2
    assert again.multiselect[0].value == ["cnn"]


def test_the_intro_promises_only_what_the_chosen_images_can_show():
    full = open_page(TRAIN)
    assert any("55,000 training images" in text.value and "98% within an epoch" in text.value for text in full.markdown)
    small = open_page(TRAIN, images="1000")
    intro = next(text.value for text in small.markdown if "Start training" in text.value)
    assert "917 training images" in intro and "neither network reaches 98%" in intro
    assert "within an epoch" not in intro


@pytest.mark.slow
def test_the_first_job_starts_its_training_process_without_running_a_page_in_it(capfd):
    """The spawned training process must not re-run the page script (Streamlit's __main__): outside a session
    every streamlit call there logs 'missing ScriptRunContext'."""
    at = open_page(TRAIN)
    job = configure(at, images=1_000, epochs=1, models=("dnn",))
    assert machine_queue().wait(job, 120) and job.status == "done"
    assert "missing ScriptRunContext" not in capfd.readouterr().err


def test_a_malformed_run_is_skipped_with_one_sentence_and_the_others_stay_usable(lab_home):
    """One visitor's broken run folder must not take "Saved runs" away from everyone."""
    import json
    import shutil

    from webapp.paths import DEFAULT_MODELS_DIR

    broken = lab_home / "runs" / "20260101-000000-cnn-beef"
    shutil.copytree(DEFAULT_MODELS_DIR / "cnn", broken)
    config = json.loads((broken / "config.json").read_text())
    (broken / "config.json").write_text(json.dumps({**config, "train_config": "zzz"}))
    at = open_page(TRAIN)
    assert not at.exception, at.exception
    (warning,) = [warning.value for warning in at.warning if "20260101-000000-cnn-beef" in warning.value]
    assert warning == "Skipped 20260101-000000-cnn-beef: its training settings are not a mapping."
    assert any(option.startswith("default-cnn") for option in at.selectbox(key="selected_run").options)


def test_deleting_a_run_on_a_read_only_disk_is_one_sentence(lab_home, monkeypatch):
    import errno

    import types

    from webapp.networks import build
    from webapp.ownership import new_secret, owner_key
    from webapp.store import RunStore
    from webapp.ui.identity import SESSION_KEY

    secret = new_secret()  # the browser that trained the run: only it may delete it
    info = RunStore().save("20260101-000000-dnn-dead", build("dnn"), {"model": "dnn", "owner": owner_key(secret)},
                           {"batches": [], "validations": [], "epoch_seconds": []})

    def read_only(self, run_id):
        raise OSError(errno.EROFS, "Read-only file system", str(info.path))

    monkeypatch.setattr(RunStore, "delete", read_only)
    at = open_page(TRAIN, browser_of=types.SimpleNamespace(session_state={SESSION_KEY: secret}))
    picker = at.selectbox(key="selected_run")
    picker.select(next(option for option in picker.options if option.startswith(info.run_id))).run()
    at.button(key=f"delete_{info.run_id}").click().run()
    assert not at.exception, at.exception
    assert [error.value for error in at.error] == ["The lab could not save: its disk is read-only."]


def test_a_job_a_crashed_server_was_training_is_shown_as_interrupted(lab_home):
    """The next server start finds the record of a dead server's training process and marks its job."""
    import json
    import subprocess
    import sys

    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    lab_home.mkdir(parents=True, exist_ok=True)
    (lab_home / "training-process.json").write_text(json.dumps({
        "server_pid": finished.pid, "server_started": None, "pid": finished.pid, "started": None,
        "job": {"job_id": "job-0123abcd", "owner": "someone", "config": {"models": ["dnn"], "epochs": 3}}}))
    at = open_page(TRAIN, job="job-0123abcd")
    assert not at.exception, at.exception
    assert any("interrupted" in warning.value for warning in at.warning)
    assert json.loads((lab_home / "interrupted-jobs" / "job-0123abcd.json").read_text())["status"] == "interrupted"


@pytest.mark.slow
def test_a_job_interrupted_by_a_restart_shows_its_curves_and_its_owner_can_start_it_again(lab_home):
    """The job database of a server killed mid-job: the next server shows the job with the curves it had, and
    only the browser that started it gets the button that queues its settings again."""
    import sqlite3
    import types

    from tests.unit.test_job_store import SNAPSHOT, dead_pid
    from webapp.config import TrainConfig
    from webapp.job_store import JobStore, StoredJob
    from webapp.ownership import new_secret, owner_key
    from webapp.ui.identity import SESSION_KEY

    secret, config = new_secret(), TrainConfig(models=("dnn",), epochs=1, subset=1000)
    store = JobStore()
    store.add(StoredJob(job_id="job-0000beef", owner=owner_key(secret), status="queued", config=config.to_dict(),
                        submitted_at=time.time()))
    store.mark_running("job-0000beef", time.time())
    store.save_snapshot("job-0000beef", 0, SNAPSHOT)
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE jobs SET server_pid = ?", (dead_pid(),))
    stranger = open_page(TRAIN, job="job-0000beef")
    assert any("interrupted" in warning.value for warning in stranger.warning)
    assert any("Plotted: DNN:" in caption.value for caption in stranger.caption), "the curves it had"
    assert not any(button.label == "Start again" for button in stranger.button)
    assert any("Only the browser that started this job" in caption.value for caption in stranger.caption)
    owner = open_page(TRAIN, browser_of=types.SimpleNamespace(session_state={SESSION_KEY: secret}),
                      job="job-0000beef")
    next(button for button in owner.button if button.label == "Start again").click().run()
    owner.run()  # AppTest drops a click made right after a run that ended in st.rerun; a browser does not
    assert not owner.exception, owner.exception
    again = machine_queue().get(owner.query_params["job"])
    assert again.job_id != "job-0000beef" and again.config == config and again.owner == owner_key(secret)
    machine_queue().stop(again, again.owner)
    assert machine_queue().wait(again, 120)


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


@pytest.mark.slow
def test_a_race_on_another_dataset_is_shown_with_that_datasets_test_set_and_classes():
    at = open_page(TRAIN)
    next(box for box in at.selectbox if box.label == "Dataset").set_value("mnist-5-9").run()
    slider = next(widget for widget in at.select_slider if widget.label == "Training images")
    assert slider.options[-1] == "29,404", "the sizes follow the dataset: 5421 + 5918 + 6265 + 5851 + 5949 digits"
    job = configure(at)
    assert job.config.dataset == "mnist-5-9"
    assert machine_queue().wait(job, 120)
    at.run()
    assert not at.exception, at.exception
    assert any(header.value == "Results on the 4,861 test digits of MNIST digits 5-9" for header in at.subheader)
    assert all(run.record.dataset == "mnist-5-9" for run in job.runs)
    true_picker = next(box for box in at.selectbox if box.label == "True digit")
    assert true_picker.options == ["all (no filter)", "5", "6", "7", "8", "9"], "labels 0-4 of the view are named 5-9"
    assert not any(caption.value.startswith("Published on the same test set") for caption in at.caption), \
        "a view has no published points of its own"


@pytest.mark.slow
def test_a_fashion_link_opens_on_clothes_says_what_to_notice_and_ends_with_garments_and_published_points():
    at = open_page(TRAIN, dataset="fashion")
    assert next(box for box in at.selectbox if box.label == "Dataset").value == "fashion"
    intro = next(block.value for block in at.markdown if block.value.startswith("Pick a dense network"))
    assert "shirts are read as T-shirts, pullovers and coats" in intro and "A 2-layer CNN 91.5%" in intro
    job = configure(at)
    assert job.config.dataset == "fashion"
    assert machine_queue().wait(job, 120)
    at.run()
    assert not at.exception, at.exception
    results = "Results on the 10,000 test garments of Fashion-MNIST clothes"
    assert any(header.value == results for header in at.subheader)
    assert any(caption.value.startswith("Published on the same test set, for comparison:")
               and "A multilayer perceptron (MLP): 88.50%" in caption.value for caption in at.caption)
    true_picker = next(box for box in at.selectbox if box.label == "True garment")
    assert "Shirt" in true_picker.options and "T-shirt/top" in true_picker.options


def test_a_browser_lists_and_deletes_its_own_runs_and_never_another_browsers():
    """Runs belong to the browser whose job trained them: another visitor neither lists nor deletes them; runs made
    with the command line (no owner) are listed to all and deleted from the pages by none."""
    import types

    import numpy as np

    from webapp.networks import build
    from webapp.ownership import new_secret, owner_key
    from webapp.store import RunStore
    from webapp.ui.identity import SESSION_KEY

    mine, theirs, store = new_secret(), new_secret(), RunStore()
    ids = {"mine": "20261130-100000-dnn-aaaa", "theirs": "20261130-100001-dnn-bbbb", "cli": "20261130-100002-dnn-cccc"}
    for whose, secret in (("mine", mine), ("theirs", theirs), ("cli", None)):
        record = {"model": "dnn", "status": "done", "test_accuracy": 0.9, "train_config": {}}
        if secret:
            record["owner"] = owner_key(secret)
        store.save(ids[whose], build("dnn"), record, {"batches": [], "validations": []}, np.zeros(3, np.uint8))
    at = open_page(TRAIN, browser_of=types.SimpleNamespace(session_state={SESSION_KEY: mine}))
    listed = set(next(frame.value for frame in at.dataframe if "run" in frame.value.columns)["run"])
    assert {ids["mine"], ids["cli"]} <= listed and ids["theirs"] not in listed
    at.selectbox(key="selected_run").set_value(ids["mine"]).run()
    assert any(button.label == "Delete run" for button in at.button)
    at.selectbox(key="selected_run").set_value(ids["cli"]).run()
    assert not any(button.label == "Delete run" for button in at.button)
    assert any("Only the browser that trained a run deletes it" in caption.value for caption in at.caption)
    stranger = open_page(TRAIN)
    assert ids["mine"] not in set(next(frame.value for frame in stranger.dataframe
                                       if "run" in frame.value.columns)["run"])
