"""The filters a photo goes through: the kernel library, filter banks and where a bank comes from.

A bank is K filters of F x F x C in TensorFlow's HWIO layout, built from the library (the seed tutorials' line
and X filters, Sobel, Laplacian, blurs...), N(0, 1) random numbers drawn as the seeds drew them, a trained
model's first Conv2D layer, a custom grid or a `.npy` file. `KernelChoice` says which; `build_bank` makes it;
`match_channels` fits a bank and an image to each other. Nothing here computes a convolution.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from webapp.files import MAX_FILE_BYTES, FileLimitError, read_file_capped
from webapp.formulas import format_exact
from webapp.stages.errors import StageError

KERNEL_SOURCES = ("library", "random", "model", "custom", "file")
MAX_KERNEL_SIZE = 31
MAX_FILTERS = 256
MAX_WEIGHT = 1e6  # larger weights overflow float32 feature maps into inf and nan


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


def fixed_kernel(rows: Sequence[Sequence[float]] | np.ndarray) -> Callable[[int], np.ndarray]:
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
            (self.source not in KERNEL_SOURCES,
             f"Unknown kernel source {self.source}; choose from {', '.join(KERNEL_SOURCES)}."),
            (self.size is not None and not 1 <= self.size <= MAX_KERNEL_SIZE,
             f"The kernel size must be between 1 and {MAX_KERNEL_SIZE}."),
            (self.count is not None and not 1 <= self.count <= MAX_FILTERS,
             f"The number of filters must be between 1 and {MAX_FILTERS}."),
            (self.source == "custom" and not _is_square_grid(self.grid),
             "A custom kernel must be a square grid of numbers between "
             f"-{format_exact(MAX_WEIGHT)} and {format_exact(MAX_WEIGHT)}."),
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
    if not choice.path:  # KernelChoice.problem() says so first; this keeps the path a str below
        raise StageError("Name the kernel file.")
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
