"""Your own digits: named collections of labelled drawings, kept on disk to fine-tune a model with.

A collection is a folder `collections/<name>/<label>/` of sample pairs: `<id>.png` (the 28x28 digit the
model sees) and `<id>-drawing.png` (what was drawn). Each file is written to a temporary name and moved
into place with `os.replace`, the drawing first, so a sample is never listed half-written.
"""
from __future__ import annotations

import csv
import io
import os
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from webapp.data import Split
from webapp.paths import collections_dir

DEFAULT_COLLECTION = "my-digits"
MAX_NAME_LENGTH = 40
MIN_SAMPLES_TO_FINE_TUNE = 10
HELD_OUT_FRACTION = 1 / 5
SAMPLE_FILE = re.compile(r"^(\d{8}-\d{6}-\d{6}-[0-9a-f]{4})\.png$")  # date-time-microseconds-random


def sanitise_name(text: str | None) -> str:
    """Lower-case letters, digits and single dashes, at most 40 characters (safe as a folder name)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:MAX_NAME_LENGTH].strip("-")
    return cleaned or DEFAULT_COLLECTION


@dataclass(frozen=True)
class Sample:
    sample_id: str
    label: int
    path: Path  # the 28x28 digit

    @property
    def drawing_path(self) -> Path:
        return self.path.with_name(f"{self.sample_id}-drawing.png")


def _write_png(path: Path, pixels: np.ndarray) -> None:
    """Write a PNG next to its final name, then move it into place in one step."""
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(file, format="PNG")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Collection:
    """One named collection of labelled samples."""

    def __init__(self, name: str | None, root: Path | None = None) -> None:
        self.name = sanitise_name(name)
        self.path = Path(root if root is not None else collections_dir()) / self.name

    def add(self, digit: np.ndarray, drawing: np.ndarray, label: int) -> Sample:
        """Keep one sample: the 28x28 uint8 digit and the original drawing (any H x W, grey or RGB(A))."""
        digit = np.asarray(digit)
        if digit.shape != (28, 28):
            raise ValueError("A sample must be a 28x28 digit.")
        if not 0 <= int(label) <= 9:
            raise ValueError("A sample's label must be a digit from 0 to 9.")
        folder = self.path / str(int(label))
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        sample_id = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{int(now % 1 * 1e6):06d}-{secrets.token_hex(2)}"
        sample = Sample(sample_id, int(label), folder / f"{sample_id}.png")
        _write_png(sample.drawing_path, np.asarray(drawing))
        try:
            _write_png(sample.path, np.clip(digit, 0, 255))
        except BaseException:
            sample.drawing_path.unlink(missing_ok=True)  # no half a sample left behind
            raise
        return sample

    def samples(self) -> list[Sample]:
        """Every complete sample, oldest first."""
        found = []
        for label in range(10):
            folder = self.path / str(label)
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                match = SAMPLE_FILE.match(path.name)
                if match:
                    found.append(Sample(match.group(1), label, path))
        return sorted(found, key=lambda sample: sample.sample_id)

    def remove(self, sample: Sample) -> None:
        sample.path.unlink(missing_ok=True)
        sample.drawing_path.unlink(missing_ok=True)

    def counts(self, samples: list[Sample] | None = None) -> dict[int, int]:
        """Samples per digit, of `samples` when the caller has listed them already."""
        counts = dict.fromkeys(range(10), 0)
        for sample in self.samples() if samples is None else samples:
            counts[sample.label] += 1
        return counts

    @staticmethod
    def digit(sample: Sample) -> np.ndarray | None:
        """The sample's 28x28 uint8 digit, or None when its file is unreadable or not 28x28."""
        try:
            with Image.open(sample.path) as image:
                pixels = np.asarray(image.convert("L"))
        except (OSError, ValueError):
            return None
        return pixels if pixels.shape == (28, 28) else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 digits and (N,) uint8 labels; files that are not 28x28 greyscale are skipped."""
        digits, labels = [], []
        for sample in self.samples():
            pixels = self.digit(sample)
            if pixels is not None:
                digits.append(pixels)
                labels.append(sample.label)
        if not digits:
            return np.zeros((0, 28, 28), np.uint8), np.zeros((0,), np.uint8)
        return np.stack(digits).astype(np.uint8), np.asarray(labels, dtype=np.uint8)

    def zip_bytes(self) -> bytes:
        """The whole collection as a zip: both images of every sample and a labels.csv."""
        out = io.BytesIO()
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["digit_file", "drawing_file", "label"])
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for sample in self.samples():
                names = [f"{sample.label}/{path.name}" for path in (sample.path, sample.drawing_path)]
                for path, name in zip((sample.path, sample.drawing_path), names):
                    if path.is_file():
                        archive.write(path, f"{self.name}/{name}")
                writer.writerow([*names, sample.label])
            archive.writestr(f"{self.name}/labels.csv", table.getvalue())
        return out.getvalue()


def fine_tuning_problem(sample_count: int) -> str | None:
    """Why a collection of this size cannot be used to fine-tune yet, as one sentence, or None."""
    if sample_count < MIN_SAMPLES_TO_FINE_TUNE:
        return (f"Save at least {MIN_SAMPLES_TO_FINE_TUNE} digits first (this collection has {sample_count}): "
                "a fifth of them is held out to measure the result.")
    return None


def held_out_split(digits: np.ndarray, labels: np.ndarray, seed: int = 0) -> Split:
    """Train on four fifths, keep a seeded fifth (at least two samples) for before/after accuracy."""
    problem = fine_tuning_problem(len(labels))
    if problem:
        raise ValueError(problem)
    order = np.random.default_rng(seed).permutation(len(labels))
    held_out = max(2, int(round(len(labels) * HELD_OUT_FRACTION)))
    test, train = order[:held_out], order[held_out:]
    return Split(digits[train], labels[train], digits[test], labels[test])
