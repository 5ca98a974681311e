"""The hand-written benchmark baseline computes what the reference backend computes."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from qrkt.backends.reference import ReferenceBackend  # noqa: E402
from qrkt.circuits.ansatz import qrkt_ansatz  # noqa: E402

# Loaded from its file: ``benchmarks`` is no installed package, and this test folder's name
# would shadow it on ``sys.path``.
_SPEC = importlib.util.spec_from_file_location(
    "_qrkt_benchmarks_handwritten", Path(__file__).parents[2] / "benchmarks" / "handwritten.py"
)
assert _SPEC is not None and _SPEC.loader is not None
hw = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hw)


@pytest.mark.parametrize("variant", hw.VARIANTS)
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_matches_reference(n: int, variant: str) -> None:
    rng = np.random.default_rng(n)
    x = rng.uniform(-math.pi, math.pi, (5, n))
    w = rng.uniform(-math.pi, math.pi, n)
    values = jax.jit(hw.make_handwritten(n, variant))(x, w)
    assert values.shape == (5, n)
    np.testing.assert_allclose(values, ReferenceBackend().run(qrkt_ansatz(n), x, w), atol=1e-5)


def test_chunks_and_remainder_give_the_same_values_and_gradients() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-math.pi, math.pi, (5, 4)).astype(np.float32)
    w = rng.uniform(-math.pi, math.pi, 4).astype(np.float32)
    whole, blocks = hw.make_handwritten(4, chunk=None), hw.make_handwritten(4, chunk=2)
    np.testing.assert_allclose(blocks(x, w), whole(x, w), atol=1e-6)
    cotangent = rng.normal(size=(5, 4)).astype(np.float32)
    grads = [
        jax.grad(lambda x, w, f=f: (f(x, w) * cotangent).sum(), argnums=(0, 1))(x, w)
        for f in (whole, blocks)
    ]
    for got, want in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_entangler_matches_the_ansatz() -> None:
    assert hw.entangler_steps(1) == []
    assert [(s.hadamard, s.control, s.target) for s in hw.entangler_steps(2)] == [(False, 0, 1)]
    assert [(s.control, s.target) for s in hw.entangler_steps(3)] == [(0, 1), (1, 2), (2, 0)]


def test_signs_put_qubit_zero_first() -> None:
    np.testing.assert_array_equal(hw.z_signs(2), [[1, 1], [1, -1], [-1, 1], [-1, -1]])


def test_rejects_unknown_or_oversized_variants() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        hw.make_handwritten(3, "fastest")
    with pytest.raises(ValueError, match="dense"):
        hw.make_handwritten(hw.DENSE_MAX_QUBITS + 1, "dense")
