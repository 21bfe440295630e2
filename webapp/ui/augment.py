"""Augment page panels: the pipeline builder (widgets generated from the registry), the preview grid and the
export. All checking, building and describing happens in webapp.augment; this module only draws."""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from webapp import augment as core
from webapp.augment_preview import Sample, augment_samples, display_tile, random_digits, read_photo, tile_format
from webapp.augment_registry import CHOICE, FLOAT, GROUP_TITLES, REGISTRY, SIZE_LIMIT, TRANSFORMS, Control
from webapp.images import ImageError, sample_photos
from webapp.ui import cached
from webapp.ui.state import AUGMENT_PIPELINE_KEY

STEPS_KEY = "augment_steps"  # the editor's steps: a list of (uid, Step)
UID_KEY = "augment_next_uid"
SEED_KEY = "augment_seed"
IMPORT_KEY = "augment_import"  # (file id, error or None) of the last upload read, so it is read once
PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]
SOURCES = {"digits": "MNIST digits", "sample": "Sample photo", "upload": "Your photo"}
COLUMNS = 4
# A row of the sample grid stays a row on a narrow screen (Streamlit's own rule gives each column the full width
# there): four columns share it, with a smaller gap.
GRID_STYLE = ("<style>.st-key-KEY [data-testid=stHorizontalBlock] {flex-wrap: nowrap; gap: 0.5rem;}"
              ".st-key-KEY [data-testid=stColumn] {min-width: 0 !important; width: auto !important; "
              "flex: 1 1 0 !important;}</style>")
CHOICE_WORDS = {0: "black (0)", 255: "white (255)", "random": "random noise", "random_uniform": "random grey",
                "jpeg": "JPEG", "webp": "WebP"}


# -- the editor's steps in the session ---------------------------------------------------------------------
def _editor_steps() -> list[tuple[int, core.Step]]:
    if STEPS_KEY not in st.session_state:
        _replace_steps(list(core.PRESETS["seed"].steps))
    return st.session_state[STEPS_KEY]


def _replace_steps(steps: list[core.Step]) -> None:
    st.session_state[STEPS_KEY] = [(_new_uid(), item) for item in steps]


def _new_uid() -> int:
    st.session_state[UID_KEY] = st.session_state.get(UID_KEY, 0) + 1
    return st.session_state[UID_KEY]


def _load_preset() -> None:
    _replace_steps(list(core.PRESETS[st.session_state["augment_preset"]].steps))


def _add_transform() -> None:
    st.session_state[STEPS_KEY].append((_new_uid(), core.step(st.session_state["augment_new"])))


def _move(index: int, offset: int) -> None:
    steps = st.session_state[STEPS_KEY]
    steps[index], steps[index + offset] = steps[index + offset], steps[index]


def _remove(index: int) -> None:
    del st.session_state[STEPS_KEY][index]


# -- the builder ---------------------------------------------------------------------------------------
def pipeline_builder() -> list[core.Step]:
    """Preset, import and add at the top; then one panel per step with its generated controls."""
    preset_column, load_column = st.columns([3, 1], vertical_alignment="bottom")
    preset_column.selectbox("Preset", list(core.PRESETS), key="augment_preset",
                            format_func=lambda name: core.PRESETS[name].title,
                            help="A ready pipeline to start from. " + " ".join(
                                f"{preset.title}: {preset.what}" for preset in core.PRESETS.values()))
    load_column.button("Load", on_click=_load_preset, help="Replace the pipeline below with the preset.",
                       width="stretch")
    import_pipeline()
    add_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    add_column.selectbox("Transform", [spec.name for spec in TRANSFORMS if spec.offered], key="augment_new",
                         format_func=lambda name: f"{GROUP_TITLES[REGISTRY[name].group]} · {name}",
                         help="Geometric transforms move pixels (rotate, shift, warp); pixel-level ones change "
                              "their values (blur, noise, brightness, holes).")
    button_column.button("Add", on_click=_add_transform, icon=":material/add:", width="stretch",
                         help="Append this transform to the end of the pipeline.")
    steps = []
    editor = _editor_steps()
    for index, (uid, item) in enumerate(editor):
        with st.container(border=True):
            steps.append(step_panel(index, len(editor), uid, item))
    editor[:] = list(zip((uid for uid, _ in editor), steps))
    if not steps:
        st.info("The pipeline is empty: add a transform or load a preset.")
    return steps


