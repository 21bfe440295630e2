"""webapp.augment: the registry, pipelines checked and built strict and seeded, files read safely, words and code."""
import json
import subprocess
import sys

import albumentations as A
import numpy as np
import pytest
import yaml

from webapp import augment
from webapp.augment import PipelineError
from webapp.augment_registry import GEOMETRIC, PIXEL, TRANSFORMS

DIGIT = np.zeros((28, 28), np.uint8)
DIGIT[6:22, 12:16] = 255  # a "1"
PHOTO = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)


def compose(*transforms: dict) -> dict:
    return {"__version__": A.__version__, "transform": {"__class_fullname__": "Compose", "p": 1.0,
                                                        "transforms": list(transforms)}}


def outputs(data: dict, image: np.ndarray, seed: int, count: int = 4) -> list[np.ndarray]:
    pipeline = augment.pipeline_from_dict(data, seed)
    return [pipeline(image=image)["image"] for _ in range(count)]


def test_the_registry_offers_at_least_fifteen_transforms_in_both_groups():
    groups = {spec.group for spec in TRANSFORMS}
    assert len(TRANSFORMS) >= 15 and groups == {GEOMETRIC, PIXEL}
    for spec in TRANSFORMS:
        assert set(control.name for control in spec.controls) <= augment.accepted_parameters(spec.name), spec.name
        for control in spec.controls:
            assert control.help, f"{spec.name}.{control.name} has no help"


@pytest.mark.parametrize("spec", TRANSFORMS, ids=lambda spec: spec.name)
def test_every_registry_entry_builds_and_keeps_a_digit_and_a_photo_at_their_size(spec):
    for image in (DIGIT, PHOTO):
        data = augment.steps_to_dict([augment.step(spec.name, 1.0)], image.shape)
        result = augment.pipeline_from_dict(data, seed=1)(image=image)["image"]
        assert result.shape == image.shape and result.dtype == np.uint8


