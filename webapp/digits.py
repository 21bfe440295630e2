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
MIN_CONTRAST = 0.08  # ink must stand out from the paper by this much of the full range


@dataclass
class Preprocessed:
    """The 28x28 uint8 digit (None when there is no digit), why not, and each step as an image."""

    digit: np.ndarray | None
    problem: str | None = None
    steps: dict[str, np.ndarray] = field(default_factory=dict)


def ink_channel(pixels: np.ndarray) -> np.ndarray:
    """Ink as floats in [0, 1]: alpha where the picture is transparent, else luminance, inverted when the
    background is light (dark ink on paper), with the paper's uneven lighting taken off."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[..., 3].min() < 255:
        return pixels[..., 3].astype(np.float64) / 255.0
    grey = pixels if pixels.ndim == 2 else pixels[..., :3] @ np.array([0.299, 0.587, 0.114])
    grey = grey.astype(np.float64) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey = 1.0 - grey
    ink = np.clip(grey - lighting(grey), 0.0, None)
    strongest = float(np.percentile(ink, 99.9))
    if strongest < MIN_CONTRAST:
        return np.zeros_like(grey)
    return np.clip(ink / strongest, 0.0, 1.0)


def lighting(grey: np.ndarray, blocks: int = 12, rounds: int = 3) -> np.ndarray:
    """The paper's level everywhere, as a smooth quadratic surface fitted to block medians: a phone photo is
    lit unevenly, and one threshold would take its darker side for ink. Blocks the ink dominates (far above
    the surface) are dropped from the fit, so the surface never follows the strokes."""
    height, width = grey.shape
    rows = np.linspace(0, height, min(blocks, height) + 1).astype(int)
    cols = np.linspace(0, width, min(blocks, width) + 1).astype(int)
    medians = np.array([[np.median(grey[top:bottom, left:right]) for left, right in zip(cols[:-1], cols[1:])]
                        for top, bottom in zip(rows[:-1], rows[1:])])
    centre_y, centre_x = np.meshgrid((rows[:-1] + rows[1:]) / 2 / height, (cols[:-1] + cols[1:]) / 2 / width,
                                     indexing="ij")
    design = _quadratic_terms(centre_y.ravel(), centre_x.ravel())
    keep = np.ones(medians.size, bool)
    for _ in range(rounds):
        coefficients = np.linalg.lstsq(design[keep], medians.ravel()[keep], rcond=None)[0]
        residual = medians.ravel() - design @ coefficients
        spread = max(float(np.median(np.abs(residual[keep]))), 0.01)
        keep = residual < 3 * spread
    y, x = (np.arange(height) / height)[:, None], (np.arange(width) / width)[None, :]
    const, cx, cy, cxx, cxy, cyy = coefficients
    return const + cx * x + cy * y + cxx * x * x + cxy * x * y + cyy * y * y


def _quadratic_terms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


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
