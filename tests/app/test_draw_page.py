import io
import zipfile

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page
from webapp.data import load_mnist
from webapp.ui.identity import SESSION_KEY

DRAW = "pages/draw.py"


def png_of_test_digit(index: int) -> tuple[bytes, int]:
    mnist = load_mnist()
    out = io.BytesIO()
    Image.fromarray(255 - mnist.x_test[index]).resize((280, 280)).save(out, "PNG")
    return out.getvalue(), int(mnist.y_test[index])


def page_with_uploaded_digit(index: int = 0):
    """The Draw page with MNIST test digit `index` uploaded as a photo; returns (page, its label)."""
    at = open_page(DRAW)
    data, label = png_of_test_digit(index)
    at.file_uploader[0].set_value(("seven.png", data, "image/png"))
    at.run()
    assert not at.exception, at.exception
    return at, label


def test_an_empty_page_prompts_and_never_predicts():
    at = open_page(DRAW)
    assert at.title[0].value == "Draw & Predict"
    prompt = next(info.value for info in at.info if "Draw a digit on the canvas" in info.value)
    assert "pen or finger" in prompt and "mouse" not in prompt, "worded for touch screens too"
    assert not at.metric


def test_an_uploaded_photo_is_read_by_both_models():
    at, label = page_with_uploaded_digit()
    readings = {metric.label: metric.value for metric in at.metric}
    assert readings["DNN reads"] == readings["CNN reads"] == str(label)
    at.toggle(key="photo_robust").set_value(True).run()
    readings = {metric.label: metric.value for metric in at.metric}
    assert readings["DNN now reads"] == readings["CNN now reads"] == str(label)  # unshifted in the explorer


def test_the_robustness_explorer_shows_how_a_big_shift_changes_the_answers():
    at, _ = page_with_uploaded_digit()
    at.toggle(key="photo_robust").set_value(True).run()
    at.slider(key="photo_dx").set_value(8).run()
    assert not at.exception, at.exception
    assert {"DNN now reads", "CNN now reads"} <= {metric.label for metric in at.metric}


def test_a_broken_upload_gets_one_sentence():
    at = open_page(DRAW)
    at.file_uploader[0].set_value(("broken.png", b"not an image", "image/png"))
    at.run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        "This file is not an image that can be read; use PNG, JPEG, WebP, BMP or GIF."]
    assert not any("Upload a photo" in info.value for info in at.info), "the sentence is not followed by the prompt"


def fill_collection(name: str, count: int, owner: AppTest | None = None) -> None:
    """`count` MNIST test digits saved in `name`, owned by the browser of `owner` (else by nobody we know)."""
    from webapp.own_digits import Collection
    from webapp.ownership import new_secret, owner_key

    mnist = load_mnist()
    collection = Collection(name)
    key = owner_key(owner.session_state[SESSION_KEY] if owner is not None else new_secret())
    for index in range(count):
        collection.add(mnist.x_test[index], 255 - mnist.x_test[index], int(mnist.y_test[index]), key)


def test_a_new_visitor_gets_a_collection_of_their_own_in_the_link():
    first, second = open_page(DRAW), open_page(DRAW)
    mine = first.query_params["collection"]
    assert mine.startswith("my-digits-") and mine != second.query_params["collection"], "no shared default"
    again = open_page(DRAW, browser_of=first)
    assert again.query_params["collection"] == mine, "the same browser finds its collection again"
    assert any("yours" in caption.value for caption in first.caption)


def test_a_collection_opened_by_its_link_shows_counts_but_cannot_be_changed():
    fill_collection("class-5b-0123456789ab", 3)
    at = open_page(DRAW, collection="Class 5B! 0123456789ab")
    assert at.query_params["collection"] == "class-5b-0123456789ab"
    assert any("3 samples" in caption.value for caption in at.caption)
    assert any("belongs to another browser" in caption.value for caption in at.caption)
    assert at.pills(key="save_digit").disabled
    assert not any(button.label == "Remove the latest" for button in at.button), "a stranger cannot delete"
    assert any("at least 10" in caption.value for caption in at.caption), "too few samples to fine-tune, said why"


def test_starting_a_new_collection():
    at = open_page(DRAW)
    at.text_input(key="new_collection_title").set_value("Shapes test")
    next(button for button in at.button if button.label == "Create").click().run()
    assert not at.exception, at.exception
    assert at.query_params["collection"].startswith("shapes-test-")


def test_the_owner_removes_the_latest_sample():
    at = open_page(DRAW)
    fill_collection(at.query_params["collection"], 2, owner=at)
    at.run()
    next(button for button in at.button if button.label == "Remove the latest").click().run()
    assert any("1 sample;" in caption.value for caption in at.caption)


@pytest.mark.slow
def test_fine_tuning_on_a_collection_reports_accuracy_before_and_after():
    import time

    fill_collection("tune-me", 12)
    at = open_page(DRAW, collection="tune-me")  # fine-tuning reads a collection: its link is enough
    epochs = next(slider for slider in at.slider if slider.label == "Epochs")
    epochs.set_value(1)
    next(button for button in at.button if button.label == "Fine-tune").click().run()
    assert not at.exception, at.exception
    assert at.query_params.get("tune")
    deadline = time.time() + 120
    while not at.table and time.time() < deadline:
        time.sleep(1)
        at.run()
    assert not at.exception, at.exception
    table = at.table[0].value
    assert list(table.index) == ["your held-out digits (2)", "MNIST test set (10,000)"]
    assert 90 < float(table["before"].iloc[1].rstrip("%")) <= 100
    assert any("tuned on tune-me" in option for option in at.selectbox(key="pick_dnn").options)


