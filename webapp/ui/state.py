"""Session-state keys and the query parameters that survive a browser reload."""
from __future__ import annotations

from typing import Any

import streamlit as st

JOB_PARAM = "job"
# The pipeline built on the Augment page, as Albumentations' serialised dict (`A.to_dict`), so the Train page
# can train with it in the same browser session.
AUGMENT_PIPELINE_KEY = "augment_pipeline"


def current_job_id(param: str = JOB_PARAM) -> str | None:
    """The job this page follows; kept in the URL so a reload reconnects to it."""
    return st.query_params.get(param)


def follow_job(job_id: str | None, param: str = JOB_PARAM) -> None:
    if job_id:
        st.query_params[param] = job_id
    elif param in st.query_params:
        del st.query_params[param]


def settings_preset() -> str | None:
    """The named settings preset in the URL (`?preset=tutorial`), or None (also for a name not in the catalog)."""
    from webapp.presets import PRESETS

    name = st.query_params.get("preset")
    return name if name in PRESETS else None


def preset(name: str, allowed: list[Any], default: Any) -> Any:
    """A form default taken from the URL (`?images=6000&epochs=2`), so a teacher can share a ready setup.

    Values not among `allowed` are ignored; for lists (`models=dnn,cnn`) each item must be allowed.
    """
    raw = st.query_params.get(name)
    if raw is None:
        return default
    if isinstance(default, list):
        items = [item for item in raw.split(",") if item]
        return items if items and all(item in allowed for item in items) else default
    for option in allowed:
        if str(option) == raw:
            return option
    return default
