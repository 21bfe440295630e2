"""The words under a race's chart hold for every dataset: Transfer's digits 5-9 have 4,861 test images, not 10,000."""
from webapp.ui.training_panels import curves_caption


def test_the_caption_does_not_promise_10000_test_images():
    histories = {"From scratch": {"test": {"accuracy": 0.93, "loss": 0.2}, "epochs": [], "batches": []}}
    caption = curves_caption(histories, "epoch", {"From scratch": {"validation": True}}, {})
    assert "Diamonds: the final test accuracy on the run's whole test set" in caption
    assert "on the 10,000 test images" not in caption


def test_a_mistakes_caption_wraps_between_garment_names_not_inside_one():
    from webapp.ui.training_panels import mistake_caption

    assert mistake_caption("5", "9") == "5→9"  # digits stay compact under a 56-pixel image
    assert mistake_caption("Shirt", "Coat") == "Shirt → Coat"


def test_the_mistakes_count_never_promises_forty_of_none():
    """A collection's held-out share is a few samples: none or one wrong must not read "the first 40 are shown"."""
    from webapp.ui.training_panels import mistakes_count

    assert mistakes_count(0, "sample", 40) == "No misclassified test sample matches."
    assert mistakes_count(1, "sample", 40) == "1 misclassified test sample matches; all shown."
    assert mistakes_count(7, "digit", 40) == "7 misclassified test digits match; all shown."
    assert mistakes_count(95, "digit", 40) == "95 misclassified test digits match; the first 40 are shown."


def test_the_caption_explains_a_smoothed_training_loss_only_when_a_run_smoothed():
    histories = {"CNN": {"epochs": [], "batches": []}}
    smoothed = curves_caption(histories, "epoch", {"CNN": {"validation": True, "label_smoothing": 0.1}}, {})
    assert "With label smoothing (0.1) the training loss" in smoothed
    plain = curves_caption(histories, "epoch", {"CNN": {"validation": True, "label_smoothing": 0.0}}, {})
    older = curves_caption(histories, "epoch", {"CNN": {"validation": True}}, {})  # stored before the setting
    assert "label smoothing" not in plain and "label smoothing" not in older


def test_a_runs_recipe_line_names_its_schedule_and_smoothing():
    from webapp.ui.training_panels import recipe

    line = recipe({"optimizer": "adam", "learning_rate": 0.01, "schedule": "warmup-cosine", "batch_size": 256,
                   "label_smoothing": 0.1})
    assert line == "adam 0.01 warm-up+cosine, batch 256, smoothing 0.1"
    assert recipe({"optimizer": "adam", "learning_rate": 0.003, "batch_size": 256}) == "adam 0.003, batch 256"
