"""Your classes: the page's panels. A collection of the learner's own named classes (sketches or photos), its
samples from the canvas, uploads or the camera, training through the job queue, a live try-out, and the trained
model to keep. The collection itself is `webapp.classes`; this module only wires widgets to it."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from webapp import classes
from webapp.classes import ClassCollection, Sample
from webapp.config import TrainConfig
from webapp.errors import describe_error
from webapp.job import Job, classes_config
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo, history_csv
from webapp.transfer import RECIPES
from webapp.ui import cached, identity
from webapp.ui.canvas import clear_canvas, clearing_buttons, drawing_canvas, drawing_id
from webapp.ui.predictions import class_probability_spec
from webapp.ui.training_panels import draw_curves, mistakes, run_label

CLASSES_PARAM = "classes"
NAME_KEY = "classes_collection"
FLASH_KEY = "classes_flash"
NEW_TITLE_KEY = "classes_new_title"
NEW_KIND_KEY = "classes_new_kind"
NEW_CLASS_KEY = "classes_new_class"
EDIT_CLASS_KEY = "classes_edit_class"
RENAME_KEY = "classes_rename_to"
DRAW_KEY = "classes_draw"  # the canvas that collects samples
TRY_KEY = "classes_try"  # the canvas that tries the model
ADD_KEY = "classes_add"  # the "Add to <class>" pills
OFFERED_KEY = "classes_offered"  # the drawing the pills were shown with
SAVED_KEY = "classes_saved"  # ids of the drawings saved this session
UPLOADS_KEY = "classes_uploads"  # a counter in the uploader's key: a new one empties it after adding
ZIP_KEY = "classes_zip"
REOPEN_KEY = "classes_reopen"
SHOWN_PER_CLASS = 40
PICTURE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]
KIND_LABELS = {"sketch": "Sketches (drawings, grey 28x28)", "photo": "Photos (colour 32x32)"}
SOURCES = {"draw": "Draw", "upload": "Upload pictures", "camera": "Camera"}

INTRO = (
    "Teach a network classes of your own, as Teachable Machine does, but in the open: collect a few examples of "
    "each class (draw them, upload photos or take them with the camera), pick the network and the recipe, watch it "
    "train, see which held-out samples it gets wrong, try it live and keep the model."
)
# What to try first, by the open collection's input kind (None: no collection open yet)
START_WITH = {
    "sketch": "Start with two classes of simple shapes, a dozen drawings each. Notice how few samples a network that "
              "already knows digits needs, and which of your drawings it still confuses.",
    "photo": "Start with two kinds of object that look clearly different, a few dozen photos of each, on varied "
             "backgrounds and in varied light. Notice how many more samples a network that starts from nothing "
             "needs than a sketch collection does, and whether it learned the object or only what lies behind it.",
    None: "Start with a collection of sketches: two classes of simple shapes, a dozen drawings each. Notice how few "
          "samples a network that already knows digits needs; then try photos, where the network starts from "
          "nothing.",
}


def intro(collection: ClassCollection | None) -> str:
    """The page's opening: what it does, and what to try first with this kind of collection."""
    try:
        kind = collection.input_kind if collection is not None else None
    except ValueError:  # removed meanwhile
        kind = None
    return f"{INTRO}\n\n{START_WITH[kind]}"
NO_PRETRAINED = (
    "The lab ships no network pretrained on colour photos, so this one starts from random weights and learns only "
    "from your photos: give each class a few dozen, varied in background, light and framing. A network pretrained "
    "on millions of photos (ImageNet, say) would already know edges, textures and object parts; training only a "
    "new head on it, as the sketch recipes do with the digit CNN, would need far fewer photos and read new ones "
    "more reliably.")


# -- small helpers ----------------------------------------------------------------------------------------------
def flash(kind: str, sentence: str, place: str = "samples") -> None:
    """Keep a sentence for the next run (callbacks run before the page is drawn), to show at `place`: "collection"
    (the top), "classes" (under the class names) or "samples" (under the buttons that add samples, so a sentence
    never pushes the canvas down while someone draws)."""
    st.session_state[FLASH_KEY] = (place, kind, sentence)


def show_flash(place: str) -> None:
    shown = st.session_state.get(FLASH_KEY)
    if shown and shown[0] == place:
        del st.session_state[FLASH_KEY]
        _, kind, sentence = shown
        {"success": st.success, "warning": st.warning}.get(kind, st.error)(sentence)


