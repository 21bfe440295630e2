"""The Architectures concepts and seed 004's network, against Keras and hand-worked counts."""
import keras
import pytest

from webapp import concepts
from webapp.architectures import SPEC_NETWORKS, build_spec
from webapp.summary import annotated_spec_code, network_table


def test_seed_004s_network_has_84107_parameters_and_every_layer_its_shape():
    table = network_table("lenet32")
    assert table.total_params == 84_107
    shapes = {row.name: (row.output_shape, row.params) for row in table.rows}
    assert shapes == {"image": ((32, 32, 3), 0), "conv1": ((30, 30, 6), 168), "pool1": ((15, 15, 6), 0),
                      "conv2": ((13, 13, 16), 880), "pool2": ((6, 6, 16), 0), "flatten": ((576,), 0),
                      "fc1": ((120,), 69_240), "fc2": ((84,), 10_164), "logits": ((43,), 3_655)}
    assert build_spec(SPEC_NETWORKS["lenet32"]).count_params() == 84_107  # weights really allocated


def test_the_annotated_code_puts_each_shape_beside_its_layer():
    lines = annotated_spec_code(network_table("lenet32")).splitlines()
    assert '    layers.Conv2D(6, 3, strides=1, activation="relu"),  # 30x30x6, (3x3x3+1)x6 = 168 parameters' in lines
    assert "    layers.Flatten(),  # 576" in lines and lines[-1] == "])  # 84,107 parameters in all"
    assert annotated_spec_code(network_table("lenet")) is None


@pytest.mark.parametrize("channels", [1, 16, 64])
def test_stacked_3x3_filters_against_keras(channels):
    def weights(kernel, layers):
        model = keras.Sequential([keras.Input((12, 12, channels))] +
                                 [keras.layers.Conv2D(channels, kernel, use_bias=False) for _ in range(layers)])
        return model.count_params(), model.output_shape[1]

    two = concepts.StackedFilters(3, 2, channels)
    assert two.receptive_field == 5 and (two.stacked_weights, 12 - 4) == weights(3, 2)  # both shrink 12 to 8
    assert (two.single_weights, 8) == weights(5, 1) and two.stacked_weights == 18 * channels**2
    three = concepts.StackedFilters(3, 3, channels)
    assert three.receptive_field == 7
    assert three.stacked_weights == 27 * channels**2 and three.single_weights == 49 * channels**2


def test_resnet50s_skip_connections_and_an_identity_blocks_parameters():
    concept = concepts.BLOCK_CONCEPTS["skip-connection"]
    table = network_table("resnet50")
    assert len(concepts.block_ends(table, concept)) == 16
    source, rows = concepts.block_rows(table, "conv2_block2_add")
    assert source.name == "conv2_block1_out" and set(rows[-1].inputs) == {"conv2_block1_out", "conv2_block2_3_bn"}
    convs = (256 * 64 + 64) + (3 * 3 * 64 * 64 + 64) + (64 * 256 + 256)
    batch_norms = 4 * (64 + 64 + 256)  # gamma, beta, moving mean and variance per channel
    assert concepts.block_params(rows) == convs + batch_norms == 71_552


def test_inception_v3s_modules_and_the_first_ones_parameters():
    concept = concepts.BLOCK_CONCEPTS["inception"]
    table = network_table("inceptionv3")
    assert [row.name for _, row in concepts.block_ends(table, concept)] == [f"mixed{index}" for index in range(11)]
    source, rows = concepts.block_rows(table, "mixed0")
    assert source.name == "max_pooling2d_1" and source.output_shape == (35, 35, 192) and len(rows[-1].inputs) == 4
    # four branches, convolutions without bias, batch norms with 3 numbers per channel (no scale)
    convs = 192 * 64 + (192 * 48 + 25 * 48 * 64) + (192 * 64 + 9 * 64 * 96 + 9 * 96 * 96) + 192 * 32
    batch_norms = 3 * (64 + 48 + 64 + 64 + 96 + 96 + 32)
    assert concepts.block_params(rows) == convs + batch_norms == 256_368


def test_flatten_ties_the_first_dense_layer_to_the_input_size():
    small, large = concepts.flatten_growth("lenet32", (32, 64))
    assert small.flatten_shape == (576,) and small.first_dense.params == 577 * 120 and small.total_params == 84_107
    assert large.last_maps == (14, 14, 16) and large.first_dense.params == (14 * 14 * 16 + 1) * 120
    assert large.total_params - small.total_params == large.first_dense.params - small.first_dense.params


def test_a_10_megapixel_rgb_photo_needs_30_million_weights_for_one_neuron():
    assert concepts.dense_weights_of_photo(10, 3) == 30_000_000
    assert set(concepts.CONCEPTS) == {"vgg-stacking", "skip-connection", "inception", "flatten-input-size",
                                      "dense-photo"}


def test_the_readme_lists_every_seed_link():
    from tests.conftest import PROJECT_ROOT
    from webapp.ui.seed_figures import PRESETS

    readme = (PROJECT_ROOT / "README.md").read_text()
    links = [f"/stages?preset={name}" for name in PRESETS]
    links += [f"/architectures?concept={name}" for name in concepts.CONCEPTS]
    assert [link for link in links if f"`{link}`" not in readme] == []
    assert "`/architectures?network=lenet32`" in readme
