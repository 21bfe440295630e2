"""A drawing or a photo of one digit -> a 28x28 MNIST-style input, made the way MNIST itself was made.

LeCun et al.: each digit was size-normalised to fit a 20x20 box (aspect ratio kept, anti-aliased) and
centred in a 28x28 field by its centre of mass. Shrinking the whole canvas instead misreads any digit
that is small or off-centre. Every step is returned, so a page can show what the model sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

FIELD, BOX = 28, 20
INK_THRESHOLD = 0.2  # fraction of full ink that counts as a stroke
MIN_INK_PIXELS = 12


@dataclass
class Preprocessed:
    """The 28x28 uint8 digit (None when there is no digit), why not, and each step as an image."""

    digit: np.ndarray | None
    problem: str | None = None
    steps: dict[str, np.ndarray] = field(default_factory=dict)


def ink_channel(pixels: np.ndarray) -> np.ndarray:
    """Ink as floats in [0, 1]: alpha where the picture is transparent, else luminance, inverted when
    the background is light (dark ink on paper), with the background level taken off."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[..., 3].min() < 255:
        return pixels[..., 3].astype(np.float64) / 255.0
    grey = pixels if pixels.ndim == 2 else pixels[..., :3] @ np.array([0.299, 0.587, 0.114])
    grey = grey.astype(np.float64) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey = 1.0 - grey
    background = float(np.median(border if np.median(border) <= 0.5 else 1.0 - border))
    strongest = float(np.percentile(grey, 99.9))
    if strongest - background < 1e-6:
        return np.zeros_like(grey)
    return np.clip((grey - background) / (strongest - background), 0.0, 1.0)


def bounding_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), exclusive ends, of the pixels that count as ink; None without any."""
    rows, cols = np.nonzero(ink >= INK_THRESHOLD)
    if len(rows) < MIN_INK_PIXELS:
        return None
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def fit_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale so the longer side is `box` pixels, keeping the aspect ratio, with anti-aliasing."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(crop.astype(np.float32), "F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def centre_by_mass(digit: np.ndarray, size: int = FIELD) -> np.ndarray:
    """Place the digit in a size x size field so that its centre of mass lands on the centre."""
    total = digit.sum()
    rows, cols = np.indices(digit.shape)
    centre_row = (rows * digit).sum() / total if total else digit.shape[0] / 2
    centre_col = (cols * digit).sum() / total if total else digit.shape[1] / 2
    top = int(round(size / 2 - centre_row))
    left = int(round(size / 2 - centre_col))
    top = min(max(top, 0), size - digit.shape[0])
    left = min(max(left, 0), size - digit.shape[1])
    placed = np.zeros((size, size))
    placed[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return placed


def to_mnist(pixels: np.ndarray, *, centre: bool = True) -> Preprocessed:
    """The whole pipeline; `centre=False` centres the bounding box instead (for the robustness explorer)."""
    ink = ink_channel(pixels)
    steps = {"ink": to_uint8(ink)}
    box = bounding_box(ink)
    if box is None:
        return Preprocessed(None, "No digit found: draw or photograph a single digit, larger or darker.", steps)
    top, bottom, left, right = box
    crop = ink[top:bottom, left:right]
    steps["cropped"] = to_uint8(crop)
    fitted = fit_box(crop)
    steps["20x20"] = to_uint8(fitted)
    placed = centre_by_mass(fitted) if centre else centre_box(fitted)
    steps["28x28"] = to_uint8(placed)
    return Preprocessed(steps["28x28"], None, steps)


def centre_box(digit: np.ndarray, size: int = FIELD) -> np.ndarray:
    placed = np.zeros((size, size))
    top, left = (size - digit.shape[0]) // 2, (size - digit.shape[1]) // 2
    placed[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return placed


def to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8)


def transform(digit: np.ndarray, shift_x: int = 0, shift_y: int = 0, angle: float = 0.0) -> np.ndarray:
    """Rotate a 28x28 digit about its centre (degrees, counter-clockwise), then shift it by whole pixels;
    what leaves the field is lost, as it would be on paper."""
    image = Image.fromarray(digit)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BILINEAR, center=(FIELD / 2, FIELD / 2))
    rotated = np.asarray(image)
    shifted = np.zeros_like(rotated)
    source = rotated[max(0, -shift_y):FIELD - max(0, shift_y), max(0, -shift_x):FIELD - max(0, shift_x)]
    shifted[max(0, shift_y):max(0, shift_y) + source.shape[0], max(0, shift_x):max(0, shift_x) + source.shape[1]] = source
    return shifted
