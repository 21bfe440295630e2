import numpy as np
import pytest

from webapp.digits import to_mnist


def canvas_with_stroke(size=280, top=30, left=200, height=60, width=12):
    """A transparent RGBA canvas (as the drawing widget returns) with one small off-centre stroke."""
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[top:top + height, left:left + width] = (0, 0, 0, 255)
    return canvas


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (rows * image).sum() / total, (cols * image).sum() / total


def test_a_small_off_centre_drawing_is_boxed_to_20_pixels_and_centred_by_mass():
    result = to_mnist(canvas_with_stroke())
    assert result.problem is None and result.digit.shape == (28, 28) and result.digit.dtype == np.uint8
    rows, cols = np.nonzero(result.digit > 30)
    assert rows.max() - rows.min() + 1 in (19, 20, 21)  # the longer side fills the 20-pixel box
    row, col = centre_of_mass(result.digit.astype(float))
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1
    assert list(result.steps) == ["ink", "cropped", "20x20", "28x28"]


def test_dark_ink_on_light_paper_is_inverted():
    photo = np.full((300, 300, 3), 235, dtype=np.uint8)  # off-white paper
    photo[100:200, 140:160] = 20  # a dark stroke
    result = to_mnist(photo)
    assert result.digit is not None
    assert result.digit[14, 14] > 200 and result.digit[0, 0] == 0


def test_light_ink_on_dark_background_is_kept():
    photo = np.zeros((100, 100), dtype=np.uint8)
    photo[20:80, 45:55] = 255
    assert to_mnist(photo).digit[14, 14] > 200


@pytest.mark.parametrize("pixels", [np.zeros((280, 280, 4), np.uint8), np.full((50, 50, 3), 255, np.uint8)])
def test_an_empty_canvas_gives_no_digit_never_a_guess(pixels):
    result = to_mnist(pixels)
    assert result.digit is None and result.problem.startswith("No digit found")


def test_without_centring_the_box_is_centred_instead():
    result = to_mnist(canvas_with_stroke(), centre=False)
    rows, cols = np.nonzero(result.digit > 30)
    assert rows.min() == 4 and rows.max() == 23


def test_mnist_digits_drawn_large_on_a_canvas_come_back_readable():
    """Round trip: MNIST test digits, blown up to a 280x280 transparent canvas, preprocessed back to 28x28,
    are still read correctly by the shipped CNN (the preprocessing matches how MNIST was made)."""
    from PIL import Image

    from webapp.data import load_mnist
    from webapp.store import RunStore
    from webapp.training import predict_probabilities

    mnist = load_mnist()
    digits = []
    for image in mnist.x_test[:100]:
        canvas = np.zeros((280, 280, 4), np.uint8)
        canvas[..., 3] = np.asarray(Image.fromarray(image).resize((280, 280), Image.Resampling.BILINEAR))
        digits.append(to_mnist(canvas).digit)
    model = RunStore().load_model("default-cnn")
    predicted = predict_probabilities(model, np.stack(digits)[..., None]).argmax(axis=1)
    assert (predicted == mnist.y_test[:100]).mean() >= 0.97


def test_transform_shifts_by_whole_pixels_and_rotates_about_the_centre():
    from webapp.digits import transform

    digit = to_mnist(canvas_with_stroke()).digit
    assert np.array_equal(transform(digit), digit)
    row, col = centre_of_mass(digit.astype(float))
    moved_row, moved_col = centre_of_mass(transform(digit, shift_x=3, shift_y=-2).astype(float))
    assert abs(moved_col - col - 3) < 0.5 and abs(moved_row - row + 2) < 0.5
    turned = transform(digit, angle=90)  # a vertical bar becomes horizontal
    rows, cols = np.nonzero(turned > 100)
    assert cols.max() - cols.min() > rows.max() - rows.min()
