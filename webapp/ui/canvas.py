"""The one adapter around streamlit-drawable-canvas: keyword arguments only, ink read from alpha.

The canvas stays mounted for the whole visit. Remounting it to clear it (a new widget key) left a moment in
which a new stroke fell on nothing and dragged a text selection across the page instead. Clearing has two
halves instead:

* in the browser, pressing any enabled button inside a `clearing_buttons` container presses the canvas's own
  "Reset canvas & history" at once (a small script, `_CANVAS_SCRIPT`), before the next stroke can start;
* in Python, `clear_canvas` forgets one drawing (by its `drawing_id`), so the run that follows the press, which
  may still receive the old ink, shows none of it and cannot save it twice.

The same script sends each stroke the moment the pen lifts: the component itself waits 200 ms after a stroke
before telling the app (to merge quick strokes into one update), which was most of the time a learner waited for
Draw's readings. On pen-up the script presses the component's own "Update the app with this drawing" button, which
sends at once and cancels the component's pending update, so nothing is sent twice.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_drawable_canvas import st_canvas

CANVAS_SIZE = 280
PAPER = "#ffffff"
_TRACK = "_drawings"  # session key suffix: see _track
_CLEARS = "-clears-"  # in a container's key: its buttons clear the canvas named before it

# Presses the canvas's own reset button (inside the component's open shadow root) when an enabled button or pill
# in a container keyed "<canvas key>-clears-<name>" is clicked, and its "Update the app" button when a stroke ends
# on a canvas (25 ms later: after the component has finished the stroke). Installed once per browser tab.
_CANVAS_SCRIPT = """<script>
if (!window.convnetLabCanvasScript) {
  window.convnetLabCanvasScript = true;
  let pending = null;  // one send per pen-up, whichever of its pointer, mouse and touch events come
  const sendStroke = (event) => {
    const path = event.composedPath();
    if (!path.some((node) => node instanceof HTMLCanvasElement)) return;  // not a stroke: a toolbar button
    const host = path.find((node) => node.dataset?.testid === "stBidiComponentIsolated");
    const send = host?.shadowRoot?.querySelector('button[aria-label="Update the app with this drawing"]');
    if (!send) return;
    clearTimeout(pending);
    pending = setTimeout(() => send.click(), 25);
  };
  for (const type of ["pointerup", "mouseup", "touchend"]) document.addEventListener(type, sendStroke, true);
  document.addEventListener("click", (event) => {
    const button = event.target.closest('button[data-testid^="stBaseButton"], button[data-variant]');
    if (!button || button.disabled) return;  // a button or a pill; not a help icon
    for (let box = button.parentElement; box; box = box.parentElement) {
      const match = [...box.classList].map((name) => name.match(/^st-key-(.+)-clears-/)).find(Boolean);
      if (!match) continue;
      const host = document.querySelector(`.st-key-${CSS.escape(match[1])} [data-testid=stBidiComponentIsolated]`);
      const reset = host?.shadowRoot?.querySelector('button[aria-label="Reset canvas & history"]');
      if (reset) reset.click();
      return;
    }
  }, true);
}
</script>"""


def drawing_canvas(key: str, stroke_width: int) -> np.ndarray | None:
    """A square canvas with a transparent background; returns the (H, W, 4) RGBA drawing, or None (nothing
    drawn yet, or the drawing was just saved or cleared).

    The drawing reaches Python when the pen, finger or mouse lifts. The component's toolbar (undo, redo,
    reset) floats just above the canvas on hover, so the container leaves room for it there.
    """
    _page_style(key)
    with st.container(key=f"{key}-area"):
        result = st_canvas(stroke_width=stroke_width, stroke_color="#000000", background_color="",
                           update_streamlit=True, height=CANVAS_SIZE, width=CANVAS_SIZE, drawing_mode="freedraw",
                           return_image_data=True, key=key)
    pixels = None if result.image_data is None else np.asarray(result.image_data, dtype=np.uint8)
    _note_drawing(key, result.json_data)
    return None if drawing_id(key) == _track(key)["forgotten"] else pixels


def clearing_buttons(canvas_key: str, name: str, **layout: Any) -> DeltaGenerator:
    """A container (`layout`: st.container's arguments) whose buttons empty `canvas_key`'s canvas in the browser
    the moment they are pressed; their callbacks should call `clear_canvas`. Keep other widgets out of it."""
    return st.container(key=f"{canvas_key}{_CLEARS}{name}", **layout)


def drawing_id(key: str) -> str | None:
    """Which drawing this run read from `key`'s canvas: a count of the changes seen, and the strokes."""
    return _track(key)["read"]


def clear_canvas(key: str, drawing: str | None = None) -> None:
    """Forget drawing `drawing` (an id from `drawing_id`; by default the one the page last read) of `key`'s canvas:
    no run reads that ink again (the browser empties the canvas itself, see `clearing_buttons`). Safe to call
    from a widget callback."""
    track = _track(key)
    track["forgotten"] = drawing or track["read"]


def _track(key: str) -> dict[str, Any]:
    """What the page knows of `key`'s canvas. One dict, changed in place: with fast reruns off, a session-state
    assignment is where a waiting rerun cuts in, and a half-noted drawing would be read as new again."""
    return st.session_state.setdefault(key + _TRACK, {"changes": 0, "strokes": None, "read": None, "forgotten": None})


def _note_drawing(key: str, drawing: dict[str, Any] | None) -> None:
    """Count each change of strokes, so the same strokes drawn again later get a new id."""
    track, strokes = _track(key), _fingerprint(drawing)
    if strokes != track["strokes"]:
        track.update(changes=track["changes"] + 1, strokes=strokes)
    track["read"] = f"{track['changes']}:{strokes}"


def _fingerprint(drawing: dict[str, Any] | None) -> str:
    """The same strokes give the same fingerprint; any new stroke changes it."""
    objects = (drawing or {}).get("objects", [])
    return hashlib.sha1(json.dumps(objects, sort_keys=True).encode()).hexdigest()


def _page_style(key: str) -> None:
    """Room above the canvas for its hover toolbar, no text selection around it, paper behind the transparent
    canvas (black ink reads in the light and the dark theme alike; the ink is read from alpha, so the paper is
    never part of the drawing), and the script that clears it and sends strokes at pen-up."""
    st.html(f"<style>.st-key-{key}-area {{padding-top: 1.6rem; user-select: none; -webkit-user-select: none;}}"
            f".st-key-{key}-area [data-testid=stBidiComponentIsolated] {{background: {PAPER}; "
            f"width: {CANVAS_SIZE}px; max-width: 100%;}}</style>")
    if st.context.headers:  # a real browser (AppTest has none to run the script)
        st.html(_CANVAS_SCRIPT, unsafe_allow_javascript=True)
