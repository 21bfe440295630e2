"""The CNN Stages page's "Seed figures" tab and its pooling worked example: the seed tutorials' figures, each
computed by webapp.seed_stages and drawn here. `?preset=NAME` in the URL opens one of them."""
from __future__ import annotations


import numpy as np
import pandas as pd
import streamlit as st

from webapp import seed_stages as seeds
from webapp.formulas import format_exact, format_shape
from webapp.stages.stage_images import StagesView, view_of
from webapp.stages import STAGES, StageError
from webapp.ui.state import preset
from webapp.ui.stages import grid_table, show_stage, window_cells

FIGURES = {
    "seed000-rgba": "Seed 000: an RGBA icon, 3x3x4x4 filters, 140x223x4 → 46x74x4",
    "seed004-pool-same": "Seed 004: pooling 224x224x16 with F = S = 3, SAME (75x75) or VALID (74x74)",
    "same-size-padding": "P = (F − 1)/2 keeps the size at stride 1",
    "cifar-walkthrough": "Seed 001: CIFAR-10 through INPUT → CONV → RELU → POOL → FC",
}
POOL_BY_HAND = "pool-by-hand"
PRESETS = (*FIGURES, POOL_BY_HAND)  # every `?preset=` the Stages page understands
SEED_TAB, EXAMPLES_TAB = "Seed figures", "Worked examples"


def preset_tab() -> str | None:
    """The tab a `?preset=` link opens: the worked examples for the pool by hand, else the seed figures."""
    chosen = st.query_params.get("preset")
    if chosen == POOL_BY_HAND:
        return EXAMPLES_TAB
    return SEED_TAB if chosen in FIGURES else None


@st.fragment
def show_seed_figures() -> None:
    """One figure at a time, chosen here or by the link; none is computed until one is chosen. A fragment: its
    controls rerun this tab alone."""
    ids = list(FIGURES)
    start = preset("preset", ids, None)
    chosen = st.selectbox("Seed figure", ids, index=None if start is None else ids.index(start),
                          format_func=lambda key: FIGURES[key], key="seed_figure", placeholder="Choose a figure",
                          help="Figures of the seed tutorials, recomputed by the lab. A link can open one: "
                               "/stages?preset=" + ", ".join(PRESETS) + ".")
    if chosen is None:
        st.caption("Each figure of the seed tutorials that the other tabs do not show, computed here: "
                   + "; ".join(FIGURES.values()) + ".")
        return
    {"seed000-rgba": show_seed000, "seed004-pool-same": show_padded_pooling,
     "same-size-padding": show_same_size_padding, "cifar-walkthrough": show_cifar_walkthrough}[chosen]()


# -- seed 000 ----------------------------------------------------------------------------------------------
@st.cache_data(max_entries=1, show_spinner="Convolving the 698x1113 RGBA icon at full size...")
def seed000_view() -> tuple[StagesView, int]:
    processed = seeds.seed000_stages()
    return view_of(processed), seeds.weights_without_bias(processed)


def show_seed000() -> None:
    st.subheader("Seed 000: a transparent icon keeps four channels")
    st.markdown("Seed 000 reads a PNG icon with its transparency, so every pixel has four values (red, green, blue, "
                "alpha) and each random filter must be 3x3x**4**. Here a bundled photo stands in for its icon, cut to "
                "698x1113 pixels with a transparent frame; the seed's settings follow: four N(0, 1) filters drawn "
                "after seeding with 1, stride 5 with no padding, ReLU, then 3x3 max pooling at stride 3 with no "
                "padding. Upload your own transparent PNG on the first tab and turn on *Keep transparency* to do "
                "the same with any picture.")
    view, weights = seed000_view()
    bank = view.bank
    shape = format_shape(bank.weights.shape)
    filters, plain, with_bias = st.columns(3)
    filters.metric("Filter bank (F x F x C x K)", shape, help="3x3 windows over 4 channels, 4 filters.")
    plain.metric("Weights (tf.nn.conv2d, no bias)", format_exact(weights),
                 help=f"{' x '.join(map(str, bank.weights.shape))}.")
    with_bias.metric("With a bias per filter (Keras Conv2D)", format_exact(view.plan.conv.params),
                     help="(F·F·C + 1)·K: the count the rest of the lab uses.")
    for stage in STAGES:
        show_stage(view, stage)
    shapes = {stage: tuple(view.shapes[stage]) for stage in seeds.SEED000_SHAPES}
    found = f"Convolution {format_shape(shapes['conv'])}, pooled to {format_shape(shapes['pool'])}"
    if shapes == seeds.SEED000_SHAPES:
        st.success(f"{found}: the seed's shapes.", icon=":material/check:")
    else:
        st.warning(f"{found}: not the seed's 140x223x4 and 46x74x4.", icon=":material/warning:")


