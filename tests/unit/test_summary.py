"""Layer tables against Keras and the published figures; memory formulas against hand-worked examples."""
import math

import keras
import numpy as np
import pytest

from webapp.architectures import ARCHITECTURE_NAMES, Design, builder
from webapp.formulas import conv_multiply_adds, filter_params, format_bytes
from webapp.network_catalog import PUBLISHED_PARAMS
from webapp.summary import (OPTIMIZER_SLOTS, LayerRow, MemorySettings, NetworkTable, count_layers, design_table,
                            format_count, memory_report, network_table, peak_alive, summary_record,
                            where_weights_and_memory)


def rows_by_name(table):
    return {row.name: row for row in table.rows}


@pytest.mark.parametrize("name", ARCHITECTURE_NAMES)
def test_every_network_totals_its_published_parameter_count(name):
    assert network_table(name).total_params == PUBLISHED_PARAMS[name]


@pytest.mark.parametrize("name, trainable", [("resnet50", 25_583_592), ("inceptionv3", 23_817_352),
                                             ("mobilenetv2", 3_504_872), ("vgg16", 138_357_544)])
def test_batch_norm_statistics_are_counted_but_not_trainable(name, trainable):
    table = network_table(name)
    assert table.trainable_params == trainable
    assert table.non_trainable_params == PUBLISHED_PARAMS[name] - trainable


