"""Draw & Predict panels: what the model sees, and each model's answer with its ten probabilities."""
from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from webapp.datasets import DEFAULT_DATASET
from webapp.digits import Preprocessed
from webapp.network_catalog import has_convolutions, short_name
from webapp.predict import Prediction, classify, not_a_digit_note
from webapp.store import RunInfo
from webapp.ui import cached
from webapp.ui.model_style import KIND_STYLES, model_encodings, series_styles
from webapp.ui.theme import ink, is_dark, muted_ink, themed

STEP_CAPTIONS = {"ink": "ink", "lines removed": "ruled lines removed", "cropped": "cropped to the ink",
                 "20x20": "fitted in 20x20", "28x28": "centred: what the model sees"}


def model_pickers() -> dict[str, RunInfo]:
    """Sidebar choice of the dense and the convolutional model (shipped defaults or any saved run that reads all
    ten MNIST digits: a run on another dataset answers other classes)."""
    runs = [info for info in cached.visible_runs().runs if info.record.dataset == DEFAULT_DATASET]
    chosen = {}
    with st.sidebar:
        for kind, label in (("dnn", "Dense model"), ("cnn", "Convolutional model")):
            options = [info for info in runs if has_convolutions(info.model_name) == (kind == "cnn")]
            if not options:
                continue
            picked = st.selectbox(label, options, format_func=lambda info: info.label, key=f"pick_{kind}",
                                  help="The shipped default or any run you trained on MNIST on the Train page.")
            chosen[kind] = picked
    return chosen


def loaded_models(chosen: dict[str, RunInfo]) -> dict[str, Any]:
    """The chosen models, loaded once per server; a damaged or vanished run stops the page with a sentence."""
    try:
        return {kind: cached.model_of(info) for kind, info in chosen.items()}
    except LookupError as problem:
        st.error(str(problem))
        st.stop()


def photo_upload() -> tuple[Any, str | None]:
    """A photo of one digit through the shared safe loader: (pixels or None, the prompt to show without one;
    None after an unreadable file, whose sentence is already shown)."""
    from webapp.images import ImageError, load_image, to_array
    from webapp.predict import DECODE_MAX_SIDE

    upload = st.file_uploader("Photo of one handwritten digit", type=["png", "jpg", "jpeg", "webp", "bmp", "gif"],
                              help="Dark ink on paper or light on dark; it is cropped, boxed and centred like a "
                                   "drawing.")
    if upload is None:
        return None, "Upload a photo of one handwritten digit."
    try:
        return to_array(load_image(upload.getvalue(), max_side=DECODE_MAX_SIDE)), None
    except ImageError as problem:
        st.error(str(problem))
        return None, None


def show_steps(prepared: Preprocessed) -> None:
    """Each step as a square thumbnail (narrow crops padded with black, as the model would see them), in a row
    that wraps rather than stacks, so on a phone the steps do not push the answers a screen down."""
    row = st.container(horizontal=True, gap="xsmall")
    for name, image in prepared.steps.items():
        row.image(pad_to_square(image), caption=STEP_CAPTIONS.get(name, name), width=80, clamp=True)


def pad_to_square(image: np.ndarray) -> np.ndarray:
    height, width = image.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=image.dtype)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = image
    return square


def probability_chart(prediction: Prediction, kind: str | None = None) -> alt.LayerChart:
    """Ten bars; the answer's bar in the model's own colour (the same as on every chart) and outlined."""
    frame = pd.DataFrame({"digit": list(range(10)), "probability": prediction.probabilities})
    frame["top"] = frame["digit"] == prediction.label
    base = alt.Chart(frame).encode(x=alt.X("digit:O", title="Digit", axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1])))
    # the answer's bar differs by an outline in the theme's ink as well as by colour
    answer_colour = KIND_STYLES.get(kind or "", KIND_STYLES["dnn"]).color
    bars = base.mark_bar(strokeWidth=2).encode(
        color=alt.condition(alt.datum.top, alt.value(answer_colour), alt.value("#b0b0b0")),
        stroke=alt.condition(alt.datum.top, alt.value(ink()), alt.value(None)),
        tooltip=["digit:O", alt.Tooltip("probability:Q", format=".3f")])
    text = base.mark_text(dy=-6).encode(text=alt.Text("probability:Q", format=".0%"))
    return themed((bars + text).properties(height=220))