def attempt(doing: str, action: Callable[[], Any], place: str = "samples") -> bool:
    """Run a change of the collection: True when it was made; a refusal or a disk problem becomes the flashed
    sentence instead."""
    try:
        action()
    except (NotOwnerError, ValueError) as refused:
        flash("error", str(refused), place)
    except OSError as error:  # a full or read-only disk: one sentence, nothing half-written
        flash("error", describe_error(error, doing), place)
    else:
        return True
    return False


def owner() -> str:
    return identity.visitor_key()


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 sample', '3 samples'; `words` for a plural that is not word + s ('classes')."""
    return f"{count} {word if count == 1 else words or word + 's'}"


# -- the collection ---------------------------------------------------------------------------------------------
def collection_picker() -> ClassCollection | None:
    """The collection in the link (`?classes=<name>`), or None with the form that starts one. Only the browser
    that started a collection changes it; anyone with its link may look at it and download it."""
    if NAME_KEY not in st.session_state:
        st.session_state[NAME_KEY] = st.query_params.get(CLASSES_PARAM)
    name = st.session_state[NAME_KEY]
    collection = ClassCollection(name) if name else None
    if collection is not None and not collection.exists():
        st.error(f"There is no collection '{name}' here: the link may be cut short, or its collection was removed.")
        collection = None
    if collection is None:
        if CLASSES_PARAM in st.query_params:
            del st.query_params[CLASSES_PARAM]
        reopen_form()
        with st.container(border=True):
            start_form()
        upload_collection()
        return None
    if st.query_params.get(CLASSES_PARAM) != collection.name:
        st.query_params[CLASSES_PARAM] = collection.name
    collection_bar(collection)
    return collection


def collection_bar(collection: ClassCollection) -> None:
    """Whose collection this is, and the new, upload and download actions in one row."""
    kind = "sketches" if collection.input_kind == "sketch" else "photos"
    if collection.is_owned_by(owner()):
        st.caption(f"Collection **{collection.name}** ({kind}), yours: its link (this page's address) lets others "
                   "look at it, try its models and download it, not change it or train on it.")
    else:
        st.caption(f"Collection **{collection.name}** ({kind}) was opened by its link and belongs to another "
                   "browser: you can look at it, try its models and download it, not change it or train on it.")
    with st.container(horizontal=True):
        with st.popover("Start a new collection", icon=":material/add:",
                        help="A fresh, empty collection of your own, of sketches or of photos."):
            start_form()
        with st.popover("Upload a collection (.zip)", icon=":material/upload:",
                        help="A zip downloaded from this page (one folder per class) becomes a new collection of "
                             "your own."):
            upload_collection()
        st.download_button("Download (.zip)", collection.zip_bytes, f"{collection.name}.zip", mime="application/zip",
                           icon=":material/download:",
                           help="Every sample as the picture the model sees and the original, one folder per class.")


def reopen_form() -> None:
    """The collections this browser made, to open again without their link."""
    mine = classes.owned_collections(owner())
    if not mine:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox("Your collections", [collection.name for collection in mine], key=REOPEN_KEY,
                     help="The collections this browser started, newest first.")
        st.button("Open", icon=":material/folder_open:", on_click=reopen_collection,
                  help="Open the collection; its link is this page's address.")


def reopen_collection() -> None:
    st.session_state[NAME_KEY] = st.session_state.get(REOPEN_KEY)


def start_form() -> None:
    st.markdown("**Start a collection of your own classes**")
    st.text_input("Title", key=NEW_TITLE_KEY, max_chars=26, placeholder="e.g. shapes",
                  help="A few words; the lab adds a random ending, so only people with the link can open it.")
    st.radio("What it collects", list(KIND_LABELS), format_func=KIND_LABELS.__getitem__, key=NEW_KIND_KEY,
             horizontal=True,
             help="Sketches are prepared like the Draw page's digits and train from the digit CNN; photos keep their "
                  "colour and train seed 004's small network from scratch. It cannot change later.")
    st.button("Create", icon=":material/add:", on_click=start_collection, type="primary",
              help="Open the new, empty collection; its link is this page's address.")


def start_collection() -> None:
    kind = st.session_state.get(NEW_KIND_KEY) or "sketch"
    collection = ClassCollection(classes.new_collection_name(st.session_state.get(NEW_TITLE_KEY)))
    if attempt("Starting the collection", lambda: collection.create(kind, owner()), "collection"):
        st.session_state[NAME_KEY] = collection.name
        st.session_state[NEW_TITLE_KEY] = ""


def upload_collection() -> None:
    upload = st.file_uploader("A collection (.zip)", type=["zip"], key=ZIP_KEY,
                              help="One folder per class, as the Download button makes it: at most 2,000 files "
                                   "and 50 MB unpacked.")
    st.button("Open as a new collection", icon=":material/unarchive:", disabled=upload is None,
              on_click=import_collection, help="Check the zip and keep it as a new collection of your own.")


