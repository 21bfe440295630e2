import pytest

from webapp.config import TrainConfig


def test_defaults_race_the_dnn_against_the_cnn():
    config = TrainConfig()
    assert config.models == ("dnn", "cnn") and config.is_race


@pytest.mark.parametrize("changes, message", [
    ({"models": ()}, "at least one model"),
    ({"models": ("dnn", "vgg")}, "Unknown model vgg"),
    ({"models": ("cnn", "cnn")}, "only once"),
    ({"epochs": 0}, "Epochs"),
    ({"learning_rate": 0}, "Learning rate"),
    ({"optimizer": "lbfgs"}, "Unknown optimizer"),
    ({"dropout": 1.0}, "Dropout"),
    ({"subset": 100, "batch_size": 128}, "too small for batches of 128"),
    ({"subset": 70_000}, "Training-set size"),
])
def test_impossible_settings_are_refused_in_one_sentence(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_round_trips_through_a_dict_and_ignores_unknown_keys():
    config = TrainConfig(models=("lenet",), epochs=2, dropout=0.25)
    assert TrainConfig.from_dict({**config.to_dict(), "added_later": 1}) == config
