"""The seed figures of the Stages page: seed 000's RGBA icon, pooling by hand, seed 004's padded pooling,
P = (F - 1)/2 and seed 001's CIFAR-10 walk-through, each against Keras or a hand-worked figure."""
import numpy as np
import pytest

from webapp import seed_stages as seeds
from webapp.stages import StageError


def test_seed_000s_icon_keeps_alpha_and_gives_the_seeds_shapes_and_weights():
    processed = seeds.seed000_stages()
    assert processed.result.shapes() == {"input": (698, 1113, 4), "conv": (140, 223, 4), "relu": (140, 223, 4),
                                         "pool": (46, 74, 4)}
    assert processed.shapes_agree()
    assert processed.bank.weights.shape == (3, 3, 4, 4)
    assert seeds.weights_without_bias(processed) == 144 and processed.plan.conv.params == 148
    alpha = processed.result.input[..., 3]
    assert alpha[0, 0] == 0 and alpha[349, 556] == 1  # transparent corner, opaque middle
    np.testing.assert_array_equal(processed.bank.weights,
                                  np.random.RandomState(1).normal(0, 1, (3, 3, 4, 4)).astype(np.float32))


def test_a_2x2_pool_by_hand_on_the_lab_grid():
    for kind, expected in (("max", [[8, 6], [5, 9]]), ("avg", [[3.5, 2.75], [2.5, 5.25]]),
                           ("sum", [[14, 11], [10, 21]])):
        steps = seeds.pool_by_hand(seeds.POOL_GRID, 2, 2, kind)
        assert len(steps) == 4 and [(step.row, step.col) for step in steps] == [(0, 0), (0, 1), (1, 0), (1, 1)]
        np.testing.assert_array_equal(seeds.pool_output(steps, (2, 2)), expected)
    partial = seeds.pool_output(seeds.pool_by_hand(seeds.POOL_GRID, 2, 2, "max")[:1], (2, 2))
    assert partial[0, 0] == 8 and np.isnan(partial[1, 1])


@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (3, 3), (2, 1)])
def test_pooling_by_hand_equals_keras(kind, padding, size, stride):
    grid = np.random.default_rng(size + 10 * stride).integers(0, 9, (5, 7)).astype(np.float32)
    steps = seeds.pool_by_hand(grid, size, stride, kind, padding)
    by_keras = seeds.pool_by_keras(grid, size, stride, kind, padding)
    np.testing.assert_allclose(seeds.pool_output(steps, by_keras.shape), by_keras, rtol=1e-6)


def test_pooling_by_hand_refuses_what_it_cannot_do():
    with pytest.raises(StageError, match="Unknown pooling"):
        seeds.pool_by_hand(seeds.POOL_GRID, 2, 2, "median")
    with pytest.raises(StageError, match="does not fit"):
        seeds.pool_by_hand(seeds.POOL_GRID, 5, 1, "max")


def test_seed_004s_pool_pads_224_to_75_with_same_and_drops_to_74_with_valid():
    same, valid = (seeds.pool_layer((224, 224, 16), 3, 3, padding) for padding in ("same", "valid"))
    assert same.output_shape == (75, 75, 16) and valid.output_shape == (74, 74, 16)
    assert seeds.seed004_padding(224, 3, 3) == 1  # 225 wide: (225 - 3)/3 + 1 = 75
    assert seeds.seed004_padding(225, 3, 3) == 3  # S divides W: a whole window of zeros more than SAME needs
    check = seeds.padded_pool_check()
    assert (check.same_shape, check.valid_shape, check.zero_padded_shape) == ((75, 75, 16), (74, 74, 16), (75, 75, 16))
    assert check.max_difference == 0


def test_p_is_f_minus_1_over_2_keeps_the_size_at_stride_1():
    for kernel in (1, 3, 5, 7, 11):
        chosen = seeds.same_size_padding(32, kernel)
        assert chosen.whole and chosen.padding == (kernel - 1) // 2 and chosen.layer_output == 32
    even = seeds.same_size_padding(32, 4)
    assert not even.whole and even.padding == 1.5 and even.layer_output is None


def test_the_cifar_walkthrough_pools_to_16x16x12_not_16x16x3():
    steps = {step.layer: step for step in seeds.cifar_walkthrough()}
    assert [steps[name].shape for name in ("INPUT", "CONV", "RELU", "POOL", "FC")] == [
        (32, 32, 3), (32, 32, 12), (32, 32, 12), (16, 16, 12), (1, 1, 10)]
    assert steps["CONV"].params == (5 * 5 * 3 + 1) * 12 and steps["FC"].params == (16 * 16 * 12 + 1) * 10