@pytest.mark.parametrize("name", ["dnn", "cnn", "lenet", "lenet32", "mobilenetv2"])
def test_tables_agree_with_count_params_of_a_fully_built_model(name):
    model = builder(name)()  # weights really allocated, unlike the table's build
    table = network_table(name)
    assert table.total_params == model.count_params()
    assert table.trainable_params == sum(math.prod(weight.shape) for weight in model.trainable_weights)
    assert [row.name for row in table.rows if row.kind != "InputLayer"] == \
        [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def test_vgg16_layers_match_the_seed_notes_summary():
    rows = rows_by_name(network_table("vgg16"))
    assert (rows["block1_conv1"].params, rows["block1_conv1"].formula) == (1_792, "(3x3x3+1)x64")
    assert (rows["block1_conv2"].params, rows["block1_conv2"].formula) == (36_928, "(3x3x64+1)x64")
    assert rows["flatten"].output_shape == (25_088,)
    assert (rows["fc1"].params, rows["fc1"].formula) == (102_764_544, "(25088+1)x4096")
    assert network_table("vgg16").heaviest().name == "fc1"
    assert network_table("vgg16").widest().name == "block1_conv1"


def test_lenet32_has_seed_004s_layers_and_84107_parameters():
    """Seed 004's LeNet-style net for 32x32 colour images (43 classes): two 3x3 convolutions without padding, each
    followed by a 2x2 pooling, then 120, 84 and 43 dense units."""
    table = network_table("lenet32")
    assert table.total_params == 84_107 and table.trainable_params == 84_107
    shapes = [(row.name, row.output_shape, row.params) for row in table.rows if row.kind != "InputLayer"]
    assert shapes == [("conv1", (30, 30, 6), (3 * 3 * 3 + 1) * 6), ("pool1", (15, 15, 6), 0),
                      ("conv2", (13, 13, 16), (3 * 3 * 6 + 1) * 16), ("pool2", (6, 6, 16), 0),
                      ("flatten", (576,), 0), ("fc1", (120,), (576 + 1) * 120), ("fc2", (84,), (120 + 1) * 84),
                      ("logits", (43,), (84 + 1) * 43)]


def test_alexnet_has_the_single_tower_geometry():
    rows = rows_by_name(network_table("alexnet"))
    assert rows["conv1"].output_shape == (55, 55, 96) and rows["conv1"].params == 34_944
    assert rows["pool1"].output_shape == (27, 27, 96) and rows["conv2"].output_shape == (27, 27, 256)
    assert rows["pool5"].output_shape == (6, 6, 256) and rows["fc6"].params == (9_216 + 1) * 4_096
    assert network_table("alexnet").is_chain


def test_multiply_adds_follow_the_formulas_for_every_kind_of_weight_layer():
    def small():
        image = keras.Input((8, 8, 4), name="image")
        grouped = keras.layers.Conv2D(6, 3, groups=2, name="grouped")(image)
        depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise")(grouped)
        separable = keras.layers.SeparableConv2D(5, 3, name="separable")(depthwise)
        flat = keras.layers.Flatten(name="flatten")(separable)
        return keras.Model(image, keras.layers.Dense(7, name="dense")(flat))

    rows = rows_by_name(count_layers(small, "small", "small"))
    assert rows["grouped"].multiply_adds == conv_multiply_adds(6, 6, 6, 3, 3, 4, groups=2)
    assert rows["depthwise"].multiply_adds == 6 * 6 * 12 * 3 * 3  # each of 12 outputs maps reads one input map
    assert rows["separable"].multiply_adds == 4 * 4 * 12 * 3 * 3 + conv_multiply_adds(4, 4, 5, 1, 1, 12)
    assert rows["dense"].multiply_adds == 4 * 4 * 5 * 7
    assert rows["flatten"].multiply_adds == 0
    cnn = rows_by_name(network_table("cnn"))
    assert cnn["conv_1"].multiply_adds == conv_multiply_adds(26, 26, 32, 3, 3, 1)
    assert network_table("vgg16").multiply_adds == 15_470_264_320


# -- memory -------------------------------------------------------------------------------------------
def row(name, elements, inputs=(), params=0, trainable=None):
    return LayerRow(name=name, kind="Test", output_shape=(elements,), activation_elements=elements, params=params,
                    trainable_params=params if trainable is None else trainable, multiply_adds=0, inputs=inputs)


CHAIN = NetworkTable("chain", "chain", (row("x", 10), row("a", 40, ("x",), params=100), row("b", 20, ("a",), 50, 40),
                                        row("c", 5, ("b",))))


def test_chain_inference_is_the_largest_pair_of_consecutive_outputs():
    report = memory_report(CHAIN, MemorySettings(batch_size=2, optimizer="adam", dtype="float32"))
    assert report.activation_bytes == (80, 320, 160, 40)
    assert report.inference_bytes == (40 + 20) * 2 * 4 and report.inference_alive == ("a", "b")
    assert CHAIN.is_chain


def test_training_keeps_every_activation_plus_weights_gradients_and_optimizer_state():
    report = memory_report(CHAIN, MemorySettings(batch_size=2, optimizer="adam"))
    assert report.activations_bytes == 75 * 2 * 4
    assert report.weights_bytes == 150 * 4 and report.gradients_bytes == 140 * 4
    assert report.optimizer_bytes == 2 * 140 * 4
    assert report.training_bytes == 600 + 600 + 560 + 1120
    assert memory_report(CHAIN, MemorySettings(batch_size=2, optimizer="sgd")).optimizer_bytes == 0
    assert memory_report(CHAIN, MemorySettings(batch_size=2, optimizer="momentum")).optimizer_bytes == 140 * 4
    half = memory_report(CHAIN, MemorySettings(batch_size=2, optimizer="adam", dtype="float16"))
    assert half.training_bytes * 2 == report.training_bytes and half.inference_bytes * 2 == report.inference_bytes


def test_a_residual_block_keeps_its_input_alive_across_the_branch():
    block = (row("x", 8), row("conv1", 16, ("x",)), row("conv2", 8, ("conv1",)), row("add", 8, ("x", "conv2")),
             row("relu", 8, ("add",)))
    # x stays until `add` reads it: while conv2 runs, x, conv1 and conv2 are all alive (8 + 16 + 8).
    assert peak_alive(block, [r.activation_elements for r in block]) == (32, ("x", "conv1", "conv2"))
    assert not NetworkTable("block", "block", block).is_chain


def test_keras_residual_block_is_read_with_its_skip_connection():
    def residual():
        x = keras.Input((4, 4, 2), name="x")
        conv1 = keras.layers.Conv2D(4, 3, padding="same", name="conv1")(x)
        conv2 = keras.layers.Conv2D(2, 3, padding="same", name="conv2")(conv1)
        added = keras.layers.Add(name="add")([x, conv2])
        return keras.Model(x, keras.layers.ReLU(name="relu")(added))

    table = count_layers(residual, "residual", "residual")
    assert [(r.name, r.inputs) for r in table.rows] == [("x", ()), ("conv1", ("x",)), ("conv2", ("conv1",)),
                                                        ("add", ("x", "conv2")), ("relu", ("add",))]
    report = memory_report(table, MemorySettings(batch_size=1))
    assert report.inference_bytes == (32 + 64 + 32) * 4 and report.inference_alive == ("x", "conv1", "conv2")


def test_peak_alive_on_any_chain_is_the_largest_consecutive_pair():
    sizes = np.random.default_rng(0).integers(1, 1000, 30).tolist()
    chain = [row(f"l{i}", size, (f"l{i - 1}",) if i else ()) for i, size in enumerate(sizes)]
    assert peak_alive(chain, sizes)[0] == max(a + b for a, b in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("name, make", [("sgd", lambda: keras.optimizers.SGD()),
                                        ("momentum", lambda: keras.optimizers.SGD(momentum=0.9)),
                                        ("rmsprop", lambda: keras.optimizers.RMSprop()),
                                        ("adagrad", lambda: keras.optimizers.Adagrad()),
                                        ("adam", lambda: keras.optimizers.Adam()),
                                        ("adamw", lambda: keras.optimizers.AdamW()),
                                        ("nadam", lambda: keras.optimizers.Nadam())])
def test_optimizer_slots_match_the_state_keras_allocates(name, make):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))  # 12 + 3 weights, none of them scalars
    optimizer = make()
    optimizer.build(layer.trainable_variables)
    state = sum(math.prod(variable.shape) for variable in optimizer.variables if len(variable.shape))
    assert state == OPTIMIZER_SLOTS[name] * 15


