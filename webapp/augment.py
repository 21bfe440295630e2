"""Augmentation pipelines: build them from the registry, check them, save and load them, describe them.

A pipeline travels as Albumentations' own serialised form (`A.to_dict`), plain JSON data. Every way in
(the Augment page, a saved YAML or JSON file, a preset) goes through `pipeline_from_dict`, which checks each
transform and parameter against the registry (webapp/augment_registry.py) and builds an
`A.Compose(..., strict=True, seed=seed)`. A parameter may come in any form Albumentations accepts (a single
number, whole numbers or fractions, pixels for CoarseDropout's holes); the lab refuses only nonsense types
(`true` or text for a number) before Albumentations sees them, and values past the registry's safety limits
after Albumentations has normalised them (`limit: 30` becomes [-30, 30]). Building is cheap (well under a
millisecond per transform), so a trainer can build a freshly seeded pipeline for every batch instead of sharing
one random state.
Files are parsed with `json` or `yaml.safe_load` only (plain data, never Python objects), and each transform is
built by its registry name: `A.from_dict` is not used, since it builds any class Albumentations knows.
"""
from __future__ import annotations

import functools
import inspect
import json
import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # before the import: it asks the internet for updates otherwise

import albumentations as A  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from webapp.augment_registry import CHOICE, REGISTRY, SIZE_LIMIT, Control, TransformSpec  # noqa: E402
from webapp.files import FileLimitError, read_file_capped  # noqa: E402
from webapp.formulas import format_bytes  # noqa: E402

MAX_FILE_BYTES = 1_000_000
MAX_TRANSFORMS = 32
MAX_VALUES = 5_000  # numbers, strings and containers in one file (YAML aliases can make a tiny file enormous)
DIGIT_SHAPE = (28, 28)


class PipelineError(ValueError):
    """A pipeline that cannot be used; the message is one sentence for the user."""


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


def transform_spec(name: str) -> TransformSpec:
    if name not in REGISTRY:
        raise PipelineError(f"Unknown transform {name!r}; the lab offers {', '.join(REGISTRY)}.")
    return REGISTRY[name]


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


# -- building and checking -------------------------------------------------------------------------------
def pipeline_from_dict(data: Any, seed: int | None = None, *, record_applied: bool = False) -> A.Compose:
    """Check a serialised pipeline against the registry and build it with `strict=True` and `seed`.

    `record_applied` makes each call return the parameters actually drawn (`applied_transforms`)."""
    entries, probability = _compose_entries(data)
    transforms = [_build_transform(entry, position) for position, entry in enumerate(entries, start=1)]
    try:
        return A.Compose(transforms, p=probability, strict=True, seed=seed, save_applied_params=record_applied)
    except (ValueError, TypeError) as error:
        raise PipelineError(f"The pipeline is not valid: {_first_line(error)}") from None


def pipeline_to_dict(pipeline: A.Compose) -> dict:
    """Albumentations' serialised form as plain JSON data (lists, not tuples): ready for YAML, JSON or a session."""
    return _plain(A.to_dict(pipeline))


def _compose_entries(data: Any) -> tuple[list, float]:
    if not isinstance(data, dict):
        raise PipelineError("A pipeline must be a mapping in Albumentations' saved form (what A.save writes), "
                            f"not {_kind_of(data)}.")
    _check_size(data)
    compose = data.get("transform", data)
    if not isinstance(compose, dict) or compose.get("__class_fullname__") != "Compose":
        raise PipelineError("The pipeline must be an Albumentations Compose (what A.save writes), with its "
                            "transforms listed under 'transform'.")
    entries = compose.get("transforms")
    if not isinstance(entries, list):
        raise PipelineError("The Compose must list its transforms under 'transforms'.")
    if len(entries) > MAX_TRANSFORMS:
        raise PipelineError(f"The pipeline has {len(entries)} transforms; the lab takes at most {MAX_TRANSFORMS}.")
    probability = compose.get("p", 1.0)
    if not _is_number(probability) or not 0 <= probability <= 1:
        raise PipelineError("The Compose's probability p must be a number from 0 to 1.")
    return entries, float(probability)


