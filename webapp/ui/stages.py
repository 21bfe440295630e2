"""CNN Stages panels: the controls (widgets in, configs out), the stages of a photo, the worked examples and
the layer calculator. All numbers come from webapp.stages; this module only draws them."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from webapp import stages as core
from webapp.formulas import format_bytes, format_exact, format_measured, format_shape
from webapp.images import ImageError
from webapp.memory import release_freed_memory
from webapp.network_catalog import has_convolutions
from webapp.stages.stage_images import StagesView, Tile, view_of
from webapp.ui import cached
from webapp.ui.numbers import memory_metric

PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]
SOURCE_LABELS = {"library": "Library", "random": "Random N(0, 1)", "model": "Trained CNN", "custom": "Your own grid"}
PADDING_LABELS = {"same": "SAME (TensorFlow)", "valid": "VALID (none)", "explicit": "P zeros"}
STAGE_LINES = {
    "input": "What the convolution reads: values in [0, 1], one map per colour channel.",
    "conv": "Each filter slides over every channel at once and adds up its products (plus its bias): one map per "
            "filter. Blue is below 0, white is 0, red is above; each filter keeps one colour scale for the three "
            "stages, and each caption gives the numbers.",
    "relu": "max(0, x) on every value: the blue (negative) parts turn white, the shape stays the same.",
}
POOL_PADDING_LINES = {"valid": "", "same": " With SAME padding a last window that hangs over the edge still counts "
                                           "(its padded cells are ignored)."}
POOL_LINES = {
    "max": "The maximum of each {size}x{size} window, stepping {stride}: the map shrinks and the strongest "
           "responses survive.",
    "avg": "The mean of each {size}x{size} window, stepping {stride}: the map shrinks and every value counts, "
           "so a strong response next to weak ones is diluted and edges come out softer.",
}
STAGE_TITLES = {"input": "1 · Input", "conv": "2 · Convolution", "relu": "3 · ReLU", "pool": "4 · Pooling"}


# -- controls ---------------------------------------------------------------------------------------------
def photo_picker() -> tuple[str, bytes, bool]:
    """(name, bytes, grayscale) of the photo to use: an upload if there is one, else the chosen sample."""
    samples = core.sample_photos()
    title = st.selectbox("Sample photo", list(samples), help="Public-domain and CC0 photos shipped with the lab "
                                                            "(data/samples/README.md says where they come from).")
    upload = st.file_uploader("Or upload your own photo", type=PHOTO_TYPES,
                              help="PNG, JPEG, WebP, BMP or GIF. It is computed at full resolution when its stages "
                                   f"fit {format_bytes(core.PAGE_MEMORY_BUDGET)}, else on a smaller copy (the page "
                                   "says so); the maps are only shrunk to be shown.")
    grayscale = st.toggle("Convert to grayscale", help="One grey channel instead of three: each filter then has "
                                                       "F x F x 1 weights instead of F x F x 3.")
    if upload is not None:
        return upload.name, upload.getvalue(), grayscale
    return title, samples[title].read_bytes(), grayscale


def alpha_toggle() -> bool:
    """Whether a transparent photo keeps its alpha as a fourth channel (as seed 000 read its icon)."""
    return st.toggle("Keep transparency (alpha) as a channel", key="stages_keep_alpha",
                     help="A PNG with transparency then has 4 channels (R, G, B, alpha), so each filter is "
                          "F x F x 4; off, transparent parts are laid over white and the photo has 3.")


def kernel_controls() -> core.KernelChoice | None:
    """Where the filters come from, and their number and size (None, with the reason shown, when unusable)."""
    try:
        return _kernel_choice()
    except core.StageError as problem:
        st.error(str(problem))
        return None


def _kernel_choice() -> core.KernelChoice:
    source = st.radio("Filters", list(SOURCE_LABELS), format_func=lambda key: SOURCE_LABELS[key], horizontal=True,
                      key="stages_source",
                      help="A library of classic kernels, random filters as in the seed tutorial, the first layer "
                           "of a CNN trained on MNIST, or a grid you type yourself.")
    if source == "library":
        names = st.multiselect("Kernels", list(core.KERNELS), default=list(core.DEFAULT_KERNELS), key="stages_kernels",
                               help="One filter each. " + " ".join(f"{kernel.name}: {kernel.what}."
                                                                   for kernel in core.KERNELS.values()))
        size = st.selectbox("Kernel size F", [None, *range(1, 16)],
                            format_func=lambda value: str(value) if value else "natural",
                            help="natural: the largest natural size among the chosen kernels (7 for the line "
                                 "filters, 3 for most); smaller fixed patterns sit centred in a frame of zeros.")
        return core.KernelChoice(source="library", names=tuple(names), size=size)
    if source == "random":
        count = st.slider("Number of filters K", 1, 16, 4, help="How many random filters, so how many maps.")
        size = st.slider("Kernel size F", 1, 11, 3, help="Each filter is F x F x C (C: the photo's channels).")
        seed = st.number_input("Seed", 0, 2**31 - 1, 1, help="np.random.seed(seed), then N(0, 1) draws, as in the "
                                                             "tutorial: the same seed gives the same filters.")
        return core.KernelChoice(source="random", count=count, size=size, seed=int(seed))
    if source == "model":
        return model_kernel_controls()
    return custom_kernel_controls()


def model_kernel_controls() -> core.KernelChoice:
    runs = [info for info in cached.visible_runs().runs if has_convolutions(info.model_name)]
    if not runs:
        st.warning("No trained CNN found; train one on the Train page.")
        return core.KernelChoice()
    info = st.selectbox("Trained model", runs, format_func=lambda run: run.label,
                        help="Its first convolution layer's filters and biases, learned on MNIST digits.")
    count = st.slider("Number of filters K", 1, 32, 8, help="The first K filters of that layer.")
    st.caption("These filters were learned on MNIST: one grey channel, white ink on black. On a colour photo "
               "each is applied to every channel and the three results summed, so expect strong, washed-out "
               "maps; try the photo in grayscale, or a dark picture with light strokes.")
    return core.KernelChoice(source="model", run=info.run_id, count=count)


def custom_kernel_controls() -> core.KernelChoice:
    size = st.selectbox("Kernel size F", list(range(1, 8)), index=2, help="The grid below becomes one F x F filter.")
    st.caption("Type the weights (it starts as the tutorial's X kernel); a colour photo gets the same weights on each "
               "channel, summed.")
    start = pd.DataFrame(core.x_kernel(size), columns=[str(column + 1) for column in range(size)])
    weight = st.column_config.NumberColumn(help="The weight at this row and column of the kernel.",
                                           min_value=-core.MAX_WEIGHT, max_value=core.MAX_WEIGHT)
    grid = st.data_editor(start, key=f"custom_kernel_{size}", hide_index=True,
                          column_config={column: weight for column in start.columns})
    values = grid.apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(float)
    return core.KernelChoice(source="custom", grid=tuple(map(tuple, values.tolist())))


def stage_controls() -> core.StageConfig:
    """Stride and padding of the convolution, then the pooling."""
    stride = st.slider("Stride S", 1, 8, 1, key="stages_stride", help="How many pixels the window moves each step.")
    mode = st.radio("Padding", list(PADDING_LABELS), format_func=lambda key: PADDING_LABELS[key], horizontal=True,
                    key="stages_padding",
                    help="SAME pads zeros so the output is ceil(W / S) wide; VALID pads nothing; or choose P rows "
                         "and columns of zeros on every side.")
    padding: str | int = mode
    if mode == "explicit":
        padding = int(st.number_input("P", 0, 20, 1, help="Zero rows and columns added on each side."))
    pool = st.radio("Pooling", core.POOL_TYPES, format_func={"max": "max", "avg": "average"}.get, horizontal=True,
                    help="Keep the largest value of each window, or their mean; the pool padding below decides what "
                         "happens to a last window that does not fit.")
    pool_size = st.slider("Pool size", 1, 6, 2, help="The pooling window is pool size x pool size.")
    pool_stride = st.slider("Pool stride", 1, 6, 2, help="How far the pooling window moves each step.")
    pool_padding = st.radio("Pool padding", core.POOL_PADDINGS, format_func=str.upper, horizontal=True,
                            key="stages_pool_padding",
                            help="VALID drops a last window that does not fit; SAME pads so that ceil(W / S) "
                                 "windows fit (the padded cells never count).")
    return core.StageConfig(stride=stride, padding=padding, pool=pool, pool_size=pool_size, pool_stride=pool_stride,
                            pool_padding=pool_padding)


# -- the stages of a photo --------------------------------------------------------------------------------
@st.fragment
def photo_stages() -> None:
    """The photo tab: its controls and the stages they give. A fragment, so moving one of its controls reruns
    this tab alone, not the worked examples' tables, the calculator and the seed figures beside it."""
    photo_column, filter_column, slide_column = st.columns(3)
    with photo_column:
        name, photo, grayscale = photo_picker()
        keep_alpha = alpha_toggle()
    with filter_column:
        choice = kernel_controls()
    with slide_column:
        config = stage_controls()
    st.caption(f"Photo: {name}")
    show_stages(photo, grayscale, choice, config, keep_alpha)