PROBABILITIES = "probabilities"  # the name of the chart's data in its Vega-Lite spec


@st.cache_data(show_spinner=False, max_entries=16)
def probability_layout(kind: str | None, dark: bool) -> dict[str, Any]:
    """`probability_chart`'s Vega-Lite spec without its numbers, made once per model and theme (`dark` keys the
    cache: the outline and the labels take the theme's ink). Building the Altair chart and checking it against
    the schema took about 300 ms for the two charts, on every pen-up; filling in ten numbers takes none."""
    spec = probability_chart(Prediction(0, [0.0] * 10), kind).to_dict(validate=False)
    spec.pop("datasets", None)
    spec["data"] = {"name": PROBABILITIES}
    return spec


def probability_spec(prediction: Prediction, kind: str | None = None) -> dict[str, Any]:
    """The chart of `probability_chart` as a Vega-Lite spec, its layout from the cache and these numbers in it."""
    spec = probability_layout(kind, is_dark())  # st.cache_data hands out a copy: this one can be filled in
    spec["datasets"] = {PROBABILITIES: [{"digit": digit, "probability": float(value), "top": digit == prediction.label}
                                        for digit, value in enumerate(prediction.probabilities)]}
    return spec


# -- Your classes: one bar per class of a learner's collection --------------------------------------------
def class_probability_rows(names: list[str], probabilities: np.ndarray) -> list[dict[str, Any]]:
    """The chart's numbers: each class's probability, the label written at its bar's end, and which is the answer."""
    top = int(np.argmax(probabilities))
    return [{"class": name, "probability": float(value),
             "text": f"{value:.0%}" + ("  ◀ answer" if index == top else ""), "top": index == top}
            for index, (name, value) in enumerate(zip(names, probabilities))]


