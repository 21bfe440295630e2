"""The worked examples of the seed tutorials, done step by step so a page can show every step.

The inner product of two small matrices, the 5x5 image and 3x3 X kernel convolved window by window
(`windows_by_hand`, `assemble`), the multi-channel example (5x5x3 padded by 1, two 3x3x3 filters, stride 2) and
convolution as one matrix product (`im2col`), checked against the real convolution. Explicit loops on purpose:
they show the arithmetic, where `compute` is built for speed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from webapp.formulas import ConvOutput
from webapp.stages.compute import conv2d
from webapp.stages.kernels import FilterBank, bank_of, x_kernel

INNER_PRODUCT = (np.array([[1, 0], [2, 3]]), np.array([[3, 1], [1, 5]]))  # the seed's A and B: 20
SEED_IMAGE_5X5 = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
                          np.float32)
SEED_KERNEL_3X3 = x_kernel(3)


@dataclass(frozen=True, eq=False)
class Window:
    """One step of a convolution done by hand: where the window sits, its products and their sum."""

    row: int  # output position
    col: int
    filter: int
    top: int  # window's corner in the padded input
    left: int
    patch: np.ndarray  # F x F x C
    products: np.ndarray  # F x F x C
    bias: float

    @property
    def channel_sums(self) -> np.ndarray:
        return self.products.sum(axis=(0, 1))

    @property
    def value(self) -> float:
        return float(self.products.sum() + self.bias)


def windows_by_hand(padded: np.ndarray, weights: np.ndarray, bias: np.ndarray, stride: int) -> list[Window]:
    """Every window, filter by filter then row by row: explicit loops, the way the worked examples show it."""
    padded = padded[:, :, None] if padded.ndim == 2 else padded
    weights = weights[:, :, None, None] if weights.ndim == 2 else weights
    size, count = weights.shape[0], weights.shape[3]
    rows, cols = (ConvOutput(side, size, 0, stride).keras_valid for side in padded.shape[:2])
    steps = []
    for index in range(count):
        for row in range(rows):
            for col in range(cols):
                top, left = row * stride, col * stride
                patch = padded[top:top + size, left:left + size, :]
                steps.append(Window(row, col, index, top, left, patch, patch * weights[..., index], float(bias[index])))
    return steps


def assemble(steps: Sequence[Window], shape: tuple[int, int, int]) -> np.ndarray:
    """The output filled in from hand-computed windows (NaN where no step has reached yet)."""
    output = np.full(shape, np.nan, np.float32)
    for step in steps:
        output[step.row, step.col, step.filter] = step.value
    return output


@dataclass(frozen=True, eq=False)
class MultiChannelExample:
    """A 5x5x3 input padded by 1 to 7x7x3, two 3x3x3 filters with biases, stride 2: a 3x3x2 output."""

    image: np.ndarray  # 5x5x3
    padded: np.ndarray  # 7x7x3
    weights: np.ndarray  # 3x3x3x2
    bias: np.ndarray  # (2,)
    stride: int
    steps: list[Window]

    @property
    def output(self) -> np.ndarray:
        return assemble(self.steps, (3, 3, 2))


def multi_channel_example(seed: int = 3) -> MultiChannelExample:
    """The seed's multi-kernel animation: inputs in 0..2, weights in -1..1, biases 1 and 0, as in that demo."""
    draw = np.random.RandomState(seed)
    image = draw.randint(0, 3, (5, 5, 3)).astype(np.float32)
    weights = draw.randint(-1, 2, (3, 3, 3, 2)).astype(np.float32)
    bias = np.array([1, 0], np.float32)
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
    return MultiChannelExample(image, padded, weights, bias, 2, windows_by_hand(padded, weights, bias, 2))


def im2col(image: np.ndarray, size: int, stride: int, padding: int = 0) -> np.ndarray:
    """Each F x F x C window stretched into a column: (F·F·C, out_h·out_w), rows ordered like HWIO weights."""
    padded = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
    views = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(0, 1))[::stride, ::stride]
    rows, cols = views.shape[:2]
    return views.transpose(0, 1, 3, 4, 2).reshape(rows * cols, -1).T


def im2col_conv(image: np.ndarray, bank: FilterBank, stride: int, padding: int = 0) -> np.ndarray:
    """Convolution as one matrix product: W_row (K, F·F·C) @ X_col, reshaped back to (out_h, out_w, K)."""
    columns = im2col(image, bank.size, stride, padding)
    rows, cols = (ConvOutput(side, bank.size, padding, stride).keras_valid for side in image.shape[:2])
    product = bank.weights.reshape(-1, bank.count).T @ columns + bank.bias[:, None]
    return product.reshape(bank.count, rows, cols).transpose(1, 2, 0)


@dataclass(frozen=True)
class Im2colExample:
    input_shape: tuple[int, ...]
    x_col_shape: tuple[int, ...]
    w_row_shape: tuple[int, ...]
    product_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    max_difference: float  # largest |im2col - direct convolution|


def im2col_example(size: int = 227, kernel: int = 11, filters: int = 96, stride: int = 4,
                   seed: int = 0) -> Im2colExample:
    """The seed's im2col numbers: 227x227x3 and 96 filters of 11x11x3 at stride 4 give X_col 363 x 3025,
    a 96 x 3025 product and a 55x55x96 output, checked against the direct convolution."""
    draw = np.random.RandomState(seed)
    image = draw.rand(size, size, 3).astype(np.float32)
    bank = bank_of(draw.normal(0, 1, (kernel, kernel, 3, filters)), [str(index) for index in range(filters)])
    columns = im2col(image, kernel, stride)
    by_matrix = im2col_conv(image, bank, stride)
    from keras import ops

    direct = ops.convert_to_numpy(conv2d(ops.convert_to_tensor(image[None]), bank.weights, stride, "valid"))[0]
    return Im2colExample(image.shape, columns.shape, (filters, columns.shape[0]), (filters, columns.shape[1]),
                         by_matrix.shape, float(np.abs(by_matrix - direct).max()))
