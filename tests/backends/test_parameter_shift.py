"""The parameter-shift rule: occurrence rewriting, exactness, and one backend call per VJP."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from qrkt.backends import parameter_shift
from qrkt.backends.parameter_shift import (
    occurrence_circuit,
    parameter_shift_cost,
    parameter_shift_vjp,
)
from qrkt.backends.reference import ReferenceBackend
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
from qrkt.errors import UnsupportedError

x0, x1, w0, w1 = input_param(0), input_param(1), weight_param(0), weight_param(1)


def _shared_circuit() -> Circuit:
    """Weight 0 in two gates (on both sides of a CNOT), input 0 in two gates, a Z product."""
    gates = [
        ry(0, x0),
        ry(1, x1),
        rx(0, w0),
        h(1),
        cnot(0, 1),
        rz(1, 0.3),
        rx(1, w0),
        ry(0, x0),
        rz(0, w1),
        cnot(1, 0),
        rx(0, w1),
    ]
    observables = [z(0), z(1), PauliString(((0, "Z"), (1, "Z")))]
    return circuit(2, gates, observables=observables)


def _sample(c: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)),
        rng.uniform(-np.pi, np.pi, c.n_weights),
        rng.normal(size=(batch, c.n_observables)),
    )


def _central_differences(
    c: Circuit, inputs: np.ndarray, weights: np.ndarray, cotangent: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray]:
    reference = ReferenceBackend()

    def loss(x: np.ndarray, w: np.ndarray) -> float:
        return float(np.sum(reference.run(c, x, w) * cotangent))

    def differences(at: np.ndarray, loss_at: Callable[[np.ndarray], float]) -> np.ndarray:
        grad = np.zeros_like(at)
        for index in np.ndindex(at.shape):
            step = np.zeros_like(at)
            step[index] = eps
            grad[index] = (loss_at(at + step) - loss_at(at - step)) / (2 * eps)
        return grad

    return (
        differences(inputs, lambda x: loss(x, weights)),
        differences(weights, lambda w: loss(inputs, w)),
    )


# --- occurrence circuits ----------------------------------------------------------------------


def test_occurrence_circuit_gives_each_parametrized_gate_its_own_input() -> None:
    c = _shared_circuit()
    expanded = occurrence_circuit(c)
    k = len(list(c.params()))
    assert k == 7
    assert (expanded.circuit.n_inputs, expanded.circuit.n_weights) == (k, 0)
    assert list(expanded.circuit.params()) == [input_param(i) for i in range(k)]
    assert expanded.circuit.observables == c.observables
    for old, new in zip(c.gates, expanded.circuit.gates, strict=True):
        assert (old.name, old.qubits) == (new.name, new.qubits)
        if old.param is None:
            assert new == old  # constants and unparametrized gates are untouched


def test_occurrence_circuit_maps_back_to_inputs_and_weights() -> None:
    expanded = occurrence_circuit(_shared_circuit())
    # occurrences, in gate order: x0, x1, w0, w0, x0, w1, w1
    np.testing.assert_array_equal(expanded.is_input, [True, True, False, False, True, False, False])
    np.testing.assert_array_equal(expanded.indices, [0, 1, 0, 0, 0, 1, 1])
    inputs = np.array([[0.1, 0.2], [1.1, 1.2]])
    weights = np.array([-0.5, -0.7])
    np.testing.assert_array_equal(
        expanded.angles(inputs, weights),
        [[0.1, 0.2, -0.5, -0.5, 0.1, -0.7, -0.7], [1.1, 1.2, -0.5, -0.5, 1.1, -0.7, -0.7]],
    )


def test_occurrence_circuit_computes_the_same_values() -> None:
    c = _shared_circuit()
    expanded = occurrence_circuit(c)
    inputs, weights, _ = _sample(c, 3)
    reference = ReferenceBackend()
    np.testing.assert_allclose(
        reference.run(expanded.circuit, expanded.angles(inputs, weights), np.zeros(0)),
        reference.run(c, inputs, weights),
        atol=1e-12,
    )


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 4])
def test_vjp_equals_central_finite_differences(batch: int) -> None:
    c = _shared_circuit()
    inputs, weights, cotangent = _sample(c, batch, seed=batch)
    grad_x, grad_w = parameter_shift_vjp(ReferenceBackend(), c, inputs, weights, cotangent)
    fd_x, fd_w = _central_differences(c, inputs, weights, cotangent)
    assert grad_x.shape == inputs.shape
    assert grad_w.shape == weights.shape
    np.testing.assert_allclose(grad_x, fd_x, atol=1e-6)
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-6)


@pytest.mark.parametrize(
    "c",
    [
        circuit(2, [ry(0, x0), cnot(0, 1), rx(1, x1), ry(0, x0)]),  # inputs only: no weights
        circuit(2, [rx(0, w0), cnot(0, 1), ry(1, w1), rz(1, w0), h(1)]),  # weights only
    ],
    ids=["inputs-only", "weights-only"],
)
def test_vjp_of_a_circuit_with_one_kind_of_parameter(c: Circuit) -> None:
    inputs, weights, cotangent = _sample(c, 3, seed=5)
    grad_x, grad_w = parameter_shift_vjp(ReferenceBackend(), c, inputs, weights, cotangent)
    fd_x, fd_w = _central_differences(c, inputs, weights, cotangent)
    np.testing.assert_allclose(grad_x, fd_x, atol=1e-6)
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-6)


def test_vjp_makes_one_backend_call_of_2kb_circuits() -> None:
    c = _shared_circuit()
    batch, k = 3, 7
    inputs, weights, cotangent = _sample(c, batch)
    backend = ReferenceBackend()
    backend.run(c, inputs, weights)
    calls, circuits = backend.counts.calls, backend.counts.circuits
    parameter_shift_vjp(backend, c, inputs, weights, cotangent)
    assert backend.counts.calls == calls + 1
    assert backend.counts.circuits == circuits + 2 * k * batch


def test_circuit_without_parameters_has_zero_gradients_and_makes_no_call() -> None:
    c = circuit(2, [h(0), cnot(0, 1), rx(1, 0.4)], n_inputs=2, n_weights=3)
    inputs, weights, cotangent = _sample(c, 4)
    backend = ReferenceBackend()
    grad_x, grad_w = parameter_shift_vjp(backend, c, inputs, weights, cotangent)
    np.testing.assert_array_equal(grad_x, np.zeros((4, 2)))
    np.testing.assert_array_equal(grad_w, np.zeros(3))
    assert (backend.counts.calls, backend.counts.circuits) == (0, 0)


def test_vjp_over_the_memory_budget_splits_into_calls_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = _shared_circuit()
    batch, k = 3, 7
    inputs, weights, cotangent = _sample(c, batch)
    one_call = parameter_shift_vjp(ReferenceBackend(), c, inputs, weights, cotangent)
    values = 8 * 2 * k * batch * c.n_observables  # float64 values of all 42 shifted points
    monkeypatch.setattr(parameter_shift, "MEMORY_BUDGET", values + 5 * 8 * k)  # 5 points a call
    backend = ReferenceBackend()
    chunked = parameter_shift_vjp(backend, c, inputs, weights, cotangent)
    assert (backend.counts.calls, backend.counts.circuits) == (9, 2 * k * batch)  # 8 x 5 + 2
    for got, expected in zip(chunked, one_call, strict=True):
        np.testing.assert_array_equal(got, expected)
    cost = parameter_shift_cost(backend, c, batch)
    assert (cost.calls, cost.parameter_sets) == (9, 2 * k * batch)


def test_vjp_refuses_a_gradient_whose_values_exceed_the_memory_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = _shared_circuit()
    inputs, weights, cotangent = _sample(c, 3)
    monkeypatch.setattr(parameter_shift, "MEMORY_BUDGET", 512)
    backend = ReferenceBackend()
    with pytest.raises(
        UnsupportedError,
        match=(
            r"gradient of 3 sample\(s\) x 7 gate angles needs 1.0 KiB for its values and one "
            r"shifted point, over the 512 bytes budget \(qrkt.backends.parameter_shift."
            r"MEMORY_BUDGET\); use a smaller batch or fewer layers"
        ),
    ):
        parameter_shift_vjp(backend, c, inputs, weights, cotangent)
    assert backend.counts.calls == 0
