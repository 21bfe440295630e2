from tests.app.conftest import open_page
from webapp.architectures import ARCHITECTURE_NAMES
from webapp.network_catalog import PUBLISHED_PARAMS

PAGE = "pages/architectures.py"


def metrics(at):
    return {metric.label: metric.value for metric in at.metric}


def test_vgg16_opens_with_the_seed_notes_figures_in_the_table():
    at = open_page(PAGE)
    assert at.title[0].value == "Architectures"
    assert metrics(at)["Parameters"] == "138,357,544"
    assert any("published 138,357,544 ✓" in caption.value for caption in at.caption)
    table = at.dataframe[0].value.set_index("Layer")
    assert table.loc["block1_conv1", "Parameters"] == 1_792 and table.loc["block1_conv2", "Parameters"] == 36_928
    assert table.loc["fc1", "How they add up"] == "(25088+1)x4096" and table.loc["fc1", "Parameters"] == 102_764_544
    assert any("Dense layers hold 89% of the parameters" in text.value for text in at.markdown)


def test_inceptions_largest_layer_is_named_as_the_dense_layer_it_is():
    at = open_page(PAGE, network="inceptionv3")
    sentence = next(text.value for text in at.markdown if "Where the weights are" in text.value)
    assert "Conv2D layers hold" in sentence and "the Dense layer `predictions`" in sentence


def test_every_listed_network_matches_its_published_count():
    at = open_page(PAGE)
    for name in [name for name in ARCHITECTURE_NAMES if name not in ("vgg16", "resnet50")]:  # both opened elsewhere
        at.selectbox[0].set_value(name)
        at.run()
        assert not at.exception, at.exception
        assert metrics(at)["Parameters"] == f"{PUBLISHED_PARAMS[name]:,}", name


def test_float16_halves_the_memory_and_the_batch_scales_activations():
    at = open_page(PAGE, network="lenet")
    single = metrics(at)
    at.radio[0].set_value("float16")
    at.run()
    half = metrics(at)
    assert half["Parameters"] == single["Parameters"] == "61,706"
    memory = at.dataframe[1].value.set_index("Memory")
    assert memory.loc["= training total", "float16"].startswith(half["Training memory"] + " (")  # "MB (MiB)"
    assert half["Training memory"] != single["Training memory"]


def test_a_branching_network_explains_its_peak_and_lists_what_each_layer_reads():
    at = open_page(PAGE, network="resnet50")
    assert metrics(at)["Parameters"] == "25,636,712"
    assert "Reads" in at.dataframe[0].value.columns
    assert any("This network branches" in caption.value for caption in at.caption)


def test_the_designer_builds_the_seed_pattern_and_refuses_an_impossible_one():
    at = open_page(PAGE, network="design")
    assert any("INPUT -> [[CONV -> RELU]*2 -> POOL]*3" in code.value for code in at.code)
    assert metrics(at)["Parameters"] == "550,570"
    image_side = next(slider for slider in at.select_slider if slider.label == "Image side (pixels)")
    blocks = next(slider for slider in at.slider if slider.label == "M: blocks")
    image_side.set_value(8)
    blocks.set_value(6)
    at.run()
    assert not at.exception, at.exception
    assert any("cannot be halved" in error.value for error in at.error)
    assert "Parameters" not in metrics(at)


def test_calculators_open_on_the_seed_examples():
    at = open_page(PAGE, network="dnn")
    assert any("4.5" in warning.value and "Strides that fit: 1, 7" in warning.value for warning in at.warning)
    shown = metrics(at)
    assert shown["Dense: every neuron sees every pixel"] == "10¹²"
    assert shown["Local: each neuron sees its patch"] == "10⁸"
    assert shown["Shared: one patch of weights for all"] == "100"
    assert any("122,880 weights" in text.value and "10 biases" in text.value for text in at.markdown)
    assert any("5x5x3 + 1 = 76" in caption.value and "3x3x20 + 1 = 181" in caption.value for caption in at.caption)
    assert shown["Parameters"] == "101,770" and shown["Weights and biases"] == "15,200"
    assert shown["Multiplications per image"] == "225,000,000"
    stride = next(box for box in at.number_input if box.label == "S: stride")
    stride.set_value(1)
    at.run()
    assert any("Valid" in success.value for success in at.success)

    next(box for box in at.number_input if box.label == "W: input width").set_value(4000)
    next(box for box in at.number_input if box.label == "S: stride").set_value(2)
    at.run()
    assert any(text.value == "(4,000 - 3 + 2x0) / 2 + 1 = **1,999.5**" for text in at.markdown)
    assert any("(1,999.5 positions)" in warning.value and "ceil(W/S) = 2,000" in warning.value
               for warning in at.warning)


def test_seed_004s_network_by_its_link_shows_84107_and_its_shapes_beside_the_code():
    at = open_page(PAGE, network="lenet32")
    assert metrics(at)["Parameters"] == "84,107"
    table = at.dataframe[0].value.set_index("Layer")
    assert list(table["Output shape"]) == ["32x32x3", "30x30x6", "15x15x6", "13x13x16", "6x6x16",
                                           "576", "120", "84", "43"]
    code = next(code.value for code in at.code if "keras.Sequential" in code.value)
    assert "# 13x13x16, (3x3x6+1)x16 = 880 parameters" in code and code.endswith("# 84,107 parameters in all")


def test_each_concept_opens_by_its_link_with_its_figure():
    expected = {"vgg-stacking": "2·9·64² = **73,728** against 5·5·C² = **102,400**",
                "skip-connection": "with **71,552** parameters in all",
                "inception": "with **256,368** parameters in all",
                "flatten-input-size": "at 32x32, 576 values",
                "dense-photo": "**30,000,000 weights**"}
    for concept, figure in expected.items():
        at = open_page(PAGE, concept=concept)
        assert at.selectbox(key="concept").value == concept
        assert not at.error
        assert any(figure in text.value for text in at.markdown), concept
    at = open_page(PAGE, concept="flatten-input-size")
    growth = at.dataframe[-1].value.set_index("Input")
    assert growth.loc["64x64x3", "fc1 weights"] == "(3136+1)x120 = 376,440"


def test_the_layer_charts_are_valid_vega_lite_and_follow_the_network():
    """The page skips Altair's schema check for speed, so it is made here on what the page sends."""
    import json

    import altair as alt

    at = open_page(PAGE)
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert [spec["layer"][0]["title"] for spec in specs] == ["Parameters per layer",
                                                 "Activation memory per layer (MB, batch 32, float32)"]
    for spec in specs:
        alt.LayerChart.from_dict(spec)  # raises where the spec breaks the schema
    at.selectbox[0].set_value("lenet").run()
    titles = [json.loads(chart.proto.spec)["layer"][0]["title"] for chart in at.get("vega_lite_chart")]
    assert titles[1].startswith("Activation memory per layer (kB")
