"""Conversion to Cirq: gate conventions against reference, symbols, idle qubits, observables."""

from __future__ import annotations

import sys

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")
sympy = pytest.importorskip("sympy")

from qrkt.backends.reference import ReferenceBackend, rotation  # noqa: E402
from qrkt.circuits.ansatz import build_ansatz  # noqa: E402
from qrkt.circuits.cirq_convert import to_cirq  # noqa: E402
from qrkt.circuits.ir import (  # noqa: E402
    PauliString,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    ry,
    rz,
    weight_param,
)
from qrkt.errors import CircuitError, MissingDependencyError  # noqa: E402
from qrkt.testing import random_circuit, sample_arguments  # noqa: E402


@pytest.mark.parametrize("axis", ["x", "y", "z"])
@pytest.mark.parametrize("theta", [-2.5, 0.0, 0.7, np.pi])
def test_rotations_follow_reference(axis: str, theta: float) -> None:
    gate = {"x": rx, "y": ry, "z": rz}[axis](0, theta)
    converted = to_cirq(circuit(1, [gate])).circuit
    np.testing.assert_allclose(cirq.unitary(converted), rotation(axis, theta), atol=1e-12)


def test_hadamard_and_cnot_control_target_on_line_qubits() -> None:
    np.testing.assert_allclose(
        cirq.unitary(to_cirq(circuit(1, [h(0)])).circuit),
        np.array([[1, 1], [1, -1]]) / np.sqrt(2),
        atol=1e-12,
    )
    # CNOT(1, 0) on LineQubits 0, 1 (qubit 0 the most significant): |01> <-> |11>.
    converted = to_cirq(circuit(2, [cnot(1, 0)]))
    unitary = cirq.unitary(converted.circuit)
    np.testing.assert_array_equal(np.abs(unitary), np.eye(4)[[0, 3, 2, 1]])
    assert converted.qubits == tuple(cirq.LineQubit.range(2))


def test_final_states_match_reference_on_random_circuits() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 4):
        c = random_circuit(rng, n)
        converted = to_cirq(c)
        inputs, weights = sample_arguments(c, batch=3)
        states = cirq.Simulator(dtype=np.complex128).simulate_sweep(
            converted.circuit, converted.sweep(inputs, weights), qubit_order=converted.qubits
        )
        expected = ReferenceBackend().run(c, inputs, weights)
        for sample, state in enumerate(states):
            values = [
                observable.expectation_from_state_vector(
                    state.final_state_vector, {q: j for j, q in enumerate(converted.qubits)}
                ).real
                for observable in converted.observables
            ]
            np.testing.assert_allclose(values, expected[sample], atol=1e-10)


def test_a_weight_in_two_gates_is_one_symbol_used_twice_and_constants_stay_floats() -> None:
    w0 = weight_param(0)
    c = circuit(2, [ry(0, input_param(0)), rx(0, w0), rz(1, w0), ry(1, 0.25)], n_weights=2)
    converted = to_cirq(c)
    assert [str(s) for s in converted.symbols] == ["x0", "w0", "w1"]
    used = [s for op in converted.circuit.all_operations() for s in cirq.parameter_symbols(op)]
    assert sorted(map(str, used)) == ["w0", "w0", "x0"]
    assert converted.circuit.operation_at(cirq.LineQubit(1), 1).gate == cirq.ry(0.25)


def test_symbol_values_follow_slot_order_not_name_order() -> None:
    c = build_ansatz("qrkt", 6, 2, tied=False)  # 24 weights: w10 sorts before w2 by name
    converted = to_cirq(c)
    inputs, weights = sample_arguments(c, batch=2)
    values = converted.symbol_values(inputs, weights)
    assert [str(s) for s in converted.symbols] == [f"x{i}" for i in range(6)] + [
        f"w{i}" for i in range(24)
    ]
    np.testing.assert_array_equal(values[:, 6:], np.tile(weights, (2, 1)))
    resolver = list(converted.sweep(inputs, weights))[1]
    assert resolver.value_of(sympy.Symbol("w10")) == weights[10]
    assert resolver.value_of(sympy.Symbol("x5")) == inputs[1, 5]


def test_idle_qubits_get_an_identity_and_observables_are_pauli_sums() -> None:
    zz = PauliString(((0, "Z"), (2, "Z")))
    c = circuit(3, [ry(0, input_param(0)), cnot(0, 2)], observables=[zz, PauliString(((1, "Z"),))])
    converted = to_cirq(c)
    assert converted.circuit.all_qubits() == set(cirq.LineQubit.range(3))
    q = converted.qubits
    assert converted.observables == (
        cirq.PauliSum.from_pauli_strings(cirq.Z(q[0]) * cirq.Z(q[2])),
        cirq.PauliSum.from_pauli_strings(cirq.Z(q[1])),
    )


def test_a_circuit_without_parameters_sweeps_one_point_per_sample() -> None:
    converted = to_cirq(circuit(1, [h(0)]))
    assert converted.symbols == ()
    assert len(list(converted.sweep(np.zeros((3, 0)), np.zeros(0)))) == 3


def test_noise_is_added_after_every_moment() -> None:
    c = circuit(1, [ry(0, 0.3), rx(0, 0.2)])
    converted, noisy = to_cirq(c), to_cirq(c, cirq.depolarize(0.1))
    assert len(noisy.circuit) == 2 * len(converted.circuit)
    assert noisy.symbols == converted.symbols and noisy.qubits == converted.qubits


def test_errors_say_what_was_received() -> None:
    with pytest.raises(CircuitError, match="to_cirq needs a qrkt Circuit, got str"):
        to_cirq("qrkt")  # type: ignore[arg-type]
    converted = to_cirq(build_ansatz("qrkt", 3))
    with pytest.raises(CircuitError, match=r"inputs of shape \(B, 3\).*got \(2, 2\) and \(3,\)"):
        converted.symbol_values(np.zeros((2, 2)), np.zeros(3))


def test_missing_cirq_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cirq", None)
    with pytest.raises(MissingDependencyError, match=r"to_cirq needs cirq.*qrkt\[cirq\]"):
        to_cirq(build_ansatz("qrkt", 2))
