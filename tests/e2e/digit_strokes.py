"""Scripted handwriting for browser tests: one pen stroke per digit, in a unit box (x right, y down)."""
from __future__ import annotations

import math

Point = tuple[float, float]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 16) -> list[Point]:
    """Points on an ellipse from angle `start` to `end` (radians; 0 is right, pi/2 is down)."""
    angles = [start + (end - start) * i / steps for i in range(steps + 1)]
    return [(cx + rx * math.cos(angle), cy + ry * math.sin(angle)) for angle in angles]


STROKES: dict[int, list[Point]] = {
    0: _arc(0.5, 0.5, 0.42, 0.5, -math.pi / 2, 1.5 * math.pi + 0.3, 24),
    1: [(0.6, 0.0), (0.55, 0.5), (0.5, 1.0)],
    2: [(0.1, 0.25)] + _arc(0.5, 0.3, 0.4, 0.3, math.pi * 1.1, math.pi * 2.15, 10) + [(0.1, 1.0), (0.95, 1.0)],
    3: _arc(0.5, 0.25, 0.38, 0.25, -math.pi * 0.9, math.pi * 0.5, 10)
       + _arc(0.5, 0.73, 0.42, 0.27, -math.pi * 0.5, math.pi * 0.9, 10),
    4: [(0.75, 1.0), (0.75, 0.0), (0.05, 0.65), (0.95, 0.65)],
    5: [(0.85, 0.0), (0.2, 0.0), (0.15, 0.45)] + _arc(0.5, 0.7, 0.38, 0.3, -math.pi * 0.75, math.pi * 0.85, 12),
    6: [(0.75, 0.0), (0.4, 0.2), (0.18, 0.55)] + _arc(0.5, 0.72, 0.33, 0.28, math.pi, 3 * math.pi, 16),
    7: [(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)],
    8: [(0.5 + 0.36 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in [i * 2 * math.pi / 32 for i in range(33)]],
    9: _arc(0.5, 0.28, 0.36, 0.28, 0.1, 2 * math.pi + 0.1, 16) + [(0.82, 1.0)],
}

# (centre x, centre y, height) on a 280x280 canvas: large and centred, small in a corner, medium off-centre
PLACEMENTS: list[tuple[float, float, float]] = [(140, 140, 200), (75, 75, 80), (185, 180, 130)]


def placed(digit: int, centre_x: float, centre_y: float, height: float) -> list[Point]:
    """The digit's stroke in canvas pixels: `height` tall, 0.65 of that wide, centred where asked."""
    width = 0.65 * height
    return [(centre_x + (x - 0.5) * width, centre_y + (y - 0.5) * height) for x, y in STROKES[digit]]
