"""The embedded 8x8 digits."""

from __future__ import annotations

import numpy as np
import pytest

from qrkt.data import DataError, load_dataset
from qrkt.data.dataset import split_indices
from qrkt.data.digits import DIGITS, read_embedded

MEAN, STD = DIGITS.mean[0], DIGITS.std[0]


def test_embedded_data_equals_scikit_learn() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    images, labels = read_embedded()
    assert images.dtype == labels.dtype == np.uint8
    assert np.array_equal(images, reference.images)
    assert np.array_equal(labels, reference.target)


def test_normalisation_constants_are_the_data_statistics() -> None:
    scaled = read_embedded()[0] / 16
    assert scaled.mean() == pytest.approx(MEAN, abs=1e-4)
    assert scaled.std() == pytest.approx(STD, abs=1e-4)


def test_splits_shapes_and_normalisation() -> None:
    dataset = load_dataset("digits")
    assert (len(dataset.train), len(dataset.validation), dataset.test) == (1_437, 360, None)
    assert (dataset.num_classes, dataset.input_shape, dataset.vocabulary_size) == (
        10,
        (8, 8, 1),
        None,
    )
    assert dataset.train.inputs.shape == (1_437, 8, 8, 1)
    assert dataset.train.inputs.dtype == np.float32
    assert dataset.train.labels.dtype == np.int32
    assert set(np.unique(dataset.validation.labels)) == set(range(10))
    images, labels = read_embedded()
    train_rows, validation_rows = split_indices(1_797, validation_percent=20, seed=0)
    for split, rows in ((dataset.train, train_rows), (dataset.validation, validation_rows)):
        expected = (images[rows, :, :, None] / 16 - MEAN) / STD
        np.testing.assert_allclose(split.inputs, expected, atol=1e-5)
        assert np.array_equal(split.labels, labels[rows])


def test_seed_chooses_the_validation_split() -> None:
    first, again, other = (load_dataset("digits", seed=s) for s in (0, 0, 1))
    assert np.array_equal(first.validation.inputs, again.validation.inputs)
    assert not np.array_equal(first.validation.inputs, other.validation.inputs)


def test_refuses_a_data_directory() -> None:
    with pytest.raises(DataError, match=r"digits dataset is embedded .* got data directory /x"):
        load_dataset("digits", "/x")
