"""The lab's pipelines: the editor's steps and the presets, building a checked pipeline from its serialised
form and back, sizes that follow the image, the exported file's form, words and Python code for a pipeline,
and applying one to a batch."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import albumentations as A
import numpy as np

from webapp.augment.checks import (PipelineError, _as_list, _first_line, _is_number, _plain, _ranges,
                                   build_transform, compose_entries, default_arguments, fits_image, transform_spec)
from webapp.augment_registry import CHOICE, REGISTRY, Control

DIGIT_SHAPE = (28, 28)


@dataclass(frozen=True)
class Step:
    """One transform as the editor holds it: the registry's controls, its probability, and any other
    Albumentations arguments a loaded file set (kept as they were, so a round trip loses nothing)."""

    name: str
    p: float
    values: Mapping[str, Any]
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    title: str
    what: str
    steps: tuple[Step, ...]


def step(name: str, p: float | None = None, **values: Any) -> Step:
    """A registry transform with its default controls, some of them set."""
    spec = transform_spec(name)
    unknown = set(values) - {control.name for control in spec.controls}
    if unknown:
        raise PipelineError(f"{name} has no control {sorted(unknown)[0]!r}.")
    defaults = {control.name: control.default for control in spec.controls if control.shown}
    return Step(name, spec.default_p if p is None else p, {**defaults, **values})


PRESETS: dict[str, Preset] = {
    "seed": Preset("The tutorial's (rotate, blur)",
                   "Rotate within 30 degrees, then a box blur of 3 or 5 pixels, each half of the time.",
                   (step("Rotate", 0.5, limit=(-30.0, 30.0)), step("Blur", 0.5, blur_limit=(3, 5)))),
    "digits": Preset("Digits", "Small changes in how a digit is written: a little rotation, shift and zoom, an "
                     "elastic wobble and sometimes a missing piece. Never a flip: a flipped 6 is a 9.", (
        step("Affine", 0.7, rotate=(-15.0, 15.0), translate_percent=(-0.1, 0.1), scale=(0.9, 1.1)),
        step("ElasticTransform", 0.3, alpha=34.0, sigma=4.0),
        step("CoarseDropout", 0.3, num_holes_range=(1, 2), hole_height_range=(0.1, 0.25), hole_width_range=(0.1, 0.25)),
    )),
    "photos": Preset("Photos", "What a camera varies: mirror images, framing, light and sensor noise.", (
        step("HorizontalFlip", 0.5),
        step("RandomResizedCrop", 0.5, scale=(0.6, 1.0)),
        step("RandomBrightnessContrast", 0.5),
        step("GaussNoise", 0.3, std_range=(0.02, 0.1)),
    )),
}


# -- building ------------------------------------------------------------------------------------------
def pipeline_from_dict(data: Any, seed: int | None = None, *, record_applied: bool = False) -> A.Compose:
    """Check a serialised pipeline against the registry and build it with `strict=True` and `seed`.

    `record_applied` makes each call return the parameters actually drawn (`applied_transforms`)."""
    entries, probability = compose_entries(data)
    transforms = [build_transform(entry, position) for position, entry in enumerate(entries, start=1)]
    try:
        return A.Compose(transforms, p=probability, strict=True, seed=seed, save_applied_params=record_applied)
    except (ValueError, TypeError) as error:
        raise PipelineError(f"The pipeline is not valid: {_first_line(error)}") from None


def pipeline_to_dict(pipeline: A.Compose) -> dict:
    """Albumentations' serialised form as plain JSON data (lists, not tuples): ready for YAML, JSON or a session."""
    return _plain(A.to_dict(pipeline))


# -- the editor's steps --------------------------------------------------------------------------------
def steps_to_dict(steps: Sequence[Step], image_shape: tuple[int, ...] | None = DIGIT_SHAPE) -> dict:
    """The serialised pipeline for the editor's steps, checked for images of `image_shape`; a target size
    (RandomResizedCrop's) becomes the image's (height, width), so the pipeline keeps the image's size.
    With no shape, a step keeps the target size it has (28x28 when it has none)."""
    entries = []
    for item in steps:
        spec = transform_spec(item.name)
        arguments = {**item.extras, **{name: _plain(value) for name, value in item.values.items()}}
        if image_shape is not None or not set(spec.size_params) <= set(arguments):
            arguments.update(spec.sized(image_shape or DIGIT_SHAPE))
        entries.append({"__class_fullname__": item.name, "p": item.p, **arguments})
    data = {"__version__": A.__version__,
            "transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": entries}}
    checked = pipeline_to_dict(pipeline_from_dict(data))
    if image_shape is not None:
        fits_image(checked, image_shape)
    return checked


