"""The dataset catalog: every image set the lab trains and tests on, described as data.

An entry (`DatasetInfo`) says everything a page or a command needs without reading the file: a label, the class
names, the image shape, the file under `data/`, the licence line and published reference accuracies. `load(name)`
reads one. A *view* is an entry made from another one (some of its classes, relabelled 0..k-1, as the transfer
cases need), so its images are picked from the parent's arrays at load time, never copied on disk. The learner's
own digit collections are one more source returning the same `Dataset`
(`webapp.own_digits.Collection.as_dataset`), and a collection of the learner's own classes is a dataset by its id
"classes:<name>" (`webapp.classes`: `get`, `load` and `known` resolve it).

Adding a dataset: put its `.npz` (Keras layout: x_train, y_train, x_test, y_test) under `data/` with its
provenance in `data/README.md`, and add one `DatasetInfo` to `CATALOG` below.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from webapp.paths import DATA_DIR

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
DEFAULT_DATASET = "mnist"


class DataMissingError(RuntimeError):
    """A dataset's file is absent or is not a dataset file."""


class UnknownDatasetError(LookupError):
    """A dataset id the catalog does not list."""


@dataclass(frozen=True)
class DatasetInfo:
    """What the lab knows about a dataset before reading it."""

    name: str  # the id runs record and commands take: `--dataset mnist`
    label: str  # how pages name it
    class_names: tuple[str, ...]  # by label: class_names[3] is what label 3 means
    image_shape: tuple[int, int, int]  # (height, width, channels) of one image
    file: str  # under data/ (a view names its parent's file)
    licence: str  # one line: who made it, under which licence
    train_size: int
    test_size: int
    # Published test accuracies to compare a run with: (who, what, accuracy).
    reference_accuracies: tuple[tuple[str, float], ...] = ()
    fallback_paths: tuple[Path, ...] = ()  # where else a copy may already be (Keras's cache)
    parent: str = ""  # a view: the entry its images come from ...
    parent_classes: tuple[int, ...] = ()  # ... and which of the parent's labels, in the order of this view's labels
    item: str = "image"  # what one image shows ("digit", "garment"), for sentences such as "60,000 training digits"

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_view(self) -> bool:
        return bool(self.parent)

    @property
    def path(self) -> Path:
        return DATA_DIR / self.file


def subset_view(parent: DatasetInfo, classes: tuple[int, ...], name: str, label: str) -> DatasetInfo:
    """An entry showing only `classes` of `parent`, relabelled 0..len(classes)-1 in that order. Its sizes are
    summed from the parent's published class counts (`_CLASS_COUNTS`), so the view knows them without reading
    the file."""
    return replace(parent, name=name, label=label, class_names=tuple(parent.class_names[c] for c in classes),
                   parent=parent.name, parent_classes=classes, reference_accuracies=(), fallback_paths=(),
                   train_size=_class_total(parent.name, "train", classes),
                   test_size=_class_total(parent.name, "test", classes))


