"""Reading photographed and drawn digits: lighting, ruled paper, and saying when a picture is not one digit.

Every picture is made here: MNIST test digits (the project's own data) drawn on made-up canvases and papers."""
import numpy as np
import pytest
from PIL import Image

from webapp.data import load_mnist
from webapp.digits import ink_channel, remove_ruling, to_mnist
from webapp.predict import Prediction, not_a_digit_note


def scaled(digit: np.ndarray, side: int) -> np.ndarray:
    """An MNIST digit blown up to side x side, as ink in [0, 1]."""
    return np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), float).clip(0, 255) / 255


def canvas(digit: np.ndarray, side: int = 280, size: int = 260, top: int = 10, left: int = 10) -> np.ndarray:
    """A dark drawing canvas (opaque RGBA) with white ink."""
    pixels = np.zeros((side, side, 4), np.uint8)
    pixels[..., 3] = 255
    ink = np.zeros((side, side))
    ink[top:top + size, left:left + size] = scaled(digit, size)
    pixels[..., :3] = (ink * 255 + 0.5).astype(np.uint8)[..., None]
    return pixels


def paper(ink: np.ndarray, *, gradient: float = 0.0, seed: int = 0, lines: str = "") -> np.ndarray:
    """A photo-like RGB page: off-white paper lit unevenly (a light level falling by `gradient` of the full range
    from one corner to the other), grain, optional blue ruling ("rows", "grid") every 24 pixels, dark ink."""
    rng = np.random.default_rng(seed)
    height, width = ink.shape
    ys, xs = np.linspace(0, 1, height)[:, None], np.linspace(0, 1, width)[None, :]
    level = 235 - 255 * gradient * (0.6 * xs + 0.4 * ys) + rng.normal(0, 3, (height, width))
    rgb = np.stack([level, level, level], axis=-1)
    ruling = np.zeros((height, width), bool)
    if lines:
        ruling[12::24] = True
        ruling[13::24] = True
        if lines == "grid":
            ruling[:, 12::24] = True
    rgb[ruling] *= np.array([0.55, 0.65, 0.9])  # blue-grey lines, darker than the paper
    rgb *= 1 - 0.85 * ink[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def on_page(digit: np.ndarray, shape=(300, 400), size: int = 180, top: int = 60, left: int = 150) -> np.ndarray:
    ink = np.zeros(shape)
    ink[top:top + size, left:left + size] = scaled(digit, size)
    return ink


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Cosine similarity of two 28x28 digits (1: the same picture)."""
    a, b = first.astype(float).ravel(), second.astype(float).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


# -- lighting ---------------------------------------------------------------------------------------------
def test_a_large_bold_digit_on_a_dark_canvas_keeps_all_its_ink(mnist):
    """The lighting surface must not follow the strokes: on a flat canvas the ink is the picture itself (the
    old whole-block fit lifted the surface by a third under a large digit and dimmed its strokes)."""
    for index in range(5):
        pixels = canvas(mnist.x_test[index])
        assert np.abs(ink_channel(pixels) - pixels[..., 0] / 255).max() < 0.02


@pytest.mark.parametrize("gradient", [0.0, 0.35])
def test_paper_lit_unevenly_reads_like_the_clean_canvas(mnist, gradient):
    """A strong lighting gradient (the dark corner darker than thin ink would be on the bright side) leaves no
    ink on blank paper, and the digit comes out as it does from a clean canvas."""
    for index in range(5):
        digit = mnist.x_test[index]
        photo = paper(on_page(digit), gradient=gradient, seed=index)
        prepared, clean = to_mnist(photo), to_mnist(canvas(digit))
        assert similarity(prepared.digit, clean.digit) > 0.9
        assert prepared.doubt is None
    blank = ink_channel(paper(np.zeros((300, 400)), gradient=gradient))
    assert (blank >= 0.2).mean() < 0.001


def test_without_the_lighting_correction_the_dark_corner_would_be_ink(mnist, monkeypatch):
    """Why the correction exists: with one flat paper level the gradient's dark corner counts as ink, the ink
    box grows to the corner and the digit shrinks to a fraction of the 20x20 box."""
    import webapp.digits as digits

    digit = mnist.x_test[0]
    photo = paper(on_page(digit), gradient=0.35)
    monkeypatch.setattr(digits, "lighting", lambda grey: (np.full_like(grey, np.median(grey)), 0.0))
    flat = to_mnist(photo)
    assert similarity(flat.digit, to_mnist(canvas(digit)).digit) < 0.8


# -- ruled paper -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lines", ["rows", "grid"])
def test_ruled_and_squared_paper_lose_their_lines_not_the_digit(mnist, lines):
    for index in range(5):
        digit = mnist.x_test[index]
        prepared = to_mnist(paper(on_page(digit), seed=index, lines=lines))
        assert list(prepared.steps) == ["ink", "lines removed", "cropped", "20x20", "28x28"]
        assert similarity(prepared.digit, to_mnist(canvas(digit)).digit) > 0.9
        assert prepared.doubt is None


def test_a_long_bold_stroke_is_not_taken_for_a_ruled_line():
    pixels = np.zeros((280, 280), np.uint8)
    pixels[40:60, 30:250] = 255  # the bar of a 7, thick, spanning most of the width
    pixels[60:250, 200:220] = 255
    cleaned, lines = remove_ruling(pixels / 255.0)
    assert lines == 0 and np.array_equal(cleaned, pixels / 255.0)


def test_a_tall_one_drawn_with_a_fine_brush_is_not_taken_for_a_ruled_line():
    pixels = np.zeros((280, 280), np.uint8)
    pixels[10:270, 136:142] = 255  # a straight 1, 6 pixels wide, nearly the canvas's height
    cleaned, lines = remove_ruling(pixels / 255.0)
    assert lines == 0 and to_mnist(pixels).digit is not None


def test_a_digit_crossing_ruled_lines_stays_whole():
    ink = np.zeros((200, 300))
    ink[100:102] = 0.5  # two lines
    ink[150:152] = 0.5
    ink[40:170, 140:150] = 1.0  # a vertical stroke across both
    cleaned, lines = remove_ruling(ink)
    assert lines == 2
    assert cleaned[100:102, 140:150].min() == 1.0 and cleaned[100:102, :100].max() == 0.0


# -- not a digit ---------------------------------------------------------------------------------------
def sure(label: int, confidence: float = 0.99) -> Prediction:
    probabilities = [(1 - confidence) / 9] * 10
    probabilities[label] = confidence
    return Prediction(label, probabilities)


def test_two_separate_digits_are_doubted(mnist):
    ink = np.zeros((300, 500))
    ink[60:240, 20:200] = scaled(mnist.x_test[0], 180)
    ink[60:240, 300:480] = scaled(mnist.x_test[1], 180)
    prepared = to_mnist(paper(ink))
    assert prepared.doubt == "the ink falls into 2 separate shapes"
    note = not_a_digit_note(prepared, {"dnn": sure(7), "cnn": sure(7)})
    assert "may not be one digit" in note and "ten classes" in note and note.count(".") == 1


def test_ink_spanning_the_whole_picture_is_doubted():
    """An object filling the photo (a cup's outline with its rim and handle), not one digit's strokes."""
    rows, cols = np.indices((300, 400))

    def ring(centre_row, centre_col, half_height, half_width, thickness):
        outer = ((rows - centre_row) / half_height) ** 2 + ((cols - centre_col) / half_width) ** 2 <= 1
        inner = (((rows - centre_row) / (half_height - thickness)) ** 2
                 + ((cols - centre_col) / (half_width - thickness)) ** 2 <= 1)
        return outer & ~inner

    ink = (ring(150, 170, 149, 165, 14) | ring(40, 170, 30, 150, 8) | ring(150, 345, 70, 54, 14)).astype(float)
    prepared = to_mnist(paper(ink, gradient=0.2))
    assert prepared.doubt == "the ink reaches across the whole picture"
    assert "ten classes" in not_a_digit_note(prepared, {"cnn": sure(9, 0.5)})


def test_models_that_disagree_or_are_unsure_are_doubted_and_sure_agreement_is_not(mnist):
    prepared = to_mnist(canvas(mnist.x_test[0]))
    assert prepared.doubt is None
    assert not_a_digit_note(prepared, {"dnn": sure(7), "cnn": sure(7)}) is None
    assert "the models disagree" in not_a_digit_note(prepared, {"dnn": sure(7), "cnn": sure(1)})
    assert "every model is unsure" in not_a_digit_note(prepared, {"dnn": sure(7, 0.5), "cnn": sure(7, 0.6)})
    assert not_a_digit_note(prepared, {"dnn": sure(7, 0.5), "cnn": sure(7, 0.95)}) is None


def test_clean_digits_and_lined_photos_get_no_note_from_the_default_models(mnist):
    """With the shipped models: clean drawings and photos on ruled paper read right, without the note."""
    from webapp.predict import classify
    from webapp.store import RunStore

    store = RunStore()
    models = {name: store.load_model(f"default-{name}") for name in ("dnn", "cnn")}
    for index in range(10):
        digit, label = mnist.x_test[index], int(mnist.y_test[index])
        for pixels in (canvas(digit), paper(on_page(digit), seed=index, lines="rows")):
            prepared = to_mnist(pixels)
            predictions = classify(models, prepared.digit)
            assert predictions["cnn"].label == label
            assert not_a_digit_note(prepared, predictions) is None, index
