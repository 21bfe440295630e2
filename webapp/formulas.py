"""The seed notes' formulas for sizes, weights and memory, as small functions a calculator (and a test) can call."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_shape(shape: Iterable[int]) -> str:
    """A tensor shape as the lab writes it everywhere: 224x224x64."""
    return "x".join(map(str, shape))


def format_exact(value: Fraction | int | float) -> str:
    """A formula's result, never rounded to a wrong number and never in scientific notation.

    Whole numbers and terminating decimals are written out in full with thousands separators
    (2000 -> "2,000", 1499.5 -> "1,499.5", 31.2265625 stays as it is); a fraction with no finite decimal
    (4000/3) shows two decimals cut off, not rounded, and an ellipsis: "1,333.33…". Floats are read as the
    nearest fraction with a denominator up to a million, so 1/3 computed in floating point is still "0.33…".
    NumPy scalars are accepted too.
    """
    if isinstance(value, Fraction | numbers.Integral):
        exact = Fraction(value)
    elif math.isfinite(value):
        exact = Fraction(float(value)).limit_denominator(10**6)  # numpy's float32 too
    else:
        return str(float(value))
    sign = "-" if exact < 0 else ""
    whole, rest = divmod(abs(exact.numerator), exact.denominator)
    if rest == 0:
        return f"{sign}{whole:,}"
    digits, terminating = _decimal_digits(Fraction(rest, exact.denominator))
    return f"{sign}{whole:,}.{digits}" + ("" if terminating else "…")


def _decimal_digits(part: Fraction, shown_when_endless: int = 2) -> tuple[str, bool]:
    """The decimal digits of 0 < part < 1: all of them when they end (the denominator has no prime but 2 and 5),
    else the first `shown_when_endless`, cut off."""
    denominator = part.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    terminating = denominator == 1
    digits = ""
    while part and (terminating or len(digits) < shown_when_endless):
        part *= 10
        digit = part.numerator // part.denominator
        digits += str(digit)
        part -= digit
    return digits, terminating


def format_measured(value: float, significant: int = 3) -> str:
    """A measured value (a feature map's maximum, a trained bias) rounded for reading, in positional notation:
    1234567.8 -> "1,234,568", 12.345 -> "12.3", -0.000034 -> "-0.000034"; whole digits are never dropped."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(significant - 1 - magnitude, 0)
    text = f"{value:,.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def scientific(count: int) -> str:
    """Counts as the seed notes write them: 10¹² for 1,000,000,000,000, 6.25 × 10¹⁰ when not a power of ten.
    The mantissa keeps every significant digit, so the figure stays exact (5.0625 × 10¹²)."""
    if count < 100_000:
        return f"{count:,}"
    digits = str(count)
    exponent = len(digits) - 1
    power = f"10{str(exponent).translate(SUPERSCRIPTS)}"
    significant = digits.rstrip("0")
    if significant == "1":
        return power
    mantissa = significant[0] + ("." + significant[1:] if len(significant) > 1 else "")
    return f"{mantissa} × {power}"


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
    def exact(self) -> Fraction:
        """The formula's value as an exact fraction: (4000 - 3)/2 + 1 is 1999.5, not a float to round."""
        return Fraction(self.span, self.stride) + 1

    def expression(self) -> str:
        """The formula with this side's numbers, without its value: "(4,000 - 3 + 2x0) / 2 + 1"."""
        return f"({self.width:,} - {self.kernel:,} + 2x{self.padding:,}) / {self.stride:,} + 1"

    def verdict(self) -> str:
        """One sentence when the filter fits a whole number of times; otherwise what fits and what Keras does."""
        if self.valid:
            return f"Valid: the filter fits {format_exact(self.exact)} times along this side."
        paddings = (", ".join(map(str, self.fitting_paddings()))
                    or "none (W - F is odd, every padding adds an even number)")
        return (f"Invalid stride: W - F + 2P = {self.span:,} is not a multiple of {self.stride}, so the filter would "
                f"have to stop part-way ({format_exact(self.exact)} positions). Strides that fit: "
                f"{', '.join(map(str, self.fitting_strides()))}. Paddings that fit stride {self.stride}: {paddings}. "
                f"Keras does not refuse: padding='valid' rounds down to {self.keras_valid:,} and never reads the "
                f"last column(s); padding='same' pads unevenly to get ceil(W/S) = "
                f"{same_output_size(self.width, self.stride):,}.")

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
                if self.width - self.kernel + 2 * padding >= 0
                and (self.width - self.kernel + 2 * padding) % self.stride == 0]


def same_output_size(width: int, stride: int) -> int:
    """Keras's padding="same": ceil(W/S), padding as much as needed (more on the right when uneven); integer
    division, so a width of any size stays exact."""
    return -(-width // stride)


def filter_params(kernel_h: int, kernel_w: int, depth: int, bias: bool = True) -> int:
    """One filter sees a kernel_h x kernel_w patch through the whole input depth, plus one bias: 5x5x3+1 = 76."""
    return kernel_h * kernel_w * depth + int(bias)


def conv_multiply_adds(out_h: int, out_w: int, out_c: int, kernel_h: int, kernel_w: int, in_c: int,
                       groups: int = 1) -> int:
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


DECIMAL_UNITS = ("bytes", "kB", "MB", "GB", "TB")
BINARY_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def _three_digits(value: float) -> str:
    return f"{value:.0f}" if value >= 99.95 else f"{value:.1f}" if value >= 9.995 else f"{value:.2f}"


def _in_units(count: int, base: int, units: tuple[str, ...]) -> str:
    """The largest unit that keeps the number at 1 or more, moving up when rounding would show 1000 of it."""
    if count < 1000:
        return f"{count:,} bytes"
    power = 0
    while power + 1 < len(units) and (count >= base ** (power + 1) or round(count / base**power) >= 1000):
        power += 1
    return f"{_three_digits(count / base**power)} {units[power]}"


def byte_units(count: int) -> tuple[str, str]:
    """The same size in decimal and in binary units: 12,000,000 bytes are 12.0 MB and 11.4 MiB."""
    return _in_units(count, 1000, DECIMAL_UNITS), _in_units(count, 1024, BINARY_UNITS)


def format_bytes(count: float) -> str:
    """The lab's one way to write a size: decimal units, then binary ones in brackets, as the seed notes quote
    memory in MiB: 12,000,000 bytes -> "12.0 MB (11.4 MiB)"; under 1000 bytes just "512 bytes". A negative
    count (memory given back, in a benchmark) keeps its sign: "-12.0 MB (-11.4 MiB)"."""
    sign = "-" if count < 0 else ""
    decimal, binary = (sign + text for text in byte_units(int(abs(count))))
    return decimal if decimal == binary else f"{decimal} ({binary})"
