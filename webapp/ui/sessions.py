"""Keeps one visitor's script run from resetting what another visitor's run is doing.

After every script run Streamlit calls `keras.backend.clear_session()` and `matplotlib.pyplot.close("all")`
(`script_runner._clean_problem_modules`). Both act on the whole server process, while every visitor's
script runs in its own thread at the same time (see webapp/keras_state.py for what that broke). The lab
replaces that clean-up with one limited to the thread that finished; it draws its charts with Altair and
never keeps pyplot figures, so there are none to close.
"""
from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner


def clean_up_after_run() -> None:
    """Streamlit's clean-up after a script run, for the finishing thread only. A page that never imported Keras
    (Home) has nothing to clear: importing it here would load TensorFlow into every server for nothing."""
    if "keras" in sys.modules:
        from webapp.keras_state import clear_this_thread

        clear_this_thread()


def keep_sessions_apart() -> None:
    """Install `clean_up_after_run` in place of Streamlit's process-wide clean-up (idempotent)."""
    if hasattr(script_runner, "_clean_problem_modules"):  # tests/unit/test_concurrent_sessions.py checks it exists
        script_runner._clean_problem_modules = clean_up_after_run