def _build_transform(entry: Any, position: int) -> A.BasicTransform:
    if not isinstance(entry, dict):
        raise PipelineError(f"Transform {position} must be a mapping of its parameters, not {_kind_of(entry)}.")
    full_name = entry.get("__class_fullname__")
    if not isinstance(full_name, str):
        raise PipelineError(f"Transform {position} does not name its class in '__class_fullname__'.")
    name = full_name.rsplit(".", 1)[-1] if full_name.startswith("albumentations.") else full_name
    spec = transform_spec(name)
    arguments = {key: value for key, value in entry.items() if key != "__class_fullname__"}
    not_text = [key for key in arguments if not isinstance(key, str)]
    if not_text:
        raise PipelineError(f"{name}'s parameters must be named by text, not {not_text[0]!r}.")
    unknown = sorted(set(arguments) - accepted_parameters(name))
    if unknown:
        raise PipelineError(f"{name} has no parameter {unknown[0]!r}.")
    _check_finite(name, arguments)
    _check_types(spec, arguments)
    _check_odd(spec, arguments)
    try:
        transform = getattr(A, name)(**arguments)
    except (ValueError, TypeError) as error:
        raise PipelineError(_first_line(error, name)) from None
    _check_against_registry(spec, _plain(A.to_dict(transform)["transform"]))
    return transform


@functools.cache
def accepted_parameters(name: str) -> frozenset[str]:
    """The arguments the Albumentations class takes (its signature), besides `strict` which the lab sets."""
    return frozenset(inspect.signature(getattr(A, name)).parameters) - {"self", "strict"}


@functools.cache
def default_arguments(name: str) -> dict:
    """The class's defaults in serialised form (a target size is required, so a dummy one is given)."""
    spec = REGISTRY[name]
    return _plain(A.to_dict(getattr(A, name)(**spec.sized((1, 1))))["transform"])


def _check_types(spec: TransformSpec, arguments: dict) -> None:
    """Before Albumentations sees them: it would read `true` as 1 and the text '30' as 30 without a word.
    A control takes numbers (a scalar, a [low, high] list, or one per axis), a choice its options; p a number."""
    probability = arguments.get("p", spec.default_p)
    if not _is_number(probability) or not 0 <= probability <= 1:
        raise PipelineError(f"{spec.name}'s p (the chance it runs) must be a number from 0 to 1; the file has "
                            f"{_shown(probability)}.")
    for control in spec.controls:
        value = arguments.get(control.name)
        if value is None:
            continue
        if control.kind == CHOICE:
            allowed = isinstance(value, str) or (control.numbers is not None and _is_number(value))
        else:
            axes = list(value.values()) if isinstance(value, dict) else [value]
            allowed = all(_is_number(axis) or (isinstance(axis, (list, tuple)) and all(map(_is_number, axis)))
                          for axis in axes)
        if not allowed:
            raise PipelineError(f"{spec.name}'s {control.name} must be {_expected(control)}; the file has "
                                f"{_shown(value)}.")
    defaults = default_arguments(spec.name)
    for key, value in arguments.items():
        if isinstance(value, bool) and not isinstance(defaults.get(key), bool):
            raise PipelineError(f"{spec.name}'s {key} takes no true or false; the file has {_shown(value)}.")


def _expected(control: Control) -> str:
    if control.kind == CHOICE:
        numbers = f", or a number from {control.numbers[0]:g} to {control.numbers[1]:g}" if control.numbers else ""
        return f"one of {', '.join(map(str, control.options))}{numbers}"
    return "a number or a [low, high] range of numbers" if control.is_range else "a number"