def steps_from_dict(data: Any) -> list[Step]:
    """The editor's steps for a (checked) serialised pipeline. Controls take the file's values (a range given
    per axis shows the x axis's); other arguments that differ from Albumentations' defaults are kept as extras."""
    steps = []
    for entry in pipeline_to_dict(pipeline_from_dict(data))["transform"]["transforms"]:
        spec = REGISTRY[entry["__class_fullname__"]]
        shown = {control.name: control for control in spec.controls if control.shown}
        values = {name: _control_value(control, entry.get(name)) for name, control in shown.items()}
        skipped = {"__class_fullname__", "p", *spec.size_params, *spec.fixed, *shown}
        extras = {key: value for key, value in entry.items()
                  if key not in skipped and value != default_arguments(spec.name).get(key)}
        steps.append(Step(spec.name, float(entry["p"]), values, extras))
    return steps


def _control_value(control: Control, value: Any) -> Any:
    """The file's value as the control holds it; a size in pixels stays in pixels (whole numbers)."""
    if value is None:
        return control.default
    if control.is_range:
        low, high = next(iter(value.values())) if isinstance(value, dict) else value
        form = control.form_of([low, high])
        return (int(low), int(high)) if form.is_integer else (float(low), float(high))
    if control.kind == CHOICE:
        number = int(value) if _is_number(value) and value == int(value) else value  # a grey level from a file
        return next((option for option in control.options if option == value), number)
    return int(value) if control.is_integer else float(value)


def sized_for(data: dict, image_shape: tuple[int, ...]) -> dict:
    """The same (checked) pipeline with every target size set to the image's (height, width): a target size
    follows the image, so a pipeline saved while previewing a photo still keeps a digit at 28x28. Sizes in
    pixels that cannot fit such images are refused here, in one sentence."""
    canonical = pipeline_to_dict(pipeline_from_dict(data))
    for entry in canonical["transform"]["transforms"]:
        entry.update(REGISTRY[entry["__class_fullname__"]].sized(image_shape))
    sized = pipeline_to_dict(pipeline_from_dict(canonical))
    fits_image(sized, image_shape)
    return sized


def has_target_size(data: dict) -> bool:
    """Whether a transform of the pipeline sets the size of what comes out (RandomResizedCrop)."""
    return target_size(data) is not None


def target_size(data: dict) -> tuple[int, int] | None:
    """The (height, width) the pipeline's first size-setting transform resizes to (None: it keeps sizes)."""
    for entry in data["transform"]["transforms"]:
        spec = REGISTRY[entry["__class_fullname__"]]
        if spec.size_params and spec.name != "Resize":
            sides = [side for name in spec.size_params for side in _as_list(entry[name])]
            return sides[0], sides[1]
    return None


def exported(data: dict, image_shape: tuple[int, ...]) -> dict:
    """The pipeline as a file for images of `image_shape`. Outside the lab a target size does not follow the
    image: RandomResizedCrop resizes to its `size` only when it runs. So when a transform sets the size, the
    file starts with a Resize to it, so that `A.load(...)` gives images of that size every time, whatever size
    goes in, and names the size under 'exported_for' (Albumentations reads the file and ignores that key).
    Any other pipeline keeps every image's size and is exported as it is."""
    if not has_target_size(data):
        return pipeline_to_dict(pipeline_from_dict(data))
    sized = sized_for(data, image_shape)
    height, width = (int(side) for side in image_shape[:2])
    entries = [entry for entry in sized["transform"]["transforms"] if entry["__class_fullname__"] != "Resize"]
    entries.insert(0, _plain(A.to_dict(A.Resize(height, width, p=1.0))["transform"]))
    result = {**sized, "transform": {**sized["transform"], "transforms": entries}}
    return {**pipeline_to_dict(pipeline_from_dict(result)), "exported_for": [height, width]}


def export_note(data: dict) -> str:
    """What size a file was exported for, in words (empty for a pipeline that keeps every image's size)."""
    size = data.get("exported_for")
    if not size or not has_target_size(data):
        return ""
    height, width = size
    return (f"Exported for {height}x{width} images: RandomResizedCrop's size is {height}x{width}, and the first "
            f"step resizes every image to {height}x{width}, so what comes out is {height}x{width} whether the crop "
            "runs or not.")


