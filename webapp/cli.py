"""The command line: the same functions the pages call, with the contract every command follows.

`--json` prints JSON Lines on stdout and keeps progress on stderr. Exit codes: 2 for usage errors
(argparse's own), 1 for input that fails at run time (one sentence on stderr), 0 otherwise.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
from typing import Any, Callable

from webapp.architectures import ARCHITECTURE_NAMES
from webapp.config import ACTIVATIONS, MODEL_NAMES, OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig
from webapp.formulas import format_bytes, format_shape
from webapp.networks_info import short_name
from webapp.summary import DTYPE_BYTES, OPTIMIZER_SLOTS, MemorySettings

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


def add_max_bytes(parser: argparse.ArgumentParser) -> None:
    """Every file the CLI reads is capped before reading, at the upload limit unless raised here."""
    from webapp.files import MAX_FILE_BYTES

    parser.add_argument("--max-bytes", type=positive_int, default=MAX_FILE_BYTES, metavar="N",
                        help=f"largest file to read, in bytes (default {MAX_FILE_BYTES:,}, as for uploads)")


# -- train -------------------------------------------------------------------------------------------
def name_list(allowed: tuple[str, ...], noun: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse type for a comma list of names, each one of `allowed`."""
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
        unknown = [name for name in names if name not in allowed]
        if not names or unknown:
            raise argparse.ArgumentTypeError(f"unknown {noun} {', '.join(unknown) or text!r}; choose from {', '.join(allowed)}")
        return names

    return parse


model_list = name_list(MODEL_NAMES, "model")


def add_train_parser(commands: argparse._SubParsersAction) -> None:
    from webapp.presets import PRESET_NAMES

    defaults = TrainConfig()
    parser = commands.add_parser("train", help="train one model, or race several on the same data",
                                 description="Train on MNIST. Two or more models race: same batches, same order. "
                                             "Flags given override a --preset's settings, which override the lab's.")
    # None: not given, so the preset's value (or the lab's default, shown in the help) applies
    parser.add_argument("--preset", choices=PRESET_NAMES,
                        help="start from a named settings preset (tutorial: seed 003's rmsprop, batch 128, 5 epochs, "
                             "all 60,000 images, no validation split)")
    parser.add_argument("--model", type=model_list, help=f"{', '.join(MODEL_NAMES)}, or a comma list (a race); default {','.join(defaults.models)}")
    parser.add_argument("--epochs", type=int, help=f"default {defaults.epochs}")
    parser.add_argument("--batch-size", type=int, help=f"default {defaults.batch_size}")
    parser.add_argument("--subset", type=int, help="training images to use (0: all 60,000, the default)")
    parser.add_argument("--seed", type=int, help=f"default {defaults.seed}")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    parser.add_argument("--lr", type=float, help=f"learning rate; default {defaults.learning_rate}")
    parser.add_argument("--schedule", choices=SCHEDULES,
                        help=f"constant: the same rate throughout; cosine: it decays to 0 over the run; default {defaults.schedule}")
    parser.add_argument("--dropout", type=float, help=f"default {defaults.dropout}")
    parser.add_argument("--batch-norm", action="store_true", default=None)
    parser.add_argument("--activation", choices=ACTIVATIONS,
                        help=f"hidden units of dnn and cnn (LeNet keeps tanh); default {defaults.activation}")
    parser.add_argument("--no-validation", dest="validation", action="store_false", default=None,
                        help="hold no images out: train on all of them (the chart then has no validation curve)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="auto (default): bfloat16 compute where the hardware has it natively, else float32")
    augmentation = parser.add_mutually_exclusive_group()
    augmentation.add_argument("--pipeline", metavar="FILE", help="augment the training images on the fly with this Albumentations "
                                                                  "pipeline (YAML or JSON, as the Augment page exports it)")
    augmentation.add_argument("--augment-preset", metavar="NAME", help="augment on the fly with one of the Augment page's presets "
                                                                        "(seed, digits, photos)")
    parser.add_argument("--save-default", action="store_true", help="also install the runs as the shipped defaults (maintainers)")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run_train, parser=parser)


