"""Calculators for the seed notes' formulas; each opens on the notes' own example."""
from __future__ import annotations

import streamlit as st

from webapp.formulas import (Connections, ConvLayerCost, ConvOutput, conv_multiply_adds, dense_params, filter_params,
                             format_bytes, format_exact, scientific)
from webapp.summary import DTYPE_BYTES
from webapp.ui.numbers import memory_metric


def output_size() -> None:
    st.markdown("**Output size** of a convolution along one side: (W - F + 2P) / S + 1.")
    width, kernel, padding, stride = st.columns(4)
    try:
        conv = ConvOutput(
            width=width.number_input("W: input width", 1, 4096, 10, help="Input pixels along this side."),
            kernel=kernel.number_input("F: filter size", 1, 99, 3, help="Filter (receptive field) side."),
            padding=padding.number_input("P: zero padding", 0, 99, 0, help="Zeros added on each side."),
            stride=stride.number_input("S: stride", 1, 99, 2, help="Pixels the filter moves each step."),
        )
    except ValueError as problem:
        st.error(str(problem))
        return
    if conv.span < 0:
        st.error(f"The filter ({conv.kernel}) is larger than the padded input ({conv.width} + 2x{conv.padding}): it "
                 "cannot be placed even once.")
        return
    st.markdown(f"{conv.expression()} = **{format_exact(conv.exact)}**")
    if conv.valid:
        st.success(conv.verdict(), icon=":material/check:")
    else:
        st.warning(conv.verdict(), icon=":material/warning:")


def weights_per_filter() -> None:
    st.markdown("**Weights per filter**: a filter sees a small patch through the whole input depth, plus one bias.")
    height, width, depth, filters = st.columns(4)
    kernel_h = height.number_input("Kernel height", 1, 31, 5, help="Filter rows.")
    kernel_w = width.number_input("Kernel width", 1, 31, 5, help="Filter columns.")
    in_depth = depth.number_input("Input depth", 1, 4096, 3, help="Channels of the input volume (3 for RGB).")
    count = filters.number_input("Filters", 1, 4096, 32, help="Filters in the layer, each making one feature map.")
    one = filter_params(kernel_h, kernel_w, in_depth)
    st.markdown(f"One filter: {kernel_h}x{kernel_w}x{in_depth} + 1 = **{one:,}**; "
                f"the layer: ({kernel_h}x{kernel_w}x{in_depth} + 1) x {count} = **{one * count:,}** parameters.")
    st.caption(f"The course notes' examples: a 5x5 filter on a 32x32x3 CIFAR-10 image has "
               f"5x5x3 + 1 = {filter_params(5, 5, 3)}; "
               f"a 3x3 filter on a 16x16x20 volume has 3x3x20 + 1 = {filter_params(3, 3, 20)}.")


def dense_local_shared() -> None:
    st.markdown("**Dense vs local connection vs weight sharing**: "
                "a grey image feeding as many hidden neurons as it has pixels.")
    side, patch = st.columns(2)
    try:
        links = Connections(
            side=side.number_input("Image side (pixels)", 1, 10_000, 1000,
                                   help="The image is side x side grey pixels."),
            patch=patch.number_input("Patch side", 1, 100, 10,
                                     help="Each locally connected neuron sees a patch x patch square."),
        )
    except ValueError as problem:
        st.error(str(problem))
        return
    dense, local, shared = st.columns(3)
    dense.metric("Dense: every neuron sees every pixel", scientific(links.dense),
                 help=f"{links.neurons:,} neurons x {links.neurons:,} pixels.")
    local.metric("Local: each neuron sees its patch", scientific(links.local),
                 help=f"{links.neurons:,} neurons x {links.patch}x{links.patch} pixels.")
    shared.metric("Shared: one patch of weights for all", scientific(links.shared),
                  help=f"One {links.patch}x{links.patch} kernel slid over the image: a convolution.")
    st.caption(f"Local connection divides the dense count by {links.dense // links.local:,}: each neuron reads "
               f"{links.patch * links.patch:,} pixels instead of {links.neurons:,}. Sharing one kernel makes the count "
               "independent of the image size. A conv layer learns several such kernels, one per feature map.")


