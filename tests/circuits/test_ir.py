"""The circuit IR: validation with actionable messages, and value semantics."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from qrkt.circuits.ir import (
    Circuit,
    Gate,
    ParamKind,
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
from qrkt.errors import CircuitError, QrktError, UnknownNameError


def zz(*qubits: int) -> PauliString:
    return PauliString(tuple((q, "Z") for q in qubits))


# --- validation -------------------------------------------------------------------------------

BAD_CONSTRUCTIONS: dict[str, tuple[Callable[[], object], type[QrktError], str]] = {
    "qubit-out-of-range": (
        lambda: circuit(2, [rx(3, 0.1)]),
        CircuitError,
        r"acts on qubit 3, but the circuit has qubits 0\.\.1; raise n_qubits",
    ),
    "cnot-target-out-of-range": (
        lambda: circuit(2, [cnot(0, 2)]),
        CircuitError,
        r"acts on qubit 2, but the circuit has qubits 0\.\.1; raise n_qubits",
    ),
    "repeated-cnot-qubit": (
        lambda: cnot(1, 1),
        CircuitError,
        r"same qubit twice: qubits=\(1, 1\); control and target must differ",
    ),
    "input-index-beyond-n-inputs": (
        lambda: Circuit(2, (rx(0, input_param(2)),), n_inputs=2, n_weights=0),
        CircuitError,
        r"uses x2, but the circuit declares n_inputs=2; raise n_inputs to at least 3",
    ),
    "weight-index-beyond-n-weights": (
        lambda: Circuit(1, (rz(0, weight_param(1)),), n_inputs=0, n_weights=1),
        CircuitError,
        r"uses w1, but the circuit declares n_weights=1; raise n_weights to at least 2",
    ),
    "unknown-gate": (
        lambda: Gate("cz", (0, 1)),
        UnknownNameError,
        r"unknown gate 'cz'; known gates: cnot, h, rx, ry, rz",
    ),
    "nan-angle": (
        lambda: rx(0, float("nan")),
        CircuitError,
        r"non-finite constant angle nan; angles must be finite",
    ),
    "inf-angle": (
        lambda: ry(0, math.inf),
        CircuitError,
        r"non-finite constant angle inf; angles must be finite",
    ),
    "minus-inf-numpy-angle": (
        lambda: rz(0, np.float32("-inf")),
        CircuitError,
        r"non-finite constant angle .*-inf.*; angles must be finite",
    ),
    "bool-angle": (
        lambda: rx(0, True),
        CircuitError,
        r"needs an angle that is a Param \(input_param\(i\) or weight_param\(i\)\) or a real "
        r"number, got True",
    ),
    "angle-on-h": (
        lambda: Gate("h", (0,), 0.5),
        CircuitError,
        r"gate 'h' takes no angle, got angle=0\.5; drop the angle",
    ),
    "missing-angle-on-rx": (
        lambda: Gate("rx", (0,)),
        CircuitError,
        r"gate 'rx' needs an angle that is a Param .* got None",
    ),
    "non-z-pauli": (
        lambda: PauliString(((0, "X"),)),
        CircuitError,
        r"only Z Pauli strings are supported, got letters \['X'\]; rotate the basis",
    ),
    "observable-qubit-out-of-range": (
        lambda: circuit(2, [h(0)], observables=[z(3)]),
        CircuitError,
        # what was received, what was expected, and the fix (as for a gate out of range)
        r"observable Z3 acts on qubit 3, but the circuit has qubits 0\.\.1.*raise n_qubits",
    ),
}


@pytest.mark.parametrize("name", list(BAD_CONSTRUCTIONS))
def test_bad_construction_raises_actionable_error(name: str) -> None:
    build, error, message = BAD_CONSTRUCTIONS[name]
    with pytest.raises(error, match=message):
        build()


def test_unknown_gate_message_is_not_quoted_like_a_key_error() -> None:
    with pytest.raises(UnknownNameError) as raised:
        Gate("toffoli", (0, 1, 2))
    assert str(raised.value).startswith("unknown gate 'toffoli'")


# --- value semantics --------------------------------------------------------------------------


def _bell(angle: float = 0.5) -> Circuit:
    return circuit(2, [h(0), cnot(0, 1), rx(1, input_param(0)), rz(0, angle)])


def test_equal_circuits_are_equal_and_hash_alike() -> None:
    first, second = _bell(), _bell()
    assert first is not second
    assert first == second
    assert hash(first) == hash(second)
    assert _bell(0.5) != _bell(0.6)


def test_circuits_are_usable_as_dict_keys() -> None:
    table = {_bell(): "a", _bell(0.6): "b"}
    assert table[_bell()] == "a"
    assert table[_bell(0.6)] == "b"
    assert len({_bell(), _bell(), _bell(0.6)}) == 2


def test_integer_and_float_angles_are_the_same_gate() -> None:
    assert rx(0, 1) == rx(0, 1.0)
    assert hash(rx(0, 1)) == hash(rx(0, 1.0))
    assert isinstance(rx(0, 1).angle, float)


def test_gates_and_params_compare_by_value() -> None:
    assert input_param(1) == input_param(1)
    assert input_param(1) != weight_param(1)
    assert rx(0, weight_param(2)) == Gate("rx", [0], weight_param(2))
    assert rx(0, weight_param(2)) != ry(0, weight_param(2))
    assert {cnot(0, 1): 1}[cnot(0, 1)] == 1
    assert cnot(0, 1) != cnot(1, 0)


def test_pauli_strings_are_sorted_by_qubit() -> None:
    assert zz(2, 0) == zz(0, 2)
    assert hash(zz(2, 0)) == hash(zz(0, 2))
    assert zz(2, 0).qubits == (0, 2)


def test_circuit_infers_slot_counts_from_the_highest_index() -> None:
    c = circuit(2, [ry(0, input_param(2)), rx(1, weight_param(0)), rz(1, weight_param(4))])
    assert (c.n_inputs, c.n_weights) == (3, 5)


def test_circuit_without_parameters_has_no_slots() -> None:
    c = circuit(2, [h(0), cnot(0, 1), rx(1, 0.3)])
    assert (c.n_inputs, c.n_weights) == (0, 0)


def test_circuit_keeps_explicit_slot_counts() -> None:
    c = circuit(1, [ry(0, input_param(0))], n_inputs=3, n_weights=2)
    assert (c.n_inputs, c.n_weights) == (3, 2)


def test_default_observables_are_z_on_every_qubit_in_order() -> None:
    c = circuit(3, [h(1)])
    assert c.observables == (z(0), z(1), z(2))
    assert c.n_observables == 3
    assert c.reads_z_per_qubit
    assert c == circuit(3, [h(1)], observables=[z(0), z(1), z(2)])


def test_explicit_observables_are_kept_in_the_given_order() -> None:
    c = circuit(3, [h(1)], observables=[z(2), zz(0, 1)])
    assert c.observables == (z(2), zz(0, 1))
    assert not c.reads_z_per_qubit


def test_params_iterates_every_occurrence_in_gate_order() -> None:
    w0, x0, x1 = weight_param(0), input_param(0), input_param(1)
    c = circuit(2, [ry(0, x0), rx(0, w0), h(1), rz(0, w0), ry(1, x1), rx(1, x0), rz(1, 0.2)])
    assert list(c.params()) == [x0, w0, w0, x1, x0]
    assert list(c.params(ParamKind.INPUT)) == [x0, x1, x0]
    assert list(c.params(ParamKind.WEIGHT)) == [w0, w0]


def test_param_names() -> None:
    assert input_param(3).name == "x3"
    assert weight_param(0).name == "w0"
