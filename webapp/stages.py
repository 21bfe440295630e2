"""CNN stages on any photo: convolution, ReLU and pooling with TensorFlow's semantics, and the numbers behind them.

Pure functions, NumPy in and NumPy out. The convolution goes through `keras.ops` (which is
`tf.nn.convolution` on the TensorFlow backend: cross-correlation, no kernel flip, TensorFlow's SAME padding),
so it runs on the GPU when there is one; a photo's pooling is `tf.nn.pool`'s, done in NumPy (`pool_values`,
checked against `pool2d`). The page and `python -m webapp stages` call the same
functions. The worked examples and the shape, parameter and memory formulas reproduce the seed tutorials' numbers.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from webapp.files import MAX_FILE_BYTES, FileLimitError, read_file_capped
from webapp.formulas import filter_params, format_bytes, format_exact, format_shape
from webapp.images import SAMPLE_TITLES, open_photo, photo_pixels, read_photo, sample_photos  # noqa: F401 (re-exported for the CLI and pages)

PAGE_VALUE_LIMIT = 50_000_000  # values per stage the page computes; the CLI has no such limit
PAGE_MEMORY_BUDGET = 300_000_000  # bytes one photo's stages may take on a page; larger photos are shrunk first
CHUNK_VALUES = 8_000_000  # convolution outputs per trip through the device (32 MB of float32)
POOL_TYPES = ("max", "avg")
PADDING_MODES = ("same", "valid")
POOL_PADDINGS = ("valid", "same")  # pooling: VALID drops windows that do not fit, SAME pads to ceil(W / S)
KERNEL_SOURCES = ("library", "random", "model", "custom", "file")
BYTES_PER_VALUE = 4  # float32
STAGES = ("input", "conv", "relu", "pool")
MAX_KERNEL_SIZE = 31
MAX_FILTERS = 256
MAX_WEIGHT = 1e6  # larger weights overflow float32 feature maps into inf and nan


class StageError(ValueError):
    """A setting or input the stages cannot use; the message is one sentence for the user."""


# -- the kernel library --------------------------------------------------------------------------------
def line_kernel(size: int, vertical: bool) -> np.ndarray:
    """The seed tutorial's line filters: ones along the middle column (vertical) or row (horizontal)."""
    kernel = np.zeros((size, size), np.float32)
    if vertical:
        kernel[:, size // 2] = 1
    else:
        kernel[size // 2, :] = 1
    return kernel


def x_kernel(size: int) -> np.ndarray:
    """Ones on both diagonals; at 3x3 it is the seed's [[1,0,1],[0,1,0],[1,0,1]]."""
    diagonals = np.eye(size, dtype=np.float32) + np.fliplr(np.eye(size, dtype=np.float32))
    return np.minimum(diagonals, 1)


def box_kernel(size: int) -> np.ndarray:
    return np.full((size, size), 1.0 / size**2, np.float32)


def gaussian_kernel(size: int) -> np.ndarray:
    """A Gaussian blur whose spread grows with the size (sigma = F / 5), summing to 1."""
    offsets = np.arange(size) - (size - 1) / 2
    bell = np.exp(-(offsets**2) / (2 * (size / 5) ** 2))
    kernel = np.outer(bell, bell)
    return (kernel / kernel.sum()).astype(np.float32)


def fixed_kernel(rows: Sequence[Sequence[float]]) -> Callable[[int], np.ndarray]:
    """A fixed pattern; a larger size centres it in a frame of zeros (same response, a larger window)."""
    pattern = np.asarray(rows, np.float32)

    def build(size: int) -> np.ndarray:
        natural = pattern.shape[0]
        frame = np.zeros((size, size), np.float32)
        offset = (size - natural) // 2
        frame[offset:offset + natural, offset:offset + natural] = pattern
        return frame

    return build


@dataclass(frozen=True)
class LibraryKernel:
    name: str
    what: str  # what it responds to, one line for help texts
    natural_size: int
    build: Callable[[int], np.ndarray]
    resizable: bool = True  # False: a fixed pattern, so the size must be at least the natural one

    def at(self, size: int) -> np.ndarray:
        if not self.resizable and size < self.natural_size:
            raise StageError(f"The {self.name} kernel is {self.natural_size}x{self.natural_size}; "
                             f"choose a kernel size of at least {self.natural_size}.")
        return self.build(size)


SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
KERNELS: dict[str, LibraryKernel] = {kernel.name: kernel for kernel in (
    LibraryKernel("vertical-line", "the tutorial's 7x7 vertical line: bright vertical strokes", 7,
                  lambda size: line_kernel(size, vertical=True)),
    LibraryKernel("horizontal-line", "the tutorial's 7x7 horizontal line: bright horizontal strokes", 7,
                  lambda size: line_kernel(size, vertical=False)),
    LibraryKernel("x", "the tutorial's 3x3 X: diagonal crossings", 3, x_kernel),
    LibraryKernel("sobel-x", "Sobel x: vertical edges (positive where it gets brighter to the right)", 3,
                  fixed_kernel(SOBEL_X), resizable=False),
    LibraryKernel("sobel-y", "Sobel y: horizontal edges (positive where it gets brighter downwards)", 3,
                  fixed_kernel(np.transpose(SOBEL_X)), resizable=False),
    LibraryKernel("laplacian", "Laplacian: spots and thin lines, zero on flat areas", 3,
                  fixed_kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]]), resizable=False),
    LibraryKernel("sharpen", "sharpen: the pixel minus its neighbours' blur", 3,
                  fixed_kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]), resizable=False),
    LibraryKernel("box", "box blur: the mean of the window", 3, box_kernel),
    LibraryKernel("gaussian", "Gaussian blur: a weighted mean, heaviest in the middle", 5, gaussian_kernel),
    LibraryKernel("emboss", "emboss: relief lit from the top left", 3,
                  fixed_kernel([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]), resizable=False),
)}
DEFAULT_KERNELS = ("sobel-x", "sobel-y", "laplacian", "sharpen")


