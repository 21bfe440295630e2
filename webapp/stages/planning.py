"""The shapes of every stage from the formulas alone, before anything is computed.

How the window slides (`StageConfig`), what one axis becomes under it (`plan_axis`: the textbook
(W - F + 2P) / S + 1, TensorFlow's rounding and the input it never reads), a convolution layer's shape,
parameters, multiplications and memory (`conv_layer`), the whole conv -> ReLU -> pool plan (`plan_stages`),
the page's limit on values per stage, and the seeds' layers as calculator presets. Plain integer arithmetic:
no TensorFlow, so the calculator and the CLI's checks stay instant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from webapp.formulas import ConvOutput, filter_params, format_exact, format_shape, same_output_size
from webapp.stages.errors import StageError

PAGE_VALUE_LIMIT = 50_000_000  # values per stage the page computes; the CLI has no such limit
POOL_TYPES = ("max", "avg")
PADDING_MODES = ("same", "valid")
POOL_PADDINGS = ("valid", "same")  # pooling: VALID drops windows that do not fit, SAME pads to ceil(W / S)
BYTES_PER_VALUE = 4  # float32
STAGES = ("input", "conv", "relu", "pool")


# -- shapes --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageConfig:
    """How the window slides: the convolution's stride and padding, then the pooling (VALID unless told)."""

    stride: int = 1
    padding: str | int = "same"  # "same", "valid" (TensorFlow's) or an explicit number P of zero rows/columns
    pool: str = "max"
    pool_size: int = 2
    pool_stride: int = 2
    pool_padding: str = "valid"  # or "same": TensorFlow pads so that ceil(W / S) windows fit

    def __post_init__(self) -> None:
        padding = self.padding.lower() if isinstance(self.padding, str) else self.padding
        object.__setattr__(self, "padding", padding)
        object.__setattr__(self, "pool_padding", str(self.pool_padding).lower())
        explicit = isinstance(padding, int) and not isinstance(padding, bool)
        checks = [
            (not 1 <= self.stride <= 64, "The stride must be between 1 and 64."),
            (not (padding in PADDING_MODES or (explicit and 0 <= int(padding) <= 64)),
             "Padding must be same, valid, or a number of zero rows and columns between 0 and 64."),
            (self.pool not in POOL_TYPES, f"Unknown pooling {self.pool}; choose max or avg."),
            (not 1 <= self.pool_size <= 64, "The pool size must be between 1 and 64."),
            (not 1 <= self.pool_stride <= 64, "The pool stride must be between 1 and 64."),
            (self.pool_padding not in POOL_PADDINGS, "Pool padding must be valid or same."),
        ]
        problem = next((message for failed, message in checks if failed), None)
        if problem:
            raise StageError(problem)


def parse_padding(text: str) -> str | int:
    """"same", "valid" or a whole number of zero rows and columns (P)."""
    text = text.strip().lower()
    if text in PADDING_MODES:
        return text
    if text.isdigit():
        return int(text)
    raise StageError(f"Padding must be same, valid or a whole number, not {text!r}.")


@dataclass(frozen=True)
class AxisPlan:
    """One axis (rows or columns) under a sliding window: the formula, what TensorFlow does, what it never reads."""

    size: int  # W
    window: int  # F
    stride: int  # S
    padding: str | int
    pad_before: int
    pad_after: int
    exact: Fraction  # the formula's value: (W - F + 2P) / S + 1, or W / S for SAME
    out: int  # what TensorFlow gives
    unread: tuple[int, ...]  # input indices no window covers (0-based)

    @property
    def whole(self) -> bool:
        return self.exact.denominator == 1

    def formula(self, size: str = "W") -> str:
        """The textbook formula with this axis's numbers, and what TensorFlow makes of it (`size`: W for
        columns, H for rows)."""
        if self.padding == "same":
            zeros = f", with {self.pad_before} + {self.pad_after} zeros" if self.pad_before + self.pad_after else ""
            return f"ceil({size} / S) = ceil({self.size:,} / {self.stride}) = {self.out:,}{zeros}"
        padding = 0 if self.padding == "valid" else self.padding
        text = (f"({size} − F + 2P) / S + 1 = ({self.size:,} − {self.window} + 2·{padding}) / {self.stride} + 1 "
                f"= {format_exact(self.exact)}")
        return text if self.whole else f"{text} → {self.out:,}"

    def explain(self, axis: str = "row") -> str | None:
        """A sentence when TensorFlow leaves something out: a partial window dropped, or rows jumped over."""
        words = []
        if not self.whole and self.padding != "same":
            words.append(f"The formula gives {format_exact(self.exact)}, not a whole number: only {self.out:,} windows "
                         f"fit, so TensorFlow rounds down and drops the last partial window.")
        if self.unread:
            words.append(_describe_unread(self.unread, self.size, axis))
        elif words:
            words.append(f"What it leaves out is zero padding only: every {axis} of the input is read.")
        return " ".join(words) or None


