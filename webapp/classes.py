"""Your own classes: collections of named classes ("circle", "cat"...), each with its samples, to train a model on.

A collection is a folder `classes/<name>/` under the lab's home. `collection.json` says what it holds: the
input kind ("sketch": grey drawings, prepared like the Draw page's digits; "photo": colour pictures), the class
names in label order, each class's folder (a stable id, so renaming a class is one write of this file) and the
owner key of the browser that made it. Each sample is a pair in its class's folder: `<id>.png`, the prepared
image the model sees (28x28 grey for a sketch, 32x32 colour for a photo), and `<id>-original.png`, what was drawn,
uploaded or photographed (at most 512 pixels a side). Every file is written to a temporary name and moved into
place with `os.replace`, the original first, so a sample is never listed half-written and nothing saved is lost
on a crash.

Ownership works as for own digits (`webapp.ownership`): the name ends in an unguessable token (the view link);
only the owner key recorded when the collection was made may change it or queue training on it (`check_may_train`:
its runs are listed on the collection's page for everyone with the link); anyone with the link may view it, its
runs, try its models and download it, and a zip of it opens as a collection of one's own to train on. Every
refusal is one sentence (ValueError, or NotOwnerError for a stranger).

This module imports no Keras and none of the catalogs: `webapp.datasets` reads a collection through it
("classes:<name>"), so it must not import them back.
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Sequence

import numpy as np
from PIL import Image

from webapp.digits import to_mnist
from webapp.files import MAX_FILE_BYTES
from webapp.images import ImageError, load_image, load_image_file, to_array
from webapp.ownership import OWNER_KEY_PATTERN, VIEW_TOKEN_BYTES, NotOwnerError, folder_name, linked_name
from webapp.paths import classes_dir
from webapp.predict import DECODE_MAX_SIDE

INPUT_KINDS = ("sketch", "photo")
DATASET_PREFIX = "classes:"  # a collection's dataset id: "classes:<name>"
COLLECTION_FILE = "collection.json"
DEFAULT_NAME = "my-classes"
MAX_NAME_LENGTH = 40
MAX_CLASS_NAME = 30
MIN_CLASSES = 2
SKETCH_SHAPE = (28, 28, 1)
PHOTO_SHAPE = (32, 32, 3)
ORIGINAL_MAX_SIDE = 512
HELD_OUT_SHARE = 0.2
MAX_ZIP_FILES = 2_000
MAX_ZIP_BYTES = 50_000_000
SAMPLE_FILE = re.compile(r"^(\d{8}-\d{6}-\d{6}-[0-9a-f]{4})\.png$")  # date-time-microseconds-random
ORIGINAL_SUFFIX = "-original.png"
IGNORED_ENTRIES = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")  # what zip tools add by themselves

# Training (the job itself is configured in `webapp.job.classes_config`, which may import the catalogs).
BATCH_SIZE = 16
DEFAULT_RECIPE = {"sketch": "head", "photo": "scratch"}
DEFAULT_EPOCHS = {"sketch": 30, "photo": 40}
SKETCH_SOURCE_RUN = "default-cnn"  # the digit CNN a sketch model starts from
PHOTO_NETWORK = "lenet32"  # seed 004's network, trained from scratch: the lab ships no colour model to start from

_lock = threading.Lock()  # one change at a time to a collection's file within this process


def image_shape(input_kind: str) -> tuple[int, int, int]:
    """What the model sees of one sample of this kind."""
    return SKETCH_SHAPE if input_kind == "sketch" else PHOTO_SHAPE


def dataset_id(name: str) -> str:
    return f"{DATASET_PREFIX}{name}"


def new_collection_name(title: str | None) -> str:
    """A name for a new collection: the learner's words plus an unguessable token (its view link). A title that
    is an old collection's name (a downloaded zip, or the folder it unpacked to) loses its old token first."""
    title = re.sub(rf"-[0-9a-f]{{{2 * VIEW_TOKEN_BYTES}}}$", "", title.strip()) if title else title
    return linked_name(title, DEFAULT_NAME, MAX_NAME_LENGTH)