# -- filter banks --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FilterBank:
    """K filters of F x F x C in TensorFlow's HWIO layout, one bias and one name each."""

    weights: np.ndarray  # (F, F, C, K) float32
    bias: np.ndarray  # (K,) float32
    names: tuple[str, ...]

    @property
    def size(self) -> int:
        return self.weights.shape[0]

    @property
    def channels(self) -> int:
        return self.weights.shape[2]

    @property
    def count(self) -> int:
        return self.weights.shape[3]


def bank_of(kernels: np.ndarray, names: Sequence[str], bias: np.ndarray | None = None) -> FilterBank:
    """A bank from (F, F, K) single-channel kernels or (F, F, C, K) filters."""
    weights = np.asarray(kernels, np.float32)
    weights = weights[:, :, None, :] if weights.ndim == 3 else weights
    count = weights.shape[3]
    bias = np.zeros(count, np.float32) if bias is None else np.asarray(bias, np.float32).reshape(count)
    return FilterBank(weights, bias, tuple(names))


def library_bank(names: Sequence[str], size: int | None = None) -> FilterBank:
    """One filter per name, all at one size: `size`, or else the largest natural size among them."""
    unknown = [name for name in names if name not in KERNELS]
    if not names:
        raise StageError("Choose at least one kernel.")
    if unknown:
        raise StageError(f"Unknown kernel {', '.join(unknown)}; choose from {', '.join(KERNELS)}.")
    size = size or max(KERNELS[name].natural_size for name in names)
    return bank_of(np.stack([KERNELS[name].at(size) for name in names], axis=-1), names)


def random_bank(count: int, size: int, channels: int, seed: int) -> FilterBank:
    """N(0, 1) filters drawn as the seed tutorial did (`np.random.seed(s)`, then `np.random.normal`), so the
    same seed and shape give its very numbers."""
    weights = np.random.RandomState(seed).normal(0, 1, (size, size, channels, count))
    return bank_of(weights, [f"random {index + 1}" for index in range(count)])


