"""`python -m webapp bench read DIR`: reading accuracy per model and per variant on a labelled folder."""
import json

import pytest
from PIL import Image

from tests.unit.test_cli import run_cli
from webapp.data import load_mnist


def labelled_folder(folder):
    """Three MNIST test digits as a dark canvas, a light page and a transparent canvas, plus a broken file."""
    mnist = load_mnist()
    lines = ["file,label,variant"]
    for index, variant in enumerate(("canvas", "paper", "alpha")):
        big = Image.fromarray(mnist.x_test[index]).resize((280, 280))
        picture = {"canvas": big, "paper": Image.eval(big, lambda value: 255 - value),
                   "alpha": Image.merge("RGBA", [Image.new("L", big.size, 0)] * 3 + [big])}[variant]
        name = f"{variant}_{index}.png"
        picture.save(folder / name)
        lines.append(f"{name},{mnist.y_test[index]},{variant}")
    (folder / "broken.png").write_text("not a picture")
    lines.append("broken.png,5,canvas")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_accuracy_per_model_and_variant_with_the_failures_named(tmp_path, lab_home):
    labelled_folder(tmp_path)
    result = run_cli("bench", "read", str(tmp_path), "--models", "dnn,cnn", "--json", env_home=lab_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pictures"] == 4 and report["variants"] == {"canvas": 2, "paper": 1, "alpha": 1}
    for name in ("dnn", "cnn"):
        assert report["accuracy"][name] == {"canvas": 0.5, "paper": 1.0, "alpha": 1.0, "all": 0.75}
    broken = [failure for failure in report["failures"] if failure["file"] == "broken.png"]
    assert {failure["model"] for failure in broken} == {"dnn", "cnn"}
    assert broken[0]["answer"] is None and broken[0]["error"].startswith("This file is not an image")
    sheet = tmp_path / "steps.png"
    text = run_cli("bench", "read", str(tmp_path), "--models", "cnn", "--steps", str(sheet), env_home=lab_home)
    assert text.returncode == 0 and "cnn: canvas 50.0%  paper 100.0%  alpha 100.0%  all 75.0%" in text.stdout
    assert Image.open(sheet).size[1] == 68  # one row: the broken file, the only picture misread


def test_a_folder_without_labels_or_with_a_bad_line_gets_one_sentence(tmp_path, lab_home):
    missing = run_cli("bench", "read", str(tmp_path), env_home=lab_home)
    assert missing.returncode == 1 and "has no labels.csv" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "labels.csv").write_text("file,label\na.png,seven\n")
    bad = run_cli("bench", "read", str(tmp_path), env_home=lab_home)
    assert bad.returncode == 1 and "Line 2 of labels.csv" in bad.stderr
    unknown = run_cli("bench", "read", str(tmp_path), "--models", "vgg", env_home=lab_home)
    assert unknown.returncode in (1, 2) and "Traceback" not in unknown.stderr
