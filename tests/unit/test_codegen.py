import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import synthetic_digits
from webapp.codegen import layer_line, reproduce_script
from webapp.config import MODEL_NAMES, TrainConfig
from webapp.networks import build, options_for


def test_every_network_gets_a_script_that_compiles():
    for model in MODEL_NAMES:
        config = TrainConfig(models=(model,), dropout=0.2, batch_norm=True, subset=2000).to_dict()
        compile(reproduce_script(model, config), f"{model}.py", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("dataset, classes", [("mnist", 10), ("mnist-5-9", 5)])
def test_the_script_runs_on_the_runs_dataset_and_reports_test_accuracy(tmp_path, dataset, classes):
    (tmp_path / "data").mkdir()
    x, y = synthetic_digits(300)
    np.savez(tmp_path / "data" / "mnist.npz", x_train=x, y_train=y, x_test=x[:50], y_test=y[:50])
    config = TrainConfig(models=("cnn",), epochs=1, batch_size=32, subset=0, dataset=dataset).to_dict()
    code = reproduce_script("cnn", config)
    assert f"layers.Dense({classes}, activation='softmax')" in code
    assert ("classes = [5, 6, 7, 8, 9]" in code) == (dataset == "mnist-5-9")
    script = tmp_path / "reproduce.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "test accuracy" in result.stdout


@pytest.mark.slow
def test_an_augmented_run_gets_a_script_that_augments_its_training_batches(tmp_path):
    from webapp.augment import pipeline_to_dict, preset_pipeline

    (tmp_path / "data").mkdir()
    x, y = synthetic_digits(300)
    np.savez(tmp_path / "data" / "mnist.npz", x_train=x, y_train=y, x_test=x[:50], y_test=y[:50])
    config = TrainConfig(models=("dnn",), epochs=2, batch_size=32, schedule="cosine", learning_rate=0.003,
                         pipeline=pipeline_to_dict(preset_pipeline("digits"))).to_dict()
    code = reproduce_script("dnn", config)
    assert "A.Affine(" in code and "AugmentedBatches(x_train, y_train, 32)" in code
    assert "CosineDecay(\n    0.003, decay_steps=2 * (len(x_train) // 32))" in code
    script = tmp_path / "reproduce.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "test accuracy" in result.stdout


def test_the_script_warms_up_and_smooths_labels_as_the_lab_does():
    from webapp.training import learning_rate_schedule

    config = TrainConfig(models=("cnn",), epochs=3, batch_size=256, learning_rate=0.01, schedule="warmup-cosine",
                         label_smoothing=0.1)
    code = reproduce_script("cnn", config.to_dict())
    assert "keras.losses.CategoricalCrossentropy(label_smoothing=0.1)" in code
    assert "y_val = keras.utils.to_categorical(y_val, 10)" in code
    start, end = code.index("total_steps ="), code.index("# Label smoothing")
    scope = {"keras": __import__("keras"), "x_train": np.zeros((5120, 1))}  # 20 batches of 256 per epoch
    exec(code[start:end], scope)
    lab = learning_rate_schedule(0.01, "warmup-cosine", total_steps=60)
    for step in (0, 4, 9, 30, 59):
        assert float(scope["learning_rate"](step)) == pytest.approx(float(lab(step)))
    plain = reproduce_script("cnn", TrainConfig(models=("cnn",), label_smoothing=0.0, validation=False).to_dict())
    assert 'loss = "sparse_categorical_crossentropy"' in plain and "to_categorical" not in plain


@pytest.mark.parametrize("model", MODEL_NAMES)
@pytest.mark.parametrize("options", [{}, {"dropout": 0.3}, {"batch_norm": True}, {"activation": "tanh"},
                                     {"dropout": 0.2, "batch_norm": True, "activation": "sigmoid"}],
                         ids=["plain", "dropout", "batch-norm", "tanh", "all-three"])
def test_the_written_network_is_the_built_one(model, options):
    import keras
    from keras import layers

    if model == "lenet":
        options = {**options, "activation": "relu"}  # LeNet keeps its own tanh; the choice is refused for it
    config = TrainConfig(models=(model,), **options)
    built = build(model, options_for(model, config.dropout, config.batch_norm, config.activation))
    scope = {"keras": keras, "layers": layers}
    exec(model_script(model, config), scope)
    written = scope["model"]
    assert written.count_params() == built.count_params()
    assert [type(layer).__name__ for layer in written.layers] == [type(layer).__name__ for layer in built.layers]
    assert [layer.get_config().get("activation") for layer in written.layers] == \
        [layer.get_config().get("activation") for layer in built.layers]
    assert written.inputs[0].shape == built.inputs[0].shape


def model_script(model: str, config: TrainConfig) -> str:
    """Just the script's `model = keras.Sequential([...])` statement."""
    script = reproduce_script(model, config.to_dict())
    start = script.index("model = keras.Sequential([")
    return script[start:script.index("\n])\n", start) + 3]


def test_a_layer_show_code_cannot_write_is_named_not_guessed():
    from keras import layers

    with pytest.raises(ValueError, match="cannot write a LSTM layer"):
        layer_line(layers.LSTM(4))
