"""Train & Compare: race networks on MNIST live, then inspect their results and the saved runs."""
import streamlit as st

from webapp.expectations import race_expectation
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.training_panels import followed_job, form_area, runs_browser, submit_job
from webapp.ui.widgets import augmentation_picker, train_controls

ensure_app_navigation()

st.title("Train & Compare")
intro = st.empty()  # what to expect, written once the settings are known
job = followed_job()  # a job being followed comes first; the form then waits, folded, below it
initial = job.config if job else None
with form_area(job):
    pipeline, pipeline_problem = augmentation_picker(initial)
    config, problem, submitted = train_controls(pipeline=pipeline, initial=initial)
intro.markdown(race_expectation(initial or config))
if submitted:
    submit_job(config, pipeline_problem or problem)

st.divider()
st.subheader("Saved runs")
runs_browser()
