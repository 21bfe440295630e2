import numpy as np

from tests.conftest import synthetic_digits
from webapp.augment import pipeline_to_dict, preset_pipeline
from webapp.augmented_batches import AugmentedBatches, batch_seed

DIGITS_PIPELINE = pipeline_to_dict(preset_pipeline("digits"))


def batches(epoch: int, **kwargs) -> AugmentedBatches:
    x, y = synthetic_digits(64, seed=3)
    return AugmentedBatches(x[..., None], y, np.arange(64), 16, DIGITS_PIPELINE, seed=0, epoch=epoch, workers=1,
                            **kwargs)


def test_the_same_image_looks_different_in_each_epoch_and_the_same_on_a_repeat():
    first, again, later = batches(0)[0][0], batches(0)[0][0], batches(1)[0][0]
    assert first.shape == (16, 28, 28, 1) and first.dtype == np.uint8
    assert np.array_equal(first, again), "a race's models see the very same augmented batch"
    assert not np.array_equal(first, later), "augmented afresh every epoch, not once up front"
    assert batch_seed(0, 0, 1) != batch_seed(0, 1, 0)


def test_a_turn_of_an_epoch_gets_the_seeds_of_its_place_in_the_epoch():
    whole = batches(0)
    x, y = synthetic_digits(64, seed=3)
    second_half = AugmentedBatches(x[..., None], y, np.arange(32, 64), 16, DIGITS_PIPELINE, seed=0, epoch=0,
                                   first_batch=2, workers=1)
    assert len(whole) == 4 and len(second_half) == 2
    assert np.array_equal(whole[2][0], second_half[0][0])
    assert np.array_equal(whole[3][1], second_half[1][1])


def test_a_pipeline_sized_for_a_photo_still_gives_28x28_digits():
    import albumentations as A

    photo_sized = pipeline_to_dict(A.Compose([A.RandomResizedCrop(size=(300, 400), p=1.0)]))
    x, y = synthetic_digits(16)
    images, labels = AugmentedBatches(x[..., None], y, np.arange(16), 8, photo_sized, seed=0, epoch=0, workers=1)[1]
    assert images.shape == (8, 28, 28, 1) and np.array_equal(labels, y[8:])


def test_training_with_a_pipeline_augments_training_batches_only(tiny_mnist, monkeypatch):
    from webapp.config import TrainConfig
    from webapp.training import run_training

    seen = []
    original = AugmentedBatches.__getitem__

    def spy(self, index):
        seen.append(self.x)
        return original(self, index)

    monkeypatch.setattr(AugmentedBatches, "__getitem__", spy)
    config = TrainConfig(models=("dnn", "cnn"), epochs=2, batch_size=64, pipeline=DIGITS_PIPELINE)
    record, results = run_training(config, data=tiny_mnist, device_type="CPU")
    snapshot = record.snapshot()
    assert all(len(snapshot["curves"][name]["validations"]) > 0 for name in ("dnn", "cnn"))
    assert seen and all(x.shape[0] == snapshot["train_images"] for x in seen), "only the training images"
    assert {result.name for result in results} == {"dnn", "cnn"}
