"""TrainConfig: every choice a training run depends on, validated where it enters."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from webapp import datasets
from webapp.network_catalog import HIDDEN_ACTIVATIONS as ACTIVATIONS  # dnn and cnn; LeNet keeps its own tanh
from webapp.network_catalog import TRAINABLE_NAMES, takes_activation_choice, trainable_names

def positive_setting(variable: str) -> int | None:
    """A server setting that is a positive whole number, read from the environment: None when unset, ValueError
    (one sentence naming the variable and its value) when it is anything else."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{variable} must be a positive whole number; it is {raw!r}.")
    return int(raw)


OPTIMIZERS = ("adam", "rmsprop", "sgd")
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
SCHEDULES = ("constant", "cosine", "warmup-cosine")
WARMUP_SHARE = 0.15  # "warmup-cosine": the share of the run's batches over which the rate climbs from 0
# How the lab trained before the warm-up/cosine defaults (issue 17). Transfer, your own classes and fine-tuning on a
# collection were measured and tuned with these, so they keep them; a stored config that predates a field reads it so.
CONSTANT_RATE: dict[str, Any] = {"learning_rate": 0.003, "schedule": "constant", "label_smoothing": 0.0}
LEGACY_DEFAULTS: dict[str, Any] = {key: CONSTANT_RATE[key] for key in ("schedule", "label_smoothing")}
MODEL_NAMES = TRAINABLE_NAMES  # the networks the lab trains: dnn, cnn, lenet
FULL_TRAINING_SET = datasets.MNIST.train_size  # the default dataset's


def unknown_dataset_sentence(name: str) -> str:
    if name.startswith(datasets.CLASSES_PREFIX):
        return f"There is no collection of classes called {name[len(datasets.CLASSES_PREFIX):]!r}."
    return f"Unknown dataset {name}; choose from {', '.join(datasets.CATALOG)}."


