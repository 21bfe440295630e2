"""The race chart (Train page) and the robustness chart (Draw page): they build from any part of a live
record, label every model without overlap, and give a model the same look on both pages."""
import re
from pathlib import Path

import numpy as np
import pytest

from webapp.curves import chart_rows
from webapp.run_record import RunRecord
from webapp.store import RunInfo
from webapp.ui.charts import (LABEL_CHAR_PIXELS, LABEL_GAP_PIXELS, PLOT_HEIGHT_AT_LEAST, PLOT_WIDTH_AT_LEAST,
                              race_chart, spread)
from webapp.ui.model_style import KIND_STYLES, series_styles
from webapp.ui.predictions import shift_sweep_chart

KINDS = {"DNN": "dnn", "CNN": "cnn"}


def batches(count, start=0.1):
    return [{"step": step, "epoch": step / 100, "seconds": step * 0.01, "loss": 2.0 / step,
             "accuracy": min(1.0, start + step * 0.01)} for step in range(1, count + 1)]


def validations(epochs):
    return [{"step": int(epoch * 100), "epoch": epoch, "seconds": epoch, "loss": 0.3, "accuracy": 0.9 + epoch / 100}
            for epoch in epochs]


# The shapes a live record passes through: nothing yet, one model's first batches (the other waits its
# turn), both training without a validation point (the first seconds of a 60,000-image race), one model
# validated and the other not yet, both validated.
LIVE_SHAPES = {
    "no rows yet": {"DNN": {}, "CNN": {}},
    "one model's batches only": {"DNN": {"batches": batches(25)}, "CNN": {"batches": []}},
    "training rows only": {"DNN": {"batches": batches(30)}, "CNN": {"batches": batches(25)}},
    "one model validated": {"DNN": {"batches": batches(30), "validations": validations([0.1])},
                            "CNN": {"batches": batches(25)}},
    "both validated": {"DNN": {"batches": batches(30), "validations": validations([0.1, 0.2])},
                       "CNN": {"batches": batches(30), "validations": validations([0.1])}},
}


def label_layer(spec):
    return spec["datasets"][spec["layer"][2]["data"]["name"]]


@pytest.mark.parametrize("shape", list(LIVE_SHAPES))
@pytest.mark.parametrize("x, metric", [("epoch", "accuracy"), ("seconds", "loss")])
def test_the_race_chart_builds_from_every_part_of_a_live_record(shape, x, metric):
    histories = LIVE_SHAPES[shape]
    spec = race_chart(chart_rows(histories, x=x, metric=metric), x=x, metric=metric, x_max=3.0, kinds=KINDS).to_dict()
    started = [label for label, history in histories.items() if history.get("batches")]
    labels = label_layer(spec)
    assert [row["model"] for row in labels] == started, "one end label per model that has a curve"
    for row in labels:
        validated = histories[row["model"]].get("validations")
        assert row["label"].startswith(row["model"]) and (" " in row["label"]) == bool(validated)


def test_end_labels_of_close_curves_are_pushed_apart_but_keep_their_order():
    placed = spread([0.981, 0.980, 0.979, 0.5], gap=0.02, low=0.4, high=1.0)
    assert placed[0] > placed[1] > placed[2] > placed[3]
    assert all(upper - lower >= 0.02 - 1e-12 for upper, lower in zip(placed, placed[1:3]))
    assert placed[3] == 0.5, "a label with room keeps its own height"


def test_end_labels_near_the_bottom_are_pushed_up_inside_the_plot():
    placed = spread([0.11, 0.105, 0.1], gap=0.05, low=0.1, high=1.0)
    assert min(placed) >= 0.1 and sorted(placed, reverse=True) == placed
    assert all(upper - lower >= 0.05 - 1e-12 for upper, lower in zip(placed, placed[1:]))


def test_the_race_chart_spaces_its_labels_by_at_least_a_label_height():
    close = {name: {"batches": batches(30), "validations": validations([0.5])} for name in ("DNN", "CNN", "LeNet-5")}
    spec = race_chart(chart_rows(close), kinds={"DNN": "dnn", "CNN": "cnn", "LeNet-5": "lenet"}).to_dict()
    low, high = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    heights = sorted(row["y"] for row in label_layer(spec))
    pixels = [(upper - lower) / (high - low) * PLOT_HEIGHT_AT_LEAST for lower, upper in zip(heights, heights[1:])]
    assert min(pixels) >= LABEL_GAP_PIXELS - 1e-6
    # the labels sit right of the plot, in room kept for them, and the zoomable plot's clipping spares them
    assert spec["layer"][2]["mark"]["clip"] is False
    assert "padding" not in spec, "Vega's own sizing keeps room for the labels: padding would double it"


def test_on_a_narrow_container_the_end_labels_give_their_room_back_to_the_plot():
    """A phone's ~360 pixels: the label column would leave the plot a sliver, so the browser drops the labels
    (the legend still names each series; dash and marker tell them apart). Dropped, not made transparent:
    Vega keeps room for every mark, hidden or not."""
    spec = race_chart(chart_rows(LIVE_SHAPES["both validated"]), kinds=KINDS).to_dict()
    [wide] = [step["filter"] for step in spec["layer"][2]["transform"]]
    threshold = int(re.search(r"containerSize\(\)\[0\] >= (\d+)", wide).group(1))
    assert 360 < threshold <= 800, "a phone is narrow, a laptop's chart is wide"
    longest = max(len(line) for row in label_layer(spec) for line in row["label"].split("\n"))
    assert threshold >= LABEL_CHAR_PIXELS * longest + PLOT_WIDTH_AT_LEAST, "the labels never squeeze the plot"
    assert "opacity" not in spec["layer"][2]["mark"]


