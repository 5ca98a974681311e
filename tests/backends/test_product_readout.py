"""The product-state readout: Z-strings read from Bloch vectors for Clifford tails."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qrkt.backends.fused_program import compile_program
from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import PauliString, circuit, cnot, h, input_param, rx, ry, rz, weight_param, z

REFERENCE = ReferenceBackend()


def test_a_clifford_tail_is_read_from_the_product_state() -> None:
    # REFERENCE §1, n = 3: H(0) is folded into qubit 0's factor, the ring is the tail.
    assert compile_program(qrkt_ansatz(3)).product_readout == (
        (1, ((0, "Z"), (2, "X"))),
        (1, ((1, "X"),)),
        (1, ((2, "X"),)),
    )
    assert compile_program(qrkt_ansatz(3, layers=2)).product_readout is None


@pytest.mark.parametrize("seed", range(6))
def test_clifford_readout_agrees_with_the_statevector(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 4
    angles = (lambda q: input_param(q), lambda q: weight_param(int(rng.integers(3))), float)
    gates = [
        h(q) if rng.random() < 0.2 else gate(q, angles[int(rng.integers(3))](q))
        for q in range(n)
        for gate in (ry, rx, rz)
    ]
    for _ in range(6):
        control, target = rng.choice(n, 2, replace=False)
        gates += [h(int(rng.integers(n))), cnot(int(control), int(target))]
    c = circuit(
        n, gates, observables=[*(z(q) for q in range(n)), PauliString(((0, "Z"), (3, "Z")))]
    )
    assert compile_program(c).product_readout is not None
    x = rng.uniform(-np.pi, np.pi, (9, c.n_inputs))
    w = rng.uniform(-np.pi, np.pi, c.n_weights)
    fast = JaxStatevectorBackend(dtype="complex128")
    slow = JaxStatevectorBackend(dtype="complex128", clifford_readout=False)
    np.testing.assert_allclose(fast.run(c, x, w), REFERENCE.run(c, x, w), atol=1e-12)
    with jax.experimental.enable_x64():
        grads = [
            jax.grad(lambda x, w, b=b: b.expectation_fn(c)(x, w).sum(), argnums=(0, 1))(x, w)
            for b in (fast, slow)
        ]
    for fast_grad, slow_grad in zip(*grads, strict=True):
        np.testing.assert_allclose(fast_grad, slow_grad, atol=1e-12)
