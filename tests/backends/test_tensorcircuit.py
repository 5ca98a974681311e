"""Backend-specific tests of ``tensorcircuit``: agreement with the reference, gradients, and
the JAX/TensorCircuit global state it must leave alone."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorcircuit")
jax = pytest.importorskip("jax")

from qrkt.backends.reference import ReferenceBackend  # noqa: E402
from qrkt.backends.tensorcircuit import TensorCircuitBackend  # noqa: E402
from qrkt.circuits.ansatz import qrkt_ansatz  # noqa: E402
from qrkt.circuits.ir import (  # noqa: E402
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
from qrkt.errors import BackendInputError, UnsupportedError  # noqa: E402

REFERENCE = ReferenceBackend()
BACKEND = TensorCircuitBackend()


def zz(*qubits: int) -> PauliString:
    return PauliString(tuple((q, "Z") for q in qubits))


HAND_MADE = {
    "one-sided": circuit(3, [rx(0, input_param(0)), ry(2, weight_param(0))]),
    "constants": circuit(
        3,
        [ry(0, 0.3), h(1), cnot(1, 2), rz(2, -1.1), rx(0, input_param(1)), cnot(0, 2)],
        n_inputs=2,
        n_weights=1,
    ),
    "z-products": circuit(
        4,
        [
            *(ry(q, input_param(q)) for q in range(4)),
            cnot(0, 1),
            rx(1, weight_param(0)),
            cnot(3, 2),
            rz(2, weight_param(1)),
            h(3),
            cnot(2, 0),
        ],
        observables=[zz(0, 1), z(3), zz(0, 2, 3), z(1), zz(1, 2, 3, 0)],
    ),
    "shared-weight": circuit(
        2, [rx(0, weight_param(0)), rx(1, weight_param(0)), cnot(1, 0), ry(1, input_param(0))]
    ),
}

ANSATZE = {
    f"qrkt-n{n}-L{layers}-{'tied' if tied else 'untied'}": qrkt_ansatz(n, layers, tied=tied)
    for n in (1, 2, 3, 6)
    for layers in (1, 2)
    for tied in (True, False)
}


def _sample(c: Circuit, batch: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-math.pi, math.pi, (batch, c.n_inputs)), rng.uniform(
        -math.pi, math.pi, c.n_weights
    )


@pytest.mark.parametrize("c", [*ANSATZE.values(), *HAND_MADE.values()], ids=[*ANSATZE, *HAND_MADE])
def test_matches_reference(c: Circuit) -> None:
    x, w = _sample(c)
    np.testing.assert_allclose(BACKEND.run(c, x, w), REFERENCE.run(c, x, w), atol=1e-5)


def test_qubit_zero_is_the_first_column() -> None:
    c = circuit(3, [rx(0, math.pi), h(2)], n_inputs=1)
    np.testing.assert_allclose(BACKEND.run(c, np.zeros((1, 1)), []), [[-1.0, 1.0, 0.0]], atol=1e-6)


@pytest.mark.parametrize("name", ["qrkt-n3-L2-untied", "z-products"])
def test_gradients_match_reference_finite_differences(name: str) -> None:
    c = {**ANSATZE, **HAND_MADE}[name]
    x, w = _sample(c, batch=2, seed=1)
    cotangent = np.random.default_rng(2).normal(size=(2, c.n_observables))
    f = BACKEND.expectation_fn(c)
    grad_x, grad_w = jax.jit(jax.grad(lambda x, w: (f(x, w) * cotangent).sum(), argnums=(0, 1)))(
        x.astype(np.float32), w.astype(np.float32)
    )

    def loss(x: np.ndarray, w: np.ndarray) -> float:
        return float((REFERENCE.run(c, x, w) * cotangent).sum())

    fd_x = _central_differences(lambda x: loss(x, w), x)
    fd_w = _central_differences(lambda w: loss(x, w), w)
    np.testing.assert_allclose(grad_x, fd_x, atol=1e-4)
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-4)


def _central_differences(
    loss: Callable[[np.ndarray], float], at: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    grad = np.zeros_like(at)
    for index in np.ndindex(at.shape):
        step = np.zeros_like(at)
        step[index] = eps
        grad[index] = (loss(at + step) - loss(at - step)) / (2 * eps)
    return grad


def test_gradient_is_finite_where_amplitudes_vanish() -> None:
    c = qrkt_ansatz(2)
    f = BACKEND.expectation_fn(c)
    grads = jax.jit(jax.grad(lambda x, w: f(x, w).sum(), argnums=(0, 1)))(
        np.zeros((1, 2)), np.zeros(2)
    )
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_leaves_x64_and_tensorcircuit_globals_alone() -> None:
    """Even with the user's contractor set to "branch" (which stalls compilation), the
    function compiles with the greedy one and every global is as it was afterwards."""
    import tensorcircuit as tc
    import tensornetwork

    def globals_() -> tuple[object, ...]:
        return (
            jax.config.jax_enable_x64,
            tc.backend.name,
            tc.cons.dtypestr,
            tc.gates.dtypestr,
            tc.cons.contractor,
            tensornetwork.backend_contextmanager.get_default_backend(),
        )

    c = qrkt_ansatz(3)
    x, w = _sample(c)
    with tc.runtime_contractor("branch"):
        before = globals_()
        values = jax.jit(BACKEND.expectation_fn(c))(x, w)
        assert globals_() == before
    np.testing.assert_allclose(values, REFERENCE.run(c, x, w), atol=1e-5)


def test_complex128_without_x64() -> None:
    """``run`` scopes 64-bit JAX itself; a traced function says how to enable it."""
    if jax.config.jax_enable_x64:
        pytest.skip("needs jax_enable_x64 off")
    c = qrkt_ansatz(2)
    x, w = _sample(c)
    backend = TensorCircuitBackend("complex128")
    np.testing.assert_allclose(backend.run(c, x, w), REFERENCE.run(c, x, w), atol=1e-12)
    assert not jax.config.jax_enable_x64
    with pytest.raises(UnsupportedError, match="jax_enable_x64"):
        jax.jit(backend.expectation_fn(c))(x, w)


def test_import_and_complex128_keep_x64_on() -> None:
    """In a fresh interpreter: x64 on survives the TensorCircuit import and complex128 runs
    at double precision."""
    script = textwrap.dedent(
        """
        import jax
        import numpy as np
        jax.config.update("jax_enable_x64", True)
        import qrkt.backends.tensorcircuit as module
        assert "tensorcircuit" not in __import__("sys").modules, "imported eagerly"
        from qrkt.backends.reference import ReferenceBackend
        from qrkt.circuits.ansatz import qrkt_ansatz
        c = qrkt_ansatz(2)
        backend = module.TensorCircuitBackend("complex128")
        f = backend.expectation_fn(c)
        assert jax.config.jax_enable_x64, "import turned x64 off"
        x, w = np.array([[0.3, -1.2], [2.0, 0.7]]), np.array([0.4, -1.9])
        values = jax.jit(f)(x, w)
        assert values.dtype == np.float64, values.dtype
        np.testing.assert_allclose(values, ReferenceBackend().run(c, x, w), atol=1e-12)
        assert jax.config.jax_enable_x64, "running turned x64 off"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr


def test_rejects_unknown_dtype() -> None:
    with pytest.raises(BackendInputError, match=r"complex64.*complex128"):
        TensorCircuitBackend("float16")


def test_rejects_too_wide_circuits() -> None:
    with pytest.raises(UnsupportedError, match="at most 20 qubits"):
        BACKEND.expectation_fn(qrkt_ansatz(21))


def test_checks_shapes_when_traced() -> None:
    c = qrkt_ansatz(3)
    with pytest.raises(BackendInputError, match="inputs must have shape"):
        BACKEND.expectation_fn(c)(np.zeros((2, 2)), np.zeros(3))