def scale_of(layer, channel):
    scale = layer["encoding"][channel]["scale"]
    return dict(zip(scale["domain"], scale["range"]))


class ConfidentModel:
    """Stands in for a Keras model: always answers 3."""

    def __call__(self, batch, training=False):
        return np.tile(np.eye(10)[3], (len(batch), 1))


def test_a_model_has_the_same_colour_dash_and_marker_on_the_train_and_draw_pages():
    histories = LIVE_SHAPES["both validated"]
    race = race_chart(chart_rows(histories), kinds=KINDS).to_dict()
    # the Draw page lists the convolutional model first, the Train page the dense one: order must not matter
    chosen = {kind: RunInfo(f"run-{kind}", Path("."), RunRecord(model=kind), False) for kind in ("cnn", "dnn")}
    models = {kind: ConfidentModel() for kind in chosen}
    sweep = shift_sweep_chart(models, chosen, np.zeros((28, 28), np.uint8)).to_dict()
    for channel in ("color", "strokeDash"):
        assert scale_of(race["layer"][0], channel) == scale_of(sweep["layer"][0], channel)
    assert scale_of(race["layer"][1], "shape") == scale_of(sweep["layer"][0], "shape")
    assert scale_of(race["layer"][0], "color") == {"DNN": KIND_STYLES["dnn"].color, "CNN": KIND_STYLES["cnn"].color}


def test_two_runs_of_one_kind_share_its_colour_but_not_its_dash_or_marker():
    styles = series_styles(["DNN 1a2b", "DNN 3c4d (augmented)", "CNN default"])
    assert styles["DNN 1a2b"] == KIND_STYLES["dnn"] and styles["CNN default"] == KIND_STYLES["cnn"]
    second = styles["DNN 3c4d (augmented)"]
    assert second.color == KIND_STYLES["dnn"].color
    assert (second.dash, second.shape) != (KIND_STYLES["dnn"].dash, KIND_STYLES["dnn"].shape)


def test_a_confusion_matrix_with_long_class_names_is_taller_so_every_row_keeps_its_name():
    """Fashion-MNIST's rotated names ("Ankle boot") take height from the cells; digits keep the old 320."""
    import numpy as np

    from webapp.ui.charts import confusion_chart

    matrix = np.eye(10, dtype=int)
    garments = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                "Ankle boot")
    assert confusion_chart(matrix, "digits").to_dict()["height"] == 320
    assert confusion_chart(matrix, "clothes", garments, "garment").to_dict()["height"] > 320 + 10 * 6


def test_a_layer_panel_names_its_layer_order_so_a_switched_network_keeps_it():
    """With no explicit order, switching VGG16 to CNN-3 drew CNN-3's "flatten" first (Vega kept the old
    network's place for a shared name); the spec lists the network's own order instead."""
    import pandas as pd

    from webapp.ui.charts import layer_panel

    layers = ["pixels", "conv_1", "pool_1", "flatten", "dense_1"]
    frame = pd.DataFrame({"Layer": layers, "Type": ["x"] * 5, "Output shape": ["1"] * 5,
                          "Parameters": [0, 320, 0, 0, 73856]})
    spec = layer_panel(frame, "Parameters", "Parameters per layer", True, ",.0f").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["sort"] == layers


@pytest.mark.parametrize("kind, label", [("cnn", 3), ("dnn", 0), (None, 9)])
def test_the_probability_charts_cached_spec_is_the_altair_charts_with_these_numbers(kind, label):
    """Draw & Predict fills ten numbers into a layout made once (no Altair build per pen-up): it must be the same
    chart, valid Vega-Lite, as building it from the prediction would give."""
    from webapp.predict import Prediction
    from webapp.ui.predictions import probability_chart, probability_spec

    prediction = Prediction(label, [round(value, 6) for value in np.random.default_rng(label).dirichlet(np.ones(10))])
    built = probability_chart(prediction, kind).to_dict()  # validated against the schema
    (rows,) = built.pop("datasets").values()
    cached = probability_spec(prediction, kind)
    assert cached.pop("datasets") == {cached["data"]["name"]: rows}
    assert {**cached, "data": None} == {**built, "data": None}


@pytest.mark.parametrize("names", [["circle", "cross"], ["red", "green", "blue", "a much longer class name"]])
def test_your_classes_cached_probability_spec_is_the_altair_charts_with_these_numbers(names):
    """Your classes fills its numbers into a layout made once per list of classes: the same chart as building it."""
    from webapp.ui.predictions import class_probability_chart, class_probability_spec

    probabilities = np.random.default_rng(len(names)).dirichlet(np.ones(len(names)))
    built = class_probability_chart(names, probabilities).to_dict()  # validated against the schema
    (rows,) = built.pop("datasets").values()
    cached = class_probability_spec(names, probabilities)
    assert cached.pop("datasets") == {cached["data"]["name"]: rows}
    assert {**cached, "data": None} == {**built, "data": None}
