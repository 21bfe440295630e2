"""Collections of the learner's own classes (webapp.classes): names, pictures, ownership, atomic writes, the
held-out split, zips in and out, the catalog's "classes:<name>" datasets and training them through the job queue."""
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.unit.class_pictures import photo, png_bytes, sketch
from webapp import classes, datasets
from webapp.classes import ClassCollection, check_class_name, held_out_indices, import_zip, read_picture
from webapp.ownership import NotOwnerError, new_secret, owner_key

OWNER = owner_key(new_secret())
STRANGER = owner_key(new_secret())


def shapes_collection(kind: str = "sketch", per_class: int = 3, name: str = "shapes") -> ClassCollection:
    collection = ClassCollection(name).create(kind, OWNER)
    first, second = ("circle", "cross") if kind == "sketch" else ("disc", "square")
    make = sketch if kind == "sketch" else photo
    for index, shape in enumerate((first, second)):
        collection.add_class(shape, OWNER)
        for number in range(per_class):
            collection.add_sample(shape, make(shape, 100 * index + number), OWNER)
    return collection


# -- names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, sentence", [
    ("", "A class needs a name."), ("   ", "A class needs a name."), (None, "A class needs a name."),
    ("x" * 31, "at most 30 characters"), ("..", "cannot be only dots"), ("../etc", "cannot contain / or \\\\"),
    ("a/b", "reads as a path"), ("C:\\temp", "reads as a path"), ("line\nbreak", "control characters"),
    ("CIRCLE", "There is already a class called 'circle'"),
])
def test_bad_class_names_get_one_sentence(name, sentence):
    with pytest.raises(ValueError, match=sentence if "\\" in sentence else sentence.replace(".", r"\.")) as error:
        check_class_name(name, existing=["circle"])
    assert str(error.value).count(". ") == 0, "one sentence"


def test_good_class_names_are_trimmed_and_may_use_any_script():
    assert check_class_name("  cat ") == "cat"
    assert check_class_name("Ärger", existing=["Über"]) == "Ärger"
    assert check_class_name("x" * 30) == "x" * 30
    assert check_class_name("A.B") == "A.B"
    assert check_class_name("cafe\u0301") == "caf\u00e9", "accents composed, as a Mac's zip may not have them"
    with pytest.raises(ValueError, match="There is already a class called"):
        check_class_name("CAF\u00c9", existing=["cafe\u0301"])


def test_classes_are_added_renamed_and_removed_by_name_keeping_their_samples(lab_home):
    collection = shapes_collection()
    assert collection.path.parent == lab_home / "classes"
    assert collection.class_names() == ["circle", "cross"] and collection.input_kind == "sketch"
    assert collection.rename_class("circle", " ring ", OWNER) == "ring"
    assert collection.counts() == {"ring": 3, "cross": 3}
    with pytest.raises(ValueError, match="There is already a class called 'cross'"):
        collection.rename_class("ring", "Cross", OWNER)
    collection.remove_class("ring", OWNER)
    assert collection.counts() == {"cross": 3}
    x, y, names = collection.arrays()
    assert x.shape == (3, 28, 28, 1) and y.tolist() == [0, 0, 0] and names == ["cross"]
    with pytest.raises(ValueError, match="There is no class called 'ring'"):
        collection.add_sample("ring", sketch("circle", 1), OWNER)


# -- pictures ------------------------------------------------------------------------------------------------
def test_a_sketch_is_prepared_like_a_digit_and_a_photo_is_cropped_to_its_centre():
    prepared = classes.prepare_sketch(sketch("circle", 0))
    assert prepared.shape == (28, 28) and prepared.dtype == np.uint8
    rows, cols = np.nonzero(prepared > 50)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 <= 21, "fits MNIST's 20x20 box"
    wide = np.zeros((40, 120, 3), np.uint8)
    wide[:, 40:80] = (255, 0, 0)  # the centre square is all red, the sides black
    assert np.all(classes.prepare_photo(wide)[2:-2, 2:-2] == (255, 0, 0))
    grey = classes.prepare_photo(np.full((50, 50), 128, np.uint8))
    assert grey.shape == (32, 32, 3) and np.all(grey == 128)
    with pytest.raises(ValueError, match="No drawing found"):
        classes.prepare_sketch(np.zeros((200, 200, 4), np.uint8))