def test_impossible_memory_settings_are_refused_in_one_sentence():
    for settings in ({"batch_size": 0}, {"optimizer": "lbfgs"}, {"dtype": "int8"}):
        with pytest.raises(ValueError, match=r"^[A-Z].*\.$"):
            MemorySettings(**settings)


# -- designer -----------------------------------------------------------------------------------------
def test_designer_counts_what_the_formulas_predict():
    design = Design(image_size=32, channels=3, convs_per_block=2, blocks=3, filters=32, dense_layers=1, dense_width=128)
    expected = sum(filter_params(3, 3, depth) * filters for depth, filters in
                   [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)])
    expected += (4 * 4 * 128 + 1) * 128 + (128 + 1) * 10
    table = design_table(design)
    assert table.total_params == expected and table.title == design.pattern()
    assert design.pattern() == "INPUT -> [[CONV -> RELU]*2 -> POOL]*3 -> [FC -> RELU]*1 -> FC"


def test_designer_with_nothing_but_the_classifier_is_a_linear_model():
    table = design_table(Design(image_size=32, convs_per_block=0, blocks=0, dense_layers=0))
    assert table.total_params == (32 * 32 * 3 + 1) * 10 and [r.kind for r in table.rows][-1] == "Dense"


@pytest.mark.parametrize("settings, problem", [({"image_size": 8, "blocks": 4}, "cannot be halved"),
                                               ({"filters": 1024, "blocks": 6, "image_size": 256}, "exceeds"),
                                               ({"kernel_size": 4}, "kernel side")])
def test_impossible_designs_are_refused_in_one_sentence(settings, problem):
    with pytest.raises(ValueError, match=problem):
        Design(**settings)


# -- reporting ----------------------------------------------------------------------------------------
def test_summary_record_has_the_cli_contract_keys():
    record = summary_record(network_table("lenet"), memory_report(network_table("lenet"), MemorySettings(batch_size=4)))
    assert {"total_params", "trainable_params", "inference_bytes", "training_bytes", "layers"} <= set(record)
    first_conv = record["layers"][2]
    assert first_conv == {"name": "conv_1", "type": "Conv2D", "output_shape": [None, 28, 28, 6], "params": 156,
                          "multiply_adds": 28 * 28 * 6 * 25, "activation_bytes": 28 * 28 * 6 * 4 * 4,
                          "inputs": ["scale_to_unit"]}


def test_formatting_gives_decimal_and_binary_memory_units_and_si_counts():
    assert format_bytes(512) == "512 bytes" and format_bytes(12_845_056) == "12.8 MB (12.2 MiB)"
    assert format_bytes(3 * 2**30) == "3.22 GB (3.00 GiB)"
    assert format_count(15_470_264_320) == "15.5 G" and format_count(999) == "999"


def test_the_largest_layer_is_named_with_its_own_type_when_another_type_holds_most_weights():
    rows = (LayerRow("image", "InputLayer", (8, 8, 3), 192, 0, 0, 0),
            LayerRow("conv_a", "Conv2D", (8, 8, 10), 640, 280, 280, 0, "(3x3x3+1)x10", ("image",)),
            LayerRow("conv_b", "Conv2D", (8, 8, 10), 640, 460, 460, 0, "(3x3x5+1)x10", ("conv_a",)),
            LayerRow("head", "Dense", (10,), 10, 650, 650, 0, "(64+1)x10", ("conv_b",)))
    text = where_weights_and_memory(NetworkTable("toy", "Toy", rows), "float32")
    assert "Conv2D layers hold 53% of the parameters" in text
    assert "The largest single layer is the Dense layer `head`: 650 = (64+1)x10 (46.8% of all)" in text
    assert "largest single output is that of the Conv2D layer `conv_a` (8x8x10 numbers): 2.56 kB (2.50 KiB)" in text


def test_inceptions_largest_layer_reads_as_the_dense_layer_it_is():
    text = where_weights_and_memory(network_table("inceptionv3"))
    assert "Conv2D layers hold" in text and "the Dense layer `predictions`" in text
    assert "The largest, `predictions`" not in text
