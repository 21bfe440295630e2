import numpy as np

from webapp.inside import feature_maps, first_dense_weights, to_tiles
from webapp.networks import build


def test_cnn_feature_maps_follow_the_network_shapes():
    maps = feature_maps(build("cnn"), np.zeros((28, 28), np.uint8))
    assert [(name, array.shape) for name, array in maps] == [
        ("conv_1", (26, 26, 32)), ("pool_1", (13, 13, 32)), ("conv_2", (11, 11, 64)), ("pool_2", (5, 5, 64))]


def test_dense_first_layer_weights_are_one_image_per_neuron():
    assert first_dense_weights(build("dnn")).shape == (128, 28, 28)
    assert first_dense_weights(build("cnn")) is None  # its first dense layer reads feature maps, not pixels


def test_tiles_scale_over_the_whole_layer():
    maps = np.stack([np.full((2, 2), -1.0), np.full((2, 2), 1.0)], axis=-1)
    low, high = to_tiles(maps)
    assert low.max() == 0 and high.min() == 255
    grey, white = to_tiles(np.stack([np.zeros((2, 2)), np.ones((2, 2))], axis=-1), symmetric=True)
    assert grey[0, 0] == 128 and white[0, 0] == 255


class LooksAtTopLeft:
    """A stand-in model whose confidence in class 3 is the mean ink in the top-left 8x8 corner."""

    def __call__(self, batch, training=False):
        ink = batch[:, :8, :8, 0].mean(axis=(1, 2)) / 255.0
        probabilities = np.full((len(batch), 10), 0.0, np.float32)
        probabilities[:, 3] = ink
        return probabilities


def test_occlusion_finds_the_part_the_model_relies_on():
    from webapp.inside import occlusion_map, occlusion_overlay

    digit = np.full((28, 28), 255, np.uint8)
    heat = occlusion_map(LooksAtTopLeft(), digit, label=3)
    assert heat.shape == (28, 28)
    assert heat[:8, :8].min() > 0.05, "covering the corner the model reads lowers its confidence"
    assert np.allclose(heat[14:, 14:], 0), "covering anything else changes nothing"
    picture = occlusion_overlay(heat, digit)
    assert picture.shape == (28, 28, 3) and picture.dtype == np.uint8
    assert picture[2, 2, 0] > picture[2, 2, 2] and picture[20, 20, 0] == picture[20, 20, 2]