def import_collection() -> None:
    upload = st.session_state.get(ZIP_KEY)
    if upload is None:
        return
    made: list[ClassCollection] = []
    title = Path(upload.name).stem  # a downloaded zip's name ends in its old token: the new name drops it
    if attempt("Reading the zip", lambda: made.append(classes.import_zip(upload.getvalue(), owner(), title=title)),
               "collection"):
        imported = made[0]
        st.session_state[NAME_KEY] = imported.name
        flash("success", f"Opened '{imported.name}': {plural(sum(imported.counts().values()), 'sample')} in "
                         f"{plural(len(imported.class_names()), 'class', 'classes')}.", "collection")


# -- its classes ------------------------------------------------------------------------------------------------
def classes_editor(collection: ClassCollection) -> None:
    """Add a class by name; rename or remove one (its samples go with it)."""
    names = collection.class_names()
    if not collection.is_owned_by(owner()):
        st.caption("Classes: " + (", ".join(names) or "none yet") + ".")
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):  # one block, whatever it holds
        with st.form("classes_add_class", border=False, enter_to_submit=True, width="content"):  # Enter adds it
            with st.container(horizontal=True, vertical_alignment="bottom"):
                st.text_input("New class", key=NEW_CLASS_KEY, max_chars=30, width=280,
                              placeholder="e.g. circle" if collection.input_kind == "sketch" else "e.g. mug",
                              help="1 to 30 characters, no slashes; two classes may not differ only in upper and "
                                   "lower case.")
                st.form_submit_button("Add class", icon=":material/add:", on_click=add_class, args=(collection,),
                                      help="Add the class (Enter does too); then give it samples below.")
        if names:
            with st.popover("Rename or remove a class", icon=":material/edit:",
                            help="Rename a class (its samples stay) or remove it with all its samples."):
                rename_or_remove(collection, names)
        if len(names) < 2:
            st.caption("Name your first two classes: type a name and press Add class.")


def rename_or_remove(collection: ClassCollection, names: list[str]) -> None:
    chosen = st.selectbox("Class", names, key=EDIT_CLASS_KEY, help="The class to rename or remove.")
    st.text_input("New name", key=RENAME_KEY, max_chars=30, help="The class's new name; its samples stay.")
    st.button("Rename", icon=":material/edit:", on_click=rename_class, args=(collection,),
              help="Give the class the new name.")
    count = collection.counts().get(chosen, 0)
    sure = st.checkbox(f"Also delete its {plural(count, 'sample')}", key=f"{EDIT_CLASS_KEY}_sure",
                       help="Removing a class deletes its samples for good.") if count else True
    st.button("Remove class", icon=":material/delete:", on_click=remove_class, args=(collection,),
              disabled=not sure, help="Remove the class and its samples from this collection.")


def add_class(collection: ClassCollection) -> None:
    name = st.session_state.get(NEW_CLASS_KEY) or ""
    if attempt("Adding the class", lambda: collection.add_class(name, owner()), "classes"):
        st.session_state[NEW_CLASS_KEY] = ""


def rename_class(collection: ClassCollection) -> None:
    """The class chosen when the button was pressed (read from the widget, not from the run before)."""
    old, new = st.session_state.get(EDIT_CLASS_KEY) or "", st.session_state.get(RENAME_KEY) or ""
    if attempt("Renaming the class", lambda: collection.rename_class(old, new, owner()), "classes"):
        st.session_state[RENAME_KEY] = ""
        flash("success", f"Renamed '{old}' to '{new.strip()}'.", "classes")


def remove_class(collection: ClassCollection) -> None:
    name = st.session_state.get(EDIT_CLASS_KEY) or ""
    if attempt("Removing the class", lambda: collection.remove_class(name, owner()), "classes"):
        flash("success", f"Removed the class '{name}'.", "classes")


# -- samples ----------------------------------------------------------------------------------------------------
def sample_inputs(collection: ClassCollection) -> None:
    """Where new samples come from: the canvas (sketches), several uploaded pictures at once, or the camera."""
    names = collection.class_names()
    if not names or not collection.is_owned_by(owner()):
        return
    sources = ["draw", "upload", "camera"] if collection.input_kind == "sketch" else ["upload", "camera"]
    source = st.segmented_control("Add samples by", sources, format_func=SOURCES.__getitem__, default=sources[0],
                                  required=True, key="classes_source",
                                  help="Drawings suit sketches; photos of a sketch on paper are prepared the same "
                                       "way. Uploads take several pictures at once.")
    if source == "draw":
        drawing_input(collection, names)
    elif source == "upload":
        upload_input(collection, names)
    else:
        camera_input(collection, names)