# flag -> TrainConfig field, for the flags a preset's settings can stand in for
TRAIN_FLAGS = {"model": "models", "epochs": "epochs", "batch_size": "batch_size", "subset": "subset", "seed": "seed",
               "optimizer": "optimizer", "lr": "learning_rate", "dropout": "dropout", "batch_norm": "batch_norm",
               "activation": "activation", "validation": "validation", "precision": "precision",
               "schedule": "schedule"}


def train_config_from(args: argparse.Namespace) -> TrainConfig:
    """The lab's defaults, then the --preset's settings, then the flags given (an impossible mix: a usage error)."""
    from webapp.presets import preset_config

    given = {field: getattr(args, flag) for flag, field in TRAIN_FLAGS.items() if getattr(args, flag) is not None}
    try:
        return preset_config(args.preset, **given) if args.preset else TrainConfig(**given)
    except ValueError as error:
        raise UsageError(str(error)) from None


def run_train(args: argparse.Namespace) -> int:
    config = train_config_from(args)
    if args.pipeline:  # a bad file is input failing at run time: one sentence, exit 1
        from webapp.augment import DIGIT_SHAPE, read_pipeline_file, sized_for

        # sized for the digits now, so that holes in pixels larger than a digit are refused before training
        config = dataclasses.replace(config, pipeline=sized_for(read_pipeline_file(args.pipeline), DIGIT_SHAPE))
    if args.augment_preset:
        from webapp.augment import PRESETS, pipeline_to_dict, preset_pipeline

        if args.augment_preset not in PRESETS:
            raise UsageError(f"Unknown augmentation preset {args.augment_preset}; choose from {', '.join(PRESETS)}.")
        config = dataclasses.replace(config, pipeline=pipeline_to_dict(preset_pipeline(args.augment_preset)))
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.errors import describe_error
    from webapp.jobs import Job, PartialSaveError, execute
    from webapp.store import RunStore

    store = RunStore()
    job = Job(config=config, owner="cli")
    try:
        with ProgressBar(job):
            runs = execute(job, store)
    except PartialSaveError as error:  # report what was saved, then the failure
        for info in error.saved:
            report_saved_run(args, store, info)
        say(describe_error(error, "Saving"))
        return EXIT_FAILED
    for info in runs:
        report_saved_run(args, store, info)
    return EXIT_OK


def report_saved_run(args: argparse.Namespace, store: Any, info: Any) -> None:
    """One saved run: a JSON line or a readable line (installed as the default too with --save-default)."""
    from webapp.store import promote_to_default

    if args.save_default:
        promote_to_default(store, info.run_id)
    report = {
        "run_id": info.run_id, "model": info.model_name, "status": info.config["status"],
        "test_accuracy": info.config["test_accuracy"], "test_loss": info.config["test_loss"],
        "epoch_seconds": info.config["epoch_seconds"], "compute_seconds": info.config["compute_seconds"],
        "warmup_seconds": info.config["warmup_seconds"],  # the first batch's tracing, not in compute_seconds
        "device": info.config["device"], "precision": info.config["precision"],
        "params": info.config["params"], "augmentation": info.config.get("augmentation"),
        # each epoch's training accuracy as Keras' fit log reports it (what the seed tutorials quote)
        "epoch_train_accuracy": [point["accuracy"] for point in store.load_history(info.run_id).get("epochs", [])],
        "run_dir": str(info.path),
    }
    if args.json:
        emit(report)
    else:
        print(f"{short_name(info.model_name):6} test accuracy {report['test_accuracy']:.2%}  "
              f"loss {report['test_loss']:.4f}  saved as {info.run_id}")


