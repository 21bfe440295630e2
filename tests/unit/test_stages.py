"""Stages against an obvious reference (explicit NumPy loops), and the seeds' shapes, parameters and memory."""
import io
import itertools
import math

import numpy as np
import pytest
from PIL import Image

from webapp import images, stages
from webapp.formulas import ConvOutput, byte_units, format_bytes, format_exact, same_output_size
from webapp.stages import KernelChoice, StageConfig, StageError


# -- the reference: TensorFlow's documented semantics, written as plain loops ---------------------------------
def padding_amounts(size: int, window: int, stride: int, padding) -> tuple[int, int]:
    """TensorFlow's SAME: out = ceil(in / S), total padding max((out - 1)·S + F - in, 0), the extra one at the end."""
    if padding == "same":
        total = max((math.ceil(size / stride) - 1) * stride + window - size, 0)
        return total // 2, total - total // 2
    return (0, 0) if padding == "valid" else (padding, padding)


def reference_conv(image, weights, stride, padding):
    (top, bottom), (left, right) = (padding_amounts(image.shape[axis], weights.shape[0], stride, padding)
                                    for axis in (0, 1))
    padded = np.pad(image, ((top, bottom), (left, right), (0, 0)))
    size, count = weights.shape[0], weights.shape[3]
    rows = (padded.shape[0] - size) // stride + 1
    cols = (padded.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols, count))
    for k in range(count):
        for i in range(rows):
            for j in range(cols):
                window = padded[i * stride:i * stride + size, j * stride:j * stride + size, :]
                out[i, j, k] = np.sum(window * weights[..., k])
    return out


def reference_pool(maps, size, stride, kind, padding="valid"):
    """SAME pads with NaN, which the reductions skip: TensorFlow's max never picks a padded cell and its average
    divides by the real cells only."""
    (top, bottom), (left, right) = (padding_amounts(maps.shape[axis], size, stride, padding) for axis in (0, 1))
    padded = np.pad(maps.astype(float), ((top, bottom), (left, right), (0, 0)), constant_values=np.nan)
    rows = (padded.shape[0] - size) // stride + 1
    cols = (padded.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols, maps.shape[2]))
    reduce = np.nanmax if kind == "max" else np.nanmean
    for i in range(rows):
        for j in range(cols):
            out[i, j] = reduce(padded[i * stride:i * stride + size, j * stride:j * stride + size], axis=(0, 1))
    return out


def random_bank(size, channels, count, seed=0):
    return stages.bank_of(np.random.default_rng(seed).normal(size=(size, size, channels, count)),
                          [str(k) for k in range(count)])


