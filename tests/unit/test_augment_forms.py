"""Files written by Albumentations' own `A.save`, with each form of a parameter Albumentations accepts (whole
numbers, fractions, pixels, a single number where it takes one), load in the lab, preview and train.

The cases are generated from the registry: for every transform and every parameter, the forms below; a case is
kept when Albumentations itself accepts it and its values lie within the registry's declared safety limits
(kernel sizes and counts capped, sizes bounded), which are the only things the lab may refuse beyond
Albumentations' own checks.
"""
import math
import warnings

import albumentations as A
import numpy as np
import pytest

from webapp import augment
from webapp.augment_preview import augment_samples
from webapp.augment_registry import CHOICE, TRANSFORMS, Control, TransformSpec

DIGITS = np.zeros((3, 28, 28), np.uint8)
DIGITS[:, 6:22, 12:16] = 255  # three "1"s
PHOTO = np.random.default_rng(0).integers(0, 256, (36, 44, 3), dtype=np.uint8)


def forms(control: Control) -> dict[str, object]:
    """The forms of one parameter to write: the lab's own, whole numbers, fractions, a single number."""
    if control.kind == CHOICE:
        numbers = {"a number": (control.numbers[0] + control.numbers[1]) // 2} if control.numbers else {}
        return {**{f"option {option}": option for option in control.options}, **numbers}
    if not control.is_range:
        return {"number": control.default, "whole number": math.ceil(control.default),
                "decimal number": float(control.default)}
    low, high = control.default
    cases = {"range": list(control.default), "whole numbers": [math.floor(low), math.ceil(high)],
             "decimal numbers": [float(low), float(high)], "one whole number": math.ceil(high),
             "one decimal number": float(high)}
    if control.pixels is not None:
        cases["pixels"] = list(control.pixels.default)
        cases["pixels as decimals"] = [float(side) for side in control.pixels.default]
    return cases


def arguments_for(spec: TransformSpec, control: Control, value: object) -> dict:
    """`value` for `control`; the parameters read the same way (CoarseDropout's hole height and width) get the
    same form, since Albumentations reads them all as pixels or all as fractions."""
    arguments = {control.name: value}
    if control.pixels is not None:
        in_pixels = control.form_of(value) is control.pixels
        for other in spec.controls:
            if other.pixels is not None and other is not control:
                arguments[other.name] = list(other.pixels.default if in_pixels else other.default)
    return {**spec.sized((20, 24)), **arguments}


def within_limits(spec: TransformSpec, transform: A.BasicTransform) -> bool:
    saved = augment.pipeline_to_dict(A.Compose([transform]))["transform"]["transforms"][0]
    for control in spec.controls:
        value = saved.get(control.name)
        if value is None or control.kind == CHOICE:
            continue
        for numbers in augment._ranges(value):
            form = control.form_of(numbers)
            low, high = form.limits
            if any((low is not None and n < low) or (high is not None and n > high) for n in numbers):
                return False
    return True


def accepted_cases() -> list:
    cases = []
    for spec in TRANSFORMS:
        if not spec.controls:
            cases.append(pytest.param(spec, spec.sized((20, 24)), id=f"{spec.name}-defaults"))
        for control in spec.controls:
            for form, value in forms(control).items():
                arguments = arguments_for(spec, control, value)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        transform = getattr(A, spec.name)(**arguments, p=1.0)
                except (ValueError, TypeError):
                    continue  # Albumentations itself refuses this form
                if within_limits(spec, transform):
                    cases.append(pytest.param(spec, arguments, id=f"{spec.name}-{control.name}-{form}"))
    return cases


CASES = accepted_cases()


def test_the_cases_cover_every_transform_and_the_forms_from_the_issue():
    ids = [case.id for case in CASES]
    assert {case.id.split("-")[0] for case in CASES} == {spec.name for spec in TRANSFORMS}
    assert "CoarseDropout-hole_height_range-pixels" in ids and "Rotate-limit-one whole number" in ids
    assert "Blur-blur_limit-one whole number" in ids and "ElasticTransform-sigma-whole number" in ids


@pytest.mark.parametrize("data_format", ["yaml", "json"])
@pytest.mark.parametrize("spec, arguments", CASES)
def test_a_file_albumentations_saves_loads_previews_and_trains(tmp_path, spec, arguments, data_format):
    path = tmp_path / f"saved.{data_format}"
    A.save(A.Compose([getattr(A, spec.name)(**arguments, p=1.0)]), str(path), data_format=data_format)

    data = augment.read_pipeline_file(path)  # the Train page's and the CLI's reader
    assert data == augment.pipeline_to_dict(A.load(str(path), data_format=data_format)), "kept as given"
    steps = augment.steps_from_dict(data)  # the Augment page's import
    assert augment.steps_from_dict(augment.steps_to_dict(steps, None)) == steps
    for image in (DIGITS[0], PHOTO):
        preview = augment_samples(augment.sized_for(data, image.shape), [image] * 2, seed=1)
        assert all(sample.image.shape == image.shape and sample.image.dtype == np.uint8 for sample in preview)
    trained = augment.augment_batch(augment.pipeline_from_dict(augment.sized_for(data, DIGITS.shape[1:]), 2), DIGITS)
    assert trained.shape == DIGITS.shape and trained.dtype == np.uint8


def test_the_coarse_dropout_file_from_the_issue_keeps_its_pixel_sizes(tmp_path):
    path = tmp_path / "holes.yaml"
    A.save(A.Compose([A.CoarseDropout(hole_height_range=(4, 12), hole_width_range=(4, 12))]), str(path),
           data_format="yaml")
    data = augment.read_pipeline_file(path)
    assert augment.describe_pipeline(data) == \
        "CoarseDropout(num_holes_range 1-2, hole_height_range 4-12 px, hole_width_range 4-12 px, p 0.5)"
    assert augment.steps_from_dict(data)[0].values["hole_height_range"] == (4, 12)


def test_pixel_sizes_that_do_not_fit_the_images_get_one_sentence():
    holes = A.to_dict(A.Compose([A.CoarseDropout(hole_height_range=(30, 40), hole_width_range=(4, 12))]))
    data = augment.read_pipeline_file(augment.pipeline_json(augment._plain(holes)).encode())
    assert augment.sized_for(data, PHOTO.shape)["transform"]["transforms"][0]["hole_height_range"] == [30.0, 40.0]
    with pytest.raises(augment.PipelineError, match=r"at least 30 pixels; these images are 28 pixels high\.$"):
        augment.sized_for(data, (28, 28))


@pytest.mark.parametrize("size", [(28, 28), (36, 44)])
def test_an_exported_crop_gives_the_stated_size_every_time_on_other_images(tmp_path, size):
    data = augment.pipeline_to_dict(augment.preset_pipeline("photos", image_shape=(300, 451, 3)))
    files = augment.exported(data, size)
    assert files["exported_for"] == list(size)
    (tmp_path / "crop.yaml").write_text(augment.pipeline_yaml(files))
    (tmp_path / "crop.json").write_text(augment.pipeline_json(files))
    assert f"# Exported for {size[0]}x{size[1]} images" in (tmp_path / "crop.yaml").read_text()
    assert f"# Exported for {size[0]}x{size[1]} images" in augment.pipeline_python(files)
    for path, data_format in ((tmp_path / "crop.yaml", "yaml"), (tmp_path / "crop.json", "json")):
        loaded = A.load(str(path), data_format=data_format)
        for image in (np.zeros((50, 70, 3), np.uint8), PHOTO, np.zeros((28, 28), np.uint8)):
            shapes = {loaded(image=image)["image"].shape[:2] for _ in range(12)}
            assert shapes == {size}, f"{image.shape} gave {shapes}"
        # the lab reads its own export back, and there the sizes follow the image again
        lab = augment.read_pipeline_file(path)
        pipeline = augment.pipeline_from_dict(augment.sized_for(lab, (28, 28)), 0)
        assert augment.augment_batch(pipeline, DIGITS).shape == DIGITS.shape


def test_a_pipeline_that_keeps_sizes_is_exported_as_it_is():
    data = augment.pipeline_to_dict(augment.preset_pipeline("digits"))
    files = augment.exported(data, (28, 28))
    assert files == data and not augment.export_note(files)
    assert not augment.pipeline_yaml(files).startswith("#")