def class_probability_chart(names: list[str], probabilities: np.ndarray) -> alt.LayerChart:
    """One bar per class, its probability written at its end; the answer's bar is outlined and says so."""
    base = alt.Chart(pd.DataFrame(class_probability_rows(names, probabilities))).encode(
        y=alt.Y("class:N", sort=names, title=None, axis=alt.Axis(labelLimit=200)),
        x=alt.X("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1.3]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1])))
    bars = base.mark_bar(strokeWidth=2).encode(
        color=alt.condition(alt.datum.top, alt.value("#1f77b4"), alt.value("#b0b0b0")),
        stroke=alt.condition(alt.datum.top, alt.value(ink()), alt.value(None)),
        tooltip=["class:N", alt.Tooltip("probability:Q", format=".3f")])
    text = base.mark_text(align="left", dx=4).encode(text="text:N")
    return themed((bars + text).properties(height=70 + 36 * len(names)))  # the axis takes part of the height


@st.cache_data(show_spinner=False, max_entries=16)
def class_probability_layout(names: tuple[str, ...], dark: bool) -> dict[str, Any]:
    """`class_probability_chart`'s Vega-Lite spec without its numbers, made once per list of classes and theme
    (`dark` keys the cache: the outline and labels take the theme's ink), as Draw's is (`probability_layout`):
    building and schema-checking an Altair chart on every try is what cost Draw ~300 ms for its two charts."""
    spec = class_probability_chart(list(names), np.zeros(len(names))).to_dict(validate=False)
    spec.pop("datasets", None)
    spec["data"] = {"name": PROBABILITIES}
    return spec


def class_probability_spec(names: list[str], probabilities: np.ndarray) -> dict[str, Any]:
    """The chart of `class_probability_chart` as a Vega-Lite spec: its layout from the cache, these numbers in it."""
    spec = class_probability_layout(tuple(names), is_dark())  # a copy of the cached layout, filled in here
    spec["datasets"] = {PROBABILITIES: class_probability_rows(names, probabilities)}
    return spec



def _saved_at(info: RunInfo) -> float:
    """The run folder's mtime (a replaced run is another model), or 0 for one deleted since its model was loaded:
    the model in hand still answers."""
    try:
        return info.path.stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(show_spinner=False, max_entries=64)
def known_predictions(runs: tuple[tuple[str, str, float], ...], digit: np.ndarray,
                      _models: dict[str, Any]) -> dict[str, Prediction]:
    """`classify`, kept per digit and models (`runs`: each kind's run id and folder mtime, the cache key that
    stands for `_models`): a rerun that leaves the drawing as it was (the brush width, a toggle, a tab) does not
    run both models again."""
    return classify(_models, digit)


def show_predictions(models: dict[str, Any], chosen: dict[str, RunInfo], digit: Any) -> dict[str, Prediction]:
    runs = tuple((kind, chosen[kind].run_id, _saved_at(chosen[kind])) for kind in models)
    predictions = known_predictions(runs, np.asarray(digit, np.uint8), models)
    for column, (kind, prediction) in zip(st.columns(len(predictions)), predictions.items()):
        name = short_name(chosen[kind].model_name)
        column.metric(f"{name} reads", str(prediction.label), help=f"Model: {chosen[kind].label}")
        column.caption(f"{max(prediction.probabilities):.1%} sure")
        column.vega_lite_chart(probability_spec(prediction, chosen[kind].model_name), width="stretch")
    return predictions


def show_reading(pixels: Any, models: dict[str, Any], chosen: dict[str, RunInfo], prompt: str | None,
                 key: str) -> Preprocessed | None:
    """Prepare the picture like MNIST and show the steps and both predictions, or say why not (`prompt`,
    when there is no picture, unless None). Returns the prepared digit when there is one."""
    from webapp.digits import to_mnist

    if pixels is None:
        if prompt:
            st.info(prompt)
        return None
    prepared = to_mnist(pixels)
    if prepared.digit is None:
        has_ink = prepared.steps["ink"].max() > 0
        st.info(prepared.problem if has_ink or not prompt else prompt)
        return None
    st.caption("What the model sees, step by step")
    show_steps(prepared)
    predictions = show_predictions(models, chosen, prepared.digit)
    note = not_a_digit_note(prepared, predictions)
    if note:
        st.warning(note, icon=":material/help:")
    if st.toggle("See inside: feature maps, first-layer weights and what each model looks at", key=f"{key}_inside",
                 help="Computed for each new drawing while this is on."):
        with st.container(border=True):
            show_inside(models, chosen, prepared.digit, predictions)
    if st.toggle("Robustness explorer: shift and turn your digit", key=f"{key}_robust",
                 help="Move and turn the digit and see which model still reads it."):
        with st.container(border=True):
            show_robustness(models, chosen, pixels, key)
    return prepared


def show_inside(models: dict[str, Any], chosen: dict[str, RunInfo], digit: Any,
                predictions: dict[str, Prediction]) -> None:
    """Every feature map of the convnet for this digit, the dense net's first-layer weights, and an
    occlusion map per model."""
    from webapp.inside import feature_maps, first_dense_weights, to_tiles

    show_occlusion(models, chosen, digit, predictions)

    if "cnn" in models:
        st.markdown("**Convnet feature maps** for your digit (bright: strong response). Early maps find strokes "
                    "and edges; after pooling they shrink but keep where each feature was found.")
        for name, maps in feature_maps(models["cnn"], digit):
            height, width, channels = maps.shape
            st.caption(f"{name}: {height}x{width}, {channels} maps")
            st.image(to_tiles(maps), width=max(28, min(72, 4 * width)), clamp=True)
    weights = first_dense_weights(models["dnn"]) if "dnn" in models else None
    if weights is not None:
        st.markdown("**Dense net, first layer**: each neuron's 784 weights drawn as a 28x28 picture (grey: 0, "
                    "white: positive, black: negative). Each neuron looks for ink at fixed places, so a shifted "
                    "digit fools it.")
        st.image(to_tiles(weights[:32], symmetric=True), width=56, clamp=True)


def show_occlusion(models: dict[str, Any], chosen: dict[str, RunInfo], digit: Any,
                   predictions: dict[str, Prediction]) -> None:
    """Which parts of the digit each model relies on: a black 6x6 patch slid over it, 2 pixels at a time."""
    from webapp.inside import occlusion_map, occlusion_overlay

    st.markdown("**What each model looks at.** A black 6x6 patch covers one part of your digit at a time. "
                "**Red**: covering it lowers the model's confidence in its answer (the model relies on it); "
                "**blue**: covering it raises the confidence; dark: no effect.")
    for column, (kind, prediction) in zip(st.columns(len(models) + 1), predictions.items()):
        heat = occlusion_map(models[kind], digit, prediction.label)
        column.image(occlusion_overlay(heat, digit), width=168,
                     caption=f"{short_name(chosen[kind].model_name)}, answer {prediction.label}: "
                             f"largest drop {max(0.0, float(heat.max())):.0%}")


def show_robustness(models: dict[str, Any], chosen: dict[str, RunInfo], pixels: Any, key: str) -> None:
    """Shift, turn, or skip the centring, and see each model's answer; plus a sweep of horizontal shifts."""
    from webapp.digits import to_mnist, transform

    st.markdown("A dense net ties each weight to one pixel, so moving the digit changes everything it sees; a "
                "convnet's filters slide, and pooling forgives small moves. Shift the digit and compare.")
    first, second, third = st.columns(3)
    shift_x = first.slider("Shift right (pixels)", -8, 8, 0, key=f"{key}_dx", help="Move the 28x28 digit sideways.")
    shift_y = second.slider("Shift down (pixels)", -8, 8, 0, key=f"{key}_dy", help="Move the 28x28 digit up or down.")
    angle = third.slider("Rotate (degrees)", -60, 60, 0, step=5, key=f"{key}_angle",
                         help="Turn the digit about the centre, counter-clockwise for positive angles.")
    skip = st.toggle("Skip the centring step", key=f"{key}_skip",
                     help="Centre the digit's box instead of its centre of mass, as many demos do.")
    base = to_mnist(pixels, centre=not skip).digit
    if base is None:  # nothing to move: the caller shows this only for a picture with a digit
        return
    moved = transform(base, shift_x, shift_y, angle)
    picture, answers = st.columns([1, 3])
    picture.image(moved, caption="what the models see now", width=112, clamp=True)
    readings = classify(models, moved)
    for column, (kind, reading) in zip(answers.columns(len(readings)), readings.items()):
        column.metric(f"{short_name(chosen[kind].model_name)} now reads", str(reading.label),
                      help="The answer for the shifted and turned digit.")
        column.caption(f"{max(reading.probabilities):.1%} sure")
    st.caption("Confidence in the original answer as the digit slides sideways (the other sliders left out).")
    st.altair_chart(shift_sweep_chart(models, chosen, base, shift_x), width="stretch")


def shift_sweep_chart(models: dict[str, Any], chosen: dict[str, RunInfo], digit: Any,
                      current: int = 0) -> alt.LayerChart:
    """Each model's confidence in its unshifted answer as the digit slides sideways; a rule marks the slider's shift."""
    from webapp.digits import transform
    from webapp.predict import probabilities

    shifts = list(range(-8, 9))
    shifted = np.stack([transform(digit, shift_x=shift) for shift in shifts])  # 0 shift is the digit itself
    rows = []
    for kind, model in models.items():
        sweep = probabilities(model, shifted)
        answer = int(np.argmax(sweep[shifts.index(0)]))
        rows += [{"shift": shift, "model": short_name(chosen[kind].model_name), "confidence": float(row[answer])}
                 for shift, row in zip(shifts, sweep)]
    frame = pd.DataFrame(rows)
    labels = {short_name(chosen[kind].model_name): chosen[kind].model_name for kind in models}
    lines = alt.Chart(frame).mark_line(
        point=True, strokeWidth=2.5).encode(
        x=alt.X("shift:Q", title="Shift right (pixels)"),
        y=alt.Y("confidence:Q", title="Probability of the original answer", scale=alt.Scale(domain=[0, 1])),
        **model_encodings(series_styles(list(labels), labels)),  # the same look as on the Train page
        tooltip=["model:N", "shift:Q", alt.Tooltip("confidence:Q", format=".3f")])
    marker = pd.DataFrame({"shift": [current], "label": [f"slider: {current:+d} px"]})
    rule = alt.Chart(marker).mark_rule(strokeDash=[2, 2], color=muted_ink()).encode(x="shift:Q")
    label = alt.Chart(marker).mark_text(align="left", dx=4, color=muted_ink()).encode(
        x="shift:Q", y=alt.value(10), text="label:N")
    return themed((lines + rule + label).properties(height=260))