def preset_pipeline(name: str, seed: int | None = None, image_shape: tuple[int, ...] = DIGIT_SHAPE) -> A.Compose:
    if name not in PRESETS:
        raise PipelineError(f"Unknown preset {name!r}; choose from {', '.join(PRESETS)}.")
    return pipeline_from_dict(steps_to_dict(PRESETS[name].steps, image_shape), seed)


# -- words and code ------------------------------------------------------------------------------------
def describe_pipeline(data_or_pipeline: dict | A.Compose) -> str:
    """One line: each transform with its shown controls (ranges as Albumentations normalises them) and p,
    e.g. 'Rotate(limit ±30, p 0.5) -> Blur(blur_limit 3-5, p 0.5)'."""
    pipeline = data_or_pipeline if isinstance(data_or_pipeline, A.Compose) else pipeline_from_dict(data_or_pipeline)
    data = pipeline_to_dict(pipeline)
    parts = []
    for entry in data["transform"]["transforms"]:
        name = entry["__class_fullname__"]
        spec = REGISTRY.get(name)
        settings = [f"{control.name} {_short(entry[control.name])}{_unit(control, entry[control.name])}"
                    for control in (spec.controls if spec else ())
                    if control.shown and control.name in entry and not _is_neutral(entry[control.name])]
        probability = f"p {entry.get('p', 0.5):g}"
        parts.append(f"{name}({', '.join([*settings, probability])})")
    return " -> ".join(parts) if parts else "no transforms (images pass unchanged)"


def _unit(control: Control, value: Any) -> str:
    """' px' after a size given in pixels (CoarseDropout's holes), since the same numbers as fractions differ."""
    return " px" if control.pixels is not None and control.form_of(value) is control.pixels else ""


def _is_neutral(value: Any) -> bool:
    return value is None or all(number == 0 for numbers in _ranges(value) for number in numbers)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        axes = list(value.values())
        return _short(axes[0]) if all(axis == axes[0] for axis in axes) else \
            " ".join(f"{axis} {_short(item)}" for axis, item in value.items())
    if isinstance(value, list) and len(value) == 2:
        low, high = value
        if low == high:
            return f"{low:g}"
        if low == -high:
            return f"±{high:g}"
        return f"{low:g}-{high:g}" if low >= 0 else f"{low:g} to {high:g}"
    return f"{value:g}" if _is_number(value) else str(value)


def pipeline_python(data: dict, seed: int | None = None) -> str:
    """A short script that rebuilds the pipeline: each transform with the arguments that differ from the
    defaults, and the strict mode and seed the lab uses."""
    note = export_note(data)
    lines = [*(f"# {line}" for line in textwrap.wrap(note, 100)), "import albumentations as A", "",
             "pipeline = A.Compose(["]
    for entry in data["transform"]["transforms"]:
        name = entry["__class_fullname__"]
        spec, defaults = REGISTRY[name], default_arguments(name)
        arguments = [f"{key}={_python_value(value)}" for key, value in entry.items()
                     if key not in ("__class_fullname__", "p", *spec.fixed)
                     and (value != defaults.get(key) or key in spec.size_params)]
        probability = f"p={entry['p']!r}"
        lines.append(f"    A.{name}({', '.join([*arguments, probability])}),")
    lines += [f"], strict=True, seed={seed!r})", "",
              'augmented = pipeline(image=image)["image"]  # image: a uint8 NumPy array, (H, W) or (H, W, 3)']
    return "\n".join(lines) + "\n"


def _python_value(value: Any) -> str:
    if isinstance(value, dict):
        axes = list(value.values())
        if set(value) == {"x", "y"} and axes[0] == axes[1]:
            return _python_value(axes[0])
        return "{" + ", ".join(f"{key!r}: {_python_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "(" + ", ".join(map(_python_value, value)) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


# -- applying ------------------------------------------------------------------------------------------
def augment_batch(pipeline: A.Compose, images: np.ndarray) -> np.ndarray:
    """Each image of a (N, H, W[, C]) uint8 batch through the pipeline, kept at its size."""
    import cv2

    out = np.empty_like(images)
    height, width = images.shape[1:3]
    for index, image in enumerate(images):
        augmented = pipeline(image=image)["image"]
        if augmented.shape[:2] != (height, width):
            augmented = cv2.resize(augmented, (width, height), interpolation=cv2.INTER_AREA)
        out[index] = augmented.reshape(out[index].shape)
    return out
