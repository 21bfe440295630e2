"""`python -m webapp transfer` and `bench transfer`: one JSON line per recipe with its parameter split, every bad
input a one-line usage error (exit 2), and the benchmark's report per cell of seed 004's grid."""
import json

import pytest

from tests.unit.test_cli import run_cli
from webapp import cli, transfer

RECIPE_KEYS = {"recipe", "target", "images", "test_accuracy", "test_loss", "trainable_params", "frozen_params",
               "epoch_seconds", "run_id", "dataset", "source", "compute_seconds"}


@pytest.mark.parametrize("args, sentence", [
    (["--target", "digits5-9", "--images", "200", "--recipes", "head,warp"], "Unknown recipe warp"),
    (["--target", "digits5-9", "--images", "200", "--recipes", "head,head"], "only once"),
    (["--target", "cifar", "--images", "200"], "invalid choice: 'cifar'"),
    (["--target", "fashion", "--images", "20"], "A training set of 20 images is too small for batches of 32"),
    (["--target", "fashion", "--images", "none"], "neither a number of images nor all"),
    (["--target", "fashion", "--images", "200", "--source", "default-dnn"], "has no convolutions"),
    (["--target", "fashion", "--images", "200", "--source", "no-such-run"], "No saved run is called 'no-such-run'"),
    (["--images", "200"], "the following arguments are required: --target"),
])
def test_bad_input_is_one_usage_line_exit_2(args, sentence, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["transfer", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m webapp transfer: error:") and sentence in last


@pytest.mark.slow
def test_transfer_prints_one_json_line_per_recipe_with_its_parameter_split(lab_home):
    result = run_cli("transfer", "--target", "digits5-9", "--images", "200", "--recipes", "head,finetune",
                     "--epochs", "1", "--json", env_home=lab_home)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["recipe"] for line in lines] == ["head", "finetune"]
    for line in lines:
        assert set(line) == RECIPE_KEYS
        assert line["target"] == "digits5-9" and line["dataset"] == "mnist-5-9"
        assert line["source"] == transfer.SOURCE_DEFAULT
        assert line["images"] == 183, "200 images less the validation twelfth"
        assert 0 <= line["test_accuracy"] <= 1 and len(line["epoch_seconds"]) == 1
    head, finetune = lines
    assert head["trainable_params"] == 64 * 5 + 5, "only the new 5-class layer on cnn3's 64 units trains"
    assert finetune["frozen_params"] == 0 and head["frozen_params"] == finetune["trainable_params"] - 325
    assert "100%" in result.stderr and "Traceback" not in result.stderr
    listed = run_cli("runs", "--json", env_home=lab_home)
    assert {line["run_id"] for line in lines} <= {json.loads(line)["run_id"] for line in listed.stdout.splitlines()}


def fake_race(store, target, images, seed, epochs):
    """A stand-in for training: finetune wins the similar target, early the different one, at any size."""
    best = "finetune" if transfer.TARGETS[target].similar else "early"
    return {name: {"test_accuracy": 0.9 + 0.01 * seed + (0.05 if name == best else 0.0),
                   "compute_seconds": 1.0 + seed, "images": images or 55_000} for name in transfer.RECIPES}


def test_bench_transfer_reports_medians_winner_and_the_seeds_advice_per_cell(monkeypatch, capsys):
    from webapp.bench import transfer as bench_transfer

    monkeypatch.setattr(bench_transfer, "run_cell", fake_race)
    assert cli.main(["bench", "transfer", "--seeds", "3", "--small", "500", "--epochs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["seeds"], report["epochs"], report["small_images"]) == (3, 1, 500)
    cells = {(cell["target"], cell["large"]): cell for cell in report["cells"]}
    assert set(cells) == {(target, large) for target in transfer.TARGETS for large in (False, True)}
    for (target, large), cell in cells.items():
        assert set(cell["recipes"]) == set(transfer.RECIPES)
        head = cell["recipes"]["head"]
        assert head["accuracies"] == pytest.approx([0.90, 0.91, 0.92]) and head["test_accuracy"] == pytest.approx(0.91)
        assert head["compute_seconds"] == 2.0, "the median of 1, 2 and 3 seconds"
        assert cell["images"] == (55_000 if large else 500)
        assert cell["recommended"] == list(transfer.cell_for(target, large).recommended)
        assert cell["agrees"] == (cell["winner"] in cell["recommended"])
    assert cells[("digits5-9", True)]["agrees"] and cells[("fashion", False)]["agrees"]
    small_similar = cells[("digits5-9", False)]
    assert small_similar["winner"] == "finetune" and not small_similar["agrees"]
    assert small_similar["verdict"].startswith("Disagrees with the seed: Fine-tune everything won")
    assert not cells[("fashion", True)]["agrees"], "early is neither scratch nor finetune"


def test_bench_transfer_prints_a_readable_table_without_json(monkeypatch, capsys):
    from webapp.bench import transfer as bench_transfer

    monkeypatch.setattr(bench_transfer, "run_cell", fake_race)
    assert cli.main(["bench", "transfer", "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "Small target, similar data" in out and "<- winner" in out and "Agrees with the seed" in out
