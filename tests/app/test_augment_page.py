import io
import re

import numpy as np
import yaml
from PIL import Image

from tests.app.conftest import open_page
from webapp import augment
from webapp.ui.state import AUGMENT_PIPELINE_KEY

AUGMENT = "pages/augment.py"


def sample_captions(at) -> list[str]:
    """Captions of the augmented samples (the originals in the expander say only 'a 7' or 'original')."""
    captions = [caption for image in at.get("image") for caption in image.captions]
    return [caption for caption in captions if caption != "original" and not re.fullmatch(r"a \d", caption)]


def handed_over(at) -> list[str]:
    return [entry["__class_fullname__"] for entry in at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"]]


def step_keys(at) -> list[str]:
    """The steps' remove buttons, top to bottom (their keys carry each step's id)."""
    return [button.key for button in at.button if button.key and button.key.endswith("_remove")]


def test_the_seed_preset_previews_sixteen_digits_and_is_handed_to_the_train_page():
    at = open_page(AUGMENT)
    assert at.title[0].value == "Augment" and not at.error
    captions = sample_captions(at)
    assert len(captions) == 16 and all(caption.startswith("a ") for caption in captions)
    assert any("Rotate" in caption for caption in captions) and any("Blur kernel" in caption for caption in captions)
    assert handed_over(at) == ["Rotate", "Blur"]
    assert "A.Rotate(limit=(-30.0, 30.0), p=0.5)" in at.code[0].value and "seed=0" in at.code[0].value
    assert any("Rotate(limit ±30, p 0.5) -> Blur(blur_limit 3-5, p 0.5)" in text.value for text in at.markdown)


def test_adding_moving_editing_and_removing_transforms():
    at = open_page(AUGMENT)
    at.selectbox(key="augment_new").set_value("VerticalFlip")
    at.button[1].click().run()  # Add
    assert not at.exception and handed_over(at) == ["Rotate", "Blur", "VerticalFlip"]
    assert any("a flipped 6 reads as a 9" in warning.value for warning in at.warning)

    first, _, flip = step_keys(at)
    at.button(key=flip.replace("_remove", "_up")).click().run()
    assert handed_over(at) == ["Rotate", "VerticalFlip", "Blur"]
    at.slider(key=first.replace("_remove", "_limit")).set_value((-60.0, 45.0)).run()
    at.slider(key=first.replace("_remove", "_p")).set_value(1.0).run()
    rotate = at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"][0]
    assert rotate["limit"] == [-60.0, 45.0] and rotate["p"] == 1.0
    assert all("Rotate" in caption for caption in sample_captions(at)), "p = 1: every sample is rotated"

    at.button(key=flip).click().run()
    assert handed_over(at) == ["Rotate", "Blur"] and not at.warning


def test_presets_load_and_resample_draws_new_samples():
    at = open_page(AUGMENT)
    at.selectbox(key="augment_preset").set_value("digits")
    at.button[0].click().run()  # Load
    assert handed_over(at) == ["Affine", "ElasticTransform", "CoarseDropout"]
    before = sample_captions(at)
    next(button for button in at.button if button.label == "Resample").click().run()
    assert at.number_input(key="augment_seed").value == 1
    assert sample_captions(at) != before


def test_an_imported_file_replaces_the_pipeline_and_a_hostile_one_gets_one_sentence():
    at = open_page(AUGMENT)
    saved = augment.pipeline_yaml(augment.pipeline_to_dict(augment.preset_pipeline("photos")))
    at.file_uploader(key="augment_upload").set_value(("mine.yaml", saved.encode(), "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert handed_over(at) == ["HorizontalFlip", "RandomResizedCrop", "RandomBrightnessContrast", "GaussNoise"]
    assert at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"][1]["size"] == [28, 28]

    hostile = b"transform: !!python/object/apply:os.system ['echo owned']"
    at.file_uploader(key="augment_upload").set_value(("evil.yaml", hostile, "application/x-yaml")).run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        "evil.yaml: The pipeline file uses a YAML tag the safe loader refuses (line 1); only plain data is read, "
        "never Python objects."]
    assert handed_over(at)[0] == "HorizontalFlip", "the pipeline being edited is kept"


def test_photos_preview_at_their_size_and_a_broken_upload_gets_one_sentence():
    at = open_page(AUGMENT)
    at.radio(key="augment_source").set_value("sample").run()
    assert not at.error and len(sample_captions(at)) == 16
    exported = yaml.safe_load(augment.pipeline_yaml(at.session_state[AUGMENT_PIPELINE_KEY]))
    assert exported["transform"]["transforms"][0]["__class_fullname__"] == "Rotate"

    at.radio(key="augment_source").set_value("upload").run()
    assert any("Upload a photo" in info.value for info in at.info)
    encoded = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(encoded, "PNG")
    at.file_uploader(key="augment_photo").set_value(("mine.png", encoded.getvalue(), "image/png")).run()
    assert not at.error and len(sample_captions(at)) == 16
    at.file_uploader(key="augment_photo").set_value(("broken.png", b"not an image", "image/png")).run()
    assert [error.value for error in at.error] == [
        "This file is not an image that can be read; use PNG, JPEG, WebP, BMP or GIF."]


def test_a_coarse_dropout_file_saved_by_albumentations_with_pixel_sizes_imports_and_keeps_them(tmp_path):
    import albumentations as A

    path = tmp_path / "holes.yaml"
    A.save(A.Compose([A.CoarseDropout(hole_height_range=(4, 12), hole_width_range=(4, 12))]), str(path),
           data_format="yaml")
    at = open_page(AUGMENT)
    at.file_uploader(key="augment_upload").set_value(("holes.yaml", path.read_bytes(), "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert handed_over(at) == ["CoarseDropout"]
    holes = at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"][0]
    assert holes["hole_height_range"] == [4.0, 12.0] and holes["hole_width_range"] == [4.0, 12.0]
    assert next(toggle for toggle in at.toggle if toggle.label == "Sizes in pixels").value
    pixels = [slider for slider in at.slider if slider.label.endswith("(pixels)")]
    assert [list(slider.value) for slider in pixels] == [[4, 12], [4, 12]]
    assert any("hole_height_range 4-12 px, hole_width_range 4-12 px" in text.value for text in at.markdown)

    next(toggle for toggle in at.toggle if toggle.label == "Sizes in pixels").set_value(False).run()
    holes = at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"][0]
    assert holes["hole_height_range"] == [0.1, 0.25], "back to fractions, from the slider's default"


def test_an_export_with_a_crop_asks_for_the_image_size_and_says_it_in_the_file():
    at = open_page(AUGMENT)
    at.selectbox(key="augment_preset").set_value("photos")
    at.button[0].click().run()  # Load
    at.radio(key="augment_source").set_value("sample").run()
    assert not at.error
    height = next(box for box in at.number_input if box.label == "Height")
    width = next(box for box in at.number_input if box.label == "Width")
    preview_size = at.session_state[AUGMENT_PIPELINE_KEY]  # the Train page's copy is sized for digits
    assert preview_size["transform"]["transforms"][1]["size"] == [28, 28]
    assert (height.value, width.value) != (28, 28), "the default is the preview photo's size"
    height.set_value(28).run()
    next(box for box in at.number_input if box.label == "Width").set_value(28).run()
    code = at.code[0].value
    assert code.startswith("# Exported for 28x28 images") and "A.Resize(height=28, width=28, p=1.0)" in code
    assert "A.RandomResizedCrop(" in code and "size=(28, 28)" in code


def test_holes_in_pixels_larger_than_a_digit_preview_on_a_photo_but_are_not_handed_to_training():
    at = open_page(AUGMENT)
    at.radio(key="augment_source").set_value("sample").run()
    holes = (b"transform:\n  __class_fullname__: Compose\n  transforms:\n  - __class_fullname__: CoarseDropout\n"
             b"    hole_height_range: [30, 40]\n    hole_width_range: [30, 40]\n    p: 1.0\n")
    at.file_uploader(key="augment_upload").set_value(("big.yaml", holes, "application/x-yaml")).run()
    assert not at.exception and not at.error and len(sample_captions(at)) == 16
    assert AUGMENT_PIPELINE_KEY not in at.session_state
    assert [warning.value for warning in at.warning] == [
        "The Train page does not get this pipeline, since it trains on 28x28 digits: CoarseDropout's "
        "hole_height_range asks for at least 30 pixels; these images are 28 pixels high."]
    at.radio(key="augment_source").set_value("digits").run()
    assert [error.value for error in at.error] == [
        "CoarseDropout's hole_height_range asks for at least 30 pixels; these images are 28 pixels high."]
    assert not at.warning


def test_a_value_beyond_the_sliders_usual_bounds_widens_the_slider_rather_than_changing():
    at = open_page(AUGMENT)
    wide = b"transform:\n  __class_fullname__: Compose\n  transforms:\n  - __class_fullname__: Rotate\n    limit: 270\n"
    at.file_uploader(key="augment_upload").set_value(("wide.yaml", wide, "application/x-yaml")).run()
    assert not at.exception and not at.error
    limit = next(slider for slider in at.slider if slider.label == "limit")
    assert list(limit.value) == [-270.0, 270.0] and limit.min == -270.0 and limit.max == 270.0
    assert at.session_state[AUGMENT_PIPELINE_KEY]["transform"]["transforms"][0]["limit"] == [-270.0, 270.0]
