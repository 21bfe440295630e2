"""`python -m webapp predict`: read digits from image files with one or more saved models."""
from __future__ import annotations

import argparse

from webapp.cli.common import EXIT_FAILED, EXIT_OK, add_max_bytes, emit, load_named_models, say
from webapp.config import MODEL_NAMES
from webapp.network_catalog import short_name


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("predict", help="read digits from image files with one or more models",
                                 description="Each image is prepared the way MNIST was made "
                                             "(20x20 box, centre of mass).")
    parser.add_argument("files", nargs="+", metavar="FILE", help="images of one handwritten digit each")
    parser.add_argument("--models", default="dnn,cnn",
                        help=f"comma list of {', '.join(MODEL_NAMES)} or run ids (default dnn,cnn)")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    models = load_named_models(args.models)
    from webapp.predict import predict_file

    failed = 0
    for path in args.files:
        result = predict_file(path, models, max_bytes=args.max_bytes)
        failed += "error" in result
        if args.json:
            emit(result)
        elif "error" in result:
            say(f"{path}: {result['error']}")
        else:
            print(f"{path}: " + ", ".join(f"{short_name(name)} {result[name]['label']} "
                                          f"({max(result[name]['probabilities']):.1%})" for name in models))
            if "note" in result:
                print(f"  {result['note']}")
    return EXIT_FAILED if failed else EXIT_OK