# -- names ---------------------------------------------------------------------------------------------------
def check_class_name(name: str | None, existing: Iterable[str] = ()) -> str:
    """The name trimmed, or ValueError with one sentence: 1-30 characters, not only dots, no slash, backslash or
    control character (a name must never read as a path), and unique ignoring upper and lower case. Accents are
    composed (NFC): a Mac writes 'café' in a zip as 'e' plus a combining accent, which looks the same as 'é'."""
    text = unicodedata.normalize("NFC", (name or "").strip())
    if not text:
        raise ValueError("A class needs a name.")
    if len(text) > MAX_CLASS_NAME:
        raise ValueError(f"A class name can have at most {MAX_CLASS_NAME} characters; '{text[:MAX_CLASS_NAME]}…' "
                         f"has {len(text)}.")
    if set(text) == {"."}:
        raise ValueError("A class name cannot be only dots.")
    if "/" in text or "\\" in text:
        raise ValueError(f"A class name cannot contain / or \\: '{text}' reads as a path.")
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in text):
        raise ValueError("A class name cannot contain control characters such as line breaks or tabs.")
    clash = next((other for other in existing
                  if unicodedata.normalize("NFC", other).casefold() == text.casefold()), None)
    if clash is not None:
        raise ValueError(f"There is already a class called '{clash}' (names ignore upper and lower case).")
    return text


# -- preparing a picture -----------------------------------------------------------------------------------
def read_picture(data: bytes | None, source: str = "upload") -> np.ndarray:
    """A picture's pixels (grey, RGB or RGBA) from an upload's or a camera frame's bytes, through the one safe
    image loader (not an image, truncated, a decompression bomb: one sentence each)."""
    if not data:
        raise ValueError("The camera gave no picture: take the picture again." if source == "camera"
                         else "The file is empty.")
    return to_array(load_image(data))


def prepare_sketch(pixels: np.ndarray) -> np.ndarray:
    """A drawing -> (28, 28) uint8, made as the Draw page makes a digit (ink, a 20x20 box, centred by its centre of
    mass): a sketch is a drawing like a digit, so a digit CNN's features carry over."""
    prepared = to_mnist(_checked_pixels(pixels))
    if prepared.digit is None:
        raise ValueError("No drawing found: draw the shape larger or darker.")
    return prepared.digit


def prepare_photo(pixels: np.ndarray) -> np.ndarray:
    """A photo -> (32, 32, 3) uint8: transparency laid over white, the centre square cut out (the object is
    usually in the middle), then shrunk with LANCZOS (no aliasing)."""
    image = _as_rgb(_checked_pixels(pixels))
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return np.asarray(square.resize(PHOTO_SHAPE[:2], Image.Resampling.LANCZOS), dtype=np.uint8)


def prepare(pixels: np.ndarray, input_kind: str) -> np.ndarray:
    """The image the model sees, (H, W, C) uint8, for this input kind."""
    if input_kind == "sketch":
        return prepare_sketch(pixels)[:, :, None]
    return prepare_photo(pixels)


def _checked_pixels(pixels: Any) -> np.ndarray:
    array = np.asarray(pixels) if pixels is not None else np.zeros((0, 0), np.uint8)
    if array.size == 0:
        raise ValueError("The picture is empty: draw, upload or take a picture first.")
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3, 4)):
        raise ValueError("A picture must be grey, RGB or RGBA pixels.")
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return array[:, :, 0] if array.ndim == 3 and array.shape[-1] == 1 else array


def _as_rgb(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    if image.mode == "RGBA":
        backdrop = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(backdrop, image)
    return image.convert("RGB")


def _original(pixels: np.ndarray) -> np.ndarray:
    """What was drawn or photographed, at most ORIGINAL_MAX_SIDE a side (enough to see it, and to prepare it again)."""
    array = _checked_pixels(pixels)
    if max(array.shape[:2]) <= ORIGINAL_MAX_SIDE:
        return array
    image = Image.fromarray(array)
    image.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image)


# -- trying a trained model -----------------------------------------------------------------------------------
def class_probabilities(model: Any, picture: np.ndarray, input_kind: str,
                        class_names: Sequence[str]) -> dict[str, float]:
    """Every class's probability for one picture (drawn, uploaded or photographed), prepared as the samples were;
    one direct call of the model (no `predict()` overhead)."""
    import keras

    batch = prepare(picture, input_kind)[None].astype(np.float32)
    values = keras.ops.convert_to_numpy(model(batch, training=False))[0]
    if len(values) != len(class_names):
        raise ValueError(f"The model answers {len(values)} classes, and the collection now has {len(class_names)}: "
                         "train it again.")
    return {name: round(float(value), 6) for name, value in zip(class_names, values)}


