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


def test_a_stored_config_from_before_label_smoothing_reads_as_it_trained():
    """Runs saved before issue 17 stored no `label_smoothing`: they trained on plain labels, not the new default."""
    old = {key: value for key, value in TrainConfig(schedule="constant", learning_rate=0.003).to_dict().items()
           if key != "label_smoothing"}
    assert TrainConfig.from_dict(old).label_smoothing == 0.0
    assert TrainConfig().label_smoothing == 0.1 and TrainConfig().schedule == "warmup-cosine"
    with pytest.raises(ValueError, match="Label smoothing must be between 0 and 0.5"):
        TrainConfig(label_smoothing=0.9)
