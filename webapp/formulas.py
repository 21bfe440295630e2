"""The seed notes' formulas for sizes, weights and memory, as small functions a calculator (and a test) can call."""
from __future__ import annotations

import math
from dataclasses import dataclass


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(count: int) -> str:
    """Counts as the seed notes write them: 10¹² for 1,000,000,000,000, 6.25 × 10¹⁰ when not a power of ten."""
    if count < 100_000:
        return f"{count:,}"
    exponent = len(str(count)) - 1
    mantissa = count / 10**exponent
    power = f"10{str(exponent).translate(SUPERSCRIPTS)}"
    return power if mantissa == 1 else f"{mantissa:.3g} × {power}"


@dataclass(frozen=True)
class ConvOutput:
    """(W - F + 2P)/S + 1 and what it means when the division is not exact."""

    width: int
    kernel: int
    padding: int
    stride: int

    def __post_init__(self) -> None:
        if min(self.width, self.kernel, self.stride) < 1 or self.padding < 0:
            raise ValueError("Width, filter and stride must be at least 1, and padding at least 0.")

    @property
    def span(self) -> int:
        """W - F + 2P: how far the filter can travel across the padded input."""
        return self.width - self.kernel + 2 * self.padding

    @property
    def size(self) -> float:
        return self.span / self.stride + 1

    @property
    def valid(self) -> bool:
        """The filter fits a whole number of times: the stride divides W - F + 2P."""
        return self.span >= 0 and self.span % self.stride == 0

    @property
    def keras_valid(self) -> int:
        """What Keras's padding="valid" gives: it rounds down and leaves the last columns unread."""
        return self.span // self.stride + 1 if self.span >= 0 else 0

    def fitting_strides(self) -> list[int]:
        return [stride for stride in range(1, max(self.span, 0) + 1) if self.span % stride == 0] or [1]

    def fitting_paddings(self) -> list[int]:
        """Paddings below the filter size that make this stride fit (none when W - F is odd and S is even)."""
        return [padding for padding in range(self.kernel)
                if (self.width - self.kernel + 2 * padding) >= 0 and (self.width - self.kernel + 2 * padding) % self.stride == 0]


def same_output_size(width: int, stride: int) -> int:
    """Keras's padding="same": ceil(W/S), padding as much as needed (more on the right when uneven)."""
    return math.ceil(width / stride)


def filter_params(kernel_h: int, kernel_w: int, depth: int, bias: bool = True) -> int:
    """One filter sees a kernel_h x kernel_w patch through the whole input depth, plus one bias: 5x5x3+1 = 76."""
    return kernel_h * kernel_w * depth + int(bias)


def conv_multiply_adds(out_h: int, out_w: int, out_c: int, kernel_h: int, kernel_w: int, in_c: int, groups: int = 1) -> int:
    """Every output number is a dot product over its filter's kernel_h*kernel_w*in_c/groups inputs."""
    return out_h * out_w * out_c * kernel_h * kernel_w * in_c // groups


def dense_params(inputs: int, neurons: int) -> tuple[int, int]:
    """A dense layer of n neurons after m inputs: (m x n weights, n biases), (m+1) x n in all."""
    return inputs * neurons, neurons


@dataclass(frozen=True)
class Connections:
    """Weights from a side x side grey image to a hidden layer of side x side neurons, three ways."""

    side: int
    patch: int  # the side of the patch each neuron sees when locally connected

    def __post_init__(self) -> None:
        if self.side < 1 or not 1 <= self.patch <= self.side:
            raise ValueError("The image side must be at least 1 and the patch between 1 and the image side.")

    @property
    def neurons(self) -> int:
        return self.side * self.side

    @property
    def dense(self) -> int:
        """Every neuron sees every pixel: 1000x1000 pixels -> 10^6 x 10^6 = 10^12 weights."""
        return self.neurons * self.neurons

    @property
    def local(self) -> int:
        """Every neuron sees only its patch: 10^6 neurons x 100 pixels = 10^8 weights."""
        return self.neurons * self.patch * self.patch

    @property
    def shared(self) -> int:
        """Every neuron uses the same patch of weights (one kernel): 100 weights, wherever it looks."""
        return self.patch * self.patch


@dataclass(frozen=True)
class ConvLayerCost:
    """A same-padded conv layer on one image and on a batch: weights, multiplications and output memory."""

    height: int
    width: int
    channels: int
    kernel: int
    filters: int
    stride: int = 1
    batch_size: int = 1
    bytes_per_number: int = 4

    def __post_init__(self) -> None:
        if min(self.height, self.width, self.channels, self.kernel, self.filters, self.stride, self.batch_size) < 1:
            raise ValueError("Every size must be at least 1.")

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return same_output_size(self.height, self.stride), same_output_size(self.width, self.stride), self.filters

    @property
    def params(self) -> int:
        return filter_params(self.kernel, self.kernel, self.channels) * self.filters

    @property
    def multiply_adds(self) -> int:
        out_h, out_w, out_c = self.output_shape
        return conv_multiply_adds(out_h, out_w, out_c, self.kernel, self.kernel, self.channels)

    @property
    def output_bytes(self) -> int:
        """One image's feature maps: 200 maps of 150x100 float32 numbers = 96 million bits."""
        return math.prod(self.output_shape) * self.bytes_per_number

    @property
    def batch_output_bytes(self) -> int:
        return self.output_bytes * self.batch_size


def _three_digits(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def byte_units(count: int) -> tuple[str, str]:
    """The same size in decimal and in binary units: 12,000,000 bytes are 12.0 MB and 11.4 MiB."""
    if count < 1000:
        return f"{count} bytes", f"{count} bytes"
    decimal = min(int(math.log(count, 1000)), 4)
    binary = min(int(math.log(count, 1024)), 4)
    return (f"{_three_digits(count / 1000**decimal)} {('bytes', 'kB', 'MB', 'GB', 'TB')[decimal]}",
            f"{_three_digits(count / 1024**binary)} {('bytes', 'KiB', 'MiB', 'GiB', 'TiB')[binary]}")
