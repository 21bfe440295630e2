"""The Architectures page's "Concepts" tab: the seed notes' design ideas, each computed by webapp.concepts.
`?concept=NAME` in the URL opens the tab on one of them."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from webapp import concepts as core
from webapp.formulas import filter_params, format_exact, format_shape
from webapp.network_catalog import ARCHITECTURE_LABELS
from webapp.summary import NetworkTable, annotated_spec_code
from webapp.ui import cached
from webapp.ui.state import preset

CONCEPTS_TAB = "Concepts"


def concept_tab() -> str | None:
    """The tab a `?concept=` link opens."""
    return CONCEPTS_TAB if st.query_params.get("concept") in core.CONCEPTS else None


def show_concepts() -> None:
    """One concept at a time, chosen here or by the link."""
    ids = list(core.CONCEPTS)
    chosen = st.selectbox("Concept", ids, index=ids.index(preset("concept", ids, ids[0])),
                          format_func=lambda concept: core.CONCEPTS[concept], key="concept",
                          help="Ideas from the seed notes, computed. A link can open one: "
                               "/architectures?concept=" + ", ".join(ids) + ".")
    {"vgg-stacking": show_vgg_stacking, "skip-connection": lambda: show_blocks("skip-connection"),
     "inception": lambda: show_blocks("inception"), "flatten-input-size": show_flatten_input_size,
     "dense-photo": show_dense_photo}[chosen]()


def show_spec_code(table: NetworkTable) -> None:
    """For a network kept as data (seed 004's), its Keras code with each layer's shape and parameters beside it."""
    code = annotated_spec_code(table)
    if code is None:
        return
    st.markdown("**The network as Keras code**, each layer with the shape and parameters counted above:")
    st.code(code, language="python")


# -- VGG -----------------------------------------------------------------------------------------------------
def show_vgg_stacking() -> None:
    st.subheader("Two 3x3 layers instead of one 5x5")
    left, right = st.columns(2)
    channels = left.number_input("Channels C (in and out)", 1, 4096, 64, key="vgg_channels",
                                 help="Every layer here reads C maps and makes C maps, as inside a VGG block.")
    layers = right.radio("Stacked 3x3 layers", [2, 3], horizontal=True, key="vgg_layers",
                         help="Two see 5x5, three see 7x7 (stride 1).")
    stack = core.StackedFilters(3, layers, int(channels))
    side = stack.receptive_field
    st.markdown(
        f"Each 3x3 layer widens the view by 2 pixels, so {layers} of them see 1 + {layers}·(3 − 1) = **{side}x{side}** "
        f"of the input, as one {side}x{side} layer would. Weights (biases aside): {layers}·3·3·C² = "
        f"{layers}·9·{format_exact(int(channels))}² = **{format_exact(stack.stacked_weights)}** "
        f"against {side}·{side}·C² = "
        f"**{format_exact(stack.single_weights)}**, "
        f"{format_exact(round(100 * stack.stacked_weights / stack.single_weights))}% of them, with {layers} ReLUs "
        "along the way instead of 1: more non-linearity for fewer weights. VGG16 builds every block this way.")
    rows = [core.StackedFilters(3, count, int(channels)) for count in (1, 2, 3, 4)]
    st.dataframe(pd.DataFrame({"3x3 layers": [row.layers for row in rows],
                               "Sees": [f"{row.receptive_field}x{row.receptive_field}" for row in rows],
                               "Stacked weights": [format_exact(row.stacked_weights) for row in rows],
                               "One layer that sees as far": [format_exact(row.single_weights) for row in rows]}),
                 hide_index=True, width="content")


# -- ResNet and Inception ------------------------------------------------------------------------------------
BLOCK_WORDS = {
    "skip-connection": ("Residual blocks", "A skip connection adds a block's input to its output, element by "
                        "element (an Add layer, no weights), so a block only has to learn a correction and the "
                        "gradient has a short path back."),
    "inception": ("Inception modules", "An Inception module runs convolutions of several sizes side by side on "
                  "the same input and stacks their maps (a Concatenate layer, no weights)."),
}


def show_blocks(name: str) -> None:
    concept = core.BLOCK_CONCEPTS[name]
    title, words = BLOCK_WORDS[name]
    table = cached.network_table(concept.network)
    ends = core.block_ends(table, concept)
    st.subheader(f"{title} in {ARCHITECTURE_LABELS[concept.network]}")
    st.markdown(f"{words} {ARCHITECTURE_LABELS[concept.network]} has **{len(ends)}** of them among its "
                f"{len(table.rows)} layers:")
    blocks = {row.name: core.block_rows(table, row.name) for _, row in ends}
    st.dataframe(pd.DataFrame({
        "Closed by": [row.name for _, row in ends],
        "Layer number": [position + 1 for position, _ in ends],
        "Reads": [blocks[row.name][0].name for _, row in ends],
        "Output": [format_shape(row.output_shape) for _, row in ends],
        "Block parameters": [core.block_params(blocks[row.name][1]) for _, row in ends],
    }), hide_index=True, width="stretch",
        column_config={"Block parameters": st.column_config.NumberColumn(format="localized",
                                                                         help="All the layers between the block's "
                                                                              "input and its closing layer.")})
    names = [row.name for _, row in ends]
    end = st.selectbox("Block", names, index=names.index(concept.first), key=f"{name}_block",
                       help="Its layers and how their parameters add up.")
    source, rows = blocks[end]
    closing = rows[-1]
    st.markdown(f"`{end}` reads {', '.join(f'`{reader}`' for reader in closing.inputs)}; the block starts from "
                f"`{source.name}` ({format_shape(source.output_shape)}) and holds **{len(rows) - 1}** layers "
                f"before it, with **{format_exact(core.block_params(rows))}** parameters in all.")
    st.dataframe(pd.DataFrame({"Layer": [row.name for row in rows], "Type": [row.kind for row in rows],
                               "Output": [format_shape(row.output_shape) for row in rows],
                               "Parameters": [row.params for row in rows],
                               "How they add up": [row.formula for row in rows],
                               "Reads": [", ".join(row.inputs) for row in rows]}),
                 hide_index=True, width="stretch",
                 column_config={"Parameters": st.column_config.NumberColumn(format="localized",
                                                                            help="Weights and biases.")})


# -- Flatten -------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner="Rebuilding the network for larger images...")
def flatten_sizes(sides: tuple[int, ...]) -> list[core.FlattenSize]:
    return core.flatten_growth("lenet32", sides)


def show_flatten_input_size() -> None:
    st.subheader("Flatten fixes the input size")
    sides = st.multiselect("Input sides", [32, 48, 64, 96, 128, 224], default=[32, 64, 128], key="flatten_sides",
                           help="Seed 004's network rebuilt for square colour images of these sides.")
    if not sides:
        st.info("Choose at least one input side.")
        return
    found = flatten_sizes(tuple(sorted(sides)))
    st.dataframe(pd.DataFrame({
        "Input": [f"{row.side}x{row.side}x3" for row in found],
        "Last maps": [format_shape(row.last_maps) for row in found],
        "Flattened": [format_exact(row.flatten_shape[0]) for row in found],
        f"{found[0].first_dense.name} weights": [f"{row.first_dense.formula} = {format_exact(row.first_dense.params)}"
                                                 for row in found],
        "All parameters": [format_exact(row.total_params) for row in found],
    }), hide_index=True, width="stretch")
    first = found[0]
    st.markdown(
        f"The convolutions slide the same small filters over any image, so their weights never change. Flatten "
        f"turns the last maps into one long vector and the first dense layer has a weight for every value of it: "
        f"at {first.side}x{first.side}, {format_exact(first.flatten_shape[0])} values. A network trained at one size "
        "therefore cannot read another: its dense layer expects exactly that many inputs. Resize the images first, "
        "or end the convolutions with a global average pool, which leaves one value per map whatever the size.")


# -- a photo into one neuron ---------------------------------------------------------------------------------
def show_dense_photo() -> None:
    st.subheader("A photo into one dense neuron")
    left, right = st.columns(2)
    megapixels = left.number_input("Megapixels", 0.01, 100.0, 10.0, step=1.0, key="dense_photo_mp",
                                   help="Millions of pixels in the photo.")
    channels = right.number_input("Channels", 1, 4, 3, key="dense_photo_channels", help="3 for an RGB photo.")
    weights = core.dense_weights_of_photo(float(megapixels), int(channels))
    st.markdown(f"A dense neuron has one weight per input value: "
                f"{format_exact(round(megapixels * 1_000_000))} pixels x {int(channels)} channels = "
                f"**{format_exact(weights)} weights**, for one neuron. A layer of 100 such "
                f"neurons needs {format_exact(weights * 100)}. A 3x3 convolution filter on the same photo has "
                f"3x3x{int(channels)} + 1 = {filter_params(3, 3, int(channels))} parameters, "
                f"whatever the photo's size.")
