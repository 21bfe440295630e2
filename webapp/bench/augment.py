"""`bench augment`: images per second through the digits augmentation preset on one CPU core, and the cost
of augmenting in one CNN training epoch."""
from __future__ import annotations

import contextlib
import os
import statistics
import time
from typing import Any, Iterator

from webapp.bench.common import Log, timed


@contextlib.contextmanager
def one_cpu_core() -> Iterator[int | None]:
    """Pin this process to one CPU core and OpenCV to one thread (restored afterwards), so images/s count one
    core's work; yields the core, or None where the system cannot pin (macOS)."""
    import cv2

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    core = min(allowed) if allowed else None
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        cv2.setNumThreads(threads)
        if allowed:
            os.sched_setaffinity(0, allowed)


def augment_benchmark(runs: int = 5, images: int = 10_000, batch_size: int = 256, log: Log = print) -> dict[str, Any]:
    """Images per second through the digits preset on MNIST training digits, on one core. Each batch gets a
    freshly seeded pipeline, built from its serialised form as training builds it (the building is timed too)."""
    from webapp.augment import augment_batch, describe_pipeline, pipeline_from_dict, pipeline_to_dict, preset_pipeline
    from webapp.data import load_mnist

    digits = load_mnist().x_train[:images]
    data = pipeline_to_dict(preset_pipeline("digits"))

    def augment_all() -> None:
        for start in range(0, len(digits), batch_size):
            augment_batch(pipeline_from_dict(data, seed=start), digits[start:start + batch_size])

    with one_cpu_core() as core:
        timings = timed(augment_all, runs)
        build_ms = statistics.median(timed(lambda: pipeline_from_dict(data, seed=1), 50)) * 1000
    rates = [len(digits) / seconds for seconds in timings]
    report = {"benchmark": "augment", "preset": "digits", "pipeline": describe_pipeline(data), "images": len(digits),
              "batch_size": batch_size, "runs": runs, "cpu_core": core, "images_per_second": rates,
              "median_images_per_second": statistics.median(rates), "pipeline_build_ms": build_ms,
              "goal_images_per_second": 5000}
    log(f"digits preset on {len(digits):,} MNIST digits, core {core}: {[round(rate) for rate in rates]} images/s")
    return report


# -- bench augment: training time per epoch with and without augmentation ----------------------------
def augmented_epoch_benchmark(images: int = 12_000, repeats: int = 3, log: Log = print) -> dict[str, Any]:
    """Wall seconds of one CNN training epoch on `images` MNIST images, plain and with the digits preset
    applied on the fly (evaluation time left out), median of `repeats`; the ratio is the cost of augmenting."""
    from dataclasses import replace

    from webapp.augment import pipeline_to_dict, preset_pipeline
    from webapp.config import TrainConfig
    from webapp.data import load_mnist
    from webapp.training import run_training

    mnist = load_mnist()
    base = TrainConfig(models=("cnn",), epochs=1, subset=images, validations_per_epoch=1)
    seconds: dict[str, list[float]] = {"plain": [], "augmented": []}
    for repeat in range(repeats):
        for label, pipeline in (("plain", None), ("augmented", pipeline_to_dict(preset_pipeline("digits")))):
            started = time.perf_counter()
            record, _ = run_training(replace(base, seed=repeat, pipeline=pipeline), data=mnist)
            seconds[label].append(time.perf_counter() - started - record.evaluation_seconds())
            log(f"epoch of {images} images, {label}: {seconds[label][-1]:.2f} s")
    plain, augmented = (statistics.median(seconds[label]) for label in ("plain", "augmented"))
    return {"epoch_images": images, "epoch_seconds_plain": plain, "epoch_seconds_augmented": augmented,
            "augmented_to_plain": augmented / plain}
