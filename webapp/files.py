"""Reading a file a user named: a regular file only, and never more than a cap (checked before reading).

`/dev/zero`, a FIFO or a 40 GB file must get one sentence, not fill the memory. The cap is the same as
for uploads (20 MB, `.streamlit/config.toml`); the CLI's `--max-bytes` raises it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 20_000_000  # as `server.maxUploadSize = 20` (MB) for uploads


class FileLimitError(ValueError):
    """A file that is not a regular file, missing, or over the cap; the message is one sentence."""


def read_file_capped(path: str | Path, max_bytes: int = MAX_FILE_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `max_bytes`. Opened without blocking (a FIFO would wait for a
    writer), then checked with fstat on the open file, so what is checked is what is read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileLimitError(f"The {what} does not exist.") from None
    except IsADirectoryError:
        raise FileLimitError(f"That is a folder, not {_a(what)}.") from None
    except PermissionError:
        raise FileLimitError(f"The {what} cannot be read (no permission).") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise FileLimitError(f"That is a folder, not {_a(what)}.")
        if not stat.S_ISREG(status.st_mode):
            raise FileLimitError("That is not a regular file (a device or a pipe, say): name a file on disk.")
        if status.st_size > max_bytes:
            raise FileLimitError(too_large(max_bytes, what, status.st_size))
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as file:
        data = file.read(max_bytes + 1)  # the file may have grown since fstat
    if len(data) > max_bytes:
        raise FileLimitError(too_large(max_bytes, what))
    return data


def _a(noun: str) -> str:
    """'a file', 'an image file'."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def too_large(max_bytes: int, what: str, size: int | None = None) -> str:
    shown = f"{size:,} bytes; " if size is not None else ""
    return f"The {what} is too large ({shown}the limit is {max_bytes:,} bytes): pass --max-bytes to allow more."
