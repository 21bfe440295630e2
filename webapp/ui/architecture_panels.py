"""The Architectures page's panels: choosing a network, its totals, memory, chart and layer table."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from webapp.architectures import ARCHITECTURE_NAMES, Design
from webapp.network_catalog import ARCHITECTURE_LABELS, PUBLISHED_PARAMS
from webapp.formulas import format_bytes, format_shape
from webapp.summary import (DTYPE_BYTES, OPTIMIZER_SLOTS, MemoryReport, MemorySettings, NetworkTable, format_count,
                            memory_report, where_weights_and_memory)
from webapp.ui import cached
from webapp.ui.charts import layer_panel
from webapp.ui.concepts import show_spec_code
from webapp.ui.numbers import memory_metric
from webapp.ui.state import preset
from webapp.ui.theme import is_dark

DESIGN = "design"
NETWORK_CHOICES = [*ARCHITECTURE_NAMES, DESIGN]
BATCH_CHOICES = [1, 8, 16, 32, 64, 128, 256, 512]
OPTIMIZER_NOTES = {"sgd": "no state", "momentum": "1 velocity per weight", "rmsprop": "1 running mean per weight",
                   "adagrad": "1 running sum per weight", "adam": "2 moments per weight",
                   "adamw": "2 moments per weight", "nadam": "2 moments per weight"}


def network_picker() -> str:
    """A listed network or the designer; `?network=vgg16` in the URL preselects one."""
    choice = preset("network", NETWORK_CHOICES, "vgg16")
    return st.selectbox("Network", NETWORK_CHOICES, index=NETWORK_CHOICES.index(choice),
                        format_func=lambda name: "Design your own" if name == DESIGN else ARCHITECTURE_LABELS[name],
                        help="The lab's MNIST networks, classic ImageNet networks (untrained, nothing is downloaded), "
                             "or your own stack of conv, pool and dense layers.")


def memory_controls() -> MemorySettings:
    """Batch size, optimizer and number format: they change memory, never the parameter counts."""
    batch, optimizer, dtype = st.columns(3)
    return MemorySettings(
        batch_size=batch.select_slider("Batch size", BATCH_CHOICES, value=32,
                                       help="Images processed together: activation memory grows in proportion."),
        optimizer=optimizer.selectbox("Optimizer", list(OPTIMIZER_SLOTS), index=list(OPTIMIZER_SLOTS).index("adam"),
                                      format_func=lambda name: f"{name} ({OPTIMIZER_NOTES[name]})",
                                      help="What the optimizer keeps for every trainable weight counts towards "
                                           "training memory."),
        dtype=dtype.radio("Numbers", list(DTYPE_BYTES), horizontal=True,
                          help="float32 takes 4 bytes a number, float16 2: half the memory for the same network."),
    )


def design_controls() -> tuple[Design | None, str | None]:
    """The seed notes' pattern, each letter a control: (design or None, problem sentence or None)."""
    defaults = Design()
    with st.container(border=True):
        image, convs, filters, dense = st.columns(4)
        fields: dict[str, Any] = dict(
            image_size=image.select_slider("Image side (pixels)", [8, 16, 28, 32, 64, 96, 128, 224, 256],
                                           defaults.image_size,
                                           help="Input images are square: side x side x channels."),
            channels=image.radio("Channels", [1, 3], index=1, horizontal=True, help="1 for grey images, 3 for RGB."),
            convs_per_block=convs.slider("N: convolutions per block", 0, 4, defaults.convs_per_block,
                                         help="CONV -> RELU repeated N times in each block (usually 0 to 3)."),
            blocks=convs.slider("M: blocks", 0, 6, defaults.blocks, help="How many times the block repeats."),
            pool=convs.toggle("POOL after each block", defaults.pool,
                              help="A 2x2 max-pool halves the image after each block."),
            filters=filters.select_slider("Filters in block 1", [4, 8, 16, 32, 64, 128, 256], defaults.filters,
                                          help="Feature maps made by each convolution of the first block."),
            double_filters=filters.toggle("Double filters per block", defaults.double_filters,
                                          help="Deeper blocks see a smaller image, so they can afford more maps."),
            kernel_size=filters.radio("Kernel side", [1, 3, 5, 7], index=1, horizontal=True,
                                      help="Every convolution uses square kernels, zero-padded to keep the image "
                                           "size."),
            dense_layers=dense.slider("K: hidden dense layers", 0, 3, defaults.dense_layers,
                                      help="FC -> RELU repeated K times before the final FC classifier."),
            dense_width=dense.select_slider("Dense width", [16, 32, 64, 128, 256, 512, 1024, 4096],
                                            defaults.dense_width,
                                            help="Neurons in each hidden dense layer."),
            classes=dense.number_input("Classes", 2, 1000, defaults.classes, help="Neurons in the final FC layer."),
        )
        try:
            design = Design(**fields)
        except ValueError as problem:
            return None, str(problem)
        st.code(design.pattern(), language=None)
    return design, None