# -- seed 004: padded pooling -------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner="Pooling random numbers both ways...")
def padded_check(shape: tuple[int, int, int], size: int, stride: int) -> seeds.PaddedPoolCheck:
    return seeds.padded_pool_check(shape, size, stride)


CHECK_LIMIT = 20_000_000  # values pooled for real on the page


def show_padded_pooling() -> None:
    st.subheader("Pooling with padding: 75x75 or 74x74")
    st.markdown("Seed 004 max-pools a 224x224x16 volume with a 3x3 window at stride 3. 224 is not a multiple of 3, "
                "so the last window would hang over the edge. With VALID padding (the lab's default, and Keras's) "
                "that window is dropped; with SAME padding zeros are added after the last row and column so it fits.")
    columns = st.columns(5)
    height = columns[0].number_input("Height", 1, 4096, 224, key="pool_pad_h", help="Rows of the pooled volume.")
    width = columns[1].number_input("Width", 1, 4096, 224, key="pool_pad_w", help="Columns of the pooled volume.")
    depth = columns[2].number_input("Depth", 1, 512, 16, key="pool_pad_d", help="Maps; pooling keeps each one apart.")
    size = columns[3].number_input("Window F", 1, 64, 3, key="pool_pad_f", help="The pooling window is F x F.")
    stride = columns[4].number_input("Stride S", 1, 64, 3, key="pool_pad_s", help="How far the window moves.")
    shape = (int(height), int(width), int(depth))
    for padding, column in zip(("valid", "same"), st.columns(2)):
        try:
            layer = seeds.pool_layer(shape, int(size), int(stride), padding)
        except StageError as problem:
            column.error(str(problem))
            continue
        column.metric(f"{padding.upper()} output", " x ".join(map(str, layer.output_shape)),
                      help="Rows x columns x depth (pooling has no weights).")
        column.markdown(f"Rows: `{layer.rows.formula('H')}`  \nColumns: `{layer.cols.formula()}`")
    extra = seeds.seed004_padding(int(width), int(size), int(stride))
    st.markdown(f"SAME adds max((⌈W/S⌉ − 1)·S + F − W, 0) zeros, more of them after than before. Seed 004's NumPy "
                f"code adds (W // S)·S + F − W = ({int(width)} // {int(stride)})·{int(stride)} + {int(size)} − "
                f"{int(width)} = {extra} zero column(s) after the last one, then steps S at a time: "
                f"{int(width) + extra} wide. It matches SAME when S does not divide W; when it does, it adds a "
                "needless window of zeros.")
    if np.prod(shape) > CHECK_LIMIT:
        st.caption(f"Too large to pool here for real ({format_exact(int(np.prod(shape)))} values); the shapes above "
                   "come from the formulas.")
        return
    try:
        check = padded_check(shape, int(size), int(stride))
    except ValueError as problem:
        st.caption(f"Not pooled for real: {problem}")
        return
    st.markdown(f"Pooled for real with `keras.ops.max_pool` on random numbers in [0, 1): SAME gives "
                f"**{format_shape(check.same_shape)}**, VALID **{format_shape(check.valid_shape)}**; "
                f"zero padding the seed's way gives {format_shape(check.zero_padded_shape)}, largest "
                f"difference from SAME {format_exact(check.max_difference)}. Zeros never beat values of 0 or more, "
                "so for a max after ReLU they change nothing; an average pool with SAME divides by the real cells "
                "only, which zeros would not.")


