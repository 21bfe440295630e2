"""Your classes, through AppTest: start a collection, name classes, add samples from the canvas, uploads and the
camera, every bad input as one sentence, a stranger's view by the link, the zip round trip, and (slow) a tiny
training job tried live and kept."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page
from tests.unit.class_pictures import photo, png_bytes, sketch
from webapp.classes import ClassCollection
from webapp.ownership import owner_key
from webapp.ui.identity import SESSION_KEY

PAGE = "pages/classes.py"


def click(at: AppTest, label: str) -> AppTest:
    next(button for button in at.button if button.label == label).click().run()
    assert not at.exception, at.exception
    return at


def start(kind: str = "sketch", title: str = "Shapes") -> AppTest:
    at = open_page(PAGE)
    at.text_input(key="classes_new_title").set_value(title)
    at.radio(key="classes_new_kind").set_value(kind)
    return click(at, "Create")


def add_class(at: AppTest, name: str) -> AppTest:
    at.text_input(key="classes_new_class").set_value(name)
    return click(at, "Add class")


def collection_of(at: AppTest) -> ClassCollection:
    return ClassCollection(at.query_params["classes"])


def owner_of(at: AppTest) -> str:
    return owner_key(at.session_state[SESSION_KEY])


def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def jpeg(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def filled(kind: str, per_class: int, names: tuple[str, str]) -> AppTest:
    """A page on a new collection of `kind` whose two classes already hold `per_class` samples each."""
    at = start(kind)
    collection = collection_of(at)
    make = sketch if kind == "sketch" else photo
    for index, name in enumerate(names):
        collection.add_class(name, owner_of(at))
        for number in range(per_class):
            shape = ("circle", "cross")[index] if kind == "sketch" else ("disc", "square")[index]
            collection.add_sample(name, make(shape, 100 * index + number), owner_of(at))
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_opens_with_what_to_try_and_a_form_to_start_a_collection():
    at = open_page(PAGE)
    assert at.title[0].value == "Your classes"
    assert "Teachable Machine" in at.markdown[0].value and "Notice" in at.markdown[0].value
    assert any(button.label == "Create" for button in at.button)
    assert "classes" not in at.query_params


def test_what_to_try_first_fits_the_collection_open():
    assert "then try photos" in open_page(PAGE).markdown[0].value, "none open yet: sketches first, then photos"
    sketches = start("sketch")
    assert "a dozen drawings each" in sketches.markdown[0].value and "photos of" not in sketches.markdown[0].value
    assert sketches.text_input(key="classes_new_class").placeholder == "e.g. circle"
    photos = start("photo")
    intro = photos.markdown[0].value
    assert "a few dozen photos of each" in intro and "drawings" not in intro and "digits" not in intro
    assert photos.text_input(key="classes_new_class").placeholder == "e.g. mug"


def test_a_link_to_a_collection_that_is_not_there_is_one_sentence():
    at = open_page(PAGE, classes="nothing-0123456789ab")
    assert texts(at, "error") == ["There is no collection 'nothing-0123456789ab' here: the link may be cut short, "
                                  "or its collection was removed."]
    assert any(button.label == "Create" for button in at.button), "the visitor can start one instead"


def test_starting_a_collection_and_naming_classes_with_a_sentence_for_each_bad_name():
    at = start("sketch", "My shapes")
    assert at.query_params["classes"].startswith("my-shapes-")
    assert collection_of(at).input_kind == "sketch"
    assert any("yours" in caption for caption in texts(at, "caption"))
    assert "A model needs at least 2 classes to tell apart; this collection has 0." in texts(at, "info")
    add_class(at, "circle")
    assert "A model needs at least 2 classes to tell apart; this collection has 1." in texts(at, "info")
    for bad, sentence in (("  ", "A class needs a name."),
                          ("a/b", "A class name cannot contain / or \\: 'a/b' reads as a path."),
                          ("..", "A class name cannot be only dots."),
                          ("Circle", "There is already a class called 'circle' (names ignore upper and lower case).")):
        add_class(at, bad)
        assert texts(at, "error") == [sentence], bad
    add_class(at, "cross")
    assert collection_of(at).class_names() == ["circle", "cross"]
    assert "The class 'circle' has no samples yet; it needs at least 2: one to train on and one to test." in \
        texts(at, "info")
    assert at.button(key="classes_train").disabled


def test_renaming_and_removing_a_class():
    at = filled("sketch", 2, ("circle", "cross"))
    at.selectbox(key="classes_edit_class").set_value("cross")
    at.text_input(key="classes_rename_to").set_value("plus")
    click(at, "Rename")
    assert collection_of(at).class_names() == ["circle", "plus"]
    assert "Renamed 'cross' to 'plus'." in texts(at, "success")
    at.selectbox(key="classes_edit_class").set_value("plus")
    remove = next(button for button in at.button if button.label == "Remove class")
    assert remove.disabled, "a class with samples is removed only once the learner ticks that its samples go too"
    at.checkbox(key="classes_edit_class_sure").check().run()
    click(at, "Remove class")
    assert collection_of(at).class_names() == ["circle"]


def test_a_drawing_is_added_to_the_class_tapped_and_the_canvas_forgets_it(monkeypatch):
    """The canvas itself is replaced by a fake that returns a drawing, as the component would."""
    at = start("sketch")
    add_class(at, "circle")
    add_class(at, "cross")
    strokes = {"objects": [{"path": "one circle"}]}
    fake = SimpleNamespace(image_data=sketch("circle", 1), json_data=strokes)
    monkeypatch.setattr("webapp.ui.canvas.st_canvas", lambda **_: fake)
    at.run()
    assert any("what the model sees (28x28)" in image.captions for image in at.image)
    pills = at.pills(key="classes_add")
    assert not pills.disabled and pills.options == ["Add to circle", "Add to cross"]
    pills.set_value("circle").run()
    assert not at.exception, at.exception
    assert "Added a drawing to 'circle'." in texts(at, "success")
    assert collection_of(at).counts() == {"circle": 1, "cross": 0}
    assert any(markdown == "**circle** · 1 sample" for markdown in texts(at, "markdown"))
    assert at.pills(key="classes_add").disabled, "the saved drawing is not offered again"
    at.run()
    assert collection_of(at).counts()["circle"] == 1, "a rerun saves nothing twice"


def test_uploads_add_many_pictures_at_once_and_a_bad_file_gets_its_own_sentence():
    at = start("photo", "Discs")
    add_class(at, "disc")
    add_class(at, "square")
    at.selectbox(key="classes_upload_class").set_value("square")
    at.run()
    waiting = at.button(key="classes_add_uploads")
    assert waiting.disabled and waiting.label == "Add pictures to 'square'", "no 'Add 0 pictures' before a choice"
    uploads = [(f"square-{number}.png", png_bytes(photo("square", number)), "image/png") for number in range(3)]
    at.file_uploader(key="classes_uploads_0").set_value([*uploads, ("notes.png", b"not an image", "image/png")])
    at.run()
    click(at, "Add 4 pictures to 'square'")
    assert texts(at, "error") == ["notes.png: This file is not an image that can be read; use PNG, JPEG, WebP, BMP "
                                  "or GIF. The other 3 pictures were added."]
    assert collection_of(at).counts() == {"disc": 0, "square": 3}
    assert at.file_uploader(key="classes_uploads_1") is not None, "a fresh, empty uploader for the next ones"


def test_a_camera_frame_is_a_sample_and_an_empty_frame_is_one_sentence():
    at = start("photo", "Camera")
    add_class(at, "disc")
    add_class(at, "square")
    at.segmented_control(key="classes_source").set_value("camera").run()
    at.camera_input(key="classes_camera").set_value(("frame.jpg", jpeg(photo("disc", 1)), "image/jpeg")).run()
    click(at, "Add this picture to 'disc'")
    assert "Added 1 picture to 'disc'." in texts(at, "success")
    assert collection_of(at).counts()["disc"] == 1
    at.camera_input(key="classes_camera").set_value(("frame.jpg", b"", "image/jpeg")).run()
    click(at, "Add this picture to 'disc'")
    assert texts(at, "error") == ["The camera's picture: The camera gave no picture: take the picture again."]
    assert collection_of(at).counts()["disc"] == 1


def test_a_class_with_one_sample_cannot_train_and_says_why():
    at = filled("photo", 2, ("disc", "square"))
    collection = collection_of(at)
    for sample in collection.samples("square")[1:]:
        collection.remove_sample(sample, owner_of(at))
    at.run()
    assert "The class 'square' has 1 sample; it needs at least 2: one to train on and one to test." in \
        texts(at, "info")
    assert at.button(key="classes_train").disabled
    assert any("lab ships no network pretrained on colour photos" in info for info in texts(at, "info"))


def test_a_stranger_with_the_link_sees_the_collection_but_may_not_change_or_train_on_it():
    owner = filled("sketch", 3, ("circle", "cross"))
    assert not owner.button(key="classes_train").disabled, "its owner may train"
    stranger = open_page(PAGE, classes=owner.query_params["classes"])
    assert any("belongs to another browser" in caption for caption in texts(stranger, "caption"))
    assert "Classes: circle, cross." in texts(stranger, "caption")
    labels = [button.label for button in stranger.button]
    assert "Add class" not in labels and "" not in labels, "no adding classes, no removing samples"
    assert not any(button.key == "classes_train" for button in stranger.button), "no training either"
    assert any(info.startswith("Only the browser that made this collection can train on it: download it (.zip)")
               for info in texts(stranger, "info"))
    assert any(markdown == "**cross** · 3 samples" for markdown in texts(stranger, "markdown"))
    assert "Download (.zip)" in [button.proto.label for button in stranger.get("download_button")], \
        "the way to a copy of their own"


def test_a_returning_browser_finds_its_collections_without_the_link():
    first = start("sketch", "Mine")
    name = first.query_params["classes"]
    again = open_page(PAGE, browser_of=first)
    assert again.selectbox(key="classes_reopen").options == [name]
    click(again, "Open")
    assert again.query_params["classes"] == name
    assert not open_page(PAGE).get("selectbox"), "another browser is offered none"


def test_a_downloaded_zip_opens_as_a_new_collection_and_a_bad_zip_is_one_sentence():
    owner = filled("photo", 2, ("disc", "square"))
    data = collection_of(owner).zip_bytes()
    at = open_page(PAGE)
    at.file_uploader(key="classes_zip").set_value(("broken.zip", b"not a zip", "application/zip")).run()
    click(at, "Open as a new collection")
    assert texts(at, "error") == ["This file is not a zip archive that can be read."]
    at.file_uploader(key="classes_zip").set_value(("discs.zip", data, "application/zip")).run()
    click(at, "Open as a new collection")
    assert any(success.startswith("Opened '") and "4 samples in 2 classes" in success for success in
               texts(at, "success"))
    copy = collection_of(at)
    assert copy.name.startswith("discs-") and copy.is_owned_by(owner_of(at)), "named after the zip, and yours"
    assert copy.counts() == {"disc": 2, "square": 2}


def wait_for(at: AppTest, done, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while not done() and time.time() < deadline:
        time.sleep(1)
        at.run()
        assert not at.exception, at.exception
    assert done(), "the training job did not finish in time"


@pytest.mark.slow
def test_a_tiny_photo_job_trains_then_reads_a_new_photo_and_its_snippet_classifies_a_file(tmp_path):
    at = filled("photo", 5, ("disc", "square"))
    at.slider(key="classes_epochs").set_value(3)
    at.selectbox(key="classes_augment").set_value("none")
    at.run()
    click(at, "Train")
    assert at.query_params.get("job")
    wait_for(at, lambda: "Held-out accuracy" in texts(at, "subheader"))
    assert any("2 held-out samples" in caption for caption in texts(at, "caption"))
    changed = "The collection changed since this run trained"
    assert not any(changed in info for info in texts(at, "info")), "its mistakes are shown"
    true_picker = next(box for box in at.selectbox if box.label == "True class")
    assert true_picker.options == ["all (no filter)", "disc", "square"], "the first choice says it is the way back"
    shown = [caption for caption in texts(at, "caption") if "misclassified test sample" in caption]
    true_picker.set_value(1).run()
    next(box for box in at.selectbox if box.label == "True class").set_value(None).run()
    assert [caption for caption in texts(at, "caption") if "misclassified test sample" in caption] == shown
    run = at.selectbox(key="classes_model").value
    assert "Upload or take a picture: every class's probability appears here." in texts(at, "info"), "no drawing"
    at.file_uploader(key="classes_try_upload").set_value(("new.png", png_bytes(photo("disc", 999)), "image/png"))
    at.run()
    assert not at.exception, at.exception
    reading = next(metric for metric in at.metric if metric.label == "The model reads")
    assert reading.value in ("disc", "square")
    code = next(block.value for block in at.code if "keras.saving.load_model" in block.value)
    assert "prepare_photo" in code
    assert any(button.key == f"classes_delete_{run}" for button in at.button), "its owner may delete the run"
    stranger = open_page(PAGE, classes=at.query_params["classes"])
    assert stranger.selectbox(key="classes_model").value == run, "a visitor with the link may try the model ..."
    assert not any(button.key == f"classes_delete_{run}" for button in stranger.button), "... not delete it"
    assert "Only the browser that made this collection can delete its models." in texts(stranger, "caption")

    # the snippet, run as a learner would: the model and labels.json next to it, an image file as its argument
    from webapp.store import RunStore

    (tmp_path / f"{run}.keras").write_bytes(RunStore().model_bytes(run))
    labels = {"class_names": ["disc", "square"], "input": "photo", "image_shape": [32, 32, 3], "run_id": run}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    (tmp_path / "snippet.py").write_text(code)
    (tmp_path / "square.png").write_bytes(png_bytes(photo("square", 998)))
    from tests.conftest import PROJECT_ROOT

    result = subprocess.run([sys.executable, "snippet.py", "square.png"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                                         "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and {line.split(":")[0] for line in lines} == {"disc", "square"}, result.stdout

    collection_of(at).add_sample("disc", photo("disc", 997), owner_of(at))  # the held-out samples change
    at.run()
    assert any(changed in info for info in texts(at, "info")), "old predictions are not shown against new samples"

