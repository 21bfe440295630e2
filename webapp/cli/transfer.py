"""`python -m webapp transfer`: seed 004's transfer recipes raced from a saved CNN onto a target dataset, one
saved run and one JSON line per recipe (the same job the Transfer page queues)."""
from __future__ import annotations

import argparse
from typing import Any

from webapp import transfer
from webapp.cli.common import UsageError, emit


def images_count(text: str) -> int:
    """An argparse type for --images: a whole number of training images, or `all` (0, as TrainConfig.subset)."""
    if text.strip().lower() == "all":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number of images nor all") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 image, not {value}")
    return value


def recipe_list(text: str) -> tuple[str, ...]:
    """An argparse type for a comma list of recipes (an unknown or repeated one: a usage error)."""
    names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
    problem = transfer.recipe_problem(names) if names else "Name at least one recipe."
    if problem:
        raise argparse.ArgumentTypeError(problem.rstrip("."))
    return names


def add_parser(commands: argparse._SubParsersAction) -> None:
    low, high = transfer.SMALL_RANGE
    parser = commands.add_parser(
        "transfer", help="reuse a saved CNN on another dataset: seed 004's four recipes raced",
        description="Race transfer recipes made from a saved CNN on a target dataset: same batches, same order, "
                    "one saved run per recipe. " + " ".join(f"{name}: {recipe.what}"
                                                           for name, recipe in transfer.RECIPES.items()))
    parser.add_argument("--source", default=transfer.SOURCE_DEFAULT, metavar="RUN",
                        help=f"the saved CNN to start from (default {transfer.SOURCE_DEFAULT}: cnn3 trained on MNIST "
                             "digits 0-4)")
    parser.add_argument("--target", required=True, choices=list(transfer.TARGETS),
                        help="; ".join(f"{name}: {target.label}" for name, target in transfer.TARGETS.items()))
    parser.add_argument("--images", type=images_count, required=True, metavar="N|all",
                        help=f"training images drawn stratified by class (a small target: {low:,} to {high:,}; "
                             "the validation share is held out of them), or all of the target's")
    parser.add_argument("--recipes", type=recipe_list, default=tuple(transfer.RECIPES),
                        help=f"comma list of {', '.join(transfer.RECIPES)} (default: all four)")
    parser.add_argument("--epochs", type=int, default=transfer.DEFAULT_EPOCHS,
                        help=f"default {transfer.DEFAULT_EPOCHS}")
    parser.add_argument("--seed", type=int, default=0, help="default 0")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout, one per recipe")
    parser.set_defaults(handler=run, parser=parser)


def config_from(store: Any, args: argparse.Namespace) -> Any:
    """The transfer job's TrainConfig; an unknown or non-CNN source, or an impossible size, is a usage error."""
    from webapp.job import transfer_config
    from webapp.store import UnknownRunError, UnreadableRunError

    try:
        source = store.get(args.source)
        return transfer_config(args.source, source.model_name, args.target, args.images, args.recipes,
                                   epochs=args.epochs, seed=args.seed)
    except (UnknownRunError, UnreadableRunError, ValueError) as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from webapp.store import RunStore

    store = RunStore()
    config = config_from(store, args)
    from webapp.cli.train import train_and_report

    return train_and_report(config, store, lambda info: report_recipe_run(args, info))


def recipe_report(target: str, info: Any) -> dict[str, Any]:
    """One saved recipe run as the command reports it."""
    record = info.record
    return {
        "recipe": record.recipe, "target": target, "images": record.train_images,
        "test_accuracy": record.test_accuracy, "test_loss": record.test_loss,
        "trainable_params": record.trainable_params, "frozen_params": record.frozen_params,
        "epoch_seconds": list(record.epoch_seconds), "compute_seconds": record.compute_seconds,
        "run_id": info.run_id, "dataset": record.dataset, "source": record.source_run,
    }


def report_recipe_run(args: argparse.Namespace, info: Any) -> None:
    """A JSON line, or a readable line, for one recipe's saved run."""
    report = recipe_report(args.target, info)
    if args.json:
        emit(report)
    else:
        print(f"{report['recipe']:8} test accuracy {report['test_accuracy']:.2%}  loss {report['test_loss']:.4f}  "
              f"trainable {report['trainable_params']:,}  frozen {report['frozen_params']:,}  "
              f"{report['compute_seconds']:.1f} s  saved as {report['run_id']}")
