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
    assert "a little below" in race_expectation(TrainConfig(subset=12_000, epochs=1))
    assert "after about 1.8 epochs" in race_expectation(TrainConfig(subset=12_000, epochs=2))


def test_no_dnn_against_cnn_race_no_promise():
    assert "98%" not in race_expectation(TrainConfig(models=("lenet",)))
    assert "98%" not in race_expectation(None)


def test_fashion_says_what_to_notice_with_the_labs_measured_race_and_the_published_points():
    text = race_expectation(TrainConfig(dataset="fashion"))
    assert "shirts are read as T-shirts, pullovers and coats" in text
    assert "fall further behind the CNN than on MNIST" in text
    assert "55,000 training images, 3 epochs" in text and "91.2% at best" in text and "87.8%" in text
    assert "A multilayer perceptron (MLP) 88.5%" in text and "A 2-layer CNN 91.5%" in text
    assert "98%" not in text and race_expectation(TrainConfig()) != text  # the digits' promise is not theirs


def test_fashion_without_the_measured_settings_keeps_the_notice_but_not_the_numbers():
    small = race_expectation(TrainConfig(dataset="fashion", subset=1_000))
    assert "shirts are read as" in small and "at best" not in small
    lenet = race_expectation(TrainConfig(dataset="fashion", models=("lenet",)))
    assert "shirts are read as" in lenet and "fall further behind" not in lenet


def test_the_mnist_halves_say_they_are_half_of_mnist_for_the_transfer_page():
    for name, digits in (("mnist-0-4", "30,596"), ("mnist-5-9", "29,404")):
        text = race_expectation(TrainConfig(dataset=name))
        assert "is half of MNIST" in text and "Transfer page" in text and f"{digits} training" in text
        assert "98%" not in text and "shirts" not in text


def test_mnist_keeps_its_own_text():
    text = race_expectation(TrainConfig(dataset="mnist"))
    assert "98% within an epoch" in text and "half of MNIST" not in text and "shirts" not in text
