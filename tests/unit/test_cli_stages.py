"""`python -m webapp stages` and `bench stages`: the CLI contract on the stages command."""
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PROJECT_ROOT
from webapp import cli
from webapp.bench.stages import stages_benchmark

CAT = str(PROJECT_ROOT / "data" / "samples" / "chelsea.jpg")


def test_json_prints_each_stage_shape_the_parameters_and_the_memory(capsys):
    assert cli.main(["stages", CAT, "--stride", "2", "--padding", "valid", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    shapes = {stage["stage"]: stage["shape"] for stage in summary["stages"]}
    assert shapes == {"input": [300, 451, 3], "conv": [149, 225, 4], "relu": [149, 225, 4], "pool": [74, 112, 4]}
    assert all(stage["shape"] == stage["formula_shape"] for stage in summary["stages"])
    assert summary["params"] == 112 and summary["memory_bytes"] == 149 * 225 * 4 * 4
    assert summary["memory"] == "536 kB (524 KiB)"
    assert any("149.5" in note for note in summary["notes"])


def test_save_npz_writes_the_four_float32_stages(tmp_path, capsys):
    out, picture = tmp_path / "stages.npz", tmp_path / "stages.png"
    assert cli.main(["stages", CAT, "--kernels", "random", "--filters", "3", "--kernel-size", "5", "--grayscale",
                     "--pool", "avg", "--save-npz", str(out), "--save-png", str(picture)]) == 0
    assert "pool" in capsys.readouterr().out
    with np.load(out) as arrays:
        assert sorted(arrays.files) == ["conv", "input", "pool", "relu"]
        assert all(arrays[name].dtype == np.float32 for name in arrays.files)
        assert arrays["input"].shape == (300, 451, 1) and 0 <= arrays["input"].min() and arrays["input"].max() <= 1
        assert arrays["conv"].shape == (300, 451, 3) and arrays["pool"].shape == (150, 225, 3)
        assert arrays["conv"].min() < 0 and arrays["relu"].min() == 0
    assert Image.open(picture).format == "PNG"


def test_kernels_from_a_file_and_from_the_default_cnn(tmp_path, capsys):
    kernels = tmp_path / "kernels.npy"
    np.save(kernels, np.ones((5, 5, 3, 2), np.float32))
    assert cli.main(["stages", CAT, "--kernels", str(kernels), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kernel_shape"] == [5, 5, 3, 2]
    assert cli.main(["stages", CAT, "--kernels", "model:cnn", "--filters", "6", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kernel_shape"] == [3, 3, 3, 6] and summary["params"] == (3 * 3 * 3 + 1) * 6


@pytest.mark.parametrize("image,message", [
    ("missing.png", "The file does not exist."),
    (str(PROJECT_ROOT / "README.md"), "This file is not an image that can be read"),
])
def test_a_bad_image_exits_1_with_one_sentence(image, message, capsys):
    assert cli.main(["stages", image, "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and captured.err.startswith(message)


def test_a_kernel_larger_than_the_photo_exits_1_with_one_sentence(tmp_path, capsys):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (4, 4)).save(tiny)
    assert cli.main(["stages", str(tiny), "--kernels", "vertical-line", "--padding", "valid"]) == 1
    assert capsys.readouterr().err.strip() == ("A 7x7 kernel does not fit the 4x4 (padded) input; choose SAME padding, "
                                              "more padding or a smaller kernel.")


def test_pool_padding_same_pools_ceil_w_over_s_windows(capsys):
    assert cli.main(["stages", CAT, "--pool-padding", "same", "--pool-size", "3", "--pool-stride", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    pool = next(stage for stage in summary["stages"] if stage["stage"] == "pool")
    assert summary["pool_padding"] == "same" and pool["shape"] == pool["formula_shape"] == [100, 151, 4]
    # (151 − 1)·3 + 3 − 451 = 2
    assert pool["formula"]["columns"] == "ceil(W / S) = ceil(451 / 3) = 151, with 1 + 1 zeros"


def test_keep_alpha_gives_four_channel_filters_as_in_seed_000(tmp_path, capsys):
    icon = tmp_path / "icon.png"
    Image.new("RGBA", (1113, 698), (200, 100, 50, 128)).save(icon)
    flags = ["--kernels", "random", "--filters", "4", "--kernel-size", "3", "--stride", "5", "--padding", "valid",
             "--pool-size", "3", "--pool-stride", "3", "--json"]
    assert cli.main(["stages", str(icon), *flags, "--keep-alpha"]) == 0
    summary = json.loads(capsys.readouterr().out)
    shapes = {stage["stage"]: stage["shape"] for stage in summary["stages"]}
    assert summary["kernel_shape"] == [3, 3, 4, 4] and summary["params"] == (3 * 3 * 4 + 1) * 4
    assert shapes["input"] == [698, 1113, 4] and shapes["conv"] == [140, 223, 4] and shapes["pool"] == [46, 74, 4]
    assert cli.main(["stages", str(icon), *flags]) == 0
    assert json.loads(capsys.readouterr().out)["kernel_shape"] == [3, 3, 3, 4]  # alpha laid over white


@pytest.mark.parametrize("flags", [["--padding", "wide"], ["--kernels", "blur"], ["--filters", "3"],
                                   ["--stride", "0"], ["--pool", "sum"], ["--pool-size", "x"],
                                   ["--pool-padding", "full"],
                                   ["--kernels", "model:nobody"], ["--kernels", "sobel-x", "--kernel-size", "2"]])
def test_bad_flags_exit_2(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["stages", CAT, *flags])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("python -m webapp stages: error:")


def test_the_stages_benchmark_times_decoding_and_the_stages_apart():
    report = stages_benchmark(runs=3, width=400, height=300, log=lambda _: None)
    assert report["megapixels"] == pytest.approx(0.12)
    assert report["decode_median_seconds"] > 0 and report["stages_median_seconds"] > 0
    assert len(report["stages_seconds"]) == 3 and report["goal_seconds"] == 1.0
