"""Process memory: give freed memory back to the system, and read the peak (for benchmarks).

A server thread that processed a large photo frees its arrays, but glibc keeps freed heap memory in each
thread's arena; with one thread per browser session that adds up and stays. `release_freed_memory` asks
glibc to return it (a no-op elsewhere).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import re
import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def release_freed_memory(collect: bool = True) -> None:
    """Collect garbage (unless `collect` is False), then return free heap pages of every arena to the system
    (glibc's malloc_trim). Arrays let go of with `del` are freed at once; the collection only finds those held
    in reference cycles, and with TensorFlow loaded it walks millions of objects (about 0.2 s of CPU)."""
    if collect:
        gc.collect()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)


def _status_bytes(field: str) -> int | None:
    """A `/proc/self/status` field in bytes (Linux), or None."""
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


def resident_bytes() -> int | None:
    """This process's memory in use now (VmRSS)."""
    return _status_bytes("VmRSS")


def peak_bytes() -> int | None:
    """This process's highest memory use so far (VmHWM)."""
    return _status_bytes("VmHWM")
