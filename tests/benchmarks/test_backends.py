"""The backend benchmark: host backends capped in batch, PennyLane on any ansatz, memory, and
cells whose gradient is estimated over the call budget left out."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.backends.bridge import expectation_function
from qrkt.backends.registry import backend_entry
from qrkt.circuits.ansatz import build_ansatz

needs_host_backends = pytest.mark.skipif(
    not (backend_entry("cirq").installed and backend_entry("tfq").installed),
    reason=backend_entry("tfq").install_command,
)

# Loaded from its file, like tests/benchmarks/test_handwritten.py loads its neighbour.
_SPEC = importlib.util.spec_from_file_location(
    "_qrkt_benchmarks_backends", Path(__file__).parents[2] / "benchmarks" / "backends.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = bench  # its dataclasses look their module up there
_SPEC.loader.exec_module(bench)


@needs_host_backends
def test_parameter_shift_hosts_are_timed_up_to_the_host_batch_cap_and_tfq_beyond() -> None:
    candidates, skipped = bench._candidates(["cirq", "tfq"], ("flat",))
    assert list(candidates) == ["cirq", "tfq"]
    assert skipped == {}
    cell = bench.Cell("qrkt", 1, 2, bench.HOST_MAX_BATCH + 1)
    assert bench._measure_variants("cirq", candidates["cirq"], cell, bench.QUICK) == []
    [adjoint] = bench._measure_variants("tfq", candidates["tfq"], cell, bench.QUICK)
    assert adjoint.batch == cell.batch and adjoint.grad_mib is None  # memory outside XLA
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


def test_a_gradient_estimated_over_the_call_budget_is_not_timed(tmp_path: Path) -> None:
    out = tmp_path / "grid.json"
    argv = ["--quick", "--backends", "jax", "--widths", "2", "--batches", "1,4"]
    bench.main([*argv, "--max-call-s", "0", "--out", str(out)])
    report = json.loads(out.read_text())
    [timed] = report["results"]
    assert (timed["backend"], timed["batch"]) == ("jax", 1)
    assert timed["state_mib"] == 2**2 * 8 / 2**20 and timed["grad_mib"] > 0
    [left_out] = report["over_budget"]
    assert (left_out["backend"], left_out["batch"]) == ("jax", 4)
    assert left_out["estimated_grad_s"] == round(timed["grad_ms"] / 1e3 * 4, 1)


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")  # PennyLane asks for complex128
def test_pennylane_runs_every_ansatz_like_qrkt() -> None:
    pytest.importorskip("pennylane")
    rng = np.random.default_rng(1)
    for ansatz, n, layers in (("qrkt", 3, 2), ("cara", 4, 1)):
        circuit = build_ansatz(ansatz, n, layers)
        x = jnp.asarray(rng.uniform(-3, 3, (5, circuit.n_inputs)), jnp.float32)
        w = jnp.asarray(rng.uniform(-3, 3, circuit.n_weights), jnp.float32)
        expected = expectation_function("jax", circuit)(x, w)
        np.testing.assert_allclose(bench._pennylane(ansatz, n, layers)(x, w), expected, atol=1e-5)
