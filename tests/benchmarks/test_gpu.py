"""``python -m benchmarks.gpu --quick`` runs its three parts and writes its report (issue 20)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from qrkt.backends.registry import backend_entry
from qrkt.data import load_dataset
from tests.benchmarks.quick import run_quick

if not backend_entry("tensorcircuit").installed:
    pytest.skip(backend_entry("tensorcircuit").install_command, allow_module_level=True)


def test_the_quick_gpu_benchmark_writes_its_three_parts(tmp_path: Path) -> None:
    report = run_quick("gpu", tmp_path / "gpu.json")
    assert report["devices"] == "1 x cpu" and report["device_kinds"] == ["cpu"]
    assert report["machine"]["jax_devices"] == ["TFRT_CPU_0"]
    assert report["thesis_epoch_s"] == 54.4
    training = report["training"]
    assert training["step"]["preset"] == "digits-rk1" and training["step"]["batch"] == 64
    assert training["steps_per_s"] > 0 and training["step"]["compile_s"] > 0
    assert training["epoch"]["data"] == "digits" and training["epoch"]["train_samples"] == 128
    assert training["epoch"]["epoch_s"] > 0
    rows = {row["backend"]: row for row in report["circuits"]}
    assert list(rows) == ["jax", "jax, blocks of 32", "tensorcircuit"]
    for row in rows.values():
        assert (row["n"], row["batch"], row["layers"], row["error"]) == (2, 32, 2, None)
        assert row["forward_ms"] > 0 and row["gradient_ms"] > 0 and row["repeats"] >= 2
    assert rows["jax"]["forward_x_jax"] == rows["jax"]["gradient_x_jax"] == 1
    (gan,) = report["gan"]
    assert (gan["preset"], gan["batch"], gan["critic_steps"]) == ("digits-transgan", 4, 1)
    assert gan["step_ms"] > 0 and gan["real_images_per_s"] > 0


def test_the_random_images_load_as_mnist(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(  # as tests/benchmarks/test_handwritten.py
        "_qrkt_benchmarks_gpu", Path(__file__).parents[2] / "benchmarks" / "gpu.py"
    )
    assert spec is not None and spec.loader is not None
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    dataset = load_dataset("mnist", gpu.synthetic_mnist(tmp_path, 100))
    assert dataset.train.inputs.shape[1:] == dataset.validation.inputs.shape[1:] == (28, 28, 1)
    assert len(dataset.train.labels) + len(dataset.validation.labels) == 100
    assert dataset.test is None
