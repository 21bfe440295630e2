"""Shared, read-only resources cached for the whole server: datasets, stores, loaded models and layer tables."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from webapp import summary
from webapp.architectures import Design
from webapp import datasets
# Imported here, at the top, though only the training pages use the queue: webapp.jobs imports Keras, and this
# module's import lock makes the first page of a fresh server import TensorFlow once while the other visitors'
# threads wait. Imported lazily inside functions instead, nine visitors' first pages imported it at once and one
# page could hang (tests/e2e/test_concurrent_visitors.py). Costs Augment's first visit the TensorFlow import.
from webapp.jobs import JobQueue, machine_queue
from webapp.store import Listing, RunInfo, RunStore, UnreadableRunError
from webapp.ui import identity


def dataset(name: str) -> datasets.Dataset:
    """A dataset for a page: a catalog file read once per server; a learner's collection of classes read afresh,
    since its samples change while the server runs (a few hundred small images: cheap)."""
    if name.startswith(datasets.CLASSES_PREFIX):
        return datasets.load(name)
    return _catalog_dataset(name)


@st.cache_resource(show_spinner="Loading the dataset...", max_entries=4)
def _catalog_dataset(name: str) -> datasets.Dataset:
    """Read once per server (cache_resource: no copy per rerun, and nobody writes to it)."""
    return datasets.load(name)


def mnist() -> datasets.Dataset:
    """MNIST itself, for the digit pages (Draw & Predict's test images, Augment's digits)."""
    return dataset("mnist")


def store() -> RunStore:
    """The runs store (cheap: it reads folders on demand, so new runs show up at once)."""
    return RunStore()


def visible_runs() -> Listing:
    """The saved runs this browser lists: the shipped ones, those made with the command line, and its own
    (`RunRecord.visible_to`); another visitor's runs are reached only through their job's link."""
    listing = store().list()
    key = identity.visitor_key()
    return replace(listing, runs=[info for info in listing.runs if info.record.visible_to(key)])


@st.cache_resource(show_spinner="Loading model...", max_entries=8)
def run_model(run_id: str, _signature: float) -> Any:
    """A saved model, loaded once; `_signature` (the folder's mtime) refreshes it if the run is replaced."""
    return store().load_model(run_id)


def model_of(info: RunInfo) -> Any:
    """The run's model from the cache, keyed by its folder's mtime; a run deleted meanwhile is a LookupError."""
    try:
        signature = info.path.stat().st_mtime
    except OSError:
        raise UnreadableRunError(f"The run {info.run_id} has just been deleted: pick another.") from None
    return run_model(info.run_id, signature)


def queue() -> JobQueue:
    """The machine-wide training queue (a process singleton, shared by every browser session)."""
    return machine_queue()


@st.cache_data(show_spinner="Counting the network's layers...")
def network_table(name: str) -> summary.NetworkTable:
    """A listed network's layer table (the tables are cached, never the models: VGG16's weights alone are 550 MB)."""
    return summary.network_table(name)


@st.cache_data(show_spinner="Counting the design's layers...", max_entries=64)
def design_table(design: Design) -> summary.NetworkTable:
    return summary.design_table(design)


@st.cache_data(show_spinner="Building the recipes from the source network...", max_entries=64)
def recipe_layers(run_id: str, signature: float, recipe: str, classes: int) -> tuple[list[Any], int, int]:
    """What a transfer recipe does with each layer of the source run's network (`webapp.transfer.LayerRole`s),
    and the built network's (trainable, frozen) weights: for the Transfer page's diagrams, built once per source
    run (its folder's mtime, `signature`, refreshes it), recipe and number of target classes."""
    from webapp import transfer

    model, roles = transfer.build_recipe(recipe, run_model(run_id, signature), classes)
    trainable, frozen = transfer.parameter_split(model)
    return roles, trainable, frozen