class ProgressBar:
    """A terminal progress bar on stderr, drawn from the job's live record by a background thread."""

    WIDTH = 30

    def __init__(self, job: Any, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._tty = sys.stderr.isatty()
        self._last_tenth = -1

    def __enter__(self) -> "ProgressBar":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._draw(final=True)

    def _loop(self) -> None:
        while not self._done.wait(self.interval):
            self._draw()

    def _draw(self, final: bool = False) -> None:
        from webapp.history import progress

        if self.job.record is None:
            return
        snapshot = self.job.record.snapshot()
        fraction, eta = progress(snapshot)
        tenth = int(fraction * 10)
        if not self._tty and not final and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        filled = int(fraction * self.WIDTH)
        accuracies = "  ".join(
            f"{short_name(name)} val {curves['validations'][-1]['accuracy']:.1%}"
            for name, curves in snapshot["curves"].items() if curves["validations"])
        eta_text = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "ETA --:--"
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%}  {eta_text}  {accuracies}"
        sys.stderr.write(("\r" + line.ljust(100)) if self._tty else line + "\n")
        if final and self._tty:
            sys.stderr.write("\n")
        sys.stderr.flush()


# -- runs --------------------------------------------------------------------------------------------
def add_runs_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("runs", help="list saved runs (defaults first)")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run_runs)


def run_runs(args: argparse.Namespace) -> int:
    from webapp.store import RunStore

    listing = RunStore().list()
    for warning in listing.warnings:
        say(f"warning: {warning}")
    for info in listing.runs:
        row = {"run_id": info.run_id, "model": info.model_name, "default": info.is_default,
               "status": info.config.get("status"), "test_accuracy": info.config.get("test_accuracy"),
               "created": info.config.get("created"), "run_dir": str(info.path)}
        if args.json:
            emit(row)
        else:
            print(info.label)
    return EXIT_OK


# -- predict -----------------------------------------------------------------------------------------
def add_predict_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("predict", help="read digits from image files with one or more models",
                                 description="Each image is prepared the way MNIST was made (20x20 box, centre of mass).")
    parser.add_argument("files", nargs="+", metavar="FILE", help="images of one handwritten digit each")
    parser.add_argument("--models", default="dnn,cnn", help=f"comma list of {', '.join(MODEL_NAMES)} or run ids (default dnn,cnn)")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run_predict, parser=parser)


def load_named_models(names_text: str) -> dict[str, Any]:
    """The models a `--models` list names (dnn, cnn, lenet or run ids), loaded; unknown names are usage errors."""
    from webapp.store import RunStore, UnknownRunError

    store = RunStore()
    names = [name.strip() for name in names_text.split(",") if name.strip()]
    try:
        runs = {name: store.resolve(name) for name in names}
    except UnknownRunError as error:
        raise UsageError(str(error)) from None
    if not runs:
        raise UsageError("name at least one model with --models")
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    return {name: store.load_model(info.run_id) for name, info in runs.items()}


def run_predict(args: argparse.Namespace) -> int:
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


# -- summary -----------------------------------------------------------------------------------------
def add_summary_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("summary", help="per-layer parameters, multiply-adds and memory of a network",
                                 description="Count a network's parameters, multiply-adds and memory layer by layer "
                                             "(nothing is trained or downloaded).")
    parser.add_argument("name", metavar="NAME", choices=ARCHITECTURE_NAMES, help=f"one of {', '.join(ARCHITECTURE_NAMES)}")
    parser.add_argument("--batch-size", type=int, default=1, help="images per batch (activation memory grows with it)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZER_SLOTS), default="adam",
                        help="its state per weight counts towards training memory")
    parser.add_argument("--dtype", choices=list(DTYPE_BYTES), default="float32", help="bytes per number: float16 halves them")
    parser.add_argument("--json", action="store_true", help="one JSON line: totals and a list of layers")
    parser.set_defaults(handler=run_summary, parser=parser)


def run_summary(args: argparse.Namespace) -> int:
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


# -- stages ------------------------------------------------------------------------------------------
def padding_value(text: str) -> str | int:
    from webapp.stages import StageError, parse_padding

    try:
        return parse_padding(text)
    except StageError as error:
        raise argparse.ArgumentTypeError(str(error).rstrip(".")) from None


