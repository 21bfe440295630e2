"""`bench predict`: milliseconds from a canvas to both default models' probabilities."""
from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from webapp.bench.common import Log, timed


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
        digit = to_mnist(canvas).digit
        assert digit is not None, "the benchmark's canvas holds a digit"
        classify(models, digit)

    def decode_once() -> None:
        to_array(load_image(png))

    report: dict[str, Any] = {"benchmark": "predict", "runs": runs}
    for label, action in (("predict", predict_once), ("decode", decode_once)):
        report[f"{label}_median_ms"] = statistics.median(timed(action, runs, warmups=3)) * 1000
        log(f"{label}: median {report[f'{label}_median_ms']:.1f} ms over {runs} runs")
    return report