def _check_against_registry(spec: TransformSpec, arguments: dict) -> None:
    """The normalised arguments (Albumentations turns `limit=30` into `[-30, 30]`) within the lab's safety limits."""
    for control in spec.controls:
        if arguments.get(control.name) is not None:  # None: not used (Affine's translate_percent, say)
            _check_control(spec, control, arguments[control.name])
    _check_same_form(spec, arguments)
    for name in spec.fixed:
        if arguments.get(name) not in (None, default_arguments(spec.name).get(name)):
            raise PipelineError(f"{spec.name}'s {name} must stay at {default_arguments(spec.name).get(name)} "
                                "in the lab (other values change the image's size).")
    if spec.size_params:
        sides = [side for name in spec.size_params for side in _as_list(arguments.get(name))]
        if not (len(sides) == 2 and all(isinstance(side, int) and 1 <= side <= SIZE_LIMIT for side in sides)):
            names = spec.size_params[0] if len(spec.size_params) == 1 else " and ".join(spec.size_params)
            raise PipelineError(f"{spec.name}'s {names} must be the height and width, whole numbers from 1 "
                                f"to {SIZE_LIMIT}.")


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _check_control(spec: TransformSpec, control: Control, value: Any) -> None:
    where = f"{spec.name}'s {control.name}"
    if control.kind == CHOICE:
        number = control.numbers is not None and _is_number(value) and control.numbers[0] <= value <= control.numbers[1]
        if not number and not any(value == option and type(value) is not bool for option in control.options):
            raise PipelineError(f"{where} must be {_expected(control)}; the file has {value!r}.")
        return
    for numbers in _ranges(value) if control.is_range else [[value]]:
        if control.is_range and len(numbers) != 2:
            raise PipelineError(f"{where} must be a range [low, high]; the file has {value!r}.")
        form = control.form_of(numbers)
        for number in numbers:
            if not _is_number(number) or not _within(number, form.limits):
                raise PipelineError(f"{where} must be {_bounds(form)}; the file has {_shown(value)}.")
            if form.is_integer and number != int(number):
                what = "in pixels (1 or more) must be" if form is control.pixels else "must be"
                raise PipelineError(f"{where} {what} whole numbers; the file has {_shown(value)}.")
            if form.odd and int(number) % 2 == 0:
                raise PipelineError(f"{where} must be odd; the file has {_shown(value)}.")
        if control.is_range and numbers[0] > numbers[1]:
            raise PipelineError(f"{where} must be [low, high] with low <= high (a negative single number gives "
                                f"high before low); the file has {_shown(value)}.")


def _within(number: float, limits: tuple[float | None, float | None]) -> bool:
    low, high = limits
    return (low is None or number >= low) and (high is None or number <= high)


def _bounds(control: Control) -> str:
    """'from 0 to 31', 'at most 31', 'at least 0.04' or 'a finite number', with the unit of a pixel form."""
    low, high = control.limits
    unit = " pixels" if control.axis is not None else ""
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}{unit}"
    if high is not None:
        return f"at most {high:g}{unit}"
    return f"at least {low:g}{unit}" if low is not None else "a finite number"


def _check_same_form(spec: TransformSpec, arguments: dict) -> None:
    """Albumentations decides pixels or fractions from the first such parameter (CoarseDropout's hole height)
    and reads the others the same way: a hole 12 pixels high and 0.2 wide would be less than a pixel wide."""
    sized = [control for control in spec.controls if control.pixels and arguments.get(control.name) is not None]
    forms = {control.form_of(arguments[control.name]) is control.pixels for control in sized}
    if len(forms) > 1:
        names = " and ".join(control.name for control in sized)
        raise PipelineError(f"{spec.name}'s {names} must both be pixels (whole numbers, 1 or more) or both "
                            "fractions (below 1); the file mixes them.")


def fits_image(data: dict, image_shape: tuple[int, ...]) -> None:
    """Refuse, in one sentence, sizes in pixels that do not fit images of `image_shape` (a hole at least 40
    pixels high in a 28-pixel digit): Albumentations clamps the upper end but fails on the lower one."""
    for entry in data["transform"]["transforms"]:
        spec = REGISTRY[entry["__class_fullname__"]]
        for control in spec.controls:
            value = entry.get(control.name)
            form = control.form_of(value) if control.is_range and value is not None else control
            if form.axis is not None and min(value) > image_shape[form.axis]:
                side = ("high", "wide")[form.axis]
                raise PipelineError(f"{spec.name}'s {control.name} asks for at least {min(value):g} pixels; these "
                                    f"images are {image_shape[form.axis]} pixels {side}.")


def _ranges(value: Any) -> list[list]:
    """A (low, high) range as Albumentations stores it: a list, or one list per axis ({'x': ..., 'y': ...})."""
    if isinstance(value, dict):
        return [axis if isinstance(axis, list) else [axis] for axis in value.values()]
    return [value if isinstance(value, list) else [value]]