def kernel_choice(args: argparse.Namespace) -> Any:
    """--kernels: a .npy file, `random`, `model[:RUN]`, or a comma list of library names."""
    from webapp.stages import KernelChoice

    text = args.kernels.strip()
    source = ("file" if text.lower().endswith(".npy") else "random" if text == "random"
              else "model" if text.split(":")[0] == "model" else "library")
    if args.filters is not None and source not in ("random", "model"):
        raise UsageError("--filters applies to random and model kernels; a library list has one filter per name")
    if args.kernel_size is not None and source not in ("random", "library"):
        raise UsageError("--kernel-size applies to random and library kernels; a model or file fixes the size")
    names = tuple(name.strip() for name in text.split(",") if name.strip()) if source == "library" else ()
    run = text.split(":", 1)[1] if source == "model" and ":" in text else "cnn"
    return KernelChoice(source=source, names=names, size=args.kernel_size, count=args.filters, seed=args.seed,
                        run=run, path=text if source == "file" else None)


def add_stages_parser(commands: argparse._SubParsersAction) -> None:
    from webapp.stages import DEFAULT_KERNELS, KERNELS, POOL_PADDINGS, POOL_TYPES

    parser = commands.add_parser(
        "stages", help="convolution, ReLU and pooling on a photo, with shapes, parameters and memory",
        description="Push a photo through conv, ReLU and pool with TensorFlow's semantics and print each stage's shape "
                    "(checked against the (W - F + 2P)/S + 1 formula), the parameter count and the memory.")
    parser.add_argument("image", metavar="IMAGE", help="a PNG, JPEG, WebP, BMP or GIF photo")
    parser.add_argument("--kernels", default=",".join(DEFAULT_KERNELS), metavar="NAME|FILE.npy",
                        help=f"comma list of {', '.join(KERNELS)}; or random (N(0,1), see --seed); or model[:RUN] "
                             "(a trained CNN's first-layer filters; default run cnn); or a .npy of shape (F, F, C_in, K)")
    parser.add_argument("--filters", type=int, help="number of filters K for random (default 4) or model (default all)")
    parser.add_argument("--kernel-size", type=int, help="F for random (default 3) and library kernels (default: natural size)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random filters")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--padding", type=padding_value, default="same", metavar="same|valid|P",
                        help="TensorFlow's SAME or VALID, or P rows and columns of zeros")
    parser.add_argument("--pool", choices=POOL_TYPES, default="max")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--pool-stride", type=int, default=2)
    parser.add_argument("--pool-padding", choices=POOL_PADDINGS, default="valid",
                        help="valid drops a last window that does not fit; same pads so that ceil(W / S) windows fit")
    parser.add_argument("--grayscale", action="store_true", help="convert the photo to one grey channel first")
    parser.add_argument("--keep-alpha", action="store_true",
                        help="keep a transparent photo's alpha as one more channel (RGBA: filters F x F x 4)")
    parser.add_argument("--batch-size", type=int, default=1, help="images per batch for the memory estimate")
    parser.add_argument("--save-npz", metavar="OUT.npz", help="write float32 arrays input, conv, relu, pool")
    parser.add_argument("--save-png", metavar="OUT.png", help="write the feature-map grid")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    parser.set_defaults(handler=run_stages, parser=parser)


def run_stages(args: argparse.Namespace) -> int:
    from webapp.stages import StageConfig, StageError

    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    try:
        choice = kernel_choice(args)
        config = StageConfig(stride=args.stride, padding=args.padding, pool=args.pool, pool_size=args.pool_size,
                             pool_stride=args.pool_stride, pool_padding=args.pool_padding)
    except StageError as error:
        raise UsageError(str(error)) from None
    from webapp.store import RunStore, UnknownRunError

    store = RunStore()
    if choice.source == "model":
        try:
            store.resolve(choice.run)
        except UnknownRunError as error:
            raise UsageError(str(error)) from None
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    import numpy as np

    from webapp.stages import process_photo, report

    processed = process_photo(args.image, choice, config, grayscale=args.grayscale, keep_alpha=args.keep_alpha,
                              max_bytes=args.max_bytes,
                              load_model=lambda name: store.load_model(store.resolve(name).run_id))
    if args.save_npz:
        np.savez_compressed(args.save_npz, **processed.result.arrays())
    if args.save_png:
        from webapp.stages.stage_images import grid_png, stage_headings, stage_tiles

        with open(args.save_png, "wb") as out:
            out.write(grid_png(stage_tiles(processed), stage_headings(processed)))
    summary = {"image": args.image, **report(processed, args.batch_size)}
    if args.json:
        emit(summary)
    else:
        print(format_stages_report(summary))
    return EXIT_OK


