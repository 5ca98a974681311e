"""A user's own images as model inputs: PNG files or NumPy arrays, normalised as in training.

A PNG is read as grey scale for one-channel datasets and as RGB for three; one of another size
is resized (bilinear) to the model's, and its 0..255 pixels are scaled to the dataset's range.
A ``.npy`` file holds raw pixels in the dataset's own range (0..16 for digits, 0..255 for
MNIST and CIFAR-10): one image ``(H, W)`` or ``(H, W, C)``, or several ``(N, H, W[, C])``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qrkt.data.cifar10 import CIFAR10
from qrkt.data.dataset import ImageSpec
from qrkt.data.digits import DIGITS
from qrkt.data.mnist import MNIST
from qrkt.errors import DataError, known_names

_SPECS = {spec.name: spec for spec in (DIGITS, MNIST, CIFAR10)}
FORMATS = (".png", ".npy")


@dataclass(frozen=True)
class Images:
    """Normalised images ``(N, H, W, C)`` and, row for row, where each came from."""

    inputs: np.ndarray
    sources: tuple[str, ...]  # "digit.png", or "batch.npy[3]" for the 4th image of a file
    notes: tuple[str, ...]  # what was done to fit them to the model (a resize, say)


def image_spec(dataset: str) -> ImageSpec:
    """The normalisation of an image dataset by name."""
    if dataset not in _SPECS:
        raise DataError(
            f"{dataset!r} is not an image dataset; images are read for: {known_names(_SPECS)}"
        )
    return _SPECS[dataset]


def read_images(paths: list[Path], dataset: str, shape: tuple[int, int, int]) -> Images:
    """Read ``paths`` (PNG or ``.npy``) as inputs of a model of ``dataset`` images ``shape``."""
    spec = image_spec(dataset)
    pixels: list[np.ndarray] = []
    sources: list[str] = []
    notes: list[str] = []
    for path in paths:
        if path.suffix.lower() not in FORMATS:
            raise DataError(
                f"cannot read {path}: expected a {' or '.join(FORMATS)} file; convert it to PNG"
            )
        if not path.is_file():
            raise DataError(f"no such image file: {path}")
        if path.suffix.lower() == ".png":
            image, note = _read_png(path, shape, spec.maximum)
            pixels.append(image[np.newaxis])
            sources.append(str(path))
            notes += [note] if note else []
        else:
            stack = _read_npy(path, shape, spec.maximum)
            pixels.append(stack)
            sources += (
                [f"{path}[{i}]" for i in range(len(stack))] if len(stack) > 1 else [str(path)]
            )
    return Images(spec.normalise(np.concatenate(pixels)), tuple(sources), tuple(notes))


def _read_png(path: Path, shape: tuple[int, int, int], maximum: float) -> tuple[np.ndarray, str]:
    from PIL import Image, UnidentifiedImageError

    height, width, channels = shape
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            note = ""
            if image.size != (width, height):
                note = f"{path}: resized from {image.size[0]}x{image.size[1]} to {width}x{height}"
                image = image.resize((width, height), Image.Resampling.BILINEAR)
            array = np.asarray(image, np.float32)
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"cannot read {path} as a PNG image: {error}") from None
    return array.reshape(shape) * np.float32(maximum / 255), note


def _read_npy(path: Path, shape: tuple[int, int, int], maximum: float) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise DataError(f"cannot read {path} as a NumPy array: {error}") from None
    height, width, channels = shape
    accepted = {(height, width), (height, width, channels)}
    if array.shape in accepted:
        array = array[np.newaxis]
    if array.ndim < 3 or array.shape[1:] not in accepted or len(array) == 0:
        raise DataError(
            f"{path} holds an array of shape {array.shape}; the model takes images {height}x"
            f"{width} with {channels} channel(s): save (H, W), (H, W, C), (N, H, W) or "
            f"(N, H, W, C) with H={height}, W={width}, C={channels}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise DataError(
            f"{path} holds an array of dtype {array.dtype}; expected real raw pixels in "
            f"0..{maximum:g}: save an integer or float array"
        )
    if not np.isfinite(array).all():
        raise DataError(
            f"{path} holds {np.size(array) - np.isfinite(array).sum()} NaN or infinite "
            f"value(s); expected raw pixels in 0..{maximum:g}: replace them with valid pixels"
        )
    if array.min() < 0 or array.max() > maximum:
        raise DataError(
            f"{path} holds values from {array.min()} to {array.max()}; expected raw pixels in "
            f"0..{maximum:g} as the dataset stores them (not normalised values)"
        )
    return array.reshape(len(array), height, width, channels).astype(np.float32)
