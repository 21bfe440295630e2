"""Your classes: a learner's own named classes (sketches or photos), trained in the lab through the job queue,
tried live and kept as a Keras model."""
import streamlit as st

from webapp.ui.classes_panels import (class_galleries, classes_editor, collection_picker, current_job, intro,
                                      keep_panel, model_picker, outcome, sample_inputs, save_tapped_drawing,
                                      show_flash, train_settings, try_panel)
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.training_panels import followed_job, show_job, submit_job

ensure_app_navigation()

st.title("Your classes")
opening = st.empty()  # what to try first depends on the collection picked below
collection = collection_picker()
opening.markdown(intro(collection))
with st.container():
    show_flash("collection")
if collection is None:
    st.stop()

# Each section is one container, so what changes inside one (a sentence, a new thumbnail, a finished job) never
# moves the next: a canvas that moved would be mounted afresh and lose the drawing on it.
with st.container():
    st.subheader("1. Classes and samples")
    save_tapped_drawing()  # before the canvas is read, and before the sentence it leaves is shown
    classes_editor(collection)
    with st.container():
        show_flash("classes")
    sample_inputs(collection)
    class_galleries(collection)

with st.container():
    st.subheader("2. Train")
    job = current_job(followed_job(), collection)
    config = train_settings(collection, busy=job is not None and not job.finished)
    if config is not None:
        submit_job(config, None)
    show_job(job, outcome=outcome(collection))

with st.container():
    st.subheader("3. Try it live")
    model = model_picker(collection)
    if model is not None:
        try_panel(collection, model)
        st.subheader("4. Keep it")
        keep_panel(collection, model)