def model_bank(model: Any, count: int | None = None) -> FilterBank:
    """The first Conv2D layer's filters and biases of a trained model (its first `count` filters)."""
    layer = next((layer for layer in model.layers if type(layer).__name__ == "Conv2D"), None)
    if layer is None:
        raise StageError("That model has no convolution layer; pick a CNN or LeNet run.")
    weights, *rest = layer.get_weights()
    bias = rest[0] if rest else None
    count = min(count or weights.shape[3], weights.shape[3])
    return bank_of(weights[..., :count], [f"{layer.name} #{index + 1}" for index in range(count)],
                   None if bias is None else bias[:count])


def file_bank(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> FilterBank:
    """Filters from a `.npy` file of shape (F, F, C_in, K), TensorFlow's HWIO layout (a regular file of at most
    `max_bytes`, read before it is parsed)."""
    try:
        data = read_file_capped(path, max_bytes, what="kernel file")
    except FileLimitError as error:
        raise StageError(str(error).replace("The kernel file does", f"The kernel file {path} does")) from None
    try:
        weights = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        raise StageError(f"The kernel file {path} is not a NumPy .npy array.") from None
    if not isinstance(weights, np.ndarray) or np.iscomplexobj(weights):
        raise StageError("The kernel file must hold real numbers; complex weights are refused, not cut to their "
                         "real part.")
    if weights.ndim != 4 or weights.shape[0] != weights.shape[1] or not weights.size:
        raise StageError(f"The kernel file holds an array of shape {weights.shape}; it must be (F, F, C_in, K) "
                         "with square F x F kernels.")
    if not np.issubdtype(weights.dtype, np.number) or not np.all(np.isfinite(weights)):
        raise StageError("The kernel file must hold finite numbers.")
    if weights.shape[0] > MAX_KERNEL_SIZE or weights.shape[3] > MAX_FILTERS:
        raise StageError(f"The kernel file holds {weights.shape[3]} filters of {weights.shape[0]}x{weights.shape[0]}; "
                         f"the lab takes at most {MAX_FILTERS} filters of up to {MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}.")
    if np.abs(weights).max() > MAX_WEIGHT:
        raise StageError(f"Kernel weights must lie between -{format_exact(MAX_WEIGHT)} and {format_exact(MAX_WEIGHT)}.")
    return bank_of(weights, [f"filter {index + 1}" for index in range(weights.shape[3])])


@dataclass(frozen=True)
class KernelChoice:
    """Where the filters come from: the library, random N(0, 1), a trained model, a custom grid or a file."""

    source: str = "library"
    names: tuple[str, ...] = DEFAULT_KERNELS  # library
    size: int | None = None  # library (None: natural size) and random (None: 3)
    count: int | None = None  # random (None: 4) and model (None: all its filters)
    seed: int = 1  # random
    run: str = "cnn"  # model: a run id, or dnn/cnn/lenet for the shipped defaults
    grid: tuple[tuple[float, ...], ...] | None = None  # custom
    path: str | None = None  # file

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        checks = [
            (self.source not in KERNEL_SOURCES, f"Unknown kernel source {self.source}; choose from {', '.join(KERNEL_SOURCES)}."),
            (self.size is not None and not 1 <= self.size <= MAX_KERNEL_SIZE, f"The kernel size must be between 1 and {MAX_KERNEL_SIZE}."),
            (self.count is not None and not 1 <= self.count <= MAX_FILTERS, f"The number of filters must be between 1 and {MAX_FILTERS}."),
            (self.source == "custom" and not _is_square_grid(self.grid), f"A custom kernel must be a square grid of numbers between -{format_exact(MAX_WEIGHT)} and {format_exact(MAX_WEIGHT)}."),
            (self.source == "file" and not self.path, "Name the kernel file."),
        ]
        problem = next((message for failed, message in checks if failed), None)
        if problem:
            raise StageError(problem)
        if self.source == "library":
            library_bank(self.names, self.size)  # unknown names and too-small sizes fail here, early


def _is_square_grid(grid: Any) -> bool:
    rows = np.asarray(grid, dtype=float) if grid is not None else np.zeros((0, 0))
    return (rows.ndim == 2 and rows.shape[0] == rows.shape[1] >= 1 and bool(np.all(np.isfinite(rows)))
            and bool(np.all(np.abs(rows) <= MAX_WEIGHT)))


def build_bank(choice: KernelChoice, channels: int, load_model: Callable[[str], Any] | None = None,
               max_bytes: int = MAX_FILE_BYTES) -> FilterBank:
    """The filters `choice` names, for an input of `channels` channels (`load_model` only for trained filters)."""
    if choice.source == "library":
        return library_bank(choice.names, choice.size)
    if choice.source == "random":
        return random_bank(choice.count or 4, choice.size or 3, channels, choice.seed)
    if choice.source == "model":
        if load_model is None:
            raise StageError("Trained filters need a model to load them from.")
        return model_bank(load_model(choice.run), choice.count)
    if choice.source == "custom":
        return bank_of(np.asarray(choice.grid, np.float32)[:, :, None], ["custom"])
    return file_bank(choice.path, max_bytes)


def match_channels(pixels: np.ndarray, bank: FilterBank) -> tuple[np.ndarray, FilterBank]:
    """Fit filters and image together: a 1-channel filter applies its weights to every colour channel and sums
    (one F x F x C filter); a 3-channel filter on a grey image sees the grey in all three channels."""
    channels = pixels.shape[2]
    if bank.channels == channels:
        return pixels, bank
    if bank.channels == 1:
        return pixels, FilterBank(np.repeat(bank.weights, channels, axis=2), bank.bias, bank.names)
    if channels == 1:
        return np.repeat(pixels, bank.channels, axis=2), bank
    raise StageError(f"The filters expect {bank.channels} input channels but the image has {channels}.")


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
            (not (padding in PADDING_MODES or (explicit and 0 <= padding <= 64)),
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
    """Output size along one axis as TensorFlow computes it; `out` is 0 when the window does not fit."""
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + window - size, 0)
        before, after = total // 2, total - (total // 2)
        exact = Fraction(size, stride)
    else:
        before = after = 0 if padding == "valid" else int(padding)
        span = size + before + after - window
        exact = Fraction(span, stride) + 1
        out = span // stride + 1 if span >= 0 else 0
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


def conv_layer(input_shape: Sequence[int], kernel_size: int, filters: int, stride: int, padding: str | int) -> ConvLayer:
    """The layer's numbers, or one sentence saying why the kernel does not fit."""
    height, width, _ = input_shape
    rows, cols = (plan_axis(side, kernel_size, stride, padding) for side in (height, width))
    if not (rows.out and cols.out):
        padded = f"{height + rows.pad_before + rows.pad_after}x{width + cols.pad_before + cols.pad_after}"
        raise StageError(f"A {kernel_size}x{kernel_size} kernel does not fit the {padded} (padded) input; "
                         "choose SAME padding, more padding or a smaller kernel.")
    return ConvLayer(tuple(input_shape), kernel_size, filters, rows, cols)


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


# -- computing the stages ------------------------------------------------------------------------------
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


def _conv_band(inputs: np.ndarray, weights: np.ndarray, rows: AxisPlan, cols: AxisPlan, first: int, last: int) -> np.ndarray:
    """Output rows [first, last) of the convolution: the input rows they read, with the plan's zero padding
    around them, through a VALID convolution on the device."""
    from keras import ops

    height, width, channels = inputs.shape
    size, stride = weights.shape[0], rows.stride
    top = first * stride - rows.pad_before  # in the input's own rows; negative inside the top padding
    bottom = (last - 1) * stride + size - rows.pad_before
    band = np.zeros((bottom - top, cols.pad_before + width + cols.pad_after, channels), np.float32)
    band[max(0, -top):min(height, bottom) - top, cols.pad_before:cols.pad_before + width] = inputs[max(0, top):min(height, bottom)]
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
                  max_bytes: int = MAX_FILE_BYTES, memory_budget: int | None = None, keep_alpha: bool = False) -> Processed:
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


# -- worked examples -----------------------------------------------------------------------------------
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
    rows = (padded.shape[0] - size) // stride + 1
    cols = (padded.shape[1] - size) // stride + 1
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
    rows = (image.shape[0] + 2 * padding - bank.size) // stride + 1
    cols = (image.shape[1] + 2 * padding - bank.size) // stride + 1
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


def im2col_example(size: int = 227, kernel: int = 11, filters: int = 96, stride: int = 4, seed: int = 0) -> Im2colExample:
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
