"""The CLI contract: JSON Lines on stdout, progress on stderr, exit 2 / 1 / 0, never a traceback."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from webapp import cli


def run_cli(*args, env_home):
    return subprocess.run([sys.executable, "-m", "webapp", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "CONVNET_LAB_HOME": str(env_home)})


@pytest.mark.parametrize("args", [["train", "--model", "vgg"], ["train", "--epochs", "many"], ["frobnicate"],
                                  ["train", "--subset", "5"], ["bench", "nothing"], ["summary", "resnet"],
                                  ["summary", "vgg16", "--dtype", "int8"], ["summary", "vgg16", "--batch-size", "0"],
                                  ["summary", "dnn", "--optimizer", "lbfgs"],
                                  ["bench", "summary", "--networks", "dnn,vgg"],
                                  ["train", "--schedule", "step"], ["train", "--augment-preset", "sharpen"],
                                  ["train", "--augment-preset", "digits", "--pipeline", "x.yaml"]])
def test_usage_errors_exit_2_with_one_line_and_no_traceback(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("python -m webapp")


def test_runtime_failure_exits_1_with_one_sentence(monkeypatch, capsys):
    from webapp import data
    from webapp.data import DataMissingError

    def missing(path=None):
        raise DataMissingError("MNIST is missing: put mnist.npz at data/mnist.npz.")

    monkeypatch.setattr(data, "load_mnist", missing)
    monkeypatch.setattr("webapp.datasets.load", lambda name="mnist", path=None: missing(path))
    assert cli.main(["train", "--model", "dnn", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines()[-1] == "MNIST is missing: put mnist.npz at data/mnist.npz."


@pytest.mark.slow
def test_train_race_prints_one_json_line_per_model_and_progress_on_stderr(lab_home):
    result = run_cli("train", "--model", "dnn,cnn", "--subset", "1200", "--epochs", "1", "--json", env_home=lab_home)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["model"] for line in lines] == ["dnn", "cnn"]
    for line in lines:
        assert {"run_id", "model", "test_accuracy", "test_loss", "epoch_seconds", "device", "params",
                "run_dir"} <= set(line)
        assert 0 <= line["test_accuracy"] <= 1 and len(line["epoch_seconds"]) == 1
        assert line["warmup_seconds"] > 0 and line["compute_seconds"] >= sum(line["epoch_seconds"]) - 1e-9
    assert "100%" in result.stderr and "Traceback" not in result.stderr
    listed = run_cli("runs", "--json", env_home=lab_home)
    ids = [json.loads(line)["run_id"] for line in listed.stdout.strip().splitlines()]
    assert {line["run_id"] for line in lines} <= set(ids)


def test_summary_json_gives_totals_and_one_entry_per_layer(capsys):
    assert cli.main(["summary", "vgg16", "--batch-size", "2", "--optimizer", "sgd", "--dtype", "float16",
                     "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["total_params"] == record["trainable_params"] == 138_357_544
    assert record["inference_bytes"] == 2 * (224 * 224 * 64) * 2 * 2  # two 224x224x64 maps, batch 2, 2 bytes
    # weights + gradients, no state
    assert record["training_bytes"] == record["activations_bytes"] + 2 * 2 * 138_357_544
    fc1 = next(layer for layer in record["layers"] if layer["name"] == "fc1")
    assert fc1 == {"name": "fc1", "type": "Dense", "output_shape": [None, 4096], "params": 102_764_544,
                   "multiply_adds": 25_088 * 4_096, "activation_bytes": 4_096 * 2 * 2, "inputs": ["flatten"]}


def test_summary_prints_a_readable_table_without_json(capsys):
    assert cli.main(["summary", "lenet"]) == 0
    out = capsys.readouterr().out
    assert "61,706 parameters" in out and "conv_1" in out and "inference" in out and "adam state" in out


def test_summary_of_seed_004s_network(capsys):
    assert cli.main(["summary", "lenet32", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["total_params"] == 84_107 and record["title"] == "LeNet-style, 32x32 colour (seed 004)"
    assert [layer["output_shape"] for layer in record["layers"] if layer["name"] in ("conv1", "pool2", "logits")] == [
        [None, 30, 30, 6], [None, 6, 6, 16], [None, 43]]


@pytest.mark.slow
def test_train_with_a_pipeline_file_records_the_augmentation(lab_home, tmp_path):
    import albumentations as A

    path = tmp_path / "seed.json"
    A.save(A.Compose([A.Rotate(limit=30, p=0.5), A.Blur(blur_limit=5, p=0.5)]), str(path), data_format="json")
    result = run_cli("train", "--model", "dnn", "--subset", "1200", "--epochs", "1", "--pipeline", str(path), "--json",
                     env_home=lab_home)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert "Rotate" in line["augmentation"] and "Blur" in line["augmentation"]


@pytest.mark.slow
def test_train_with_a_preset_and_the_cosine_schedule_records_both(lab_home):
    result = run_cli("train", "--model", "dnn", "--subset", "1200", "--epochs", "1", "--augment-preset", "digits",
                     "--schedule", "cosine", "--json", env_home=lab_home)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert "Affine" in line["augmentation"] and "ElasticTransform" in line["augmentation"]
    config = json.loads((Path(line["run_dir"]) / "config.json").read_text())
    assert config["train_config"]["schedule"] == "cosine"


def test_train_with_a_broken_pipeline_file_exits_1_with_one_sentence(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("transform: [this is not: a pipeline")
    assert cli.main(["train", "--model", "dnn", "--pipeline", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_train_with_holes_larger_than_a_digit_exits_1_before_training(tmp_path, capsys):
    import albumentations as A

    path = tmp_path / "holes.yaml"
    A.save(A.Compose([A.CoarseDropout(hole_height_range=(30, 40), hole_width_range=(4, 12))]), str(path),
           data_format="yaml")
    assert cli.main(["train", "--model", "dnn", "--pipeline", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "at least 30 pixels; these images are 28 pixels high" in captured.err


@pytest.mark.slow
def test_train_on_a_catalog_view_records_it_and_reading_digits_refuses_the_run(lab_home, tmp_path):
    result = run_cli("train", "--model", "dnn", "--dataset", "mnist-0-4", "--subset", "1200", "--epochs", "1",
                     "--json", env_home=lab_home)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["dataset"] == "mnist-0-4" and line["params"] == 784 * 128 + 128 + 128 * 5 + 5
    listed = [json.loads(row) for row in run_cli("runs", "--json", env_home=lab_home).stdout.splitlines()]
    assert {row["run_id"]: row["dataset"] for row in listed}[line["run_id"]] == "mnist-0-4"
    mnist_defaults = ("default-dnn", "default-cnn", "default-lenet")
    assert {row["dataset"] for row in listed if row["run_id"] in mnist_defaults} == {"mnist"}
    refused = run_cli("predict", "--models", line["run_id"], str(PROJECT_ROOT / "data" / "samples" / "README.md"),
                      env_home=lab_home)
    assert refused.returncode == 2 and "reading digits needs a model of all ten MNIST digits" in refused.stderr
    assert run_cli("train", "--dataset", "cifar", env_home=lab_home).returncode == 2