def test_a_pipeline_is_strict_and_the_same_seed_gives_the_same_images():
    data = augment.pipeline_to_dict(augment.preset_pipeline("digits"))
    pipeline = augment.pipeline_from_dict(data, seed=3)
    assert pipeline.strict and isinstance(pipeline, A.Compose)
    first, again, other = outputs(data, DIGIT, 3), outputs(data, DIGIT, 3), outputs(data, DIGIT, 4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    assert len({image.tobytes() for image in first}) > 1, "each call draws anew"


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_saved_files_round_trip_to_the_same_images(tmp_path, form):
    data = augment.pipeline_to_dict(augment.preset_pipeline("photos", image_shape=PHOTO.shape))
    path = tmp_path / f"pipeline.{form}"
    path.write_text(augment.pipeline_yaml(data) if form == "yaml" else augment.pipeline_json(data))
    assert augment.read_pipeline_file(path) == data
    assert augment.read_pipeline_file(path.read_bytes()) == data  # an upload: bytes, format from the content
    loaded = augment.load_pipeline_file(str(path), seed=5)
    assert loaded.strict
    reloaded = [loaded(image=PHOTO)["image"] for _ in range(4)]
    assert all(np.array_equal(a, b) for a, b in zip(outputs(data, PHOTO, 5), reloaded))
    # Albumentations' own loader reads our files too (the lab checks everything itself and builds by registry name)
    assert A.to_dict(A.load(str(path), data_format=form)) == A.to_dict(loaded)


def test_a_file_saved_by_albumentations_itself_loads(tmp_path):
    path = tmp_path / "saved.yaml"
    A.save(A.Compose([A.Rotate(limit=20, p=1.0), A.GaussNoise(std_range=(0.1, 0.2))]), str(path), data_format="yaml")
    assert augment.describe_pipeline(augment.read_pipeline_file(path)) == \
        "Rotate(limit ±20, p 1) -> GaussNoise(std_range 0.1-0.2, p 0.5)"


def test_editor_steps_round_trip_and_keep_arguments_they_do_not_show():
    rotate = {"__class_fullname__": "Rotate", "limit": [-10, 20], "border_mode": 1, "p": 0.25}
    steps = augment.steps_from_dict(compose(rotate, {"__class_fullname__": "HorizontalFlip"}))
    assert steps[0] == augment.Step("Rotate", 0.25, {"limit": (-10.0, 20.0)}, {"border_mode": 1})
    assert augment.steps_from_dict(augment.steps_to_dict(steps)) == steps
    assert [step.name for step in augment.PRESETS["digits"].steps] == ["Affine", "ElasticTransform", "CoarseDropout"]


def test_a_target_size_follows_the_image():
    data = augment.pipeline_to_dict(augment.preset_pipeline("photos", image_shape=(300, 451, 3)))
    crop = [entry for entry in data["transform"]["transforms"] if entry["__class_fullname__"] == "RandomResizedCrop"]
    assert crop[0]["size"] == [300, 451]
    resized = augment.sized_for(data, DIGIT.shape)
    assert [entry.get("size") for entry in resized["transform"]["transforms"]] == [None, [28, 28], None, None]


def test_no_preset_flips_digits_and_the_seed_preset_is_the_tutorials():
    digits = augment.pipeline_to_dict(augment.preset_pipeline("digits"))
    assert "Flip" not in json.dumps(digits)
    assert augment.describe_pipeline(augment.preset_pipeline("seed")) == \
        "Rotate(limit ±30, p 0.5) -> Blur(blur_limit 3-5, p 0.5)"
    with pytest.raises(PipelineError, match="Unknown preset"):
        augment.preset_pipeline("nope")


REFUSED = {
    "unknown transform": (compose({"__class_fullname__": "Lambda"}), "Unknown transform 'Lambda'"),
    "misspelt parameter": (compose({"__class_fullname__": "Rotate", "limt": 3}), "Rotate has no parameter 'limt'"),
    "kernel above the cap": (compose({"__class_fullname__": "Blur", "blur_limit": [3, 99]}),
                             "blur_limit must be at most 31"),
    "negative hole size": (compose({"__class_fullname__": "CoarseDropout", "hole_height_range": [-4, 12]}),
                           "hole_height_range: all values in (-4.0, 12.0) must be >= 0"),
    "huge hole": (compose({"__class_fullname__": "CoarseDropout", "hole_height_range": [4, 5000],
                           "hole_width_range": [4, 12]}), "from 0 to 4096 pixels"),
    "fractional pixels": (compose({"__class_fullname__": "CoarseDropout", "hole_height_range": [4.5, 12],
                                   "hole_width_range": [4, 12]}), "in pixels (1 or more) must be whole numbers"),
    "pixels and fractions mixed": (compose({"__class_fullname__": "CoarseDropout", "hole_height_range": [4, 12],
                                            "hole_width_range": [0.1, 0.2]}), "the file mixes them"),
    "p as true": (compose({"__class_fullname__": "Rotate", "p": True}), "p (the chance it runs) must be a number"),
    "p as text": (compose({"__class_fullname__": "Rotate", "p": "0.5"}), "p (the chance it runs) must be a number"),
    "a number as text": (compose({"__class_fullname__": "Rotate", "limit": "30"}), "must be a number or a [low, high]"),
    "a number as true": (compose({"__class_fullname__": "Rotate", "limit": True}), "must be a number or a [low, high]"),
    "true for a number": (compose({"__class_fullname__": "Rotate", "border_mode": True}), "takes no true or false"),
    "fill per channel": (compose({"__class_fullname__": "CoarseDropout", "fill": [10, 20, 30]}),
                         "or a number from 0 to 255"),
    "too many grid cells": (compose({"__class_fullname__": "GridDistortion", "num_steps": 200}), "at most 20"),
    "even kernel": (compose({"__class_fullname__": "Sharpen", "kernel_size": 4}), "Sharpen's kernel_size must be odd"),
    "wrong type": (compose({"__class_fullname__": "Rotate", "limit": "wide"}), "Rotate's limit must be a number"),
    "Albumentations' own bound": (compose({"__class_fullname__": "ElasticTransform", "sigma": 0.5}),
                                  "greater than or equal to 1"),
    "not finite": (compose({"__class_fullname__": "Rotate", "fill": float("nan")}), "finite number"),
    "size-changing": (compose({"__class_fullname__": "Rotate", "crop_border": True}), "must stay at False"),
    "huge target size": (compose({"__class_fullname__": "RandomResizedCrop", "size": [100000, 5]}), "from 1 to 4096"),
    "huge resize": (compose({"__class_fullname__": "Resize", "height": 100000, "width": 5}), "from 1 to 4096"),
    "choice": (compose({"__class_fullname__": "CoarseDropout", "fill": "inpaint_telea"}), "must be one of"),
    "not a dict": ([1, 2], "not a list"),
    "not a Compose": ({"transform": {"__class_fullname__": "OneOf", "transforms": []}},
                      "must be an Albumentations Compose"),
    "a transform that is not a mapping": (compose(5), "Transform 1 must be a mapping"),
    "too many": (compose(*[{"__class_fullname__": "Blur"}] * 40), "at most 32"),
    "a parameter named by a number": (compose({"__class_fullname__": "Blur", 1: 2, "zz": 3}), "named by text"),
}


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_bad_pipelines_are_refused_with_one_sentence(case):
    data, expected = REFUSED[case]
    with pytest.raises(PipelineError) as refused:
        augment.pipeline_from_dict(data)
    message = str(refused.value)
    assert expected in message and "\n" not in message and message.endswith(".")


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))
HOSTILE_FILES = {
    "python object tag": (b'!!python/object/apply:os.system ["echo owned"]', "refuses"),
    "python name tag": (b"transform: !!python/name:os.system", "refuses"),
    "malformed YAML": (b"transform: [unclosed", "not valid YAML"),
    "malformed JSON": (b'{"transform": ', "not valid JSON"),
    "empty": (b"  \n", "empty"),
    "binary": (b"\xff\xfe\x00\x01", "not text"),
    "huge": (b"#" * 1_000_001, r"over 1\.00 MB \(977 KiB\)"),
    "billion laughs": (LAUGHS.encode(), "too large or too deeply nested"),
    "deeply nested": (b"[" * 50_000 + b"]" * 50_000, "not valid YAML"),
    "a plain string": (b"hello", "not text"),
}


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=str)
def test_broken_and_hostile_files_are_refused_cleanly(case, tmp_path):
    raw, expected = HOSTILE_FILES[case]
    with pytest.raises(PipelineError, match=expected) as refused:
        augment.load_pipeline_file(raw)
    assert "\n" not in str(refused.value)


