"""The seed tutorials' figures that the Stages page reproduces: each one computed here, by the lab's own functions.

- seed 000's icon: an RGBA picture convolved with 3x3x4x4 random filters at stride 5, then 3x3/3 max pooling
  (140x223x4 -> 46x74x4);
- a pool worked by hand (max, average and sum) on a small grid;
- seed 004's padded pooling: 224x224x16 with F = S = 3 gives 75x75 with SAME padding, 74x74 with VALID;
- P = (F - 1) / 2 keeps the size at stride 1;
- seed 001's CIFAR-10 walk-through, INPUT -> CONV -> RELU -> POOL -> FC, with the pooled depth it misprints.

Pure functions, NumPy in and out; keras is imported only where a layer really runs.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from webapp.formulas import dense_params
from webapp.paths import SAMPLES_DIR
from webapp.stages import (AxisPlan, KernelChoice, Processed, StageConfig, StageError, conv_layer, conv2d, plan_axis,
                           pool2d, process_photo, random_bank)

# -- seed 000: an RGBA icon through conv, ReLU and pool -----------------------------------------------------
SEED000_SIZE = (698, 1113)  # rows, columns: (698 - 3)/5 + 1 = 140 and (1113 - 3)/5 + 1 = 223, whole numbers
SEED000_CHOICE = KernelChoice(source="random", count=4, size=3, seed=1)  # np.random.seed(1), N(0, 1), 3x3x4x4
SEED000_CONFIG = StageConfig(stride=5, padding="valid", pool="max", pool_size=3, pool_stride=3, pool_padding="valid")
SEED000_SHAPES = {"conv": (140, 223, 4), "pool": (46, 74, 4)}  # what seed 000 prints


@lru_cache(maxsize=1)
def seed000_icon() -> bytes:
    """A PNG standing in for seed 000's icon (its picture is not ours): the bundled coffee photo at a size
    that gives the seed's 140x223 convolution, with a rounded, transparent frame like an app icon, so the
    alpha channel carries something."""
    rows, cols = SEED000_SIZE
    photo = Image.open(SAMPLES_DIR / "coffee.jpg").convert("RGB").resize((cols, rows), Image.Resampling.LANCZOS)
    alpha = Image.new("L", (cols, rows), 0)
    ImageDraw.Draw(alpha).rounded_rectangle((24, 24, cols - 25, rows - 25), radius=140, fill=255)
    photo.putalpha(alpha)
    out = io.BytesIO()
    photo.save(out, "PNG")
    return out.getvalue()


def seed000_stages() -> Processed:
    """The icon, alpha kept as a fourth channel, through the seed's filters and pooling, at full size."""
    return process_photo(seed000_icon(), SEED000_CHOICE, SEED000_CONFIG, keep_alpha=True)


def weights_without_bias(processed: Processed) -> int:
    """What `tf.nn.conv2d` holds: F·F·C·K weights and no bias (a Keras Conv2D layer adds one per filter)."""
    return int(processed.bank.weights.size)


# -- pooling worked by hand ---------------------------------------------------------------------------------
POOL_BY_HAND_KINDS = {"max": "max", "avg": "average", "sum": "sum"}
POOL_GRID = np.array([[3, 1, 0, 6], [2, 8, 4, 1], [5, 0, 7, 2], [1, 4, 3, 9]], np.float32)  # the lab's own 4x4 grid


@dataclass(frozen=True, eq=False)
class PoolWindow:
    """One step of a pool done by hand: where the window sits, the cells it covers, and what it keeps."""

    row: int  # output position
    col: int
    top: int  # the window's corner in the padded grid
    left: int
    cells: np.ndarray  # the real cells under the window (padding left out)
    kind: str

    @property
    def value(self) -> Fraction:
        """Exact: the largest cell, the sum, or the sum over the number of real cells."""
        values = [Fraction(float(cell)).limit_denominator(10**6) for cell in self.cells]
        if self.kind == "max":
            return max(values)
        return sum(values, Fraction(0)) / (len(values) if self.kind == "avg" else 1)


