"""What a race will show, in words, for the training-set size and epochs chosen (the Train page's intro).

The numbers come from the lab's own races at the default settings (Adam peaking at 1e-2 after a warm-up, cosine
decay over the run, label smoothing 0.1, batches of 256, seed 0; `TrainConfig(models=("dnn", "cnn"), subset=IMAGES,
epochs=EPOCHS)` through `run_training`, measured on a 2-core CPU on 30 November 2026): validation accuracy on the
held-out twelfth. Since the schedule spans the run, a race of other epochs follows a slightly different curve.
A small training set caps what either network can learn, so the promise "the CNN passes 98% within an epoch"
only holds for the full set.
Other datasets of the catalog get their own sentence (`DATASET_NOTES`): what to notice on clothes, or that a view
is half of MNIST kept for transfer learning.
"""
from __future__ import annotations

from dataclasses import dataclass

from webapp import datasets
from webapp.config import FULL_TRAINING_SET, TrainConfig


@dataclass(frozen=True)
class MeasuredRace:
    epochs: int  # how long the measured race ran
    cnn_passed_98_at: float | None  # epoch at which the CNN's validation accuracy first reached 98%
    cnn_best: float  # best validation accuracy in the run
    dnn_best: float
    cnn_after_one: float  # validation accuracy at the end of the first epoch
    dnn_after_one: float


MEASURED = {  # images chosen (0: all 60,000) -> the lab's race at the default settings
    1_000: MeasuredRace(10, None, 0.928, 0.904, 0.506, 0.627),
    3_000: MeasuredRace(6, None, 0.944, 0.916, 0.568, 0.836),
    6_000: MeasuredRace(5, 3.6, 0.984, 0.952, 0.902, 0.854),
    12_000: MeasuredRace(4, 1.8, 0.989, 0.958, 0.961, 0.909),
    30_000: MeasuredRace(3, 1.0, 0.988, 0.967, 0.980, 0.952),
    FULL_TRAINING_SET: MeasuredRace(3, 0.6, 0.990, 0.976, 0.986, 0.961),
}
INTRO = ("Pick a dense network (DNN) and a convolutional network (CNN) and press **Start training**: both learn "
         "from the same batches in the same order.")
SECONDS = "Then switch the x axis to compute seconds: the CNN's edge costs time."


def race_expectation(config: TrainConfig | None) -> str:
    """The intro, with what the validation curves will show for these images and epochs when the race is
    DNN against CNN on a size the lab has measured; without the promise otherwise."""
    if config is not None and not config.validation:
        return (f"{INTRO} These settings hold no image out, as seed 003 did: the chart shows each epoch's training "
                "accuracy (Keras' epoch log) and, at the end, the test accuracy, but no validation curve. "
                f"{SECONDS}")
    if config is not None and config.dataset in DATASET_NOTES and not config.collection:
        return f"{INTRO} {DATASET_NOTES[config.dataset](config)} {SECONDS}"
    if config is None or not {"dnn", "cnn"} <= set(config.models) or config.collection or config.dataset != "mnist":
        return f"{INTRO} {SECONDS}"
    images = config.subset or FULL_TRAINING_SET
    measured = MEASURED.get(images)
    if measured is None:
        return f"{INTRO} Watch the validation curves: the CNN usually ends above the DNN. {SECONDS}"
    trained_on = images - max(1, round(images * config.validation_fraction))
    size = f"{trained_on:,} training images"
    passed = measured.cnn_passed_98_at
    if passed is not None and passed <= config.epochs:
        when = "within an epoch" if passed <= 1 else f"after about {passed:.1f} epochs"
        what = (f"With {size}, watch the validation curves: in the lab's own race at the default settings the "
                f"CNN passed 98% {when}, and the DNN levelled off lower, near {measured.dnn_best:.1%}.")
    elif passed is not None:
        what = (f"With {size}, the CNN needed about {passed:.1f} epochs to pass 98% in the lab's own race at the "
                f"default settings, so in {_epochs(config.epochs)} expect it a little below; the DNN stays lower "
                f"(near {measured.dnn_best:.1%} at best).")
    else:
        what = (f"With only {size}, neither network reaches 98%: in the lab's own race at the default settings "
                f"the CNN was at {measured.cnn_after_one:.0%} and the DNN at {measured.dnn_after_one:.0%} after one "
                f"epoch, and at best about {measured.cnn_best:.0%} and {measured.dnn_best:.0%} within "
                f"{_epochs(measured.epochs)}. More images help more than more epochs.")
    return f"{INTRO} {what} {SECONDS}"