def test_see_inside_shows_occlusion_maps_feature_maps_and_weights():
    at, _ = page_with_uploaded_digit()
    at.toggle(key="photo_inside").set_value(True).run()
    assert not at.exception, at.exception
    text = " ".join(block.value for block in at.markdown)
    assert "What each model looks at" in text and "Convnet feature maps" in text and "Dense net, first layer" in text
    assert any(caption.value.startswith("conv_1: 26x26, 32 maps") for caption in at.caption)


def test_a_damaged_saved_model_gets_one_sentence(lab_home):
    from webapp.networks import build
    from webapp.store import RunStore

    info = RunStore().save("20260101-000000-dnn-dead", build("dnn"), {"model": "dnn"},
                           {"batches": [], "validations": [], "epoch_seconds": []})
    with zipfile.ZipFile(info.path / "model.keras") as archive:
        architecture = archive.read("config.json")
    with zipfile.ZipFile(info.path / "model.keras", "w") as archive:  # listed (a sound architecture), unreadable
        archive.writestr("config.json", architecture)
        archive.writestr("model.weights.h5", b"garbage")
    at = open_page(DRAW)
    at.selectbox(key="pick_dnn").select(next(option for option in at.selectbox(key="pick_dnn").options
                                             if "dead" in option)).run()
    assert not at.exception, at.exception
    assert any("cannot be read" in error.value for error in at.error)


def test_removing_a_sample_on_a_read_only_disk_is_one_sentence(monkeypatch):
    import errno

    from webapp.own_digits import Collection

    at = open_page(DRAW)
    fill_collection(at.query_params["collection"], 2, owner=at)

    def read_only(self, sample, owner):
        raise OSError(errno.EROFS, "Read-only file system", str(sample.path))

    monkeypatch.setattr(Collection, "remove", read_only)
    at.run()
    next(button for button in at.button if button.label == "Remove the latest").click().run()
    assert not at.exception, at.exception
    assert [error.value for error in at.error] == ["The lab could not save: its disk is read-only."]
    assert any("2 samples;" in caption.value for caption in at.caption)
def test_a_photo_of_two_digits_is_read_with_a_sentence_saying_it_may_not_be_one_digit():
    mnist = load_mnist()
    pair = Image.new("L", (560, 280), 255)
    for place, index in enumerate((0, 1)):
        pair.paste(Image.fromarray(255 - mnist.x_test[index]).resize((240, 240)), (20 + place * 300, 20))
    out = io.BytesIO()
    pair.save(out, "PNG")
    at = open_page(DRAW)
    at.file_uploader[0].set_value(("pair.png", out.getvalue(), "image/png"))
    at.run()
    assert not at.exception, at.exception
    assert at.metric, "the models still answer"
    notes = [warning.value for warning in at.warning if "may not be one digit" in warning.value]
    assert len(notes) == 1 and "2 separate shapes" in notes[0] and "ten classes" in notes[0]
    clean, _ = page_with_uploaded_digit()
    assert not [warning for warning in clean.warning if "may not be one digit" in warning.value]


# -- MNIST test images, opened by index ---------------------------------------------------------------------
def readings_of(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def click(at: AppTest, label: str) -> None:
    at.button[[button.label for button in at.button].index(label)].click().run()
    assert not at.exception, at.exception


def test_a_link_opens_test_image_0_with_both_readings_and_seed_003s_figure():
    at = open_page(DRAW, test_image="0")
    readings = readings_of(at)
    assert readings["True label"] == "7" and readings["CNN reads"] == "7"
    assert "DNN reads" in readings
    assert any(caption.value.endswith("% sure") for caption in at.caption), "each reading with its probability"
    seed = [info.value for info in at.info if "Seed 003" in info.value]
    assert seed and "test image 0 predicted as 7" in seed[0]
    assert at.number_input(key="test_image").value == 0


def test_next_misread_one_opens_an_image_a_chosen_model_reads_wrongly():
    from webapp.predict import classify
    from webapp.ui import cached

    at = open_page(DRAW, test_image="0")
    click(at, "Next misread one")
    index = at.number_input(key="test_image").value
    assert index > 0 and at.query_params["test_image"] == str(index)
    mnist = load_mnist()
    models = {kind: cached.model_of(info) for kind, info in
              ((kind, at.selectbox(key=f"pick_{kind}").value) for kind in ("dnn", "cnn"))}
    truth = int(mnist.y_test[index])
    answers = {kind: p.label for kind, p in classify(models, mnist.x_test[index]).items()}
    assert any(label != truth for label in answers.values()), "the model itself misreads it"
    assert all(p.label == mnist.y_test[i]
               for i in range(1, index) for p in classify(models, mnist.x_test[i]).values()), "no misread image skipped"
    assert readings_of(at)["True label"] == str(truth)
    assert any(text.value.startswith("Misread: ") for text in at.markdown)
    assert not any("Seed 003" in info.value for info in at.info), "the seed's figure is about image 0 only"
    click(at, "Previous misread one")
    assert at.number_input(key="test_image").value == index, "it was the first misread one"
    assert f"No test image before {index} is misread by the chosen models." in [info.value for info in at.info]
    at.number_input(key="test_image").set_value(9999).run()
    click(at, "Next misread one")
    assert at.number_input(key="test_image").value == 9999
    assert "No test image after 9999 is misread by the chosen models." in [info.value for info in at.info]


def test_a_bad_test_image_link_gets_one_sentence_and_shows_image_0():
    for bad in ("abc", "10000"):
        at = open_page(DRAW, test_image=bad)
        assert not at.exception, at.exception
        [sentence] = [warning.value for warning in at.warning]
        assert bad in sentence and sentence.endswith("showing test image 0."), sentence
        assert readings_of(at)["True label"] == "7"
