"""`python -m webapp augment` and `bench augment`: the CLI contract on the augment command."""
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PROJECT_ROOT
from webapp import augment, cli
from webapp.bench.augment import augment_benchmark

CAT = str(PROJECT_ROOT / "data" / "samples" / "chelsea.jpg")


@pytest.fixture
def seed_yaml(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(augment.pipeline_yaml(augment.pipeline_to_dict(augment.preset_pipeline("seed"))))
    return str(path)


def test_the_same_file_and_seed_give_the_same_images(tmp_path, seed_yaml, capsys):
    first, again, other = (tmp_path / name for name in ("a.npz", "b.npz", "c.npz"))
    for out, seed in ((first, "4"), (again, "4"), (other, "5")):
        assert cli.main(["augment", CAT, "--pipeline", seed_yaml, "-n", "5", "--seed", seed,
                         "--save-npz", str(out)]) == 0
    assert "5 samples of" in capsys.readouterr().out
    with np.load(first) as a, np.load(again) as b, np.load(other) as c:
        assert a["images"].shape == (5, 300, 451, 3) and a["images"].dtype == np.uint8
        assert np.array_equal(a["images"], b["images"]) and not np.array_equal(a["images"], c["images"])


def test_json_reports_each_sample_and_writes_the_grid(tmp_path, capsys):
    pipeline, grid = tmp_path / "photos.json", tmp_path / "grid.png"
    pipeline.write_text(augment.pipeline_json(augment.pipeline_to_dict(augment.preset_pipeline("photos"))))
    grey = str(PROJECT_ROOT / "data" / "samples" / "camera.jpg")
    npz = tmp_path / "grey.npz"
    assert cli.main(["augment", grey, "--pipeline", str(pipeline), "-n", "4", "--json", "--out", str(grid),
                     "--save-npz", str(npz)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["count"] == 4 and len(summary["applied"]) == 4 and summary["input_shape"] == [512, 512]
    assert summary["transforms"].startswith("HorizontalFlip(p 0.5) -> RandomResizedCrop(")
    assert Image.open(grid).format == "PNG"
    with np.load(npz) as arrays:  # the crop's 28x28 target size followed the 512x512 photo
        assert arrays["images"].shape == (4, 512, 512, 1)


@pytest.mark.parametrize("pipeline_text, image, expected", [
    ("transform: !!python/object/apply:os.system [echo]", CAT, "safe loader refuses"),
    ('{"transform": {"__class_fullname__": "Compose", "transforms": [{"__class_fullname__": "Rotate", "limt": 1}]}}',
     CAT, "Rotate has no parameter 'limt'."),
    (None, "missing.jpg", "The file does not exist."),
])
def test_bad_pipelines_and_images_fail_with_one_sentence(tmp_path, seed_yaml, capsys, pipeline_text, image, expected):
    path = seed_yaml
    if pipeline_text is not None:
        path = tmp_path / "bad.yaml"
        path.write_text(pipeline_text)
    assert cli.main(["augment", image, "--pipeline", str(path)]) == 1
    error = capsys.readouterr().err.strip()
    assert expected in error and len(error.splitlines()) == 1


def test_a_sample_count_out_of_range_is_a_usage_error(seed_yaml):
    with pytest.raises(SystemExit) as exited:
        cli.main(["augment", CAT, "--pipeline", seed_yaml, "-n", "0"])
    assert exited.value.code == 2


def test_bench_augment_reports_images_per_second_on_one_core():
    report = augment_benchmark(runs=1, images=512, log=lambda _: None)
    assert report["median_images_per_second"] > 0 and report["pipeline_build_ms"] > 0
    assert report["preset"] == "digits" and "Affine" in report["pipeline"]