def import_pipeline() -> None:
    upload = st.file_uploader("Import a pipeline", type=["yaml", "yml", "json"], key="augment_upload",
                              help="A YAML or JSON file saved here or by Albumentations (A.save), with parameters in "
                                   "any form Albumentations takes (pixels or fractions, one number or a range). It "
                                   "is read with the safe loaders only and checked against the lab's transforms and "
                                   "safety limits (kernel sizes, counts and sizes).")
    if upload is None:
        return
    last_id, problem = st.session_state.get(IMPORT_KEY, (None, None))
    if upload.file_id != last_id:
        try:
            _replace_steps(core.steps_from_dict(core.read_pipeline_file(upload.getvalue())))
            problem = None
        except core.PipelineError as error:
            problem = str(error)
        st.session_state[IMPORT_KEY] = (upload.file_id, problem)
    if problem:
        st.error(f"{upload.name}: {problem}")


def step_panel(index: int, count: int, uid: int, item: core.Step) -> core.Step:
    """One transform: its name and what it does, move/remove buttons, p and the registry's controls."""
    spec = REGISTRY[item.name]
    title, up, down, remove = st.columns([8, 1, 1, 1], vertical_alignment="center")
    title.markdown(f"**{index + 1}. {item.name}** · {GROUP_TITLES[spec.group].lower()}")
    up.button("", key=f"augment_{uid}_up", icon=":material/arrow_upward:", disabled=index == 0,
              on_click=_move, args=(index, -1), help="Move up: transforms run from top to bottom.")
    down.button("", key=f"augment_{uid}_down", icon=":material/arrow_downward:", disabled=index == count - 1,
                on_click=_move, args=(index, 1), help="Move down: transforms run from top to bottom.")
    remove.button("", key=f"augment_{uid}_remove", icon=":material/close:", on_click=_remove, args=(index,),
                  help=f"Remove {item.name} from the pipeline.")
    st.caption(spec.what)
    p = control_widget(Control("p", FLOAT, 0.0, 1.0, spec.default_p, 0.05,
                               "Probability that this transform runs on an image."), f"augment_{uid}_p", item.p)
    in_pixels = pixel_toggle(uid, spec.controls, item.values)
    values = {}
    for control in (control for control in spec.controls if control.shown):
        form = control.pixels if in_pixels and control.pixels else control
        value = item.values[control.name]
        if control.pixels and control.form_of(value) is not form:  # the unit changed: start from its default
            value = form.default
        key = f"augment_{uid}_{control.name}" + ("_pixels" if form is not control else "")
        values[control.name] = control_widget(form, key, value)
    return core.Step(item.name, p, values, item.extras)


def pixel_toggle(uid: int, controls: tuple[Control, ...], values: Mapping[str, Any]) -> bool:
    """For a transform whose sizes may be pixels or fractions (CoarseDropout's holes): which one, for all of
    them at once (Albumentations reads them all the same way). A loaded file's form is kept."""
    sized = [control for control in controls if control.shown and control.pixels]
    if not sized:
        return False
    key = f"augment_{uid}_in_pixels"
    if key not in st.session_state:
        st.session_state[key] = sized[0].form_of(values[sized[0].name]) is sized[0].pixels
    return st.toggle("Sizes in pixels", key=key, help="Off: sizes as fractions of the image's height and width "
                     "(the same look on a 28x28 digit and a large photo). On: sizes in pixels, as whole numbers; "
                     "Albumentations reads an upper size of 1 or more as pixels.")


def control_widget(control: Control, key: str, value: Any) -> Any:
    """The widget the registry asks for: a slider, a range slider for (low, high), or a select box."""
    if key not in st.session_state:
        st.session_state[key] = list(value) if control.is_range else value
    label, help_text = control_label(control), f"{control.help} (Albumentations' parameter `{control.name}`.)"
    current = st.session_state[key]
    if control.kind == CHOICE:  # a file may set a value the list does not offer (a grey level): it is kept
        options = [*control.options, *([current] if current not in control.options else [])]

        def word(option: Any) -> str:
            """A choice's word; a number is a grey level."""
            return CHOICE_WORDS.get(option, f"grey {option}" if isinstance(option, (int, float)) else str(option))
        return st.selectbox(label, options, key=key, help=help_text, format_func=word)
    cast = int if control.is_integer else float
    numbers = [cast(number) for number in (current if control.is_range else [current])]
    # a file's value beyond the slider's usual bounds (Rotate by 270 degrees) widens the slider rather than change
    low, high = min(cast(control.low), *numbers), max(cast(control.high), *numbers)
    # Any: a range control's session-state value (a list) makes the slider return a (low, high) tuple
    chosen: Any = st.slider(label, low, high, key=key, step=cast(control.step or 1), help=help_text)
    return tuple(chosen) if control.is_range else chosen


