"""`bench load`: its statistics, goal, memory reading and protocol parsing on synthetic data, and the websocket
client against a real server (Home, then one Stages kernel change)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import numpy as np
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from webapp import cli
from webapp.bench import load
from webapp.ui.protocol_client import EARLY_FOR_RERUN, LabSession, RunResult, Widget, widget_value


# -- statistics and the goal --------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[5.0], [3.0, 1.0], [10.0, 1.0, 7.0, 3.0, 4.0], list(np.arange(37) ** 1.5)])
@pytest.mark.parametrize("share", [0.0, 0.5, 0.95, 1.0])
def test_percentile_matches_numpys_linear_interpolation(values, share):
    assert load.percentile(values, share) == pytest.approx(np.percentile(values, share * 100))


def test_percentile_of_nothing_says_so():
    with pytest.raises(ValueError, match="no values"):
        load.percentile([], 0.95)


def test_rows_give_each_actions_median_p95_and_errors_without_the_failed_runs_times():
    samples = [load.Sample("Stages: change a kernel", seconds) for seconds in (0.1, 0.2, 0.3, 0.4)]
    samples += [load.Sample("Stages: change a kernel", 9.0, "exception: ValueError: boom"),
                load.Sample("Stages: change a kernel", None, "no script_finished within 60 s"),
                load.Sample(load.SUBMIT, 2.0), load.Sample("Augment: Resample", 0.5, client="chromium")]
    rows = {(row["client"], row["action"]): row for row in load.action_rows(samples)}
    kernel = rows[("generator", "Stages: change a kernel")]
    assert (kernel["runs"], kernel["errors"], kernel["median_ms"]) == (6, 2, 250.0)
    assert kernel["p95_ms"] == pytest.approx(np.percentile([100, 200, 300, 400], 95))
    assert kernel["goal"] and not rows[("generator", load.SUBMIT)]["goal"]
    assert rows[("chromium", "Augment: Resample")]["median_ms"] == 500.0
    assert len(kernel["problems"]) == 2


def _rows(p95_ms: float, errors: int = 0, submit_ms: float = 9000.0) -> list[dict]:
    return [{"client": "generator", "action": "Home: open", "goal": True, "p95_ms": p95_ms, "errors": errors},
            {"client": "generator", "action": load.SUBMIT, "goal": False, "p95_ms": submit_ms, "errors": 0}]


@pytest.mark.parametrize("rows, memory, met", [
    (_rows(2900), {}, True),  # a slow submission does not count
    (_rows(3100), {}, False),
    (_rows(1000, errors=1), {}, False),
    (_rows(1000), {"peak_bytes": 3e9, "idle_server_bytes": 1e9, "after_server_bytes": 1.15e9}, True),
    (_rows(1000), {"peak_bytes": 5e9, "idle_server_bytes": 1e9, "after_server_bytes": 1.0e9}, False),
    (_rows(1000), {"peak_bytes": 3e9, "idle_server_bytes": 1e9, "after_server_bytes": 1.3e9}, False),
])
def test_the_goal_needs_no_errors_a_p95_within_3_s_and_memory_that_comes_back(rows, memory, met):
    assert load.goal_met(rows, memory) is met


def test_a_run_fails_when_it_times_out_raises_shows_an_error_or_draws_nothing():
    main = {(0, 0): object()}
    assert load.problem_of(RunResult(0.2, main), 60) == ""
    assert "within 60 s" in load.problem_of(RunResult(None), 60)
    assert load.problem_of(RunResult(0.2, main, exceptions=["ValueError: x"]), 60).startswith("exception")
    assert load.problem_of(RunResult(0.2, main, errors=["No models found"]), 60).startswith("error shown")
    assert load.problem_of(RunResult(0.2, {(1, 0): object()}), 60) == "blank page"  # the sidebar alone


# -- memory ------------------------------------------------------------------------------------------------
def test_tree_memory_counts_the_children_too():
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(64 << 20); time.sleep(30)"])
    try:
        for _ in range(100):  # until the child has allocated its 64 MiB
            memory = load.tree_memory(os.getpid())
            if memory["tree_bytes"] - memory["server_bytes"] > 60 << 20:
                break
            subprocess.run(["sleep", "0.1"])
        assert memory["server_bytes"] > 0 and memory["tree_bytes"] - memory["server_bytes"] > 60 << 20
    finally:
        child.kill()
        child.wait()
    assert load.resident_bytes(child.pid) == 0


# -- what the client sends and reads --------------------------------------------------------------------------
def _widget(kind: str, widget_id: str = "$$ID-0123abcd-my_key") -> Widget:
    return Widget(kind, widget_id, "Label", "", None)


def test_widget_values_are_serialised_the_way_the_browser_does():
    assert widget_value(_widget("button"), True).trigger_value is True
    assert widget_value(_widget("selectbox"), "VGG16 (2014)").string_value == "VGG16 (2014)"
    assert list(widget_value(_widget("multiselect"), ["box", "x"]).string_array_value.data) == ["box", "x"]
    assert widget_value(_widget("bidi_component"), {"drawing": None}).json_value == '{"drawing": null}'
    assert list(widget_value(_widget("slider"), 3).double_array_value.data) == [3.0]
    with pytest.raises(ValueError, match="camera_input"):
        widget_value(_widget("camera_input"), b"")


def test_a_widgets_key_is_the_end_of_its_id():
    assert _widget("button", "$$ID-0123abcd-stop_job-1a2b").key == "stop_job-1a2b"
    assert _widget("button", "$$ID-0123abcd-None").key == ""


def test_the_drawn_digit_is_a_picture_the_canvas_wrapper_reads_as_ink():
    """Decoded as streamlit-drawable-canvas's `CanvasResult.image_data` does (a PNG data URL)."""
    import base64
    import io

    from PIL import Image

    value = load.drawn_one(3)["drawing"]
    header, encoded = value["data"].split(";base64,", 1)
    assert header == "data:image/png"
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))
    assert pixels.shape == (load.CANVAS_SIDE, load.CANVAS_SIDE, 4)
    assert 0 < (pixels[..., 3] > 0).mean() < 0.2  # a stroke on transparent paper
    assert load.drawn_one(4)["drawing"]["raw"] != value["raw"]  # every run is a new drawing