def trained_model(name: str) -> Any:
    return cached.model_of(cached.store().resolve(name))


@st.cache_data(max_entries=8, show_spinner="Running convolution, ReLU and pooling...")
def stages_view(photo: bytes, grayscale: bool, choice: core.KernelChoice, config: core.StageConfig,
                keep_alpha: bool = False) -> StagesView:
    """Computed once per photo and settings within the page's memory budget (a larger photo is shrunk first);
    only the small tiles and the numbers are kept, and the memory is given back at once. The full-size arrays
    go by reference counting when `processed` does, so no garbage collection pass is run: over a server's heap
    (TensorFlow's objects included) one takes about 300 ms, longer than the stages themselves."""
    try:
        processed = core.process_photo(photo, choice, config, grayscale=grayscale, load_model=trained_model,
                                       value_limit=core.PAGE_VALUE_LIMIT, keep_alpha=keep_alpha,
                                       memory_budget=core.PAGE_MEMORY_BUDGET)
        view = view_of(processed)
        del processed
        return view
    finally:
        release_freed_memory(collect=False)  # no full collection per change: see its docstring


def show_stages(photo: bytes, grayscale: bool, choice: core.KernelChoice | None, config: core.StageConfig,
                keep_alpha: bool = False) -> None:
    """Every stage with its shape, the formula behind it, and the layer's parameters and memory."""
    if choice is None:
        return
    try:
        view = stages_view(photo, grayscale, choice, config, keep_alpha)
    except (ImageError, core.StageError, LookupError) as problem:
        st.error(str(problem))
        return
    if view.reduced_from:
        height, width = view.reduced_from
        shown = view.shapes["input"]
        st.info(f"This photo is {width}x{height} pixels; this page worked on a {shown[1]}x{shown[0]} copy to stay "
                f"within its memory budget of {format_bytes(core.PAGE_MEMORY_BUDGET)} per photo. "
                "`python -m webapp stages` computes at full resolution.", icon=":material/photo_size_select_large:")
    for stage in core.STAGES:
        show_stage(view, stage)
    show_layer_numbers(view)
    st.download_button("Download the feature-map grid (PNG)", view.png, "cnn-stages.png", mime="image/png",
                       icon=":material/download:", help="All four stages in one picture, as shown here.")
    with st.expander("The filters' numbers"):
        show_filters(view)


