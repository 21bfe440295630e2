"""Many visitors at once: Streamlit runs every visitor's script in its own thread of one process, and after
each run it cleans up. Every page's computations must give, in eight threads at once, exactly what they give
alone (issue 18: concurrent Architectures pages failed with `The name "conv2d" is used 3 times`)."""
from __future__ import annotations

import io
import threading
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.scriptrunner import script_runner

from tests.conftest import synthetic_digits
from webapp import summary
from webapp.architectures import ARCHITECTURE_NAMES, Design
from webapp.augment import pipeline_to_dict, preset_pipeline
from webapp.augment_preview import augment_samples, random_digits
from webapp.digits import to_mnist
from webapp.inside import feature_maps, occlusion_map
from webapp.keras_state import clear_this_thread
from webapp.predict import probabilities
from webapp.stages import KernelChoice, StageConfig, process_photo
from webapp.store import RunStore
from webapp.ui.sessions import clean_up_after_run, keep_sessions_apart

THREADS = 8
DEFAULT_RUNS = ("default-dnn", "default-cnn", "default-lenet")


def streamlit_clean_up() -> None:
    """What Streamlit's script runner calls after every script run of every visitor."""
    script_runner._clean_problem_modules()


def drawing() -> np.ndarray:
    """A transparent RGBA canvas, as the drawing widget returns it, with a stroke like a 1."""
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[40:240, 130:150] = (0, 0, 0, 255)
    return canvas


def photo_png() -> bytes:
    """A small RGB photo with edges for the stage filters to find."""
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[8:40, 16:48] = (200, 120, 40)
    pixels[20:28, :] = (30, 220, 90)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def every_page_input(shared_models: dict[str, Any]) -> dict[str, Any]:
    """One visitor's round of the lab: every network's table (built afresh, past the per-process cache), a
    drawing read by every model, the CNN's insides, CNN stages on a photo and an augmentation preview. Between
    pages the visitor's script run ends, and Streamlit cleans up after it."""
    store = RunStore()
    results: dict[str, Any] = {}
    for name in ARCHITECTURE_NAMES:
        results[f"table {name}"] = summary.network_table.__wrapped__(name)
        streamlit_clean_up()
    results["table design"] = summary.design_table.__wrapped__(Design(blocks=2, dense_layers=2))
    digit = to_mnist(drawing()).digit
    results["digit"] = digit
    models = {**shared_models, "own default-cnn": store.load_model("default-cnn")}  # a first visit loads it
    for run_id, model in models.items():
        results[f"probabilities {run_id}"] = probabilities(model, digit)
    streamlit_clean_up()
    results["feature maps"] = feature_maps(shared_models["default-cnn"], digit)
    results["occlusion"] = occlusion_map(shared_models["default-cnn"], digit, label=1)
    for choice in (KernelChoice(source="random", count=3, seed=7), KernelChoice(source="model", run="cnn", count=4)):
        processed = process_photo(photo_png(), choice, StageConfig(),
                                  load_model=lambda run: shared_models[f"default-{run}"])
        results[f"stages {choice.source}"] = processed.result.arrays()
    streamlit_clean_up()
    images, labels = synthetic_digits(40, seed=3)
    chosen, chosen_labels = random_digits(images, labels, count=16, seed=11)
    samples = augment_samples(pipeline_to_dict(preset_pipeline("digits")), list(chosen), seed=5, labels=chosen_labels)
    results["augment"] = [(sample.image, sample.applied) for sample in samples]
    return results


def assert_same(alone: Any, together: Any, where: str = "") -> None:
    """Equal results, arrays to float rounding (the same ops may split their work differently)."""
    if isinstance(alone, np.ndarray):
        assert together.shape == alone.shape and together.dtype == alone.dtype, where
        assert np.allclose(together, alone, rtol=1e-5, atol=1e-6), where
    elif isinstance(alone, dict):
        assert together.keys() == alone.keys(), where
        for key in alone:
            assert_same(alone[key], together[key], f"{where}/{key}")
    elif isinstance(alone, (list, tuple)) and not hasattr(alone, "_fields"):
        assert type(together) is type(alone) and len(together) == len(alone), where
        for index, (one, other) in enumerate(zip(alone, together)):
            assert_same(one, other, f"{where}[{index}]")
    else:
        assert together == alone, where


def run_together(work: Callable[[], Any], threads: int) -> list[Any]:
    """`work` in `threads` threads released together, while other visitors' runs keep ending meanwhile."""
    start, finished = threading.Barrier(threads + 1), threading.Event()
    results: list[Any] = [None] * threads

    def visitor(index: int) -> None:
        start.wait()
        try:
            results[index] = work()
        except BaseException as error:  # noqa: BLE001 - reported by the test below, with its traceback
            results[index] = error

    def other_visitors() -> None:
        start.wait()
        while not finished.wait(0.005):
            streamlit_clean_up()

    pool = [threading.Thread(target=visitor, args=(index,)) for index in range(threads)]
    cleaner = threading.Thread(target=other_visitors)
    for thread in [*pool, cleaner]:
        thread.start()
    for thread in pool:
        thread.join()
    finished.set()
    cleaner.join()
    return results


@pytest.mark.slow
def test_eight_visitors_at_once_see_what_one_visitor_sees():
    keep_sessions_apart()  # as every page does first (webapp.ui.navigation.page_frame)
    store = RunStore()
    shared_models = {run_id: store.load_model(run_id) for run_id in DEFAULT_RUNS}  # cache_resource shares these
    alone = every_page_input(shared_models)
    for index, together in enumerate(run_together(lambda: every_page_input(shared_models), THREADS)):
        if isinstance(together, BaseException):
            raise AssertionError(f"visitor {index} failed") from together
        assert_same(alone, together, f"visitor {index}")


def test_the_lab_replaces_streamlits_clean_up():
    assert hasattr(script_runner, "_clean_problem_modules"), \
        "Streamlit renamed its clean-up: update webapp/ui/sessions.py"
    keep_sessions_apart()
    assert script_runner._clean_problem_modules is clean_up_after_run


def keras_state_seen_from_another_thread(clear: Callable[[], None]) -> tuple[str, bool]:
    """A thread opens a StatelessScope and names a layer; `clear` runs meanwhile in this thread; then the
    other thread names a second layer and checks its scope: (second name, scope still open)."""
    import keras
    from keras.src.backend.common.stateless_scope import in_stateless_scope

    named, cleared, seen = threading.Event(), threading.Event(), {}

    def build() -> None:
        with keras.StatelessScope(initialize_variables=False):
            keras.layers.Dense(1)
            named.set()
            cleared.wait()
            seen.update(name=keras.layers.Dense(1).name, in_scope=in_stateless_scope())

    thread = threading.Thread(target=build)
    thread.start()
    named.wait()
    clear()
    cleared.set()
    thread.join()
    return seen["name"], seen["in_scope"]


def test_keras_clear_session_resets_every_threads_state():
    """Why the lab replaces Streamlit's clean-up: Keras's own reset reaches into other threads. If Keras
    ever resets only the calling thread, this fails, and webapp/ui/sessions.py may go."""
    import keras

    assert keras_state_seen_from_another_thread(
        lambda: keras.backend.clear_session(free_memory=False)) == ("dense", False)


def test_the_lab_clean_up_resets_only_its_own_thread():
    from keras.src.utils.naming import auto_name

    auto_name("probe")
    assert keras_state_seen_from_another_thread(clear_this_thread) == ("dense_1", True)
    assert auto_name("probe") == "probe"  # this thread's names start again
