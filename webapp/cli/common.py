"""What every command shares: JSON Lines on stdout, progress on stderr, the exit codes and the argparse types.

`--json` prints JSON Lines on stdout and keeps progress on stderr. Exit codes: 2 for usage errors
(argparse's own, or a `UsageError` a command raises), 1 for input that fails at run time (one sentence on
stderr), 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A flag value argparse cannot check by itself (an unknown model name in a list, say)."""


def emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload), flush=True)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def positive_int(text: str) -> int:
    """An argparse type for counts that must be at least 1 (repeats, runs, check intervals)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def name_list(allowed: tuple[str, ...], noun: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse type for a comma list of names, each one of `allowed`."""
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
        unknown = [name for name in names if name not in allowed]
        if not names or unknown:
            raise argparse.ArgumentTypeError(f"unknown {noun} {', '.join(unknown) or text!r}; "
                                             f"choose from {', '.join(allowed)}")
        return names

    return parse


def add_max_bytes(parser: argparse.ArgumentParser) -> None:
    """Every file the CLI reads is capped before reading, at the upload limit unless raised here."""
    from webapp.files import MAX_FILE_BYTES

    parser.add_argument("--max-bytes", type=positive_int, default=MAX_FILE_BYTES, metavar="N",
                        help=f"largest file to read, in bytes (default {MAX_FILE_BYTES:,}, as for uploads)")


def load_named_models(names_text: str) -> dict[str, Any]:
    """The models a `--models` list names (dnn, cnn, lenet or run ids), loaded; unknown names are usage errors."""
    from webapp.datasets import DEFAULT_DATASET
    from webapp.store import RunStore, UnknownRunError

    store = RunStore()
    names = [name.strip() for name in names_text.split(",") if name.strip()]
    try:
        runs = {name: store.resolve(name) for name in names}
    except UnknownRunError as error:
        raise UsageError(str(error)) from None
    if not runs:
        raise UsageError("name at least one model with --models")
    for name, info in runs.items():
        if info.record.dataset != DEFAULT_DATASET:
            raise UsageError(f"The run {name} was trained on {info.record.dataset}: reading digits needs a model of "
                             "all ten MNIST digits.")
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    return {name: store.load_model(info.run_id) for name, info in runs.items()}