@st.fragment
def network_panel() -> None:
    """The "Layer by layer" tab, a fragment: switching the network or a memory setting reruns only this tab,
    not the calculators and concepts beside it."""
    choice = network_picker()
    design, problem = design_controls() if choice == DESIGN else (None, None)
    settings = memory_controls()
    if problem:
        st.error(problem)
        return
    table = load_table(choice, design)
    report = memory_report(table, settings)
    show_totals(table, report)
    where_weights_and_memory_are(table, report)
    show_layers(table, report)
    show_spec_code(table)
    st.subheader("Memory, term by term")
    show_memory(table, report)


def load_table(choice: str, design: Design | None) -> NetworkTable:
    """The design's table when there is one (only the Design choice makes one), else the named network's."""
    return cached.design_table(design) if design is not None else cached.network_table(choice)


def show_totals(table: NetworkTable, report: MemoryReport) -> None:
    """Parameters, multiply-adds and both memory totals, with the published parameter count beside ours."""
    settings = report.settings
    params, work, inference, training = st.columns(4)
    params.metric("Parameters", f"{table.total_params:,}", help="Weights and biases, trainable or not.")
    published = PUBLISHED_PARAMS.get(table.name)
    check = f"; published {published:,} {'✓' if published == table.total_params else '✗'}" if published else ""
    frozen = (f", {table.non_trainable_params:,} not (batch-norm running statistics)" if table.non_trainable_params
              else "")
    params.caption(f"{table.trainable_params:,} trainable{frozen}{check}")
    work.metric("Multiply-adds per image", format_count(table.multiply_adds),
                help="One multiplication and one addition per kernel weight at every output position.")
    work.caption(f"{table.multiply_adds:,} in all, {len(table.rows)} layers")
    memory_metric(inference, "Inference memory", report.inference_bytes,
                  "The most activation memory alive at one moment of a forward pass, for the whole batch:",
                  f"activations only, batch {settings.batch_size}, {settings.dtype}; "
                  f"the weights add {format_bytes(report.weights_bytes)}")
    memory_metric(training, "Training memory", report.training_bytes,
                  "Every activation kept for backpropagation, plus weights, gradients and optimizer state:",
                  f"batch {settings.batch_size}, {settings.dtype}, {settings.optimizer}")


def where_weights_and_memory_are(table: NetworkTable, report: MemoryReport) -> None:
    """Two sentences: the layer type that holds the weights, and the one whose outputs fill the memory."""
    st.markdown(where_weights_and_memory(table, report.settings.dtype))


