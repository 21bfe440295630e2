"""Transfer learning: the recipes' networks (what each keeps, freezes, cuts and adds), the slower rate for
pretrained layers, stratified small targets, the seed's grid, and a transfer job end to end on tiny data."""
from dataclasses import replace

import numpy as np
import pytest

from webapp import datasets, transfer
from webapp.config import TrainConfig
from webapp.data import stratified_order


def test_every_recipe_and_target_is_described_and_every_cell_recommends_known_recipes():
    for name, recipe in transfer.RECIPES.items():
        assert recipe.name == name and recipe.label and recipe.what.endswith(".") and recipe.seed_case
    for target in transfer.TARGETS.values():
        assert target.dataset in datasets.CATALOG or target.dataset == "fashion"
    assert {(cell.large, cell.similar) for cell in transfer.CELLS} == {(a, b) for a in (0, 1) for b in (0, 1)}
    assert all(set(cell.recommended) <= set(transfer.RECIPES) for cell in transfer.CELLS)


def test_the_verdict_reports_what_was_measured_even_against_the_seed():
    small_similar = transfer.cell_for("digits5-9", large=False)
    assert small_similar.recommended == ("head",)
    assert transfer.verdict(small_similar, {"head": 0.95, "scratch": 0.90}).startswith("Agrees with the seed")
    disagrees = transfer.verdict(small_similar, {"head": 0.90, "finetune": 0.97})
    assert disagrees.startswith("Disagrees with the seed: Fine-tune everything won (97.0%), 7.0% above")
    assert transfer.verdict(small_similar, {}) == ""


def test_recipes_are_checked_in_the_config():
    with pytest.raises(ValueError, match="Unknown recipe warp; choose from head, early, finetune, scratch"):
        TrainConfig(models=("cnn3",), recipes=("warp",), source_run="x")
    with pytest.raises(ValueError, match="needs both recipes and a saved CNN"):
        TrainConfig(models=("cnn3",), recipes=("head",))
    config = TrainConfig(models=("cnn3",), recipes=("head", "scratch"), source_run="x", dataset="mnist-5-9")
    assert config.race_entries == ("head", "scratch") and config.is_race and config.is_transfer


def test_a_stratified_subset_keeps_every_class_in_proportion():
    labels = np.repeat(np.arange(5), [300, 100, 100, 50, 450])
    picked = stratified_order(labels, 100, seed=3)
    assert len(set(picked)) == 100
    assert np.bincount(labels[picked], minlength=5).tolist() == [30, 10, 10, 5, 45]
    assert not np.array_equal(picked, stratified_order(labels, 100, seed=4))


@pytest.fixture(scope="module")
def source_cnn():
    from webapp.networks import build, options_for

    return build("cnn3", options_for("cnn3", num_classes=5))


@pytest.mark.parametrize("recipe, kept, trainable_kept", [
    ("head", ["scale_to_unit", "conv_1", "pool_1", "conv_2", "pool_2", "conv_3", "flatten", "dense_1", "dense_2"],
     False),
    ("early", ["scale_to_unit", "conv_1", "pool_1"], False),
    ("finetune", ["scale_to_unit", "conv_1", "pool_1", "conv_2", "pool_2", "conv_3", "flatten", "dense_1",
                  "dense_2"], True),
    ("scratch", ["scale_to_unit", "conv_1", "pool_1", "conv_2", "pool_2", "conv_3", "flatten", "dense_1",
                 "dense_2"], True),
])
def test_each_recipe_keeps_freezes_and_replaces_what_the_seed_says(source_cnn, recipe, kept, trainable_kept):
    model, roles = transfer.build_recipe(recipe, source_cnn, num_classes=5)
    names = [layer.name for layer in model.layers]
    assert names[:len(kept)] == kept and names[-1] == "new_probabilities" and model.output_shape == (None, 5)
    assert all(model.get_layer(name).trainable == trainable_kept for name in kept)
    by_name = {role.name: role.role for role in roles}
    assert by_name["new_probabilities"] == "new" and by_name["probabilities"] == "cut"
    assert (by_name.get("conv_2") == "cut") == (recipe == "early")
    trainable, frozen = transfer.parameter_split(model)
    assert trainable + frozen == model.count_params()
    if not trainable_kept:
        assert trainable == sum(layer.count_params() for layer in model.layers if layer.name.startswith("new_"))
    source_kernel = source_cnn.get_layer("conv_1").get_weights()[0]
    copied = np.array_equal(model.get_layer("conv_1").get_weights()[0], source_kernel)
    assert copied == (recipe != "scratch"), "pretrained weights copied, scratch starts afresh"
    assert model.get_layer("conv_1") is not source_cnn.get_layer("conv_1"), "the source is never trained"
    assert bool(transfer.pretrained_paths(recipe, model)) == (recipe == "finetune")