def format_stages_report(summary: dict[str, Any]) -> str:
    lines = [f"{summary['image']}: kernels {', '.join(summary['kernels'])} (weights {format_shape(summary['kernel_shape'])})"]
    for stage in summary["stages"]:
        shape = format_shape(stage["shape"])
        lines.append(f"  {stage['stage']:6} {shape:>16}" + (f"   rows: {stage['formula']['rows']}; columns: "
                                                             f"{stage['formula']['columns']}" if "formula" in stage else ""))
    lines.append(f"  parameters (F*F*D + 1)*K = {summary['params']:,}; multiplications {summary['multiplications']:,}")
    lines.append(f"  convolution output in float32: {summary['memory']} for a batch of {summary['batch']}")
    return "\n".join(lines + [f"  note: {note}" for note in summary["notes"]])


# -- augment -----------------------------------------------------------------------------------------
def add_augment_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "augment", help="augmented samples of a photo through a saved Albumentations pipeline",
        description="Run a photo through a pipeline saved by the Augment page (or by Albumentations' A.save) N "
                    "times and print what each sample got. The same file and seed always give the same images.")
    parser.add_argument("image", metavar="IMAGE", help="a PNG, JPEG, WebP, BMP or GIF photo")
    parser.add_argument("--pipeline", required=True, metavar="FILE.yaml|FILE.json",
                        help="the pipeline in Albumentations' saved form (YAML or JSON; read with the safe loaders)")
    parser.add_argument("-n", "--count", type=int, default=16, help="samples to make (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pipeline's random draws")
    parser.add_argument("--out", metavar="GRID.png", help="write the samples side by side as a PNG")
    parser.add_argument("--save-npz", metavar="OUT.npz", help="write `images`, an (n, H, W, C) uint8 array")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    parser.set_defaults(handler=run_augment, parser=parser)


def run_augment(args: argparse.Namespace) -> int:
    from webapp.augment_preview import MAX_SAMPLES

    if not 1 <= args.count <= MAX_SAMPLES:
        raise UsageError(f"-n must be from 1 to {MAX_SAMPLES}")
    import numpy as np

    from webapp.augment import describe_pipeline, read_pipeline_file, sized_for
    from webapp.augment_preview import augment_samples, grid_png, read_photo, stacked

    data = read_pipeline_file(args.pipeline)
    photo = read_photo(args.image, max_side=None, max_bytes=args.max_bytes)
    data = sized_for(data, photo.shape)  # a target size (RandomResizedCrop's) follows the image
    samples = augment_samples(data, [photo] * args.count, args.seed)
    images = [sample.image for sample in samples]
    if args.save_npz:
        np.savez_compressed(args.save_npz, images=stacked(images))
    if args.out:
        with open(args.out, "wb") as out:
            out.write(grid_png(images))
    summary = {"image": args.image, "pipeline": args.pipeline, "transforms": describe_pipeline(data),
               "count": args.count, "seed": args.seed, "input_shape": list(photo.shape),
               "applied": [list(sample.applied) for sample in samples],
               "grid": args.out, "npz": args.save_npz}
    if args.json:
        emit(summary)
    else:
        print(f"{args.count} samples of {args.image} ({format_shape(photo.shape)}) through "
              f"{summary['transforms']}, seed {args.seed}:")
        print("\n".join(f"  {index:3}: {'; '.join(sample.applied) or 'unchanged'}" for index, sample in enumerate(samples)))
    return EXIT_OK


