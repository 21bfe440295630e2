"""Train & Compare: race networks on MNIST live, then inspect their results and the saved runs."""
import streamlit as st

from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.training_panels import followed_job, runs_browser, submit_job
from webapp.ui.widgets import augmentation_picker, train_controls

ensure_app_navigation()

st.title("Train & Compare")
st.write("Pick a dense network (DNN) and a convolutional network (CNN) and press **Start training**: both learn from "
         "the same batches in the same order. Watch the validation curves: the CNN usually passes 98% within an "
         "epoch, the DNN levels off lower. Then switch the x axis to compute seconds: the CNN's edge costs time.")

pipeline, pipeline_problem = augmentation_picker()
config, problem, submitted = train_controls(pipeline=pipeline)
problem = pipeline_problem or problem
if submitted:
    submit_job(config, problem)
followed_job()

st.divider()
st.subheader("Saved runs")
runs_browser()