def drawing_input(collection: ClassCollection, names: list[str]) -> None:
    """The canvas, and one "Add to <class>" pill per class: tapping one keeps the drawing and clears the canvas
    (the page calls `save_tapped_drawing` first)."""
    left, right = st.columns([1, 1], gap="medium")
    with left:
        canvas_slot = st.container()
        with st.container(horizontal=True, vertical_alignment="bottom"):
            with clearing_buttons(DRAW_KEY, "tools", width="content"):
                st.button("Clear", icon=":material/delete_sweep:", on_click=clear_canvas, args=(DRAW_KEY,),
                          key="classes_clear", help="Empty the canvas and start again.")
            width = st.slider("Brush width", 6, 40, 18, key="classes_brush",
                              help="Thicker strokes survive the shrinking to 28x28 better.")
        with canvas_slot:
            drawing = drawing_canvas(DRAW_KEY, width)
    with right:
        with st.container(key="classes_draw_preview"):
            prepared = preview_sketch(drawing)
        offer_drawing(collection, names, drawing if prepared is not None else None)
        show_flash("samples")


def preview_sketch(drawing: np.ndarray | None) -> np.ndarray | None:
    """What the model will see of the drawing (28x28, boxed and centred like an MNIST digit), or a prompt."""
    if drawing is None or not has_ink(drawing):
        st.info("Draw one example of a class on the canvas, then tap the class it belongs to.")
        return None
    try:
        prepared = classes.prepare_sketch(drawing)
    except ValueError as problem:
        st.info(str(problem))
        return None
    st.image(prepared, width=84, caption="what the model sees (28x28)", clamp=True)
    return prepared


def has_ink(drawing: np.ndarray) -> bool:
    """Whether anything is drawn: the canvas's ink is in its alpha channel (an emptied canvas still sends pixels)."""
    return bool(drawing.ndim == 3 and drawing.shape[2] == 4 and drawing[:, :, 3].any())


def offer_drawing(collection: ClassCollection, names: list[str], drawing: np.ndarray | None) -> None:
    offered = st.session_state.setdefault(OFFERED_KEY, {})
    offered.clear()  # mutated in place: no rerun can cut in between this and the pills it goes with
    if drawing is not None:
        offered.update(collection=collection.name, drawing_id=drawing_id(DRAW_KEY), drawing=drawing)
    with clearing_buttons(DRAW_KEY, "classes"):
        st.pills("Which class is it? Tap it to add the drawing.", names, key=ADD_KEY, disabled=not offered,
                 format_func=lambda name: f"Add to {name}",
                 help=f"Keeps this drawing as a sample of that class in '{collection.name}', then clears the canvas.")


def save_tapped_drawing() -> None:
    """Keep the drawing offered last run under the class tapped since, once; called before the canvas is read
    (as the Draw page's `save_tapped_digit` does, for the same reason: an interrupted run comes back to the tap)."""
    name = st.session_state.get(ADD_KEY)
    if name is None:
        return
    st.session_state[ADD_KEY] = None
    offered = st.session_state.get(OFFERED_KEY) or {}
    saved = st.session_state.setdefault(SAVED_KEY, set())
    if not offered or offered["drawing_id"] in saved:
        return
    collection = ClassCollection(offered["collection"])
    if not attempt("Saving the drawing", lambda: collection.add_sample(name, offered["drawing"], owner())):
        return
    saved.add(offered["drawing_id"])
    flash("success", f"Added a drawing to '{name}'.")
    clear_canvas(DRAW_KEY, offered["drawing_id"])


def class_picker(names: list[str], key: str) -> str:
    return st.selectbox("Class", names, key=key, help="The class the pictures are samples of.")


def upload_input(collection: ClassCollection, names: list[str]) -> None:
    """Several pictures at once, all for one class; each picture that cannot be read gets its own sentence."""
    target = class_picker(names, "classes_upload_class")
    count = st.session_state.setdefault(UPLOADS_KEY, 0)
    files = st.file_uploader("Pictures", type=PICTURE_TYPES, accept_multiple_files=True, key=f"{UPLOADS_KEY}_{count}",
                             help="PNG, JPEG, WebP, BMP or GIF; choose or drop several at once. Each is kept as the "
                                  "small picture the model sees and the original, at most 512 pixels wide.")
    chosen = plural(len(files), "picture") if files else "pictures"  # never "Add 0 pictures" before a choice
    if st.button(f"Add {chosen} to '{target}'", icon=":material/add_photo_alternate:",
                 disabled=not files, key="classes_add_uploads", type="primary",
                 help="Keep every picture as a sample of this class."):
        add_pictures(collection, target, [(upload.name, upload.getvalue()) for upload in files])
        st.session_state[UPLOADS_KEY] = count + 1  # a fresh, empty uploader
        st.rerun()
    show_flash("samples")


