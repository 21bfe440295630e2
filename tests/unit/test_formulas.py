"""The seed notes' worked numbers, and the output-size formula against what Keras actually does."""
import keras
import pytest

from webapp.formulas import (Connections, ConvLayerCost, ConvOutput, dense_params, filter_params, same_output_size,
                             scientific)


def test_invalid_stride_of_the_seed_notes():
    conv = ConvOutput(width=10, kernel=3, padding=0, stride=2)
    assert conv.size == 4.5 and not conv.valid
    assert conv.fitting_strides() == [1, 7]
    assert conv.fitting_paddings() == []  # W - F = 7 is odd and 2P is even: no padding fixes stride 2
    assert ConvOutput(width=32, kernel=5, padding=2, stride=1).size == 32
    assert ConvOutput(width=11, kernel=3, padding=0, stride=2).fitting_paddings() == [0, 1, 2]


@pytest.mark.parametrize("width, kernel, stride", [(10, 3, 2), (227, 11, 4), (28, 5, 1), (7, 3, 3)])
def test_output_sizes_match_keras_for_valid_and_same_padding(width, kernel, stride):
    shape = (1, width, width, 1)
    valid = keras.layers.Conv2D(1, kernel, strides=stride, padding="valid").compute_output_shape(shape)[1]
    same = keras.layers.Conv2D(1, kernel, strides=stride, padding="same").compute_output_shape(shape)[1]
    assert ConvOutput(width, kernel, 0, stride).keras_valid == valid
    assert same_output_size(width, stride) == same


def test_parameters_per_filter_and_per_dense_layer():
    assert filter_params(5, 5, 3) == 76 and filter_params(3, 3, 20) == 181
    assert filter_params(3, 3, 3, bias=False) == 27
    assert dense_params(64 * 64 * 3, 10) == (122_880, 10)


def test_dense_local_and_shared_connections_of_a_megapixel_image():
    links = Connections(side=1000, patch=10)
    assert (links.dense, links.local, links.shared) == (10**12, 10**8, 100)
    with pytest.raises(ValueError, match="patch"):
        Connections(side=10, patch=11)


def test_conv_layer_memory_of_the_seed_notes():
    cost = ConvLayerCost(height=150, width=100, channels=3, kernel=5, filters=200, batch_size=100)
    assert cost.output_shape == (150, 100, 200) and cost.params == 15_200
    assert cost.multiply_adds == 225_000_000
    assert cost.output_bytes * 8 == 96_000_000 and round(cost.output_bytes / 2**20, 1) == 11.4
    assert cost.batch_output_bytes > 2**30


def test_scientific_notation_for_large_counts():
    assert scientific(10**12) == "10¹²" and scientific(10**8) == "10⁸" and scientific(100) == "100"
    assert scientific(250_000**2) == "6.25 × 10¹⁰"


def test_impossible_sizes_are_refused():
    with pytest.raises(ValueError):
        ConvOutput(width=0, kernel=3, padding=0, stride=1)
    with pytest.raises(ValueError):
        ConvLayerCost(height=1, width=1, channels=1, kernel=1, filters=0)
