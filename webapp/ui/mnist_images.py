"""The Draw & Predict page's "MNIST test images" tab: any test image by index, both models' readings, and buttons
that jump to the next or previous image a model misreads. `?test_image=N` in the URL opens the tab on image N."""
from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from webapp import misreads as core
from webapp.network_catalog import short_name
from webapp.store import RunInfo
from webapp.ui import cached
from webapp.ui.predictions import show_predictions

TEST_IMAGES_TAB = "MNIST test images"
INDEX_KEY = core.TEST_IMAGE_PARAM  # the number input's key, the same name as the link's parameter
NOTE_KEY = "test_image_note"  # a sentence left by a button for the next run (nothing misread further on)
PROBLEM_KEY = "test_image_problem"  # why the link's `?test_image=` was not used
ENLARGE = 6  # 28x28 pixels drawn as 6x6 blocks: 168 pixels, each pixel still a sharp square


def tab_from_link() -> str | None:
    """The tab a `?test_image=` link opens (also for a bad value, so its sentence is seen)."""
    return TEST_IMAGES_TAB if core.TEST_IMAGE_PARAM in st.query_params else None


@st.cache_data(show_spinner="Reading all 10,000 test images...", max_entries=8)
def test_set_labels(run_id: str, signature: float) -> np.ndarray:
    """One model run's label for every test image, computed once per run (its folder's mtime refreshes it)."""
    return core.readings(cached.run_model(run_id, signature), cached.mnist().x_test)


def misread_mask(chosen: dict[str, RunInfo]) -> np.ndarray:
    """True for each test image that at least one chosen model misreads."""
    labels = cached.mnist().y_test
    return core.misread_mask(labels, {kind: test_set_labels(info.run_id, info.path.stat().st_mtime)
                                      for kind, info in chosen.items()})


def jump_to_misread(chosen: dict[str, RunInfo], forward: bool) -> None:
    """Button callback: open the next (or previous) misread image, or leave a sentence saying there is none."""
    try:
        mask, current = misread_mask(chosen), int(st.session_state[INDEX_KEY])
    except OSError:
        st.session_state[NOTE_KEY] = "A chosen run has just been deleted: pick another model in the sidebar."
        return
    target = core.next_misread(mask, current) if forward else core.previous_misread(mask, current)
    if target is None:
        st.session_state[NOTE_KEY] = (f"No test image after {current} is misread by the chosen models." if forward
                                      else f"No test image before {current} is misread by the chosen models.")
        return
    st.session_state[INDEX_KEY] = target
    st.session_state.pop(NOTE_KEY, None)


def forget_test_image() -> None:
    """Another tab is open: the link no longer names a test image (so a reload opens the tab in view)."""
    if core.TEST_IMAGE_PARAM in st.query_params:
        del st.query_params[core.TEST_IMAGE_PARAM]


def start_index(count: int) -> None:
    """On the first run, the number input starts at the link's test image (or 0, with a sentence why)."""
    if INDEX_KEY not in st.session_state:
        st.session_state[INDEX_KEY], st.session_state[PROBLEM_KEY] = core.parse_index(
            st.query_params.get(core.TEST_IMAGE_PARAM), count)


def show_test_images(models: dict[str, Any], chosen: dict[str, RunInfo]) -> None:
    """One test image, its true label and both readings, then the misread buttons."""
    mnist = cached.mnist()
    count = len(mnist.y_test)
    start_index(count)
    index = st.number_input("Test image", min_value=0, max_value=count - 1, step=1, key=INDEX_KEY,
                            on_change=lambda: st.session_state.pop(NOTE_KEY, None),
                            help=f"Any of MNIST's {count:,} test images, by index. "
                                 "A link opens one: /draw?test_image=0.")
    if index != 0 or core.TEST_IMAGE_PARAM in st.query_params:  # a plain /draw link stays plain
        st.query_params[core.TEST_IMAGE_PARAM] = str(index)
    problem = st.session_state.get(PROBLEM_KEY)
    if problem and index == 0:
        st.warning(problem)
    label, image = int(mnist.y_test[index]), mnist.x_test[index]
    left, right = st.columns([1, 2], gap="medium")
    left.image(np.kron(image, np.ones((ENLARGE, ENLARGE), dtype=image.dtype)), width=28 * ENLARGE,
               caption=f"Test image {index}, as the models see it")
    left.metric("True label", str(label), help="The label MNIST gives this test image.")
    with right:
        predictions = show_predictions(models, chosen, image)  # already a 28x28 MNIST digit: no preparation
    misread = [f"the {short_name(chosen[kind].model_name)} reads {p.label}" for kind, p in predictions.items()
               if p.label != label]
    st.write(f"Misread: {' and '.join(misread)}, but the label is {label}." if misread
             else "Both models read it correctly.")
    if index == core.SEED_003_INDEX:
        st.info(f"Seed 003 reports test image 0 predicted as {core.SEED_003_LABEL}, with probability "
                f"{core.SEED_003_PROBABILITY:.4f} (its dense net after 5 epochs); compare the lab's readings above.")
    misread_buttons(chosen)


def misread_buttons(chosen: dict[str, RunInfo]) -> None:
    with st.container(horizontal=True):
        st.button("Previous misread one", icon=":material/skip_previous:", on_click=jump_to_misread,
                  args=(chosen, False), help="The nearest earlier test image that a chosen model reads wrongly.")
        st.button("Next misread one", icon=":material/skip_next:", on_click=jump_to_misread, args=(chosen, True),
                  help="The next test image that a chosen model reads wrongly (all 10,000 are read once per model).")
    if NOTE_KEY in st.session_state:
        st.info(st.session_state[NOTE_KEY])