def add_pictures(collection: ClassCollection, target: str, files: list[tuple[str, bytes]],
                 source: str = "upload") -> None:
    """Add each file as a sample of `target`; one sentence per file that fails, the others are kept."""
    added, problems = 0, []
    for name, data in files:
        try:
            collection.add_sample(target, classes.read_picture(data, source), owner())
        except (NotOwnerError, ValueError) as refused:
            problems.append(f"{name}: {refused}")
        except OSError as error:
            problems.append(f"{name}: {describe_error(error, 'Saving the picture')}")
        else:
            added += 1
    if problems:
        flash("error", " ".join(problems) + (f" The other {plural(added, 'picture')} were added." if added else ""))
    elif added:
        flash("success", f"Added {plural(added, 'picture')} to '{target}'.")


def camera_input(collection: ClassCollection, names: list[str]) -> None:
    """One frame from the camera: the same path as an uploaded file."""
    target = class_picker(names, "classes_camera_class")
    frame = st.camera_input("Take a picture", key="classes_camera",
                            help="Hold the object in the middle: the picture is cropped to a centred square.")
    if frame is not None and st.button(f"Add this picture to '{target}'", icon=":material/add_a_photo:",
                                       key="classes_add_frame", type="primary",
                                       help="Keep the frame as a sample of this class; then take the next one."):
        add_pictures(collection, target, [("The camera's picture", frame.getvalue())], source="camera")
    show_flash("samples")


def class_galleries(collection: ClassCollection) -> None:
    """Per class: its count and its samples as the model sees them, newest first, each with a remove button."""
    owned = collection.is_owned_by(owner())
    for index, name in enumerate(collection.class_names()):
        samples = collection.samples(name)
        st.markdown(f"**{name}** · {plural(len(samples), 'sample')}")
        if not samples:
            st.caption(f"No samples of '{name}' yet" + (": add some above." if owned else "."))
            continue
        shown = samples[-SHOWN_PER_CLASS:][::-1]
        if len(samples) > len(shown):
            st.caption(f"The newest {len(shown)} of {len(samples)}.")
        with st.container(horizontal=True, gap="small", key=f"classes_gallery_{index}"):
            for sample in shown:
                thumbnail(collection, sample, owned)


def thumbnail(collection: ClassCollection, sample: Sample, owned: bool) -> None:
    with st.container(width=64, gap="xxsmall"):
        st.image(str(sample.path), width=56)
        if owned:
            st.button("", icon=":material/close:", key=f"classes_remove_{sample.sample_id}", type="tertiary",
                      on_click=remove_sample, args=(collection, sample),
                      help="Remove this sample (a wrong class, say).")


def remove_sample(collection: ClassCollection, sample: Sample) -> None:
    attempt("Removing the sample", lambda: collection.remove_sample(sample, owner()))


# -- training ---------------------------------------------------------------------------------------------------
def train_settings(collection: ClassCollection, busy: bool) -> TrainConfig | None:
    """The network and recipe the input kind calls for, the epochs, and the Train button: the config to queue
    when it is pressed (else None). Why it cannot train is said at once and the button waits; a visitor with the
    link reads why only the owner trains (the queue refuses them too) and how to train a copy of their own."""
    if not collection.is_owned_by(owner()):
        st.info(classes.NOT_YOURS_TO_TRAIN, icon=":material/lock:")
        return None
    sketch = collection.input_kind == "sketch"
    if sketch:
        st.markdown("**Sketches** start from the lab's digit CNN (trained on all of MNIST): a network that already "
                    "knows strokes and loops. The Transfer page's recipes reuse it; *from scratch* trains the same "
                    "network with random weights, the yardstick.")
        recipes = st.multiselect(
            "Recipes", list(RECIPES), default=[classes.DEFAULT_RECIPE["sketch"]], key="classes_recipes",
            format_func=lambda name: RECIPES[name].label,
            help="Pick two or more to race them on the same batches. New head: keep every digit-CNN weight and "
                 "train one new layer (the usual choice for a few samples); from scratch: no reuse at all.")
        pipeline, pipeline_problem = None, None
    else:
        st.markdown("**Photos** train seed 004's LeNet-style network for 32x32 colour pictures (Conv 6, Conv 16, "
                    "Dense 120, 84, then one output per class) from scratch.")
        st.info(NO_PRETRAINED, icon=":material/info:")
        recipes = []
        pipeline, pipeline_problem = photo_augmentation()
    epochs = st.slider("Epochs", 1, 100, classes.DEFAULT_EPOCHS[collection.input_kind], key="classes_epochs",
                       help="Passes over your training samples (a fifth of each class is held out to test). "
                            "A few dozen samples make an epoch a second or less.")
    problem = collection.training_problem() or pipeline_problem
    config = None
    if problem is None:
        try:
            config = training_config(collection, sketch, tuple(recipes), pipeline, epochs)
        except ValueError as error:
            problem = str(error)
    if problem:
        st.info(problem, icon=":material/info:")
    pressed = st.button("Train", type="primary", icon=":material/model_training:", key="classes_train",
                        disabled=bool(problem) or busy,
                        help="Queue the training job; it starts as soon as the machine is free. Stop it at any "
                             "time; a reload finds it again.")
    if busy:
        st.caption("The job below is still training: wait for it (or stop it) before starting another.")
    return config if pressed else None


