"""Errors as users read them: one sentence, never a traceback (kept free of heavy imports for the CLI)."""
from __future__ import annotations


def describe_error(error: BaseException, doing: str = "Training") -> str:
    """One sentence for the user: our own errors already are one, a missing file is named, others get their
    type named after what failed (`doing`)."""
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"No such file or folder: {error.filename}."
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, (ValueError, LookupError, RuntimeError, OSError)) and text:
        return text if text.endswith(".") else text + "."
    return f"{doing} failed: {type(error).__name__}{': ' + text[:200] if text else ''}."