def _delta(path: list[int], fragment: str = "") -> ForwardMsg:
    message = ForwardMsg()
    message.metadata.delta_path.extend(path)
    message.delta.fragment_id = fragment
    return message


def test_the_client_follows_a_run_as_the_browser_does():
    session, result = LabSession("http://127.0.0.1:1"), RunResult(None)
    old = _delta([0, 9])
    old.delta.new_element.markdown.body = "from the last run"
    session._apply(old, result)
    new_session = ForwardMsg()
    new_session.new_session.page_script_hash = "abc"
    session._apply(new_session, result)
    assert session.elements == {}  # a full run redraws the page
    button = _delta([0, 1], fragment="frag")
    button.delta.new_element.button.id, button.delta.new_element.button.label = "$$ID-00ff-None", "Resample"
    failure = _delta([0, 2])
    failure.delta.new_element.exception.type, failure.delta.new_element.exception.message = "KeyError", "'x'"
    alert = _delta([0, 3])
    alert.delta.new_element.alert.body, alert.delta.new_element.alert.format = "Bad photo.", 1  # ERROR
    navigation, info, auto = ForwardMsg(), ForwardMsg(), ForwardMsg()
    page = navigation.navigation.app_pages.add()
    page.url_pathname, page.page_script_hash = "stages", "h-stages"
    navigation.navigation.page_script_hash = "h-stages"
    info.page_info_changed.query_string = "job=1"
    auto.auto_rerun.fragment_id, auto.auto_rerun.interval = "live", 1.0
    for message in (button, failure, alert, navigation, info, auto):
        assert session._apply(message, result) is None
    fragment_run = ForwardMsg()
    fragment_run.new_session.page_script_hash = "h-stages"
    fragment_run.metadata.run.fragment_ids.append("live")
    session._apply(fragment_run, result)  # a fragment's run keeps the rest of the page and its refreshes
    finished = ForwardMsg()
    finished.script_finished = EARLY_FOR_RERUN
    assert session._apply(finished, result) == EARLY_FOR_RERUN
    assert session.widget(label="Resample").fragment_id == "frag"
    assert (session.pages, session.page_hash, session.query) == ({"stages": "h-stages"}, "h-stages", "job=1")
    assert session.auto_reruns == {"live": 1.0}
    assert result.exceptions == ["KeyError: 'x'"] and result.errors == ["Bad photo."]
    with pytest.raises(LookupError, match="Start training"):
        session.widget(label="Start training")


@pytest.mark.parametrize("args", [["--sessions", "0"], ["--minutes", "0"], ["--minutes", "three"],
                                  ["--url", "localhost:8501"]])
def test_bad_arguments_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "load", *args])
    assert exit_info.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_good_arguments_reach_the_benchmark(monkeypatch, capsys):
    seen = {}

    def fake(sessions, minutes, **options):
        seen.update(sessions=sessions, minutes=minutes, url=options["url"], think=options["think"])
        rows = load.action_rows([load.Sample("Home: open", 0.25)])
        return {"rows": rows, "summary": {"benchmark": "load", "summary": True}}

    monkeypatch.setattr(load, "load_benchmark", fake)
    assert cli.main(["bench", "load", "--sessions", "4", "--minutes", "0.5", "--url", "http://127.0.0.1:1",
                     "--think", "2", "--json"]) == 0
    assert seen == {"sessions": 4, "minutes": 0.5, "url": "http://127.0.0.1:1", "think": 2.0}
    lines = capsys.readouterr().out.splitlines()
    assert '"median_ms": 250.0' in lines[0] and '"summary": true' in lines[-1]