# -- P = (F - 1) / 2 ------------------------------------------------------------------------------------------
def show_same_size_padding() -> None:
    st.subheader("Keeping the size: P = (F − 1)/2 at stride 1")
    left, right = st.columns(2)
    width = left.number_input("Input side W", 1, 4096, 32, key="same_size_w", help="Rows (or columns) of the input.")
    kernel = right.selectbox("Kernel side F", list(range(1, 12)), index=4, key="same_size_f",
                             help="Odd sides have a centre pixel; even ones cannot be padded evenly.")
    chosen = seeds.same_size_padding(int(width), kernel)
    if chosen.whole:
        pad = int(chosen.padding)
        st.markdown(f"P = ({kernel} − 1)/2 = **{pad}**, and (W − F + 2P)/1 + 1 = "
                    f"({int(width)} − {kernel} + 2·{pad}) + 1 = **{chosen.layer_output}**: the output is as wide as "
                    "the input, since −F + 2P + 1 = −F + F − 1 + 1 = 0.")
    else:
        st.warning(f"P = ({kernel} − 1)/2 = {format_exact(chosen.padding)}: no whole number of zeros on each side "
                   f"keeps the size. TensorFlow's SAME pads {kernel // 2 - 1} before and {kernel // 2} after.",
                   icon=":material/warning:")
    rows = [seeds.same_size_padding(int(width), side) for side in range(1, 12, 2)]
    st.dataframe(pd.DataFrame({"F": [row.kernel for row in rows],
                               "P = (F − 1)/2": [format_exact(row.padding) for row in rows],
                               "Output side": [format_exact(row.layer_output) if row.layer_output is not None
                                               else "none" for row in rows]}),
                 hide_index=True, width="content")


# -- seed 001: CIFAR-10 walk-through -------------------------------------------------------------------------
@st.cache_data(max_entries=1, show_spinner=False)
def cifar_steps() -> list[seeds.WalkStep]:
    return seeds.cifar_walkthrough()


def show_cifar_walkthrough() -> None:
    st.subheader("CIFAR-10 through INPUT → CONV → RELU → POOL → FC")
    steps = cifar_steps()
    st.markdown("Seed 001 sketches the smallest convnet for CIFAR-10. The lab runs it on a random 32x32x3 image "
                "(filters and dense weights random too) and reads every shape off the arrays:")
    st.dataframe(pd.DataFrame({"Layer": [step.layer for step in steps],
                               "Output": [format_shape(step.shape) for step in steps],
                               "Parameters": [format_exact(step.params) for step in steps],
                               "How": [step.how for step in steps]}), hide_index=True, width="stretch")
    pooled = next(step for step in steps if step.layer == "POOL")
    st.info(f"The seed writes the pooled volume as 16x16x3. Pooling slides over each of the {pooled.shape[2]} maps "
            f"on its own and never mixes them, so only width and height halve: **{format_shape(pooled.shape)}**. "
            "The 3 is the input's depth, which the convolution has already replaced by one map per filter.")


# -- pooling worked by hand ----------------------------------------------------------------------------------
@st.fragment
def show_pooling_example() -> None:
    """A 2x2 pool stepped through by hand (a fragment: its slider reruns this example alone)."""
    st.subheader("A 2x2 pool at stride 2, by hand")
    grid = seeds.POOL_GRID
    kind = st.radio("Pool by", list(seeds.POOL_BY_HAND_KINDS), format_func=lambda kind: seeds.POOL_BY_HAND_KINDS[kind],
                    horizontal=True, key="pool_hand_kind",
                    help="max keeps the largest value of each window, average their mean, sum their total "
                         "(sum pooling is the average times the window's cells).")
    steps = seeds.pool_by_hand(grid, 2, 2, kind)
    step = st.slider("Window position", 1, len(steps), 1, key="pool_hand_step",
                     help="The 2x2 window jumps 2 cells each step: four windows, no overlap, no cell left out.")
    window = steps[step - 1]
    image, result = st.columns(2)
    grid_table(image, grid, window_cells(window.top, window.left, 2), "4x4 input (the window in [brackets])")
    so_far = seeds.pool_output(steps[:step], (2, 2))
    grid_table(result, so_far, {(window.row, window.col)}, "2x2 result so far")
    cells = ", ".join(format_exact(value) for value in window.cells)
    words = {"max": f"max({cells})",
             "avg": f"({' + '.join(format_exact(v) for v in window.cells)}) / {len(window.cells)}",
             "sum": " + ".join(format_exact(value) for value in window.cells)}
    st.markdown(f"Step {step}: {words[kind]} = **{format_exact(window.value)}**, written at row {window.row}, column "
                f"{window.col} of the result ((4 − 2)/2 + 1 = 2 each way).")
    finished = seeds.pool_output(steps, (2, 2))
    rows = " and ".join("[" + ", ".join(format_exact(value) for value in row) + "]" for row in finished)
    st.caption(f"All four windows with {seeds.POOL_BY_HAND_KINDS[kind]} pooling: rows {rows}. The 4x4 input keeps a "
               "quarter of its values; a pool has no weights to learn.")
