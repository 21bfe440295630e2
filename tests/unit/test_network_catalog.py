"""The network catalog: every entry builds, with the shape, parameter count and convolutions the table claims."""
import subprocess
import sys

import pytest

from webapp.network_catalog import (ALL_NAMES, ARCHITECTURE_LABELS, CATALOG, HIDDEN_ACTIVATIONS, NETWORKS,
                                    TRAINABLE_NAMES, has_convolutions, load_builder, network, short_name,
                                    takes_activation_choice)

IMAGENET = {"alexnet", "vgg16", "resnet50", "inceptionv3", "mobilenetv2"}


def entries(names):
    """Each entry as a test case; the ImageNet-sized ones are marked slow."""
    return [pytest.param(CATALOG[name], id=name, marks=[pytest.mark.slow] if name in IMAGENET else [])
            for name in names]


@pytest.mark.parametrize("entry", entries(ALL_NAMES))
def test_every_entry_builds_its_shape_parameters_and_convolutions(entry):
    from webapp.summary import network_table  # counts every layer without filling the weights

    table = network_table(entry.name)
    assert table.total_params == entry.published_params
    assert table.rows[0].kind == "InputLayer" and tuple(table.rows[0].output_shape) == entry.input_shape
    assert any("Conv" in row.kind for row in table.rows) == entry.convolutional == has_convolutions(entry.name)


@pytest.mark.parametrize("entry", entries(TRAINABLE_NAMES))
def test_every_trainable_entry_builds_in_the_lab_with_its_published_count(entry):
    from webapp.networks import build

    model = build(entry.name)  # weights really allocated
    assert model.count_params() == entry.published_params
    assert tuple(model.inputs[0].shape[1:]) == entry.input_shape
    assert model.name == entry.name  # run folders and saved models name the network


@pytest.mark.parametrize("entry", NETWORKS, ids=lambda entry: entry.name)
def test_every_entry_is_named_and_points_at_a_builder(entry):
    assert entry.label and entry.short_name and entry.architecture_label
    assert ARCHITECTURE_LABELS[entry.name] == entry.architecture_label and short_name(entry.name) == entry.short_name
    assert entry.fixed_activation is None or entry.trainable, "only a trainable network has an activation choice"
    assert entry.fixed_activation in (None, *HIDDEN_ACTIVATIONS)
    assert callable(load_builder(entry.name))


def test_the_lab_trains_the_mnist_networks_and_only_shows_the_others():
    assert TRAINABLE_NAMES[:3] == ("dnn", "cnn", "lenet") and ALL_NAMES[:3] == TRAINABLE_NAMES[:3]
    assert IMAGENET <= set(ALL_NAMES) - set(TRAINABLE_NAMES)
    assert "lenet32" in TRAINABLE_NAMES, "seed 004's network trains on photos of the learner's own classes"
    assert (has_convolutions("dnn"), has_convolutions("cnn"), has_convolutions("lenet")) == (False, True, True)
    assert (takes_activation_choice("dnn"), takes_activation_choice("cnn"), takes_activation_choice("lenet")) == \
        (True, True, False)
    assert not has_convolutions("unknown")
    with pytest.raises(ValueError, match="Unknown network 'resnet'; choose from dnn, cnn, lenet, "):
        network("resnet")


def test_names_and_choices_load_without_keras():
    code = ("import sys; import webapp.network_catalog, webapp.networks_info, webapp.config, webapp.architectures; "
            "print(sorted(name for name in ('keras', 'tensorflow') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.strip() == "[]"
