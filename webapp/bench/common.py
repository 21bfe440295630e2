"""What the benchmarks share: the progress logger's type and a timer of repeated calls.

Speed is never asserted in tests (the machines are shared and noisy); it is measured here.
"""
from __future__ import annotations

import time
from typing import Any, Callable

Log = Callable[[str], None]


def timed(action: Callable[[], Any], runs: int, warmups: int = 1) -> list[float]:
    """Seconds per call over `runs` calls, after `warmups` untimed ones (first calls trace and allocate)."""
    for _ in range(warmups):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings
