"""Transfer: seed 004's four ways of reusing a trained CNN, raced live on a similar and a different target, small
and large, and its 2x2 grid of advice checked against what the learner measures."""
import streamlit as st

from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.training_panels import followed_job, show_job, submit_job
from webapp.ui.transfer_panels import (INTRO, grid_panel, job_details, measured, recipe_diagrams, remember, settings,
                                       source_picker, stage_text, start_buttons)

ensure_app_navigation()

st.title("Transfer learning")
st.markdown(INTRO)
job = followed_job()
remember(job)
initial = job.config if job is not None and job.config.is_transfer else None
source = source_picker(initial)
choice = settings(initial)
recipe_diagrams(source, choice)
first, followups, problem = start_buttons(source, choice, busy=job is not None and not job.finished)
if first is not None:
    submit_job(first, problem, followups=followups)
if job is not None and not job.finished:
    show_job(job, describe_stage=stage_text)  # the live race, right under the buttons
grid_panel(measured(job))
if job is not None and job.finished:
    show_job(job, outcome=job_details)  # the finished job's curves, scores, mistakes and downloads
