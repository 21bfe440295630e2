"""Synthetic pictures of two classes for the own-classes tests: sketches drawn as strokes (circles and crosses, as a
canvas gives them: RGBA, ink in the alpha channel) and photos (red discs and blue squares on varied backgrounds)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 200


def sketch(shape: str, seed: int) -> np.ndarray:
    """A (200, 200, 4) drawing of a circle or a cross, its size, place and stroke width varied by `seed`."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = rng.uniform(40, 80)
    centre_x, centre_y = rng.uniform(radius + 5, CANVAS - radius - 5, size=2)
    width = int(rng.integers(8, 16))
    if shape == "circle":
        draw.ellipse((centre_x - radius, centre_y - radius * rng.uniform(0.85, 1.15),
                      centre_x + radius, centre_y + radius * rng.uniform(0.85, 1.15)),
                     outline=(0, 0, 0, 255), width=width)
    else:
        tilt = rng.uniform(-0.25, 0.25)
        for angle in (np.pi / 4 + tilt, 3 * np.pi / 4 + tilt):
            dx, dy = radius * np.cos(angle), radius * np.sin(angle)
            draw.line((centre_x - dx, centre_y - dy, centre_x + dx, centre_y + dy), fill=(0, 0, 0, 255), width=width)
    return np.asarray(image)


def photo(shape: str, seed: int, side: int = 64) -> np.ndarray:
    """A (side, side, 3) photo of a red disc or a blue square on a background of random colour, gradient and noise."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(60, 230, size=(2, 3))
    rows = np.linspace(0, 1, side)[:, None, None]
    background = (top * (1 - rows) + bottom * rows) * np.ones((1, side, 1))
    image = Image.fromarray(np.clip(background + rng.normal(0, 12, (side, side, 3)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    size = rng.uniform(0.25, 0.45) * side
    x, y = rng.uniform(size + 2, side - size - 2, size=2)
    if shape == "disc":
        colour = (int(rng.integers(190, 256)), int(rng.integers(0, 60)), int(rng.integers(0, 60)))
        draw.ellipse((x - size, y - size, x + size, y + size), fill=colour)
    else:
        colour = (int(rng.integers(0, 60)), int(rng.integers(0, 80)), int(rng.integers(190, 256)))
        draw.rectangle((x - size, y - size, x + size, y + size), fill=colour)
    return np.asarray(image)


def png_bytes(pixels: np.ndarray) -> bytes:
    import io

    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def write_class_folder(root: Path, kind: str, per_class: int, seed: int = 0) -> Path:
    """A folder with one sub-folder per class (circle/cross for sketches, disc/square for photos) of PNG files."""
    shapes = ("circle", "cross") if kind == "sketch" else ("disc", "square")
    make = sketch if kind == "sketch" else photo
    for index, shape in enumerate(shapes):
        folder = root / shape
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(per_class):
            (folder / f"{shape}-{number:02d}.png").write_bytes(png_bytes(make(shape, seed + 1000 * index + number)))
    return root
