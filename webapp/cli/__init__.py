"""The command line: the same functions the pages call, with the contract every command follows.

Each command is a module here with `add_parser(commands)`, which registers its subcommand and sets its
handler, and `run(args)` (the bench family has one `run_*` per benchmark). `common` holds what they share:
`--json` prints JSON Lines on stdout and keeps progress on stderr; exit codes are 2 for usage errors
(argparse's own), 1 for input that fails at run time (one sentence on stderr), 0 otherwise.
"""
from __future__ import annotations

import argparse

from webapp.cli import augment, bench, classes, predict, runs, stages, summary, train, transfer
from webapp.cli.common import EXIT_FAILED, UsageError, say

COMMANDS = (train, transfer, classes, runs, predict, stages, summary, augment, bench)  # in `--help` order


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webapp", description="ConvNet Lab from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a one-line error for bad flags
    try:
        return args.handler(args)
    except UsageError as error:
        getattr(args, "parser", parser).error(str(error).rstrip("."))
    except KeyboardInterrupt:
        say("Interrupted.")
        return EXIT_FAILED
    except Exception as error:  # the contract: one sentence, never a traceback
        from webapp.errors import describe_error

        say(describe_error(error, doing=f"The {args.command} command", show_paths=True))
        return EXIT_FAILED
    return EXIT_FAILED
