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