UNSURE_TOP = 0.6  # below this top probability, or ...
UNSURE_GAP = 0.15  # ... with the top two this close, the model is unsure (the page and `classes predict` alike)


def unsure_note(probabilities: dict[str, float]) -> str | None:
    """One sentence when the top probability is low or the top two are close; None when the answer is clear."""
    if not probabilities:
        return None
    ranked = sorted(probabilities, key=lambda name: probabilities[name], reverse=True)
    first = probabilities[ranked[0]]
    second = probabilities[ranked[1]] if len(ranked) > 1 else 0.0
    if first >= UNSURE_TOP and first - second >= UNSURE_GAP:
        return None
    why = (f"'{ranked[0]}' has only {first:.0%}" if first < UNSURE_TOP else
           f"'{ranked[0]}' ({first:.0%}) and '{ranked[1]}' ({second:.0%}) are close")
    return (f"The model is unsure ({why}): it only knows these {len(probabilities)} classes and always answers "
            "one of them, even for a picture of something else.")


def predict_file(path: str | Path, model: Any, input_kind: str, class_names: Sequence[str],
                 max_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """One JSON-ready result per file: `label` and `probabilities` by class name (and a `note` when unsure), or
    `error`, one sentence saying why not."""
    try:
        picture = to_array(load_image_file(path, max_bytes=max_bytes, max_side=DECODE_MAX_SIDE))
        probabilities = class_probabilities(model, picture, input_kind, class_names)
    except (ImageError, ValueError) as error:
        return {"file": str(path), "error": str(error)}
    note = unsure_note(probabilities)
    return {"file": str(path), "label": max(probabilities, key=lambda name: probabilities[name]),
            "probabilities": probabilities, **({"note": note} if note else {})}


# -- the held-out share -------------------------------------------------------------------------------------
def held_out_count(size: int, share: float = HELD_OUT_SHARE) -> int:
    """Samples of a class of `size` held out: `share` of them, at least one, and at least one left to train on."""
    return min(max(1, int(round(size * share))), size - 1) if size >= 2 else 0


def class_size_problem(name: str, size: int) -> str | None:
    """Why a class of `size` samples cannot be trained and tested on, as one sentence, or None."""
    if size == 0:
        return f"The class '{name}' has no samples yet; it needs at least 2: one to train on and one to test."
    if size < 2:
        return f"The class '{name}' has 1 sample; it needs at least 2: one to train on and one to test."
    return None


def held_out_indices(y: np.ndarray, share: float = HELD_OUT_SHARE, seed: int = 0,
                     class_names: Sequence[str] | None = None) -> np.ndarray:
    """Indices of the samples held out to test on: `share` of each class (stratified), at least one per class,
    and at least one per class left to train on. ValueError (one sentence) when a class is too small; with
    `class_names`, a class that has no samples at all counts too."""
    labels = np.asarray(y).astype(np.int64)
    classes = range(len(class_names)) if class_names is not None else sorted(set(labels.tolist()))
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for label in classes:
        rows = np.flatnonzero(labels == label)
        name = class_names[label] if class_names is not None else str(label)
        problem = class_size_problem(name, len(rows))
        if problem:
            raise ValueError(problem)
        held.append(rng.permutation(rows)[:held_out_count(len(rows), share)])
    return np.sort(np.concatenate(held)) if held else np.zeros((0,), np.int64)


def batch_size_for(train_size: int) -> int:
    """At most BATCH_SIZE, sized so that an epoch leaves out fewer samples than it has batches: training uses full
    batches only, and 24 samples in batches of 16 would leave 8 of them out of every epoch (in two of 12, none)."""
    batches = max(1, -(-train_size // BATCH_SIZE))  # ceil
    return max(1, train_size // batches)


def same_held_out(record: Any, data: Any, samples: Sequence["Sample"]) -> bool:
    """Whether a saved run (its RunRecord) was tested on the held-out part of `data` (the collection's dataset now,
    `samples` its samples): the very samples the run recorded, in the same order. A run saved before runs recorded
    them gets a guess: as many training samples, and none added since it was saved (sample ids start with the
    time), which misses a sample removed and another added in its place."""
    if record.held_out_samples is not None:
        return tuple(record.held_out_samples) == tuple(data.test_ids)
    saved = (record.created or "").replace("-", "").replace(":", "").replace(" ", "-")  # 20261130-160329
    newest = max((sample.sample_id[:15] for sample in samples), default="")
    return record.train_images in (None, len(data.y_train)) and bool(saved) and newest <= saved


# -- one collection --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """One saved sample: its class and the prepared image's file (the original lies next to it)."""

    sample_id: str
    class_name: str
    path: Path

    @property
    def original_path(self) -> Path:
        return self.path.with_name(f"{self.sample_id}{ORIGINAL_SUFFIX}")


def _write_atomic(path: Path, write: Any, suffix: str) -> None:
    """Write through `write(file)` next to the final name, then move it into place in one step."""
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_png(path: Path, pixels: np.ndarray) -> None:
    array = np.asarray(pixels, dtype=np.uint8)
    array = array[:, :, 0] if array.ndim == 3 and array.shape[2] == 1 else array
    _write_atomic(path, lambda file: Image.fromarray(array).save(file, format="PNG"), ".png")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_atomic(path, lambda file: file.write(json.dumps(data, indent=1).encode("utf-8")), ".json")


def _new_sample_id() -> str:
    now = time.time()
    return f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{int(now % 1 * 1e6):06d}-{secrets.token_hex(2)}"


class ClassCollection:
    """One named collection of classes and their samples."""

    def __init__(self, name: str | None, root: Path | None = None) -> None:
        self.name = folder_name(name, DEFAULT_NAME, MAX_NAME_LENGTH)
        self.root = Path(root if root is not None else classes_dir())
        self.path = self.root / self.name

    @property
    def dataset_id(self) -> str:
        return dataset_id(self.name)

    # -- the collection's file
    def exists(self) -> bool:
        return self._read() is not None

    def _read(self) -> dict[str, Any] | None:
        """collection.json checked (None when missing or not one the lab wrote)."""
        try:
            with open(self.path / COLLECTION_FILE, encoding="utf-8") as file:
                data = json.loads(file.read(1_000_000))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("input") not in INPUT_KINDS:
            return None
        classes, folders = data.get("classes"), data.get("folders")
        if not (isinstance(classes, list) and isinstance(folders, list) and len(classes) == len(folders)
                and all(isinstance(name, str) for name in classes)
                and all(isinstance(folder, str) and re.fullmatch(r"c-[0-9a-f]{8}", folder) for folder in folders)):
            return None
        return data

    def _data(self) -> dict[str, Any]:
        data = self._read()
        if data is None:
            raise ValueError(f"There is no collection of classes called '{self.name}'.")
        return data

    def owner_key(self) -> str | None:
        data = self._read()
        key = data.get("owner") if data else None
        return key if isinstance(key, str) and OWNER_KEY_PATTERN.match(key) else None

    def is_owned_by(self, owner: str | None) -> bool:
        """Whether `owner` may change this collection (only the owner key recorded when it was made)."""
        key = self.owner_key()
        return bool(owner) and key is not None and key == owner

    def _check_owner(self, owner: str) -> dict[str, Any]:
        data = self._data()
        if not self.is_owned_by(owner):
            raise NotOwnerError("Only the browser that made this collection can change it: you can view it, try "
                                "its models and download it, or start a collection of your own.")
        return data

    def create(self, input_kind: str, owner: str) -> "ClassCollection":
        """Make the empty collection, owned by `owner`; a name already taken is refused (never overwritten)."""
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"Unknown input kind {input_kind!r}; choose from {', '.join(INPUT_KINDS)}.")
        if not OWNER_KEY_PATTERN.match(owner or ""):
            raise ValueError("That is not an owner key the lab made.")
        self.path.mkdir(parents=True, exist_ok=True)
        data = {"input": input_kind, "classes": [], "folders": [], "owner": owner,
                "created": time.strftime("%Y-%m-%d %H:%M:%S")}
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.path)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=1)
            try:
                os.link(temporary, self.path / COLLECTION_FILE)  # a hard link never replaces an existing file
            except FileExistsError:
                raise ValueError(f"A collection called '{self.name}' already exists.") from None
        finally:
            Path(temporary).unlink(missing_ok=True)
        return self

    @property
    def input_kind(self) -> str:
        return str(self._data()["input"])

    def class_names(self) -> list[str]:
        return list(self._data()["classes"])

    def _folder(self, data: dict[str, Any], class_name: str) -> Path:
        try:
            return self.path / data["folders"][data["classes"].index(class_name)]
        except ValueError:
            raise ValueError(f"There is no class called '{class_name}' in this collection.") from None

    # -- classes
    def add_class(self, name: str, owner: str) -> str:
        """Add an empty class at the end (the next label); returns its trimmed name."""
        with _lock:
            data = self._check_owner(owner)
            name = check_class_name(name, data["classes"])
            folder = f"c-{secrets.token_hex(4)}"
            (self.path / folder).mkdir(parents=True, exist_ok=True)
            _write_json(self.path / COLLECTION_FILE, {**data, "classes": [*data["classes"], name],
                                                      "folders": [*data["folders"], folder]})
        return name

    def rename_class(self, old: str, new: str, owner: str) -> str:
        """Give a class another name (its samples and label stay); returns the trimmed new name."""
        with _lock:
            data = self._check_owner(owner)
            self._folder(data, old)
            others = [name for name in data["classes"] if name != old]
            new = check_class_name(new, others)
            classes = [new if name == old else name for name in data["classes"]]
            _write_json(self.path / COLLECTION_FILE, {**data, "classes": classes})
        return new

    def remove_class(self, name: str, owner: str) -> None:
        """Delete a class and its samples (the classes after it move up one label)."""
        with _lock:
            data = self._check_owner(owner)
            folder = self._folder(data, name)
            index = data["classes"].index(name)
            _write_json(self.path / COLLECTION_FILE, {
                **data, "classes": [other for position, other in enumerate(data["classes"]) if position != index],
                "folders": [other for position, other in enumerate(data["folders"]) if position != index]})
        shutil.rmtree(folder, ignore_errors=True)  # unlisted already: a crash here leaves only an orphan folder

    # -- samples
    def add_sample(self, class_name: str, picture: np.ndarray, owner: str) -> Sample:
        """Keep one sample of `class_name`: the picture (grey, RGB or RGBA pixels from the canvas, an upload or the
        camera, read through `read_picture`) prepared for the model, and the picture itself."""
        data = self._check_owner(owner)
        folder = self._folder(data, class_name)
        prepared = prepare(picture, data["input"])
        original = _original(picture)
        folder.mkdir(parents=True, exist_ok=True)
        sample_id = _new_sample_id()
        sample = Sample(sample_id, class_name, folder / f"{sample_id}.png")
        _write_png(sample.original_path, original)
        try:
            _write_png(sample.path, prepared)
        except BaseException:
            sample.original_path.unlink(missing_ok=True)  # no half a sample left behind
            raise
        return sample

    def remove_sample(self, sample: Sample, owner: str) -> None:
        """Delete one sample: the collection's owner only."""
        self._check_owner(owner)
        if sample.path.parent.parent != self.path:
            raise ValueError("That sample belongs to another collection.")
        sample.path.unlink(missing_ok=True)
        sample.original_path.unlink(missing_ok=True)

    def samples(self, class_name: str | None = None) -> list[Sample]:
        """Every complete sample, class by class in label order, oldest first within a class."""
        data = self._read()
        if data is None:
            return []
        found: list[Sample] = []
        for name, folder in zip(data["classes"], data["folders"]):
            if class_name is not None and name != class_name:
                continue
            directory = self.path / folder
            if not directory.is_dir():
                continue
            matches = (SAMPLE_FILE.match(path.name) for path in directory.iterdir())
            found += sorted((Sample(match.group(1), name, directory / match.group(0)) for match in matches if match),
                            key=lambda sample: sample.sample_id)
        return found

    def counts(self) -> dict[str, int]:
        """Samples per class, in label order."""
        counts = dict.fromkeys(self.class_names(), 0)
        for sample in self.samples():
            counts[sample.class_name] += 1
        return counts

    def image(self, sample: Sample, shape: tuple[int, int, int] | None = None) -> np.ndarray | None:
        """The sample's prepared image (H, W, C) uint8, or None when its file is unreadable or not of `shape` (the
        collection's, read from its file when not given)."""
        shape = shape or image_shape(self.input_kind)
        try:
            with Image.open(sample.path) as image:
                pixels = np.asarray(image.convert("L" if shape[2] == 1 else "RGB"), dtype=np.uint8)
        except (OSError, ValueError):
            return None
        pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
        return pixels if pixels.shape == shape else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """x uint8 (N, H, W, C), y uint8 (N,) labels in class order, and the class names; unreadable files are
        skipped."""
        x, y, names, _ = self._arrays_and_ids()
        return x, y, names

    def _arrays_and_ids(self) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """`arrays()` plus each row's sample id, read in one pass (so the ids are those of the rows)."""
        names = self.class_names()
        shape = image_shape(self.input_kind)
        images, labels, ids = [], [], []
        for sample in self.samples():
            pixels = self.image(sample, shape)
            if pixels is not None:
                images.append(pixels)
                labels.append(names.index(sample.class_name))
                ids.append(sample.sample_id)
        if not images:
            return np.zeros((0, *shape), np.uint8), np.zeros((0,), np.uint8), names, ids
        return np.stack(images), np.asarray(labels, dtype=np.uint8), names, ids

    def training_problem(self, counts: dict[str, int] | None = None) -> str | None:
        """Why this collection cannot be trained on yet, as one sentence, or None."""
        counts = self.counts() if counts is None else counts
        if len(counts) < MIN_CLASSES:
            return (f"A model needs at least {MIN_CLASSES} classes to tell apart; this collection has "
                    f"{len(counts)}.")
        return next((problem for name, size in counts.items() if (problem := class_size_problem(name, size))), None)

    def split_with_ids(self, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
        """(x_train, y_train, x_test, y_test, test_ids): HELD_OUT_SHARE of each class held out to test on, and the
        held-out samples' ids in the order of x_test: a run stores them, so a page can tell for certain whether
        today's held-out samples are the ones the run was tested on."""
        problem = self.training_problem()
        if problem:
            raise ValueError(problem)
        x, y, names, ids = self._arrays_and_ids()
        test = held_out_indices(y, seed=seed, class_names=names)
        train = np.setdiff1d(np.arange(len(y)), test)
        return x[train], y[train], x[test], y[test], tuple(ids[index] for index in test)

    def split_sizes(self) -> tuple[int, int]:
        """(training samples, held-out samples) as `split` will cut them (counted, not read)."""
        sizes = self.counts().values()
        held = sum(held_out_count(size) for size in sizes)
        return sum(sizes) - held, held

    # -- zip
    def zip_bytes(self) -> bytes:
        """The whole collection as a zip: `<name>/<class>/` with both images of every sample, and
        `<name>/collection.json` (input kind and class order; never the owner)."""
        data = self._data()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.name}/{COLLECTION_FILE}",
                             json.dumps({"input": data["input"], "classes": data["classes"]}, indent=1))
            for sample in self.samples():
                for path in (sample.path, sample.original_path):
                    if path.is_file():
                        archive.write(path, f"{self.name}/{sample.class_name}/{path.name}")
        return out.getvalue()