def test_the_pretrained_part_learns_at_a_tenth_of_the_rate():
    import keras

    from webapp.training import make_optimizer

    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(1, use_bias=False, name="old", kernel_initializer="zeros"),
                              keras.layers.Dense(1, use_bias=False, name="new_head", kernel_initializer="ones")])
    slow = frozenset(weight.path for weight in model.get_layer("old").weights)
    model.compile(optimizer=make_optimizer("sgd", 0.1, slow_paths=slow, slow_factor=0.1), loss="mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    # d(mse)/d(old) = 2 * (0 - 1) * 1 = -2 per weight: plain SGD at 0.1 would step 0.2; the slow rate steps 0.02
    assert np.allclose(model.get_layer("old").get_weights()[0], 0.02)


@pytest.mark.slow
def test_a_transfer_job_races_the_recipes_and_saves_a_run_per_recipe(monkeypatch, tiny_mnist_file, lab_home):
    from webapp.job import Job, execute
    from webapp.store import RunStore

    monkeypatch.setitem(datasets.CATALOG, "mnist", replace(datasets.MNIST, file="x.npz",
                                                           fallback_paths=(tiny_mnist_file,)))
    for name in ("mnist-0-4", "mnist-5-9"):  # sizes as the tiny file has them
        view = datasets.CATALOG[name]
        loaded = datasets.load(name)
        monkeypatch.setitem(datasets.CATALOG, name, replace(view, train_size=len(loaded.y_train),
                                                            test_size=len(loaded.y_test)))
    store = RunStore()
    (source,) = execute(Job(TrainConfig(models=("cnn3",), dataset="mnist-0-4", epochs=1, batch_size=32),
                            owner="a" * 64), store, device_type="CPU")
    job = Job(TrainConfig(models=("cnn3",), dataset="mnist-5-9", recipes=tuple(transfer.RECIPES),
                          source_run=source.run_id, subset=200, epochs=1, batch_size=16), owner="a" * 64)
    runs = execute(job, store, device_type="CPU")
    assert job.error is None, job.error
    assert [run.record.recipe for run in runs] == list(transfer.RECIPES)
    assert all(run.record.model == "cnn3" and run.record.source_run == source.run_id for run in runs)
    assert all(run.record.dataset == "mnist-5-9" and run.record.train_images == 183 for run in runs)
    finetuned = store.load_model(runs[2].run_id)
    assert type(finetuned.optimizer).__name__ == "TwoRateAdam" and finetuned.output_shape == (None, 5)
    with pytest.raises(Exception, match="transfer starts from a CNN"):
        (dense,) = execute(Job(TrainConfig(models=("dnn",), dataset="mnist-0-4", epochs=1, batch_size=32),
                               owner="a" * 64), store, device_type="CPU")
        from webapp.training import compile_recipes

        compile_recipes(replace(job.config, source_run=dense.run_id), store)


def test_a_disagreement_comes_with_a_likely_reason_and_an_agreement_without_one():
    small_similar = transfer.cell_for("digits5-9", large=False)
    assert transfer.why_it_may_differ(small_similar, "head") == ""
    assert "frozen layers were trained only to tell the source's classes apart" in transfer.why_it_may_differ(
        small_similar, "scratch")
    large_similar = transfer.cell_for("digits5-9", large=True)
    assert "too few steps or began to overfit" in transfer.why_it_may_differ(large_similar, "early")


def test_a_race_chart_names_recipes_by_short_names_that_fit_a_legend_entry():
    """The labels ("First conv block only, frozen") were cut off in the legend and the end labels at 1400 px."""
    from webapp.ui.training_panels import series_name

    shorts = [series_name(recipe.label, name) for name, recipe in transfer.RECIPES.items()]
    assert shorts == [recipe.short for recipe in transfer.RECIPES.values()]
    assert len(set(shorts)) == len(shorts) and max(len(short) for short in shorts) <= 16
    assert series_name("DNN", "dnn") == "DNN", "networks keep their names"


def test_the_recipe_diagram_gives_each_recipe_a_column_and_each_layer_a_row():
    """A row of a dozen boxes per recipe left each box a few pixels on a phone, its words on top of each other:
    one column per recipe (its short name on top) keeps a box a quarter of the width, however many layers."""
    from webapp.ui.transfer_panels import BOX_HEIGHT, recipe_chart

    def box(recipe, layer, role):
        return {"recipe": transfer.RECIPES[recipe].label, "short": transfer.RECIPES[recipe].short, "layer": layer,
                "kind": "Dense", "role": role, "weights": 10, "text": f"{role}\n10"}

    boxes = [box("head", "conv 1", "frozen"), box("head", "dense 1", "frozen"), box("head", "new output", "new"),
             box("early", "conv 1", "frozen"), box("early", "dense 1", "cut"), box("early", "new flatten", "new"),
             box("early", "new output", "new")]
    spec = recipe_chart(boxes).to_dict()
    x, y = spec["layer"][0]["encoding"]["x"], spec["layer"][0]["encoding"]["y"]
    assert x["field"] == "short" and x["sort"] == ["New head only", "First block only"]
    assert y["field"] == "layer" and y["sort"] == ["conv 1", "dense 1", "new flatten", "new output"]
    assert spec["height"] >= BOX_HEIGHT * 4
    legend = spec["layer"][0]["encoding"]["color"]["legend"]  # the key's squares show their colour, not an outline
    assert legend["symbolOpacity"] > spec["layer"][0]["mark"]["opacity"] and legend["symbolStrokeWidth"] == 0
