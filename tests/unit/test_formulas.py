"""The seed notes' worked numbers, and the output-size formula against what Keras actually does."""
import keras
import numpy as np
import pytest

from fractions import Fraction

from webapp.formulas import (Connections, ConvLayerCost, ConvOutput, byte_units, dense_params, filter_params,
                             format_bytes, format_exact, format_measured, same_output_size, scientific)


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
    assert scientific(1500**4) == "5.0625 × 10¹²"  # every significant digit: the count stays exact


def test_impossible_sizes_are_refused():
    with pytest.raises(ValueError):
        ConvOutput(width=0, kernel=3, padding=0, stride=1)
    with pytest.raises(ValueError):
        ConvLayerCost(height=1, width=1, channels=1, kernel=1, filters=0)


@pytest.mark.parametrize("value, shown", [
    (Fraction(2999, 2), "1,499.5"), (4.5, "4.5"), (2000, "2,000"), (Fraction(2000), "2,000"), (10**7, "10,000,000"),
    (Fraction(3997, 128), "31.2265625"), (-2.5, "-2.5"), (0, "0"), (Fraction(4000, 3), "1,333.33…"),
    (Fraction(2, 3), "0.66…"), (1 / 3, "0.33…"), (Fraction(-1, 7), "-0.14…"), (np.int64(2000), "2,000"),
    (np.float32(4.5), "4.5"), (np.float32(0.1), "0.1"),
])
def test_exact_numbers_are_never_rounded_to_a_wrong_value_nor_written_in_scientific_notation(value, shown):
    assert format_exact(value) == shown


@pytest.mark.parametrize("value, shown", [
    (1_234_567.8, "1,234,568"), (12.345, "12.3"), (-0.000034, "-0.000034"), (0.5, "0.5"), (0.0, "0"),
    (1e-9, "0.000000001"),
])
def test_measured_values_are_rounded_in_positional_notation(value, shown):
    assert format_measured(value) == shown


def test_the_calculator_explains_a_4000_pixel_side_at_stride_2_with_the_exact_half():
    conv = ConvOutput(width=4000, kernel=3, padding=0, stride=2)
    assert f"{conv.expression()} = {format_exact(conv.exact)}" == "(4,000 - 3 + 2x0) / 2 + 1 = 1,999.5"
    verdict = conv.verdict()
    assert "(1,999.5 positions)" in verdict and "rounds down to 1,999" in verdict and "ceil(W/S) = 2,000" in verdict
    assert "2e+03" not in verdict and "2000" not in verdict
    assert ConvOutput(width=4001, kernel=3, padding=0, stride=2).verdict() == \
        "Valid: the filter fits 2,000 times along this side."


def test_one_size_formatter_gives_decimal_units_then_binary_ones():
    assert format_bytes(12_000_000) == "12.0 MB (11.4 MiB)" and format_bytes(1_200_000_000) == "1.20 GB (1.12 GiB)"
    assert format_bytes(512) == "512 bytes"
    assert format_bytes(-12_000_000) == "-12.0 MB (-11.4 MiB)" and format_bytes(-512) == "-512 bytes"
    assert byte_units(1_000_000) == ("1.00 MB", "977 KiB") and byte_units(999_600) == ("1.00 MB", "976 KiB")