def stage_line(stage: str, config: core.StageConfig) -> str:
    """What a stage does, in one sentence; pooling's depends on its kind (max keeps the strongest response of a
    window, average blends them all)."""
    if stage == "pool":
        return (POOL_LINES[config.pool].format(size=config.pool_size, stride=config.pool_stride)
                + POOL_PADDING_LINES[config.pool_padding])
    return STAGE_LINES[stage]


def show_stage(view: StagesView, stage: str) -> None:
    shape = view.shapes[stage]
    st.subheader(f"{STAGE_TITLES[stage]}: {format_shape(shape)}")
    st.caption(stage_line(stage, view.plan.config))
    if stage in view.plan.axes:
        rows, cols = view.plan.axes[stage]
        agrees = tuple(view.plan.shapes[stage]) == tuple(shape)
        st.markdown(f"Rows: `{rows.formula('H')}` · Columns: `{cols.formula()}` · "
                    + ("matches the computed result." if agrees else "**does not match** the computed result."))
        for note in view.plan.notes(stage):
            st.info(note)
    show_tiles(view.tiles[stage])


def show_tiles(tiles: list[Tile], per_row: int = 4) -> None:
    """Feature maps four to a row, each with its caption (shrunk for display only)."""
    for start in range(0, len(tiles), per_row):
        for column, tile in zip(st.columns(per_row), tiles[start:start + per_row]):
            column.image(tile.png or tile.image, caption=tile.caption, width="stretch")


