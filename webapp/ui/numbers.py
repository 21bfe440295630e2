"""Sizes shown the same way on every page: the value in decimal units, the binary units right under it."""
from __future__ import annotations

from typing import Any

from webapp.formulas import byte_units


def memory_metric(where: Any, label: str, count: int, explanation: str, note: str = "") -> None:
    """A metric of `count` bytes: "12.0 MB" as the value and "= 11.4 MiB" under it (then `note`, if any), the
    split form of formulas.format_bytes, which a metric tile is too narrow to show on one line."""
    decimal, binary = byte_units(count)
    where.metric(label, decimal, help=f"{explanation} {count:,} bytes.")
    caption = " · ".join(part for part in (f"= {binary}" if binary != decimal else "", note) if part)
    if caption:
        where.caption(caption)
