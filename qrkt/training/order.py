"""Which samples a step sees: a pure function of the seed, the epoch and the step's position.

Nothing here has state, so a resumed run needs only (seed, epoch, position) to see exactly the
batches an uninterrupted run would have seen.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def epoch_order(seed: int, epoch: int, count: int) -> np.ndarray:
    """The training order of epoch ``epoch`` (0-based): a permutation of ``range(count)``."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def training_batch(order: np.ndarray, position: int, batch_size: int) -> np.ndarray:
    """Row indices of the ``position``-th batch of an epoch; an epoch's last partial batch is
    never used (so every step has the same shape, and :func:`steps_per_epoch` of them)."""
    return order[position * batch_size : (position + 1) * batch_size]


def steps_per_epoch(count: int, batch_size: int) -> int:
    return count // batch_size


def evaluation_batches(count: int, batch_size: int) -> Iterator[np.ndarray]:
    """Row indices covering ``range(count)`` in order, in batches of exactly ``batch_size``:
    the last one is padded by repeating row 0; drop the padding with ``[:count]`` after
    concatenating the outputs."""
    for start in range(0, count, batch_size):
        rows = np.arange(start, min(start + batch_size, count))
        yield np.concatenate([rows, np.zeros(batch_size - len(rows), rows.dtype)])
