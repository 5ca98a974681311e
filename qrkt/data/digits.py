"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), embedded in qrkt.

``digits.npz`` holds the images as uint8 pixels 0..16 and the labels as uint8; it was made once,
so loading needs no scikit-learn, with::

    python -c "import numpy as np; from sklearn.datasets import load_digits; d = load_digits(); \
np.savez_compressed('qrkt/data/digits.npz', images=d.images.astype(np.uint8), \
labels=d.target.astype(np.uint8))"

Pixels are scaled to ``x / 16`` and standardised with fixed constants, the mean and standard
deviation of ``x / 16`` over all 1,797 images (so they do not depend on the split). The
validation split is 20 % (360 images) of a seeded permutation; there is no test split.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from qrkt.data.dataset import DataError, Dataset, ImageSpec, image_dataset

DIGITS = ImageSpec(
    "digits", maximum=16, mean=(0.3053,), std=(0.3760,), num_classes=10, validation_percent=20
)
_FILE = "digits.npz"


def load_digits(data_dir: Path | None = None, *, seed: int = 0) -> Dataset:
    """The embedded digits: images ``(8, 8, 1)``, 1,437 training and 360 validation.

    Args:
      data_dir: must be ``None``: the digits are embedded and no file is read.
      seed: chooses the validation split.
    """
    if data_dir is not None:
        raise DataError(
            f"the digits dataset is embedded in qrkt and reads no files, but got data directory "
            f"{data_dir}; drop data_dir (--data-dir), or choose a dataset read from files: "
            "mnist, cifar10, imdb"
        )
    images, labels = read_embedded()
    return image_dataset(
        DIGITS, (images[..., np.newaxis], labels.astype(np.int32)), None, seed=seed
    )


def read_embedded() -> tuple[np.ndarray, np.ndarray]:
    """The embedded images ``(1797, 8, 8)`` and labels ``(1797,)``, uint8 as stored."""
    with resources.files(__package__).joinpath(_FILE).open("rb") as file, np.load(file) as arrays:
        return arrays["images"], arrays["labels"]