def pool_by_hand(grid: np.ndarray, size: int, stride: int, kind: str, padding: str = "valid") -> list[PoolWindow]:
    """Every window of a pool, row by row, as plain loops. With SAME the padded cells are skipped (TensorFlow's
    rule: a max never picks them and an average divides by the real cells only)."""
    if kind not in POOL_BY_HAND_KINDS:
        raise StageError(f"Unknown pooling {kind}; choose from {', '.join(POOL_BY_HAND_KINDS)}.")
    rows, cols = (plan_axis(side, size, stride, padding) for side in grid.shape[:2])
    if not (rows.out and cols.out):
        raise StageError(f"A {size}x{size} pool window does not fit the {grid.shape[0]}x{grid.shape[1]} grid.")
    padded = np.pad(np.asarray(grid, float), ((rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)),
                    constant_values=np.nan)
    steps = []
    for row in range(rows.out):
        for col in range(cols.out):
            top, left = row * stride, col * stride
            window = padded[top:top + size, left:left + size]
            steps.append(PoolWindow(row, col, top, left, window[~np.isnan(window)], kind))
    return steps


def pool_output(steps: Sequence[PoolWindow], shape: tuple[int, int]) -> np.ndarray:
    """The pooled grid filled in from the steps done so far (NaN where no step has reached yet)."""
    output = np.full(shape, np.nan)
    for step in steps:
        output[step.row, step.col] = float(step.value)
    return output


def pool_by_keras(grid: np.ndarray, size: int, stride: int, kind: str, padding: str = "valid") -> np.ndarray:
    """The same pool through `keras.ops`. Sum pooling has no layer of its own: it is the average times the
    number of real cells under each window, which a convolution of ones with a kernel of ones counts."""
    from keras import ops

    batch = ops.convert_to_tensor(np.asarray(grid, np.float32)[None, :, :, None])
    pooled = ops.convert_to_numpy(pool2d(batch, "avg" if kind == "sum" else kind, size, stride, padding))[0, :, :, 0]
    if kind != "sum":
        return pooled
    ones = np.ones((size, size, 1, 1), np.float32)
    cells = ops.convert_to_numpy(conv2d(ops.ones_like(batch), ones, stride, padding))[0, :, :, 0]
    return pooled * cells


# -- pooling with padding: seed 004's 224x224x16 -------------------------------------------------------------
@dataclass(frozen=True)
class PoolLayer:
    """A pooling layer's numbers: no weights, only the shape of its output."""

    input_shape: tuple[int, int, int]
    size: int
    stride: int
    rows: AxisPlan
    cols: AxisPlan

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.rows.out, self.cols.out, self.input_shape[2]


def pool_layer(input_shape: Sequence[int], size: int, stride: int, padding: str) -> PoolLayer:
    """The output of pooling `input_shape` (VALID or SAME), or one sentence saying why the window does not fit."""
    height, width, depth = (int(side) for side in input_shape)
    rows, cols = (plan_axis(side, size, stride, padding) for side in (height, width))
    if not (rows.out and cols.out):
        raise StageError(f"A {size}x{size} pool window does not fit the {height}x{width} input; choose SAME padding "
                         "or a smaller window.")
    return PoolLayer((height, width, depth), size, stride, rows, cols)


