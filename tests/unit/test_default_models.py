"""The shipped default models load safely and meet the accuracy the README promises."""
import pytest

from webapp.data import as_model_input, load_mnist
from webapp.store import RunStore
from webapp.training import predict_probabilities, scores


@pytest.mark.parametrize("name, required", [("dnn", 0.975), ("cnn", 0.990), ("lenet", 0.975)])
def test_default_model_meets_its_test_accuracy(name, required):
    store = RunStore()
    info = store.resolve(name)
    assert info.is_default and info.config["train_config"]["subset"] == 0  # trained on the full training set
    mnist = load_mnist()
    loss, accuracy = scores(predict_probabilities(store.load_model(info.run_id), as_model_input(mnist.x_test)), mnist.y_test)
    assert accuracy >= required
    assert accuracy == pytest.approx(info.config["test_accuracy"], abs=1e-3)
