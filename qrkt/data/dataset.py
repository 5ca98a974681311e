"""Datasets as arrays: the split and dataset types, the loaders by name, and their shared steps.

Every loader returns a :class:`Dataset` whose training and validation splits are a seeded
permutation of the source's training set, so a run and its evaluation see the same splits.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qrkt.errors import DataError, UnknownNameError, known_names

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """One split: model inputs and their labels, row for row.

    ``inputs`` holds images ``(N, H, W, C)`` float32, normalised, or tokens ``(N, L)`` int32;
    ``labels`` holds ``(N,)`` int32 class indices.
    """

    inputs: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.labels):
            raise DataError(
                f"a split needs one label per input; got {len(self.inputs)} inputs and "
                f"{len(self.labels)} labels"
            )

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Dataset:
    """A dataset's splits and what a model needs to know about it."""

    name: str
    train: Split
    validation: Split
    test: Split | None  # None when the source has no test files
    num_classes: int
    input_shape: tuple[int, ...]  # (H, W, C) or (L,)
    vocabulary_size: int | None  # text only


_LOADERS: dict[str, str] = {
    "digits": "qrkt.data.digits:load_digits",
    "mnist": "qrkt.data.mnist:load_mnist",
    "cifar10": "qrkt.data.cifar10:load_cifar10",
    "imdb": "qrkt.data.imdb:load_imdb",
}
DATASETS: tuple[str, ...] = tuple(_LOADERS)
# Validation splits (of seed 0) shipped with qrkt, for datasets read from files.
_SHIPPED_VALIDATION: dict[str, str] = {"mnist": "qrkt.data.mnist:load_shipped_validation"}


def load_dataset(
    name: str, data_dir: str | Path | None = None, *, seed: int = 0, **options: int
) -> Dataset:
    """Load a dataset by name.

    Args:
      name: one of :data:`DATASETS`.
      data_dir: where its files are; ``None`` for the embedded ``digits``.
      seed: chooses the validation split.
      **options: the loader's own options, e.g. ``max_length`` and ``vocabulary_size`` for
        ``imdb``.

    Returns:
      The dataset, with its test split ``None`` when the source has no test files.
    """
    if name not in _LOADERS:
        raise UnknownNameError(f"unknown dataset {name!r}; known: {known_names(DATASETS)}")
    module, function = _LOADERS[name].split(":")
    loader: Callable[..., Dataset] = getattr(importlib.import_module(module), function)
    accepted = [
        p.name
        for p in inspect.signature(loader).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "seed"
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise DataError(
            f"the {name} dataset got unknown option(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(accepted) or 'no options'}"
        )
    dataset = loader(None if data_dir is None else Path(data_dir), seed=seed, **options)
    logger.info(
        "loaded %s: %d train, %d validation, %s test",
        name,
        len(dataset.train),
        len(dataset.validation),
        "no" if dataset.test is None else len(dataset.test),
    )
    return dataset


def shipped_validation(name: str) -> Split | None:
    """The validation split (seed 0) of dataset ``name`` shipped with qrkt; ``None`` if qrkt
    ships none (``digits`` is embedded whole; CIFAR-10 and IMDb ship nothing)."""
    if name not in _SHIPPED_VALIDATION:
        return None
    module, function = _SHIPPED_VALIDATION[name].split(":")
    return getattr(importlib.import_module(module), function)()


def require_directory(
    data_dir: Path | None, dataset: str, expected: str, *, folder: str | None = None
) -> Path:
    """``data_dir`` checked to be a directory, or a :class:`DataError` saying what it must hold.

    With ``folder``, ``data_dir`` may also be the parent of that folder; the folder is returned.
    """
    if data_dir is None:
        raise DataError(
            f"the {dataset} dataset is read from files, but no data directory was given; pass "
            f"data_dir (--data-dir DIR) naming a directory that holds {expected}"
        )
    if not data_dir.is_dir():
        raise DataError(
            f"data directory {data_dir} for the {dataset} dataset does not exist or is not a "
            f"directory; expected a directory that holds {expected}"
        )
    if folder is not None and (data_dir / folder).is_dir():
        return data_dir / folder
    return data_dir


def split_indices(
    count: int, *, validation_percent: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation row indices: a seeded permutation of ``range(count)``.

    The validation split takes ``ceil(count * validation_percent / 100)`` rows; both index arrays
    are sorted, so each split keeps the source's order.
    """
    validation_count = -(-count * validation_percent // 100)
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[validation_count:]), np.sort(order[:validation_count])


def check_labels(labels: np.ndarray, num_classes: int, source: Path) -> np.ndarray:
    """``labels`` as int32, or a :class:`DataError` naming ``source`` if any is out of range."""
    labels = np.asarray(labels)
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise DataError(
            f"{source} holds label {labels[bad][0]} at row {int(np.argmax(bad))}; expected class "
            f"indices 0..{num_classes - 1}; the file is corrupt: replace it with the original"
        )
    return labels.astype(np.int32)


@dataclass(frozen=True)
class ImageSpec:
    """How an image dataset is normalised and split.

    Pixels become ``(pixels / maximum - mean) / std``, ``mean`` and ``std`` per channel;
    ``validation_percent`` of the training set is held out for validation (see
    :func:`split_indices`).
    """

    name: str
    maximum: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int
    validation_percent: int

    def normalise(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` as normalised float32."""
        scaled = pixels.astype(np.float32)  # a copy, normalised in place to spare memory
        scaled /= np.float32(self.maximum)
        scaled -= np.asarray(self.mean, np.float32)
        scaled /= np.asarray(self.std, np.float32)
        return scaled


def image_dataset(
    spec: ImageSpec,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray] | None,
    *,
    seed: int,
) -> Dataset:
    """An image dataset from raw pixels ``(N, H, W, C)`` and checked int32 labels.

    Args:
      spec: the dataset's normalisation and validation share.
      train, test: pixels and labels; ``test`` may be ``None``.
      seed: chooses the validation split.
    """
    images, labels = spec.normalise(train[0]), train[1]
    train_rows, validation_rows = split_indices(
        len(labels), validation_percent=spec.validation_percent, seed=seed
    )
    return Dataset(
        name=spec.name,
        train=Split(images[train_rows], labels[train_rows]),
        validation=Split(images[validation_rows], labels[validation_rows]),
        test=None if test is None else Split(spec.normalise(test[0]), test[1]),
        num_classes=spec.num_classes,
        input_shape=tuple(images.shape[1:]),
        vocabulary_size=None,
    )
