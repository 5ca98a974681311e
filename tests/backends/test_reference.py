"""The NumPy oracle against closed forms, its counters and batch independence."""

from __future__ import annotations

import numpy as np
import pytest

from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import (
    Circuit,
    Gate,
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
from qrkt.errors import BackendInputError

ANGLES = np.linspace(-np.pi, np.pi, 9)


def _run(c: Circuit, inputs: np.ndarray, weights: object = ()) -> np.ndarray:
    return ReferenceBackend().run(c, np.asarray(inputs, float), np.asarray(weights, float))


def zz(*qubits: int) -> PauliString:
    return PauliString(tuple((q, "Z") for q in qubits))


@pytest.mark.parametrize("name", ["rx", "ry"])
def test_rx_and_ry_from_zero_give_cos(name: str) -> None:
    values = _run(circuit(1, [Gate(name, (0,), input_param(0))]), ANGLES[:, None])
    np.testing.assert_allclose(values[:, 0], np.cos(ANGLES), atol=1e-12)


def test_rotation_by_a_weight_and_a_constant_agree() -> None:
    by_weight = _run(circuit(1, [ry(0, weight_param(0))]), np.zeros((1, 0)), [0.7])
    by_constant = _run(circuit(1, [ry(0, 0.7)]), np.zeros((1, 0)))
    np.testing.assert_allclose(by_weight, [[np.cos(0.7)]], atol=1e-12)
    np.testing.assert_allclose(by_constant, [[np.cos(0.7)]], atol=1e-12)


def test_rz_alone_gives_one() -> None:
    values = _run(circuit(1, [rz(0, input_param(0))]), ANGLES[:, None])
    np.testing.assert_allclose(values[:, 0], 1.0, atol=1e-12)


def test_h_gives_zero() -> None:
    np.testing.assert_allclose(_run(circuit(1, [h(0)]), np.zeros((1, 0))), [[0.0]], atol=1e-12)


def test_h_rz_h_gives_cos() -> None:
    c = circuit(1, [h(0), rz(0, input_param(0)), h(0)])
    np.testing.assert_allclose(_run(c, ANGLES[:, None])[:, 0], np.cos(ANGLES), atol=1e-12)


@pytest.mark.parametrize(("control", "target"), [(0, 1), (1, 0)])
@pytest.mark.parametrize("bit", [0, 1])
def test_cnot_copies_a_basis_bit(control: int, target: int, bit: int) -> None:
    prepare = [rx(control, np.pi)] if bit else []
    values = _run(circuit(2, [*prepare, cnot(control, target)]), np.zeros((1, 0)))
    sign = -1.0 if bit else 1.0
    np.testing.assert_allclose(values, [[sign, sign]], atol=1e-12)


def test_cnot_leaves_a_spectator_and_an_untouched_control_alone() -> None:
    c = circuit(3, [rx(2, np.pi), cnot(0, 1)])
    np.testing.assert_allclose(_run(c, np.zeros((1, 0))), [[1.0, 1.0, -1.0]], atol=1e-12)


def test_bell_state() -> None:
    c = circuit(2, [h(0), cnot(0, 1)], observables=[z(0), z(1), zz(0, 1)])
    np.testing.assert_allclose(_run(c, np.zeros((1, 0))), [[0.0, 0.0, 1.0]], atol=1e-12)


def test_z_product_of_a_product_state_is_the_product() -> None:
    c = circuit(
        3,
        [ry(0, input_param(0)), ry(2, input_param(1))],
        observables=[zz(0, 2), z(0), z(2), zz(0, 1, 2)],
    )
    a, b = 0.4, -1.3
    expected = [[np.cos(a) * np.cos(b), np.cos(a), np.cos(b), np.cos(a) * np.cos(b)]]
    np.testing.assert_allclose(_run(c, [[a, b]]), expected, atol=1e-12)


def test_output_is_float64_with_one_column_per_observable() -> None:
    c = circuit(2, [h(0)], observables=[zz(0, 1)])
    values = _run(c, np.zeros((4, 0)))
    assert values.shape == (4, 1)
    assert values.dtype == np.float64


def test_counts_record_calls_and_circuits() -> None:
    backend = ReferenceBackend()
    c = qrkt_ansatz(2)
    assert (backend.counts.calls, backend.counts.circuits, backend.counts.shots) == (0, 0, 0)
    backend.run(c, np.zeros((5, 2)), np.zeros(2))
    assert (backend.counts.calls, backend.counts.circuits) == (1, 5)
    backend.run(c, np.zeros((3, 2)), np.zeros(2))
    assert (backend.counts.calls, backend.counts.circuits, backend.counts.shots) == (2, 8, 0)
    backend.counts.reset()
    assert (backend.counts.calls, backend.counts.circuits) == (0, 0)


def test_rejected_call_is_not_counted() -> None:
    backend = ReferenceBackend()
    with pytest.raises(BackendInputError, match=r"inputs must have shape \(batch, 2\)"):
        backend.run(qrkt_ansatz(2), np.zeros((5, 3)), np.zeros(2))
    assert backend.counts.calls == 0


def test_batch_rows_are_independent() -> None:
    c = qrkt_ansatz(3, 2)
    rng = np.random.default_rng(0)
    inputs, weights = rng.uniform(-np.pi, np.pi, (6, 3)), rng.uniform(-np.pi, np.pi, 6)
    batched = _run(c, inputs, weights)
    one_by_one = np.concatenate([_run(c, row[None], weights) for row in inputs])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-12)
    order = rng.permutation(6)
    np.testing.assert_allclose(_run(c, inputs[order], weights), batched[order], atol=1e-12)
    changed = inputs.copy()
    changed[2] += 1.0
    others = [0, 1, 3, 4, 5]
    np.testing.assert_allclose(_run(c, changed, weights)[others], batched[others], atol=1e-12)
