"""The one adapter around streamlit-drawable-canvas: keyword arguments only, ink read from alpha."""
from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

CANVAS_SIZE = 280
_GENERATION = "canvas_generation"


def drawing_canvas(key: str, stroke_width: int) -> np.ndarray | None:
    """A square canvas with a transparent background; returns the (H, W, 4) RGBA drawing, or None.

    The drawing reaches Python on mouse-up. Clearing bumps a generation number in the key, which mounts a
    fresh, truly empty canvas (the widget's own reset only empties the browser side).
    """
    generation = st.session_state.setdefault(f"{key}_{_GENERATION}", 0)
    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color="#000000",
        background_color="",
        update_streamlit=True,
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{key}_{generation}",
    )
    return None if result.image_data is None else np.asarray(result.image_data, dtype=np.uint8)


def clear_canvas(key: str) -> None:
    """Empty the canvas for real: the next run mounts a new one."""
    st.session_state[f"{key}_{_GENERATION}"] = st.session_state.get(f"{key}_{_GENERATION}", 0) + 1
