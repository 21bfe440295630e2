"""The one safe image loader every page and command uses: bytes or a path in, a plain Pillow image out.

It reads only the five documented formats (PNG, JPEG, WebP, BMP, GIF), applies EXIF orientation, reduces
every mode to L, RGB or RGBA (P, LA, CMYK, 16-bit, float...), takes the first frame of animations, and refuses
empty, truncated, non-image and oversized files (decompression bombs included) with one clear sentence.

The photo reader (`open_photo`, `photo_pixels`, `read_photo`) and the bundled sample photos live here too, so
CNN Stages and Augment read a photo the same way without one importing the other.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from webapp.files import MAX_FILE_BYTES, FileLimitError, read_file_capped
from webapp.paths import SAMPLES_DIR

MAX_PIXELS = 50_000_000
SUPPORTED = "PNG, JPEG, WebP, BMP or GIF"
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")  # Pillow's names; only these decoders are ever tried
SAMPLE_TITLES = {"chelsea": "Chelsea the cat", "coffee": "A cup of coffee", "astronaut": "Astronaut Eileen Collins",
                 "camera": "The cameraman (grey)"}


class ImageError(ValueError):
    """An image that cannot be used; the message is one sentence for the user."""


def load_image(source: bytes | str | Path, *, max_pixels: int = MAX_PIXELS, max_side: int | None = None) -> Image.Image:
    """Decode safely. `max_side` lets JPEG decode at a reduced scale (a 24 MP photo in a fraction of the time)."""
    data = read_file_capped(source, what="image file") if isinstance(source, (str, Path)) else bytes(source)
    if not data:
        raise ImageError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # TIFF, ICO, PSD...: refused as documented
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
                                 f"the limit is {max_pixels / 1e6:.0f} megapixels.")
            if max_side and image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))
            image.seek(0)  # the first frame of an animation
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"The image is too large to open safely (over {max_pixels / 1e6:.0f} megapixels).") from None
    except UnidentifiedImageError:
        raise ImageError(f"This file is not an image that can be read; use {SUPPORTED}.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageError("The image file is truncated or damaged.") from None
    upright = to_standard_mode(ImageOps.exif_transpose(image) or image)
    if max_side and max(upright.size) > max_side:
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return upright


def load_image_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS,
                    max_side: int | None = None) -> Image.Image:
    """`load_image` for a path a user typed: only a regular file of at most `max_bytes` is read (a device
    such as /dev/zero, a pipe or a huge file gets one sentence, as a missing file or a folder does)."""
    try:
        data = read_file_capped(path, max_bytes, what="image file")
    except FileLimitError as error:
        raise ImageError(str(error).replace("The image file does not exist.", "The file does not exist.")) from None
    return load_image(data, max_pixels=max_pixels, max_side=max_side)


def to_standard_mode(image: Image.Image) -> Image.Image:
    """L, RGB or RGBA; transparency is kept as alpha, 16-bit and float images are scaled to 8 bits."""
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
        return Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "1":
        return image.convert("L")
    if mode in ("LA", "PA") or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV...


def to_array(image: Image.Image) -> np.ndarray:
    """(H, W) for L, (H, W, 3) for RGB, (H, W, 4) for RGBA, uint8."""
    return np.asarray(image, dtype=np.uint8)


# -- photos --------------------------------------------------------------------------------------------
def sample_photos() -> dict[str, Path]:
    """The bundled sample photos (data/samples, public domain or CC0), by title."""
    return {title: SAMPLES_DIR / f"{name}.jpg" for name, title in SAMPLE_TITLES.items()
            if (SAMPLES_DIR / f"{name}.jpg").is_file()}


def open_photo(source: bytes | str | Path, max_bytes: int = MAX_FILE_BYTES, max_side: int | None = None) -> Image.Image:
    """The decoded photo (bytes from an upload, or a path given by a user, capped at `max_bytes`) through the one
    safe loader; `max_side` shrinks it for a preview."""
    if isinstance(source, bytes):
        return load_image(source, max_side=max_side)
    return load_image_file(source, max_bytes=max_bytes, max_side=max_side)


def photo_pixels(image: Image.Image, grayscale: bool = False, keep_alpha: bool = False) -> np.ndarray:
    """(H, W, C) uint8 with C = 1 (grey) or 3; transparency is laid over white, as a viewer shows it.
    With `keep_alpha` a transparent photo keeps its alpha as one more channel (RGBA: 4, grey with alpha: 2),
    as seed 000 read its PNG icon, so its filters are F x F x 4."""
    if keep_alpha and image.mode == "RGBA":
        return np.asarray(image.convert("LA") if grayscale else image, dtype=np.uint8)
    if image.mode == "RGBA":
        backdrop = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(backdrop, image).convert("RGB")
    if grayscale and image.mode != "L":
        image = image.convert("L")
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def read_photo(source: bytes | str | Path, grayscale: bool = False, keep_alpha: bool = False,
               max_bytes: int = MAX_FILE_BYTES) -> np.ndarray:
    """Decode through the one safe loader (bytes from an upload, or a path given by a user, capped at `max_bytes`)."""
    return photo_pixels(open_photo(source, max_bytes), grayscale, keep_alpha)
