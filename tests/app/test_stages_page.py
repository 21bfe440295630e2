import io

import numpy as np
from PIL import Image

from tests.app.conftest import open_page
from webapp.stages import LAYER_PRESETS

STAGES = "pages/stages.py"


def subheaders(at) -> list[str]:
    return [header.value for header in at.subheader]


def test_the_default_sample_photo_shows_every_stage_and_stride_two_explains_the_rounding():
    at = open_page(STAGES)
    assert at.title[0].value == "CNN Stages"
    assert not at.error
    assert {"1 · Input: 300x451x3", "2 · Convolution: 300x451x4", "3 · ReLU: 300x451x4",
            "4 · Pooling: 150x225x4"} <= set(subheaders(at))
    assert any("225.5" in info.value and "rounds down" in info.value for info in at.info)
    assert any("matches the computed result" in text.value for text in at.markdown)
    metrics = {metric.label: metric.value for metric in reversed(at.metric)}  # the photo's layer comes first
    assert metrics["Parameters"] == "112" and metrics["Conv output per image"] == "2.16 MB"

    at.slider(key="stages_stride").set_value(2)
    at.radio(key="stages_padding").set_value("valid").run()
    assert not at.exception and not at.error
    assert "2 · Convolution: 149x225x4" in subheaders(at)
    assert any("149.5" in info.value and "Row 299" in info.value for info in at.info)


def test_average_pooling_has_its_own_caption():
    at = open_page(STAGES)
    assert any("strongest responses survive" in caption.value for caption in at.caption)
    next(radio for radio in at.radio if radio.label == "Pooling").set_value("avg").run()
    assert not at.exception and not at.error
    captions = [caption.value for caption in at.caption]
    assert "The mean of each 2x2 window, stepping 2: the map shrinks and every value counts, so a strong response " \
           "next to weak ones is diluted and edges come out softer." in captions
    assert not any("strongest responses survive" in caption for caption in captions)


