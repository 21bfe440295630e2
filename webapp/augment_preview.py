"""Previews of a pipeline: many augmented samples at once, each with the parameters actually drawn for it.

The page and `python -m webapp augment` call these. Samples are reproducible: the same pipeline, images and
seed give the same pictures (the pipeline is built with `A.Compose(..., seed=seed)`).
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np
from PIL import Image

from webapp.augment import PipelineError, pipeline_from_dict
from webapp.files import MAX_FILE_BYTES
from webapp.images import open_photo, photo_pixels

PREVIEW_MAX_SIDE = 512  # photos are previewed at this size at most: the page stays quick on a 12 MP upload
MAX_SAMPLES = 64
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class Sample:
    """One augmented image and what was done to it ('Rotate -12°', 'Blur kernel 5'...), in order."""

    image: np.ndarray
    applied: tuple[str, ...]
    label: int | None = None

    @property
    def caption(self) -> str:
        steps = "; ".join(self.applied) or "unchanged"
        return steps if self.label is None else f"a {self.label}: {steps}"

    @property
    def narrow_caption(self) -> str:
        """The caption as Markdown for a narrow column under the image: one line per transform, its name
        breakable between words (Random·Resized·Crop) so the browser never has to cut a word in two."""
        head = "" if self.label is None else f"a {self.label}:"
        if not self.applied:
            return f"{head} unchanged".strip()
        return "  \n".join(([head] if head else []) + [breakable(step) for step in self.applied])


def breakable(text: str) -> str:
    """CamelCase names with a zero-width space between their words, so a narrow line wraps RandomResizedCrop
    as Random / Resized / Crop, never as RandomResizedCro / p."""
    return CAMEL_BOUNDARY.sub("\u200b", text)


def augment_samples(data: dict, images: Sequence[np.ndarray], seed: int,
                    labels: Sequence[int] | None = None) -> list[Sample]:
    """Each image through one pipeline seeded with `seed` (pass the same photo N times for N variations)."""
    pipeline = pipeline_from_dict(data, seed, record_applied=True)
    samples = []
    for index, image in enumerate(images):
        result = pipeline(image=image)
        applied = tuple(describe_applied(name, params) for name, params in result["applied_transforms"]
                        if not leaves_unchanged(name, params))
        samples.append(Sample(result["image"], applied, None if labels is None else int(labels[index])))
    return samples


def random_digits(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` different digits picked by `seed` (the same seed picks the same ones)."""
    chosen = np.random.default_rng(seed).choice(len(images), size=min(count, len(images)), replace=False)
    return images[chosen], labels[chosen]


def photo_array(image: Image.Image) -> np.ndarray:
    """(H, W) for a grey photo, (H, W, 3) for colour; transparency laid over white."""
    pixels = photo_pixels(image)
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def read_photo(source: bytes | str | Path, max_side: int | None = PREVIEW_MAX_SIDE,
               max_bytes: int = MAX_FILE_BYTES) -> np.ndarray:
    """A photo through the one safe loader (bytes of an upload, or a path a user typed, of at most `max_bytes`)."""
    return photo_array(open_photo(source, max_bytes, max_side))


# -- what was applied ----------------------------------------------------------------------------------
def _degrees(angle: float) -> str:
    """'+12°', and '0°' rather than '-0°' for a turn that rounds to nothing."""
    rounded = round(angle)
    return f"{rounded:+d}°" if rounded else "0°"


def _rotation(params: dict) -> str:
    matrix = params.get("matrix")
    return _degrees(math.degrees(math.atan2(matrix[0, 1], matrix[0, 0]))) if matrix is not None else ""


def _affine(params: dict) -> str:
    scale = params.get("scale", {})
    zoom = f", zoom {scale['x']:.2f}" if isinstance(scale, dict) and "x" in scale else ""
    return f"{_degrees(params.get('rotate', 0))}{zoom}"


def _kernel(params: dict) -> str:
    kernel = params.get("kernel")
    size = kernel.shape[0] if isinstance(kernel, np.ndarray) else kernel
    return f"kernel {size}" if size is not None else ""


def _holes(params: dict) -> str:
    holes = params.get("holes")
    count = 0 if holes is None else len(holes)
    return f"{count} hole{'s' * (count != 1)}"


def _crop(params: dict) -> str:
    x_min, y_min, x_max, y_max = params.get("crop_coords", (0, 0, 0, 0))
    return f"crop {x_max - x_min}x{y_max - y_min}"


def _noise(params: dict) -> str:
    noise = params.get("noise_map")
    return f"σ {float(np.std(noise)):.0f} grey levels" if noise is not None else ""


def _brightness_contrast(params: dict) -> str:
    return f"contrast ×{params.get('alpha', 1):.2f}, brightness {params.get('beta', 0):+.0f}"


