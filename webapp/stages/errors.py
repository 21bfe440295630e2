"""StageError, the one exception every stage module raises for a setting or input it cannot use.

Its own module so that kernels, planning and compute can all raise it without importing one another; the
pages and the CLI catch it and show its message, one sentence, as it is.
"""
from __future__ import annotations


class StageError(ValueError):
    """A setting or input the stages cannot use; the message is one sentence for the user."""
