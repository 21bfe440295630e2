"""Charts that read without colour alone: each model has its own dash and marker as well as its colour."""
from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from webapp.curves import METRICS, TRAIN, VALIDATION, X_AXES

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4], [1, 6]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]


def _scale(domain: list[str], values: list[Any]) -> alt.Scale:
    return alt.Scale(domain=domain, range=[values[i % len(values)] for i in range(len(domain))])


def race_chart(rows: list[dict[str, Any]], x: str = "epoch", metric: str = "accuracy",
               x_max: float | None = None) -> alt.LayerChart:
    """Smoothed training curves (thin) and validation points (thick, with markers) for every model.

    `x_max` fixes the right end of the x axis (the run's last epoch), so a live race shows how far it has come.
    """
    frame = pd.DataFrame(rows, columns=["model", "split", "x", "y"])
    models = list(dict.fromkeys(frame["model"]))
    x_scale = alt.Scale(domain=[0, x_max]) if x_max else alt.Scale(zero=True)  # curves start from the run's start
    encode = {
        "x": alt.X("x:Q", title=X_AXES[x], scale=x_scale),
        "y": alt.Y("y:Q", title=METRICS[metric], scale=alt.Scale(zero=False)),
        "color": alt.Color("model:N", title="Model", scale=_scale(models, PALETTE)),
        "strokeDash": alt.StrokeDash("model:N", title="Model", scale=_scale(models, DASHES)),
    }
    tooltip = [alt.Tooltip("model:N"), alt.Tooltip("split:N"), alt.Tooltip("x:Q", format=".2f", title=X_AXES[x]),
               alt.Tooltip("y:Q", format=".4f", title=METRICS[metric])]
    base = alt.Chart(frame)
    train = base.transform_filter(alt.datum.split == TRAIN).mark_line(strokeWidth=1.5, opacity=0.6)
    validation = base.transform_filter(alt.datum.split == VALIDATION).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=60, filled=True))
    shape = alt.Shape("model:N", title="Model", scale=_scale(models, SHAPES))
    last = frame[frame["split"] == VALIDATION].groupby("model", as_index=False).tail(1).copy()
    number = "{:.1%}" if metric == "accuracy" else "{:.3f}"
    last["label"] = last["model"] + " " + last["y"].map(number.format)
    # One label per model at its last validation point, stacked by rank so close curves stay readable.
    last = last.sort_values("y", ascending=metric != "accuracy")
    labels = [alt.Chart(row.to_frame().T).mark_text(align="right", dx=-6, dy=16 + 14 * rank, fontWeight="bold").encode(
        x="x:Q", y="y:Q", text="label:N", color=alt.Color("model:N", scale=_scale(models, PALETTE), legend=None))
        for rank, (_, row) in enumerate(last.iterrows())]
    return alt.layer(
        train.encode(**encode, tooltip=tooltip),
        validation.encode(**encode, shape=shape, tooltip=tooltip),
        *labels,
    ).properties(height=360).interactive(bind_y=False)


def confusion_chart(matrix: np.ndarray, title: str) -> alt.LayerChart:
    """Counts[true, predicted] as a heat map with the numbers written in each cell."""
    frame = pd.DataFrame([{"true": t, "predicted": p, "count": int(matrix[t, p])}
                          for t in range(matrix.shape[0]) for p in range(matrix.shape[1])])
    frame["mistake"] = frame["true"] != frame["predicted"]
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("predicted:O", title="Predicted digit"), y=alt.Y("true:O", title="True digit"))
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        tooltip=["true:O", "predicted:O", "count:Q"])
    text = base.mark_text(fontSize=11).encode(
        text=alt.condition(alt.datum.count > 0, "count:Q", alt.value("")),
        color=alt.condition(alt.datum.count > matrix.max() / 3, alt.value("white"), alt.value("black")))
    return (cells + text).properties(height=320)




def layer_panel(frame: pd.DataFrame, field: str, title: str, names: bool, number_format: str,
                axis_title: str | None = None) -> alt.LayerChart:
    """Bars per layer in network order, titled, with the tallest bar named on the chart, so it reads without
    colour. Panels drawn one above the other line up: same layer axis, same width kept for the numbers."""
    x = alt.X("Layer:N", sort=None, title=axis_title,
              axis=alt.Axis(labels=names, ticks=names, labelAngle=-90, labelOverlap=False, labelLimit=160))
    tooltip = ["Layer:N", "Type:N", "Output shape:N", alt.Tooltip("Parameters:Q", format=","),
               alt.Tooltip(f"{field}:Q", format=number_format, title=title)]
    bars = alt.Chart(frame, title=title).mark_bar().encode(
        x=x, y=alt.Y(f"{field}:Q", title=None, axis=alt.Axis(minExtent=80, format="~s")), tooltip=tooltip)
    tallest = int(frame[field].to_numpy().argmax())
    top = frame.iloc[[tallest]].assign(label=lambda rows: rows["Layer"] + ": " + rows[field].map(
        lambda value: format(value, number_format)))
    on_right = tallest > len(frame) / 2
    label = alt.Chart(top).mark_text(align="right" if on_right else "left", baseline="bottom", dx=-4 if on_right else 4,
                                     dy=-2, fontWeight="bold").encode(x=x, y=f"{field}:Q", text="label:N")
    # Streamlit fits the whole chart, axis labels included, into the height: leave room for layer names.
    return (bars + label).properties(height=260 + 150 * names)