def _describe_unread(unread: tuple[int, ...], size: int, axis: str) -> str:
    if len(unread) == 1:
        return f"{axis.capitalize()} {unread[0]:,} (0-based) of {size:,} is never read."
    if unread == tuple(range(unread[0], unread[-1] + 1)):
        return f"{axis.capitalize()}s {unread[0]:,}–{unread[-1]:,} (0-based) of {size:,} are never read."
    return f"{len(unread):,} of {size:,} {axis}s are never read: the stride jumps over them."


def plan_axis(size: int, window: int, stride: int, padding: str | int) -> AxisPlan:
    """Output size along one axis as TensorFlow computes it; `out` is 0 when the window does not fit. The sizes
    come from the lab's one output-size formula (formulas.ConvOutput, and same_output_size for SAME), which the
    calculators show too; this adds the padding TensorFlow places and the input it never reads."""
    if padding == "same":
        out = same_output_size(size, stride)
        total = max((out - 1) * stride + window - size, 0)
        before, after = total // 2, total - (total // 2)
        exact = Fraction(size, stride)
    else:
        before = after = 0 if padding == "valid" else int(padding)
        formula = ConvOutput(size, window, before, stride)
        exact, out = formula.exact, formula.keras_valid
    covered = np.zeros(size + before + after, bool)
    for start in range(0, out * stride, stride):
        covered[start:start + window] = True
    unread = tuple(int(index) for index in np.flatnonzero(~covered[before:before + size]))
    return AxisPlan(size, window, stride, padding, before, after, exact, out, unread)


@dataclass(frozen=True)
class ConvLayer:
    """One convolution layer's numbers: output shape from the formula, parameters, work and memory."""

    input_shape: tuple[int, int, int]  # H, W, D
    kernel_size: int  # F
    filters: int  # K
    rows: AxisPlan
    cols: AxisPlan

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.rows.out, self.cols.out, self.filters

    @property
    def params(self) -> int:
        return conv_params(self.kernel_size, self.input_shape[2], self.filters)

    @property
    def multiplications(self) -> int:
        """Multiply-adds: each output value reads F x F x D inputs."""
        return math.prod(self.output_shape) * self.kernel_size**2 * self.input_shape[2]

    def memory_bytes(self, batch: int = 1) -> int:
        return activation_bytes(self.output_shape, batch)


def conv_layer(input_shape: Sequence[int], kernel_size: int, filters: int, stride: int,
               padding: str | int) -> ConvLayer:
    """The layer's numbers, or one sentence saying why the kernel does not fit."""
    height, width, depth = input_shape
    rows, cols = (plan_axis(side, kernel_size, stride, padding) for side in (height, width))
    if not (rows.out and cols.out):
        padded = f"{height + rows.pad_before + rows.pad_after}x{width + cols.pad_before + cols.pad_after}"
        raise StageError(f"A {kernel_size}x{kernel_size} kernel does not fit the {padded} (padded) input; "
                         "choose SAME padding, more padding or a smaller kernel.")
    return ConvLayer((height, width, depth), kernel_size, filters, rows, cols)