def training_config(collection: ClassCollection, sketch: bool, recipes: tuple[str, ...],
                    pipeline: dict[str, Any] | None, epochs: int) -> TrainConfig:
    """The design's two configs (`webapp.job.classes_config`): sketches race transfer recipes from the digit CNN;
    photos train lenet32 from scratch with the chosen pipeline (None: the photos as they are)."""
    if sketch:
        return classes_config(collection.dataset_id, "sketch", recipes, epochs)
    return replace(classes_config(collection.dataset_id, "photo", epochs=epochs), pipeline=pipeline)


PHOTO_AUGMENTATIONS = {"photos": "Photos preset: mirror, framing, light, sensor noise",
                       "none": "None: the photos as they are",
                       "page": "The pipeline built on the Augment page"}


def photo_augmentation() -> tuple[dict[str, Any] | None, str | None]:
    """The Albumentations pipeline for the photos (sized for 32x32): the Augment page's photos preset, none, or
    the pipeline built on the Augment page in this session; (pipeline or None, problem sentence or None)."""
    from webapp.augment import PipelineError, describe_pipeline, pipeline_to_dict, preset_pipeline, sized_for
    from webapp.ui.state import AUGMENT_PIPELINE_KEY

    from_page = st.session_state.get(AUGMENT_PIPELINE_KEY)
    choices = [name for name in PHOTO_AUGMENTATIONS if name != "page" or from_page]
    choice = st.selectbox("Augmentation", choices, format_func=PHOTO_AUGMENTATIONS.__getitem__, key="classes_augment",
                          help="Applied on the fly to the training photos only, differently in every epoch: a few "
                               "photos look like many. Build your own on the Augment page.")
    if choice == "none":
        return None, None
    try:
        shape = (32, 32, 3)
        pipeline = sized_for(from_page, shape) if choice == "page" and from_page else \
            pipeline_to_dict(preset_pipeline("photos", image_shape=shape))
    except PipelineError as problem:
        return None, str(problem)
    st.caption(f"Training photos pass through: {describe_pipeline(pipeline)}")
    return pipeline, None


def outcome(collection: ClassCollection) -> Callable[[list[RunInfo]], None]:
    """What a finished job shows: held-out accuracy, curves, and per run its confusion matrix and misreads."""
    return lambda runs: job_results(collection, runs)


def job_results(collection: ClassCollection, runs: list[RunInfo]) -> None:
    if not runs:
        return
    st.subheader("Held-out accuracy")
    test_set = held_out_set(collection)
    held_out = 0 if test_set is None else len(test_set.y_test)
    for column, info in zip(st.columns(len(runs)), runs):
        column.metric(f"{run_label(info)}", f"{info.record.test_accuracy or 0:.1%}",
                      help=f"{info.record.params or 0:,} weights, trained on {info.record.device}.")
        column.caption(f"{info.record.compute_seconds or 0:.1f} s of compute · saved as {info.run_id}")
    st.caption(f"Measured on the {plural(held_out, 'held-out sample')} (a fifth of each class, never trained on).")
    loaded = {info.run_id: cached.store().load_history(info.run_id) for info in runs}
    draw_curves({run_label(info): loaded[info.run_id] for info in runs}, key="classes_final",
                kinds={run_label(info): info.record.recipe or info.model_name for info in runs},
                configs={run_label(info): info.record.train_config for info in runs})
    if test_set is None:
        return
    for tab, info in zip(st.tabs([f"{run_label(info)}: where it fails" for info in runs]), runs):
        with tab:
            if run_matches(info, test_set, collection):
                mistakes(info, test_set)
            else:
                st.info("The collection changed since this run trained, so its held-out samples are no longer the "
                        "ones it was tested on: train again to see its mistakes.")


