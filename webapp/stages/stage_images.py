"""Pictures of the stages: feature maps as small colour tiles (computed at full resolution, shrunk only to be
shown) and the whole grid as one PNG, for the page and for `python -m webapp stages --save-png`.

Convolution outputs use a diverging map (blue below 0, white at 0, red above) with one symmetric scale per
filter shared by conv, ReLU and pool, so ReLU visibly turns every blue pixel white and pooling keeps the reds.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from webapp.formulas import format_measured, format_shape
from webapp.stages.compute import Processed
from webapp.stages.kernels import FilterBank
from webapp.stages.planning import StagePlan

NEGATIVE = np.array([33, 102, 172], np.float32)  # blue
POSITIVE = np.array([178, 24, 43], np.float32)  # red
WHITE = np.array([255, 255, 255], np.float32)
TILE_SIDE = 320
FRAME = np.array([170, 170, 170], np.uint8)
CHANNEL_NAMES = ("R", "G", "B")
CHANNEL_NAMES_BY_COUNT = {2: ("grey", "alpha"), 3: CHANNEL_NAMES, 4: (*CHANNEL_NAMES, "alpha")}


@dataclass(frozen=True, eq=False)
class Tile:
    image: np.ndarray  # (h, w, 3) uint8
    caption: str
    png: bytes | None = None  # the image encoded once (`encoded`), so a page does not encode it on every rerun


def png_bytes(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, "PNG", compress_level=1)  # fast; these small maps compress well anyway
    return out.getvalue()


def encoded(tiles: dict[str, list[Tile]]) -> dict[str, list[Tile]]:
    """The same tiles, each with its PNG: a page's cache keeps these, and sends the bytes as they are."""
    return {stage: [Tile(tile.image, tile.caption, tile.png or png_bytes(tile.image)) for tile in row]
            for stage, row in tiles.items()}


def shrink(stack: np.ndarray, max_side: int) -> np.ndarray:
    """Average (H, W, C) maps down by one whole factor until the longer side is at most `max_side` (display
    only; rows and columns that do not fill a last block are left out). One pass over the data, all maps at once."""
    height, width = stack.shape[:2]
    factor = math.ceil(max(height, width) / max_side)
    if factor == 1:
        return stack
    down, across = min(factor, height), min(factor, width)
    rows, cols = height // down, width // across
    # two sums over contiguous blocks: several times faster than one mean over axes (1, 3) of a 5-D view
    strips = stack[:rows * down].reshape(rows, down, width, -1).sum(axis=1, dtype=np.float32)
    blocks = strips[:, :cols * across].reshape(rows, cols, across, -1).sum(axis=2)
    return blocks / (down * across)


