"""`python -m webapp predict`: one JSON object per file, bad files never stop the others, exit 1 if any failed."""
import io
import json

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.unit.test_cli import run_cli
from webapp.data import load_mnist


def write_digit(path, index):
    """An MNIST test digit as a photo would show it: dark ink on white paper, 10x larger."""
    mnist = load_mnist()
    Image.fromarray(255 - mnist.x_test[index]).resize((280, 280)).save(path)
    return int(mnist.y_test[index])


@pytest.mark.slow
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


@pytest.mark.slow
def test_all_good_files_exit_0_and_unknown_models_are_usage_errors(tmp_path, lab_home):
    write_digit(tmp_path / "digit.png", 1)
    assert run_cli("predict", str(tmp_path / "digit.png"), "--models", "lenet", env_home=lab_home).returncode == 0
    unknown = run_cli("predict", str(tmp_path / "digit.png"), "--models", "vgg", env_home=lab_home)
    assert unknown.returncode == 2 and "No saved run is called 'vgg'" in unknown.stderr


def phone_photo(digit: np.ndarray | None, seed: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A JPEG like a phone's: off-white paper lit unevenly (a 60-level gradient), grain, slight blur, and dark
    ink (an MNIST digit scaled up), or blank paper when `digit` is None."""
    rng = np.random.default_rng(seed)
    width, height = size
    ys, xs = np.linspace(0, 1, height)[:, None], np.linspace(0, 1, width)[None, :]
    paper = 175 + 60 * (0.6 * xs + 0.4 * ys) + rng.normal(0, 4, (height, width))
    if digit is not None:
        side = int(height * 0.45)
        ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), float) / 255
        top, left = int(height * 0.3), int(width * 0.35)
        paper[top:top + side, left:left + side] *= 1 - 0.75 * ink
    rgb = np.clip(np.stack([paper, paper * 0.97, paper * 0.9], axis=-1), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(1.5)).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_photographed_digits_on_unevenly_lit_paper_are_read(tmp_path, lab_home):
    from webapp.predict import predict_file
    from webapp.store import RunStore

    mnist, store = load_mnist(), RunStore()
    models = {"cnn": store.load_model("default-cnn")}
    right = 0
    for index in range(10):
        path = tmp_path / f"photo-{index}.jpg"
        path.write_bytes(phone_photo(mnist.x_test[index], seed=index))
        right += predict_file(path, models)["cnn"]["label"] == mnist.y_test[index]
    assert right >= 9, f"the CNN read {right} of 10 photographed digits"
    blank = tmp_path / "blank.jpg"
    blank.write_bytes(phone_photo(None, seed=99))
    assert predict_file(blank, models)["error"].startswith("No digit found")