NOT_YOURS_TO_TRAIN = ("Only the browser that made this collection can train on it: download it (.zip) and open "
                      "the zip as a collection of your own to train a model of yours.")


def check_may_train(dataset: str, owner: str) -> None:
    """NotOwnerError (one sentence) when `dataset` is a collection that `owner` did not make: its runs appear on
    the collection's page for everyone with the link, so only its owner adds them. Other datasets pass."""
    _check_owner(dataset, owner, NOT_YOURS_TO_TRAIN)


def check_may_change_runs(dataset: str, owner: str) -> None:
    """NotOwnerError (one sentence) when `dataset` is a collection that `owner` did not make: its trained models
    are the owner's to delete, as its samples are the owner's to change. Other datasets pass."""
    _check_owner(dataset, owner, "Only the browser that made this collection can delete its models.")


def _check_owner(dataset: str, owner: str, refusal: str) -> None:
    collection = collection_for(dataset)
    if collection is not None and not collection.is_owned_by(owner):
        raise NotOwnerError(refusal)


# -- importing ------------------------------------------------------------------------------------------------
def collection_for(dataset: str, root: Path | None = None) -> ClassCollection | None:
    """The collection behind a dataset id "classes:<name>" that exists, else None (also for a name that is not
    a collection's own spelling, so an id can never reach outside the classes folder)."""
    if not dataset.startswith(DATASET_PREFIX):
        return None
    name = dataset[len(DATASET_PREFIX):]
    collection = ClassCollection(name, root)
    return collection if collection.name == name and collection.exists() else None