def show_layer_numbers(view: StagesView) -> None:
    conv = view.plan.conv
    height, width, depth = conv.input_shape
    st.subheader("The numbers behind the convolution layer")
    batch = st.number_input("Batch size", 1, 4096, 100, help="Images per batch: the memory grows with it. The "
                                                              "tutorial's example: 200 maps of 150x100 need over 1 GB "
                                                              "for a batch of 100.")
    first, second, third, fourth = st.columns(4)
    first.metric("Parameters", f"{conv.params:,}",
                 help=f"(F·F·D + 1)·K = ({conv.kernel_size}·{conv.kernel_size}·{depth} + 1)·{conv.filters}: "
                      "weights plus one bias per filter.")
    second.metric("Multiplications", f"{conv.multiplications:,}",
                  help="Each output value reads F·F·D inputs: output values × F·F·D.")
    memory_metric(third, "Conv output per image", conv.memory_bytes(),
                  "float32, 4 bytes per value: " + " x ".join(map(str, conv.output_shape)) + " x 4 bytes.")
    memory_metric(fourth, f"For a batch of {int(batch)}", conv.memory_bytes(int(batch)),
                  "Training keeps every layer's output for the backward pass, so this adds up layer by layer.")
    st.caption(f"Input {height}x{width}x{depth}. Memory in decimal units (1 MB = 1,000,000 bytes) and binary units "
               "(1 MiB = 1,048,576 bytes).")


def show_filters(view: StagesView) -> None:
    bank = view.bank
    if view.spread_over_channels:
        st.caption("Each kernel applies its weights to every colour channel and the products are summed: one "
                   f"{bank.size}x{bank.size}x{bank.channels} filter.")
    elif bank.channels > 1:
        st.caption(f"Each filter has {bank.channels} channels of weights; the first channel is shown.")
    for column, index in zip(st.columns(min(bank.count, 4)) * 8, range(min(bank.count, 8))):
        column.markdown(f"**{bank.names[index]}** (bias {format_measured(float(bank.bias[index]))})")
        # a plain table: four interactive grids, redrawn with every change of a control, cost the browser more
        # than the rest of the photo tab; these are at most 15x15 numbers
        column.table(pd.DataFrame(np.round(bank.weights[:, :, 0, index], 3)), hide_index=True, hide_header=True)
    if bank.count > 8:
        st.caption(f"... and {bank.count - 8} more.")


# -- worked examples --------------------------------------------------------------------------------------
HIGHLIGHT = "background-color: #fde68a; font-weight: bold"


def grid_table(where: Any, grid: np.ndarray, cells: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
               caption: str = "") -> None:
    """A small grid of numbers; `cells` are shown in [brackets] and shaded, so they read without colour too.
    NaN cells stay blank (not computed yet)."""
    text = [["" if np.isnan(value) else format_exact(value) for value in row] for row in np.asarray(grid, float)]
    for row, col in cells:
        text[row][col] = f"[{text[row][col]}]"
    frame = pd.DataFrame(text)
    styled = frame.style.apply(lambda column: [HIGHLIGHT if (row, column.name) in cells else ""
                                               for row in range(len(column))])
    if caption:
        where.caption(caption)
    where.table(styled, hide_index=True, hide_header=True)


def window_cells(top: int, left: int, size: int) -> set[tuple[int, int]]:
    return {(row, col) for row in range(top, top + size) for col in range(left, left + size)}


def sum_of_products(patch: np.ndarray, weights: np.ndarray) -> str:
    return " + ".join(f"{format_exact(a)}×{format_exact(b)}" for a, b in zip(patch.ravel(), weights.ravel()))


