"""Computing the stages of one photo: convolution, ReLU and pooling with TensorFlow's semantics.

The convolution goes through `keras.ops` (which is `tf.nn.convolution` on the TensorFlow backend:
cross-correlation, no kernel flip, TensorFlow's SAME padding), so it runs on the GPU when there is one, in bands
of output rows so that a 49 MP photo never needs several full copies at once; a photo's pooling is
`tf.nn.pool`'s, done in NumPy (`pool_values`, checked against `pool2d`). `stage_memory_bytes` and `budget_size`
say how much memory that takes and how far a page shrinks a photo to fit its budget; `process_photo` is the
whole path the page and `python -m webapp stages` share, and `report` is what the CLI prints. keras is imported
only where a convolution really runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image

from webapp.files import MAX_FILE_BYTES
from webapp.formulas import format_bytes
from webapp.images import open_photo, photo_pixels
from webapp.stages.kernels import FilterBank, KernelChoice, build_bank, match_channels
from webapp.stages.planning import (STAGES, AxisPlan, StageConfig, StagePlan, activation_bytes, check_value_limit,
                                    plan_stages)

PAGE_MEMORY_BUDGET = 300_000_000  # bytes one photo's stages may take on a page; larger photos are shrunk first
CHUNK_VALUES = 8_000_000  # convolution outputs per trip through the device (32 MB of float32)


@dataclass(frozen=True, eq=False)
class StageResult:
    """The four stages of one image, float32, H x W x C each (no batch axis)."""

    input: np.ndarray
    conv: np.ndarray
    relu: np.ndarray
    pool: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        return {stage: getattr(self, stage) for stage in STAGES}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {stage: tuple(array.shape) for stage, array in self.arrays().items()}


def conv2d(batch: Any, weights: np.ndarray, stride: int, padding: str | int) -> Any:
    """`tf.nn.conv2d` semantics on a (N, H, W, C) batch: an explicit P pads zeros first, then slides VALID."""
    from keras import ops

    if not isinstance(padding, str):
        batch = ops.pad(batch, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
        padding = "valid"
    return ops.conv(batch, weights, strides=stride, padding=padding, data_format="channels_last")


def pool2d(batch: Any, kind: str, size: int, stride: int, padding: str = "valid") -> Any:
    """`tf.nn.pool`: VALID drops windows that do not fit, as most seeds do; SAME pads so ceil(W / S) fit, and
    its padded cells never count (a max ignores them, an average divides by the real cells only)."""
    from keras import ops

    pool = ops.max_pool if kind == "max" else ops.average_pool
    return pool(batch, size, strides=stride, padding=padding, data_format="channels_last")


def run_stages(pixels: np.ndarray, bank: FilterBank, config: StageConfig,
               chunk_values: int = CHUNK_VALUES) -> StageResult:
    """Conv (plus each filter's bias), ReLU and pooling on one (H, W, C) image at full resolution; uint8 pixels
    are scaled to [0, 1]. The convolution goes through the device in bands of output rows (at most
    `chunk_values` values each), written into arrays allocated once, so the peak memory stays close to the
    result's own size: a 49 MP photo would otherwise need several copies of every stage at once."""
    plan = plan_stages(pixels.shape, bank.size, bank.count, config)
    inputs = pixels.astype(np.float32, copy=pixels.dtype != np.float32)
    if pixels.dtype == np.uint8:
        inputs /= 255.0
    conv = np.empty(plan.shapes["conv"], np.float32)
    rows, cols = plan.conv.rows, plan.conv.cols
    band = max(1, chunk_values // max(1, cols.out * bank.count))
    for first in range(0, rows.out, band):
        last = min(rows.out, first + band)
        conv[first:last] = _conv_band(inputs, bank.weights, rows, cols, first, last)
    if np.any(bank.bias):
        conv += bank.bias
    relu = np.maximum(conv, 0.0)
    pool = pool_values(relu, config.pool, plan.pool_rows, plan.pool_cols)
    return StageResult(inputs, conv, relu, pool)


def _conv_band(inputs: np.ndarray, weights: np.ndarray, rows: AxisPlan, cols: AxisPlan, first: int,
               last: int) -> np.ndarray:
    """Output rows [first, last) of the convolution: the input rows they read, with the plan's zero padding
    around them, through a VALID convolution on the device."""
    from keras import ops

    height, width, channels = inputs.shape
    size, stride = weights.shape[0], rows.stride
    top = first * stride - rows.pad_before  # in the input's own rows; negative inside the top padding
    bottom = (last - 1) * stride + size - rows.pad_before
    band = np.zeros((bottom - top, cols.pad_before + width + cols.pad_after, channels), np.float32)
    inside = inputs[max(0, top):min(height, bottom)]
    band[max(0, -top):min(height, bottom) - top, cols.pad_before:cols.pad_before + width] = inside
    output = conv2d(ops.convert_to_tensor(band[None]), weights, stride, "valid")
    return np.asarray(ops.convert_to_numpy(output))[0, :last - first, :cols.out]


def pool_values(values: np.ndarray, kind: str, rows: AxisPlan, cols: AxisPlan) -> np.ndarray:
    """`tf.nn.pool` in NumPy, one pass per window offset over output-sized views, so it needs no memory beyond
    its result. VALID drops windows that do not fit; SAME pads so ceil(W / S) fit, and padded cells never count
    (a max ignores them, an average divides by the real cells only)."""
    size, stride = rows.window, rows.stride
    pooled = np.full((rows.out, cols.out, values.shape[2]), -np.inf if kind == "max" else 0.0, np.float32)
    counts = np.zeros((rows.out, cols.out, 1), np.float32)
    for row in range(size):
        out_rows = _reads(rows, row, values.shape[0])
        for col in range(size):
            out_cols = _reads(cols, col, values.shape[1])
            if out_rows.stop <= out_rows.start or out_cols.stop <= out_cols.start:
                continue
            top = out_rows.start * stride + row - rows.pad_before  # the input cell the first of them reads
            left = out_cols.start * stride + col - cols.pad_before
            window = values[top:top + (out_rows.stop - out_rows.start - 1) * stride + 1:stride,
                            left:left + (out_cols.stop - out_cols.start - 1) * stride + 1:stride]
            target = pooled[out_rows, out_cols]
            if kind == "max":
                np.maximum(target, window, out=target)
            else:
                target += window
            counts[out_rows, out_cols] += 1
    if kind != "max":
        pooled /= counts
    return pooled


def _reads(axis: AxisPlan, offset: int, size: int) -> slice:
    """The outputs whose window cell at `offset` falls on a real (not padded) input cell along one axis."""
    first = max(0, -(-(axis.pad_before - offset) // axis.stride))
    last = min(axis.out - 1, (size - 1 + axis.pad_before - offset) // axis.stride)
    return slice(first, last + 1)


def stage_memory_bytes(plan: StagePlan, chunk_values: int = CHUNK_VALUES) -> int:
    """What `process_photo` holds at its peak for this plan: the decoded photo and its pixels (1 byte per value),
    the float32 input, conv and ReLU, the pooling, one band on the device (its input and output, twice), and
    what drawing one map's tile needs (a mask)."""
    height, width, channels = plan.conv.input_shape
    conv_values = math.prod(plan.shapes["conv"])
    band = min(conv_values, max(chunk_values, plan.conv.cols.out * plan.conv.filters))
    return (2 * height * width * channels + 4 * height * width * channels + 2 * 4 * conv_values
            + 4 * math.prod(plan.shapes["pool"]) + 4 * 4 * band + conv_values // plan.conv.filters)


def budget_size(plan_for: Callable[[int, int], StagePlan], height: int, width: int, budget: int) -> tuple[int, int]:
    """The largest (height, width) of the photo, in its proportions, whose stages fit `budget` bytes."""
    if stage_memory_bytes(plan_for(height, width)) <= budget:
        return height, width
    scale = math.sqrt(budget / stage_memory_bytes(plan_for(height, width)))
    while True:
        size = max(1, int(height * scale)), max(1, int(width * scale))
        if stage_memory_bytes(plan_for(*size)) <= budget or size == (1, 1):
            return size
        scale *= 0.97


@dataclass(frozen=True, eq=False)
class Processed:
    """A photo through the stages: the plan from the formulas, the filters used, and the real result."""

    plan: StagePlan
    bank: FilterBank
    result: StageResult
    spread_over_channels: bool = False  # 2-D kernels applied to every colour channel, the products summed
    reduced_from: tuple[int, int] | None = None  # the photo's own (height, width) when a smaller copy was used

    def shapes_agree(self) -> bool:
        return self.plan.shapes == self.result.shapes()


def process_photo(source: bytes | str | Path, choice: KernelChoice, config: StageConfig, *, grayscale: bool = False,
                  load_model: Callable[[str], Any] | None = None, value_limit: int | None = None,
                  max_bytes: int = MAX_FILE_BYTES, memory_budget: int | None = None,
                  keep_alpha: bool = False) -> Processed:
    """Decode, fit the filters, plan the shapes (refusing stages over `value_limit` values), then compute.
    With `memory_budget` (the pages), a photo whose stages would need more bytes is first shrunk, in its
    proportions, to the largest size that fits, and `reduced_from` says so; without it (the CLI), full size.
    `max_bytes` caps the photo and kernel files read from paths."""
    image = open_photo(source, max_bytes)
    channels = photo_pixels(image.crop((0, 0, 1, 1)), grayscale, keep_alpha).shape[2]
    chosen = build_bank(choice, channels, load_model, max_bytes)
    fitted = match_channels(np.zeros((1, 1, channels), np.uint8), chosen)[1]  # the filters as applied
    reduced_from = None
    if memory_budget:
        def plan_for(height: int, width: int) -> StagePlan:
            return plan_stages((height, width, fitted.channels), fitted.size, fitted.count, config)

        height, width = budget_size(plan_for, image.height, image.width, memory_budget)
        if (height, width) != (image.height, image.width):
            reduced_from = (image.height, image.width)
            image = image.resize((width, height), Image.Resampling.BOX)
    pixels = photo_pixels(image, grayscale, keep_alpha)
    del image
    pixels, bank = match_channels(pixels, chosen)
    plan = plan_stages(pixels.shape, bank.size, bank.count, config)
    if value_limit:
        check_value_limit(plan, value_limit)
    return Processed(plan, bank, run_stages(pixels, bank, config), chosen.channels < bank.channels, reduced_from)


def report(processed: Processed, batch: int = 1) -> dict[str, Any]:
    """What the CLI prints: each stage's shape (from the formula and from the result), parameters and memory."""
    plan, shapes = processed.plan, processed.result.shapes()
    stages = []
    for stage in STAGES:
        row: dict[str, Any] = {"stage": stage, "shape": list(shapes[stage]), "formula_shape": list(plan.shapes[stage]),
                               "bytes": activation_bytes(shapes[stage])}
        if stage in plan.axes:
            rows, cols = plan.axes[stage]
            row["formula"] = {"rows": rows.formula("H"), "columns": cols.formula()}
        stages.append(row)
    conv_bytes = plan.conv.memory_bytes(batch)
    return {"kernels": list(processed.bank.names), "kernel_shape": list(processed.bank.weights.shape),
            "stride": plan.config.stride, "padding": plan.config.padding, "pool": plan.config.pool,
            "pool_size": plan.config.pool_size, "pool_stride": plan.config.pool_stride,
            "pool_padding": plan.config.pool_padding, "stages": stages,
            "params": plan.conv.params, "multiplications": plan.conv.multiplications, "memory_bytes": conv_bytes,
            "memory": format_bytes(conv_bytes), "batch": batch, "notes": plan.notes(),
            "shapes_agree": processed.shapes_agree()}
