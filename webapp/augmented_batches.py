"""Training batches augmented on the fly: never once up front, never the validation or test images.

Each batch gets a fresh pipeline seeded from (run seed, epoch, batch number): the same image index looks
different in every epoch, every model of a race sees the same augmented batch, and worker threads never
share a random generator. Keras's `PyDataset` prepares the next batches in threads while the model trains.
"""
from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

MAX_WORKERS = 4


def batch_seed(seed: int, epoch: int, batch: int) -> int:
    """A 32-bit seed of its own for every batch of every epoch."""
    return int(np.random.SeedSequence([seed, epoch, batch]).generate_state(1)[0])


def default_workers() -> int:
    """Threads preparing batches: leave at least one core to the model."""
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 2) - 1))


class AugmentedBatches(keras.utils.PyDataset):
    """The batches of one epoch (or of one turn of it, from `first_batch` on), augmented as they are asked for."""

    def __init__(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray, batch_size: int, pipeline: dict[str, Any],
                 seed: int, epoch: int, first_batch: int = 0, workers: int | None = None) -> None:
        from webapp.augment import sized_for

        super().__init__(workers=workers or default_workers(), use_multiprocessing=False)
        self.x, self.y, self.rows, self.batch_size = x, y, rows, batch_size
        # a pipeline saved while previewing a photo may crop to the photo's size: crop to the digits' instead
        self.pipeline = sized_for(pipeline, x.shape[1:3])
        self.seed, self.epoch, self.first_batch = seed, epoch, first_batch

    def __len__(self) -> int:
        return len(self.rows) // self.batch_size

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        from webapp.augment import augment_batch, pipeline_from_dict

        rows = self.rows[index * self.batch_size:(index + 1) * self.batch_size]
        pipeline = pipeline_from_dict(self.pipeline, seed=batch_seed(self.seed, self.epoch, self.first_batch + index))
        return augment_batch(pipeline, self.x[rows]), self.y[rows]
