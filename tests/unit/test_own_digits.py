import io
import threading
import zipfile

import numpy as np
import pytest

from tests.conftest import synthetic_digits
from webapp.own_digits import (DEFAULT_COLLECTION, Collection, fine_tuning_problem, held_out_split,
                               new_collection_name, personal_collection_name, sanitise_name)
from webapp.ownership import NotOwnerError, new_secret, owner_key

OWNER = owner_key(new_secret())


def drawing(size: int = 40) -> np.ndarray:
    pixels = np.zeros((size, size, 4), np.uint8)
    pixels[10:30, 18:22, 3] = 255
    return pixels


@pytest.mark.parametrize("raw, expected", [
    ("Ada's digits", "ada-s-digits"), ("../../etc/passwd", "etc-passwd"), ("", DEFAULT_COLLECTION),
    (None, DEFAULT_COLLECTION), ("---", DEFAULT_COLLECTION), ("Klasse 5b", "klasse-5b"), ("x" * 90, "x" * 40),
    ("Ärger", "ärger"), ("Über", "über"), ("a_b", "a-b"), ("..", DEFAULT_COLLECTION),
])
def test_collection_names_are_safe_folder_names(raw, expected):
    assert sanitise_name(raw) == expected


def test_a_saved_sample_keeps_the_digit_the_drawing_and_the_label(lab_home):
    collection = Collection("Class 1")
    digit = np.arange(28 * 28, dtype=np.uint32).reshape(28, 28) % 256
    sample = collection.add(digit, drawing(), label=7, owner=OWNER)
    assert sample.path.parent.parent == lab_home / "collections" / "class-1"
    assert sample.drawing_path.is_file()
    digits, labels = collection.arrays()
    assert labels.tolist() == [7] and np.array_equal(digits[0], digit.astype(np.uint8))
    assert collection.counts() == {**dict.fromkeys(range(10), 0), 7: 1}
    assert not list(collection.path.rglob(".tmp-*")), "no temporary files are left behind"


def test_bad_samples_are_refused_with_a_sentence(lab_home):
    collection = Collection("x")
    with pytest.raises(ValueError, match="28x28"):
        collection.add(np.zeros((20, 20)), drawing(), 1, OWNER)
    with pytest.raises(ValueError, match="0 to 9"):
        collection.add(np.zeros((28, 28)), drawing(), 10, OWNER)


def test_a_half_written_or_foreign_file_is_never_listed(lab_home):
    collection = Collection("x")
    collection.add(np.zeros((28, 28)), drawing(), 3, OWNER)
    (collection.path / "3" / ".tmp-abc.png").write_bytes(b"half")
    (collection.path / "3" / "notes.txt").write_text("hello")
    (collection.path / "3" / "20260101-000000-000000-abcd.png").write_bytes(b"not a png")
    assert len(collection.samples()) == 2
    assert len(collection.arrays()[1]) == 1, "an unreadable sample is skipped, not fatal"


def test_the_zip_holds_both_images_of_every_sample_and_a_label_table(lab_home):
    collection = Collection("zipped")
    for label in (1, 2, 2):
        collection.add(np.zeros((28, 28)), drawing(), label, OWNER)
    with zipfile.ZipFile(io.BytesIO(collection.zip_bytes())) as archive:
        names = archive.namelist()
        table = archive.read("zipped/labels.csv").decode().splitlines()
    assert len([name for name in names if name.endswith(".png")]) == 6
    assert table[0] == "digit_file,drawing_file,label" and len(table) == 4


def test_removing_a_sample_takes_both_files(lab_home):
    collection = Collection("x")
    sample = collection.add(np.zeros((28, 28)), drawing(), 3, OWNER)
    collection.remove(sample, OWNER)
    assert collection.samples() == [] and not sample.drawing_path.exists()


def test_a_fifth_is_held_out_and_too_few_samples_are_refused_in_a_sentence():
    digits, labels = synthetic_digits(25)
    split = held_out_split(digits, labels)
    assert (len(split.x_train), len(split.x_val)) == (20, 5)
    assert "at least 10" in fine_tuning_problem(4)
    with pytest.raises(ValueError):
        held_out_split(digits[:4], labels[:4])


def test_fine_tuning_starts_from_the_saved_run_and_reports_before_and_after(lab_home, tiny_mnist):
    from webapp.config import TrainConfig
    from webapp.store import RunStore, new_run_id
    from webapp.training import run_training

    store = RunStore()
    _, (trained,) = run_training(TrainConfig(models=("dnn",), epochs=1, batch_size=64), data=tiny_mnist,
                                 device_type="CPU")
    base = store.save(new_run_id("dnn"), trained.model, {"model": "dnn", "test_accuracy": trained.test_accuracy},
                      {"batches": [], "validations": [], "epoch_seconds": []})
    collection = Collection("mine")
    digits, labels = synthetic_digits(30, seed=5)
    for digit, label in zip(digits, labels):
        collection.add(digit, digit, int(label), OWNER)
    config = TrainConfig(models=("dnn",), epochs=2, batch_size=64, learning_rate=1e-3, base_run=base.run_id,
                         collection="mine")
    record, (tuned,) = run_training(config, threading.Event(), data=tiny_mnist, store=store, device_type="CPU")
    report = tuned.fine_tuning
    assert report["collection"] == "mine" and report["base_run"] == base.run_id and report["held_out_images"] == 6
    assert set(report["before"]) == set(report["after"]) == {"held_out_accuracy", "mnist_test_accuracy"}
    assert record.snapshot()["train_images"] == 24, "trained on the collection, not MNIST"
    assert report["after"]["mnist_test_accuracy"] == pytest.approx(tuned.test_accuracy)


def test_a_fine_tuning_config_names_both_the_model_and_the_collection():
    from webapp.config import TrainConfig

    with pytest.raises(ValueError, match="both"):
        TrainConfig(models=("dnn",), base_run="default-dnn")
    with pytest.raises(ValueError, match="exactly one"):
        TrainConfig(models=("dnn", "cnn"), base_run="default-dnn", collection="x")


def test_new_collections_get_unguessable_names_and_a_visitor_keeps_their_own():
    first, second = new_collection_name("Class 5b"), new_collection_name("Class 5b")
    assert first != second and first.startswith("class-5b-") and len(first) <= 40
    assert sanitise_name(first) == first
    secret = new_secret()
    assert personal_collection_name(secret) == personal_collection_name(secret)
    assert personal_collection_name(secret) != personal_collection_name(new_secret())


def test_only_the_owner_can_add_or_remove_samples(lab_home):
    collection = Collection(new_collection_name("mine"))
    sample = collection.add(np.zeros((28, 28)), drawing(), 3, OWNER)
    stranger = owner_key(new_secret())
    assert collection.is_owned_by(OWNER) and not collection.is_owned_by(stranger)
    with pytest.raises(NotOwnerError, match="Only the browser that started this collection"):
        collection.add(np.zeros((28, 28)), drawing(), 4, stranger)
    with pytest.raises(NotOwnerError):
        collection.remove(sample, stranger)
    assert len(collection.samples()) == 1, "a stranger's attempts change nothing"
    collection.remove(sample, OWNER)
    assert collection.samples() == []


def test_a_collection_from_before_owners_is_read_only(lab_home):
    collection = Collection("old-class")
    folder = collection.path / "3"
    folder.mkdir(parents=True)
    (folder / "20260101-000000-000000-abcd.png").write_bytes(b"")
    with pytest.raises(NotOwnerError, match="made before collections had owners"):
        collection.add(np.zeros((28, 28)), drawing(), 4, OWNER)
    assert not collection.is_owned_by(OWNER)