def test_a_camera_frame_goes_through_the_upload_path_and_an_empty_one_gets_a_sentence(lab_home):
    collection = shapes_collection("photo", per_class=1)
    frame = png_bytes(photo("disc", 7))
    sample = collection.add_sample("disc", read_picture(frame, source="camera"), OWNER)
    assert Image.open(sample.path).size == (32, 32) and sample.original_path.is_file()
    for empty in (b"", None):
        with pytest.raises(ValueError, match="^The camera gave no picture: take the picture again.$"):
            read_picture(empty, source="camera")
    with pytest.raises(ValueError, match="^The file is empty.$"):
        read_picture(b"")
    with pytest.raises(ValueError, match="The picture is empty"):
        collection.add_sample("disc", np.zeros((0, 0, 3), np.uint8), OWNER)


@pytest.mark.parametrize("data, sentence", [
    (b"hello, not a picture", "not an image that can be read"),
    (png_bytes(photo("disc", 1))[:200], "truncated or damaged"),
])
def test_an_upload_that_is_no_image_or_truncated_gets_one_sentence(data, sentence):
    with pytest.raises(ValueError, match=sentence):
        read_picture(data)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels in about 100 KB
    with pytest.raises(ValueError, match="megapixels"):
        read_picture(out.getvalue())


def test_a_large_original_is_kept_at_most_512_pixels_a_side(lab_home):
    collection = shapes_collection("photo", per_class=1)
    big = np.asarray(Image.fromarray(photo("square", 3)).resize((1600, 1200)))
    sample = collection.add_sample("square", big, OWNER)
    assert Image.open(sample.original_path).size == (512, 384)


# -- ownership and atomic writes ------------------------------------------------------------------------------
def test_only_the_owner_changes_a_collection_and_a_stranger_with_the_link_reads_it(lab_home):
    collection = shapes_collection()
    sample = collection.samples("circle")[0]
    changes = [lambda: collection.add_class("star", STRANGER), lambda: collection.rename_class("circle", "o", STRANGER),
               lambda: collection.remove_class("circle", STRANGER),
               lambda: collection.add_sample("circle", sketch("circle", 9), STRANGER),
               lambda: collection.remove_sample(sample, STRANGER)]
    for change in changes:
        with pytest.raises(NotOwnerError, match="^Only the browser that made this collection can change it"):
            change()
    assert collection.counts() == {"circle": 3, "cross": 3} and sample.path.is_file()
    visitor = ClassCollection(collection.name)  # what anyone holding the link opens
    assert not visitor.is_owned_by(STRANGER) and visitor.is_owned_by(OWNER)
    assert len(visitor.samples()) == 6 and visitor.arrays()[0].shape == (6, 28, 28, 1)
    assert zipfile.ZipFile(io.BytesIO(visitor.zip_bytes())).testzip() is None
    with pytest.raises(ValueError, match="already exists"):
        ClassCollection(collection.name).create("photo", STRANGER)
    assert ClassCollection(collection.name).owner_key() == OWNER, "a second create never takes it over"


def test_a_browser_finds_the_collections_it_made_and_no_others(lab_home):
    assert classes.owned_collections(OWNER) == []
    mine = shapes_collection(per_class=1)
    ClassCollection("theirs").create("photo", STRANGER)
    (lab_home / "classes" / ".tmp-import-x").mkdir()
    assert [collection.name for collection in classes.owned_collections(OWNER)] == [mine.name]


def test_names_are_unguessable_links_and_safe_folders(lab_home):
    first, second = classes.new_collection_name("My shapes!"), classes.new_collection_name("My shapes!")
    assert first != second and first.startswith("my-shapes-")
    assert ClassCollection("../../etc").path.parent == lab_home / "classes"
    assert classes.collection_for("classes:../../etc") is None