# -- against a real server ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from webapp.lab_server import free_port, start_server, stop_server, wait_until_healthy

    port = free_port()
    process = start_server(port, env={"CONVNET_LAB_HOME": str(tmp_path_factory.mktemp("lab-home"))})
    try:
        wait_until_healthy(port, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.mark.slow
def test_the_client_opens_home_and_changes_a_stages_kernel_on_a_real_server(lab):
    async def walk() -> tuple[RunResult, RunResult, list[str], RunResult, list[str]]:
        session = LabSession(lab, timeout=120)
        try:
            home = await session.open("/")
            stages = await session.navigate("stages")
            before = session.texts("heading")
            kernels = session.widget(label="Kernels")
            changed = await session.rerun((kernels, list(kernels.proto.options[:1])))
            return home, stages, before, changed, session.texts("heading")
        finally:
            await session.close()

    home, stages, before, changed, after = asyncio.run(walk())
    for result in (home, stages, changed):
        assert result.seconds is not None and not result.exceptions and load.problem_of(result, 120) == ""
    assert any(heading.startswith("2 · Convolution") and heading.endswith("x4") for heading in before)  # 4 kernels
    assert any(heading.startswith("2 · Convolution") and heading.endswith("x1") for heading in after)  # now one


def test_the_server_skips_streamlits_full_collection_after_every_run():
    """Measured with `bench load`: with TensorFlow loaded, `runner.postScriptGC` cost about 0.2 s of CPU per click,
    which alone saturated two cores with 30 learners."""
    import tomllib

    from webapp.paths import PROJECT_ROOT

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


@pytest.mark.parametrize("collect", [True, False])
def test_giving_memory_back_collects_garbage_only_when_asked(monkeypatch, collect):
    """The Stages page lets go of its arrays with `del` and skips the costly full collection (`collect=False`)."""
    import gc

    from webapp import memory

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or 0)
    memory.release_freed_memory(collect=collect)
    assert bool(calls) is collect


def test_memory_figures_name_each_moment_with_and_without_the_training_process():
    idle, peak = {"server_bytes": 1, "tree_bytes": 2}, {"server_bytes": 3, "tree_bytes": 4}
    assert load.memory_figures(idle, peak, None) == {
        "idle_bytes": 2, "idle_server_bytes": 1, "peak_bytes": 4, "peak_server_bytes": 3,
        "after_bytes": None, "after_server_bytes": None}


def test_jobs_are_counted_by_status_from_the_labs_own_database(tmp_path):
    from webapp import job_store

    store = job_store.JobStore(job_store.database_path(tmp_path))
    for number, status in enumerate(["running", "stopped", "stopped"]):
        store.add(job_store.StoredJob(f"job-{number}", "owner", status, {}))
    store.finish("job-2", "failed", 1.0, "The disk is full.", [])
    store.close()
    assert load.jobs_by_status(str(tmp_path)) == {"running": 1, "stopped": 1, "failed": 1,
                                                  "errors": ["The disk is full."]}
    assert load.jobs_by_status(None) == {}


def test_a_step_that_fails_is_one_failed_action_not_the_end_of_the_run():
    tally = load.Tally()
    learner = load.Learner(0, "http://127.0.0.1:1", tally, think=0.0, timeout=1.0)

    def missing_widget():
        return learner.session.widget(label="Resample")  # raises before any rerun is sent

    assert asyncio.run(learner.timed("Augment: Resample", missing_widget)) is None
    assert tally.samples[0].seconds is None and tally.samples[0].problem.startswith("LookupError")


def test_the_background_jobs_timing_is_read_relative_to_the_learners_arrival(tmp_path):
    from webapp import job_store

    store = job_store.JobStore(job_store.database_path(tmp_path))
    store.add(job_store.StoredJob("job-bg", "owner", "queued", {}, submitted_at=90.0))
    store.mark_running("job-bg", 95.0)
    store.finish("job-bg", "done", 160.0, None, [])
    store.close()
    assert load.background_job_timing(str(tmp_path), "job-bg", 100.0) == {"status": "done", "started_s": -5.0,
                                                                         "ended_s": 60.0}
    assert load.background_job_timing(str(tmp_path), "job-other", 100.0) == {"status": "missing"}
    assert load.background_job_timing(None, "job-bg", 100.0) == {}
