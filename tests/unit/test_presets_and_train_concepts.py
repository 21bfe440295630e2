"""Settings presets (the tutorial's), the hidden-unit activation option, runs without a held-out part, Keras' epoch
log, the seed's reference marks, and the ReLU and dropout concepts: all on tiny synthetic data."""
import json

import numpy as np
import pytest

from tests.conftest import synthetic_digits
from webapp import cli
from webapp.cli.train import train_config_from
from webapp.config import TrainConfig
from webapp.presets import PRESETS, comparison_rows, matching_preset, preset_config, reference_points


# -- the presets catalog ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_config_that_matches_itself(name):
    config = preset_config(name)
    assert config.problem() is None
    assert matching_preset(config) is PRESETS[name]
    assert all(len(values) == config.epochs for values in PRESETS[name].reference_train_accuracy.values())


def test_the_tutorial_preset_is_seed_003s_settings_and_numbers():
    config = preset_config("tutorial")
    assert (config.optimizer, config.learning_rate, config.batch_size, config.epochs) == ("rmsprop", 0.001, 128, 5)
    assert (config.subset, config.validation, config.activation) == (0, False, "relu")
    assert PRESETS["tutorial"].reference_train_accuracy["dnn"][-1] == 0.9782
    assert PRESETS["tutorial"].reference_train_accuracy["cnn"][-1] == 0.9939
    assert reference_points(PRESETS["tutorial"], "dnn")[-1]["label"] == "seed 003: 0.9782"
    assert [point["label"] for point in reference_points(PRESETS["tutorial"], "cnn")][:4] == ["", "", "", ""]


def test_a_run_matches_the_preset_only_with_all_its_settings():
    assert matching_preset(TrainConfig()) is None
    assert matching_preset(preset_config("tutorial", seed=7).to_dict(), "cnn") is PRESETS["tutorial"]
    assert matching_preset(preset_config("tutorial", epochs=4)) is None
    assert matching_preset(preset_config("tutorial", validation=True)) is None


def test_an_unknown_preset_is_one_sentence():
    with pytest.raises(ValueError, match="Unknown settings preset 'fast'; choose from tutorial"):
        preset_config("fast")


def test_comparison_rows_put_the_seeds_number_beside_the_labs():
    rows = comparison_rows(PRESETS["tutorial"], {"dnn": {"epochs": [{"epoch": 1.0, "accuracy": 0.85}]}})
    first = rows[0]
    assert first == {"model": "dnn", "epoch": 1, "seed 003 (reported)": "0.8469", "the lab (measured)": "0.8500"}
    assert rows[4]["seed 003 (reported)"] == "0.9782" and rows[4]["the lab (measured)"] == "not run"
    assert len(rows) == 10


# -- TrainConfig: the new fields -----------------------------------------------------------------------------
def test_old_configs_load_with_the_new_fields_defaulted_and_unknown_keys_ignored():
    old = {key: value for key, value in TrainConfig().to_dict().items() if key not in ("activation", "validation")}
    config = TrainConfig.from_dict({**old, "schedule": "cosine", "from_the_future": 1})
    assert (config.activation, config.validation) == ("relu", True)


