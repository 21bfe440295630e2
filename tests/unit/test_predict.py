"""`python -m webapp predict`: one JSON object per file, bad files never stop the others, exit 1 if any failed."""
import json

from PIL import Image

from tests.unit.test_cli import run_cli
from webapp.data import load_mnist


def write_digit(path, index):
    """An MNIST test digit as a photo would show it: dark ink on white paper, 10x larger."""
    mnist = load_mnist()
    Image.fromarray(255 - mnist.x_test[index]).resize((280, 280)).save(path)
    return int(mnist.y_test[index])


def test_good_and_bad_files_each_get_their_line(tmp_path, lab_home):
    seven = write_digit(tmp_path / "seven.png", 0)
    (tmp_path / "notes.png").write_text("not a picture")
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    result = run_cli("predict", str(tmp_path / "seven.png"), str(tmp_path / "notes.png"), str(tmp_path / "blank.png"),
                     "--json", env_home=lab_home)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    good, unreadable, blank = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert set(good) == {"file", "dnn", "cnn"}
    for name in ("dnn", "cnn"):
        assert good[name]["label"] == seven and len(good[name]["probabilities"]) == 10
        assert abs(sum(good[name]["probabilities"]) - 1) < 1e-3
    assert set(unreadable) == {"file", "error"} and unreadable["error"].startswith("This file is not an image")
    assert blank["error"].startswith("No digit found")


def test_all_good_files_exit_0_and_unknown_models_are_usage_errors(tmp_path, lab_home):
    write_digit(tmp_path / "digit.png", 1)
    assert run_cli("predict", str(tmp_path / "digit.png"), "--models", "lenet", env_home=lab_home).returncode == 0
    unknown = run_cli("predict", str(tmp_path / "digit.png"), "--models", "vgg", env_home=lab_home)
    assert unknown.returncode == 2 and "No saved run is called 'vgg'" in unknown.stderr
