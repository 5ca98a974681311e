"""The sweep strategy's adjoint gradient against JAX's own gradient of the contraction."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.circuits.ansatz import build_ansatz
from qrkt.circuits.ir import (
    Circuit,
    PauliString,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    ry,
    rz,
    weight_param,
    z,
)

SWEEP = JaxStatevectorBackend(strategy="sweep", dtype="complex128")
CONTRACTION = JaxStatevectorBackend(strategy="contraction", dtype="complex128")


def _reuploading() -> Circuit:
    """Inputs inside the passes too (per-sample matrices), complex gates, a constant pass."""
    gates = [ry(0, input_param(0)), h(1), rx(2, weight_param(0))]
    gates += [cnot(0, 1), rz(1, input_param(1)), rx(0, weight_param(1)), cnot(1, 2)]
    gates += [cnot(2, 0), ry(2, weight_param(2)), rz(0, input_param(0)), rx(0, 0.3), cnot(0, 2)]
    gates += [cnot(1, 0), rx(1, weight_param(0))]
    return circuit(3, gates, observables=[z(0), PauliString(((1, "Z"), (2, "Z"))), z(2)])


@pytest.mark.parametrize(
    "c", [build_ansatz("qrkt", 4, 3), build_ansatz("cara", 3, 2), _reuploading()], ids=str
)
@pytest.mark.parametrize("batch", [1, 7])
def test_the_adjoint_gradient_is_the_contractions_autodiff_gradient(c: Circuit, batch: int) -> None:
    rng = np.random.default_rng(batch)
    x = rng.uniform(-3, 3, (batch, c.n_inputs))
    w = rng.uniform(-3, 3, c.n_weights)
    cotangent = rng.normal(size=(batch, len(c.observables)))

    def gradients(backend: JaxStatevectorBackend) -> tuple[np.ndarray, ...]:
        f = backend.expectation_fn(c)
        with jax.experimental.enable_x64():
            loss = jax.jit(jax.grad(lambda x, w: (f(x, w) * cotangent).sum(), argnums=(0, 1)))
            return tuple(map(np.asarray, loss(x, w)))

    for sweep, autodiff in zip(gradients(SWEEP), gradients(CONTRACTION), strict=True):
        np.testing.assert_allclose(sweep, autodiff, atol=1e-10)


def test_blocks_of_the_batch_differentiate_as_one() -> None:
    """The custom gradient under ``lax.map`` (several blocks, a remainder, two streams)."""
    c = build_ansatz("qrkt", 3, 2)
    rng = np.random.default_rng(0)
    x, w = rng.uniform(-3, 3, (11, c.n_inputs)), rng.uniform(-3, 3, c.n_weights)
    grads = [
        jax.jit(jax.grad(lambda x, w, f=f: f(x, w).sum(), argnums=(0, 1)))(x, w)
        for f in (
            JaxStatevectorBackend(strategy="sweep", block_size=4, streams=2).expectation_fn(c),
            JaxStatevectorBackend(strategy="sweep").expectation_fn(c),
        )
    ]
    for blocked, whole in zip(*grads, strict=True):
        np.testing.assert_allclose(blocked, whole, atol=1e-5)
