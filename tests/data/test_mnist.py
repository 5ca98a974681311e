"""MNIST from IDX files that the tests write, gzipped or not."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from qrkt.data import DataError, load_dataset
from qrkt.data.dataset import split_indices
from qrkt.data.mnist import IMAGES_MAGIC, LABELS_MAGIC

REAL_MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


def write_idx(path: Path, array: np.ndarray, magic: int, *, compress: bool = False) -> Path:
    """Write ``array`` as an IDX file with ``magic``, gzipped (``.gz`` appended) if asked."""
    raw = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw += array.astype(np.uint8).tobytes()
    if compress:
        path, raw = path.with_name(path.name + ".gz"), gzip.compress(raw)
    path.write_bytes(raw)
    return path


def write_mnist(
    directory: Path, count: int = 50, *, test: int = 0, compress: bool = False, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random MNIST-shaped train (and t10k if ``test``) files; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (("train", count), ("t10k", test)):
        if n:
            arrays[f"{prefix}-images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            arrays[f"{prefix}-labels"] = rng.integers(0, 10, n, dtype=np.uint8)
            write_idx(
                directory / f"{prefix}-images-idx3-ubyte",
                arrays[f"{prefix}-images"],
                IMAGES_MAGIC,
                compress=compress,
            )
            write_idx(
                directory / f"{prefix}-labels-idx1-ubyte",
                arrays[f"{prefix}-labels"],
                LABELS_MAGIC,
                compress=compress,
            )
    return arrays


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_loads_train_and_test(tmp_path: Path, compress: bool) -> None:
    arrays = write_mnist(tmp_path, 50, test=7, compress=compress)
    dataset = load_dataset("mnist", tmp_path, seed=3)
    assert (len(dataset.train), len(dataset.validation)) == (45, 5)
    assert (dataset.num_classes, dataset.input_shape, dataset.vocabulary_size) == (
        10,
        (28, 28, 1),
        None,
    )
    train_rows, _ = split_indices(50, validation_percent=10, seed=3)
    expected = (
        arrays["train-images"][train_rows, :, :, None] / 255 - 0.1307
    ) / 0.3081  # as the thesis
    np.testing.assert_allclose(dataset.train.inputs, expected, rtol=1e-5, atol=1e-5)
    assert dataset.train.inputs.dtype == np.float32
    assert dataset.train.labels.dtype == np.int32
    assert np.array_equal(dataset.train.labels, arrays["train-labels"][train_rows])
    assert dataset.test is not None and len(dataset.test) == 7
    assert np.array_equal(dataset.test.labels, arrays["t10k-labels"])


def test_no_test_files_gives_no_test_split(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    assert load_dataset("mnist", tmp_path).test is None


def test_missing_training_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"found no MNIST training files in .*expected the MNIST"):
        load_dataset("mnist", tmp_path)
    write_mnist(tmp_path, 20)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"but not train-labels-idx1-ubyte or .*\.gz; add it"):
        load_dataset("mnist", tmp_path)


def test_half_a_test_set_is_an_error(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20, test=5)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match=r"MNIST test files .* but not t10k-images-idx3-ubyte"):
        load_dataset("mnist", tmp_path)


def test_bad_magic_number(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((20, 28, 28)), LABELS_MAGIC)
    with pytest.raises(DataError, match=r"starts with magic number 2049, expected 2051") as raised:
        load_dataset("mnist", tmp_path)
    assert str(path) in str(raised.value)


def test_truncated_file(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataError, match=r"holds 25 bytes, expected 28 .* shape \(20,\)"):
        load_dataset("mnist", tmp_path)


def test_damaged_gzip(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20, compress=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match=r"idx3-ubyte.gz is a damaged gzip file"):
        load_dataset("mnist", tmp_path)


def test_mismatched_counts(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(19), LABELS_MAGIC)
    with pytest.raises(DataError, match=r"holds 20 images but .* holds 19 labels"):
        load_dataset("mnist", tmp_path)


def test_wrong_image_size(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((20, 8, 8)), IMAGES_MAGIC)
    with pytest.raises(DataError, match=r"holds images of 8x8 pixels, expected 28x28"):
        load_dataset("mnist", tmp_path)


def test_out_of_range_label(tmp_path: Path) -> None:
    write_mnist(tmp_path, 20)
    labels = np.zeros(20)
    labels[4] = 12
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels, LABELS_MAGIC)
    with pytest.raises(DataError, match=r"holds label 12 at row 4; expected class indices 0..9"):
        load_dataset("mnist", tmp_path)


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason=f"no MNIST files at {REAL_MNIST}")
def test_real_mnist() -> None:
    dataset = load_dataset("mnist", REAL_MNIST)
    assert dataset.train.inputs.shape == (54_000, 28, 28, 1)
    assert dataset.validation.inputs.shape == (6_000, 28, 28, 1)
    assert abs(float(dataset.train.inputs.mean())) < 0.01
    assert abs(float(dataset.train.inputs.std()) - 1) < 0.01
    assert np.array_equal(np.unique(dataset.validation.labels), np.arange(10))
