"""`python -m webapp bench ...`: the benchmarks, each a subcommand that prints one report (or a line per page)."""
from __future__ import annotations

import argparse
from typing import Any, Callable

from webapp.architectures import ARCHITECTURE_NAMES
from webapp.cli.common import EXIT_FAILED, EXIT_OK, emit, load_named_models, name_list, positive_int, say
from webapp.config import MODEL_NAMES
from webapp.formulas import format_bytes


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bench", help="measure speed (see each benchmark's --help)")
    benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    train = benches.add_parser("train",
                               help="time for the CNN to reach a test accuracy: lab defaults vs the seed tutorial")
    train.add_argument("--target", type=float, default=0.99, help="test accuracy to reach")
    train.add_argument("--seeds", type=positive_int, default=3, help="repeats (the median is reported)")
    train.add_argument("--check-every", type=positive_int, default=25, help="batches between test-accuracy checks")
    train.add_argument("--max-epochs", type=positive_int, default=5,
                       help="caps each run's epochs (the lab trains its default 3, the tutorial its 5)")
    train.add_argument("--subset", type=int, default=0, help="training images (0: all; smaller only for smoke tests)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(handler=run_train)
    predict = benches.add_parser("predict", help="ms from a canvas array to both models' probabilities")
    predict.add_argument("--runs", type=positive_int, default=50, help="timed runs after the warm-up (median reported)")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(handler=run_predict)
    stages = benches.add_parser("stages", help="seconds for a 12 MP photo through conv (4 filters 3x3), ReLU and "
                                               "2x2 max pool, and the peak memory for a 49 MP one")
    stages.add_argument("--runs", type=positive_int, default=7, help="timed runs after a warm-up (median reported)")
    stages.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the peak-memory measurement (a 49 MP photo through the CLI and the page's path)")
    stages.add_argument("--json", action="store_true")
    stages.set_defaults(handler=run_stages)
    startup = benches.add_parser("startup", help="seconds from server start to the Home page shown")
    startup.add_argument("--repeats", type=positive_int, default=3)
    startup.add_argument("--json", action="store_true")
    startup.set_defaults(handler=run_startup)
    read = benches.add_parser("read",
                              help="reading accuracy per model and per variant on a folder of labelled pictures",
                              description="DIR holds the pictures and a labels.csv with lines file,label[,variant].")
    read.add_argument("folder", metavar="DIR", help="a folder of digit pictures with a labels.csv")
    read.add_argument("--models", default="dnn,cnn",
                      help=f"comma list of {', '.join(MODEL_NAMES)} or run ids (default dnn,cnn)")
    read.add_argument("--steps", metavar="OUT.png", help="write each misread picture's preparation steps side by side")
    read.add_argument("--json", action="store_true", help="one JSON line, with every failure's file name")
    read.set_defaults(handler=run_read, parser=read)
    summary = benches.add_parser("summary", help="seconds to build each network's table the first time, ms once cached")
    summary.add_argument("--networks", type=name_list(ARCHITECTURE_NAMES, "network"), default=ARCHITECTURE_NAMES,
                         help="comma list of network names (default: all of them)")
    summary.add_argument("--repeats", type=positive_int, default=20,
                         help="cached look-ups timed per network (median reported)")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(handler=run_summary, parser=summary)
    augment = benches.add_parser("augment", help="images/s through the digits augmentation preset on one CPU core")
    augment.add_argument("--runs", type=positive_int, default=5, help="timed runs after a warm-up (median reported)")
    augment.add_argument("--images", type=positive_int, default=10_000, help="MNIST training digits per run")
    augment.add_argument("--epoch-images", type=int, default=12_000,
                         help="also time one CNN training epoch on this many images, plain and augmented (0: skip)")
    augment.add_argument("--json", action="store_true")
    augment.set_defaults(handler=run_augment)
    add_pages_parser(benches)
    add_transfer_parser(benches)
    add_load_parser(benches)


def add_pages_parser(benches: argparse._SubParsersAction) -> None:
    from webapp.bench.pages import PAGE_NAMES

    pages = benches.add_parser("pages", help="ms in Chromium from a typical action on each page to its updated result")
    pages.add_argument("--runs", type=positive_int, default=5, help="timed runs per action (median reported)")
    pages.add_argument("--url", type=server_url, default=None,
                       help="a running lab, e.g. http://127.0.0.1:8501 (default: start one with a private runs store)")
    pages.add_argument("--pages", type=name_list(PAGE_NAMES, "page"), default=PAGE_NAMES,
                       help=f"comma list of pages (default: all of them: {','.join(PAGE_NAMES)})")
    pages.add_argument("--json", action="store_true")
    pages.set_defaults(handler=run_pages)


def add_transfer_parser(benches: argparse._SubParsersAction) -> None:
    from webapp.transfer import DEFAULT_EPOCHS, DEFAULT_SMALL_IMAGES, SMALL_RANGE

    transfer = benches.add_parser("transfer", help="seed 004's 2x2 transfer grid measured: 4 recipes on digits 5-9 "
                                                   "and Fashion-MNIST, small and all images")
    transfer.add_argument("--seeds", type=positive_int, default=3, help="races per cell (the median is reported)")
    transfer.add_argument("--small", type=positive_int, default=DEFAULT_SMALL_IMAGES,
                          help=f"images of a small target ({SMALL_RANGE[0]:,} to {SMALL_RANGE[1]:,}; "
                               f"default {DEFAULT_SMALL_IMAGES:,})")
    transfer.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS, help=f"default {DEFAULT_EPOCHS}")
    transfer.add_argument("--json", action="store_true")
    transfer.set_defaults(handler=run_transfer, parser=transfer)


def add_load_parser(benches: argparse._SubParsersAction) -> None:
    load = benches.add_parser("load", help="N simulated learners on one server: per action median and 95th "
                                           "percentile, errors, and the server's memory")
    load.add_argument("--sessions", type=positive_int, default=30, help="simulated learners (default 30)")
    load.add_argument("--minutes", type=positive_number, default=3.0, help="how long they work (default 3)")
    load.add_argument("--url", type=server_url, default=None,
                      help="a running lab, e.g. http://127.0.0.1:8501 (default: start one with a private runs "
                           "store and one long training job in the background)")
    load.add_argument("--server-pid", type=positive_int, default=None,
                      help="with --url: the server's process id, to measure its memory")
    load.add_argument("--think", type=positive_number, default=5.0,
                      help="mean seconds a learner thinks between actions (default 5)")
    load.add_argument("--timeout", type=positive_number, default=60.0,
                      help="seconds before an unfinished page run counts as an error (default 60)")
    load.add_argument("--settle", type=float, default=120.0,
                      help="seconds after the learners leave before memory is measured again (default 120)")
    load.add_argument("--browsers", type=int, default=0,
                      help="also time the same actions in this many Chromium tabs meanwhile (default 0)")
    load.add_argument("--json", action="store_true", help="a JSON line per action, then a summary line")
    load.set_defaults(handler=run_load)


def positive_number(text: str) -> float:
    """An argparse type for a number of seconds or minutes above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def server_url(text: str) -> str:
    """An argparse type for a lab's address: http(s) and a host."""
    from urllib.parse import urlparse

    parts = urlparse(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server address like http://127.0.0.1:8501")
    return text


def run_train(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.bench import train

    report = train.train_benchmark(target=args.target, seeds=args.seeds, check_every=args.check_every,
                                   max_epochs=args.max_epochs, subset=args.subset, log=say)
    return show_report(args, report, train.format_train_report)


def run_predict(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.bench import predict

    return show_report(args, predict.predict_benchmark(runs=max(20, args.runs), log=say), lambda report: (
        f"canvas to both models' probabilities: {report['predict_median_ms']:.1f} ms (median); "
        f"PNG decoding: {report['decode_median_ms']:.1f} ms"))


def run_stages(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.bench import stages

    report = stages.stages_benchmark(runs=max(3, args.runs), log=say)
    if args.memory:
        report.update(stages.stages_memory_benchmark(log=say))
    return show_report(args, report, lambda report: (
        f"{report['megapixels']:.0f} MP photo through conv + ReLU + pool on {report['device']}: "
        f"{report['stages_median_seconds']:.2f} s (median of {report['runs']}; goal {report['goal_seconds']:.0f} s); "
        f"JPEG decoding: {report['decode_median_seconds']:.2f} s" + (
            f"; peak memory for a {report['memory_photo']}: CLI {format_bytes(report['cli_peak_bytes'])}, goal "
            f"{format_bytes(report['cli_peak_goal_bytes'])}; page {format_bytes(report['page_peak_bytes'])}, budget "
            f"{format_bytes(report['page_budget_bytes'])}" if "cli_peak_bytes" in report else "")))


def show_report(args: argparse.Namespace, report: dict[str, Any], as_text: Callable[[dict[str, Any]], str]) -> int:
    """A benchmark's report: one JSON line with --json, else one readable line."""
    if args.json:
        emit(report)
    else:
        print(as_text(report))
    return EXIT_OK


def run_read(args: argparse.Namespace) -> int:
    from webapp.bench import read

    try:
        read.read_labels(args.folder)  # a missing folder or labels file: one sentence before loading any model
    except ValueError as problem:
        say(str(problem))
        return EXIT_FAILED
    report = read.read_benchmark(args.folder, load_named_models(args.models), log=say)
    if args.steps:
        read.save_png(read.failure_sheet(args.folder, report["failures"]), args.steps)
        misread = len({failure['file'] for failure in report['failures']})
        say(f"wrote the steps of {misread} misread pictures to {args.steps}")
    if args.json:
        emit(report)
    else:
        print(read.format_read_report(report))
    return EXIT_OK


def run_startup(args: argparse.Namespace) -> int:
    from webapp.bench import startup

    return show_report(args, startup.startup_benchmark(repeats=args.repeats, log=say), lambda report: (
        f"Home page shown {report['median_seconds']:.2f} s after server start (median of {len(report['seconds'])})."))


def run_summary(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.bench import summary

    report = summary.summary_benchmark(args.networks, repeats=max(1, args.repeats), log=say)
    return show_report(args, report, lambda report: (
        f"slowest first build: {report['max_first_seconds']:.2f} s; slowest cached look-up: "
        f"{report['max_cached_ms']:.3f} ms"))


def run_augment(args: argparse.Namespace) -> int:
    from webapp.bench import augment

    report = augment.augment_benchmark(runs=max(1, args.runs), images=max(256, args.images), log=say)
    if args.epoch_images > 0:
        report.update(augment.augmented_epoch_benchmark(images=args.epoch_images, log=say))
    return show_report(args, report, lambda report: (
        f"digits preset ({report['pipeline']}) on one CPU core: {report['median_images_per_second']:,.0f} images/s "
        f"(median of {report['runs']}; goal {report['goal_images_per_second']:,}); building a seeded pipeline: "
        f"{report['pipeline_build_ms']:.2f} ms" + (
            f"; one CNN epoch on {report['epoch_images']:,} images: {report['epoch_seconds_plain']:.1f} s plain, "
            f"{report['epoch_seconds_augmented']:.1f} s augmented" if "epoch_images" in report else "")))


def run_pages(args: argparse.Namespace) -> int:
    """One line per (page, action) as soon as it is measured: JSON with --json, else a readable row."""
    from webapp.bench.pages import format_line, pages_benchmark

    for report in pages_benchmark(args.pages, runs=args.runs, url=args.url, log=say):
        if args.json:
            emit(report)
        else:
            print(format_line(report), flush=True)
    return EXIT_OK


def run_transfer(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.bench import transfer

    report = transfer.transfer_benchmark(seeds=args.seeds, small=args.small, epochs=args.epochs, log=say)
    return show_report(args, report, transfer.format_transfer_report)


def run_load(args: argparse.Namespace) -> int:
    """A line per action and a summary line with --json, else a table."""
    from webapp.bench.load import format_table, load_benchmark

    report = load_benchmark(args.sessions, args.minutes, url=args.url, think=args.think, timeout=args.timeout,
                            settle=max(0.0, args.settle), browsers=max(0, args.browsers),
                            server_pid=args.server_pid, log=say)
    if args.json:
        for row in report["rows"]:
            emit(row)
        emit(report["summary"])
    else:
        print(format_table(report))
    return EXIT_OK