def _epochs(count: int) -> str:
    return "1 epoch" if count == 1 else f"{count} epochs"


# Fashion-MNIST at the page's defaults (`python -m webapp train --dataset fashion --model dnn,cnn --json`: all 60,000
# images, 3 epochs, the default schedule and label smoothing, batches of 256, seed 0, bfloat16 compute on a 2-core CPU,
# 30 November 2026).
FASHION_MEASURED = MeasuredRace(3, None, 0.912, 0.878, 0.885, 0.842)
FASHION_TEST = {"cnn": 0.903, "dnn": 0.872}  # the same race's test accuracies
FASHION_SHIRTS = {"cnn": 0.68, "dnn": 0.65}  # and the share of the 1,000 test shirts each read right


def fashion_note(config: TrainConfig) -> str:
    """What to notice on clothes: the dense net falls further behind than on digits, and shirts are the hard
    class (they look like T-shirts, pullovers and coats); the lab's own figures where its race matches."""
    info = datasets.get("fashion")
    published = "; ".join(f"{who} {accuracy:.1%}" for who, accuracy in info.reference_accuracies)
    notice = ("Clothes are harder than digits. At the end, open the mistakes tabs: shirts are read as T-shirts, "
              "pullovers and coats (and coats as shirts), while trousers, bags and shoes are rarely missed.")
    if not {"dnn", "cnn"} <= set(config.models):
        return f"{notice} Published reference points: {published}."
    notice += " Watch the dense network fall further behind the CNN than on MNIST."
    if config.subset in (0, info.train_size):
        m, digits = FASHION_MEASURED, MEASURED[FULL_TRAINING_SET]
        trained_on = info.train_size - round(info.train_size * config.validation_fraction)
        notice += (f" In the lab's own race at the default settings ({trained_on:,} training images, "
                   f"{_epochs(m.epochs)}) the CNN's validation accuracy was {m.cnn_after_one:.1%} after one epoch "
                   f"and {m.cnn_best:.1%} at best, the DNN's {m.dnn_after_one:.1%} and {m.dnn_best:.1%}: "
                   f"{(m.cnn_best - m.dnn_best) * 100:.1f} points apart, where on digits they are "
                   f"{(digits.cnn_best - digits.dnn_best) * 100:.1f} apart. On the test set the CNN scored "
                   f"{FASHION_TEST['cnn']:.1%} and the DNN {FASHION_TEST['dnn']:.1%}; the CNN read "
                   f"{FASHION_SHIRTS['cnn']:.0%} of the test shirts right, the DNN {FASHION_SHIRTS['dnn']:.0%}.")
    return f"{notice} Published reference points: {published}."


def mnist_half_note(config: TrainConfig) -> str:
    """A view of MNIST is there for transfer learning: say so, so nobody mistakes it for a new dataset."""
    info = datasets.get(config.dataset)
    return (f"{info.label} is half of MNIST ({info.train_size:,} training and {info.test_size:,} test digits, "
            f"{info.num_classes} classes), kept for the Transfer page: a CNN trained on one half is reused, in "
            "part, to learn the other.")


DATASET_NOTES = {"fashion": fashion_note, "mnist-0-4": mnist_half_note, "mnist-5-9": mnist_half_note}