def test_missing_files_and_folders_get_one_sentence(tmp_path):
    with pytest.raises(PipelineError, match="does not exist"):
        augment.load_pipeline_file(tmp_path / "nope.yaml")
    with pytest.raises(PipelineError, match="folder"):
        augment.load_pipeline_file(str(tmp_path))


def test_the_python_snippet_rebuilds_the_same_pipeline(tmp_path):
    data = augment.pipeline_to_dict(augment.preset_pipeline("digits"))
    snippet = augment.pipeline_python(data, seed=7)
    assert "strict=True, seed=7" in snippet and "A.Affine(rotate=(-15.0, 15.0)" in snippet
    script = snippet.replace('augmented = pipeline(image=image)["image"]', "") + \
        "import json\nprint(json.dumps(A.to_dict(pipeline)))\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"NO_ALBUMENTATIONS_UPDATE": "1", "PATH": ""})
    assert json.loads(run.stdout) == data


def test_descriptions_are_short_and_readable():
    data = compose({"__class_fullname__": "Affine", "rotate": [-15, 15], "scale": [0.9, 1.1], "shear": 0, "p": 0.7},
                   {"__class_fullname__": "RandomBrightnessContrast", "brightness_limit": [0, 0.3]})
    assert augment.describe_pipeline(data) == (
        "Affine(rotate ±15, scale 0.9-1.1, p 0.7) -> RandomBrightnessContrast(brightness_limit 0-0.3, "
        "contrast_limit ±0.2, p 0.5)")
    assert augment.describe_pipeline(compose()) == "no transforms (images pass unchanged)"


def test_yaml_export_is_plain_data_with_ranges_on_one_line():
    text = augment.pipeline_yaml(augment.pipeline_to_dict(augment.preset_pipeline("seed")))
    assert "limit: [-30.0, 30.0]" in text and "!!" not in text
    assert yaml.safe_load(text)["transform"]["transforms"][1]["blur_limit"] == [3, 5]


def test_augment_batch_keeps_the_batch_shape():
    batch = np.stack([DIGIT] * 5)
    out = augment.augment_batch(augment.preset_pipeline("digits", seed=0), batch)
    assert out.shape == batch.shape and out.dtype == np.uint8


def test_every_transform_saved_by_albumentations_with_its_defaults_opens_in_the_editor():
    transforms = [getattr(A, spec.name)(**spec.sized((28, 28))) for spec in TRANSFORMS]
    steps = augment.steps_from_dict(A.to_dict(A.Compose(transforms)))
    assert [step.name for step in steps] == [spec.name for spec in TRANSFORMS]
    assert augment.steps_from_dict(augment.steps_to_dict(steps)) == steps


def test_an_even_kernel_size_is_refused_rather_than_rounded():
    with pytest.raises(PipelineError, match="MedianBlur's blur_limit must be odd"):
        augment.pipeline_from_dict(compose({"__class_fullname__": "MedianBlur", "blur_limit": [3, 4]}))
