"""Charts that read without colour alone: each model has its own dash and marker as well as its colour."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from webapp.curves import AXIS_TITLES, EPOCH_TRAIN, METRICS, REPORTED, TEST, TRAIN, VALIDATION
from webapp.ui.model_style import model_encodings, series_styles, style_scales
from webapp.ui.theme import themed

CHART_HEIGHT = 360
# Streamlit fits the legend and the axes into the chart's height: of 360 pixels the plot keeps about 215 (seen
# in Chromium), at least this many, which the end labels' spacing is computed for (a taller plot, as in the
# full-screen view, only spreads them further apart).
PLOT_HEIGHT_AT_LEAST = 200
LABEL_GAP_PIXELS = 15
LABEL_CHAR_PIXELS = 7  # width of one character of a bold 11-pixel label, a little generously
# The end labels' column is drawn only where the plot keeps at least this many pixels beside it (and the y axis
# its ~60): on a phone the labels would squeeze the plot to a sliver, and the legend already names every series.
PLOT_WIDTH_AT_LEAST = 260


def race_chart(rows: list[dict[str, Any]], x: str = "epoch", metric: str = "accuracy",
               x_max: float | None = None, kinds: dict[str, str] | None = None) -> alt.LayerChart:
    """Smoothed training curves (thin) and validation points (thick, with markers) for every model.

    `x_max` fixes the right end of the x axis (the run's last epoch), so a live race shows how far it has come.
    `kinds` maps each series label to its model kind (dnn, cnn, ...), which picks its colour, dash and marker
    (see `model_style`). Every model gets a label in a column right of the plot, at the height of its curve's
    end but never on top of another label. Any part of a live record draws: no rows, training rows only, or
    validation points for some models and not yet for others.

    Three more kinds of row draw when present: each epoch's training score as Keras' fit log reports it (hollow
    markers on a thin line in the model's dash), the final test score (a filled diamond, labelled "DNN test
    0.9791"), and what a tutorial reported (crosses, the last one labelled "DNN, seed 003: 0.9782").
    """
    frame = pd.DataFrame(rows, columns=["model", "split", "x", "y", "label"])
    frame["label"] = frame["label"].fillna("")
    styles = series_styles(list(dict.fromkeys(frame["model"])), kinds)
    # Two entries a row when there are more than three: four recipes' names in one row are wider than a phone.
    channels = model_encodings(styles, legend=alt.Legend(orient="top", columns=2 if len(styles) > 3 else alt.Undefined))
    x_scale = alt.Scale(domain=[0, x_max]) if x_max else alt.Scale(zero=True)  # curves start from the run's start
    low, high = _y_domain(frame["y"])
    y_scale = alt.Scale(domain=[low, high], nice=False) if len(frame) else alt.Scale(zero=False)
    encode = {
        "x": alt.X("x:Q", title=AXIS_TITLES[x], scale=x_scale),
        "y": alt.Y("y:Q", title=METRICS[metric], scale=y_scale),
        "color": channels["color"],
        "strokeDash": channels["strokeDash"],
    }
    tooltip = [alt.Tooltip("model:N"), alt.Tooltip("split:N"), alt.Tooltip("x:Q", format=".2f", title=AXIS_TITLES[x]),
               alt.Tooltip("y:Q", format=".4f", title=METRICS[metric])]
    base = alt.Chart(frame)
    train = base.transform_filter(alt.datum.split == TRAIN).mark_line(strokeWidth=1.5, opacity=0.6)
    validation = base.transform_filter(alt.datum.split == VALIDATION).mark_line(
        strokeWidth=3, point=alt.OverlayMarkDef(size=60, filled=True))
    epoch_log = base.transform_filter(alt.datum.split == EPOCH_TRAIN).mark_line(
        strokeWidth=1, point=alt.OverlayMarkDef(size=70, filled=False, strokeWidth=2))
    marks = _marked_points(base, encode, tooltip)
    ends = end_labels(frame[frame["split"].isin([TRAIN, VALIDATION])], metric, low, high, _mark_lines(frame))
    column = 12 + LABEL_CHAR_PIXELS * max((len(line) for label in ends["label"] for line in label.split("\n")),
                                          default=0)
    # Room for the plot and the labels? Naming the `width` signal makes Vega work this out again whenever the
    # chart is laid out anew (on its first draw the container can still have a provisional size). Filtered
    # out, not just made transparent: Vega sizes the plot to leave room for every mark, hidden or not.
    wide = f"(width > -1 && containerSize()[0] >= {column + PLOT_WIDTH_AT_LEAST + 60})"
    # Marks are clipped to the plot when the x axis can be dragged and zoomed; the labels live right of it, in
    # room Vega keeps for them (its "fit" sizing counts every mark, so the padding needs none).
    labels = alt.Chart(ends).transform_filter(wide).mark_text(
        align="left", baseline="middle", dx=8, fontWeight="bold", clip=False, lineBreak="\n").encode(
        x=alt.value("width"), y=alt.Y("y:Q", scale=y_scale), text="label:N",
        color=alt.Color("model:N", scale=style_scales(styles)["color"], legend=None))
    return themed(alt.LayerChart(layer=[  # not alt.layer(...): mypy reads that as maybe a FacetChart
        train.encode(**encode, tooltip=tooltip),
        validation.encode(**encode, shape=channels["shape"], tooltip=tooltip),
        labels,  # third: tests and readers find the end labels here
        epoch_log.encode(**encode, shape=channels["shape"], tooltip=tooltip),
        *marks,
    ]).properties(height=CHART_HEIGHT).interactive(bind_y=False))


def _marked_points(base: alt.Chart, encode: dict[str, Any], tooltip: list[Any]) -> list[alt.Chart]:
    """The test scores (filled diamonds) and reported reference numbers (crosses); their numbers are written in
    the model's end label (see `_mark_lines`), where labels never overlap, and in each point's tooltip."""
    channels = {"x": encode["x"], "y": encode["y"], "color": encode["color"]}
    tips = tooltip + [alt.Tooltip("label:N", title="Mark")]
    return [base.transform_filter(alt.datum.split == split).mark_point(
        shape=shape, size=150, filled=True, opacity=0.9).encode(**channels, tooltip=tips)
        for split, shape in ((TEST, "diamond"), (REPORTED, "cross"))]


def _mark_lines(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Per model, its marks' labels without the model's name ("test 0.9741", "seed 003: 0.9782"), for its end label."""
    lines: dict[str, list[str]] = {}
    for row in frame[frame["split"].isin([TEST, REPORTED]) & (frame["label"] != "")].itertuples():
        text = str(row.label).removeprefix(f"{row.model}, ").removeprefix(f"{row.model} ")
        lines.setdefault(str(row.model), []).append(text)
    return lines


def _y_domain(values: pd.Series) -> tuple[float, float]:
    """The y axis's range: the data's, with a little room above and below (0..1 when there is no data yet)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return 0.0, 1.0
    low, high = float(numbers.min()), float(numbers.max())
    room = max(high - low, 1e-3) * 0.04
    return low - room, high + room


def end_labels(frame: pd.DataFrame, metric: str, low: float, high: float,
               notes: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per model (model, label, y): its name and last validation score, placed at its curve's end.

    A model without validation points yet is labelled by name at the end of its training curve. Labels closer
    than `LABEL_GAP_PIXELS` (per line of the tallest label) are pushed apart (see `spread`), so they never sit on
    top of each other. `notes` adds lines under a model's name (its test score, what a tutorial reported).
    """
    notes = notes or {}
    number = "{:.1%}" if metric == "accuracy" else "{:.3f}"
    ends = []
    for model, rows in frame.groupby("model", sort=False):
        validations = rows[rows["split"] == VALIDATION]
        if len(validations):
            last = validations.iloc[-1]
            ends.append({"model": model, "label": f"{model} {number.format(float(last['y']))}", "y": float(last["y"])})
        elif len(rows):
            ends.append({"model": model, "label": str(model), "y": float(rows.iloc[-1]["y"])})
    for end in ends:
        end["label"] = "\n".join([end["label"], *notes.get(end["model"], [])])
    lines = max((end["label"].count("\n") + 1 for end in ends), default=1)
    gap = (high - low) * LABEL_GAP_PIXELS * lines / PLOT_HEIGHT_AT_LEAST
    placed = spread([end["y"] for end in ends], gap, low, high)
    return pd.DataFrame([{**end, "y": y} for end, y in zip(ends, placed)], columns=["model", "label", "y"])


def spread(values: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label heights at least `gap` apart, each as near its own value as that allows, in the same order from top
    to bottom as the values, and inside low..high when they fit there."""
    order = sorted(range(len(values)), key=lambda index: -values[index])
    placed = [min(values[index], high) for index in order]
    for rank in range(1, len(placed)):  # from the top down: push each label below the one above it
        placed[rank] = min(placed[rank], placed[rank - 1] - gap)
    if placed and placed[-1] < low:  # ran off the bottom: push up from the bottom instead
        placed[-1] = low
        for rank in range(len(placed) - 2, -1, -1):
            placed[rank] = max(placed[rank], placed[rank + 1] + gap)
    result = [0.0] * len(values)
    for rank, index in enumerate(order):
        result[index] = placed[rank]
    return result


def confusion_chart(matrix: np.ndarray, title: str, class_names: Sequence[str] = tuple("0123456789"),
                    item: str = "digit") -> alt.LayerChart:
    """Counts[true, predicted] as a heat map with the numbers written in each cell, the classes named and kept in
    the dataset's label order."""
    frame = pd.DataFrame([{"true": class_names[t], "predicted": class_names[p], "count": int(matrix[t, p])}
                          for t in range(matrix.shape[0]) for p in range(matrix.shape[1])])
    frame["mistake"] = frame["true"] != frame["predicted"]
    order = list(class_names)
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("predicted:O", title=f"Predicted {item}", sort=order),
        y=alt.Y("true:O", title=f"True {item}", sort=order))
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        tooltip=["true:O", "predicted:O", "count:Q"])
    text = base.mark_text(fontSize=11).encode(
        text=alt.condition(alt.datum.count > 0, "count:Q", alt.value("")),
        color=alt.condition(alt.datum.count > matrix.max() / 3, alt.value("white"), alt.value("black")))
    # Streamlit fits the rotated class names under the plot into the height too: long names ("Ankle boot") take
    # rows away from the cells, and Vega then drops every other name on the side.
    longest = max(len(name) for name in class_names)
    return (cells + text).properties(height=320 + LABEL_CHAR_PIXELS * (longest - 1))




def layer_panel(frame: pd.DataFrame, field: str, title: str, names: bool, number_format: str,
                axis_title: str | None = None) -> alt.LayerChart:
    """Bars per layer in network order, titled, with the tallest bar named on the chart, so it reads without
    colour. Panels drawn one above the other line up: same layer axis, same width kept for the numbers."""
    # The order is spelled out, not `sort=None`: when the page switches network, Vega updates the chart in place
    # and a layer name the previous network also had ("flatten") kept its old place, first on the axis.
    x = alt.X("Layer:N", sort=list(frame["Layer"]), title=axis_title,
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
    return themed((bars + label).properties(height=260 + 150 * names))
