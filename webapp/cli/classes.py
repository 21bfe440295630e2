"""`python -m webapp classes`: teach a model your own classes from a folder of images, and try it on files.

`classes train DIR --input sketch|photo` imports DIR (one sub-folder of images per class) as a new collection,
as the page's zip upload does, and trains it through the same job the page queues (`webapp.job.classes_config`):
sketches with a transfer recipe from the digit CNN, photos with seed 004's network from scratch. A fifth of each
class is held out, and the run's test accuracy is its accuracy on them. `classes predict RUN FILE...` prepares
each file as the run's samples were and prints every class's probability.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from webapp import classes
from webapp.cli.common import EXIT_FAILED, EXIT_OK, UsageError, add_max_bytes, emit, say
from webapp.transfer import RECIPES


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("classes", help="teach a model your own classes (sketches or photos), then try it",
                                 description="Train on your own classes from a folder of images, or read files "
                                             "with a model trained that way.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = actions.add_parser(
        "train", help="train on DIR: one sub-folder of images per class",
        description="Import DIR (one sub-folder of images per class, named after the class) as a new collection "
                    f"and train on it, a fifth of each class held out to test on. Sketches start from the digit "
                    f"CNN ({classes.SKETCH_SOURCE_RUN}) with a transfer recipe; photos train seed 004's network "
                    "from scratch with the Augment page's photos preset (the lab has no network pretrained on colour "
                    "photos, so no other recipe applies to them).")
    train.add_argument("folder", metavar="DIR", help="a folder with one sub-folder of images per class")
    train.add_argument("--input", required=True, choices=classes.INPUT_KINDS,
                       help="sketch: grey drawings prepared like the Draw page's digits (28x28); photo: colour "
                            "pictures, centre square at 32x32")
    train.add_argument("--recipe", choices=list(RECIPES),
                       help="; ".join(f"{name}: {recipe.what.rstrip('.')}" for name, recipe in RECIPES.items())
                            + f" (default {classes.DEFAULT_RECIPE['sketch']} for sketches; photos: "
                              f"{classes.DEFAULT_RECIPE['photo']} only)")
    train.add_argument("--epochs", type=int, metavar="E",
                       help=f"default {classes.DEFAULT_EPOCHS['sketch']} for sketches, "
                            f"{classes.DEFAULT_EPOCHS['photo']} for photos")
    train.add_argument("--seed", type=int, default=0, help="default 0")
    train.add_argument("--json", action="store_true", help="one JSON line on stdout when the run is saved")
    train.set_defaults(handler=run_train, parser=train)
    predict = actions.add_parser("predict", help="every class's probability for image files, with a saved run",
                                 description="Each file is prepared as the run's samples were (a sketch like a "
                                             "digit, a photo's centre square at 32x32).")
    predict.add_argument("run_id", metavar="RUN_ID", help="a run trained on your own classes")
    predict.add_argument("files", nargs="+", metavar="FILE", help="image files (PNG, JPEG, WebP, BMP or GIF)")
    add_max_bytes(predict)
    predict.add_argument("--json", action="store_true", help="JSON Lines on stdout, one per file")
    predict.set_defaults(handler=run_predict, parser=predict)


# -- train -----------------------------------------------------------------------------------------------------
def import_and_configure(args: argparse.Namespace) -> tuple[Any, Any]:
    """The new collection and its job's TrainConfig. A recipe, epoch count or path that cannot work is a usage
    error (exit 2); what the folder holds (too few classes or samples, a file that is no image, a bad class name)
    is input that fails at run time: ValueError, one sentence (exit 1). Either way no collection is kept, and
    Keras is imported (its start-up lines muted) only once the folder can train."""
    from webapp.ownership import new_secret, owner_key

    recipe = args.recipe or classes.DEFAULT_RECIPE[args.input]
    if args.input == "photo" and recipe != "scratch":
        raise UsageError(f"Photos train from scratch only (--recipe {recipe} needs a network pretrained on colour "
                         "photos, which the lab does not have).")
    if args.epochs is not None and not 1 <= args.epochs <= 200:
        raise UsageError("Epochs must be between 1 and 200.")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder: give a folder with one sub-folder of images per class.")
    # owned by a secret nobody keeps: the collection can be viewed and trained on, never changed
    collection = classes.import_folder(folder, owner_key(new_secret()), args.input, title=folder.name)
    try:
        problem = collection.training_problem()
        if problem:
            raise ValueError(problem)
        from webapp.device import import_backend_quietly

        import_backend_quietly()
        from webapp.job import classes_config

        return collection, classes_config(collection.dataset_id, args.input, (recipe,), args.epochs, seed=args.seed)
    except ValueError:
        discard(collection)  # nothing to train: keep no collection behind
        raise


def discard(collection: classes.ClassCollection) -> None:
    """Remove a collection this command imported and nothing refers to yet."""
    import shutil

    shutil.rmtree(collection.path, ignore_errors=True)


def run_train(args: argparse.Namespace) -> int:
    try:
        collection, config = import_and_configure(args)
    except ValueError as error:  # what the folder holds
        say(str(error))
        return EXIT_FAILED
    say(f"Imported {sum(collection.counts().values())} samples of {len(collection.class_names())} classes as "
        f"the collection {collection.name}.")
    from webapp.cli.train import ProgressBar
    from webapp.job import Job, execute
    from webapp.store import RunStore

    job = Job(config=config, owner="cli")
    try:
        with ProgressBar(job):
            [info] = execute(job, RunStore())
    except BaseException:  # a failure or Ctrl-C before the run was saved: nothing refers to the collection
        discard(collection)
        raise
    report = train_report(collection, config, info)
    if args.json:
        emit(report)
    else:
        print(f"Held-out accuracy {report['held_out_accuracy']:.1%} on {report['held_out_samples']} samples of "
              f"{', '.join(report['classes'])}; saved as {report['run_id']}")
    return EXIT_OK


def train_report(collection: classes.ClassCollection, config: Any, info: Any) -> dict[str, Any]:
    """The saved run as the command reports it."""
    record = info.record
    return {"run_id": info.run_id, "classes": collection.class_names(), "held_out_accuracy": record.test_accuracy,
            "epoch_seconds": list(record.epoch_seconds), "collection": collection.name, "dataset": record.dataset,
            "input": collection.input_kind, "recipe": record.recipe or "scratch", "network": record.model,
            "train_samples": record.train_images, "held_out_samples": collection.split_sizes()[1],
            "epochs": config.epochs}


# -- predict ---------------------------------------------------------------------------------------------------
def load_run(run_id: str) -> tuple[Any, str, list[str]]:
    """The run's model, input kind and class names (its collection tells the kind; the run recorded the names it
    learned); a run of another dataset is a usage error."""
    from webapp.datasets import CLASSES_PREFIX
    from webapp.store import RunStore, UnknownRunError, UnreadableRunError

    store = RunStore()
    try:
        info = store.get(run_id)
    except (UnknownRunError, UnreadableRunError) as error:
        raise UsageError(str(error)) from None
    collection = classes.collection_for(info.record.dataset)
    if collection is None:
        kind = "a collection that no longer exists" if info.record.dataset.startswith(CLASSES_PREFIX) else \
            info.record.dataset
        raise UsageError(f"The run {run_id} was trained on {kind}, not on a collection of your own classes.")
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    names = list(info.record.class_names or collection.class_names())  # the names it learned, if recorded
    return store.load_model(info.run_id), collection.input_kind, names


def run_predict(args: argparse.Namespace) -> int:
    model, input_kind, class_names = load_run(args.run_id)
    failed = 0
    for path in args.files:
        result = classes.predict_file(path, model, input_kind, class_names, max_bytes=args.max_bytes)
        failed += "error" in result
        if args.json:
            emit(result)
        elif "error" in result:
            say(f"{path}: {result['error']}")
        else:
            print(f"{path}: {result['label']} ({result['probabilities'][result['label']]:.1%})  " + ", ".join(
                f"{name} {value:.1%}" for name, value in result["probabilities"].items()))
            if "note" in result:
                print(f"  {result['note']}")
    return EXIT_FAILED if failed else EXIT_OK
