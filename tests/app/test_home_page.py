import subprocess
import sys
import tomllib
from dataclasses import replace

from tests.app.conftest import open_page
from tests.conftest import PROJECT_ROOT


def test_home_shows_the_offer_the_device_data_and_default_models():
    at = open_page()
    assert at.title[0].value == "Welcome to ConvNet Lab"
    metrics = {metric.label: metric.value for metric in at.metric}
    assert list(metrics) == ["Device", "Training jobs", "MNIST handwritten digits", "Fashion-MNIST clothes",
                             "Default models"]
    assert metrics["MNIST handwritten digits"] == metrics["Fashion-MNIST clothes"] == "found"  # both in data/
    assert int(metrics["Default models"]) >= 2  # the shipped DNN and CNN
    assert metrics["Training jobs"] == "0 running, 0 waiting"  # how busy the lab is, no names
    assert any(caption.value == "**Data:** MNIST handwritten digits found; Fashion-MNIST clothes found"
               for caption in at.sidebar.caption)
    assert any("Quick start" in header.value for header in at.subheader)


def test_home_says_which_dataset_file_is_missing_and_where_it_goes(monkeypatch):
    from webapp import datasets

    monkeypatch.setattr(datasets, "CATALOG", {**datasets.CATALOG, "fashion": replace(
        datasets.FASHION, file="nowhere.npz")})
    at = open_page()
    missing = next(metric for metric in at.metric if metric.label == "Fashion-MNIST clothes")
    assert missing.value == "missing"
    assert any(caption.value == "Put nowhere.npz in the lab's data folder." for caption in at.caption)
    found = [caption.value for caption in at.caption if caption.value.startswith("mnist")]
    assert found and "/" not in found[0] and "MB" in found[0]  # a name and a size, never the server's paths
    assert any("Fashion-MNIST clothes missing (see Home)" in caption.value for caption in at.sidebar.caption)


def test_home_does_not_import_tensorflow():
    code = ("import sys; sys.path.insert(0, '.'); from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file('app.py', default_timeout=60).run(); "
            "assert not at.exception; print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-1000:]


def test_streamlit_config_hides_tracebacks_caps_uploads_and_sends_no_stats():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] == 20
    assert config["browser"]["gatherUsageStats"] is False
    procfile = (PROJECT_ROOT / "Procfile").read_text().strip()
    assert procfile == "web: streamlit run app.py --server.port $PORT --server.address 0.0.0.0"


def test_every_page_keeps_streamlits_clean_up_to_its_own_visitor(monkeypatch):
    """Streamlit's stock clean-up after a run resets Keras in every visitor's thread (webapp/ui/sessions.py)."""
    from streamlit.runtime.scriptrunner import script_runner

    from webapp.ui.sessions import clean_up_after_run

    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: None)  # as before any page ran
    assert not open_page().exception
    assert script_runner._clean_problem_modules is clean_up_after_run


def test_home_says_in_one_sentence_that_a_job_database_that_is_not_the_labs_was_moved_aside(lab_home):
    lab_home.mkdir(parents=True, exist_ok=True)
    (lab_home / "jobs.sqlite3").write_bytes(b"these bytes are no database" * 50)
    at = open_page()
    assert not at.exception, at.exception
    sentences = [warning.value for warning in at.warning if "job database" in warning.value]
    assert len(sentences) == 1 and "moved aside to jobs.sqlite3.not-the-labs-" in sentences[0]
    assert any(path.name.startswith("jobs.sqlite3.not-the-labs-") for path in lab_home.iterdir())


def test_home_gives_each_pages_blurb_its_own_wrapping_line():
    """A page link's label stays on one line and is cut at the page's edge (on a phone, after a few words): the
    blurb is a caption under the link instead."""
    from webapp.ui.navigation import PAGES

    captions = [caption.value for caption in open_page().caption]
    assert all(entry.blurb in captions for entry in PAGES[1:])


def test_home_says_in_one_sentence_that_max_jobs_is_no_number_and_that_the_ray_cluster_cannot_be_reached(
        monkeypatch):
    import socket

    from webapp import executors

    with socket.socket() as probe:  # a port nothing listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        monkeypatch.setenv("CONVNET_LAB_MAX_JOBS", "many")
        monkeypatch.setenv("CONVNET_LAB_RAY_ADDRESS", f"ray://127.0.0.1:{port}")
        monkeypatch.setattr(executors, "_ray_problem", {})
        at = open_page()
    assert not at.exception, at.exception
    warnings = [warning.value for warning in at.warning]
    sentence = "CONVNET_LAB_MAX_JOBS must be a positive whole number; it is 'many', so one job trains at a time."
    assert sentence in warnings
    ray = [sentence for sentence in warnings if "Ray" in sentence]
    assert len(ray) == 1 and ray[0].endswith("training runs on this server instead."), ray
