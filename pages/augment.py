"""Augment: build an Albumentations pipeline, see it on many samples at once, export it, train with it."""
import streamlit as st

from webapp.ui.augment import pipeline_builder, preview_and_export
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
    preview_and_export(steps)
