"""The GAN's images: a dataset's splits in ``[-1, 1]`` (the generator's ``tanh`` range), and
sample grids as PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qrkt.data import SPLIT_SEED, load_dataset
from qrkt.data.cifar10 import CIFAR10
from qrkt.data.dataset import ImageSpec
from qrkt.data.digits import DIGITS
from qrkt.data.mnist import MNIST
from qrkt.errors import TrainingError, UnknownNameError, known_names
from qrkt.training.files import write_atomically

SPECS: dict[str, ImageSpec] = {spec.name: spec for spec in (DIGITS, MNIST, CIFAR10)}


@dataclass(frozen=True)
class GanData:
    """A dataset's images in ``[-1, 1]``: ``train`` for the GAN, ``held_out`` (the validation
    split) for the real-vs-real floor of the metrics, with their class labels."""

    name: str
    train: np.ndarray
    train_labels: np.ndarray
    held_out: np.ndarray
    held_out_labels: np.ndarray
    num_classes: int


def to_unit_range(images: np.ndarray, spec: ImageSpec) -> np.ndarray:
    """Normalised images (``(pixels / maximum - mean) / std``) as ``pixels / maximum`` mapped
    to ``[-1, 1]``, float32."""
    unit = images * np.asarray(spec.std, np.float32) + np.asarray(spec.mean, np.float32)
    return np.clip(2 * unit - 1, -1, 1).astype(np.float32)


def load_gan_data(name: str, data_dir: str | Path | None, image_shape: tuple[int, ...]) -> GanData:
    """The image dataset ``name`` in ``[-1, 1]``, checked to have images of ``image_shape``."""
    if name not in SPECS:
        raise UnknownNameError(f"unknown GAN dataset {name!r}; known: {known_names(SPECS)}")
    dataset = load_dataset(name, data_dir, seed=SPLIT_SEED)
    if dataset.input_shape != tuple(image_shape):
        raise TrainingError(
            f"the {name} dataset has images of shape {dataset.input_shape}, the GAN makes "
            f"{tuple(image_shape)}; choose a GAN preset made for {name}"
        )
    spec = SPECS[name]
    return GanData(
        name,
        to_unit_range(dataset.train.inputs, spec),
        dataset.train.labels,
        to_unit_range(dataset.validation.inputs, spec),
        dataset.validation.labels,
        dataset.num_classes,
    )


def save_grid(path: str | Path, images: np.ndarray, columns: int = 8, scale: int = 4) -> None:
    """Write ``images`` ``(N, H, W, C)`` in ``[-1, 1]`` as one PNG grid, ``columns`` wide, each
    pixel a ``scale x scale`` block, with a one-pixel gap between images; atomically."""
    import io

    from matplotlib.image import imsave

    count, height, width, channels = images.shape
    rows = -(-count // columns)
    canvas = np.ones((rows * (height + 1) + 1, columns * (width + 1) + 1, channels), np.float32)
    for index, image in enumerate((np.clip(images, -1, 1) + 1) / 2):
        top, left = 1 + (index // columns) * (height + 1), 1 + (index % columns) * (width + 1)
        canvas[top : top + height, left : left + width] = image
    canvas = np.kron(canvas, np.ones((scale, scale, 1), np.float32))
    buffer = io.BytesIO()
    if channels == 1:
        imsave(buffer, canvas[..., 0], cmap="gray", vmin=0, vmax=1, format="png")
    else:
        imsave(buffer, canvas, format="png")
    write_atomically(path, buffer.getvalue())