def held_out_set(collection: ClassCollection) -> Any:
    """The collection as a dataset (training part and held-out part), or None when it cannot be split now. Read
    once per state of the collection (its class names and sample ids), not on every stroke drawn on the page."""
    try:
        signature = (tuple(collection.class_names()), tuple(sample.sample_id for sample in collection.samples()))
    except ValueError:  # the collection was removed meanwhile
        return None
    return _held_out_set(collection.dataset_id, signature)


@st.cache_resource(show_spinner="Reading the collection...", max_entries=4)
def _held_out_set(dataset_id: str, signature: tuple[Any, ...]) -> Any:
    """`signature` is part of the cache key: a changed collection is read again."""
    from webapp import datasets

    try:
        return datasets.load(dataset_id)
    except (ValueError, LookupError, OSError):
        return None


def run_matches(info: RunInfo, test_set: Any, collection: ClassCollection) -> bool:
    """Whether the run's saved predictions belong to today's held-out samples (`classes.same_held_out`)."""
    predictions = cached.store().load_predictions(info.run_id)
    return (predictions is not None and len(predictions) == len(test_set.y_test)
            and classes.same_held_out(info.record, test_set, collection.samples()))


# -- trying a model live ----------------------------------------------------------------------------------------
def trained_runs(collection: ClassCollection) -> list[RunInfo]:
    """The saved runs trained on this collection, newest first."""
    dataset = f"classes:{collection.name}"
    runs = [info for info in cached.store().list().runs if info.record.dataset == dataset]
    return sorted(runs, key=lambda info: info.record.created or "", reverse=True)


def model_picker(collection: ClassCollection) -> RunInfo | None:
    runs = trained_runs(collection)
    if not runs:
        st.info("Train a model on this collection above: then try it here on new drawings or pictures.")
        return None
    by_id = {info.run_id: info for info in runs}
    picked = st.selectbox("Model", list(by_id), format_func=lambda run_id: model_name(by_id[run_id]),
                          key="classes_model", help="Every model trained on this collection, newest first.")
    return by_id[picked]


def model_name(info: RunInfo) -> str:
    """'New head, all else frozen · held-out 95% · 2026-11-30 15:51 (run 20261130-155115-head-6310)'."""
    accuracy = info.record.test_accuracy
    score = f"held-out {accuracy:.0%}" if isinstance(accuracy, float) else "not scored"
    stopped = " · stopped early" if info.record.status == "stopped" else ""
    return f"{run_label(info)} · {score}{stopped} · {(info.record.created or '')[:16]} (run {info.run_id})"


def try_panel(collection: ClassCollection, info: RunInfo) -> None:
    """Draw, upload or take a picture and see every class's probability."""
    sources = ["draw", "upload", "camera"] if collection.input_kind == "sketch" else ["upload", "camera"]
    source = st.segmented_control("Try it on", sources, format_func=SOURCES.__getitem__, default=sources[0],
                                  required=True, key="classes_try_source",
                                  help="A new picture the model has never seen.")
    left, right = st.columns([1, 1], gap="medium")
    with left:
        picture = try_picture(source)
    with right, st.container(key="classes_try_answer"):
        show_answer(collection, info, picture)


def try_picture(source: str) -> np.ndarray | None:
    if source == "draw":
        slot = st.container()
        with clearing_buttons(TRY_KEY, "tools", width="content"):
            st.button("Clear", icon=":material/delete_sweep:", on_click=clear_canvas, args=(TRY_KEY,),
                      key="classes_try_clear", help="Empty the canvas for the next drawing.")
        with slot:
            drawing = drawing_canvas(TRY_KEY, 18)
        return drawing if drawing is not None and has_ink(drawing) else None
    if source == "upload":
        upload = st.file_uploader("A picture", type=PICTURE_TYPES, key="classes_try_upload",
                                  help="A new picture of one of your classes.")
        data = None if upload is None else upload.getvalue()
    else:
        frame = st.camera_input("Take a picture", key="classes_try_camera",
                                help="Hold the object in the middle: the picture is cropped to a centred square.")
        data = None if frame is None else frame.getvalue()
    if data is None:
        return None
    try:
        return classes.read_picture(data, source)
    except ValueError as problem:
        st.error(str(problem))
        return None


