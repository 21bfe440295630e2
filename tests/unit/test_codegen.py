import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import synthetic_digits
from webapp.codegen import reproduce_script
from webapp.config import TrainConfig


def test_every_network_gets_a_script_that_compiles():
    for model in ("dnn", "cnn", "lenet"):
        config = TrainConfig(models=(model,), dropout=0.2, batch_norm=True, subset=2000).to_dict()
        compile(reproduce_script(model, config), f"{model}.py", "exec")


@pytest.mark.slow
def test_the_script_runs_and_reports_test_accuracy(tmp_path):
    (tmp_path / "data").mkdir()
    x, y = synthetic_digits(300)
    np.savez(tmp_path / "data" / "mnist.npz", x_train=x, y_train=y, x_test=x[:50], y_test=y[:50])
    config = TrainConfig(models=("cnn",), epochs=1, batch_size=32, subset=0).to_dict()
    script = tmp_path / "reproduce.py"
    script.write_text(reproduce_script("cnn", config))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "test accuracy" in result.stdout


@pytest.mark.slow
def test_an_augmented_run_gets_a_script_that_augments_its_training_batches(tmp_path):
    from webapp.augment import pipeline_to_dict, preset_pipeline

    (tmp_path / "data").mkdir()
    x, y = synthetic_digits(300)
    np.savez(tmp_path / "data" / "mnist.npz", x_train=x, y_train=y, x_test=x[:50], y_test=y[:50])
    config = TrainConfig(models=("dnn",), epochs=2, batch_size=32, schedule="cosine",
                         pipeline=pipeline_to_dict(preset_pipeline("digits"))).to_dict()
    code = reproduce_script("dnn", config)
    assert "A.Affine(" in code and "AugmentedBatches(x_train, y_train, 32)" in code
    assert "CosineDecay(\n    0.003, decay_steps=2 * (len(x_train) // 32))" in code
    script = tmp_path / "reproduce.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "test accuracy" in result.stdout
