"""CIFAR-10 from its python pickle batches, read without running code from the files.

The directory ``cifar-10-batches-py`` holds ``data_batch_1`` .. ``data_batch_5`` and, optionally,
``test_batch``; ``data_dir`` may name it or its parent. Each batch is a pickled dict with
``b"data"``, a ``(N, 3072)`` uint8 array of channel-major 32x32 RGB images, and ``b"labels"``.
A restricted unpickler accepts only the globals those files use (numpy array reconstruction), so
a file crafted to run code is refused. 5,000 of the 50,000 training images (10 % of a seeded
permutation) form the validation split, leaving 45,000. Pixels are normalised per channel with
the standard CIFAR-10 training-set mean and standard deviation.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from qrkt.data.dataset import (
    DataError,
    Dataset,
    ImageSpec,
    check_labels,
    image_dataset,
    require_directory,
)

CIFAR10 = ImageSpec(
    "cifar10",
    maximum=255,
    mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616),
    num_classes=10,
    validation_percent=10,
)
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
_EXPECTED = (
    f"{FOLDER}/{{{', '.join(TRAIN_BATCHES)}}} and optionally {FOLDER}/{TEST_BATCH} "
    f"(data_dir may be {FOLDER} or its parent)"
)
# What a CIFAR-10 batch pickles: numpy arrays (numpy 1 and 2 module names) and, when it was
# re-pickled by Python 3 with protocol 2, the bytes of their data.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }
)


def load_cifar10(data_dir: Path | None, *, seed: int = 0) -> Dataset:
    """CIFAR-10: images ``(32, 32, 3)``, 45,000 training and 5,000 validation, test batch as test.

    Args:
      data_dir: ``cifar-10-batches-py`` or its parent.
      seed: chooses the validation split.
    """
    directory = require_directory(data_dir, "cifar10", _EXPECTED, folder=FOLDER)
    missing = [name for name in TRAIN_BATCHES if not (directory / name).is_file()]
    if missing:
        raise DataError(
            f"CIFAR-10 batch(es) {', '.join(missing)} not found in {directory}; expected "
            f"{_EXPECTED}"
        )
    batches = [_read_batch(directory / name) for name in TRAIN_BATCHES]
    images, labels = zip(*batches, strict=True)
    test_path = directory / TEST_BATCH
    return image_dataset(
        CIFAR10,
        (np.concatenate(images), np.concatenate(labels)),
        _read_batch(test_path) if test_path.is_file() else None,
        seed=seed,
    )


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals a CIFAR-10 batch needs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"it refers to {module}.{name}, which a CIFAR-10 batch never does (only numpy "
                "arrays are allowed); the file may be crafted to run code, so it is not loaded"
            )
        return super().find_class(module, name)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A batch's images ``(N, 32, 32, 3)`` uint8 and checked int32 labels."""
    try:
        with path.open("rb") as file:
            batch = RestrictedUnpickler(file, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise DataError(
            f"{path} is not a readable CIFAR-10 python batch: {error}; replace it with the file "
            "from the original cifar-10-python.tar.gz"
        ) from error
    data = batch.get(b"data") if isinstance(batch, dict) else None
    labels = batch.get(b"labels") if isinstance(batch, dict) else None
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.shape[1:] != (3 * 32 * 32,)
        or labels is None
        or len(labels) != len(data)
    ):
        shape = getattr(data, "shape", None)
        raise DataError(
            f"{path} holds {type(batch).__name__} with data of shape {shape} and "
            f"{None if labels is None else len(labels)} labels; expected a dict with b'data', a "
            "(N, 3072) uint8 array, and b'labels', N class indices"
        )
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, check_labels(np.asarray(labels), 10, path)
