"""Benchmarks behind `python -m webapp bench ...`: measured in one process, reported as medians and ratios.

Speed is never asserted in tests (the machines are shared and noisy); it is measured here.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from webapp.paths import PROJECT_ROOT
from webapp.formulas import format_bytes, format_shape

Log = Callable[[str], None]


# -- bench train ---------------------------------------------------------------------------------
def test_accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy from direct model calls (no `evaluate`, which would touch the training loop's state)."""
    from webapp.training import predict_probabilities, scores

    return scores(predict_probabilities(model, x), y)[1]


def make_probe(x_test: np.ndarray, y_test: np.ndarray, target: float, check_every: int,
               excluded_seconds: Callable[[], float], on_reached: Callable[[], None]) -> Any:
    """A Keras callback that checks test accuracy every `check_every` batches and notes when `target` is met.

    Its clock leaves out its own checks and `excluded_seconds()` (the trainer's own validation passes).
    """
    import keras

    class TimeToAccuracy(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.started: float | None = None
            self.checking_seconds = 0.0
            self.batches = 0
            self.reached_seconds: float | None = None
            self.reached_batches: int | None = None
            self.checks: list[tuple[int, float, float]] = []

        def on_train_begin(self, logs: dict | None = None) -> None:
            if self.started is None:
                self.started = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.batches += 1
            if self.reached_seconds is not None or self.batches % check_every:
                return
            now = time.perf_counter()
            elapsed = now - self.started - self.checking_seconds - excluded_seconds()
            accuracy = test_accuracy(self.model, x_test, y_test)
            self.checking_seconds += time.perf_counter() - now
            self.checks.append((self.batches, elapsed, accuracy))
            if accuracy >= target:
                self.reached_seconds, self.reached_batches = elapsed, self.batches
                self.model.stop_training = True
                on_reached()

    return TimeToAccuracy()


def time_lab_defaults(seed: int, target: float, check_every: int, max_epochs: int, subset: int, mnist: Any) -> Any:
    """The lab's own trainer with its default settings (only the seed, epochs and subset set here)."""
    from webapp.config import TrainConfig
    from webapp.data import as_model_input
    from webapp.training import run_training

    stop = threading.Event()
    holder: dict[str, Any] = {}
    probe = make_probe(as_model_input(mnist.x_test), mnist.y_test, target, check_every,
                       lambda: holder["record"].evaluation_seconds() if "record" in holder else 0.0, stop.set)
    config = TrainConfig(models=("cnn",), epochs=max_epochs, seed=seed, subset=subset)
    run_training(config, stop, data=mnist, on_record=lambda record: holder.setdefault("record", record),
                 extra_callbacks=lambda name: [probe])
    return probe


def time_seed_tutorial(seed: int, target: float, check_every: int, max_epochs: int, subset: int, mnist: Any) -> Any:
    """The seed tutorial's recipe on the same network (the `tutorial` settings preset: rmsprop, batch 128), one
    plain `model.fit`."""
    import keras

    from webapp.data import as_model_input
    from webapp.networks import build_cnn
    from webapp.presets import preset_config
    from webapp.training import make_optimizer

    tutorial = preset_config("tutorial")
    keras.utils.set_random_seed(seed)
    model = build_cnn()
    model.compile(optimizer=make_optimizer(tutorial.optimizer, tutorial.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe = make_probe(as_model_input(mnist.x_test), mnist.y_test, target, check_every, lambda: 0.0, lambda: None)
    x, y = as_model_input(mnist.x_train), mnist.y_train
    if subset:
        x, y = x[:subset], y[:subset]
    model.fit(x, y, epochs=max_epochs, batch_size=tutorial.batch_size, callbacks=[probe], verbose=0)
    return probe


def _median_or_none(values: list[float | None]) -> float | None:
    reached = [value for value in values if value is not None]
    if len(reached) < len(values):
        # an unreached target counts as slower than any reached one
        padded = sorted(reached) + [float("inf")] * (len(values) - len(reached))
        middle = statistics.median(padded)
        return None if middle == float("inf") else middle
    return statistics.median(reached)


def train_benchmark(target: float = 0.985, seeds: int = 3, check_every: int = 100, max_epochs: int = 5,
                    subset: int = 0, log: Log = print) -> dict[str, Any]:
    """Time to `target` test accuracy for the CNN: lab defaults vs the seed tutorial, median over seeds."""
    from webapp import device
    from webapp.config import TrainConfig
    from webapp.data import load_mnist

    from webapp.presets import preset_config

    mnist = load_mnist()
    lab, tutorial = TrainConfig(), preset_config("tutorial")
    report: dict[str, Any] = {
        "benchmark": "train", "target": target, "device": device.describe(), "check_every_batches": check_every,
        "lab_settings": {"optimizer": lab.optimizer, "learning_rate": lab.learning_rate, "batch_size": lab.batch_size,
                         "precision": device.resolve_precision(lab.precision)},
        "seed_settings": {key: getattr(tutorial, key) for key in ("optimizer", "learning_rate", "batch_size", "precision")},
    }
    for label, timer in (("lab", time_lab_defaults), ("seed", time_seed_tutorial)):
        seconds, batches = [], []
        for seed in range(seeds):
            probe = timer(seed, target, check_every, max_epochs, subset, mnist)
            seconds.append(probe.reached_seconds)
            batches.append(probe.reached_batches)
            shown = f"{probe.reached_seconds:.1f} s after {probe.reached_batches} batches" if probe.reached_seconds else "not reached"
            log(f"{label} settings, seed {seed}: {target:.1%} {shown}; checks {[(b, round(t, 1), round(a, 4)) for b, t, a in probe.checks]}")
        report[f"{label}_seconds"] = seconds
        report[f"{label}_batches"] = batches
        report[f"{label}_median_seconds"] = _median_or_none(seconds)
    lab, seed_median = report["lab_median_seconds"], report["seed_median_seconds"]
    report["ratio"] = lab / seed_median if lab and seed_median else None
    return report


def format_train_report(report: dict[str, Any]) -> str:
    def shown(value: float | None) -> str:
        return f"{value:.1f} s" if value else "not reached"

    ratio = f"{report['ratio']:.2f}" if report["ratio"] else "n/a"
    return (f"CNN to {report['target']:.1%} test accuracy on {report['device']} (median of {len(report['lab_seconds'])} seeds)\n"
            f"  lab defaults  {report['lab_settings']}: {shown(report['lab_median_seconds'])}\n"
            f"  seed tutorial {report['seed_settings']}: {shown(report['seed_median_seconds'])}\n"
            f"  ratio lab/seed: {ratio}")


# -- bench startup -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None, log_path: str | None = None) -> subprocess.Popen:
    """`streamlit run app.py` headless on `port`, in its own process group so it can be stopped cleanly."""
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
                            stdout=log, stderr=log, start_new_session=True)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"The server on port {port} did not answer within {timeout:.0f} s.")


def chromium_path() -> str | None:
    """Debian's Chromium (or `CHROMIUM_PATH`); None lets Playwright use its own browser where it has one."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def startup_benchmark(repeats: int = 3, log: Log = print, marker: str = "Welcome to ConvNet Lab") -> dict[str, Any]:
    """Seconds from launching the server to the Home page's heading being visible in Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("bench startup needs Playwright: pip install -r requirements-dev.txt.") from None
    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for attempt in range(repeats):
            port = free_port()
            started = time.perf_counter()
            server = start_server(port)
            try:
                wait_until_healthy(port)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text(marker).first.wait_for(timeout=60_000)
                timings.append(time.perf_counter() - started)
                page.close()
            finally:
                stop_server(server)
            log(f"start {attempt + 1}: Home shown after {timings[-1]:.2f} s")
        browser.close()
    return {"benchmark": "startup", "seconds": timings, "median_seconds": statistics.median(timings)}


# -- bench predict -------------------------------------------------------------------------------
def predict_benchmark(runs: int = 50, log: Log = print) -> dict[str, Any]:
    """Milliseconds from a 280x280 canvas array to both default models' probabilities (preprocessing
    included), and separately to decode a PNG upload; medians after a warm-up."""
    import io

    from PIL import Image

    from webapp.data import load_mnist
    from webapp.digits import to_mnist
    from webapp.images import load_image, to_array
    from webapp.predict import classify
    from webapp.store import RunStore

    store = RunStore()
    models = {name: store.load_model(store.resolve(name).run_id) for name in ("dnn", "cnn")}
    digit = load_mnist().x_test[0]
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
    encoded = io.BytesIO()
    Image.fromarray(canvas).save(encoded, "PNG")
    png = encoded.getvalue()

    def predict_once() -> None:
        classify(models, to_mnist(canvas).digit)

    def decode_once() -> None:
        to_array(load_image(png))

    report: dict[str, Any] = {"benchmark": "predict", "runs": runs}
    for label, action in (("predict", predict_once), ("decode", decode_once)):
        report[f"{label}_median_ms"] = statistics.median(timed(action, runs, warmups=3)) * 1000
        log(f"{label}: median {report[f'{label}_median_ms']:.1f} ms over {runs} runs")
    return report


# -- bench summary -------------------------------------------------------------------------------
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
        log(f"{name}: first {first:.2f} s, cached {networks[name]['cached_ms']:.3f} ms ({networks[name]['layers']} layers)")
    return {"benchmark": "summary", "batch_size": settings.batch_size, "networks": networks,
            "max_first_seconds": max(entry["first_seconds"] for entry in networks.values()),
            "max_cached_ms": max(entry["cached_ms"] for entry in networks.values())}
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


# -- bench stages --------------------------------------------------------------------------------
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
        log(f"CLI stages on a {side}x{side} grey PNG: peak {format_bytes(cli_peak)}, exit {os.waitstatus_to_exitcode(status)}")
        probe = subprocess.run([sys.executable, "-c", f"from webapp.bench import page_memory_probe; page_memory_probe({path!r})"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
        page = json.loads(probe.stdout.strip().splitlines()[-1])
        log(f"page path: {format_bytes(page['page_peak_bytes'])} at its peak, {format_bytes(page['page_retained_bytes'])} "
            f"kept after it, working at {page['worked_shape']}")
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
    print(json.dumps({"page_peak_bytes": (peak_bytes() or 0) - base, "page_retained_bytes": (resident_bytes() or 0) - base,
                      "worked_shape": format_shape(shape)}))


# -- bench augment -------------------------------------------------------------------------------
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


# -- bench read: reading accuracy on a folder of labelled pictures ----------------------------------------
LABELS_FILE = "labels.csv"


def read_labels(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of `folder/labels.csv` (`file,label[,variant]`, header optional) as dicts; a missing or
    malformed file raises ValueError with one sentence."""
    import csv
    from pathlib import Path

    path = Path(folder) / LABELS_FILE
    if not Path(folder).is_dir():
        raise ValueError(f"{folder} is not a folder.")
    if not path.is_file():
        raise ValueError(f"{folder} has no {LABELS_FILE} (one line per picture: file,label[,variant]).")
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in cells]
            if not cells or not cells[0] or (number == 1 and cells[0].lower() == "file"):
                continue
            if len(cells) < 2 or cells[1] not in tuple("0123456789"):
                raise ValueError(f"Line {number} of {LABELS_FILE} is not 'file,label[,variant]' with a label 0-9.")
            variant = cells[2] if len(cells) > 2 and cells[2] else "all"
            rows.append({"file": cells[0], "label": int(cells[1]), "variant": variant})
    if not rows:
        raise ValueError(f"{LABELS_FILE} in {folder} lists no pictures.")
    return rows


def read_benchmark(folder: str | os.PathLike, models: dict[str, Any], log: Log = print) -> dict[str, Any]:
    """Each model's accuracy per variant (and over all) on the labelled pictures of `folder`, read exactly as
    `predict` reads them. A picture that cannot be read, or where no digit is found, counts as wrong for every
    model. The failures list each wrong (file, model, label, answer or the reason); `doubted` lists the pictures
    that got the "may not be one digit" note."""
    from pathlib import Path

    from webapp.predict import predict_file

    rows = read_labels(folder)
    right: dict[str, dict[str, int]] = {name: {} for name in models}
    totals: dict[str, int] = {}
    failures, doubted = [], []
    for index, row in enumerate(rows, start=1):
        result = predict_file(Path(folder) / row["file"], models)
        totals[row["variant"]] = totals.get(row["variant"], 0) + 1
        if "note" in result:
            doubted.append(row["file"])
        for name in models:
            answer = result[name]["label"] if name in result else None
            correct = answer == row["label"]
            right[name][row["variant"]] = right[name].get(row["variant"], 0) + correct
            if not correct:
                failures.append({"file": row["file"], "variant": row["variant"], "model": name, "label": row["label"],
                                 "answer": answer, **({"error": result["error"]} if "error" in result else {})})
        if index % 100 == 0:
            log(f"read {index} of {len(rows)} pictures")
    accuracy = {name: {variant: right[name][variant] / count for variant, count in totals.items()} for name in models}
    for name in models:
        accuracy[name]["all"] = sum(right[name].values()) / len(rows)
    return {"benchmark": "read", "folder": str(folder), "pictures": len(rows), "variants": totals,
            "accuracy": accuracy, "failures": failures, "doubted": doubted}


def format_read_report(report: dict[str, Any]) -> str:
    """One line per model: its accuracy on each variant and over all pictures."""
    variants = [variant for variant in report["variants"] if variant != "all"]
    lines = [f"{report['pictures']} pictures in {report['folder']}"]
    for name, scores_by_variant in report["accuracy"].items():
        parts = [f"{variant} {scores_by_variant[variant]:.1%}" for variant in variants]
        lines.append(f"  {name}: " + ("  ".join(parts) + "  " if parts else "") + f"all {scores_by_variant['all']:.1%}")
    lines.append(f"  'may not be one digit' noted for {len(report['doubted'])} of {report['pictures']}")
    return "\n".join(lines)


def failure_sheet(folder: str | os.PathLike, failures: list[dict[str, Any]], thumb: int = 64) -> Any:
    """One row per misread picture: its file name, label and answers, then each preparation step side by side
    (ink, ruled lines removed, cropped, 20x20, 28x28), so where a digit goes wrong can be seen at a glance."""
    from pathlib import Path

    from PIL import Image, ImageDraw

    from webapp.digits import to_mnist
    from webapp.images import ImageError, load_image_file, to_array
    from webapp.predict import DECODE_MAX_SIDE

    answers: dict[str, list[str]] = {}
    for failure in failures:
        answers.setdefault(failure["file"], []).append(f"{failure['model']} {failure['answer']}")
    labels = {failure["file"]: failure["label"] for failure in failures}
    text_width, columns = 220, 5
    sheet = Image.new("L", (text_width + columns * (thumb + 4), max(1, len(answers)) * (thumb + 4)), 64)
    draw = ImageDraw.Draw(sheet)
    for row, (file, said) in enumerate(answers.items()):
        top = row * (thumb + 4)
        draw.text((4, top + 4), f"{file}\nlabel {labels[file]}\n" + "\n".join(said), fill=255)
        try:
            steps = to_mnist(to_array(load_image_file(Path(folder) / file, max_side=DECODE_MAX_SIDE))).steps
        except ImageError:
            continue
        for column, image in enumerate(list(steps.values())[:columns]):
            sheet.paste(_square_thumbnail(image, thumb), (text_width + column * (thumb + 4), top))
    return sheet


def save_png(image: Any, path: str | os.PathLike) -> None:
    """Write a PNG atomically: a temporary file beside it, moved into place in one step."""
    import tempfile
    from pathlib import Path

    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".png", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            image.save(out, "PNG")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _square_thumbnail(image: np.ndarray, side: int) -> Any:
    from PIL import Image

    height, width = image.shape
    square = np.zeros((max(height, width),) * 2, np.uint8)
    top, left = (square.shape[0] - height) // 2, (square.shape[1] - width) // 2
    square[top:top + height, left:left + width] = image
    return Image.fromarray(square).resize((side, side), Image.Resampling.BOX)
