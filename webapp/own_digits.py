"""Your own digits: named collections of labelled drawings, kept on disk to fine-tune a model with.

A collection is a folder `collections/<name>/<label>/` of sample pairs: `<id>.png` (the 28x28 digit the
model sees) and `<id>-drawing.png` (what was drawn). Each file is written to a temporary name and moved
into place with `os.replace`, the drawing first, so a sample is never listed half-written.

Ownership (`webapp.ownership`): a collection's name ends in an unguessable token, so only whoever has its
link can open it; `owner.json` holds the owner key of the browser that made it, and only that browser may add
or remove samples. Collections from before owners existed (no `owner.json`, samples already there) stay
readable (view, download, fine-tune) but cannot be changed.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from webapp import datasets
from webapp.data import Split
from webapp.ownership import OWNER_KEY_PATTERN, NotOwnerError, folder_name, linked_name, personal_token
from webapp.paths import collections_dir

DEFAULT_COLLECTION = "my-digits"
OWNER_FILE = "owner.json"
MAX_NAME_LENGTH = 40
MIN_SAMPLES_TO_FINE_TUNE = 10
HELD_OUT_FRACTION = 1 / 5
SAMPLE_FILE = re.compile(r"^(\d{8}-\d{6}-\d{6}-[0-9a-f]{4})\.png$")  # date-time-microseconds-random


def sanitise_name(text: str | None) -> str:
    """Lower-case letters (any script), digits and single dashes, at most 40 characters: safe as a folder name
    (no dots, slashes or spaces), and "Ärger" and "Über" stay two names instead of collapsing into one."""
    return folder_name(text, DEFAULT_COLLECTION, MAX_NAME_LENGTH)


def new_collection_name(title: str | None) -> str:
    """A name for a new collection: the learner's words plus an unguessable token (its view link)."""
    return linked_name(title, DEFAULT_COLLECTION, MAX_NAME_LENGTH)


def personal_collection_name(secret: str) -> str:
    """The default collection of the browser holding `secret`: the same every visit, unguessable by others."""
    return f"{DEFAULT_COLLECTION}-{personal_token(secret, 'own-digits')}"


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

    def owner_key(self) -> str | None:
        """The owner key recorded when the collection was made, or None (not made yet, or made before owners)."""
        try:
            with open(self.path / OWNER_FILE, encoding="utf-8") as file:
                key = json.loads(file.read(4096)).get("owner")
        except (OSError, ValueError, AttributeError):
            return None
        return key if isinstance(key, str) and OWNER_KEY_PATTERN.match(key) else None

    def is_owned_by(self, owner: str) -> bool:
        """Whether `owner` may change this collection: its recorded owner, or anyone for one not made yet."""
        key = self.owner_key()
        if key is None:
            return not self.samples()
        return key == owner

    def _claim_or_check(self, owner: str) -> None:
        """Refuse a change by anyone but the owner; the first sample of a new collection makes its owner."""
        key = self.owner_key()
        if key is None and self.samples():
            raise NotOwnerError("This collection was made before collections had owners: it can be viewed, "
                                "downloaded and used for fine-tuning, but not changed. Start a new one to save digits.")
        if key is None:
            key = self._claim(owner)
        if key != owner:
            raise NotOwnerError("Only the browser that started this collection can add or remove its samples: "
                                "start a collection of your own to save digits.")

    def _claim(self, owner: str) -> str | None:
        """Record `owner` unless someone got there first (a hard link never replaces an existing file)."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.path)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"owner": owner, "created": time.strftime("%Y-%m-%d %H:%M:%S")}, file)
            try:
                os.link(temporary, self.path / OWNER_FILE)
            except FileExistsError:
                pass
        finally:
            Path(temporary).unlink(missing_ok=True)
        return self.owner_key()

    def add(self, digit: np.ndarray, drawing: np.ndarray, label: int, owner: str) -> Sample:
        """Keep one sample: the 28x28 uint8 digit and the original drawing (any H x W, grey or RGB(A)).

        `owner` is the visitor's owner key; only the collection's owner may add (NotOwnerError otherwise)."""
        digit = np.asarray(digit)
        if digit.shape != (28, 28):
            raise ValueError("A sample must be a 28x28 digit.")
        if not 0 <= int(label) <= 9:
            raise ValueError("A sample's label must be a digit from 0 to 9.")
        self._claim_or_check(owner)
        folder = self.path / str(int(label))
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        stamp = time.strftime('%Y%m%d-%H%M%S', time.localtime(now))
        sample_id = f"{stamp}-{int(now % 1 * 1e6):06d}-{secrets.token_hex(2)}"
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

    def remove(self, sample: Sample, owner: str) -> None:
        """Delete one sample: the collection's owner only."""
        self._claim_or_check(owner)
        if sample.path.parent.parent != self.path:
            raise ValueError("That sample belongs to another collection.")
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

    def as_dataset(self) -> datasets.Dataset:
        """The collection through the catalog's interface: every sample for training (the caller holds some out),
        no test set; its classes are MNIST's ten digits."""
        images, labels = self.arrays()
        info = replace(datasets.MNIST, name=f"collection:{self.name}", label=f"your collection '{self.name}'",
                       file="", train_size=len(labels), test_size=0, reference_accuracies=(), fallback_paths=())
        return datasets.Dataset(images, labels, images[:0], labels[:0], info=info)

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
