"""`bench summary`: seconds to build each network's summary table the first time, milliseconds once cached."""
from __future__ import annotations

import statistics
import time
from typing import Any, Sequence

from webapp.bench.common import Log


def summary_benchmark(names: Sequence[str], repeats: int = 20, log: Log = print) -> dict[str, Any]:
    """Seconds to compute each network's table and memory report the first time, and milliseconds once
    the table is cached (median of `repeats`), for a batch of 32 with Adam."""
    from webapp import summary

    summary.network_table.cache_clear()
    settings = summary.MemorySettings(batch_size=32)

    def report_for(name: str) -> summary.MemoryReport:
        return summary.memory_report(summary.network_table(name), settings)

    networks: dict[str, dict[str, float]] = {}
    for name in names:
        started = time.perf_counter()
        report_for(name)
        first = time.perf_counter() - started
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            report_for(name)
            timings.append((time.perf_counter() - started) * 1000)
        networks[name] = {"first_seconds": first, "cached_ms": statistics.median(timings),
                          "layers": len(summary.network_table(name).rows)}
        log(f"{name}: first {first:.2f} s, cached {networks[name]['cached_ms']:.3f} ms "
            f"({networks[name]['layers']} layers)")
    return {"benchmark": "summary", "batch_size": settings.batch_size, "networks": networks,
            "max_first_seconds": max(entry["first_seconds"] for entry in networks.values()),
            "max_cached_ms": max(entry["cached_ms"] for entry in networks.values())}
