"""MNIST test images opened by index: reading `?test_image=N`, each model's readings of the whole test set, and
the search for the next (or previous) image a model misreads, so a learner can walk through the hard cases."""
from __future__ import annotations

from typing import Any

import numpy as np

from webapp.predict import probabilities

TEST_IMAGE_PARAM = "test_image"
READING_BATCH = 1000  # test images per model call: quick, and memory stays small for any model

# Seed 003 prints its dense net's reading of test image 0: the ten probabilities, argmax 7, label 7.
SEED_003_INDEX = 0
SEED_003_LABEL = 7
SEED_003_PROBABILITY = 0.99879539


def parse_index(raw: str | None, count: int) -> tuple[int, str | None]:
    """The test image a link asks for, or 0 with one sentence saying why the link's value was not used."""
    if raw is None:
        return 0, None
    try:
        index = int(raw.strip())
    except ValueError:
        return 0, f"The link asks for test image '{raw}', which is not a whole number: showing test image 0."
    if not 0 <= index < count:
        return 0, f"The link asks for test image {index}, but MNIST's test images are numbered 0 to {count - 1}: " \
                  "showing test image 0."
    return index, None


def readings(model: Any, images: np.ndarray, batch: int = READING_BATCH) -> np.ndarray:
    """The model's label for each 28x28 uint8 image, a batch of `batch` images per call."""
    parts = [probabilities(model, images[start:start + batch]).argmax(axis=1) for start in range(0, len(images), batch)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=int)


def misread_mask(labels: np.ndarray, model_readings: dict[str, np.ndarray]) -> np.ndarray:
    """True where at least one model's reading differs from the true label."""
    mask = np.zeros(len(labels), dtype=bool)
    for reading in model_readings.values():
        mask |= np.asarray(reading) != np.asarray(labels)
    return mask


def next_misread(mask: np.ndarray, current: int) -> int | None:
    """The first misread index after `current`, or None when no later image is misread."""
    later = np.flatnonzero(mask[current + 1:])
    return int(later[0]) + current + 1 if later.size else None


def previous_misread(mask: np.ndarray, current: int) -> int | None:
    """The last misread index before `current`, or None when no earlier image is misread."""
    earlier = np.flatnonzero(mask[:max(current, 0)])
    return int(earlier[-1]) if earlier.size else None
