"""Augment: build an Albumentations pipeline, see it on many samples at once, export it, train with it."""
import streamlit as st

from webapp.ui.augment import checked_pipeline, export_panel, pipeline_builder, preview_images, show_samples
from webapp.ui.navigation import ensure_app_navigation

ensure_app_navigation()

st.title("Augment")
st.write("Build a chain of random transforms and see what it does to many images at once. Add a VerticalFlip and "
         "watch a 6 turn into a 9; raise Rotate's limit past 45 degrees and see a 7 pass for a 1. When every digit "
         "still reads as itself, export the pipeline or train with it and compare the curves with a plain run.")

build_column, preview_column = st.columns([2, 3], gap="large")
with build_column:
    st.subheader("Pipeline")
    steps = pipeline_builder()
with preview_column:
    st.subheader("Preview")
    preview = preview_images(steps)
data = checked_pipeline(steps, preview)  # also hands the pipeline over to the Train page
if data is not None:
    with preview_column:
        if preview is not None:
            show_samples(data, preview)
    with build_column:
        st.subheader("Export")
        export_panel(data)