@st.fragment
def show_worked_examples() -> None:
    """The inner product, two sliding windows and im2col. A fragment (as each tab's body is): a window slider
    reruns these tables alone, not the photo's stages."""
    first, second = core.INNER_PRODUCT
    st.markdown("**The inner product.** Multiply the cells that sit in the same place and add everything up: "
                f"A = {first.tolist()}, B = {second.tolist()} give {sum_of_products(first, second)} = "
                f"**{int((first * second).sum())}**. A convolution does this once per window position.")
    show_single_channel_example()
    show_multi_channel_example()
    show_im2col_example()


def show_single_channel_example() -> None:
    st.subheader("A 3x3 kernel over a 5x5 image")
    image, kernel = core.SEED_IMAGE_5X5, core.SEED_KERNEL_3X3
    steps = core.windows_by_hand(image, kernel, np.zeros(1), 1)
    step = st.slider("Window position", 1, len(steps), 1, key="inner_step",
                     help="Move the window one step (stride 1) and watch the result fill in, left to right, top to "
                          "bottom.")
    window = steps[step - 1]
    columns = st.columns(4)
    grid_table(columns[0], image, window_cells(window.top, window.left, 3), "Image (the window in [brackets])")
    grid_table(columns[1], kernel, caption="Kernel")
    grid_table(columns[2], window.products[:, :, 0], caption="Products, cell by cell")
    grid_table(columns[3], core.assemble(steps[:step], (3, 3, 1))[:, :, 0], {(window.row, window.col)}, "Result so far")
    st.markdown(f"Step {step}: {sum_of_products(window.patch, kernel)} = **{format_exact(window.value)}**, "
                f"written at row {window.row}, column {window.col} of the 3x3 result ((5 − 3)/1 + 1 = 3).")


def show_multi_channel_example() -> None:
    st.subheader("Two 3x3x3 filters over a 7x7x3 input, stride 2")
    example = core.multi_channel_example()
    st.caption("A 5x5x3 input with one ring of zero padding (P = 1) is 7x7x3; each filter has three 3x3 slices, "
               "one per channel, and a bias. (5 − 3 + 2·1)/2 + 1 = 3, so the output is 3x3x2.")
    step = st.slider("Step", 1, len(example.steps), 1, key="padded_step",
                     help="Nine positions for filter W0, then nine for W1.")
    window = example.steps[step - 1]
    for channel, column in enumerate(st.columns(3)):
        grid_table(column, example.padded[:, :, channel], window_cells(window.top, window.left, 3),
                   f"Input channel {channel}, padded (the window in [brackets])")
        grid_table(column, example.weights[:, :, channel, window.filter],
                   caption=f"W{window.filter}, channel {channel}")
        column.markdown(f"Sum of products: **{format_exact(window.channel_sums[channel])}**")
    sums = " + ".join(f"({format_exact(value)})" for value in window.channel_sums)
    st.markdown(f"Filter W{window.filter} at output row {window.row}, column {window.col}: {sums} + "
                f"({format_exact(window.bias)}) for the bias b{window.filter} = **{format_exact(window.value)}**")
    outputs = core.assemble(example.steps[:step], (3, 3, 2))
    for index, column in enumerate(st.columns(2)):
        current = {(window.row, window.col)} if index == window.filter else set()
        grid_table(column, outputs[:, :, index], current,
                   f"Output map {index} (filter W{index}, bias {format_exact(example.bias[index])})")


@st.cache_data(show_spinner="Checking im2col against the direct convolution...")
def im2col_check() -> core.Im2colExample:
    return core.im2col_example()