@dataclass(frozen=True)
class StagePlan:
    """Every stage's shape from the formulas alone, before anything is computed."""

    conv: ConvLayer
    config: StageConfig
    pool_rows: AxisPlan
    pool_cols: AxisPlan

    @property
    def shapes(self) -> dict[str, tuple[int, int, int]]:
        return {"input": self.conv.input_shape, "conv": self.conv.output_shape, "relu": self.conv.output_shape,
                "pool": (self.pool_rows.out, self.pool_cols.out, self.conv.filters)}

    @property
    def axes(self) -> dict[str, tuple[AxisPlan, AxisPlan]]:
        """(rows, columns) of each stage that slides a window."""
        return {"conv": (self.conv.rows, self.conv.cols), "pool": (self.pool_rows, self.pool_cols)}

    def notes(self, stage: str | None = None) -> list[str]:
        """Sentences for every axis where TensorFlow drops or skips something (of one stage, or both)."""
        titles = {"conv": "Convolution", "pool": "Pooling"}
        found = []
        for name, (rows, cols) in self.axes.items():
            for axis, plan in (("row", rows), ("column", cols)):
                sentence = plan.explain(axis)
                if sentence and stage in (None, name):
                    found.append(f"{titles[name]}, {axis}s: {sentence}")
        return found


def plan_stages(input_shape: Sequence[int], kernel_size: int, filters: int, config: StageConfig) -> StagePlan:
    """The shapes of conv, ReLU and pool, or one sentence saying why a window does not fit."""
    conv = conv_layer(input_shape, kernel_size, filters, config.stride, config.padding)
    pool_rows, pool_cols = (plan_axis(side, config.pool_size, config.pool_stride, config.pool_padding)
                            for side in conv.output_shape[:2])
    if not (pool_rows.out and pool_cols.out):
        raise StageError(f"A {config.pool_size}x{config.pool_size} pool window does not fit the "
                         f"{conv.rows.out}x{conv.cols.out} convolution output; choose a smaller pool or stride.")
    return StagePlan(conv, config, pool_rows, pool_cols)


STAGE_TITLES = {"input": "input", "conv": "convolution output", "relu": "ReLU output", "pool": "pooling output"}


def check_value_limit(plan: StagePlan, limit: int = PAGE_VALUE_LIMIT) -> None:
    """Refuse, with a sentence, any stage holding more than `limit` values."""
    for stage, shape in plan.shapes.items():
        values = math.prod(shape)
        if values > limit:
            raise StageError(f"The {STAGE_TITLES[stage]} would hold {values:,} values ({format_shape(shape)}); "
                             f"this page stops at {limit / 1e6:.0f} million per stage: use fewer filters, a larger "
                             "stride, grayscale or a smaller photo, or `python -m webapp stages`.")


# -- parameters and memory -----------------------------------------------------------------------------
def conv_params(kernel_size: int, depth: int, filters: int) -> int:
    """(F·F·D + 1)·K: one weight per kernel cell and input channel, plus one bias, per filter."""
    return filter_params(kernel_size, kernel_size, depth) * filters


def activation_bytes(shape: Sequence[int], batch: int = 1) -> int:
    """float32 memory of one stage's output for `batch` images."""
    return math.prod(shape) * BYTES_PER_VALUE * batch


@dataclass(frozen=True)
class LayerPreset:
    """A layer from the seeds, to start the calculator from."""

    title: str
    height: int
    width: int
    depth: int
    kernel_size: int
    stride: int
    padding: str | int
    filters: int
    batch: int = 1


LAYER_PRESETS = (
    LayerPreset("Tutorial: memory of a 5x5 conv layer with 200 maps of 150x100", 150, 100, 3, 5, 1, "same", 200, 100),
    LayerPreset("Tutorial: an invalid stride, W=10, F=3, P=0, S=2 (4.5)", 10, 10, 1, 3, 2, "valid", 1),
    LayerPreset("Tutorial: 7x7 input, 3x3 kernel, stride 2", 7, 7, 1, 3, 2, "valid", 1),
    LayerPreset("Tutorial: 5x5x3 input, padding 1, two 3x3x3 filters, stride 2", 5, 5, 3, 3, 2, 1, 2),
    LayerPreset("Tutorial: 11x11x4 input, F=5, S=2", 11, 11, 4, 5, 2, "valid", 2),
    LayerPreset("Tutorial: CIFAR-10, 32x32x3 with twelve 5x5 filters", 32, 32, 3, 5, 1, "same", 12),
    LayerPreset("Tutorial: AlexNet's first layer, 96 filters of 11x11x3 at stride 4", 227, 227, 3, 11, 4, "valid", 96),
    LayerPreset("Tutorial: VGG16's first layer, 64 filters of 3x3x3 with P=1", 224, 224, 3, 3, 1, 1, 64),
)
