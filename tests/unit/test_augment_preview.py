"""webapp.augment_preview: reproducible samples, the parameters drawn for each, grids and stacks."""
import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PROJECT_ROOT, synthetic_digits
from webapp import augment, augment_preview
from webapp.augment_preview import Sample

CAT = PROJECT_ROOT / "data" / "samples" / "chelsea.jpg"


def rotate_and_blur(p: float = 1.0) -> dict:
    return augment.steps_to_dict([augment.step("Rotate", p, limit=(25.0, 25.0)), augment.step("Blur", p)])


def test_samples_say_what_was_drawn_for_them_and_repeat_with_the_seed():
    digits, labels = synthetic_digits(6)
    samples = augment_preview.augment_samples(rotate_and_blur(), list(digits), seed=2, labels=labels)
    again = augment_preview.augment_samples(rotate_and_blur(), list(digits), seed=2, labels=labels)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(samples, again))
    assert samples[0].applied[0] == "Rotate +25°" and samples[0].applied[1] in ("Blur kernel 3", "Blur kernel 5")
    assert samples[0].caption.startswith(f"a {labels[0]}: Rotate +25°; Blur kernel")


def test_a_transform_that_does_not_fire_is_not_listed():
    samples = augment_preview.augment_samples(rotate_and_blur(p=0.0), [np.zeros((28, 28), np.uint8)], seed=0)
    assert samples[0].applied == () and samples[0].caption == "unchanged"



@pytest.mark.parametrize("name, arguments", [("Rotate", {"limit": (0.0, 0.0)}), ("Rotate", {"limit": (0.2, 0.2)}),
                                             ("Affine", {"rotate": (0.0, 0.0), "scale": (1.0, 1.0),
                                                         "translate_percent": (0.0, 0.0)}),
                                             ("RandomGamma", {"gamma_limit": (100, 100)})])
def test_a_transform_that_fires_but_draws_no_change_leaves_the_sample_unchanged(name, arguments):
    digits, labels = synthetic_digits(3)
    data = augment.steps_to_dict([augment.step(name, 1.0, **arguments)])
    samples = augment_preview.augment_samples(data, list(digits), seed=0, labels=labels)
    assert [sample.applied for sample in samples] == [(), (), ()]
    assert samples[0].caption == f"a {labels[0]}: unchanged"


def test_a_turn_of_one_degree_still_counts_as_a_change():
    data = augment.steps_to_dict([augment.step("Rotate", 1.0, limit=(1.0, 1.0))])
    assert augment_preview.augment_samples(data, [np.zeros((28, 28), np.uint8)], seed=0)[0].applied == ("Rotate +1°",)

@pytest.mark.parametrize("name, expected", [
    ("Affine", "°, zoom "), ("CoarseDropout", "CoarseDropout 1 hole"), ("RandomResizedCrop", "crop "),
    ("GaussNoise", "grey levels"), ("RandomBrightnessContrast", "contrast ×"), ("Downscale", "Downscale scale 0."),
    ("VerticalFlip", "VerticalFlip"),
])
def test_applied_parameters_read_as_words(name, expected):
    arguments = {"num_holes_range": (1, 1)} if name == "CoarseDropout" else {}
    data = augment.steps_to_dict([augment.step(name, 1.0, **arguments)])
    sample = augment_preview.augment_samples(data, [np.full((28, 28), 90, np.uint8)], seed=1)[0]
    assert sample.applied[0].startswith(name) and expected in sample.applied[0]


def test_random_digits_are_distinct_and_picked_by_the_seed():
    digits, labels = synthetic_digits(50)
    first, first_labels = augment_preview.random_digits(digits, labels, 16, seed=3)
    again, _ = augment_preview.random_digits(digits, labels, 16, seed=3)
    assert first.shape == (16, 28, 28) and np.array_equal(first, again) and len(first_labels) == 16


def test_photos_load_safely_as_grey_or_colour_arrays():
    assert augment_preview.read_photo(CAT).shape == (300, 451, 3)
    grey = io.BytesIO()
    Image.new("LA", (40, 30), (10, 0)).save(grey, "PNG")
    assert augment_preview.read_photo(grey.getvalue()).shape == (30, 40, 3)  # transparency laid over white
    assert augment_preview.read_photo(PROJECT_ROOT / "data" / "samples" / "camera.jpg").ndim == 2


def test_grids_enlarge_small_digits_and_stacks_add_a_channel():
    digits = [np.full((28, 28), value, np.uint8) for value in (0, 100, 200)]
    grid = augment_preview.sample_grid(digits, columns=2)
    assert grid.shape == (2 * (112 + 4) + 4, 2 * (112 + 4) + 4)
    assert Image.open(io.BytesIO(augment_preview.grid_png(digits))).format == "PNG"
    assert augment_preview.stacked(digits).shape == (3, 28, 28, 1)
    with pytest.raises(augment.PipelineError, match="different sizes"):
        augment_preview.stacked([digits[0], np.zeros((5, 5), np.uint8)])
    assert Sample(digits[0], ("Rotate +3°",), 7).caption == "a 7: Rotate +3°"


def test_the_narrow_caption_puts_one_transform_a_line_with_break_opportunities_between_words_only():
    image = np.zeros((28, 28), np.uint8)
    sample = Sample(image, ("Rotate -14°", "RandomResizedCrop crop 25x25"), 4)
    assert sample.narrow_caption == "a 4:  \nRotate -14°  \nRandom\u200bResized\u200bCrop crop 25x25"
    unwrapped = sample.narrow_caption.replace("\u200b", "").replace("  \n", "; ").replace("a 4:; ", "a 4: ")
    assert unwrapped == sample.caption
    assert Sample(image, (), 7).narrow_caption == "a 7: unchanged"


def test_tiles_are_sent_at_the_size_shown_digits_enlarged_photos_shrunk():
    from webapp.augment_preview import TILE_SIDE, display_tile, tile_format

    digit = np.zeros((28, 28), np.uint8)
    photo = np.random.default_rng(0).integers(0, 255, (300, 450, 3), dtype=np.uint8)
    assert display_tile(digit).shape == (112, 112) and tile_format(digit) == "PNG"
    shrunk = display_tile(photo)
    assert shrunk.shape == (round(300 * TILE_SIDE / 450), TILE_SIDE, 3) and tile_format(photo) == "JPEG"
    assert display_tile(photo[:200, :200]).shape == (200, 200, 3), "a photo already small enough is left as it is"