def enlarge(image: np.ndarray, min_side: int) -> np.ndarray:
    """Blow up tiny maps with square pixels, so a 3x3 output stays a crisp 3x3 grid of blocks."""
    factor = math.ceil(min_side / max(image.shape[:2]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1) if factor > 1 else image


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """Blue for negative, white for 0, red for positive, full colour at +-limit."""
    scaled = np.clip(values / (limit or 1.0), -1.0, 1.0)[..., None]
    colour = np.where(scaled < 0, WHITE + (NEGATIVE - WHITE) * -scaled, WHITE + (POSITIVE - WHITE) * scaled)
    return (colour + 0.5).astype(np.uint8)


def grey(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as grey RGB."""
    level = (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=2)


def framed(image: np.ndarray) -> np.ndarray:
    """A one-pixel grey frame, so a map that is mostly white (mostly 0) still shows where it ends."""
    image = image.copy()
    image[[0, -1], :] = FRAME
    image[:, [0, -1]] = FRAME
    return image


def _tile(values: np.ndarray, paint, caption: str, side: int) -> Tile:
    """`values` already shrunk; small maps are blown up with square pixels."""
    return Tile(framed(enlarge(paint(values), side // 2)), caption)


def colour_limit(values: np.ndarray, sample: int = 1_000_000) -> float:
    """The 99.5th percentile of |values| (from an even sample of a large map): a few extreme pixels, such as
    the border that zero padding creates, would otherwise wash every other response out to white."""
    step = max(1, int(math.sqrt(values.size / sample)))
    return float(np.percentile(np.abs(values[::step, ::step]), 99.5)) or float(np.abs(values).max()) or 1.0


def input_tiles(pixels: np.ndarray, side: int = TILE_SIDE) -> list[Tile]:
    """The photo as fed to the convolution, then each of its channels."""
    height, width, channels = pixels.shape
    small = shrink(pixels, side)
    if channels == 1:
        return [_tile(small[..., 0], grey, f"grey · {height}x{width}", side)]
    colour = small[..., :3] if channels >= 3 else np.repeat(small[..., :1], 3, axis=2)  # alpha is shown on its own
    photo = (np.clip(colour, 0, 1) * 255 + 0.5).astype(np.uint8)
    names = CHANNEL_NAMES_BY_COUNT.get(channels) or [f"channel {channel + 1}" for channel in range(channels)]
    return [Tile(framed(enlarge(photo, side // 2)), f"photo · {height}x{width}x{channels}")] + [
        _tile(small[..., channel], grey, names[channel], side) for channel in range(channels)]


def stage_tiles(processed: Processed, side: int = TILE_SIDE) -> dict[str, list[Tile]]:
    """A labelled tile per channel of every stage; one colour scale per filter across conv, ReLU and pool.
    The numbers in the captions come from the full-resolution maps."""
    result, names = processed.result, processed.bank.names
    small = {stage: shrink(getattr(result, stage), side) for stage in ("conv", "relu", "pool")}
    tiles = {"input": input_tiles(result.input, side), "conv": [], "relu": [], "pool": []}
    for index, name in enumerate(names):
        conv, relu, pool = result.conv[..., index], result.relu[..., index], result.pool[..., index]
        limit = colour_limit(conv)

        def paint(values: np.ndarray) -> np.ndarray:
            return diverging(values, limit)

        # the share of negatives and zeros in words, so the sign reads without the colours; values within
        # float rounding of zero count as zero
        zero = 1e-6 * max(float(conv.max()), -float(conv.min()), 1.0)  # max |x| without a full-size copy
        captions = {"conv": f"{name}: {format_measured(float(conv.min()))} to {format_measured(float(conv.max()))}, "
                            f"{np.mean(conv < -zero):.0%} negative",
                    "relu": f"{name}: {np.mean(relu <= zero):.0%} zeros",
                    "pool": f"{name}: up to {format_measured(float(pool.max()))}"}
        for stage, caption in captions.items():
            tiles[stage].append(_tile(small[stage][..., index], paint, caption, side))
    return tiles


def grid_png(tiles: dict[str, list[Tile]], headings: dict[str, str], per_row: int = 8) -> bytes:
    """All stages in one PNG: a heading per stage, then its tiles (wrapped) with their captions underneath."""
    font = ImageFont.load_default(size=14)
    gap, caption_height, heading_height = 10, 22, 26
    cell_width = max(tile.image.shape[1] for row in tiles.values() for tile in row)
    cell_height = max(tile.image.shape[0] for row in tiles.values() for tile in row) + caption_height
    lines = {stage: math.ceil(len(row) / per_row) for stage, row in tiles.items()}
    columns = min(per_row, max(len(row) for row in tiles.values()))
    height = gap + sum(heading_height + count * (cell_height + gap) for count in lines.values())
    canvas = Image.new("RGB", (gap + columns * (cell_width + gap), height), "white")
    draw = ImageDraw.Draw(canvas)
    top = gap
    for stage, row in tiles.items():
        draw.text((gap, top + 4), headings.get(stage, stage), fill="black", font=font)
        top += heading_height
        for index, tile in enumerate(row):
            left = gap + (index % per_row) * (cell_width + gap)
            cell_top = top + (index // per_row) * (cell_height + gap)
            canvas.paste(Image.fromarray(tile.image), (left, cell_top))
            draw.text((left, cell_top + tile.image.shape[0] + 4), tile.caption, fill="black", font=font)
        top += lines[stage] * (cell_height + gap)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def stage_headings(processed: Processed) -> dict[str, str]:
    """Each stage's name and shape, as the grid's headings."""
    shapes = processed.result.shapes()
    config = processed.plan.config
    names = {"input": "input",
             "conv": f"convolution ({processed.bank.size}x{processed.bank.size}, stride {config.stride}, "
                     f"padding {config.padding})",
             "relu": "ReLU",
             "pool": f"{config.pool} pool ({config.pool_size}x{config.pool_size}, stride {config.pool_stride}"
                     f"{', SAME padding' if config.pool_padding == 'same' else ''})"}
    return {stage: f"{names[stage]}: {format_shape(shape)}" for stage, shape in shapes.items()}


@dataclass(frozen=True, eq=False)
class StagesView:
    """What a page shows of a processed photo: small tiles and the numbers, never the full-size arrays."""

    plan: StagePlan
    shapes: dict[str, tuple[int, ...]]
    tiles: dict[str, list[Tile]]
    headings: dict[str, str]
    bank: FilterBank
    spread_over_channels: bool  # one 2-D kernel applied to every colour channel and summed
    reduced_from: tuple[int, int] | None = None  # the photo's own (height, width) when a smaller copy was used

    def png(self) -> bytes:
        return grid_png(self.tiles, self.headings)


def view_of(processed: Processed, side: int = TILE_SIDE) -> StagesView:
    """Shrink a processed photo to what is shown, each tile encoded once (a page caches the view and sends its
    PNGs as they are)."""
    return StagesView(processed.plan, processed.result.shapes(), encoded(stage_tiles(processed, side)),
                      stage_headings(processed), processed.bank, processed.spread_over_channels,
                      processed.reduced_from)
