"""The backend benchmark times Cirq and TensorFlow Quantum as host backends, capped in batch."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from qrkt.backends.registry import backend_entry

if not (backend_entry("cirq").installed and backend_entry("tfq").installed):
    pytest.skip(backend_entry("tfq").install_command, allow_module_level=True)

# Loaded from its file, like tests/benchmarks/test_handwritten.py loads its neighbour.
_SPEC = importlib.util.spec_from_file_location(
    "_qrkt_benchmarks_backends", Path(__file__).parents[2] / "benchmarks" / "backends.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = bench  # its dataclasses look their module up there
_SPEC.loader.exec_module(bench)


def test_cirq_and_tfq_are_candidates_timed_up_to_the_host_batch_cap() -> None:
    candidates, skipped = bench._candidates(["cirq", "tfq"], ("flat",))
    assert list(candidates) == ["cirq", "tfq"]
    assert skipped == {}
    too_big = bench.HOST_MAX_BATCH + 1
    for name in candidates:
        cell = bench.Cell("qrkt", 1, 2, too_big)
        assert bench._measure_variants(name, candidates[name], cell, bench.QUICK) == []
    cell = bench.Cell("qrkt", 1, 2, 1)
    [measured] = bench._measure_variants("cirq", candidates["cirq"], cell, bench.QUICK)
    assert (measured.backend, measured.n, measured.batch) == ("cirq", 2, 1)
    assert measured.forward_ms > 0 and measured.grad_ms > 0


def test_deeper_circuits_are_timed_without_the_one_layer_only_candidates() -> None:
    candidates, _ = bench._candidates(["jax", "jax-clifford", "handwritten"], ("flat",))
    deep = bench.Cell("cara", 2, 3, 4)
    timed = {
        name: bench._measure_variants(name, factories, deep, bench.QUICK)
        for name, factories in candidates.items()
    }
    assert [m.backend for m in timed["jax"]] == ["jax"]
    assert timed["jax-clifford"] == [] and timed["handwritten"] == []
    (measured,) = timed["jax"]
    assert (measured.ansatz, measured.layers, measured.n) == ("cara", 2, 3)