def show_answer(collection: ClassCollection, info: RunInfo, picture: np.ndarray | None) -> None:
    if picture is None:
        how = "Draw, upload or take a picture" if collection.input_kind == "sketch" else "Upload or take a picture"
        st.info(f"{how}: every class's probability appears here.")
        return
    try:
        prepared = classes.prepare(picture, collection.input_kind)
        by_class = classes.class_probabilities(cached.model_of(info), picture, collection.input_kind,
                                               learned_names(collection, info))
    except LookupError as problem:  # the run was deleted or is damaged
        st.error(str(problem))
        return
    except ValueError as problem:  # nothing drawn, or a model of other classes
        st.info(str(problem))
        return
    names, probabilities = list(by_class), np.asarray(list(by_class.values()))
    top = int(np.argmax(probabilities))
    st.metric("The model reads", names[top], help=f"Model: {info.label}")
    st.caption(f"{probabilities[top]:.1%} sure")
    st.image(prepared, width=84, caption="what the model sees", clamp=True)
    st.vega_lite_chart(class_probability_spec(names, probabilities), width="stretch")
    note = classes.unsure_note(dict(zip(names, probabilities.tolist())))
    if note:
        st.warning(note, icon=":material/help:")


def learned_names(collection: ClassCollection, info: RunInfo) -> list[str]:
    """The class names the run learned, in its output order (the collection's, for a run that did not record them)."""
    return list(info.record.class_names or collection.class_names())


# -- keeping the model ------------------------------------------------------------------------------------------
def keep_panel(collection: ClassCollection, info: RunInfo) -> None:
    """The model (.keras), labels.json and a script that classifies an image file the way the lab does."""
    labels = labels_of(collection, info)
    left, middle = st.columns(2)
    left.download_button("Download model (.keras)", lambda: cached.store().model_bytes(info.run_id),
                         f"{info.run_id}.keras", mime="application/octet-stream", icon=":material/download:",
                         help="The trained Keras model, loadable with keras.saving.load_model.")
    middle.download_button("Download labels.json", json.dumps(labels, indent=2), "labels.json",
                           mime="application/json", icon=":material/label:",
                           help="The class names in the model's output order, the input kind and the image shape.")
    st.markdown("**Classify an image file with it** (in this project's Python environment: the picture is "
                f"prepared by `webapp.classes.{prepare_name(collection)}`, the same function the lab used for every "
                "sample):")
    st.code(snippet(info.run_id, collection.input_kind), language="python")
    with st.expander("This run's curves, or delete it"):
        run_files(info)


def run_files(info: RunInfo) -> None:
    """The run's history as CSV, and deleting it: for the collection's owner only (a visitor with the link reads
    why not; `classes.check_may_change_runs` refuses them as well)."""
    store = cached.store()
    left, right = st.columns(2)
    left.download_button("Download history (CSV)", lambda: history_csv(store.load_history(info.run_id)),
                         f"{info.run_id}-history.csv", mime="text/csv", help="One row per batch.")
    try:
        classes.check_may_change_runs(info.record.dataset, owner())
    except NotOwnerError as refused:
        right.caption(str(refused))
        return
    if right.button("Delete run", icon=":material/delete:", key=f"classes_delete_{info.run_id}",
                    help="Remove this trained model from the lab for good."):
        try:  # the check above ran in this same run: a collection's owner never changes
            store.delete(info.run_id)
        except OSError as error:  # a read-only disk: one sentence, the run stays
            st.error(describe_error(error, "Deleting the run"))
        else:
            st.rerun()


def prepare_name(collection: ClassCollection) -> str:
    return "prepare_sketch" if collection.input_kind == "sketch" else "prepare_photo"


def labels_of(collection: ClassCollection, info: RunInfo) -> dict[str, Any]:
    """labels.json: the class names in the model's output order, the input kind, the image shape it takes."""
    return {"class_names": learned_names(collection, info), "input": collection.input_kind,
            "image_shape": list(classes.image_shape(collection.input_kind)), "run_id": info.run_id}


def snippet(run_id: str, input_kind: str) -> str:
    prepare = "prepare_sketch" if input_kind == "sketch" else "prepare_photo"
    return f'''import json
import sys

import keras
import numpy as np

from webapp.classes import {prepare}, read_picture

model = keras.saving.load_model("{run_id}.keras", compile=False)
labels = json.load(open("labels.json"))
with open(sys.argv[1], "rb") as file:
    picture = {prepare}(read_picture(file.read()))  # the lab's own preparation
batch = picture.reshape(1, *labels["image_shape"]).astype("float32")
probabilities = np.asarray(model(batch, training=False))[0]
for name, probability in sorted(zip(labels["class_names"], probabilities), key=lambda pair: -pair[1]):
    print(f"{{name}}: {{probability:.1%}}")
'''


def current_job(job: Job | None, collection: ClassCollection) -> Job | None:
    """The followed job when it trains on this collection (a link may name a job of another page)."""
    if job is None or job.config.dataset != f"classes:{collection.name}":
        return None
    return job
