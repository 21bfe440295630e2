"""Keras's working state belongs to one thread; clearing it must not reach into the other visitors' threads.

Keras 3 keeps layer-name counters, the dtype policy, the open name scopes and the active StatelessScope in
a `threading.local`. `keras.backend.clear_session()` does not empty that object: it replaces it, which
empties the state of every thread at once. Streamlit calls it after each script run of each visitor, so
one visitor's rerun used to wipe another's model build halfway: the name counters restarted ("The name
"conv2d" is used 3 times in the model"), a StatelessScope vanished (VGG16 then filled 550 MB of random
weights), a dtype policy fell back to float32. `clear_this_thread` does what clear_session means for the
thread that calls it, and nothing to the others.
"""
from __future__ import annotations


def clear_this_thread() -> None:
    """Forget the calling thread's Keras state (names restart, scopes close); other threads keep theirs."""
    from keras.src.backend.common import global_state  # Keras exports no per-thread reset

    vars(global_state.GLOBAL_STATE_TRACKER).clear()  # a threading.local: vars() is this thread's own dict
