"""`python -m webapp summary`: a network's parameters, multiply-adds and memory, layer by layer."""
from __future__ import annotations

import argparse

from webapp.architectures import ARCHITECTURE_NAMES
from webapp.cli.common import EXIT_OK, UsageError, emit
from webapp.summary import DTYPE_BYTES, OPTIMIZER_SLOTS, MemorySettings


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("summary", help="per-layer parameters, multiply-adds and memory of a network",
                                 description="Count a network's parameters, multiply-adds and memory layer by layer "
                                             "(nothing is trained or downloaded).")
    parser.add_argument("name", metavar="NAME", choices=ARCHITECTURE_NAMES,
                        help=f"one of {', '.join(ARCHITECTURE_NAMES)}")
    parser.add_argument("--batch-size", type=int, default=1, help="images per batch (activation memory grows with it)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZER_SLOTS), default="adam",
                        help="its state per weight counts towards training memory")
    parser.add_argument("--dtype", choices=list(DTYPE_BYTES), default="float32",
                        help="bytes per number: float16 halves them")
    parser.add_argument("--json", action="store_true", help="one JSON line: totals and a list of layers")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    try:
        settings = MemorySettings(batch_size=args.batch_size, optimizer=args.optimizer, dtype=args.dtype)
    except ValueError as error:
        raise UsageError(str(error)) from None
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.summary import format_report, memory_report, network_table, summary_record

    table = network_table(args.name)
    report = memory_report(table, settings)
    if args.json:
        emit(summary_record(table, report))
    else:
        print(format_report(table, report))
    return EXIT_OK