def test_an_upload_replaces_the_sample_and_bad_input_gets_one_sentence():
    at = open_page(STAGES)
    encoded = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50), dtype=np.uint8)).save(encoded, "PNG")
    at.file_uploader[0].set_value(("mine.png", encoded.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert {"1 · Input: 40x50x1", "4 · Pooling: 20x25x4"} <= set(subheaders(at))

    at.file_uploader[0].set_value(("broken.png", b"not an image", "image/png")).run()
    assert [error.value for error in at.error] == [
        "This file is not an image that can be read; use PNG, JPEG, WebP, BMP or GIF."]
    at.multiselect(key="stages_kernels").set_value([]).run()
    assert not at.exception
    assert [error.value for error in at.error] == ["Choose at least one kernel."]


def test_the_trained_cnns_filters_can_be_used():
    at = open_page(STAGES)
    at.radio(key="stages_source").set_value("model").run()
    assert not at.exception and not at.error
    assert "2 · Convolution: 300x451x8" in subheaders(at)


def test_the_worked_examples_step_and_the_calculator_reproduces_the_seeds_numbers():
    at = open_page(STAGES)
    assert any("= **20**" in text.value for text in at.markdown)
    assert any("X_col is **363 x 3025**" in text.value and "**55x55x96**" in text.value for text in at.markdown)
    metrics = {metric.label: metric.value for metric in at.metric}  # the calculator's come last
    assert metrics["Output shape"] == "150 x 100 x 200" and metrics["Parameters"] == "15,200"
    assert metrics["Memory per image"] == "12.0 MB" and metrics["Memory for a batch of 100"] == "1.20 GB"
    assert "= 11.4 MiB" in [caption.value for caption in at.caption]

    at.slider(key="inner_step").set_value(2)
    at.slider(key="padded_step").set_value(18)
    at.selectbox(key="calc_preset").set_value(LAYER_PRESETS[1]).run()
    assert not at.exception
    assert any(text.value.startswith("Step 2:")
               and text.value.endswith("= **3**, written at row 0, column 1 of the 3x3 result ((5 − 3)/1 + 1 = 3).")
               for text in at.markdown)
    assert any("Filter W1 at output row 2, column 2" in text.value for text in at.markdown)
    assert any("4.5" in info.value and "Row 9" in info.value for info in at.info)


def test_seed_000s_rgba_icon_by_its_link_gives_3x3x4x4_filters_and_46x74x4():
    at = open_page(STAGES, preset="seed000-rgba")
    assert not at.error
    assert at.selectbox(key="seed_figure").value == "seed000-rgba"
    assert {"1 · Input: 698x1113x4", "2 · Convolution: 140x223x4", "4 · Pooling: 46x74x4"} <= set(subheaders(at))
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Filter bank (F x F x C x K)"] == "3x3x4x4"
    assert metrics["Weights (tf.nn.conv2d, no bias)"] == "144"
    assert metrics["With a bias per filter (Keras Conv2D)"] == "148"
    assert any("74.33…" in info.value for info in at.info)  # 223 / 3: the last partial window dropped
    assert [success.value for success in at.success] == ["Convolution 140x223x4, pooled to 46x74x4: the seed's shapes."]


def test_seed_004s_padded_pooling_shows_75x75_with_same_and_74x74_with_valid():
    at = open_page(STAGES, preset="seed004-pool-same")
    assert not at.error
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["SAME output"] == "75 x 75 x 16" and metrics["VALID output"] == "74 x 74 x 16"
    assert any("ceil(224 / 3) = 75, with 0 + 1 zeros" in text.value for text in at.markdown)
    assert any("SAME gives **75x75x16**, VALID **74x74x16**" in text.value for text in at.markdown)
    next(box for box in at.number_input if box.key == "pool_pad_w").set_value(225).run()
    assert any("= 3 zero column(s)" in text.value for text in at.markdown)


def test_the_cifar_walkthrough_and_same_size_padding_by_their_links():
    at = open_page(STAGES, preset="cifar-walkthrough")
    table = next(frame.value for frame in at.dataframe if "Layer" in frame.value.columns).set_index("Layer")
    assert table.loc["POOL", "Output"] == "16x16x12" and table.loc["FC", "Output"] == "1x1x10"
    assert any("16x16x3" in info.value and "**16x16x12**" in info.value for info in at.info)

    at = open_page(STAGES, preset="same-size-padding")
    assert any("P = (5 − 1)/2 = **2**" in text.value and "= **32**" in text.value for text in at.markdown)
    at.selectbox(key="same_size_f").set_value(4).run()
    assert any("1.5" in warning.value for warning in at.warning)


def test_the_pool_worked_by_hand_steps_through_max_average_and_sum():
    at = open_page(STAGES, preset="pool-by-hand")
    assert any(text.value.startswith("Step 1: max(3, 1, 2, 8) = **8**") for text in at.markdown)
    assert any("max pooling: rows [8, 6] and [5, 9]." in caption.value for caption in at.caption)
    at.slider(key="pool_hand_step").set_value(4).run()
    assert any(text.value.startswith("Step 4: max(7, 2, 3, 9) = **9**, written at row 1, column 1")
               for text in at.markdown)
    at.radio(key="pool_hand_kind").set_value("avg").run()
    assert any(text.value.startswith("Step 4: (7 + 2 + 3 + 9) / 4 = **5.25**") for text in at.markdown)
    at.radio(key="pool_hand_kind").set_value("sum").run()
    assert any(text.value.startswith("Step 4: 7 + 2 + 3 + 9 = **21**") for text in at.markdown)


def test_pool_padding_and_keep_alpha_on_the_photo_tab():
    at = open_page(STAGES)
    at.radio(key="stages_pool_padding").set_value("same").run()
    assert not at.exception and not at.error
    assert "4 · Pooling: 150x226x4" in subheaders(at)  # ceil(451 / 2) = 226
    encoded = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 128, 255, 0)).save(encoded, "PNG")
    at.file_uploader[0].set_value(("icon.png", encoded.getvalue(), "image/png")).run()
    assert "1 · Input: 40x50x3" in subheaders(at)
    at.toggle(key="stages_keep_alpha").set_value(True).run()
    assert not at.exception and not at.error
    assert "1 · Input: 40x50x4" in subheaders(at)


def test_a_photo_over_the_memory_budget_is_processed_smaller_and_the_page_says_so(monkeypatch):
    from webapp import stages

    monkeypatch.setattr(stages, "PAGE_MEMORY_BUDGET", 1_000_000)  # a 1 MB budget: a 300x200 photo needs more
    encoded = io.BytesIO()
    Image.fromarray(np.random.default_rng(7).integers(0, 255, (200, 300), dtype=np.uint8)).save(encoded, "PNG")
    at = open_page(STAGES)
    at.file_uploader[0].set_value(("big.png", encoded.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    (note,) = [info.value for info in at.info if "memory budget" in info.value]
    assert note.startswith("This photo is 300x200 pixels; this page worked on a ")
    assert "memory budget of 1.00 MB (977 KiB) per photo." in note and "full resolution" in note
    input_header = next(header for header in subheaders(at) if header.startswith("1 · Input: "))
    height, width, _ = map(int, input_header.removeprefix("1 · Input: ").split("x"))
    assert height < 200 and width < 300 and abs(width / height - 1.5) < 0.05
