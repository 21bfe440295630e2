"""Draw & Predict, "Your own digits": label and keep drawings, download them, fine-tune a model on them."""
from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from webapp.config import CONSTANT_RATE, TrainConfig
from webapp.digits import Preprocessed
from webapp.errors import describe_error
from webapp.job import JobStatus
from webapp.network_catalog import short_name
from webapp.own_digits import (MAX_NAME_LENGTH, Collection, Sample, fine_tuning_problem, new_collection_name,
                               personal_collection_name, sanitise_name)
from webapp.ownership import NotOwnerError
from webapp.store import RunInfo
from webapp.ui import cached, identity, state
from webapp.ui.canvas import clear_canvas, clearing_buttons, drawing_id
from webapp.ui.theme import themed
from webapp.ui.training_panels import live_job, submit_job

COLLECTION_PARAM = "collection"
TUNE_PARAM = "tune"
NAME_KEY = "collection_name"
NEW_NAME_KEY = "new_collection_title"
FLASH_KEY = "own_digits_flash"
RECENT_SHOWN = 12
SAVE_KEY = "save_digit"
OFFERED_KEY = "save_digit_offered"  # the drawing the digits were shown with
SAVED_KEY = "save_digit_saved"  # ids of the drawings saved this session


def collection_picker() -> Collection:
    """The collection this page shows: the one named in the link, else this browser's own; kept in the URL so a
    reload (or the link handed to a teacher) opens it again. Only its owner's browser may change it."""
    if NAME_KEY not in st.session_state:
        named = st.query_params.get(COLLECTION_PARAM)
        st.session_state[NAME_KEY] = (sanitise_name(named) if named
                                      else personal_collection_name(identity.visitor_secret()))
    name = st.session_state[NAME_KEY]
    if st.query_params.get(COLLECTION_PARAM) != name:
        st.query_params[COLLECTION_PARAM] = name
    collection = Collection(name)
    if collection.is_owned_by(identity.visitor_key()):
        st.caption(f"Collection **{name}**, yours: its link (this page's address) lets others look, not change it.")
    else:
        st.caption(f"Collection **{name}** was opened by its link and belongs to another browser: you can look at it "
                   "and download it, not add or remove samples.")
        st.button("Back to my own collection", icon=":material/person:", on_click=_open_collection,
                  args=(personal_collection_name(identity.visitor_secret()),),
                  help="The collection this browser keeps for you (the same one every visit).")
    with st.popover("Start a new collection", icon=":material/add:",
                    help="A fresh, empty collection of your own, e.g. one per class or per experiment."):
        st.text_input("Name", key=NEW_NAME_KEY, max_chars=MAX_NAME_LENGTH - 13,
                      help="Letters, digits and dashes; the lab adds a random ending so only people with the link "
                           "can open it.")
        st.button("Create", on_click=_start_collection, help="Open the new, empty collection.")
    return collection


def _open_collection(name: str) -> None:
    st.session_state[NAME_KEY] = name


def _start_collection() -> None:
    _open_collection(new_collection_name(st.session_state.get(NEW_NAME_KEY)))
    st.session_state[NEW_NAME_KEY] = ""


def label_buttons(collection: Collection, prepared: Preprocessed | None, drawing: Any, canvas_key: str) -> None:
    """"What did you draw?": tapping a digit saves the drawing under that label (see `save_tapped_digit`) and
    clears the canvas. The ten digits sit in two rows of five at every width, so on a phone they do not push the
    predictions down."""
    owned = collection.is_owned_by(identity.visitor_key())
    st.html(f"<style>.st-key-{SAVE_KEY} [role=radiogroup] {{display: grid; gap: 0.5rem; "
            "grid-template-columns: repeat(5, minmax(0, 1fr));}"
            f".st-key-{SAVE_KEY} [role=radiogroup] > button {{width: 100%; justify-content: center;}}</style>")
    offered = st.session_state.setdefault(OFFERED_KEY, {})
    offered.clear()  # mutated in place: no rerun can cut in between this and the digits it goes with
    if prepared is not None and owned:
        offered.update(collection=collection.name, drawing_id=drawing_id(canvas_key), digit=prepared.digit,
                       drawing=drawing)
    with clearing_buttons(canvas_key, "labels"):
        st.pills("What did you draw? Tap its digit to save it.", list(range(10)), key=SAVE_KEY,
                 disabled=not offered, width="stretch",
                 help=f"Saves this drawing as that digit in '{collection.name}', then clears the canvas.")
    if not owned:
        st.caption("Saving needs a collection of your own (see Your own digits, below).")


def save_tapped_digit(canvas_key: str) -> None:
    """Save the drawing offered last run under the digit tapped since, once; call it before the canvas is read.

    Done in the script rather than in a widget callback: a stroke's update arriving during the save can cut a
    callback short at its first session-state write, and the tap would be lost. Here an interrupted run simply
    comes back to the tap, and the drawing's id, kept with the sample, stops it being saved twice."""
    label = st.session_state.get(SAVE_KEY)
    if label is None:
        return
    st.session_state[SAVE_KEY] = None  # before the digits exist in this run, so the choice resets
    offered = st.session_state.get(OFFERED_KEY) or {}
    saved = st.session_state.setdefault(SAVED_KEY, set())
    if not offered or offered["drawing_id"] in saved:
        return
    collection = Collection(offered["collection"])
    try:
        collection.add(offered["digit"], offered["drawing"], label, identity.visitor_key())
    except (NotOwnerError, ValueError) as refused:
        st.session_state[FLASH_KEY] = ("error", str(refused))
        return
    except OSError as error:  # a full or read-only disk: one sentence, the drawing stays on the canvas
        st.session_state[FLASH_KEY] = ("error", describe_error(error, "Saving the digit"))
        return
    saved.add(offered["drawing_id"])  # mutated in place, right after the write it records
    st.session_state[FLASH_KEY] = ("success", f"Saved a {label} in '{collection.name}'.")
    clear_canvas(canvas_key, offered["drawing_id"])