# -- bench -------------------------------------------------------------------------------------------
def add_bench_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bench", help="measure speed (see each benchmark's --help)")
    benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    train = benches.add_parser("train", help="time for the CNN to reach a test accuracy: lab defaults vs the seed tutorial")
    train.add_argument("--target", type=float, default=0.985, help="test accuracy to reach")
    train.add_argument("--seeds", type=positive_int, default=3, help="repeats (the median is reported)")
    train.add_argument("--check-every", type=positive_int, default=100, help="batches between test-accuracy checks")
    train.add_argument("--max-epochs", type=positive_int, default=5)
    train.add_argument("--subset", type=int, default=0, help="training images (0: all; smaller only for smoke tests)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(handler=run_bench_train)
    predict = benches.add_parser("predict", help="ms from a canvas array to both models' probabilities")
    predict.add_argument("--runs", type=positive_int, default=50, help="timed runs after the warm-up (median reported)")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(handler=run_bench_predict)
    stages = benches.add_parser("stages", help="seconds for a 12 MP photo through conv (4 filters 3x3), ReLU and 2x2 max pool, "
                                                   "and the peak memory for a 49 MP one")
    stages.add_argument("--runs", type=positive_int, default=7, help="timed runs after a warm-up (median reported)")
    stages.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the peak-memory measurement (a 49 MP photo through the CLI and the page's path)")
    stages.add_argument("--json", action="store_true")
    stages.set_defaults(handler=run_bench_stages)
    startup = benches.add_parser("startup", help="seconds from server start to the Home page shown")
    startup.add_argument("--repeats", type=positive_int, default=3)
    startup.add_argument("--json", action="store_true")
    startup.set_defaults(handler=run_bench_startup)
    read = benches.add_parser("read", help="reading accuracy per model and per variant on a folder of labelled pictures",
                              description="DIR holds the pictures and a labels.csv with lines file,label[,variant].")
    read.add_argument("folder", metavar="DIR", help="a folder of digit pictures with a labels.csv")
    read.add_argument("--models", default="dnn,cnn", help=f"comma list of {', '.join(MODEL_NAMES)} or run ids (default dnn,cnn)")
    read.add_argument("--steps", metavar="OUT.png", help="write each misread picture's preparation steps side by side")
    read.add_argument("--json", action="store_true", help="one JSON line, with every failure's file name")
    read.set_defaults(handler=run_bench_read, parser=read)
    summary = benches.add_parser("summary", help="seconds to build each network's table the first time, ms once cached")
    summary.add_argument("--networks", type=name_list(ARCHITECTURE_NAMES, "network"), default=ARCHITECTURE_NAMES,
                         help="comma list of network names (default: all of them)")
    summary.add_argument("--repeats", type=positive_int, default=20, help="cached look-ups timed per network (median reported)")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(handler=run_bench_summary, parser=summary)
    augment = benches.add_parser("augment", help="images/s through the digits augmentation preset on one CPU core")
    augment.add_argument("--runs", type=positive_int, default=5, help="timed runs after a warm-up (median reported)")
    augment.add_argument("--images", type=positive_int, default=10_000, help="MNIST training digits per run")
    augment.add_argument("--epoch-images", type=int, default=12_000,
                         help="also time one CNN training epoch on this many images, plain and augmented (0: skip)")
    augment.add_argument("--json", action="store_true")
    augment.set_defaults(handler=run_bench_augment)
    add_bench_pages_parser(benches)


def add_bench_pages_parser(benches: argparse._SubParsersAction) -> None:
    from webapp.bench_pages import PAGE_NAMES

    pages = benches.add_parser("pages", help="ms in Chromium from a typical action on each page to its updated result")
    pages.add_argument("--runs", type=positive_int, default=5, help="timed runs per action (median reported)")
    pages.add_argument("--url", type=server_url, default=None,
                       help="a running lab, e.g. http://127.0.0.1:8501 (default: start one with a private runs store)")
    pages.add_argument("--pages", type=name_list(PAGE_NAMES, "page"), default=PAGE_NAMES,
                       help=f"comma list of pages (default: all of them: {','.join(PAGE_NAMES)})")
    pages.add_argument("--json", action="store_true")
    pages.set_defaults(handler=run_bench_pages)


def server_url(text: str) -> str:
    """An argparse type for a lab's address: http(s) and a host."""
    from urllib.parse import urlparse

    parts = urlparse(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server address like http://127.0.0.1:8501")
    return text


def run_bench_train(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp import bench

    report = bench.train_benchmark(target=args.target, seeds=args.seeds, check_every=args.check_every,
                                   max_epochs=args.max_epochs, subset=args.subset, log=say)
    return show_report(args, report, bench.format_train_report)


def run_bench_predict(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp import bench

    return show_report(args, bench.predict_benchmark(runs=max(20, args.runs), log=say), lambda report: (
        f"canvas to both models' probabilities: {report['predict_median_ms']:.1f} ms (median); "
        f"PNG decoding: {report['decode_median_ms']:.1f} ms"))


def run_bench_stages(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp import bench

    report = bench.stages_benchmark(runs=max(3, args.runs), log=say)
    if args.memory:
        report.update(bench.stages_memory_benchmark(log=say))
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


def run_bench_read(args: argparse.Namespace) -> int:
    from webapp import bench

    try:
        bench.read_labels(args.folder)  # a missing folder or labels file: one sentence before loading any model
    except ValueError as problem:
        say(str(problem))
        return EXIT_FAILED
    report = bench.read_benchmark(args.folder, load_named_models(args.models), log=say)
    if args.steps:
        bench.save_png(bench.failure_sheet(args.folder, report["failures"]), args.steps)
        say(f"wrote the steps of {len({failure['file'] for failure in report['failures']})} misread pictures to {args.steps}")
    if args.json:
        emit(report)
    else:
        print(bench.format_read_report(report))
    return EXIT_OK


def run_bench_startup(args: argparse.Namespace) -> int:
    from webapp import bench

    return show_report(args, bench.startup_benchmark(repeats=args.repeats, log=say), lambda report: (
        f"Home page shown {report['median_seconds']:.2f} s after server start (median of {len(report['seconds'])})."))


def run_bench_summary(args: argparse.Namespace) -> int:
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp import bench

    report = bench.summary_benchmark(args.networks, repeats=max(1, args.repeats), log=say)
    return show_report(args, report, lambda report: (
        f"slowest first build: {report['max_first_seconds']:.2f} s; slowest cached look-up: "
        f"{report['max_cached_ms']:.3f} ms"))


def run_bench_augment(args: argparse.Namespace) -> int:
    from webapp import bench

    report = bench.augment_benchmark(runs=max(1, args.runs), images=max(256, args.images), log=say)
    if args.epoch_images > 0:
        report.update(bench.augmented_epoch_benchmark(images=args.epoch_images, log=say))
    return show_report(args, report, lambda report: (
        f"digits preset ({report['pipeline']}) on one CPU core: {report['median_images_per_second']:,.0f} images/s "
        f"(median of {report['runs']}; goal {report['goal_images_per_second']:,}); building a seeded pipeline: "
        f"{report['pipeline_build_ms']:.2f} ms" + (
            f"; one CNN epoch on {report['epoch_images']:,} images: {report['epoch_seconds_plain']:.1f} s plain, "
            f"{report['epoch_seconds_augmented']:.1f} s augmented" if "epoch_images" in report else "")))


def run_bench_pages(args: argparse.Namespace) -> int:
    """One line per (page, action) as soon as it is measured: JSON with --json, else a readable row."""
    from webapp.bench_pages import format_line, pages_benchmark

    for report in pages_benchmark(args.pages, runs=args.runs, url=args.url, log=say):
        if args.json:
            emit(report)
        else:
            print(format_line(report), flush=True)
    return EXIT_OK


# -- entry -------------------------------------------------------------------------------------------
PARSERS: list[Callable[[argparse._SubParsersAction], None]] = [add_train_parser, add_runs_parser, add_predict_parser,
                                                                add_stages_parser, add_summary_parser, add_augment_parser,
                                                                add_bench_parser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webapp", description="ConvNet Lab from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in PARSERS:
        add(commands)
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