def control_label(control: Control) -> str:
    """Words for a learner ('blur limit', 'p: chance it runs'); the help keeps Albumentations' own name."""
    if control.name == "p":
        return "p: chance it runs"
    return control.name.replace("_", " ") + (" (pixels)" if control.axis is not None else "")


def digit_warning(steps: list[core.Step]) -> None:
    flips = [item.name for item in steps if REGISTRY[item.name].changes_digits]
    if flips:
        st.warning(f"{' and '.join(flips)} change{'s' * (len(flips) == 1)} what a digit means: a flipped 6 reads "
                   "as a 9 and a mirrored 3 is no digit at all, yet the label stays. Leave flips out for digits.")


# -- the preview ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreviewImages:
    """What the preview augments: N random MNIST digits (with labels), or N copies of one photo."""

    images: list[np.ndarray]
    labels: list[int] | None = None


def preview_images(steps: list[core.Step]) -> PreviewImages | None:
    """The source, count and seed controls; None (with the reason shown) when there is nothing to preview."""
    source = st.radio("Preview on", list(SOURCES), format_func=lambda name: SOURCES[name], horizontal=True,
                      key="augment_source",
                      help="Digits are what the Train page trains on; a photo shows the transforms more plainly.")
    count_column, seed_column, button_column = st.columns([3, 3, 2], vertical_alignment="bottom")
    count = count_column.slider("Samples", 4, 32, 16, step=4, key="augment_count",
                                help="How many augmented samples to draw at once.")
    st.session_state.setdefault(SEED_KEY, 0)
    seed_column.number_input("Seed", 0, 2**31 - 1, key=SEED_KEY,
                             help="The same seed gives the same samples (A.Compose(..., seed=seed)).")
    button_column.button("Resample", on_click=_next_seed, icon=":material/casino:", width="stretch",
                         help="Draw new samples: moves the seed on by one.")
    if source == "digits":
        digit_warning(steps)
        mnist = cached.mnist()
        images, labels = random_digits(mnist.x_test, mnist.y_test, count, int(st.session_state[SEED_KEY]))
        return PreviewImages(list(images), [int(label) for label in labels])
    photo = _photo(source)
    return None if photo is None else PreviewImages([photo] * count)


def _photo(source: str) -> np.ndarray | None:
    if source == "sample":
        samples = sample_photos()
        title = st.selectbox("Sample photo", list(samples), key="augment_sample",
                             help="Public-domain and CC0 photos shipped with the lab (data/samples/README.md).")
        return read_photo(samples[title])
    upload = st.file_uploader("Your photo", type=PHOTO_TYPES, key="augment_photo",
                              help="PNG, JPEG, WebP, BMP or GIF; previewed at up to 512 pixels a side.")
    if upload is None:
        st.info("Upload a photo to preview the pipeline on it.")
        return None
    try:
        return read_photo(upload.getvalue())
    except ImageError as problem:
        st.error(str(problem))
        return None


def _next_seed() -> None:
    st.session_state[SEED_KEY] = int(st.session_state.get(SEED_KEY, 0)) + 1


def checked_pipeline(steps: list[core.Step], preview: PreviewImages | None) -> dict | None:
    """The pipeline, checked and sized for the preview's images (None, with the reason shown, when unusable).
    The Train page gets it too, sized for 28x28 digits, unless it cannot work on them (holes larger than a digit)."""
    digits_problem = None
    try:
        st.session_state[AUGMENT_PIPELINE_KEY] = core.steps_to_dict(steps, core.DIGIT_SHAPE)
    except core.PipelineError as problem:
        st.session_state.pop(AUGMENT_PIPELINE_KEY, None)
        digits_problem = str(problem)
    try:
        data = core.steps_to_dict(steps, preview.images[0].shape if preview else None)
    except core.PipelineError as problem:
        st.error(str(problem))
        return None
    if digits_problem:  # fine on the preview's photo, not on digits (holes in pixels larger than a digit)
        st.warning(f"The Train page does not get this pipeline, since it trains on 28x28 digits: {digits_problem}")
    return data


@st.cache_data(show_spinner=False, max_entries=32)
def cached_samples(data: dict, images: list[np.ndarray], seed: int, labels: list[int] | None) -> list[Sample]:
    """The samples for one pipeline, images and seed, kept: going back to a seed, or a rerun that changes
    neither (opening the expander, a download), does not augment them again."""
    return augment_samples(data, images, seed, labels)


@st.fragment
def preview_and_export(steps: list[core.Step]) -> None:
    """The preview's controls and grid, then the export, as a fragment: Resample, the seed, the count and the
    source rerun only this part, not the builder's many widgets (the export follows, since its script names
    the seed and its sizes follow the preview's images)."""
    st.subheader("Preview")
    preview = preview_images(steps)
    data = checked_pipeline(steps, preview)  # also hands the pipeline over to the Train page
    if data is None:
        return
    if preview is not None:
        show_samples(data, preview)
    st.subheader("Export")
    export_panel(data)