@pytest.mark.parametrize("settings, message", [
    ({"activation": "swish"}, "Unknown activation swish"),
    ({"models": ("lenet",), "activation": "sigmoid"}, "LeNet keeps its own tanh units"),
])
def test_impossible_activations_are_one_sentence(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


def test_without_validation_every_chosen_image_counts_toward_a_full_batch():
    assert TrainConfig(subset=256, batch_size=256, validation=False).problem() is None
    with pytest.raises(ValueError, match="too small"):
        TrainConfig(subset=256, batch_size=256)  # a twelfth held out leaves less than a batch


# -- networks with each activation ----------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_dnn_and_cnn_build_with_each_activation_and_the_same_weights(activation):
    from webapp.networks import NetworkOptions, build

    for name, params in (("dnn", 101_770), ("cnn", 225_034)):
        model = build(name, NetworkOptions(activation=activation))
        assert model.count_params() == params
        assert model.get_layer("dense_1").get_config()["activation"] == activation
    convolution = build("cnn", NetworkOptions(activation=activation)).get_layer("conv_1")
    assert convolution.get_config()["activation"] == activation


def test_an_unknown_activation_is_refused():
    from webapp.networks import NetworkOptions

    with pytest.raises(ValueError, match="Unknown activation"):
        NetworkOptions(activation="gelu")


# -- training without validation, and Keras' epoch log ---------------------------------------------------------
def test_a_run_without_validation_trains_on_every_image_and_records_keras_epoch_log(tiny_mnist):
    import keras

    from webapp.training import run_training

    logged: list[float] = []

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logged.append(float(logs["accuracy"]))

    config = TrainConfig(models=("dnn",), epochs=2, batch_size=64, validation=False, precision="float32",
                         activation="sigmoid")
    record, results = run_training(config, data=tiny_mnist, device_type="CPU",
                                   extra_callbacks=lambda name: [EpochLog()])
    snapshot = record.snapshot()
    curves = snapshot["curves"]["dnn"]
    assert snapshot["train_images"] == len(tiny_mnist.x_train) and snapshot["validation_images"] == 0
    assert curves["validations"] == []
    assert [point["epoch"] for point in curves["epochs"]] == [1.0, 2.0]
    assert [point["accuracy"] for point in curves["epochs"]] == pytest.approx(logged, abs=1e-6)
    assert results[0].model.get_layer("dense_1").get_config()["activation"] == "sigmoid"


def test_a_race_splits_epochs_into_turns_and_still_records_the_epoch_mean(tiny_mnist):
    from webapp.training import run_training

    config = TrainConfig(models=("dnn", "cnn"), epochs=1, batch_size=16, precision="float32")
    record, _ = run_training(config, data=tiny_mnist, device_type="CPU")
    for curves in record.snapshot()["curves"].values():
        batches = [point["accuracy"] for point in curves["batches"]]
        assert len(curves["epochs"]) == 1
        assert curves["epochs"][0]["accuracy"] == pytest.approx(np.mean(batches), abs=1e-5)


# -- the chart -------------------------------------------------------------------------------------------------
def synthetic_history(final_train: float, test: float) -> dict:
    batches = [{"step": s, "epoch": s / 10, "seconds": s * 0.1, "loss": 0.3, "accuracy": 0.9} for s in range(1, 51)]
    epochs = [{"step": 10 * e, "epoch": float(e), "seconds": e, "loss": 0.2, "accuracy": final_train - (5 - e) / 100}
              for e in range(1, 6)]
    return {"batches": batches, "validations": [], "epochs": epochs, "test": {"accuracy": test, "loss": 0.1}}


def test_the_race_chart_marks_the_seeds_numbers_next_to_the_labs():
    from webapp.curves import REPORTED, TEST, chart_rows
    from webapp.ui.charts import race_chart

    histories = {"DNN": synthetic_history(0.977, 0.975), "CNN": synthetic_history(0.992, 0.989)}
    references = {label: reference_points(PRESETS["tutorial"], kind)
                  for label, kind in (("DNN", "dnn"), ("CNN", "cnn"))}
    rows = chart_rows(histories, references=references)
    labels = {row["label"] for row in rows if row["split"] in (REPORTED, TEST) and row["label"]}
    assert labels == {"DNN, seed 003: 0.9782", "CNN, seed 003: 0.9939", "DNN test 0.9750", "CNN test 0.9890"}
    assert not [row for row in chart_rows(histories, x="seconds", references=references) if row["split"] == REPORTED]
    spec = race_chart(rows, kinds={"DNN": "dnn", "CNN": "cnn"}).to_dict()
    assert "DNN, seed 003: 0.9782" in json.dumps(spec)  # in the cross's tooltip
    end_labels = {row["model"]: row["label"] for row in spec["datasets"][spec["layer"][2]["data"]["name"]]}
    assert end_labels == {"DNN": "DNN\ntest 0.9750\nseed 003: 0.9782", "CNN": "CNN\ntest 0.9890\nseed 003: 0.9939"}


# -- the concepts ----------------------------------------------------------------------------------------------
def test_the_gradient_reaching_the_first_layer_is_smaller_through_sigmoid_units():
    from webapp.train_concepts import gradient_sizes

    x, y = synthetic_digits(64, seed=3)
    sizes = {size.activation: size for size in gradient_sizes(x[..., None], y, ("relu", "sigmoid"))}
    assert sizes["sigmoid"].mean_slope <= 0.25  # a sigmoid's slope never exceeds 1/4
    assert 0 <= sizes["relu"].mean_slope <= 1
    assert sizes["sigmoid"].first_layer_gradient < sizes["relu"].first_layer_gradient


def test_dropout_drops_at_training_time_scales_the_survivors_and_leaves_test_time_alone():
    from webapp.train_concepts import dropout_demo

    demo = dropout_demo(rate=0.5, neurons=10, seed=4)
    assert len(demo.outputs) == 10 and demo.scale == 2
    assert 0 < sum(demo.kept) < 10
    for value, kept, train, test in zip(demo.outputs, demo.kept, demo.training, demo.test):
        assert train == pytest.approx(value * 2 if kept else 0.0, abs=1e-3)
        assert test == value
    assert [row["training: kept?"] for row in demo.rows()] == ["kept" if kept else "dropped" for kept in demo.kept]


def test_a_gap_row_needs_both_an_epoch_log_and_a_validation():
    from webapp.train_concepts import gap_row

    history = {"epochs": [{"accuracy": 0.99}], "validations": [{"accuracy": 0.95}]}
    row = gap_row("dnn-1", "dnn", {"dropout": 0.5}, history)
    assert row["gap"] == pytest.approx(0.04) and row["dropout"] == 0.5 and row["activation"] == "relu"
    assert gap_row("dnn-2", "dnn", {}, {"epochs": [{"accuracy": 0.99}], "validations": []}) is None


# -- codegen and the CLI -----------------------------------------------------------------------------------------
def test_show_code_reproduces_the_preset_and_the_activation():
    from webapp.codegen import reproduce_script

    script = reproduce_script("dnn", preset_config("tutorial", activation="tanh").to_dict())
    assert "Dense(128, activation='tanh')" in script and "validation_data" not in script
    assert '"class_name": "rmsprop"' in script and "batch_size=128, epochs=5)" in script
    compile(script, "reproduce.py", "exec")
    assert "validation_data=(x_val, y_val)" in reproduce_script("cnn", TrainConfig().to_dict())


def parsed_train_config(*args):
    return train_config_from(cli.build_parser().parse_args(["train", *args]))


def test_train_preset_tutorial_gives_the_tutorials_settings_and_flags_override_it():
    assert parsed_train_config("--preset", "tutorial") == preset_config("tutorial")
    assert parsed_train_config("--preset", "tutorial", "--epochs", "1", "--subset", "1000").epochs == 1
    assert parsed_train_config("--activation", "sigmoid").activation == "sigmoid"
    assert parsed_train_config("--no-validation").validation is False
    assert parsed_train_config() == TrainConfig()


@pytest.mark.parametrize("args", [["train", "--preset", "fastest"], ["train", "--activation", "swish"],
                                  ["train", "--model", "lenet", "--activation", "sigmoid"]])
def test_bad_preset_and_activation_values_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_intro_says_why_a_run_without_a_held_out_part_has_no_validation_curve():
    from webapp.expectations import race_expectation

    assert "no validation curve" in race_expectation(preset_config("tutorial"))
    assert "no validation curve" not in race_expectation(TrainConfig())