def show_memory(table: NetworkTable, report: MemoryReport) -> None:
    """Memory in float32 and float16 side by side, term by term, and why the inference peak is where it is."""
    settings = report.settings
    both = {dtype: memory_report(table, MemorySettings(settings.batch_size, settings.optimizer, dtype))
            for dtype in DTYPE_BYTES}
    slots = OPTIMIZER_SLOTS[settings.optimizer]
    terms = [
        ("Inference: activations alive at the peak", lambda r: r.inference_bytes),
        ("Training: every activation, kept for backprop", lambda r: r.activations_bytes),
        ("+ weights", lambda r: r.weights_bytes),
        ("+ gradients (one per trainable weight)", lambda r: r.gradients_bytes),
        (f"+ {settings.optimizer} state ({slots} per trainable weight)", lambda r: r.optimizer_bytes),
        ("= training total", lambda r: r.training_bytes),
    ]
    frame = pd.DataFrame({"Memory": [label for label, _ in terms],
                          **{dtype: [format_bytes(term(both[dtype])) for _, term in terms] for dtype in DTYPE_BYTES}})
    st.dataframe(frame, hide_index=True, width="content")
    alive = report.inference_alive
    if table.is_chain:
        st.caption("A chain: at inference a layer needs only its input and its output, so the peak is the largest "
                   f"pair of consecutive outputs, here `{alive[0]}` and `{alive[-1]}`. Training keeps them all.")
    else:
        st.caption(f"This network branches, so an output stays alive until its last reader has run. At the peak, "
                   f"while `{alive[-1]}` is computed, {len(alive)} outputs are alive: "
                   + ", ".join(f"`{name}`" for name in alive) + ".")
    st.caption("float16 halves every term here (mixed-precision training keeps float32 master weights and optimizer "
               f"state, so it saves less). Batch {settings.batch_size}: activations grow with the batch, "
               "weights, gradients and optimizer state do not. Every layer's output is counted as its own tensor; "
               "frameworks can fuse or reuse some of them.")


def _unit(largest: int) -> tuple[str, int]:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):  # decimal, as formulas.format_bytes leads
        if largest >= scale:
            return unit, scale
    return "bytes", 1


@st.cache_data(show_spinner=False, max_entries=64)
def layer_panel_spec(frame: pd.DataFrame, field: str, title: str, names: bool, number_format: str,
                     axis_title: str | None, dark: bool = False) -> dict:
    """The chart's Vega-Lite spec, kept per network and settings. Altair's check of the spec against its schema
    costs a few hundred milliseconds a chart, on every switch: it is left out here and made once, in
    tests/app/test_architectures_page.py, on the same spec. `dark` (the browser's theme) is part of the cache key:
    the label on the tallest bar is drawn in the theme's ink, so a spec kept from a light page would be dark grey
    on a dark one."""
    return layer_panel(frame, field, title, names, number_format, axis_title).to_dict(validate=False)


def show_layers(table: NetworkTable, report: MemoryReport) -> None:
    """The chart of parameters and activation memory per layer, then the table itself."""
    unit, scale = _unit(max(report.activation_bytes))
    memory = f"Activations ({unit})"
    frame = pd.DataFrame({
        "Layer": [row.name for row in table.rows],
        "Type": [row.kind for row in table.rows],
        "Output shape": [format_shape(row.output_shape) for row in table.rows],
        "Parameters": [row.params for row in table.rows],
        "How they add up": [row.formula for row in table.rows],
        "Multiply-adds": [row.multiply_adds for row in table.rows],
        memory: [size / scale for size in report.activation_bytes],
    })
    if not table.is_chain:
        frame["Reads"] = [", ".join(row.inputs) for row in table.rows]
    settings = report.settings
    names = len(frame) <= 40  # beyond that the names cannot be read; the tooltips still give them
    hover = None if names else "Layers in network order (hover for names)"
    st.vega_lite_chart(layer_panel_spec(frame, "Parameters", "Parameters per layer", False, ",.0f", hover, is_dark()),
                       width="stretch")
    title = f"Activation memory per layer ({unit}, batch {settings.batch_size}, {settings.dtype})"
    st.vega_lite_chart(layer_panel_spec(frame, memory, title, names, ",.2f", hover, is_dark()),
                       width="stretch")
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "Parameters": st.column_config.NumberColumn(format="localized", help="Weights and biases of the layer."),
        "How they add up": st.column_config.TextColumn(help="(kernel height x width x input depth + 1 bias) x filters; "
                                                            "dense: (inputs + 1) x neurons."),
        "Multiply-adds": st.column_config.NumberColumn(format="localized", help="Per image."),
        memory: st.column_config.NumberColumn(format="%.3f", help="The layer's output for the whole batch."),
    })