def owned_collections(owner: str, root: Path | None = None) -> list[ClassCollection]:
    """The collections `owner` made, newest first (a returning browser finds its own without a link)."""
    base = Path(root if root is not None else classes_dir())
    found = [ClassCollection(path.name, base) for path in base.iterdir()
             if path.is_dir() and not path.name.startswith(".")] if base.is_dir() else []
    mine = [collection for collection in found if collection.name == collection.path.name
            and collection.is_owned_by(owner)]
    return sorted(mine, key=lambda collection: (collection.path / COLLECTION_FILE).stat().st_mtime, reverse=True)


def import_zip(data: bytes, owner: str, input_kind: str | None = None, title: str | None = None,
               root: Path | None = None) -> ClassCollection:
    """A new collection, owned by `owner`, from a zip of one folder per class (such as `zip_bytes` makes; one
    folder around them all is fine). Checked before anything is kept: at most MAX_ZIP_FILES files and
    MAX_ZIP_BYTES unpacked, no absolute path or `..`, every image inside one class folder, class names by the
    usual rules, every image through the safe loader. `input_kind` is needed when the zip has no
    collection.json."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise ValueError("This file is not a zip archive that can be read.") from None
    with archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        if len(entries) > MAX_ZIP_FILES:
            raise ValueError(f"The zip holds {len(entries):,} files; the limit is {MAX_ZIP_FILES:,}.")
        if sum(entry.file_size for entry in entries) > MAX_ZIP_BYTES:
            raise ValueError(f"The zip unpacks to more than {MAX_ZIP_BYTES / 1e6:.0f} MB, the limit.")
        paths = {entry.filename: _safe_parts(entry.filename) for entry in entries}
        wanted = {name: parts for name, parts in paths.items() if not _ignored(parts)}
        budget = [MAX_ZIP_BYTES]

        def read(name: str) -> bytes:
            with archive.open(name) as file:
                content = file.read(budget[0] + 1)  # a header's size could lie
            budget[0] -= len(content)
            if budget[0] < 0:
                raise ValueError(f"The zip unpacks to more than {MAX_ZIP_BYTES / 1e6:.0f} MB, the limit.")
            return content

        try:
            return _import(wanted, read, owner, input_kind, title, root)
        except (zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError):
            raise ValueError("The zip is damaged or uses a compression the lab cannot read.") from None


def import_folder(folder: Path, owner: str, input_kind: str, title: str | None = None,
                  root: Path | None = None) -> ClassCollection:
    """A new collection, owned by `owner`, from a folder holding one sub-folder of images per class (the CLI's
    `classes train DIR`), with the same checks as a zip."""
    from webapp.files import MAX_FILE_BYTES, read_file_capped

    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder: give a folder with one sub-folder of images per class.")
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    if len(files) > MAX_ZIP_FILES:
        raise ValueError(f"The folder holds {len(files):,} files; the limit is {MAX_ZIP_FILES:,}.")
    if sum(path.stat().st_size for path in files) > MAX_ZIP_BYTES:
        raise ValueError(f"The folder's files add up to more than {MAX_ZIP_BYTES / 1e6:.0f} MB, the limit.")
    wanted = {path.relative_to(folder).as_posix(): path.relative_to(folder).parts for path in files}
    wanted = {name: parts for name, parts in wanted.items() if not _ignored(parts)}
    return _import(wanted, lambda name: read_file_capped(folder / name, MAX_FILE_BYTES, what="image file"),
                   owner, input_kind, title or folder.name, root)


def _safe_parts(name: str) -> tuple[str, ...]:
    """A zip member's path as parts; an absolute path, a drive, a backslash or `..` is refused with a sentence."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise ValueError(f"The zip names a file outside its folder ({name!r}); nothing was imported.")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise ValueError(f"The zip names a file outside its folder ({name!r}); nothing was imported.")
    return tuple(part for part in parts if part != ".")


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(part in IGNORED_ENTRIES for part in parts) or parts[-1].startswith("._")


