"""The Train page's teaching panels: the settings presets (`?preset=tutorial`) and the training concepts the seed
tutorials explain (`?concept=relu`, `?concept=dropout`), each computed by the lab."""
from __future__ import annotations

from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from webapp import train_concepts as core
from webapp.network_catalog import short_name
from webapp.presets import PRESETS
from webapp.ui import cached
from webapp.ui.state import preset, settings_preset

GRADIENT_BATCH = 128  # images in the one batch the gradient sizes are measured on (the tutorial's batch size)


def settings_preset_picker() -> None:
    """One click to a named settings preset: it goes into the URL (shareable), and the form below fills with it."""
    names = list(PRESETS)
    current = settings_preset()
    chosen = st.selectbox("Settings preset", names, index=None if current is None else names.index(current),
                          format_func=lambda name: PRESETS[name].label, placeholder="The lab's own defaults",
                          key=f"settings_preset_{current}",
                          help="Fill the form below with a named set of settings; a link opens one too: "
                               + ", ".join(f"/train?preset={name}" for name in names) + ".")
    if chosen != current:
        if chosen is None:
            del st.query_params["preset"]
        else:
            st.query_params["preset"] = chosen
        st.rerun()
    if current:
        named = PRESETS[current]
        references = "; ".join(f"{short_name(model)} {values[-1]:.4f}"
                               for model, values in named.reference_train_accuracy.items())
        st.info(f"{named.description} Its log reports, at the last epoch's end, training accuracy {references}. "
                "Train with these settings and the chart marks those numbers next to the lab's own; it has no "
                "validation curve, since no image is held out.", icon=":material/school:")


def concept_panel() -> None:
    """The concept a `?concept=` link asks for (none otherwise): computed here, with links to the runs that race it."""
    ids = list(core.TRAIN_CONCEPTS)
    start = preset("concept", ids, None)
    if start is None:
        return
    chosen = st.selectbox("Concept", ids, index=ids.index(start),
                          format_func=lambda concept: core.TRAIN_CONCEPTS[concept], key="train_concept",
                          help="Ideas of the seed tutorials, computed by the lab.")
    with st.container(border=True):
        {"relu": show_relu, "dropout": show_dropout}[chosen]()
        race_links(chosen)
        compared_runs(chosen)


@st.cache_data(show_spinner="Measuring the gradient that reaches the first layer...", max_entries=1)
def measured_gradients() -> list[core.GradientSize]:
    mnist = cached.mnist()
    return core.gradient_sizes(mnist.x_train[:GRADIENT_BATCH, ..., None], mnist.y_train[:GRADIENT_BATCH])


def show_relu() -> None:
    st.subheader("Why ReLU: the gradient that reaches the first layer")
    sizes = measured_gradients()
    st.markdown("The error signal reaches a layer's weights through the slope of every unit it passes. A sigmoid's "
                "slope is at most 1/4 (at 0), ReLU's is 1 wherever the unit is on. Below: the lab's DNN freshly "
                f"initialised (same seed, same starting weights) with each kind of hidden unit, one batch of "
                f"{GRADIENT_BATCH} MNIST training images through it, and the mean size of the loss's gradient "
                "with respect to the first layer's weights.")
    frame = pd.DataFrame([{"hidden units": size.activation, "mean |gradient|, first layer": size.first_layer_gradient,
                           "mean slope of the hidden units": size.mean_slope, "loss": size.loss} for size in sizes])
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("hidden units:N", sort=None, title="Hidden units", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean |gradient|, first layer:Q", title="Mean |dLoss/dW|, first layer"),
        tooltip=list(frame.columns))
    text = bars.mark_text(baseline="bottom", dy=-3, fontWeight="bold").encode(
        text=alt.Text("mean |gradient|, first layer:Q", format=".2e"))
    st.altair_chart((bars + text).properties(height=240), width="stretch")
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "mean |gradient|, first layer": st.column_config.NumberColumn(format="%.2e"),
        "mean slope of the hidden units": st.column_config.NumberColumn(format="%.3f"),
        "loss": st.column_config.NumberColumn(format="%.3f")})
    by_name = {size.activation: size for size in sizes}
    if {"relu", "sigmoid"} <= set(by_name):
        ratio = by_name["relu"].first_layer_gradient / by_name["sigmoid"].first_layer_gradient
        st.caption(f"Measured: the first layer's gradient is {ratio:.1f}x larger with ReLU than with sigmoid on this "
                   f"batch; the sigmoid units' mean slope is {by_name['sigmoid'].mean_slope:.3f} (never above 0.25). "
                   "Each further sigmoid layer would multiply by such a factor again: the vanishing gradient.")


def show_dropout() -> None:
    st.subheader("Dropout at training time and at test time")
    demo = core.dropout_demo()
    kept = sum(demo.kept)
    st.markdown(f"A layer of {len(demo.outputs)} neurons through Keras' `Dropout({demo.rate})`. At training time "
                f"each output is dropped with probability p = {demo.rate}; this draw kept {kept} of "
                f"{len(demo.outputs)}, and Keras scales the survivors by 1/(1-p) = {demo.scale:g}, so the layer's "
                "expected output stays the same. At test time every neuron works, unscaled (inverted dropout: all "
                "the scaling happens in training).")
    st.dataframe(demo.rows(), hide_index=True, width="stretch")
    st.caption(f"Sum of the outputs: {sum(demo.outputs):.2f} as computed; {sum(demo.training):.2f} with this "
               f"training mask (on average over masks, the same); {sum(demo.test):.2f} at test time.")


def race_links(concept: str) -> None:
    """The two runs that race the idea: one job each (a race pits different networks), overlaid under Saved runs."""
    links = " · ".join(f"[{label}](/train?{urlencode(params)})" for label, params in core.CONCEPT_RUNS[concept])
    st.markdown(f"Race it: train {links}, then overlay both under **Saved runs**. A job races different networks, "
                "so the two versions of the DNN are two jobs, one after the other.")


def compared_runs(concept: str) -> None:
    """The saved runs that compare: their last training and validation accuracy, and the gap between them."""
    store = cached.store()
    rows = []
    for info in cached.visible_runs().runs:
        if info.model_name != "dnn" or info.is_default:
            continue
        row = core.gap_row(info.run_id, info.model_name, info.record.train_config,
                           store.load_history(info.run_id))
        if row:
            rows.append(row)
    if not rows:
        st.caption("No saved DNN runs with a validation curve yet: train the two runs above to compare them here.")
        return
    what = "activation" if concept == "relu" else "dropout"
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Your saved DNN runs by {what}: 'gap' is the last epoch's training accuracy (Keras' log) minus the "
               "last validation accuracy; dropout narrows it, sigmoid units learn slower from the same start.")