def show_samples(data: dict, preview: PreviewImages) -> None:
    """The grid: each sample with the parameters actually drawn for it."""
    images, labels = preview.images, preview.labels
    try:
        samples = cached_samples(data, images, int(st.session_state[SEED_KEY]), labels)
    except Exception as error:  # a transform failing on this image: one sentence, never a traceback
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        st.error(f"The pipeline failed on this image: {reason}")
        return
    fired = sum(bool(sample.applied) for sample in samples)
    st.caption(f"{fired} of {len(samples)} samples changed; under each, what was drawn for it.")
    _grid(samples)
    with st.expander("The same images before augmentation"):
        _grid([Sample(image, (), label) for image, label in zip(images, labels or itertools.repeat(None))],
              original=True)


def _grid(samples: list[Sample], original: bool = False) -> None:
    """The samples four to a row at every width: Streamlit stacks columns one below the other on a phone, which
    made sixteen samples a page ~9,600 pixels tall, so the grid's columns are kept side by side (`GRID_STYLE`)."""
    key = "augment_originals" if original else "augment_samples"
    st.html(GRID_STYLE.replace("KEY", key))
    with st.container(key=key):
        for row_start in range(0, len(samples), COLUMNS):
            for column, sample in zip(st.columns(COLUMNS), samples[row_start:row_start + COLUMNS]):
                caption = ((f"a {sample.label}" if sample.label is not None else "original") if original
                           else sample.narrow_caption)
                column.image(display_tile(sample.image), caption=caption, width="stretch",
                             output_format=tile_format(sample.image))


# -- export and hand-over ------------------------------------------------------------------------------
def export_size(data: dict) -> tuple[int, int]:
    """The size of the images the exported files are for, asked only when a transform sets the size
    (RandomResizedCrop): outside the lab it resizes to a fixed size. The preview's size by default."""
    default = core.target_size(data)
    if default is None:
        return core.DIGIT_SHAPE
    st.markdown("**Export for images of**")
    height_column, width_column = st.columns(2)
    suffix = f"{default[0]}x{default[1]}"  # a new preview size starts from that size again
    height = height_column.number_input("Height", 1, SIZE_LIMIT, int(default[0]), key=f"augment_export_height_{suffix}",
                                        help="Height in pixels of the images the exported pipeline will be used on: "
                                             "28 for MNIST digits. Every image comes out this high.")
    width = width_column.number_input("Width", 1, SIZE_LIMIT, int(default[1]), key=f"augment_export_width_{suffix}",
                                      help="Width in pixels of the images the exported pipeline will be used on. "
                                           "Every image comes out this wide.")
    return int(height), int(width)


def export_panel(data: dict) -> None:
    """Downloads (YAML, JSON, a Python script), the pipeline in words, and the way to the Train page."""
    seed = int(st.session_state[SEED_KEY])
    st.markdown(f"**Pipeline:** {core.describe_pipeline(data)}")
    try:
        files = core.exported(data, export_size(data))
    except core.PipelineError as problem:  # holes in pixels larger than the stated size
        st.error(str(problem))
        return
    yaml_column, json_column, python_column = st.columns(3)
    yaml_column.download_button("YAML", core.pipeline_yaml(files), "pipeline.yaml", "application/x-yaml",
                                on_click="ignore", icon=":material/download:", width="stretch",
                                help="Albumentations' own serialised form; A.load(path, data_format='yaml') reads it, "
                                     "and so do this page's import and python -m webapp augment.")
    json_column.download_button("JSON", core.pipeline_json(files), "pipeline.json", "application/json",
                                on_click="ignore", icon=":material/download:", width="stretch",
                                help="The same as JSON (A.load(path) reads it).")
    python_column.download_button("Python", core.pipeline_python(files, seed), "pipeline.py", "text/x-python",
                                  on_click="ignore", icon=":material/download:", width="stretch",
                                  help="A short script that rebuilds this pipeline with the preview's seed.")
    with st.expander("The pipeline as Python"):
        st.code(core.pipeline_python(files, seed), language="python")
    if core.has_target_size(data):
        st.caption("In the lab a target size (RandomResizedCrop's) follows the image: the preview's size here, "
                   f"28x28 on the Train page. {core.export_note(files)}")
    st.page_link("pages/train.py", label="Train with this pipeline", icon=":material/monitoring:",
                 help="The Train page can apply this pipeline to the training digits on the fly (never to the "
                      "validation or test digits) and compare the curves with a plain run.")