@pytest.mark.parametrize("height,width", [(7, 7), (8, 6), (9, 10)])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["same", "valid", 1, 2])
@pytest.mark.parametrize("kernel", [2, 3])
def test_conv_equals_the_loop_reference_for_every_stride_and_padding(height, width, stride, padding, kernel):
    image = np.random.default_rng(height * width).random((height, width, 2)).astype(np.float32)
    bank = random_bank(kernel, 2, 3)
    config = StageConfig(stride=stride, padding=padding, pool_size=1, pool_stride=1)
    result = stages.run_stages(image, bank, config)
    expected = reference_conv(image, bank.weights, stride, padding)
    np.testing.assert_allclose(result.conv, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(result.relu, np.maximum(expected, 0), rtol=1e-5, atol=1e-5)
    assert stages.plan_stages(image.shape, kernel, 3, config).shapes["conv"] == result.conv.shape


@pytest.mark.parametrize("height,width", [(6, 6), (7, 9)])
@pytest.mark.parametrize("size,stride", [(2, 2), (3, 3), (2, 1), (3, 2), (2, 3)])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool_padding", ["valid", "same"])
def test_pool_equals_the_loop_reference_with_either_padding(height, width, size, stride, kind, pool_padding):
    image = np.random.default_rng(size * 10 + stride).random((height, width, 1)).astype(np.float32)
    bank = stages.bank_of(np.array([[[1.0]], [[-1.0]]]).reshape(1, 1, 1, 2), ["identity", "negated"])
    config = StageConfig(stride=1, padding="valid", pool=kind, pool_size=size, pool_stride=stride,
                         pool_padding=pool_padding)
    result = stages.run_stages(image, bank, config)
    expected = reference_pool(result.relu, size, stride, kind, pool_padding)
    np.testing.assert_allclose(result.pool, expected, rtol=1e-6, atol=1e-6)
    assert stages.plan_stages(image.shape, 1, 2, config).shapes["pool"] == result.pool.shape


def test_the_reference_same_padding_is_tensorflows():
    import tensorflow as tf

    image = np.random.default_rng(1).random((1, 8, 9, 3)).astype(np.float32)
    weights = np.random.default_rng(2).random((4, 4, 3, 2)).astype(np.float32)
    expected = tf.nn.conv2d(image, weights, strides=3, padding="SAME").numpy()[0]
    np.testing.assert_allclose(reference_conv(image[0], weights, 3, "same"), expected, rtol=1e-5)


def test_same_pooling_is_ceil_of_w_over_s_and_valid_rounds_down():
    for padding, side in (("valid", 74), ("same", 75)):
        plan = stages.plan_stages((224, 224, 16), 1, 16, StageConfig(padding="valid", pool_size=3, pool_stride=3,
                                                                     pool_padding=padding))
        assert plan.shapes["pool"] == (side, side, 16)
    same = plan.axes["pool"][1]
    assert (same.pad_before, same.pad_after) == (0, 1)
    assert same.formula() == "ceil(W / S) = ceil(224 / 3) = 75, with 0 + 1 zeros"


def test_bias_is_added_to_every_value_of_its_map():
    image = np.zeros((4, 4, 1), np.float32)
    bank = stages.bank_of(np.ones((3, 3, 1, 2)), ["a", "b"], np.array([1.5, -2.0]))
    result = stages.run_stages(image, bank, StageConfig())
    assert np.all(result.conv[..., 0] == 1.5) and np.all(result.conv[..., 1] == -2.0)
    assert np.all(result.relu[..., 1] == 0)


def test_uint8_pixels_are_scaled_to_unit_range():
    pixels = np.full((4, 4, 1), 255, np.uint8)
    result = stages.run_stages(pixels, stages.library_bank(["box"]), StageConfig(padding="valid"))
    assert result.input.dtype == np.float32 and result.input.max() == 1.0
    np.testing.assert_allclose(result.conv, 1.0, rtol=1e-6)


# -- shapes, parameters and memory from the seeds -------------------------------------------------------------
@pytest.mark.parametrize("size,window,stride,padding,out", [
    (7, 3, 1, 0, 5), (7, 3, 2, 0, 3), (5, 3, 2, 1, 3), (11, 5, 2, 0, 4), (227, 11, 4, 0, 55), (224, 3, 1, 1, 224),
    (32, 5, 1, "same", 32), (451, 3, 2, "same", 226), (140, 3, 3, "valid", 46), (223, 3, 3, "valid", 74),
])
def test_output_sizes_of_the_seeds_examples(size, window, stride, padding, out):
    assert stages.plan_axis(size, window, stride, "valid" if padding == 0 else padding).out == out


def test_the_stages_plan_and_the_calculators_formula_agree_on_every_size_window_stride_and_padding():
    """One output-size formula: plan_axis (the Stages page, the CLI) and formulas.ConvOutput (the calculators) give
    the same exact value, shown the same way, and the number of window positions counted one by one."""
    for size, window, stride in itertools.product(range(1, 14), range(1, 8), range(1, 5)):
        same = stages.plan_axis(size, window, stride, "same")
        assert same.out == same_output_size(size, stride) == len(range(0, size, stride))
        for padding in (0, 1, 2, 3, "valid"):
            axis = stages.plan_axis(size, window, stride, padding)
            formula = ConvOutput(size, window, 0 if padding == "valid" else padding, stride)
            positions = len(range(0, max(formula.span + 1, 0), stride))  # window corners inside the padded input
            assert (axis.exact, axis.out) == (formula.exact, formula.keras_valid) and axis.out == positions
            assert f"= {format_exact(formula.exact)}" in axis.formula()
            assert format_exact(formula.exact) in formula.verdict()
            assert axis.whole == formula.valid or formula.span < 0


def test_the_invalid_stride_gives_four_and_a_half_and_tensorflow_drops_the_last_row():
    axis = stages.plan_axis(10, 3, 2, "valid")
    assert axis.exact == 4.5 and not axis.whole and axis.out == 4
    assert axis.unread == (9,)
    assert axis.formula().endswith("= 4.5 → 4")
    explanation = axis.explain("row")
    assert "4.5" in explanation and "rounds down" in explanation and "Row 9" in explanation


def test_a_4000x3000_photo_at_stride_2_valid_gets_its_exact_half_windows_not_rounded_ones():
    plan = stages.plan_stages((3000, 4000, 3), 3, 4, StageConfig(stride=2, padding="valid"))
    rows, cols = plan.axes["conv"]
    assert rows.formula("H") == "(H − F + 2P) / S + 1 = (3,000 − 3 + 2·0) / 2 + 1 = 1,499.5 → 1,499"
    assert cols.formula() == "(W − F + 2P) / S + 1 = (4,000 − 3 + 2·0) / 2 + 1 = 1,999.5 → 1,999"
    notes = plan.notes("conv")
    assert notes[0].startswith("Convolution, rows: The formula gives 1,499.5, not a whole number: "
                               "only 1,499 windows fit")
    assert "1500" not in " ".join(notes) and "1,500" not in " ".join(notes)
    assert any("1,999.5" in note and "only 1,999 windows" in note for note in notes)
    assert any("999.5" in note for note in plan.notes("pool"))  # 1,999 columns under a 2x2 pool at stride 2


def test_same_padding_on_a_wide_photo_is_never_in_scientific_notation():
    axis = stages.plan_axis(4000, 3, 2, "same")
    assert axis.formula() == "ceil(W / S) = ceil(4,000 / 2) = 2,000, with 0 + 1 zeros"


def test_a_dropped_window_of_padding_only_says_so():
    axis = stages.plan_axis(10, 3, 2, 1)
    assert axis.exact == 5.5 and axis.out == 5 and axis.unread == ()
    assert "zero padding only" in axis.explain("column")


def test_a_stride_longer_than_the_window_skips_rows_and_says_how_many():
    axis = stages.plan_axis(10, 1, 4, "same")
    assert axis.out == 3 and len(axis.unread) == 7
    assert "7 of 10 columns are never read" in axis.explain("column")


def test_same_padding_puts_the_odd_zero_at_the_end():
    axis = stages.plan_axis(7, 4, 1, "same")
    assert (axis.out, axis.pad_before, axis.pad_after) == (7, 1, 2)
    assert axis.formula() == "ceil(W / S) = ceil(7 / 1) = 7, with 1 + 2 zeros"


def test_a_kernel_larger_than_the_input_is_a_sentence_not_a_crash():
    with pytest.raises(StageError, match="does not fit"):
        stages.plan_stages((5, 5, 1), 7, 1, StageConfig(padding="valid"))
    with pytest.raises(StageError, match="pool window does not fit"):
        stages.plan_stages((3, 3, 1), 3, 1, StageConfig(padding="valid", pool_size=2))


def test_parameter_counts_of_the_seeds_layers():
    assert stages.conv_params(5, 3, 200) == 15_200
    assert stages.conv_params(5, 3, 1) == 76
    assert stages.conv_params(3, 20, 1) == 181
    assert stages.conv_params(3, 3, 64) == 1_792
    assert stages.conv_params(3, 64, 64) == 36_928
    assert stages.conv_params(11, 3, 96) == 34_944


def test_the_seeds_memory_example_is_12_mb_or_11_4_mib_per_image_and_over_a_gigabyte_per_batch_of_100():
    layer = stages.conv_layer((150, 100, 3), 5, 200, 1, "same")
    assert layer.output_shape == (150, 100, 200) and layer.params == 15_200
    assert layer.memory_bytes() == 12_000_000
    assert byte_units(layer.memory_bytes()) == ("12.0 MB", "11.4 MiB")
    assert format_bytes(layer.memory_bytes()) == "12.0 MB (11.4 MiB)"
    assert layer.memory_bytes(100) > 1e9 and format_bytes(layer.memory_bytes(100)) == "1.20 GB (1.12 GiB)"
    assert layer.multiplications == 225_000_000


def test_the_page_refuses_stages_over_fifty_million_values_with_a_sentence():
    plan = stages.plan_stages((3000, 4000, 3), 3, 8, StageConfig())
    with pytest.raises(StageError, match=r"convolution output would hold 96,000,000 values \(3000x4000x8\)"):
        stages.check_value_limit(plan)
    stages.check_value_limit(stages.plan_stages((3000, 4000, 3), 3, 4, StageConfig()))


def test_layer_presets_are_all_computable():
    for preset in stages.LAYER_PRESETS:
        layer = stages.conv_layer((preset.height, preset.width, preset.depth), preset.kernel_size, preset.filters,
                                  preset.stride, preset.padding)
        assert layer.params > 0


# -- worked examples ------------------------------------------------------------------------------------------
def test_the_inner_product_example_is_20():
    first, second = stages.INNER_PRODUCT
    assert int((first * second).sum()) == 20


def test_the_5x5_example_reproduces_the_seeds_result_step_by_step():
    steps = stages.windows_by_hand(stages.SEED_IMAGE_5X5, stages.SEED_KERNEL_3X3, np.zeros(1), 1)
    assert [step.value for step in steps[:2]] == [4, 3]
    result = stages.assemble(steps, (3, 3, 1))[..., 0]
    np.testing.assert_array_equal(result, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert np.isnan(stages.assemble(steps[:1], (3, 3, 1))[0, 1, 0])


def test_the_padded_multi_channel_example_gives_3x3x2_equal_to_the_direct_convolution():
    example = stages.multi_channel_example()
    assert example.image.shape == (5, 5, 3) and example.padded.shape == (7, 7, 3) and len(example.steps) == 18
    assert example.bias.tolist() == [1, 0]
    direct = stages.run_stages(example.image, stages.bank_of(example.weights, ["w0", "w1"], example.bias),
                               StageConfig(stride=2, padding=1, pool_size=1, pool_stride=1))
    np.testing.assert_allclose(example.output, direct.conv, atol=1e-5)
    step = example.steps[0]
    assert step.value == pytest.approx(step.channel_sums.sum() + step.bias)


def test_im2col_equals_the_direct_convolution():
    image = np.random.default_rng(3).random((9, 8, 3)).astype(np.float32)
    bank = random_bank(3, 3, 4)
    columns = stages.im2col(image, 3, 2, 1)
    assert columns.shape == (27, 5 * 4)
    direct = stages.run_stages(image, bank, StageConfig(stride=2, padding=1, pool_size=1, pool_stride=1)).conv
    np.testing.assert_allclose(stages.im2col_conv(image, bank, 2, 1), direct, rtol=1e-4, atol=1e-4)


def test_the_seeds_im2col_example_shapes():
    example = stages.im2col_example()
    assert example.x_col_shape == (363, 3025) and example.w_row_shape == (96, 363)
    assert example.product_shape == (96, 3025) and example.output_shape == (55, 55, 96)
    assert example.max_difference < 1e-3


# -- kernels and filter banks ---------------------------------------------------------------------------------
def test_the_seeds_kernels():
    np.testing.assert_array_equal(stages.x_kernel(3), [[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    vertical = stages.KERNELS["vertical-line"].at(7)
    assert vertical.shape == (7, 7) and vertical[:, 3].sum() == 7 and vertical.sum() == 7
    assert stages.KERNELS["horizontal-line"].at(7)[3, :].sum() == 7


def test_a_library_bank_takes_the_largest_natural_size_and_centres_fixed_patterns():
    bank = stages.library_bank(["vertical-line", "sobel-x"])
    assert bank.weights.shape == (7, 7, 1, 2) and bank.names == ("vertical-line", "sobel-x")
    np.testing.assert_array_equal(bank.weights[2:5, 2:5, 0, 1], stages.SOBEL_X)
    assert np.abs(bank.weights[..., 1]).sum() == 8
    assert stages.gaussian_kernel(5).sum() == pytest.approx(1.0)


def test_library_problems_are_sentences():
    with pytest.raises(StageError, match="Unknown kernel blur"):
        stages.library_bank(["blur"])
    with pytest.raises(StageError, match="at least 3"):
        stages.library_bank(["sobel-x"], size=2)
    with pytest.raises(StageError, match="at least one kernel"):
        KernelChoice(names=())


def test_random_filters_are_the_seed_tutorials_draws():
    bank = stages.random_bank(4, 3, 3, seed=1)
    np.random.seed(1)
    np.testing.assert_allclose(bank.weights, np.random.normal(0, 1, (3, 3, 3, 4)).astype(np.float32))


def test_a_one_channel_kernel_on_a_colour_image_is_the_sum_over_channels():
    image = np.random.default_rng(4).random((6, 6, 3)).astype(np.float32)
    pixels, bank = stages.match_channels(image, stages.library_bank(["sobel-x"]))
    assert bank.weights.shape == (3, 3, 3, 1)
    together = stages.run_stages(pixels, bank, StageConfig()).conv
    apart = sum(stages.run_stages(image[..., [c]], stages.library_bank(["sobel-x"]), StageConfig()).conv
                for c in range(3))
    np.testing.assert_allclose(together, apart, rtol=1e-5, atol=1e-5)


def test_a_colour_filter_on_a_grey_image_sees_the_grey_in_every_channel():
    pixels, bank = stages.match_channels(np.ones((4, 4, 1), np.float32), random_bank(3, 3, 2))
    assert pixels.shape == (4, 4, 3) and bank.channels == 3
    with pytest.raises(StageError, match="expect 4 input channels"):
        stages.match_channels(np.ones((4, 4, 3), np.float32), random_bank(3, 4, 2))


def test_the_default_cnns_first_layer_filters():
    from webapp.store import RunStore

    store = RunStore()
    bank = stages.model_bank(store.load_model("default-cnn"), count=5)
    assert bank.weights.shape == (3, 3, 1, 5) and bank.bias.shape == (5,) and np.any(bank.bias)
    with pytest.raises(StageError, match="no convolution layer"):
        stages.model_bank(store.load_model("default-dnn"))


def test_kernel_files_must_be_hwio(tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.ones((5, 5, 3, 2), np.float32))
    assert stages.file_bank(good).weights.shape == (5, 5, 3, 2)
    flat = tmp_path / "flat.npy"
    np.save(flat, np.ones((5, 5), np.float32))
    with pytest.raises(StageError, match=r"\(F, F, C_in, K\)"):
        stages.file_bank(flat)
    text = tmp_path / "text.npy"
    text.write_text("not numpy")
    with pytest.raises(StageError, match="not a NumPy"):
        stages.file_bank(text)
    with pytest.raises(StageError, match="does not exist"):
        stages.file_bank(tmp_path / "missing.npy")
    huge = tmp_path / "huge.npy"
    np.save(huge, np.ones((200, 200, 1, 1), np.float32))
    with pytest.raises(StageError, match="at most"):
        stages.file_bank(huge)
    overflowing = tmp_path / "overflowing.npy"
    np.save(overflowing, np.full((3, 3, 1, 1), 1e300))
    with pytest.raises(StageError, match="between"):
        stages.file_bank(overflowing)
    with pytest.raises(StageError, match="between"):
        stages.KernelChoice(source="custom", grid=((1e300, 0), (0, 0)))


def test_configs_refuse_impossible_settings_with_sentences():
    for settings in ({"stride": 0}, {"padding": "wide"}, {"padding": -1}, {"pool": "sum"}, {"pool_size": 0},
                     {"pool_padding": "full"}):
        with pytest.raises(StageError):
            StageConfig(**settings)
    assert StageConfig(padding="SAME").padding == "same"
    with pytest.raises(StageError, match="square grid"):
        KernelChoice(source="custom", grid=((1.0, 2.0),))
    assert stages.parse_padding(" Valid ") == "valid" and stages.parse_padding("2") == 2
    with pytest.raises(StageError):
        stages.parse_padding("-1")


# -- photos ---------------------------------------------------------------------------------------------------
def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_keep_alpha_makes_transparency_a_fourth_channel_and_the_filters_follow():
    image = Image.new("RGBA", (6, 5), (10, 20, 30, 0))
    image.putpixel((0, 0), (10, 20, 30, 255))
    pixels = images.read_photo(png_bytes(image), keep_alpha=True)
    assert pixels.shape == (5, 6, 4) and pixels[0, 0, 3] == 255 and pixels[1, 1, 3] == 0
    assert images.read_photo(png_bytes(image), grayscale=True, keep_alpha=True).shape == (5, 6, 2)
    # no alpha to keep
    assert images.read_photo(png_bytes(Image.new("RGB", (6, 5))), keep_alpha=True).shape == (5, 6, 3)
    processed = stages.process_photo(png_bytes(image), KernelChoice(source="random", count=2, size=3), StageConfig(),
                                     keep_alpha=True)
    assert processed.bank.weights.shape == (3, 3, 4, 2) and processed.plan.conv.params == (3 * 3 * 4 + 1) * 2


def test_a_photo_goes_through_every_stage_with_shapes_that_match_the_formulas():
    photo = png_bytes(Image.fromarray(np.random.default_rng(5).integers(0, 255, (21, 30, 3), dtype=np.uint8)))
    processed = stages.process_photo(photo, KernelChoice(), StageConfig(stride=2, padding="valid"))
    assert processed.shapes_agree() and processed.spread_over_channels
    assert processed.result.shapes() == {"input": (21, 30, 3), "conv": (10, 14, 4), "relu": (10, 14, 4),
                                         "pool": (5, 7, 4)}
    summary = stages.report(processed)
    assert summary["params"] == (3 * 3 * 3 + 1) * 4 and summary["shapes_agree"]
    assert any("14.5" in note for note in summary["notes"])


def uniform_png(height, width, mode):
    encoded = io.BytesIO()
    Image.new(mode, (width, height), 128 if mode == "L" else (90, 120, 200)).save(encoded, "PNG")
    return encoded.getvalue()


@pytest.mark.parametrize("height, width, mode, choice", [
    (7000, 7000, "L", KernelChoice(source="custom", grid=((1, 0, 1), (0, 1, 0), (1, 0, 1)))),  # 49 MP, one grey level
    (3000, 5000, "RGB", KernelChoice()),  # 15 MP in colour, four filters
])
def test_the_page_path_never_processes_more_than_its_memory_budget(height, width, mode, choice):
    """The interactive path shrinks a photo (in its proportions) until its stages fit the budget; the CLI's
    path (no budget) keeps the full size. The bytes themselves are measured by `bench stages`."""
    photo = uniform_png(height, width, mode)
    processed = stages.process_photo(photo, choice, StageConfig(), grayscale=mode == "L",
                                     memory_budget=stages.PAGE_MEMORY_BUDGET)
    assert processed.reduced_from == (height, width)
    assert stages.stage_memory_bytes(processed.plan) <= stages.PAGE_MEMORY_BUDGET
    worked_height, worked_width = processed.result.input.shape[:2]
    assert worked_height * worked_width < height * width / 3
    assert abs(worked_width / worked_height - width / height) < 0.01
    small = stages.process_photo(uniform_png(300, 400, mode), choice, StageConfig(), grayscale=mode == "L",
                                 memory_budget=stages.PAGE_MEMORY_BUDGET)
    assert small.reduced_from is None and small.result.input.shape[:2] == (300, 400)


@pytest.mark.parametrize("stride, padding", [(1, "same"), (2, "same"), (3, "valid"), (2, 2), (1, 3)])
def test_the_convolution_in_bands_equals_the_whole_at_once(stride, padding):
    image = np.random.default_rng(stride).random((23, 17, 3)).astype(np.float32)
    bank = random_bank(5, 3, 3)  # 5x5 filters over 3 channels, three of them
    config = StageConfig(stride=stride, padding=padding)
    whole = stages.run_stages(image, bank, config, chunk_values=10**9)
    banded = stages.run_stages(image, bank, config, chunk_values=1)  # one output row per band
    np.testing.assert_allclose(banded.conv, whole.conv, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(banded.pool, whole.pool, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(whole.conv, reference_conv(image, bank.weights, stride, padding), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (3, 3), (2, 1), (4, 3)])
def test_pooling_in_numpy_equals_tensorflows_pool(kind, padding, size, stride):
    from keras import ops

    values = np.random.default_rng(size * 7 + stride).random((11, 13, 2)).astype(np.float32)
    rows, cols = (stages.plan_axis(side, size, stride, padding) for side in values.shape[:2])
    expected = ops.convert_to_numpy(stages.pool2d(values[None], kind, size, stride, padding))[0]
    np.testing.assert_allclose(stages.pool_values(values, kind, rows, cols), expected, rtol=1e-6, atol=1e-6)