def _import(entries: dict[str, tuple[str, ...]], read: Any, owner: str, input_kind: str | None,
            title: str | None, root: Path | None) -> ClassCollection:
    """Check the layout, build the collection in a hidden folder, and move it into place in one step."""
    entries = _strip_common_folder(entries)
    manifest = _manifest(entries, read)
    kind = input_kind or manifest.get("input")
    if kind not in INPUT_KINDS:
        raise ValueError("Say whether these are sketches or photos: the zip has no collection.json.")
    by_class = _files_by_class(entries)
    order = [name for name in manifest.get("classes", []) if name in by_class]
    order += sorted(name for name in by_class if name not in order)
    names: list[str] = []
    for name in order:
        names.append(check_class_name(name, names))
    if len(names) < MIN_CLASSES:
        raise ValueError(f"A collection needs at least {MIN_CLASSES} classes, one folder each; this one has "
                         f"{len(names)}.")
    base = Path(root if root is not None else classes_dir())
    base.mkdir(parents=True, exist_ok=True)
    building = ClassCollection(f"{DEFAULT_NAME}-{secrets.token_hex(6)}", base)
    building.path = Path(tempfile.mkdtemp(prefix=".tmp-import-", dir=base))
    try:
        building.create(kind, owner)
        for name, folder_label in zip(names, order):
            building.add_class(name, owner)
            members = by_class[folder_label]
            present = {PurePosixPath(member).name for member in members}
            for member in members:
                _import_file(building, name, member, present, read, owner)
        final = ClassCollection(new_collection_name(title), base)
        os.rename(building.path, final.path)  # fails rather than replace an existing collection
    except BaseException:
        shutil.rmtree(building.path, ignore_errors=True)
        raise
    return final