def _check_size(data: Any) -> None:
    """Refuse deeply nested or enormous structures before walking them (a YAML 'billion laughs' included)."""
    budget = MAX_VALUES
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        budget -= 1
        if budget < 0 or depth > 20:
            raise PipelineError("The pipeline file is too large or too deeply nested to be a pipeline.")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def _check_odd(spec: TransformSpec, arguments: dict) -> None:
    """Before Albumentations sees them: it would round an even kernel size up, with a warning."""
    for control in spec.controls:
        if control.odd and any(_is_number(number) and number % 2 == 0
                               for number in _leaves(arguments.get(control.name))):
            raise PipelineError(f"{spec.name}'s {control.name} must be odd; "
                                f"the file has {_shown(arguments[control.name])}.")


def _check_finite(name: str, arguments: dict) -> None:
    for key, value in arguments.items():
        if any(isinstance(number, float) and not math.isfinite(number) for number in _leaves(value)):
            raise PipelineError(f"{name}'s {key} must be a finite number; the file has {value!r}.")


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> Any:
    """Tuples to lists and NumPy scalars to Python numbers, as JSON would give them back."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _first_line(error: BaseException, name: str | None = None) -> str:
    """Albumentations wraps pydantic's report; keep the parameter and its complaint, as one sentence."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if len(lines) >= 3 and "validation error" in lines[0]:
        complaint = lines[2].split(" [type=")[0].removeprefix("Value error, ")
        parameter = lines[1].split(".")[0]
        text = f"{name}'s {parameter}: {complaint[:1].lower()}{complaint[1:]}" if name else f"{parameter}: {complaint}"
    else:
        text = (f"{name}: " if name else "") + (lines[0] if lines else type(error).__name__)
    return text if text.endswith(".") else text + "."


def _kind_of(value: Any) -> str:
    kinds = {list: "a list", str: "text", type(None): "nothing", int: "a number", float: "a number",
             bool: "true or false"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _shown(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else repr(value)


# -- files ---------------------------------------------------------------------------------------------
def load_pipeline_file(source: bytes | str | Path, seed: int | None = None) -> A.Compose:
    """A pipeline from a YAML or JSON file (a path, or the bytes of an upload), checked and seeded."""
    return pipeline_from_dict(read_pipeline_file(source), seed)


def read_pipeline_file(source: bytes | str | Path) -> dict:
    """Parse a pipeline file with the safe loaders only and check it; returns the canonical serialised form."""
    data = _parse(*_read_text(source))
    return pipeline_to_dict(pipeline_from_dict(data))


def _read_text(source: bytes | str | Path) -> tuple[str, str]:
    suffix = ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        suffix = path.suffix.lower()
        try:  # a regular file only, its size capped before reading (never /dev/zero or a pipe)
            source = read_file_capped(path, MAX_FILE_BYTES + 1, what="pipeline file")
        except FileLimitError as error:
            raise PipelineError(str(error)) from None
    if len(source) > MAX_FILE_BYTES:
        raise PipelineError(f"The pipeline file is over {format_bytes(MAX_FILE_BYTES)}; a pipeline is a few kB.")
    try:
        text = bytes(source).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PipelineError("The pipeline file is not text (YAML or JSON in UTF-8).") from None
    if not text.strip():
        raise PipelineError("The pipeline file is empty.")
    return text, suffix


def _parse(text: str, suffix: str) -> Any:
    as_json = suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith("{"))
    try:
        return json.loads(text) if as_json else yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        kind = "JSON" if as_json else "YAML"
        if isinstance(error, yaml.constructor.ConstructorError):
            raise PipelineError(f"The pipeline file uses a YAML tag the safe loader refuses{line}; only plain "
                                "data is read, never Python objects.") from None
        raise PipelineError(f"The pipeline file is not valid {kind}{line}.") from None


class _PipelineDumper(yaml.SafeDumper):
    """YAML with short lists ([low, high]) on one line and mappings as blocks."""


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flat = all(not isinstance(item, (list, dict)) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_PipelineDumper.add_representer(list, _represent_list)


def pipeline_yaml(data: dict) -> str:
    """YAML that `A.load(path, data_format='yaml')` reads; an exported file says what size it is for."""
    note = export_note(data)
    header = "".join(f"# {line}\n" for line in textwrap.wrap(note, 100)) if note else ""
    return header + yaml.dump(_plain(data), Dumper=_PipelineDumper, sort_keys=False)


def pipeline_json(data: dict) -> str:
    return json.dumps(_plain(data), indent=2) + "\n"


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
