"""Train & Compare: race networks on a dataset of the catalog live, then inspect their results and the saved runs."""
import streamlit as st

from webapp.expectations import race_expectation
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.train_concepts import concept_panel, settings_preset_picker
from webapp.ui.training_panels import followed_job, form_area, runs_browser, show_job, submit_job
from webapp.ui.widgets import augmentation_picker, dataset_picker, train_controls

ensure_app_navigation()

st.title("Train & Compare")
job = followed_job()
initial = job.config if job else None
intro = st.markdown(race_expectation(initial)) if job else st.empty()  # without a job: the form's settings, below
job_area = st.container()  # a followed job comes first; the form waits below it, folded and filled with its settings
with job_area:
    show_job(job)
concept_panel()  # only when a ?concept= link asks for one
with form_area(job):
    if job is None:
        settings_preset_picker()
    dataset = dataset_picker(initial)
    pipeline, pipeline_problem = augmentation_picker(initial)
    config, problem, submitted = train_controls(pipeline=pipeline, initial=initial, dataset=dataset)
if job is None:
    intro.markdown(race_expectation(config))
if submitted:
    submit_job(config, pipeline_problem or problem, shown_in=job_area)

st.divider()
st.subheader("Saved runs")
runs_browser()
