"""MNIST from its IDX files, gzipped or not.

The directory holds ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` and, optionally,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each possibly with a ``.gz`` suffix
(gzip is recognised from the content, not the name). As in the thesis, 6,000 of the 60,000
training images (10 % of a seeded permutation) form the validation split, leaving 54,000; the
t10k files, when present, are the test split. Pixels are normalised as
``(x / 255 - 0.1307) / 0.3081``.

``mnist-validation.npz``, shipped with qrkt, holds the 6,000 validation images (uint8 pixels)
and labels of the split with seed 0, the one every qrkt run uses, so that the pretrained MNIST
models can be evaluated without the IDX files (``tools/ship_pretrained.py`` wrote it).
"""

from __future__ import annotations

import gzip
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from qrkt.data.dataset import (
    DataError,
    Dataset,
    ImageSpec,
    Split,
    check_labels,
    image_dataset,
    require_directory,
)

MNIST = ImageSpec(
    "mnist", maximum=255, mean=(0.1307,), std=(0.3081,), num_classes=10, validation_percent=10
)
IMAGES_MAGIC = 2051  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # unsigned bytes, 1 dimension
IMAGE_SIZE = (28, 28)
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SHIPPED_VALIDATION = "mnist-validation.npz"
_EXPECTED = (
    "the MNIST IDX files train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] "
    "(and optionally t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz])"
)


def load_mnist(data_dir: Path | None, *, seed: int = 0) -> Dataset:
    """MNIST: images ``(28, 28, 1)``, 54,000 training and 6,000 validation, t10k as test.

    Args:
      data_dir: the directory holding the IDX files.
      seed: chooses the validation split.
    """
    directory = require_directory(data_dir, "mnist", _EXPECTED)
    train = _find(directory, "train")
    if train is None:
        raise DataError(
            f"found no MNIST training files in {directory}: neither {_FILES['train'][0]} nor "
            f"{_FILES['train'][0]}.gz; expected {_EXPECTED}"
        )
    test = _find(directory, "test")
    return image_dataset(
        MNIST, _read_pair(*train), None if test is None else _read_pair(*test), seed=seed
    )


def load_shipped_validation() -> Split:
    """The validation split of :func:`load_mnist` with seed 0 (6,000 images), as shipped."""
    with (
        resources.files(__package__).joinpath(SHIPPED_VALIDATION).open("rb") as file,
        np.load(file) as arrays,
    ):
        images, labels = arrays["images"], arrays["labels"]
    return Split(MNIST.normalise(images), labels.astype(np.int32))


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array in an IDX file, checked against its expected ``magic`` number.

    Raises:
      DataError: naming ``path`` and what was read against what was expected.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(
                f"{path} is a damaged gzip file ({error}); replace it with the original"
            ) from error
    found = int.from_bytes(raw[:4], "big")
    if len(raw) < 4 or found != magic:
        raise DataError(
            f"{path} starts with magic number {found}, expected {magic} (an IDX file of unsigned "
            f"bytes with {magic & 0xFF} dimensions); is it the right MNIST file?"
        )
    header = 4 + 4 * (magic & 0xFF)
    shape = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(4, header, 4))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path} holds {len(raw)} bytes, expected {expected} for an IDX header and an array of "
            f"shape {shape}; the file is truncated or corrupt: replace it with the original"
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def _find(directory: Path, split: str) -> tuple[Path, Path] | None:
    """The split's images and labels files; ``None`` if neither exists, an error if one does."""
    images, labels = (_existing(directory, name) for name in _FILES[split])
    if images is not None and labels is not None:
        return images, labels
    if images is None and labels is None:
        return None
    missing = _FILES[split][0 if images is None else 1]
    raise DataError(
        f"found MNIST {split} files in {directory} but not {missing} or {missing}.gz; add it "
        "(each images file needs its labels file)"
    )


def _existing(directory: Path, name: str) -> Path | None:
    return next((p for p in (directory / name, directory / f"{name}.gz") if p.is_file()), None)


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SIZE:
        raise DataError(
            f"{images_path} holds images of {images.shape[1]}x{images.shape[2]} pixels, expected "
            f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}; is it an MNIST images file?"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            "labels; expected one label per image: use the images and labels files of one release"
        )
    return images[..., np.newaxis], check_labels(labels, 10, labels_path)
