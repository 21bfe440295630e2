"""RunRecord: what a saved run's `config.json` says about it, as typed fields instead of string keys.

Training writes one record per model (`webapp.jobs.execute`); the store reads it back for every listing, and
the pages and the CLI read its fields. Records written by older versions of the lab stay readable:
`from_dict` fills what they lack (`dataset` is "mnist": the lab trained on nothing else then) and ignores keys
it does not know, as `TrainConfig.from_dict` does. A value a run never recorded is None (or empty), so a page
can say "n/a" rather than guess. Kept free of Keras and Streamlit, so that anything may import it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_DATASET = "mnist"  # every run saved before the record named its dataset trained on MNIST


@dataclass(frozen=True)
class RunRecord:
    """One saved run's metadata, field for field as `config.json` holds it.

    The mappings (`train_config`, `fine_tuning`) are the stored JSON objects: treat them as read-only."""

    model: str = "?"  # dnn, cnn or lenet
    dataset: str = DEFAULT_DATASET
    status: str | None = None  # "done", or "stopped" when training was stopped early
    job_id: str | None = None
    raced_with: tuple[str, ...] = ()  # the other models trained in lockstep with this one
    train_config: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_dict() of the job
    seed: int | None = None
    device: str | None = None  # in words, e.g. "CPU, 2 cores (tensorflow)"
    precision: str | None = None  # the resolved compute precision (never "auto")
    params: int | None = None
    train_images: int | None = None
    validation_images: int | None = None
    steps: int | None = None  # training batches made
    epoch_seconds: tuple[float, ...] = ()
    compute_seconds: float | None = None
    warmup_seconds: float | None = None  # the first batch's tracing, left out of compute_seconds
    epochs_trained: float | None = None  # not recorded by older runs: see `webapp.ui.training_panels.epochs_trained`
    wall_seconds: float | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    created: str | None = None  # local time, "YYYY-MM-DD HH:MM:SS"
    fine_tuning: dict[str, Any] | None = None  # collection, base_run, held_out_images, before, after
    augmentation: str | None = None  # the training pipeline in words, when the images were augmented
    recipe: str | None = None  # a transfer run: the recipe (webapp.transfer.RECIPES) that made it ...
    source_run: str | None = None  # ... from this saved CNN
    trainable_params: int | None = None  # a transfer run: weights its recipe trained ...
    frozen_params: int | None = None  # ... and pretrained weights it kept frozen
    # A run on the learner's own classes ("classes:<name>"): the class names by label as they were when it trained
    # (a class added or renamed later changes the collection, not what this model answers).
    class_names: tuple[str, ...] | None = None
    # ... and the ids of the held-out samples it was tested on, in the order of its test predictions, so a page
    # knows for certain whether the collection's held-out part is still the one the run was tested on.
    held_out_samples: tuple[str, ...] | None = None
    # The owner key (`webapp.ownership.owner_key`, never the secret) of the browser whose job trained it: only that
    # browser lists and deletes it on the pages (others see it through the job's link). None: a run made with the
    # command line, shipped, or saved before runs had owners; every page lists it and none deletes it.
    owner: str | None = None
    run_id: str | None = None  # added by the store when it saves the run

    def visible_to(self, owner_key: str) -> bool:
        """Whether the browser with this owner key sees the run in the pages' lists of runs."""
        return self.owner is None or self.owner == owner_key

    def deletable_by(self, owner_key: str) -> bool:
        """Only the browser that trained a run deletes it from the pages."""
        return self.owner is not None and self.owner == owner_key

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        """Rebuild from a stored config: unknown keys ignored, missing ones left at their defaults."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data:
                continue
            value = data[spec.name]
            if spec.name in _LIST_FIELDS:
                value = tuple(value) if isinstance(value, (list, tuple)) else ()
            values[spec.name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `config.json` holds: every recorded field (lists as lists); None values are left out,
        as the lab has always left out what a run did not have (its fine-tuning or augmentation)."""
        data: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            data[spec.name] = list(value) if spec.name in _LIST_FIELDS else value
        return data


# JSON lists, kept as tuples
_LIST_FIELDS = frozenset({"raced_with", "epoch_seconds", "class_names", "held_out_samples"})
