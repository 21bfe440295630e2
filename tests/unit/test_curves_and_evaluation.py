import numpy as np

from webapp.curves import chart_rows, plotted_summary, smooth, thin
from webapp.evaluation import confusion_matrix, misclassified, most_confused


def history(batches, validations=()):
    return {"batches": [{"step": i + 1, "epoch": (i + 1) / 10, "seconds": 0.1 * (i + 1), "loss": 1.0, "accuracy": a}
                        for i, a in enumerate(batches)],
            "validations": [{"step": s, "epoch": s / 10, "seconds": 0.1 * s, "loss": 0.5, "accuracy": a}
                            for s, a in validations]}


def test_smoothing_starts_at_the_first_value_and_follows_the_trend():
    smoothed = smooth([0.0, 1.0, 1.0, 1.0], span=3)
    assert smoothed[0] == 0.0 and 0.5 < smoothed[-1] < 1.0
    assert np.all(np.diff(smoothed) >= 0)


def test_thinning_keeps_the_last_point():
    picked = thin(1000, 50)
    assert len(picked) <= 50 and picked[-1] == 999 and picked[0] == 0


def test_rows_carry_train_and_validation_curves_for_each_model():
    rows = chart_rows({"DNN": history([0.1, 0.5], [(2, 0.6)]), "CNN": history([0.2], [])}, x="seconds")
    assert {(row["model"], row["split"]) for row in rows} == {("DNN", "train"), ("DNN", "validation"), ("CNN", "train")}
    assert [row["x"] for row in rows if row["model"] == "DNN"] == [0.1, 0.2, 0.2]
    assert plotted_summary({"DNN": history([0.1, 0.5], [(2, 0.6)])}) == \
        "DNN: 2 batches, 1 validation point, last validation accuracy 60.0%"
    assert plotted_summary({"CNN": history([0.2], [])}) == "CNN: 1 batch, 0 validation points"


def test_confusion_matrix_counts_true_against_predicted():
    matrix = confusion_matrix(np.array([1, 1, 2, 3]), np.array([1, 7, 2, 7]))
    assert matrix[1, 1] == 1 and matrix[1, 7] == 1 and matrix[3, 7] == 1 and matrix.sum() == 4
    assert most_confused(matrix)[:1] in ([(1, 7, 1)], [(3, 7, 1)])


def test_misclassified_filters_by_true_and_predicted_label():
    y_true, y_pred = np.array([4, 4, 9, 9, 4]), np.array([9, 4, 4, 9, 9])
    assert misclassified(y_true, y_pred).tolist() == [0, 2, 4]
    assert misclassified(y_true, y_pred, true_label=4).tolist() == [0, 4]
    assert misclassified(y_true, y_pred, true_label=4, predicted_label=9).tolist() == [0, 4]
    assert misclassified(y_true, y_pred, predicted_label=4).tolist() == [2]
