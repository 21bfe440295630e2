"""After training: the confusion matrix and the misclassified test digits, from saved predictions."""
from __future__ import annotations

import numpy as np

NUM_CLASSES = 10


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """counts[true, predicted]."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return counts


def misclassified(y_true: np.ndarray, y_pred: np.ndarray, true_label: int | None = None,
                  predicted_label: int | None = None) -> np.ndarray:
    """Indices of wrongly classified samples, optionally only those with a given true and/or predicted label."""
    wrong = np.asarray(y_true) != np.asarray(y_pred)
    if true_label is not None:
        wrong &= np.asarray(y_true) == true_label
    if predicted_label is not None:
        wrong &= np.asarray(y_pred) == predicted_label
    return np.flatnonzero(wrong)


def most_confused(matrix: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The off-diagonal (true, predicted, count) cells with the most mistakes."""
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0)
    flat = np.argsort(off_diagonal, axis=None)[::-1][:top]
    cells = [np.unravel_index(index, matrix.shape) for index in flat]
    return [(int(t), int(p), int(off_diagonal[t, p])) for t, p in cells if off_diagonal[t, p] > 0]