def _remove(collection: Collection, sample: Sample) -> None:
    try:
        collection.remove(sample, identity.visitor_key())
    except (NotOwnerError, ValueError) as refused:
        st.session_state[FLASH_KEY] = ("error", str(refused))
    except OSError as error:
        st.session_state[FLASH_KEY] = ("error", describe_error(error, "Removing the digit"))


def collection_panel(collection: Collection, chosen: dict[str, RunInfo]) -> None:
    """Counts per digit, the latest samples, the zip download, and fine-tuning."""
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        kind, sentence = flash
        (st.success if kind == "success" else st.error)(sentence)
    samples = collection.samples()
    if not samples:
        st.info(f"'{collection.name}' is empty: draw a digit above and tap its number to keep it.")
    else:
        counts_column, recent_column = st.columns([3, 2])
        with counts_column:
            st.altair_chart(counts_chart(collection.counts(samples)), width="stretch")
        with recent_column:
            recent = [(sample, pixels) for sample in samples[-RECENT_SHOWN:][::-1]
                      if (pixels := collection.digit(sample)) is not None]
            st.caption(f"{len(samples)} sample{'s' * (len(samples) != 1)}; the latest, newest first:")
            st.image([pixels for _, pixels in recent], width=42, caption=[str(sample.label) for sample, _ in recent],
                     clamp=True)
            left, right = st.columns(2)
            left.download_button("Download (.zip)", collection.zip_bytes, f"{collection.name}.zip",
                                 mime="application/zip", icon=":material/download:",
                                 help="Every sample as the 28x28 digit and the original drawing, plus labels.csv.")
            if collection.is_owned_by(identity.visitor_key()):
                right.button("Remove the latest", icon=":material/undo:", on_click=_remove,
                             args=(collection, samples[-1]),
                             help="Take back the last sample saved (a wrong label, say).")
    fine_tuning_panel(collection, chosen, len(samples))


def counts_chart(counts: dict[int, int]) -> alt.LayerChart:
    frame = pd.DataFrame({"digit": list(counts), "samples": list(counts.values())})
    base = alt.Chart(frame).encode(x=alt.X("digit:O", title="Digit", axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y("samples:Q", title="Samples", axis=alt.Axis(tickMinStep=1)))
    return themed((base.mark_bar(color="#1f77b4") + base.mark_text(dy=-6).encode(text="samples:Q")).properties(
        height=180, title="Samples per digit (aim for a few of each)"))


def fine_tuning_panel(collection: Collection, chosen: dict[str, RunInfo], sample_count: int) -> None:
    """Fine-tune one of the chosen models on the collection through the training queue, then compare."""
    st.markdown("**Fine-tune on your digits.** A model trained on MNIST keeps learning from your handwriting; a "
                "fifth of your samples is held out to measure it. Watch its MNIST accuracy too: training only on "
                "a few of your digits can make it forget (catastrophic forgetting).")
    job = cached.queue().get(state.current_job_id(TUNE_PARAM))
    if job is not None and not job.finished:
        live_job(job)
        return
    if job is not None:
        fine_tuning_outcome(job)
    problem = fine_tuning_problem(sample_count)
    with st.form("fine_tune"):
        kinds = list(chosen)
        kind = st.radio("Model", kinds, horizontal=True, format_func=lambda k: short_name(chosen[k].model_name),
                        help="The model chosen in the sidebar for that kind; the tuned copy is saved as a new run.")
        left, right = st.columns(2)
        epochs = left.slider("Epochs", 1, 50, 10, help="Passes over your samples (a fifth held out).")
        rate = right.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3], value=3e-4,
                                   help="Small steps keep more of what the model learned from MNIST.")
        submitted = st.form_submit_button("Fine-tune", icon=":material/model_training:", disabled=bool(problem),
                                          help=problem or "Runs on the training queue, first come first served.")
    if problem:
        st.caption(problem)
    if submitted and not problem:
        config = TrainConfig(models=(chosen[kind].model_name,), epochs=epochs, batch_size=16,
                             **{**CONSTANT_RATE, "learning_rate": rate}, precision="float32",
                             base_run=chosen[kind].run_id, collection=collection.name)
        submit_job(config, None, TUNE_PARAM)
        if state.current_job_id(TUNE_PARAM) != (job.job_id if job else None):
            st.rerun()  # follow the new job at once


def fine_tuning_outcome(job: Any) -> None:
    """Accuracy before and after on the held-out fifth and on MNIST's test set."""
    if job.status == JobStatus.FAILED:
        st.error(job.error or "Fine-tuning failed.")
        return
    if not job.runs:
        st.warning("The fine-tuning job was taken off the queue before it started.")
        return
    info = job.runs[0]
    report = info.record.fine_tuning
    if not report:
        st.info(f"Saved as {info.run_id}, but without before/after scores.")
        return
    if job.status == JobStatus.STOPPED:
        st.warning("Stopped early: the model is saved as it was, marked stopped.")
    rows = []
    for place, key in ((f"your held-out digits ({report['held_out_images']})", "held_out_accuracy"),
                       ("MNIST test set (10,000)", "mnist_test_accuracy")):
        before, after = report["before"][key], report["after"][key]
        rows.append({"measured on": place, "before": f"{before:.1%}", "after": f"{after:.1%}",
                     "change": f"{(after - before) * 100:+.1f} points"})
    st.table(pd.DataFrame(rows).set_index("measured on"))
    st.caption(f"Saved as {info.run_id}: pick it in the sidebar to draw against the tuned model.")
