"""CIFAR-10 from pickled batches that the tests write, and the restricted unpickler."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from qrkt.data import DataError, load_dataset
from qrkt.data.cifar10 import FOLDER, TEST_BATCH, TRAIN_BATCHES
from qrkt.data.dataset import split_indices

MEAN = np.array([0.4914, 0.4822, 0.4465])  # the standard CIFAR-10 training-set statistics
STD = np.array([0.2470, 0.2435, 0.2616])


def write_batch(
    path: Path, batch: object, *, numpy_module: str = "numpy._core", protocol: int = 2
) -> None:
    """Pickle ``batch`` (with protocol 2, as the CIFAR-10 files are), naming numpy's core module
    ``numpy_module`` (the real files, written with numpy 1, say ``numpy.core``)."""
    raw = pickle.dumps(batch, protocol=protocol)
    path.write_bytes(
        raw.replace(b"cnumpy._core.multiarray\n", f"c{numpy_module}.multiarray\n".encode())
    )


def write_cifar(
    directory: Path, per_batch: int = 4, *, test: int = 0, numpy_module: str = "numpy._core"
) -> tuple[np.ndarray, np.ndarray]:
    """Random batches in ``directory``; returns the training pixels (N, 3072) and labels."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    names = list(TRAIN_BATCHES) + ([TEST_BATCH] if test else [])
    batches = []
    for name in names:
        n = test if name == TEST_BATCH else per_batch
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        batch = {b"batch_label": name.encode(), b"data": data, b"labels": labels}
        write_batch(directory / name, batch, numpy_module=numpy_module)
        batches.append((data, labels))
    train = batches[: len(TRAIN_BATCHES)]
    return np.concatenate([d for d, _ in train]), np.concatenate([lab for _, lab in train])


@pytest.mark.parametrize("numpy_module", ["numpy.core", "numpy._core"])
@pytest.mark.parametrize("parent", [False, True], ids=["folder", "parent"])
def test_loads_batches(tmp_path: Path, parent: bool, numpy_module: str) -> None:
    data, labels = write_cifar(tmp_path / FOLDER, 4, test=3, numpy_module=numpy_module)
    dataset = load_dataset("cifar10", tmp_path if parent else tmp_path / FOLDER, seed=2)
    assert (len(dataset.train), len(dataset.validation)) == (18, 2)
    assert (dataset.num_classes, dataset.input_shape) == (10, (32, 32, 3))
    assert dataset.test is not None and len(dataset.test) == 3
    train_rows, _ = split_indices(20, validation_percent=10, seed=2)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)[train_rows]
    np.testing.assert_allclose(
        dataset.train.inputs, (images / 255 - MEAN) / STD, rtol=1e-5, atol=1e-5
    )
    assert dataset.train.inputs.dtype == np.float32
    assert np.array_equal(dataset.train.labels, labels[train_rows])
    # the red channel of the first pixel is the first byte of the row
    first = data[train_rows[0]]
    assert dataset.train.inputs[0, 0, 0, 0] == pytest.approx((first[0] / 255 - MEAN[0]) / STD[0])
    assert dataset.train.inputs[0, 0, 0, 2] == pytest.approx((first[2048] / 255 - MEAN[2]) / STD[2])


def test_no_test_batch_gives_no_test_split(tmp_path: Path) -> None:
    write_cifar(tmp_path, 2)
    assert load_dataset("cifar10", tmp_path).test is None


def test_missing_batch(tmp_path: Path) -> None:
    write_cifar(tmp_path, 2)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(DataError, match=r"batch\(es\) data_batch_3 not found in .*expected"):
        load_dataset("cifar10", tmp_path)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_refuses_a_pickle_that_would_run_code(tmp_path: Path, protocol: int) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return eval, ("__import__('os').getpid()",)

    write_cifar(tmp_path, 2)
    write_batch(tmp_path / "data_batch_2", {b"data": Exploit(), b"labels": []}, protocol=protocol)
    with pytest.raises(
        DataError, match=r"data_batch_2 is not a readable .* refers to (__builtin__|builtins)\.eval"
    ) as raised:
        load_dataset("cifar10", tmp_path)
    assert "may be crafted to run code, so it is not loaded" in str(raised.value)


@pytest.mark.parametrize(
    ("batch", "match"),
    [
        ([1, 2], r"holds list with data of shape None"),
        ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, r"shape \(2, 100\)"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, r"and 1 labels; expected"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, r"holds label 10 at row 1"),
    ],
)
def test_malformed_batch(tmp_path: Path, batch: object, match: str) -> None:
    write_cifar(tmp_path, 2)
    write_batch(tmp_path / "data_batch_1", batch)
    with pytest.raises(DataError, match=match):
        load_dataset("cifar10", tmp_path)


def test_truncated_batch(tmp_path: Path) -> None:
    write_cifar(tmp_path, 2)
    path = tmp_path / "data_batch_4"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=r"data_batch_4 is not a readable CIFAR-10 python batch"):
        load_dataset("cifar10", tmp_path)
