import numpy as np
import pytest

from webapp.networks import NetworkOptions, build


@pytest.mark.parametrize("name, params", [("dnn", 101_770), ("cnn", 225_034), ("lenet", 61_706)])
def test_parameter_counts_match_the_published_networks(name, params):
    assert build(name).count_params() == params


@pytest.mark.parametrize("name", ["dnn", "cnn", "lenet"])
def test_models_scale_raw_pixels_themselves_and_output_probabilities(name):
    model = build(name, NetworkOptions(dropout=0.3, batch_norm=True))
    probabilities = np.asarray(model(np.full((2, 28, 28, 1), 255, dtype=np.float32), training=False))
    assert probabilities.shape == (2, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert model.layers[0].name == "scale_to_unit"


def test_batch_norm_and_dropout_add_their_layers():
    plain, regularised = build("cnn"), build("cnn", NetworkOptions(dropout=0.5, batch_norm=True))
    kinds = [type(layer).__name__ for layer in regularised.layers]
    assert kinds.count("BatchNormalization") == 3 and "Dropout" in kinds
    assert regularised.count_params() > plain.count_params()


def test_unknown_network_and_impossible_dropout_are_refused():
    with pytest.raises(ValueError, match="Unknown network"):
        build("resnet")
    with pytest.raises(ValueError, match="Dropout"):
        NetworkOptions(dropout=1.0)


def test_precision_goes_on_every_layer_and_never_on_the_global_policy():
    import keras

    model = build("cnn", NetworkOptions(dropout=0.2, batch_norm=True), "mixed_bfloat16")
    policies = {layer.name: layer.dtype_policy.name for layer in model.layers}
    assert policies.pop("probabilities") == "float32"  # the softmax computes in float32
    assert set(policies.values()) == {"mixed_bfloat16"} and model.dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"