@dataclass(frozen=True)
class TrainConfig:
    """One training job: one model, or two or more trained in lockstep (a race).

    The defaults are the lab's tuned settings (Adam with a peak rate of 1e-2, warmed up over the first 15% of the
    batches then decayed to 0 along a half cosine; label smoothing 0.1; batches of 256; bfloat16 where native),
    measured by `bench train` to reach 99% test accuracy in a fraction of the seed tutorial's time (rmsprop at 1e-3,
    batches of 128, a constant rate).
    """

    models: tuple[str, ...] = ("dnn", "cnn")
    epochs: int = 3
    batch_size: int = 256
    subset: int = 0  # images drawn from the training set; 0 means all of it
    seed: int = 0
    optimizer: str = "adam"
    learning_rate: float = 0.01  # the peak rate, with a schedule
    # "constant"; "cosine": the rate decays to 0 along a half cosine over the whole run; "warmup-cosine": it first
    # climbs linearly from 0 over WARMUP_SHARE of the batches (large early steps on random weights overshoot)
    schedule: str = "warmup-cosine"
    label_smoothing: float = 0.1  # the training targets give this much probability to the other classes together
    dropout: float = 0.0
    batch_norm: bool = False
    validation_fraction: float = 1 / 12  # of the (sub)set, held out; never the test set
    validations_per_epoch: int = 10
    precision: str = "auto"  # "auto": bfloat16 compute where the hardware has it natively, else float32
    pipeline: dict[str, Any] | None = None  # an Albumentations pipeline (`A.to_dict`) for the training images
    base_run: str = ""  # fine-tuning: the saved run to start from ...
    collection: str = ""  # ... trained on this collection of the learner's own digits instead of MNIST
    activation: str = "relu"  # the hidden units of dnn and cnn (the seed tutorial's relu by default)
    validation: bool = True  # hold out `validation_fraction` to validate; off trains on every image, as seed 003 did
    dataset: str = datasets.DEFAULT_DATASET  # an id of webapp.datasets.CATALOG or "classes:<name>"; runs record it
    # Transfer (webapp.transfer): the recipes race instead of networks, each made from the saved CNN `source_run`
    # (whose network is `models`' one entry) and trained on `dataset`, the target.
    recipes: tuple[str, ...] = ()
    source_run: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "recipes", tuple(self.recipes))
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    def problem(self) -> str | None:
        """The first impossible setting, as one sentence, or None when the config can run."""
        trainable = trainable_names()
        unknown = [name for name in self.models if name not in trainable]
        known_dataset = datasets.known(self.dataset)
        train_size = datasets.get(self.dataset).train_size if known_dataset else FULL_TRAINING_SET
        checks = [
            (not known_dataset, unknown_dataset_sentence(self.dataset)),
            (not self.models, "Choose at least one model."),
            (bool(unknown), f"Unknown model {', '.join(unknown)}; choose from {', '.join(trainable)}."),
            (len(set(self.models)) != len(self.models), "Each model can run only once in a race."),
            (not 1 <= self.epochs <= 200, "Epochs must be between 1 and 200."),
            (not 1 <= self.batch_size <= 8192, "Batch size must be between 1 and 8192."),
            (not 0 <= self.subset <= train_size, f"Training-set size must be between 0 (all) and {train_size}."),
            (self.optimizer not in OPTIMIZERS,
             f"Unknown optimizer {self.optimizer}; choose from {', '.join(OPTIMIZERS)}."),
            (not 0 < self.learning_rate <= 10, "Learning rate must be above 0 and at most 10."),
            (self.schedule not in SCHEDULES, f"Unknown schedule {self.schedule}; choose from {', '.join(SCHEDULES)}."),
            (not 0 <= self.label_smoothing <= 0.5, "Label smoothing must be between 0 and 0.5."),
            (not 0 <= self.dropout < 1, "Dropout must be at least 0 and below 1."),
            (not 0 < self.validation_fraction < 0.5, "The validation fraction must be between 0 and 0.5."),
            (self.activation not in ACTIVATIONS,
             f"Unknown activation {self.activation}; choose from {', '.join(ACTIVATIONS)}."),
            (self.activation != "relu" and not all(map(takes_activation_choice, set(self.models) & set(trainable))),
             "LeNet keeps its own tanh units: the activation choice is for dnn and cnn only."),
            (not self.validation and bool(self.collection), "Fine-tuning always holds out part of the collection."),
            (not 1 <= self.validations_per_epoch <= 1000, "Validations per epoch must be between 1 and 1000."),
            (self.precision not in PRECISIONS,
             f"Unknown precision {self.precision}; choose from {', '.join(PRECISIONS)}."),
            (bool(self.base_run) != bool(self.collection),
             "Fine-tuning needs both a saved model to start from and a collection of your own digits."),
            (bool(self.base_run) and len(self.models) != 1, "Fine-tuning takes exactly one model."),
            (bool(self.collection) and self.dataset != datasets.DEFAULT_DATASET,
             "Collections of your own digits fine-tune a model trained on MNIST."),
            (self.pipeline is not None and not isinstance(self.pipeline, dict),
             "An augmentation pipeline must be Albumentations' serialised form (a mapping)."),
            *self._transfer_checks(),
        ]
        if self.subset and not self.problem_free_size():
            checks.append((True, f"A training set of {self.subset} images is too small "
                                 f"for batches of {self.batch_size}."))
        return next((message for failed, message in checks if failed), None)

    def problem_free_size(self) -> bool:
        """Whether the subset leaves at least one full batch after holding out validation images."""
        held_out = max(1, round(self.subset * self.validation_fraction)) if self.validation else 0
        train_images = self.subset - held_out
        return train_images >= self.batch_size

    def _transfer_checks(self) -> list[tuple[bool, str]]:
        from webapp.transfer import recipe_problem

        problem = recipe_problem(self.recipes)
        return [
            (problem is not None, problem or ""),
            (bool(self.recipes) != bool(self.source_run), "Transfer needs both recipes and a saved CNN to start from."),
            (bool(self.recipes) and len(self.models) != 1, "Transfer starts from one network: the source run's."),
            (bool(self.recipes) and bool(self.base_run), "Transfer and fine-tuning on a collection are separate jobs."),
        ]

    @property
    def is_fine_tuning(self) -> bool:
        return bool(self.base_run)

    @property
    def is_transfer(self) -> bool:
        return bool(self.recipes)

    @property
    def race_entries(self) -> tuple[str, ...]:
        """What races: the recipes of a transfer job, else the networks."""
        return self.recipes or self.models

    @property
    def is_race(self) -> bool:
        return len(self.race_entries) > 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        data["recipes"] = list(self.recipes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Rebuild from a stored dict, ignoring keys a newer or older version may have added; a key an older
        version did not store takes the value that behaved as that version did (`LEGACY_DEFAULTS`)."""
        known = {field.name for field in fields(cls)}
        return cls(**{**LEGACY_DEFAULTS, **{key: value for key, value in data.items() if key in known}})
