"""`bench stages`: a 12 MP photo through conv, ReLU and pool (seconds), and the peak memory for a 49 MP one."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

import numpy as np

from webapp.bench.common import Log, timed
from webapp.formulas import format_bytes, format_shape
from webapp.paths import PROJECT_ROOT


def synthetic_photo_jpeg(width: int = 4000, height: int = 3000, seed: int = 0) -> bytes:
    """A 12 MP JPEG with photo-like content (smooth gradients, edges and some grain), made in memory."""
    import io

    from PIL import Image

    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    grain = np.random.default_rng(seed).normal(0, 12, (height, width)).astype(np.float32)
    rings = 60 * np.sin(np.hypot(rows - height / 2, cols - width / 3) / 40)
    bars = 50 * ((cols // 250 + rows // 250) % 2)
    channels = [cols / width * 200 + rings + grain, rows / height * 200 + bars + grain, 120 + rings - bars + grain]
    pixels = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, "JPEG", quality=90)
    return encoded.getvalue()


def stages_benchmark(runs: int = 7, width: int = 4000, height: int = 3000, log: Log = print) -> dict[str, Any]:
    """Seconds for a 12 MP photo through conv (4 library filters of 3x3, SAME) + ReLU + 2x2 max pool at full
    resolution, arrays back in NumPy; decoding the JPEG is timed separately. Medians after a warm-up."""
    from webapp import device
    from webapp.stages import KernelChoice, StageConfig, library_bank, match_channels, read_photo, run_stages

    jpeg = synthetic_photo_jpeg(width, height)
    pixels = read_photo(jpeg)
    pixels, bank = match_channels(pixels, library_bank(KernelChoice().names))
    config = StageConfig()
    report: dict[str, Any] = {"benchmark": "stages", "device": device.describe(), "runs": runs,
                              "megapixels": pixels.shape[0] * pixels.shape[1] / 1e6, "jpeg_bytes": len(jpeg),
                              "filters": list(bank.names), "goal_seconds": 1.0}
    for label, action in (("decode", lambda: read_photo(jpeg)), ("stages", lambda: run_stages(pixels, bank, config))):
        timings = timed(action, runs)
        report[f"{label}_seconds"] = timings
        report[f"{label}_median_seconds"] = statistics.median(timings)
        log(f"{label}: median {report[f'{label}_median_seconds']:.3f} s over {runs} runs")
    return report


def stages_memory_benchmark(side: int = 7000, log: Log = print) -> dict[str, Any]:
    """Peak memory for a side x side PNG of one grey level (49 MP at 7000, about 60 KB on disk), each in a fresh
    process: `python -m webapp stages --grayscale` at full resolution, and the page's path (the custom 3x3 grid,
    grayscale, within the page's memory budget), measured above that process's memory once warmed up."""
    import json
    import tempfile

    from PIL import Image

    from webapp.stages import PAGE_MEMORY_BUDGET

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "grey.png")
        Image.new("L", (side, side), 128).save(path)
        command = [sys.executable, "-m", "webapp", "stages", path, "--grayscale", "--json"]
        cli = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(cli.pid, 0)
        cli_peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        log(f"CLI stages on a {side}x{side} grey PNG: peak {format_bytes(cli_peak)}, "
            f"exit {os.waitstatus_to_exitcode(status)}")
        script = f"from webapp.bench.stages import page_memory_probe; page_memory_probe({path!r})"
        probe = subprocess.run([sys.executable, "-c", script],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
        page = json.loads(probe.stdout.strip().splitlines()[-1])
        log(f"page path: {format_bytes(page['page_peak_bytes'])} at its peak, "
            f"{format_bytes(page['page_retained_bytes'])} kept after it, working at {page['worked_shape']}")
    return {"memory_photo": f"{side}x{side} grey PNG", "cli_peak_bytes": cli_peak, "cli_peak_goal_bytes": 3_000_000_000,
            "page_budget_bytes": PAGE_MEMORY_BUDGET, **page}


def page_memory_probe(path: str) -> None:
    """Run in its own process by `stages_memory_benchmark`: one JSON line with the page path's memory."""
    import json

    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.memory import peak_bytes, release_freed_memory, resident_bytes
    from webapp.stages.stage_images import view_of
    from webapp.stages import PAGE_MEMORY_BUDGET, KernelChoice, StageConfig, process_photo

    choice = KernelChoice(source="custom", grid=((1, 0, 1), (0, 1, 0), (1, 0, 1)))
    with open(path, "rb") as file:
        photo = file.read()

    def page(data: bytes) -> tuple[int, ...]:
        processed = process_photo(data, choice, StageConfig(), grayscale=True, memory_budget=PAGE_MEMORY_BUDGET)
        view_of(processed)
        shape = processed.result.input.shape
        del processed
        release_freed_memory()
        return shape

    page(synthetic_photo_jpeg(400, 300))  # warm up TensorFlow's kernels
    base = resident_bytes() or 0
    shape = page(photo)
    print(json.dumps({"page_peak_bytes": (peak_bytes() or 0) - base,
                      "page_retained_bytes": (resident_bytes() or 0) - base,
                      "worked_shape": format_shape(shape)}))