# Images per class as published, so a view knows its size without reading the file.
_CLASS_COUNTS = {
    ("mnist", "train"): (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    ("mnist", "test"): (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    ("fashion", "train"): (6000,) * 10,
    ("fashion", "test"): (1000,) * 10,
}


def _class_total(parent: str, part: str, classes: tuple[int, ...]) -> int:
    counts = _CLASS_COUNTS.get((parent, part))
    return sum(counts[c] for c in classes) if counts else 0


MNIST = DatasetInfo(
    name="mnist",
    label="MNIST handwritten digits",
    class_names=tuple(str(digit) for digit in range(10)),
    image_shape=(28, 28, 1),
    file="mnist.npz",
    licence="MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0",
    train_size=60_000,
    test_size=10_000,
    reference_accuracies=(("Linear classifier (LeCun et al., 1998)", 0.880),
                          ("LeNet-5 (LeCun et al., 1998)", 0.9905),
                          ("35 convnets voting (Ciresan et al., 2012)", 0.9977)),
    fallback_paths=(Path("~/.keras/datasets/mnist.npz").expanduser(),),
    item="digit",
)

@dataclass(frozen=True)
class Dataset:
    """A dataset's arrays: uint8 images (N, H, W) or (N, H, W, C) and integer labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo = field(default=MNIST, compare=False)  # arrays handed in without an entry are MNIST-like
    # A learner's collection of classes only: the held-out samples' ids, in the order of x_test (a run keeps them)
    test_ids: tuple[str, ...] = field(default=(), compare=False)


FASHION = DatasetInfo(
    name="fashion",
    label="Fashion-MNIST clothes",
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"),
    image_shape=(28, 28, 1),
    file="fashion-mnist.npz",
    licence="Fashion-MNIST, Copyright 2017 Zalando SE, MIT licence",
    train_size=60_000,
    test_size=10_000,
    # Published reference points, from the dataset's own README (Xiao, Rasul and Vollgraf, 2017).
    reference_accuracies=(("Humans (Zalando's survey)", 0.835),
                          ("A multilayer perceptron (MLP)", 0.885),
                          ("A 2-layer CNN", 0.915)),
    item="garment",
)

CATALOG: dict[str, DatasetInfo] = {info.name: info for info in (
    MNIST,
    FASHION,
    subset_view(MNIST, (0, 1, 2, 3, 4), "mnist-0-4", "MNIST digits 0-4"),
    subset_view(MNIST, (5, 6, 7, 8, 9), "mnist-5-9", "MNIST digits 5-9"),
)}


CLASSES_PREFIX = "classes:"  # a learner's collection of named classes: "classes:<name>" (webapp.classes)


def get(name: str) -> DatasetInfo:
    """The catalog entry `name` (or the learner's collection "classes:<name>"), or UnknownDatasetError with a
    sentence listing the ids."""
    if name.startswith(CLASSES_PREFIX):
        return classes_info(name)
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownDatasetError(f"Unknown dataset {name!r}; choose from {', '.join(CATALOG)}.") from None


def known(name: str) -> bool:
    """Whether `name` is a dataset a run can train on: a catalog entry, or a collection of classes that exists."""
    if name.startswith(CLASSES_PREFIX):
        from webapp.classes import collection_for

        return collection_for(name) is not None
    return name in CATALOG


def classes_info(name: str) -> DatasetInfo:
    """The entry of a learner's collection of classes: its class names and image shape, and the sizes of the
    training part and of the held-out part (which is its test set)."""
    from webapp import classes

    collection = classes.collection_for(name)
    if collection is None:
        raise UnknownDatasetError(f"There is no collection of classes called {name[len(CLASSES_PREFIX):]!r}.")
    train_size, test_size = collection.split_sizes()
    return DatasetInfo(name=name, label=f"your classes '{collection.name}'",
                       class_names=tuple(collection.class_names()),
                       image_shape=classes.image_shape(collection.input_kind), file="",
                       licence="Your own samples", train_size=train_size, test_size=test_size, item="sample")


def with_files() -> list[DatasetInfo]:
    """The entries that have a file of their own (not the views): what the Home page and the sidebar check."""
    return [info for info in CATALOG.values() if not info.is_view]


def trainable() -> list[str]:
    """Every dataset id a run can train on (all of them: views too)."""
    return list(CATALOG)


def find(name: str) -> Path | None:
    """The first copy of the dataset's file on disk, without reading it (cheap enough for the Home page)."""
    info = get(name)
    if info.is_view:
        return find(info.parent)
    return next((path for path in (info.path, *info.fallback_paths) if path.is_file()), None)


def read_npz(path: Path, info: DatasetInfo) -> Dataset:
    """Read a Keras-layout `.npz`; `allow_pickle=False` so a hostile file cannot run code."""
    with np.load(path, allow_pickle=False) as arrays:
        missing = [key for key in NPZ_KEYS if key not in arrays]
        if missing:
            raise DataMissingError(f"{path} is not a {info.label} file: it lacks {', '.join(missing)}.")
        x_train, y_train, x_test, y_test = (np.asarray(arrays[key]) for key in NPZ_KEYS)
        return Dataset(x_train, y_train, x_test, y_test, info=info)


def load(name: str = DEFAULT_DATASET, path: Path | None = None) -> Dataset:
    """The dataset `name` from `path`, else from the project's `data/` (or a known fallback copy)."""
    info = get(name)
    if name.startswith(CLASSES_PREFIX):
        return _load_classes(info)
    if info.is_view:
        return _select(load(info.parent, path), info)
    if path is not None:
        if not Path(path).is_file():
            raise DataMissingError(f"The {info.label} file {path} does not exist.")
        return read_npz(Path(path), info)
    found = find(name)
    if found is None:
        raise DataMissingError(f"{info.label} is missing: put {info.file} at {info.path}.")
    return read_npz(found, info)


def _load_classes(info: DatasetInfo) -> Dataset:
    """A collection of classes: the training part, and the held-out part (stratified) as the test set, so a run's
    test accuracy is its held-out accuracy. A collection too small to split gets one sentence (ValueError)."""
    from webapp.classes import collection_for

    collection = collection_for(info.name)
    if collection is None:
        raise UnknownDatasetError(f"There is no collection of classes called {info.name[len(CLASSES_PREFIX):]!r}.")
    x_train, y_train, x_test, y_test, test_ids = collection.split_with_ids()
    return Dataset(x_train, y_train, x_test, y_test, info=info, test_ids=test_ids)


def _select(parent: Dataset, info: DatasetInfo) -> Dataset:
    """The view's classes out of the parent's arrays, relabelled in the view's order."""
    relabel = np.full(max(int(parent.y_train.max(initial=0)), max(info.parent_classes)) + 1, -1, dtype=np.int64)
    relabel[list(info.parent_classes)] = np.arange(len(info.parent_classes))

    def part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = np.isin(y, info.parent_classes)
        return x[keep], relabel[y[keep]].astype(y.dtype)

    return Dataset(*part(parent.x_train, parent.y_train), *part(parent.x_test, parent.y_test), info=info)