def show_im2col_example() -> None:
    st.subheader("im2col: the convolution as one matrix product")
    image = core.SEED_IMAGE_5X5[:, :, None]
    columns = core.im2col(image, 3, 1)
    st.caption("Each 3x3 window of the 5x5 image becomes one column of X_col (9 windows, 9 values each); the "
               "kernel becomes one row W_row; W_row · X_col gives all nine results at once.")
    grid_table(st, columns, caption="X_col: one column per window")
    product = core.SEED_KERNEL_3X3.reshape(1, -1) @ columns
    st.markdown(f"W_row · X_col = {product.ravel().astype(int).tolist()}, reshaped to 3x3: the same result as the "
                "sliding window above.")
    check = im2col_check()
    height, width, depth = check.input_shape
    x_rows, x_cols = check.x_col_shape
    st.markdown(
        f"The tutorial's larger example: a {height}x{width}x{depth} input and {check.w_row_shape[0]} filters of "
        f"11x11x3 at stride 4. Each window has 11·11·3 = {x_rows} values and (227 − 11)/4 + 1 = 55 windows fit "
        f"each way, 55·55 = {x_cols}: X_col is **{x_rows} x {x_cols}**, W_row is **{check.w_row_shape[0]} x "
        f"{check.w_row_shape[1]}**, their product is **{check.product_shape[0]} x {check.product_shape[1]}**, "
        f"reshaped to **{format_shape(check.output_shape)}**. Largest difference from the direct "
        f"convolution on random numbers: {check.max_difference:.1e}.")


# -- the layer calculator ---------------------------------------------------------------------------------
@st.fragment
def show_layer_calculator() -> None:
    """A conv layer's output shape, parameters and memory from numbers typed in (a fragment: a change reruns
    this tab alone)."""
    preset = st.selectbox("Start from", core.LAYER_PRESETS, format_func=lambda layer: layer.title, key="calc_preset",
                          help="Examples from the seed tutorials; change any number below.")
    key = core.LAYER_PRESETS.index(preset)
    columns = st.columns(4)
    height = columns[0].number_input("Input height H", 1, 100_000, preset.height, key=f"calc_h_{key}",
                                     help="Rows of the input.")
    width = columns[0].number_input("Input width W", 1, 100_000, preset.width, key=f"calc_w_{key}",
                                    help="Columns of the input.")
    depth = columns[1].number_input("Input depth D", 1, 4096, preset.depth, key=f"calc_d_{key}",
                                    help="Channels: 3 for a colour photo.")
    kernel = columns[1].number_input("Kernel size F", 1, 255, preset.kernel_size, key=f"calc_f_{key}",
                                     help="Each filter is F x F x D.")
    stride = columns[2].number_input("Stride S", 1, 255, preset.stride, key=f"calc_s_{key}", help="Step of the window.")
    modes = ["same", "valid", "explicit"]
    start = modes.index(preset.padding if isinstance(preset.padding, str) else "explicit")
    mode = columns[2].selectbox("Padding", modes, index=start, format_func=lambda choice: PADDING_LABELS[choice],
                                key=f"calc_mode_{key}", help="SAME, VALID or P zeros on each side.")
    padding: str | int = str(mode) if mode != "explicit" else int(columns[2].number_input(
        "P", 0, 255, preset.padding if isinstance(preset.padding, int) else 1, key=f"calc_p_{key}",
        help="Zeros on each side."))
    filters = columns[3].number_input("Filters K", 1, 100_000, preset.filters, key=f"calc_k_{key}",
                                      help="Output depth.")
    batch = columns[3].number_input("Batch size", 1, 100_000, preset.batch, key=f"calc_b_{key}",
                                    help="Images per batch.")
    try:
        layer = core.conv_layer((int(height), int(width), int(depth)), int(kernel), int(filters), int(stride), padding)
    except core.StageError as problem:
        st.error(str(problem))
        return
    st.markdown(f"Output height: `{layer.rows.formula('H')}`  \nOutput width: `{layer.cols.formula()}`")
    for axis, plan in (("row", layer.rows), ("column", layer.cols)):
        sentence = plan.explain(axis)
        if sentence:
            st.info(sentence)
    first, second, third, fourth = st.columns(4)
    first.metric("Output shape", " x ".join(map(str, layer.output_shape)), help="Height x width x filters.")
    second.metric("Parameters", f"{layer.params:,}", help="(F·F·D + 1)·K")
    memory_metric(third, "Memory per image", layer.memory_bytes(), "float32 output: 4 bytes per value.")
    memory_metric(fourth, f"Memory for a batch of {int(batch)}", layer.memory_bytes(int(batch)),
                  "Per image x batch size.")
    st.caption(f"Multiplications: {layer.multiplications:,} (output values × F·F·D).")
