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
PAPER_SIGMAS = 4.0  # a pixel this many grain spreads above the paper's level is ink, not paper
MIN_INK_STEP = 0.05  # ... and at least this far above it (a clean canvas has no grain at all)
RULING_SPAN = 0.8  # a row (column) inked across this much of the picture's width (height) is a ruled line ...
RULING_THICKNESS = 0.03  # ... when its band is at most this much of the height (width) thick, or 2 pixels ...
RULING_LINES = 2  # ... and there are at least this many such lines in that direction (one is a stroke: a tall 1)
SPANS_PICTURE = 0.95  # an ink box this much of the picture's width and height is not one digit's
BLOB_SHARE = 0.1  # a separate blob carrying this share of the ink counts as a shape of its own
FIT_SIDE = 200  # the lighting is fitted to every n-th pixel, at most this many a side
GRAIN_SIGMAS = 2.0  # taken off the ink so the paper's grain becomes 0, as MNIST's background is


@dataclass
class Preprocessed:
    """The 28x28 uint8 digit (None when there is no digit), why not, and each step as an image."""

    digit: np.ndarray | None
    problem: str | None = None
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    doubt: str | None = None  # why the picture may not be one digit, as a phrase ("the ink ... "), or None


def ink_channel(pixels: np.ndarray) -> np.ndarray:
    """Ink as floats in [0, 1]: alpha where the picture is transparent, else luminance, inverted when the
    background is light (dark ink on paper), with the paper's uneven lighting and its grain taken off."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[..., 3].min() < 255:
        return pixels[..., 3].astype(np.float64) / 255.0
    grey = pixels if pixels.ndim == 2 else pixels[..., :3] @ np.array([0.299, 0.587, 0.114])
    grey = grey.astype(np.float64) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey = 1.0 - grey
    surface, grain = lighting(grey)
    # MNIST's background is exactly 0: the paper's grain (GRAIN_SIGMAS of its spread) is taken off too
    ink = np.clip(grey - surface - GRAIN_SIGMAS * grain, 0.0, None)
    # the strongest ink is full ink, as in MNIST (every digit there reaches 255)
    strongest = float(ink.max())
    if strongest < MIN_CONTRAST:
        return np.zeros_like(grey)
    return np.clip(ink / strongest, 0.0, 1.0)


def lighting(grey: np.ndarray, rounds: int = 3) -> tuple[np.ndarray, float]:
    """The paper's level everywhere and its grain (a robust standard deviation): a phone photo is lit
    unevenly, and one threshold would take its darker side for ink.

    The level is a smooth quadratic surface fitted to block medians of the paper alone: pixels far above the
    level (ink) are left out of each block's median, and blocks with too little paper left are left out of
    the fit. Medians of whole blocks would follow a large digit's strokes and lift the surface under them,
    which dims the strokes and leaves a dark halo that shrinks the digit. The fit looks at every n-th pixel
    only (at most FIT_SIDE a side, so a phone photo costs what a drawing does); the surface covers them all."""
    step = max(1, -(-max(grey.shape) // FIT_SIDE))
    sample = grey[::step, ::step]
    level = float(np.median(sample))
    paper = sample < level + max(PAPER_SIGMAS * _spread(sample), 2 * MIN_INK_STEP)
    coefficients = np.array([level, 0, 0, 0, 0, 0], dtype=np.float64)
    for _ in range(rounds):
        coefficients = _fit_coefficients(sample, paper, step / np.array(grey.shape), coefficients)
        residual = sample - _surface(coefficients, sample.shape, step / np.array(grey.shape))
        paper = residual < max(PAPER_SIGMAS * _spread(residual[paper]), MIN_INK_STEP)
    return _surface(coefficients, grey.shape, 1 / np.array(grey.shape)), _spread(residual[paper])


def _spread(values: np.ndarray) -> float:
    """A standard deviation that ink cannot inflate: 1.4826 times the median absolute deviation."""
    if values.size == 0:
        return 0.0
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def _fit_coefficients(grey: np.ndarray, paper: np.ndarray, scale: np.ndarray, fallback: np.ndarray,
                      blocks: int = 12) -> np.ndarray:
    """A quadratic surface's six coefficients through the median of the paper pixels of each block (a block
    needs a quarter of its pixels to be paper); `fallback` when too few blocks qualify. `scale` turns this
    picture's (row, column) into the full picture's coordinates, which run from 0 to 1."""
    height, width = grey.shape
    rows = np.linspace(0, height, min(blocks, height) + 1).astype(int)
    cols = np.linspace(0, width, min(blocks, width) + 1).astype(int)
    medians, usable = [], []
    for top, bottom in zip(rows[:-1], rows[1:]):
        for left, right in zip(cols[:-1], cols[1:]):
            values = grey[top:bottom, left:right][paper[top:bottom, left:right]]
            usable.append(values.size >= 0.25 * (bottom - top) * (right - left))
            medians.append(float(np.median(values)) if values.size else 0.0)
    usable_blocks = np.array(usable)
    if usable_blocks.sum() < 6:
        return fallback
    centre_y, centre_x = np.meshgrid((rows[:-1] + rows[1:] - 1) / 2 * scale[0],
                                     (cols[:-1] + cols[1:] - 1) / 2 * scale[1], indexing="ij")
    design = _quadratic_terms(centre_y.ravel(), centre_x.ravel())
    return np.linalg.lstsq(design[usable_blocks], np.array(medians)[usable_blocks], rcond=None)[0]


def _surface(coefficients: np.ndarray, shape: tuple[int, int], scale: np.ndarray) -> np.ndarray:
    """The quadratic surface on a grid of `shape` pixels, each (row, column) scaled by `scale`."""
    y, x = (np.arange(shape[0]) * scale[0])[:, None], (np.arange(shape[1]) * scale[1])[None, :]
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
    ink, lines = remove_ruling(ink)
    if lines:
        steps["lines removed"] = to_uint8(ink)
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
    return Preprocessed(steps["28x28"], None, steps, shape_doubt(ink, box))


# -- ruled paper --------------------------------------------------------------------------------------
def remove_ruling(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Ink without the long straight lines of ruled or squared paper, and how many lines were taken off.

    A line is a thin band of rows (or columns) inked across most of the picture, one of at least RULING_LINES
    in that direction; a digit's strokes are shorter or thicker, and a single long thin one (a tall 1 drawn with
    a fine brush) has no parallel twin. Each band is filled from the rows just outside it (the smaller of the two), so a
    stroke that crosses the line stays whole while the line itself goes."""
    cleaned = np.array(ink, dtype=np.float64)
    count = 0
    for axis in (0, 1):
        view = cleaned if axis == 0 else cleaned.T  # rows first, then columns (a view: edits land in `cleaned`)
        bands = _line_bands(view)
        for first, last in bands if len(bands) >= RULING_LINES else []:
            above, below = view[max(first - 1, 0)], view[min(last + 1, len(view) - 1)]
            view[first:last + 1] = np.minimum(above, below)
            count += 1
    if count and cleaned.max() > 0:
        cleaned /= cleaned.max()  # the digit's strongest ink is full ink again
    return cleaned, count