APPLIED_WORDS: dict[str, Callable[[dict], str]] = {
    "Rotate": _rotation, "Affine": _affine, "Blur": _kernel, "MedianBlur": _kernel, "MotionBlur": _kernel,
    "GaussianBlur": _kernel, "CoarseDropout": _holes, "RandomResizedCrop": _crop, "GaussNoise": _noise,
    "RandomBrightnessContrast": _brightness_contrast,
    "RandomGamma": lambda params: f"gamma {params.get('gamma', 1):.2f}",
    "Sharpen": lambda params: f"alpha {params.get('alpha', 0):.2f}",
    "Downscale": lambda params: f"scale {params.get('scale', 1):.2f}",
    "Posterize": lambda params: f"{params.get('num_bits')} bits",
    "ImageCompression": lambda params: f"quality {params.get('quality')}",
}


def describe_applied(name: str, params: dict[str, Any]) -> str:
    """The drawn parameters that matter to a learner, e.g. 'Rotate +12°'; others just the transform's name."""
    words = APPLIED_WORDS.get(name, lambda params: "")(params)
    return f"{name} {words}".strip()


# Words that describe a draw which does nothing: a transform fired, but with these it leaves the image as it was
# (to the caption's precision), so the sample counts as unchanged rather than "Rotate 0°".
NEUTRAL_WORDS: dict[str, str] = {
    "Rotate": "0°", "RandomBrightnessContrast": "contrast ×1.00, brightness +0", "RandomGamma": "gamma 1.00",
    "Sharpen": "alpha 0.00", "Downscale": "scale 1.00", "CoarseDropout": "0 holes", "GaussNoise": "σ 0 grey levels",
}


def leaves_unchanged(name: str, params: dict[str, Any]) -> bool:
    """Whether a transform that fired drew parameters that change nothing a learner could see: a turn of under
    half a degree, a gamma of 1.00, no holes... An Affine is judged by its whole matrix (its words leave out the
    shift and shear): the identity to within half a degree, half a percent of zoom and half a pixel."""
    if name == "Affine":
        matrix = params.get("matrix")
        return matrix is not None and bool(np.allclose(matrix[:2, :2], np.eye(2), atol=0.005)
                                           and np.all(np.abs(matrix[:2, 2]) < 0.5))
    return name in NEUTRAL_WORDS and APPLIED_WORDS[name](params) == NEUTRAL_WORDS[name]


# -- pictures ------------------------------------------------------------------------------------------
def enlarged(image: np.ndarray, min_side: int = 112) -> np.ndarray:
    """Small images (a 28x28 digit) scaled up by whole pixels, so each pixel stays a sharp square."""
    factor = max(1, math.ceil(min_side / max(1, min(image.shape[:2]))))
    return image.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else image


TILE_SIDE = 224  # the page shows four samples to a row, each about 200 CSS pixels wide on a wide screen


def display_tile(image: np.ndarray, side: int = TILE_SIDE) -> np.ndarray:
    """An image at the size the page shows it: a small one (a digit) enlarged by whole pixels, a photo shrunk
    to at most `side` pixels a side, so the browser is not sent a 512-pixel picture to draw at 200."""
    if max(image.shape[:2]) <= side:
        return enlarged(image)
    scale = side / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))


def tile_format(image: np.ndarray, side: int = TILE_SIDE) -> Literal["PNG", "JPEG"]:
    """PNG for small images, whose every pixel should stay exact; JPEG for photos (a tenth of the bytes and
    much quicker to encode, at no visible cost at this size)."""
    return "PNG" if max(image.shape[:2]) <= side else "JPEG"


def sample_grid(images: Sequence[np.ndarray], columns: int | None = None, gap: int = 4) -> np.ndarray:
    """The samples side by side on a white sheet, row by row (grey stays grey, colour stays colour)."""
    tiles = [enlarged(image) for image in images]
    height, width = max(tile.shape[0] for tile in tiles), max(tile.shape[1] for tile in tiles)
    colour = any(tile.ndim == 3 for tile in tiles)
    columns = columns or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    shape = (rows * (height + gap) + gap, columns * (width + gap) + gap) + ((3,) if colour else ())
    sheet = np.full(shape, 255, np.uint8)
    for index, tile in enumerate(tiles):
        if colour and tile.ndim == 2:
            tile = np.repeat(tile[:, :, None], 3, axis=2)
        top, left = gap + (index // columns) * (height + gap), gap + (index % columns) * (width + gap)
        sheet[top:top + tile.shape[0], left:left + tile.shape[1]] = tile
    return sheet


def grid_png(images: Sequence[np.ndarray], columns: int | None = None) -> bytes:
    encoded = io.BytesIO()
    Image.fromarray(sample_grid(images, columns)).save(encoded, "PNG")
    return encoded.getvalue()


def stacked(images: Sequence[np.ndarray]) -> np.ndarray:
    """(N, H, W, C) uint8 for an .npz: grey images get C = 1."""
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise PipelineError("The pipeline gave samples of different sizes, so they cannot be stacked into one array.")
    return np.stack([image if image.ndim == 3 else image[:, :, None] for image in images]).astype(np.uint8)
