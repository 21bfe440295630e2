"""Train & Compare: race networks on MNIST live, then inspect their results and the saved runs."""
import streamlit as st

from webapp.jobs import QueueFullError
from webapp.ui import cached, state
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.training_panels import job_outcome, live_job, runs_browser
from webapp.ui.widgets import augmentation_picker, train_controls

ensure_app_navigation()

st.title("Train & Compare")
st.write("Pick a dense network (DNN) and a convolutional network (CNN) and press **Start training**: both learn from "
         "the same batches in the same order. Watch the validation curves: the CNN usually passes 98% within an "
         "epoch, the DNN levels off lower. Then switch the x axis to compute seconds: the CNN's edge costs time.")

pipeline, pipeline_problem = augmentation_picker()
config, problem, submitted = train_controls(pipeline=pipeline)
problem = pipeline_problem or problem
queue = cached.queue()
if submitted:
    if problem:
        st.error(problem)
    else:
        try:
            state.follow_job(queue.submit(config, state.owner_id()).job_id)
        except QueueFullError as busy:
            st.warning(str(busy))

job_id = state.current_job_id()
job = queue.get(job_id)
if job_id and job is None:
    st.info("That training job is no longer on this server (it may have restarted); its saved runs are listed below.")
elif job is not None:
    if job.finished:
        job_outcome(job)
    else:
        live_job(job)

st.divider()
st.subheader("Saved runs")
runs_browser()