def _strip_common_folder(entries: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """`name/circle/a.png` -> `circle/a.png` when every file sits in one folder around the classes."""
    tops = {parts[0] for parts in entries.values()}
    if len(tops) == 1 and all(len(parts) >= 2 for parts in entries.values()) and any(
            len(parts) >= 3 for parts in entries.values()):
        return {name: parts[1:] for name, parts in entries.items()}
    return entries


def _manifest(entries: dict[str, tuple[str, ...]], read: Any) -> dict[str, Any]:
    """collection.json at the top, if there (input kind and class order), else {}."""
    member = next((name for name, parts in entries.items() if parts == (COLLECTION_FILE,)), None)
    if member is None:
        return {}
    try:
        data = json.loads(read(member).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"The {COLLECTION_FILE} in the zip cannot be read.") from None
    if not isinstance(data, dict):
        raise ValueError(f"The {COLLECTION_FILE} in the zip cannot be read.")
    classes = data.get("classes")
    names = [name for name in classes if isinstance(name, str)] if isinstance(classes, list) else []
    return {"input": data.get("input"), "classes": names}


def _files_by_class(entries: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The members of each class folder; a file outside a class folder, or deeper, is refused."""
    by_class: dict[str, list[str]] = {}
    for name, parts in sorted(entries.items()):
        if parts == (COLLECTION_FILE,):
            continue
        if len(parts) != 2:
            raise ValueError(f"Every image must sit in one folder per class, and '{name}' does not.")
        by_class.setdefault(parts[0], []).append(name)
    return by_class


def _import_file(collection: ClassCollection, class_name: str, member: str, present: set[str], read: Any,
                 owner: str) -> None:
    """One image into the class; a prepared copy (`<id>.png` next to its `<id>-original.png`, among the
    `present` file names of its folder) is skipped, since the original is prepared again."""
    match = SAMPLE_FILE.match(PurePosixPath(member).name)
    if match and f"{match.group(1)}{ORIGINAL_SUFFIX}" in present:
        return
    try:
        picture = to_array(load_image(read(member)))
        collection.add_sample(class_name, picture, owner)
    except (ImageError, ValueError) as error:
        raise ValueError(f"'{member}' cannot be used: {_lower_first(str(error))}") from None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