def test_writes_are_atomic_and_a_failed_write_leaves_nothing_half_done(lab_home, monkeypatch):
    collection = shapes_collection(per_class=1)
    assert not list(collection.path.rglob(".tmp-*")), "no temporary files are left behind"
    real_save = Image.Image.save

    def fail_on_the_prepared_image(self, file, *args, **kwargs):
        if self.mode == "L":  # the 28x28 sketch, written after the RGBA drawing
            raise OSError(28, "No space left on device")
        return real_save(self, file, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", fail_on_the_prepared_image)
    with pytest.raises(OSError):
        collection.add_sample("circle", sketch("circle", 5), OWNER)
    assert collection.counts() == {"circle": 1, "cross": 1}
    assert len(list(collection.path.rglob("*.png"))) == 4 and not list(collection.path.rglob(".tmp-*"))

    def no_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(classes.os, "replace", no_replace)
    with pytest.raises(OSError):
        collection.rename_class("circle", "ring", OWNER)
    assert collection.class_names() == ["circle", "cross"], "the old file stays whole"
    assert not list(collection.path.rglob(".tmp-*"))


# -- the held-out share ---------------------------------------------------------------------------------------
def test_the_held_out_share_is_stratified_with_at_least_one_per_class_each_side():
    y = np.array([0] * 10 + [1] * 5 + [2] * 2)
    held = held_out_indices(y, seed=3)
    assert [int((y[held] == label).sum()) for label in range(3)] == [2, 1, 1]
    assert np.array_equal(held, held_out_indices(y, seed=3)) and not np.array_equal(held, held_out_indices(y, seed=4))
    assert [int((np.delete(y, held) == label).sum()) for label in range(3)] == [8, 4, 1]


@pytest.mark.parametrize("y, names, sentence", [
    ([0, 0, 1], ["circle", "cross"], "The class 'cross' has 1 sample; it needs at least 2: one to train on and one "
                                     "to test."),
    ([0, 0, 1, 1], ["circle", "cross", "star"], "The class 'star' has no samples yet"),
])
def test_a_class_too_small_to_hold_out_gets_one_sentence(y, names, sentence):
    with pytest.raises(ValueError, match=sentence.replace(".", r"\.")):
        held_out_indices(np.array(y), class_names=names)


def test_a_collection_says_why_it_cannot_train_yet(lab_home):
    collection = ClassCollection("few").create("sketch", OWNER)
    assert collection.training_problem() == "A model needs at least 2 classes to tell apart; this collection has 0."
    collection.add_class("circle", OWNER)
    assert "this collection has 1" in collection.training_problem()
    collection.add_class("cross", OWNER)
    assert collection.training_problem().startswith("The class 'circle' has no samples yet")
    with pytest.raises(ValueError, match="The class 'circle' has no samples yet"):
        datasets.load(collection.dataset_id)


# -- zips ----------------------------------------------------------------------------------------------------
def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_downloaded_zip_comes_back_as_a_new_collection_of_the_importer(lab_home):
    original = shapes_collection("photo", per_class=2)
    original.rename_class("square", "Blue square", OWNER)
    copy = import_zip(original.zip_bytes(), STRANGER, title="copy")
    assert copy.name != original.name and copy.name.startswith("copy-") and copy.is_owned_by(STRANGER)
    assert copy.input_kind == "photo" and copy.counts() == {"disc": 2, "Blue square": 2}
    assert np.array_equal(copy.arrays()[1], original.arrays()[1])
    assert not [path for path in (lab_home / "classes").iterdir() if path.name.startswith(".tmp")]


def test_a_copy_named_after_a_collection_drops_the_old_token_for_its_own(lab_home, tmp_path):
    data = shapes_collection("photo", per_class=2).zip_bytes()
    old_name = classes.new_collection_name("my shapes")  # 'my-shapes-<12 hex digits>', as a download is named
    copy = import_zip(data, STRANGER, title=old_name)
    assert copy.name.startswith("my-shapes-") and copy.name != old_name and len(copy.name) == len(old_name)
    folder = tmp_path / old_name  # the zip unpacked to a folder of that name, for the CLI
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    again = classes.import_folder(folder, STRANGER, "photo")
    assert again.name.startswith("my-shapes-") and len(again.name) == len(old_name), again.name


def test_a_zip_of_plain_class_folders_needs_the_input_kind():
    files = {f"{shape}/{number}.png": png_bytes(photo(shape, number)) for shape in ("disc", "square")
             for number in range(2)}
    with pytest.raises(ValueError, match="Say whether these are sketches or photos"):
        import_zip(zip_of(files), OWNER)
    assert import_zip(zip_of(files), OWNER, input_kind="photo").counts() == {"disc": 2, "square": 2}


@pytest.mark.parametrize("files, sentence", [
    ({"../evil/a.png": b"x", "b/a.png": b"x"}, "outside its folder"),
    ({"/etc/a.png": b"x", "b/a.png": b"x"}, "outside its folder"),
    ({"shapes\\..\\a.png": b"x", "b/a.png": b"x"}, "outside its folder"),
    ({"loose.png": png_bytes(photo("disc", 1)), "disc/a.png": png_bytes(photo("disc", 1))}, "one folder per class"),
    ({"disc/deeper/a.png": b"x", "square/a.png": b"x"}, "one folder per class"),
    ({"disc/a.png": png_bytes(photo("disc", 1))}, "needs at least 2 classes, one folder each; this one has 1"),
    ({"disc/a.png": png_bytes(photo("disc", 1)), "square/notes.txt": b"hello"},
     "'square/notes.txt' cannot be used: this file is not an image"),
    ({"disc/a.png": png_bytes(photo("disc", 1)), f"{'x' * 31}/a.png": png_bytes(photo("disc", 1))}, "at most 30"),
])
def test_a_bad_zip_is_refused_with_one_sentence_and_nothing_kept(files, sentence, lab_home):
    with pytest.raises(ValueError, match=sentence):
        import_zip(zip_of(files), OWNER, input_kind="photo")
    assert not list((lab_home / "classes").glob("*")) if (lab_home / "classes").exists() else True


def test_a_zip_with_too_many_files_or_bytes_is_refused_before_reading(monkeypatch):
    many = zip_of({f"disc/{number}.png": b"" for number in range(classes.MAX_ZIP_FILES + 1)})
    with pytest.raises(ValueError, match="holds 2,001 files; the limit is 2,000"):
        import_zip(many, OWNER, input_kind="photo")
    big = zip_of({"disc/a.png": bytes(classes.MAX_ZIP_BYTES + 1), "square/a.png": b""})  # zeros pack small
    with pytest.raises(ValueError, match="more than 50 MB"):
        import_zip(big, OWNER, input_kind="photo")
    with pytest.raises(ValueError, match="not a zip archive"):
        import_zip(b"PK not really", OWNER, input_kind="photo")


# -- the catalog, configs and saved runs ---------------------------------------------------------------------------
def test_a_collection_is_a_dataset_whose_test_set_is_the_held_out_share(lab_home):
    collection = shapes_collection("photo", per_class=5)
    assert not datasets.known("classes:nothing") and datasets.known(collection.dataset_id)
    info = datasets.get(collection.dataset_id)
    assert (info.class_names, info.image_shape, info.item) == (("disc", "square"), (32, 32, 3), "sample")
    assert (info.train_size, info.test_size) == (8, 2)
    data = datasets.load(collection.dataset_id)
    assert data.x_train.shape == (8, 32, 32, 3) and data.x_test.shape == (2, 32, 32, 3)
    assert sorted(data.y_test.tolist()) == [0, 1] and sorted(data.y_train.tolist()) == [0] * 4 + [1] * 4
    with pytest.raises(datasets.UnknownDatasetError, match="There is no collection of classes called 'nothing'"):
        datasets.get("classes:nothing")


def test_the_held_out_part_names_its_samples_in_the_order_of_its_rows(lab_home):
    collection = shapes_collection("sketch", per_class=6)
    data = datasets.load(collection.dataset_id)
    by_id = {sample.sample_id: sample for sample in collection.samples()}
    assert len(data.test_ids) == len(data.y_test) == 2 and len(set(data.test_ids)) == 2
    for row, sample_id in enumerate(data.test_ids):
        sample = by_id[sample_id]
        assert np.array_equal(collection.image(sample), data.x_test[row]), "the id is that row's sample"
        assert collection.class_names()[data.y_test[row]] == sample.class_name
    assert datasets.load(collection.dataset_id).test_ids == data.test_ids, "the same split every time"
    collection.rename_class("circle", "ring", OWNER)
    assert datasets.load(collection.dataset_id).test_ids == data.test_ids, "a renamed class keeps its samples"
    collection.add_sample("cross", sketch("cross", 999), OWNER)
    collection.add_sample("cross", sketch("cross", 998), OWNER)
    assert datasets.load(collection.dataset_id).test_ids != data.test_ids, "8 crosses: two of them are held out"


def test_a_run_is_matched_to_its_held_out_samples_by_their_ids_or_for_an_old_run_by_time(lab_home):
    from webapp.run_record import RunRecord

    collection = shapes_collection("sketch", per_class=6)
    data = datasets.load(collection.dataset_id)
    samples = collection.samples()
    recorded = RunRecord(held_out_samples=data.test_ids, created="2000-01-01 00:00:00")
    assert classes.same_held_out(recorded, data, samples), "the same ids, whatever the time says"
    assert not classes.same_held_out(RunRecord(held_out_samples=data.test_ids[::-1]), data, samples)
    old = RunRecord(created="2999-01-01 00:00:00", train_images=len(data.y_train))  # saved before runs kept ids
    assert classes.same_held_out(old, data, samples)
    assert not classes.same_held_out(RunRecord(created="2000-01-01 00:00:00"), data, samples), "samples since"
    assert not classes.same_held_out(RunRecord(created="2999-01-01 00:00:00", train_images=3), data, samples)
    collection.remove_sample(next(s for s in samples if s.sample_id == data.test_ids[0]), OWNER)
    collection.add_sample("circle", sketch("circle", 999), OWNER)
    changed = datasets.load(collection.dataset_id)
    assert not classes.same_held_out(recorded, changed, collection.samples()), "a held-out sample swapped"


def test_a_run_records_its_held_out_samples_and_a_bad_list_is_refused(lab_home):
    from webapp.run_checks import config_problem
    from webapp.run_record import RunRecord

    collection = shapes_collection(per_class=2)
    record = RunRecord(model="cnn", dataset=collection.dataset_id, held_out_samples=("a", "b"))
    assert record.to_dict()["held_out_samples"] == ["a", "b"]
    assert RunRecord.from_dict(record.to_dict()) == record and RunRecord().held_out_samples is None
    assert config_problem(record.to_dict()) is None
    for bad in ("a", [1, 2]):
        config = {"model": "cnn", "dataset": collection.dataset_id, "held_out_samples": bad}
        assert config_problem(config) == "its held-out samples are not a list of sample ids"


def test_only_the_owner_queues_training_on_a_collection_or_deletes_its_models(lab_home):
    from webapp.job import classes_config
    from webapp.jobs import JobQueue

    collection = shapes_collection(per_class=3)
    config = classes_config(collection.dataset_id, "sketch", epochs=1)
    classes.check_may_train(collection.dataset_id, OWNER)
    classes.check_may_train("mnist", STRANGER)
    classes.check_may_change_runs(collection.dataset_id, OWNER)
    with pytest.raises(NotOwnerError, match="^Only the browser that made this collection can delete its models.$"):
        classes.check_may_change_runs(collection.dataset_id, STRANGER)
    queue = JobQueue(lambda job: [])
    try:
        with pytest.raises(NotOwnerError, match="Only the browser that made this collection can train on it: "
                                                "download it"):
            queue.submit(config, STRANGER)
        assert queue.jobs_of(STRANGER) == [], "nothing was queued"
        assert queue.submit(config, OWNER).owner == OWNER
    finally:
        queue.shutdown()


@pytest.mark.parametrize("train_size, batch_size", [(1, 1), (4, 4), (16, 16), (17, 8), (20, 10), (24, 12),
                                                    (40, 13), (48, 16), (1600, 16)])
def test_batches_are_at_most_16_and_an_epoch_leaves_out_fewer_samples_than_it_has_batches(train_size, batch_size):
    assert classes.batch_size_for(train_size) == batch_size
    batches = train_size // batch_size
    assert train_size - batches * batch_size < batches


def test_training_configs_accept_collections_and_say_which_recipes_fit(lab_home):
    from webapp.config import TrainConfig
    from webapp.job import classes_config

    sketches, photos = shapes_collection("sketch", 3, "s"), shapes_collection("photo", 3, "p")
    sketch_config = classes_config(sketches.dataset_id, "sketch")
    assert (sketch_config.models, sketch_config.recipes, sketch_config.source_run) == (("cnn",), ("head",),
                                                                                       "default-cnn")
    assert sketch_config.batch_size == 4 and not sketch_config.validation, "the 4 training samples: one batch"
    photo_config = classes_config(photos.dataset_id, "photo", epochs=3)
    assert (photo_config.models, photo_config.recipes, photo_config.epochs) == (("lenet32",), (), 3)
    assert [step["__class_fullname__"] for step in photo_config.pipeline["transform"]["transforms"]][0] == \
        "HorizontalFlip"
    with pytest.raises(ValueError, match="Photos train from scratch only"):
        classes_config(photos.dataset_id, "photo", recipes=("head",))
    with pytest.raises(ValueError, match="There is no collection of classes called 'gone'"):
        TrainConfig(models=("cnn",), dataset="classes:gone")


def test_a_run_on_a_deleted_collection_is_skipped_with_a_sentence(lab_home):
    import shutil

    from webapp.run_checks import config_problem

    collection = shapes_collection(per_class=2)
    config = {"model": "cnn", "dataset": collection.dataset_id}
    assert config_problem(config) is None
    shutil.rmtree(collection.path)
    assert config_problem(config) == (f"it was trained on the collection of classes '{collection.name}', "
                                      "which no longer exists")


def test_recorded_class_names_must_be_a_list_of_names(lab_home):
    from webapp.run_checks import config_problem

    collection = shapes_collection(per_class=2)
    for bad in ([], "circle", [1, 2]):
        config = {"model": "cnn", "dataset": collection.dataset_id, "class_names": bad}
        assert config_problem(config) == "its class names are not a list of names"


def test_lenet32_trains_for_any_shape_and_class_count_and_keeps_seed_004s_count():
    from webapp.networks import build, options_for

    assert build("lenet32").count_params() == 84_107
    model = build("lenet32", options_for("lenet32", input_shape=(32, 32, 3), num_classes=2))
    assert model.output_shape == (None, 2) and model.layers[0].name == "scale_to_unit"
    assert [layer.name for layer in model.layers][1:4] == ["conv1", "pool1", "conv2"]


# -- training through the job queue ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sketch", "photo"])
def test_a_collection_trains_through_the_job_and_its_run_is_listed(kind, lab_home):
    from webapp.job import Job, classes_config, execute
    from webapp.store import RunStore

    collection = shapes_collection(kind, per_class=6)
    job = Job(config=classes_config(collection.dataset_id, kind, epochs=2), owner=OWNER)
    store = RunStore()
    [info] = execute(job, store, device_type="CPU")
    assert info.record.dataset == collection.dataset_id and info.record.train_images == 10
    assert 0 <= info.record.test_accuracy <= 1 and len(info.record.epoch_seconds) == 2
    assert info.run_id in {run.run_id for run in store.list().runs}, "run_checks accept a collection's run"
    model = store.load_model(info.run_id)
    assert model.output_shape == (None, 2)
    assert model.input_shape == (None, *classes.image_shape(kind))
    first, second = collection.class_names()
    assert info.record.class_names == (first, second)
    assert info.record.held_out_samples == datasets.load(collection.dataset_id).test_ids, "the samples it was tested on"
    collection.add_class("third", OWNER)  # the collection changes after training ...
    collection.rename_class(first, "renamed", OWNER)
    [listed] = [run for run in store.list().runs if run.run_id == info.run_id]  # ... the run stays listed
    assert listed.record.class_names == (first, second), "with the names it learned"


def test_trying_a_model_gives_every_class_by_name_and_a_note_when_unsure(tmp_path):
    def model(batch, training=False):
        assert batch.shape == (1, 28, 28, 1) and not training, "prepared as the samples were"
        return np.array([[0.55, 0.45]], np.float32)

    probabilities = classes.class_probabilities(model, sketch("circle", 1), "sketch", ["circle", "cross"])
    assert probabilities == pytest.approx({"circle": 0.55, "cross": 0.45})
    assert classes.unsure_note(probabilities).startswith("The model is unsure ('circle' has only 55%)")
    assert classes.unsure_note({"circle": 0.95, "cross": 0.05}) is None
    with pytest.raises(ValueError, match="The model answers 2 classes, and the collection now has 3: train it again"):
        classes.class_probabilities(model, sketch("circle", 1), "sketch", ["circle", "cross", "star"])
    (tmp_path / "circle.png").write_bytes(png_bytes(sketch("circle", 2)))
    (tmp_path / "empty.png").write_bytes(b"")
    result = classes.predict_file(tmp_path / "circle.png", model, "sketch", ["circle", "cross"])
    assert result["label"] == "circle" and set(result["probabilities"]) == {"circle", "cross"} and "note" in result
    assert classes.predict_file(tmp_path / "empty.png", model, "sketch", ["a", "b"])["error"] == "The file is empty."


def test_the_model_is_called_unsure_below_60_percent_or_with_the_top_two_within_15_points():
    notes = {}
    for probabilities in ((0.9, 0.1), (0.55, 0.45), (0.5, 0.3, 0.2), (0.62, 0.38), (0.7, 0.2, 0.1),
                          (0.64, 0.36, 0.0), (0.6, 0.0, 0.4), (0.45, 0.44, 0.11)):
        names = ["circle", "cross", "square"][:len(probabilities)]
        notes[probabilities] = classes.unsure_note(dict(zip(names, probabilities)))
    clear = {(0.9, 0.1), (0.62, 0.38), (0.7, 0.2, 0.1), (0.64, 0.36, 0.0), (0.6, 0.0, 0.4)}
    assert {case for case, note in notes.items() if note is None} == clear, notes
    assert notes[(0.55, 0.45)].startswith("The model is unsure ('circle' has only 55%)")
    assert all("always answers one of them" in note for case, note in notes.items() if case not in clear)
