"""Checking a serialised pipeline against the registry, before and after Albumentations reads it: the
Compose's shape, each transform's parameter names and types, the registry's safety limits, sizes in pixels that
fit the image, odd kernel sizes and finite numbers. Each refusal is one sentence (a PipelineError).

The underscore helpers at the end (`_plain`, `_is_number`...) are this package's own: pipelines.py and
files.py use them too. (webapp/augment/__init__.py keeps Albumentations from asking for updates on import.)"""
from __future__ import annotations

import functools
import inspect
import json
import math
from typing import Any, Iterator

import albumentations as A
import numpy as np

from webapp.augment_registry import CHOICE, REGISTRY, SIZE_LIMIT, Control, TransformSpec

MAX_TRANSFORMS = 32
MAX_VALUES = 5_000  # numbers, strings and containers in one file (YAML aliases can make a tiny file enormous)


class PipelineError(ValueError):
    """A pipeline that cannot be used; the message is one sentence for the user."""


def transform_spec(name: str) -> TransformSpec:
    if name not in REGISTRY:
        raise PipelineError(f"Unknown transform {name!r}; the lab offers {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def compose_entries(data: Any) -> tuple[list, float]:
    """The Compose's transform entries and its probability p, once the data's size and shape are checked."""
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


def build_transform(entry: Any, position: int) -> A.BasicTransform:
    """Transform `position` of the file: its names and types checked, built, then its normalised arguments
    checked against the registry's limits."""
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
