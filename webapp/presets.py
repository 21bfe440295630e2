"""Named settings presets: a small catalog of ready TrainConfig settings, as data.

`train --preset NAME`, the Train page's `?preset=NAME` link and `bench train` all read the same entry, so "the
tutorial's settings" mean one thing everywhere. A preset may carry what its source reported (reference numbers,
per model and epoch), which the charts draw as marks next to what the lab measures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.config import TrainConfig


@dataclass(frozen=True)
class SettingsPreset:
    """One named set of TrainConfig values, with where it comes from and the numbers that source reported."""

    name: str
    label: str
    source: str  # who reported the reference numbers, as the marks are labelled ("seed 003")
    description: str
    settings: dict[str, Any]
    # model -> the training accuracy its source reported at the end of each epoch (Keras' fit log)
    reference_train_accuracy: dict[str, tuple[float, ...]] = field(default_factory=dict)


PRESETS: dict[str, SettingsPreset] = {
    "tutorial": SettingsPreset(
        name="tutorial",
        label="The tutorial's settings (seed 003)",
        source="seed 003",
        description=("Seed tutorial 003 trained its DNN and CNN with rmsprop (learning rate 0.001), batches of 128, "
                     "5 epochs, on all 60,000 training images, with no validation split, in float32, at a constant "
                     "rate and with plain (unsmoothed) labels."),
        settings={"models": ("dnn", "cnn"), "epochs": 5, "batch_size": 128, "subset": 0, "optimizer": "rmsprop",
                  "learning_rate": 0.001, "dropout": 0.0, "batch_norm": False, "activation": "relu",
                  "validation": False, "precision": "float32", "schedule": "constant", "label_smoothing": 0.0},
        reference_train_accuracy={"dnn": (0.8469, 0.9490, 0.9655, 0.9739, 0.9782),
                                  "cnn": (0.8482, 0.9803, 0.9877, 0.9914, 0.9939)},
    ),
}
PRESET_NAMES = tuple(PRESETS)


def preset_config(name: str, **overrides: Any) -> TrainConfig:
    """The preset's TrainConfig (the lab's defaults for anything it does not name), with `overrides` on top."""
    if name not in PRESETS:
        raise ValueError(f"Unknown settings preset {name!r}; choose from {', '.join(PRESET_NAMES)}.")
    return TrainConfig(**{**PRESETS[name].settings, **overrides})


def matching_preset(config: TrainConfig | dict[str, Any], model: str | None = None) -> SettingsPreset | None:
    """The preset whose settings this run used (models: the run's own model among the preset's), or None.

    A run counts however it was started: from the preset link, or by choosing the same values by hand.
    """
    config = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    for preset in PRESETS.values():
        wanted = {key: value for key, value in preset.settings.items() if key != "models"}
        models = (model,) if model else config.models
        if (all(getattr(config, key) == value for key, value in wanted.items())
                and all(name in preset.settings["models"] for name in models)):
            return preset
    return None


def reference_points(preset: SettingsPreset, model: str) -> list[dict[str, Any]]:
    """(epoch, accuracy, label) of what the preset's source reported for `model`; the last one is labelled."""
    values = preset.reference_train_accuracy.get(model, ())
    return [{"epoch": epoch, "accuracy": value,
             "label": f"{preset.source}: {value:.4f}" if epoch == len(values) else ""}
            for epoch, value in enumerate(values, start=1)]


def comparison_rows(preset: SettingsPreset, measured: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per model and epoch: the source's training accuracy next to the lab's, for a table.

    `measured` maps a model name to its history (its `epochs` points, Keras' end-of-epoch training accuracy).
    """
    rows = []
    for model, values in preset.reference_train_accuracy.items():
        lab = {round(point["epoch"]): point["accuracy"] for point in measured.get(model, {}).get("epochs", [])}
        for epoch, value in enumerate(values, start=1):
            rows.append({"model": model, "epoch": epoch, f"{preset.source} (reported)": f"{value:.4f}",
                         "the lab (measured)": f"{lab[epoch]:.4f}" if epoch in lab else "not run"})
    return rows
