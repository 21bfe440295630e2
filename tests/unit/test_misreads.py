"""Opening MNIST test images by index: the link's value, and the search for misread images (synthetic readings)."""
import numpy as np

from webapp.misreads import misread_mask, next_misread, parse_index, previous_misread, readings


def test_a_link_index_is_used_only_when_it_is_a_test_image():
    assert parse_index(None, 10) == (0, None)
    assert parse_index("7", 10) == (7, None)
    for bad in ("abc", "10", "-1", "2.5", ""):
        index, problem = parse_index(bad, 10)
        assert index == 0 and problem.endswith("showing test image 0."), bad
    assert "numbered 0 to 9" in parse_index("10", 10)[1]


def test_an_image_is_misread_when_either_model_disagrees_with_its_label():
    labels = np.array([7, 2, 1, 0, 4, 1])
    mask = misread_mask(labels, {"dnn": np.array([7, 2, 7, 0, 4, 1]), "cnn": np.array([7, 2, 1, 0, 9, 1])})
    assert mask.tolist() == [False, False, True, False, True, False]


def test_next_and_previous_misread_skip_the_current_image_and_say_when_there_is_none():
    mask = np.array([False, False, True, False, True, False])
    assert next_misread(mask, 0) == 2
    assert next_misread(mask, 2) == 4, "the open image itself is not 'next'"
    assert next_misread(mask, 4) is None and next_misread(mask, 5) is None
    assert previous_misread(mask, 5) == 4 and previous_misread(mask, 4) == 2
    assert previous_misread(mask, 2) is None and previous_misread(mask, 0) is None


class Argmax:
    """A stand-in model: the 'probability' of digit d is 1 where an image's first pixel is d."""

    def __call__(self, batch, training=False):
        first = batch[:, 0, 0, 0].astype(int)
        return np.eye(10, dtype=np.float32)[first]


def test_readings_cover_every_image_across_batches():
    images = np.zeros((7, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = [3, 1, 4, 1, 5, 9, 2]
    assert readings(Argmax(), images, batch=3).tolist() == [3, 1, 4, 1, 5, 9, 2]
