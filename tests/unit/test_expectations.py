from webapp.config import TrainConfig
from webapp.expectations import race_expectation


def test_the_full_training_set_keeps_the_98_percent_promise():
    text = race_expectation(TrainConfig(subset=0, epochs=3))
    assert "55,000 training images" in text and "98% within an epoch" in text


def test_a_small_subset_gets_no_98_percent_promise_and_its_own_numbers():
    text = race_expectation(TrainConfig(subset=1_000, epochs=1, batch_size=256))
    assert "917 training images" in text and "neither network reaches 98%" in text
    assert "within an epoch" not in text


def test_too_few_epochs_for_the_size_say_so():
    assert "a little below" in race_expectation(TrainConfig(subset=30_000, epochs=1))
    assert "after about 1.8 epochs" in race_expectation(TrainConfig(subset=30_000, epochs=2))


def test_no_dnn_against_cnn_race_no_promise():
    assert "98%" not in race_expectation(TrainConfig(models=("lenet",)))
    assert "98%" not in race_expectation(None)
