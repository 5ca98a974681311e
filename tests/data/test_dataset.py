"""Datasets by name, the split types and the shared splitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qrkt.data import DATASETS, DataError, Split, load_dataset
from qrkt.data.dataset import split_indices
from qrkt.errors import QrktError, UnknownNameError


def test_known_datasets() -> None:
    assert DATASETS == ("digits", "mnist", "cifar10", "imdb")


def test_unknown_name_lists_known_datasets() -> None:
    with pytest.raises(
        UnknownNameError, match=r"unknown dataset 'mnsit'; known: cifar10, digits, imdb, mnist"
    ):
        load_dataset("mnsit")


def test_unknown_option_names_the_accepted_ones() -> None:
    with pytest.raises(DataError, match=r"digits dataset got unknown option\(s\) max_length; "):
        load_dataset("digits", max_length=10)
    with pytest.raises(
        DataError, match=r"unknown option\(s\) length; it accepts: max_length, vocabulary_size"
    ):
        load_dataset("imdb", "unused", length=10)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mnist", "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]"),
        ("cifar10", "cifar-10-batches-py/{data_batch_1, data_batch_2"),
        ("imdb", "aclImdb/train/pos/*.txt and aclImdb/train/neg/*.txt"),
    ],
)
def test_datasets_from_files_say_what_the_directory_must_hold(
    name: str, expected: str, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match=r"no data directory was given; pass data_dir") as raised:
        load_dataset(name)
    assert expected in str(raised.value)
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=r"does not exist or is not a directory") as raised:
        load_dataset(name, str(missing))
    assert str(missing) in str(raised.value)
    assert expected in str(raised.value)
    assert isinstance(raised.value, QrktError)


def test_split_needs_one_label_per_input() -> None:
    assert len(Split(np.zeros((3, 2)), np.zeros(3, np.int32))) == 3
    with pytest.raises(DataError, match=r"got 3 inputs and 2 labels"):
        Split(np.zeros((3, 2)), np.zeros(2, np.int32))


def test_split_indices_are_a_seeded_partition() -> None:
    train, validation = split_indices(60_000, validation_percent=10, seed=0)
    assert (len(train), len(validation)) == (54_000, 6_000)
    assert np.array_equal(np.sort(np.r_[train, validation]), np.arange(60_000))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(validation) > 0)
    again, _ = split_indices(60_000, validation_percent=10, seed=0)
    other, _ = split_indices(60_000, validation_percent=10, seed=1)
    assert np.array_equal(train, again)
    assert not np.array_equal(train, other)
    assert len(split_indices(1_797, validation_percent=20, seed=0)[1]) == 360  # rounded up
