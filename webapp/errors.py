"""Errors as users read them: one sentence, never a traceback (kept free of heavy imports for the CLI)."""
from __future__ import annotations

import errno

DISK_FULL = "The lab could not save: its disk is full."
DISK_READ_ONLY = "The lab could not save: its disk is read-only."
NO_PERMISSION = "The lab could not save: it may not write to its folder."
DISK_ERRORS = {errno.ENOSPC: DISK_FULL, errno.EDQUOT: DISK_FULL, errno.EROFS: DISK_READ_ONLY,
               errno.EACCES: NO_PERMISSION, errno.EPERM: NO_PERMISSION}


def disk_problem(error: BaseException | None) -> str | None:
    """The sentence for a full, read-only or forbidden disk, found also where a library wrapped the OSError."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_ERRORS:
            return DISK_ERRORS[error.errno]
        text = str(error)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return DISK_FULL
        if "Read-only file system" in text:
            return DISK_READ_ONLY
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return None


def describe_error(error: BaseException, doing: str = "Training", show_paths: bool = False) -> str:
    """One sentence for the user: our own errors already are one, a full or read-only disk is said plainly,
    a missing file is named, others get their type named after what failed (`doing`). Server paths are
    left out unless `show_paths` (the CLI, whose paths are the user's own)."""
    disk = disk_problem(error)
    if disk:
        return disk
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"No such file or folder: {error.filename}." if show_paths else "A file the lab needs is missing."
    if isinstance(error, OSError) and error.errno is not None and error.strerror and not show_paths:
        return f"{doing} failed: {error.strerror.rstrip('.')}."
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, (ValueError, LookupError, RuntimeError, OSError)) and text:
        return text if text.endswith(".") else text + "."
    return f"{doing} failed: {type(error).__name__}{': ' + text[:200] if text else ''}."