def image_into_dense() -> None:
    st.markdown("**An image into a dense layer**: flattening makes every pixel of every channel an input: (m + 1) x n.")
    height, width, channels, neurons = st.columns(4)
    h = height.number_input("Height", 1, 4096, 64, help="Image rows.", key="dense_height")
    w = width.number_input("Width", 1, 4096, 64, help="Image columns.", key="dense_width")
    c = channels.number_input("Channels", 1, 16, 3, help="3 for RGB.", key="dense_channels")
    n = neurons.number_input("Neurons", 1, 100_000, 10, help="Neurons in the dense layer.")
    weights, biases = dense_params(h * w * c, n)
    st.markdown(f"{h}x{w}x{c} = {h * w * c:,} inputs x {n:,} neurons = "
                f"**{weights:,} weights** and **{biases:,} biases**.")
    conv = filter_params(3, 3, c) * n
    st.caption(f"For comparison, a conv layer with {n:,} 3x3 filters on the same image has (3x3x{c} + 1) x {n:,} = "
               f"{conv:,} parameters, whatever the image size.")


def conv_memory() -> None:
    st.markdown("**Memory of one conv layer** (same padding): its output is kept for backprop in training; "
                "at inference it is freed once the next layer has read it.")
    height, width, channels, kernel, filters, batch = st.columns(6)
    dtype = st.radio("Numbers", list(DTYPE_BYTES), horizontal=True, key="conv_memory_dtype",
                     help="float16 halves the memory of every feature map.")
    try:
        cost = ConvLayerCost(
            height=height.number_input("Height", 1, 4096, 150, help="Input rows.", key="memory_height"),
            width=width.number_input("Width", 1, 4096, 100, help="Input columns.", key="memory_width"),
            channels=channels.number_input("Channels", 1, 4096, 3, help="Input depth.", key="memory_channels"),
            kernel=kernel.number_input("Kernel", 1, 31, 5, help="Square kernel side.", key="memory_kernel"),
            filters=filters.number_input("Filters", 1, 4096, 200, help="Feature maps out.", key="memory_filters"),
            batch_size=batch.number_input("Batch", 1, 4096, 100, help="Images per batch.", key="memory_batch"),
            bytes_per_number=DTYPE_BYTES[dtype],
        )
    except ValueError as problem:
        st.error(str(problem))
        return
    out_h, out_w, out_c = cost.output_shape
    params, work, one, batch_memory = st.columns(4)
    params.metric("Weights and biases", f"{cost.params:,}",
                  help=f"({cost.kernel}x{cost.kernel}x{cost.channels} + 1) x {cost.filters}")
    work.metric("Multiplications per image", f"{cost.multiply_adds:,}",
                help=f"{out_h}x{out_w}x{out_c} outputs x {cost.kernel}x{cost.kernel}x{cost.channels} weights each = "
                     f"{conv_multiply_adds(out_h, out_w, out_c, cost.kernel, cost.kernel, cost.channels):,}")
    memory_metric(one, "Output per image", cost.output_bytes,
                  f"{out_c} maps x {out_h}x{out_w} x {cost.bytes_per_number * 8} bits = "
                  f"{cost.output_bytes * 8:,} bits =")
    memory_metric(batch_memory, f"Output per batch of {cost.batch_size}", cost.batch_output_bytes,
                  "What this one layer keeps for backprop during training:")
    seed = ConvLayerCost(height=150, width=100, channels=3, kernel=5, filters=200, batch_size=100)
    st.caption(f"{out_c} maps of {out_h}x{out_w} numbers at {cost.bytes_per_number * 8} bits are "
               f"{cost.output_bytes * 8:,} bits per image. The course notes' example (150x100 RGB, 200 5x5 filters, "
               f"float32) gives {seed.output_bytes * 8 // 10**6:,} million bits, "
               f"{format_bytes(seed.output_bytes)}, and "
               f"{format_bytes(seed.batch_output_bytes)} for a batch of 100: in training every such layer keeps its "
               "output, so a smaller batch, fewer or strided layers, or float16 are the ways out.")


CALCULATORS = {"Output size": output_size, "Weights per filter": weights_per_filter,
               "Dense vs local vs shared": dense_local_shared, "Image into a dense layer": image_into_dense,
               "Conv layer memory": conv_memory}


def calculators() -> None:
    """One tab per formula."""
    for tab, show in zip(st.tabs(list(CALCULATORS)), CALCULATORS.values()):
        with tab:
            show()
