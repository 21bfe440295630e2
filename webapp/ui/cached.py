"""Shared, read-only resources cached for the whole server: datasets, stores and loaded models."""
from __future__ import annotations

from typing import Any

import streamlit as st

from webapp.data import Mnist, load_mnist
from webapp.jobs import JobQueue, machine_queue
from webapp.store import RunStore


@st.cache_resource(show_spinner="Loading MNIST...")
def mnist() -> Mnist:
    """MNIST read once per server (cache_resource: no copy per rerun, and nobody writes to it)."""
    return load_mnist()


def store() -> RunStore:
    """The runs store (cheap: it reads folders on demand, so new runs show up at once)."""
    return RunStore()


@st.cache_resource(show_spinner="Loading model...", max_entries=8)
def run_model(run_id: str, _signature: float) -> Any:
    """A saved model, loaded once; `_signature` (the folder's mtime) refreshes it if the run is replaced."""
    return store().load_model(run_id)


def queue() -> JobQueue:
    """The machine-wide training queue (a process singleton, shared by every browser session)."""
    return machine_queue()
