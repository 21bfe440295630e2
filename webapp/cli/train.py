"""`python -m webapp train`: train one model, or race several on the same batches, and save a run per model."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from typing import Any, Callable

from webapp import datasets
from webapp.cli.common import EXIT_FAILED, EXIT_OK, UsageError, emit, name_list, say
from webapp.config import ACTIVATIONS, MODEL_NAMES, OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig
from webapp.network_catalog import short_name

model_list = name_list(MODEL_NAMES, "model")


def add_parser(commands: argparse._SubParsersAction) -> None:
    from webapp.presets import PRESET_NAMES

    defaults = TrainConfig()
    parser = commands.add_parser("train", help="train one model, or race several on the same data",
                                 description="Train on a dataset of the catalog (MNIST by default). Two or more "
                                             "models race: same batches, same order. "
                                             "Flags given override a --preset's settings, which override the lab's.")
    # None: not given, so the preset's value (or the lab's default, shown in the help) applies
    parser.add_argument("--preset", choices=PRESET_NAMES,
                        help="start from a named settings preset (tutorial: seed 003's rmsprop, batch 128, 5 epochs, "
                             "all 60,000 images, no validation split)")
    parser.add_argument("--model", type=model_list,
                        help=f"{', '.join(MODEL_NAMES)}, or a comma list (a race); default {','.join(defaults.models)}")
    parser.add_argument("--dataset", choices=list(datasets.CATALOG),
                        help="what to learn: "
                             + "; ".join(f"{name}: {info.label}" for name, info in datasets.CATALOG.items())
                             + f"; default {defaults.dataset}")
    parser.add_argument("--epochs", type=int, help=f"default {defaults.epochs}")
    parser.add_argument("--batch-size", type=int, help=f"default {defaults.batch_size}")
    parser.add_argument("--subset", type=int, help="training images to use (0: all of the dataset's, the default)")
    parser.add_argument("--seed", type=int, help=f"default {defaults.seed}")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    parser.add_argument("--lr", type=float, help=f"learning rate; default {defaults.learning_rate}")
    parser.add_argument("--schedule", choices=SCHEDULES,
                        help="constant: the same rate throughout; cosine: it decays to 0 over the run; "
                             "warmup-cosine: it climbs from 0 over the first 15%% of the batches, then decays to 0; "
                             f"default {defaults.schedule}")
    parser.add_argument("--label-smoothing", type=float,
                        help="share of each training target's probability given to the other classes (0: plain "
                             f"labels); default {defaults.label_smoothing}")
    parser.add_argument("--dropout", type=float, help=f"default {defaults.dropout}")
    parser.add_argument("--batch-norm", action="store_true", default=None)
    parser.add_argument("--activation", choices=ACTIVATIONS,
                        help=f"hidden units of dnn and cnn (LeNet keeps tanh); default {defaults.activation}")
    parser.add_argument("--no-validation", dest="validation", action="store_false", default=None,
                        help="hold no images out: train on all of them (the chart then has no validation curve)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="auto (default): bfloat16 compute where the hardware has it natively, else float32")
    augmentation = parser.add_mutually_exclusive_group()
    augmentation.add_argument("--pipeline", metavar="FILE",
                              help="augment the training images on the fly with this Albumentations "
                                   "pipeline (YAML or JSON, as the Augment page exports it)")
    augmentation.add_argument("--augment-preset", metavar="NAME",
                              help="augment on the fly with one of the Augment page's presets (seed, digits, photos)")
    parser.add_argument("--save-default", action="store_true",
                        help="also install the runs as the shipped defaults (maintainers)")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout")
    parser.set_defaults(handler=run, parser=parser)


# flag -> TrainConfig field, for the flags a preset's settings can stand in for
TRAIN_FLAGS = {"model": "models", "epochs": "epochs", "batch_size": "batch_size", "subset": "subset", "seed": "seed",
               "optimizer": "optimizer", "lr": "learning_rate", "dropout": "dropout", "batch_norm": "batch_norm",
               "activation": "activation", "validation": "validation", "precision": "precision",
               "schedule": "schedule", "label_smoothing": "label_smoothing", "dataset": "dataset"}


def train_config_from(args: argparse.Namespace) -> TrainConfig:
    """The lab's defaults, then the --preset's settings, then the flags given (an impossible mix: a usage error)."""
    from webapp.presets import preset_config

    given = {field: getattr(args, flag) for flag, field in TRAIN_FLAGS.items() if getattr(args, flag) is not None}
    try:
        return preset_config(args.preset, **given) if args.preset else TrainConfig(**given)
    except ValueError as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
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
    from webapp.store import RunStore

    store = RunStore()
    return train_and_report(config, store, lambda info: report_saved_run(args, store, info))


def train_and_report(config: Any, store: Any, report: Callable[[Any], None]) -> int:
    """Train `config` as a CLI job (progress bar on stderr), `report` each saved run; when saving fails part way,
    report what was saved, then the failure in one sentence (exit 1). Shared by `train` and `transfer`."""
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    from webapp.errors import describe_error
    from webapp.job import Job, PartialSaveError, execute

    job = Job(config=config, owner="cli")
    try:
        with ProgressBar(job):
            runs = execute(job, store)
    except PartialSaveError as error:
        for info in error.saved:
            report(info)
        say(describe_error(error, "Saving"))
        return EXIT_FAILED
    for info in runs:
        report(info)
    return EXIT_OK


def report_saved_run(args: argparse.Namespace, store: Any, info: Any) -> None:
    """One saved run: a JSON line or a readable line (installed as the default too with --save-default)."""
    from webapp.store import promote_to_default

    if args.save_default:
        promote_to_default(store, info.run_id)
    record = info.record
    report = {
        "run_id": info.run_id, "model": info.model_name, "dataset": record.dataset, "status": record.status,
        "test_accuracy": record.test_accuracy, "test_loss": record.test_loss,
        "epoch_seconds": list(record.epoch_seconds), "compute_seconds": record.compute_seconds,
        "warmup_seconds": record.warmup_seconds,  # the first batch's tracing, not in compute_seconds
        "device": record.device, "precision": record.precision,
        "params": record.params, "augmentation": record.augmentation,
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


