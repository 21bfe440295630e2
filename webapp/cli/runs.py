"""`python -m webapp runs`: the saved runs, defaults first."""
from __future__ import annotations

import argparse

from webapp.cli.common import EXIT_OK, emit, say


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("runs", help="list saved runs (defaults first)")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from webapp.store import RunStore

    listing = RunStore().list()
    for warning in listing.warnings:
        say(f"warning: {warning}")
    for info in listing.runs:
        row = {"run_id": info.run_id, "model": info.model_name, "dataset": info.record.dataset,
               "default": info.is_default,
               "status": info.record.status, "test_accuracy": info.record.test_accuracy,
               "created": info.record.created, "run_dir": str(info.path)}
        if args.json:
            emit(row)
        else:
            print(info.label)
    return EXIT_OK

