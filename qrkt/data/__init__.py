"""Datasets by name: the embedded 8x8 digits, and MNIST, CIFAR-10 and IMDb from local files.

Nothing is downloaded: ``load_dataset("mnist", "path/to/mnist")`` reads files the user has.
"""

from qrkt.data.dataset import (
    DATASETS,
    DataError,
    Dataset,
    Split,
    load_dataset,
    shipped_validation,
)
from qrkt.data.models import SPLIT_SEED, load_for_model

__all__ = [
    "DATASETS",
    "SPLIT_SEED",
    "DataError",
    "Dataset",
    "Split",
    "load_dataset",
    "load_for_model",
    "shipped_validation",
]