def _line_bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) rows, inclusive and widened by one row each side for the line's soft edges, of each thin
    band of rows whose ink spans at least RULING_SPAN of the width."""
    height = ink.shape[0]
    lined = (ink >= INK_THRESHOLD / 2).mean(axis=1) >= RULING_SPAN
    thickest = max(2, round(RULING_THICKNESS * height))
    bands, row = [], 0
    while row < height:
        if not lined[row]:
            row += 1
            continue
        end = row
        while end + 1 < height and lined[end + 1]:
            end += 1
        if end - row + 1 <= thickest:
            bands.append((max(row - 1, 0), min(end + 1, height - 1)))
        row = end + 1
    return bands


# -- does it look like one digit? ------------------------------------------------------------------------
def shape_doubt(ink: np.ndarray, box: tuple[int, int, int, int]) -> str | None:
    """Why this ink may not be one digit, as a phrase, or None: an ink box spanning the whole picture (a frame,
    lines, an object), or the ink falling into several separate shapes of some size each."""
    top, bottom, left, right = box
    height, width = ink.shape
    if bottom - top >= SPANS_PICTURE * height and right - left >= SPANS_PICTURE * width:
        return "the ink reaches across the whole picture"
    shapes = len(separate_shapes(ink))
    if shapes > 1:
        return f"the ink falls into {shapes} separate shapes"
    return None


def separate_shapes(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The boxes (top, bottom, left, right) of the ink's blobs that stand apart from the rest: each carries at
    least BLOB_SHARE of the ink and lies further from every other than half its own size. A digit's pieces
    (a 5's detached bar, a gap in a stroke) lie close together, so they make one shape."""
    import cv2

    strokes = (ink >= INK_THRESHOLD).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if count <= 2 or areas.sum() == 0:
        return []
    boxes = [(y, y + h, x, x + w) for x, y, w, h in stats[1:, :4][areas >= BLOB_SHARE * areas.sum()]]
    merged: list[tuple[int, int, int, int]] = []
    for box in boxes:
        near = [other for other in merged if _gap(box, other) <= 0.5 * max(_size(box), _size(other))]
        for other in near:
            merged.remove(other)
            box = (min(box[0], other[0]), max(box[1], other[1]), min(box[2], other[2]), max(box[3], other[3]))
        merged.append(box)
    return merged if len(merged) > 1 else []


def _size(box: tuple[int, int, int, int]) -> int:
    return max(box[1] - box[0], box[3] - box[2])


def _gap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> int:
    """Pixels between two boxes (0 when they touch or overlap)."""
    rows = max(0, max(first[0], second[0]) - min(first[1], second[1]))
    cols = max(0, max(first[2], second[2]) - min(first[3], second[3]))
    return max(rows, cols)


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
    top, left = max(0, shift_y), max(0, shift_x)
    shifted[top:top + source.shape[0], left:left + source.shape[1]] = source
    return shifted
