import io

from PIL import Image

from tests.app.conftest import open_page
from webapp.data import load_mnist

DRAW = "pages/draw.py"


def png_of_test_digit(index: int) -> tuple[bytes, int]:
    mnist = load_mnist()
    out = io.BytesIO()
    Image.fromarray(255 - mnist.x_test[index]).resize((280, 280)).save(out, "PNG")
    return out.getvalue(), int(mnist.y_test[index])


def test_an_empty_page_prompts_and_never_predicts():
    at = open_page(DRAW)
    assert at.title[0].value == "Draw & Predict"
    assert any("Draw a digit on the canvas" in info.value for info in at.info)
    assert not at.metric


def test_an_uploaded_photo_is_read_by_both_models():
    at = open_page(DRAW)
    data, label = png_of_test_digit(0)
    at.file_uploader[0].set_value(("seven.png", data, "image/png"))
    at.run()
    assert not at.exception, at.exception
    readings = {metric.label: metric.value for metric in at.metric}
    assert readings["DNN reads"] == readings["CNN reads"] == str(label)
    assert readings["DNN now reads"] == readings["CNN now reads"] == str(label)  # unshifted in the explorer


def test_the_robustness_explorer_shows_how_a_big_shift_changes_the_answers():
    at = open_page(DRAW)
    data, label = png_of_test_digit(0)
    at.file_uploader[0].set_value(("seven.png", data, "image/png"))
    at.run()
    at.slider(key="photo_dx").set_value(8).run()
    assert not at.exception, at.exception
    assert {"DNN now reads", "CNN now reads"} <= {metric.label for metric in at.metric}


def test_a_broken_upload_gets_one_sentence():
    at = open_page(DRAW)
    at.file_uploader[0].set_value(("broken.png", b"not an image", "image/png"))
    at.run()
    assert not at.exception
    assert [error.value for error in at.error] == ["This file is not an image that can be read; use PNG, JPEG, WebP, BMP or GIF."]