def seed004_padding(size: int, window: int, stride: int) -> int:
    """Zeros seed 004's NumPy pooling adds after the last row (and column): (W // S)·S + F − W. It agrees with
    TensorFlow's SAME when S does not divide W (224, F = S = 3: one zero, 225 wide, 75 windows) and adds a
    whole needless window when it does."""
    return (size // stride) * stride + window - size


@dataclass(frozen=True)
class PaddedPoolCheck:
    input_shape: tuple[int, ...]
    same_shape: tuple[int, ...]  # keras.ops, padding="same"
    valid_shape: tuple[int, ...]  # keras.ops, padding="valid"
    zero_padded_shape: tuple[int, ...]  # the seed's way: zeros added, then windows stepping S
    max_difference: float  # largest |SAME - zero-padded|, 0 on values >= 0


def padded_pool_check(shape: tuple[int, int, int] = (224, 224, 16), size: int = 3, stride: int = 3,
                      seed: int = 0) -> PaddedPoolCheck:
    """Max-pool random values in [0, 1) both ways: TensorFlow's SAME, and zero padding as seed 004 does it."""
    from keras import ops

    values = np.random.RandomState(seed).rand(*shape).astype(np.float32)
    batch = ops.convert_to_tensor(values[None])
    same = ops.convert_to_numpy(pool2d(batch, "max", size, stride, "same"))[0]
    valid = ops.convert_to_numpy(pool2d(batch, "max", size, stride, "valid"))[0]
    extra = [seed004_padding(side, size, stride) for side in shape[:2]]
    padded = np.pad(values, ((0, extra[0]), (0, extra[1]), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(0, 1))[::stride, ::stride]
    by_zeros = windows.max(axis=(3, 4))[:same.shape[0], :same.shape[1]]
    return PaddedPoolCheck(shape, same.shape, valid.shape, by_zeros.shape, float(np.abs(same - by_zeros).max()))


# -- P = (F - 1) / 2 ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SameSizePadding:
    width: int
    kernel: int
    padding: Fraction  # (F - 1) / 2
    layer_output: int | None  # the layer's output side with that padding (None when P is not whole)

    @property
    def whole(self) -> bool:
        return self.padding.denominator == 1


def same_size_padding(width: int, kernel: int) -> SameSizePadding:
    """The padding that keeps a side's size at stride 1: (W − F + 2P)/1 + 1 = W when P = (F − 1)/2. When it is
    whole, the layer's own shape planning confirms it; an even F gives a half, which no padding can be."""
    padding = Fraction(kernel - 1, 2)
    output = None
    if padding.denominator == 1:
        output = conv_layer((width, width, 1), kernel, 1, 1, int(padding)).output_shape[0]
    return SameSizePadding(width, kernel, padding, output)


# -- seed 001: CIFAR-10 through INPUT -> CONV -> RELU -> POOL -> FC -------------------------------------------
@dataclass(frozen=True)
class WalkStep:
    layer: str
    shape: tuple[int, ...]
    params: int
    how: str


def cifar_walkthrough(kernel: int = 5, filters: int = 12, classes: int = 10, seed: int = 0) -> list[WalkStep]:
    """A random 32x32x3 image through 12 filters of 5x5x3 (P = 2 keeps 32x32), ReLU, 2x2/2 max pooling and a
    dense layer of 10 scores; every shape read off the arrays really computed."""
    from keras import ops

    draw = np.random.RandomState(seed)
    image = draw.rand(32, 32, 3).astype(np.float32)
    bank = random_bank(filters, kernel, 3, seed)
    padding = (kernel - 1) // 2
    conv = conv2d(ops.convert_to_tensor(image[None]), bank.weights, 1, padding)
    relu = ops.relu(conv)
    pool = ops.convert_to_numpy(pool2d(relu, "max", 2, 2))[0]
    flat = pool.reshape(-1)
    weights, biases = dense_params(flat.size, classes)
    scores = flat @ draw.normal(0, 0.01, (flat.size, classes))
    conv_shape = tuple(ops.convert_to_numpy(conv).shape[1:])
    return [
        WalkStep("INPUT", image.shape, 0, "32x32 pixels, 3 colour channels"),
        WalkStep("CONV", conv_shape, (kernel * kernel * 3 + 1) * filters,
                 f"{filters} filters of {kernel}x{kernel}x3, stride 1, P = ({kernel} − 1)/2 = {padding}: one map each"),
        WalkStep("RELU", tuple(ops.convert_to_numpy(relu).shape[1:]), 0, "max(0, x) on every value: the shape stays"),
        WalkStep("POOL", pool.shape, 0, "2x2 max, stride 2, on each map separately: width and height halve, the "
                                        f"depth stays {filters}"),
        WalkStep("FC", (1, 1, scores.size), weights + biases,
                 f"{flat.size:,} inputs x {classes} neurons + {biases} biases: one score per class"),
    ]
