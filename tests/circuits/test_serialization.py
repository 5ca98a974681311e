"""JSON export and import: exact round trips and helpful errors for malformed documents."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qrkt.circuits.ansatz import build_ansatz
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
from qrkt.circuits.serialization import from_dict, from_json, to_dict, to_json
from qrkt.errors import CircuitError, UnknownNameError


def random_circuit(seed: int) -> Circuit:
    """A random circuit with constants, repeated weights, unused slots and random observables."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    n_inputs, n_weights = int(rng.integers(0, 4)), int(rng.integers(0, 6))
    gates: list[Gate] = []
    for _ in range(int(rng.integers(0, 16))):
        name = str(rng.choice(["rx", "ry", "rz", "h", "cnot"]))
        if name == "cnot" and n > 1:
            control, target = rng.choice(n, size=2, replace=False)
            gates.append(cnot(int(control), int(target)))
        elif name in ("h", "cnot"):
            gates.append(h(int(rng.integers(n))))
        else:
            choices = ["const"] + ["input"] * (n_inputs > 0) + ["weight"] * (n_weights > 0)
            kind = rng.choice(choices)
            if kind == "input":
                angle = input_param(int(rng.integers(n_inputs)))
            elif kind == "weight":
                angle = weight_param(int(rng.integers(n_weights)))
            else:
                angle = float(rng.normal() * 3)
            gates.append(Gate(name, (int(rng.integers(n)),), angle))
    observables: tuple[PauliString, ...] = ()
    if rng.random() < 0.5:
        observables = tuple(
            PauliString(tuple((int(q), "Z") for q in rng.choice(n, size=k, replace=False)))
            for k in rng.integers(1, n + 1, size=int(rng.integers(1, 4)))
        )
    return Circuit(n, tuple(gates), n_inputs, n_weights, observables)


@pytest.mark.parametrize("name", ["qrkt", "cara"])
@pytest.mark.parametrize("n_qubits", [1, 2, 3, 6])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("tied", [True, False])
def test_ansatz_round_trip(name: str, n_qubits: int, layers: int, tied: bool) -> None:
    original = build_ansatz(name, n_qubits, layers, tied=tied)
    assert from_json(to_json(original)) == original


@pytest.mark.parametrize("seed", range(40))
def test_random_round_trip(seed: int) -> None:
    original = random_circuit(seed)
    assert from_json(to_json(original)) == original
    assert from_dict(to_dict(original)) == original


def test_constants_round_trip_exactly() -> None:
    angles = [0.1 + 0.2, math.pi, -math.pi + 1e-15, 1e-300, 5e-324, -2.5e17, 1 / 3, 0.0]
    original = circuit(1, [rx(0, a) for a in angles])
    restored = from_json(to_json(original))
    assert [g.angle for g in restored.gates] == angles
    assert all(type(g.angle) is float for g in restored.gates)


def test_unused_slots_and_observables_survive() -> None:
    original = circuit(
        3,
        [rx(1, weight_param(2))],
        n_inputs=4,
        n_weights=7,
        observables=[z(2), PauliString(((0, "Z"), (2, "Z")))],
    )
    restored = from_json(to_json(original))
    assert (restored.n_inputs, restored.n_weights) == (4, 7)
    assert restored.observables == original.observables


def test_document_layout() -> None:
    original = circuit(
        2,
        [ry(0, input_param(0)), rz(1, weight_param(3)), rx(0, 0.5), h(1), cnot(0, 1)],
        observables=[PauliString(((0, "Z"), (1, "Z")))],
    )
    document = json.loads(to_json(original))
    assert document == to_dict(original)
    assert document["format"] == "qrkt.circuit"
    assert document["version"] == 1
    assert (document["n_qubits"], document["n_inputs"], document["n_weights"]) == (2, 1, 4)
    assert document["gates"] == [
        {"gate": "ry", "qubits": [0], "angle": {"input": 0}},
        {"gate": "rz", "qubits": [1], "angle": {"weight": 3}},
        {"gate": "rx", "qubits": [0], "angle": 0.5},
        {"gate": "h", "qubits": [1]},
        {"gate": "cnot", "qubits": [0, 1]},
    ]
    assert document["observables"] == ["Z0 Z1"]
    assert '    {"gate": "cnot", "qubits": [0, 1]}\n' in to_json(original)


def test_empty_circuit_round_trip() -> None:
    original = Circuit(2, (), 0, 0)
    assert from_json(to_json(original)) == original


def _document(**changes: object) -> dict:
    document = to_dict(circuit(2, [rx(0, weight_param(0)), cnot(0, 1)]))
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", r"invalid JSON at line 1, column 2.*expected a qrkt circuit document"),
        ("[1, 2]", r"must be a JSON object, got list"),
        ('{"version": 1}', r"expected a document with format 'qrkt.circuit', got format=None"),
        ('{"format": "qiskit"}', r"got format='qiskit'.*not a qrkt circuit document"),
    ],
)
def test_malformed_json_text(text: str, match: str) -> None:
    with pytest.raises(CircuitError, match=match):
        from_json(text)


@pytest.mark.parametrize(
    "text", ["[" * 100_000 + "]" * 100_000, '{"a": ' * 100_000 + "1" + "}" * 100_000]
)
def test_deeply_nested_json_is_a_clear_error(text: str) -> None:
    with pytest.raises(CircuitError) as error:
        from_json(text)
    assert str(error.value) == (
        "invalid JSON: arrays or objects nested too deeply to read; a qrkt circuit document "
        "nests at most four levels (write documents with "
        "qrkt.circuits.serialization.to_json)"
    )


def test_non_text_input() -> None:
    with pytest.raises(CircuitError, match=r"needs the JSON text as str or bytes, got dict"):
        from_json({"format": "qrkt.circuit"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "match"),
    [
        (_document(version=2), r"unsupported qrkt.circuit version 2; this qrkt reads version 1"),
        (_document(version="1"), r"unsupported qrkt.circuit version '1'"),
        (_document(extra=1), r"unknown key\(s\) extra.*allows only format, version"),
        (_document(gates={"gate": "h"}), r"gates must be a JSON array, got dict"),
        (_document(observables="Z0"), r"observables must be a JSON array, got str"),
        (_document(gates=["h"]), r"gates\[0\] must be an object like"),
        (_document(gates=[{"gate": "h"}]), r"gates\[0\] has missing key\(s\) qubits"),
        (
            _document(gates=[{"gate": "h", "qubits": [0], "theta": 1}]),
            r"gates\[0\] has unknown key\(s\) theta",
        ),
        (_document(gates=[{"gate": "h", "qubits": 0}]), r"gates\[0\].qubits must be a JSON array"),
        (
            _document(gates=[{"gate": "rx", "qubits": [0], "angle": "0.5"}]),
            r"gates\[0\].angle must be a number, \{\"input\": i\} or \{\"weight\": i\}.*got '0.5'",
        ),
        (
            _document(gates=[{"gate": "rx", "qubits": [0], "angle": {"bias": 0}}]),
            r"gates\[0\].angle must be.*got \{'bias': 0\}",
        ),
        (
            _document(gates=[{"gate": "rx", "qubits": [0], "angle": True}]),
            r"gates\[0\].angle must be.*got True",
        ),
        (_document(observables=["X0"]), r"only Z Pauli strings are supported"),
        (_document(observables=["Z0 q1"]), r"observables\[0\] must be a Pauli string like"),
        (_document(observables=[["Z", 0]]), r"observables\[0\] must be a Pauli string"),
    ],
)
def test_malformed_documents(document: dict, match: str) -> None:
    with pytest.raises(CircuitError, match=match):
        from_dict(document)
    with pytest.raises(CircuitError, match=match):
        from_json(json.dumps(document))


def test_missing_keys_are_listed() -> None:
    document = _document()
    del document["n_weights"], document["gates"]
    with pytest.raises(CircuitError, match=r"missing key\(s\) n_weights, gates; version 1 needs"):
        from_dict(document)


def test_ir_validation_errors_propagate() -> None:
    with pytest.raises(CircuitError, match=r"uses w0, but the circuit declares n_weights=0"):
        from_dict(_document(n_weights=0))
    with pytest.raises(CircuitError, match=r"acts on qubit 5, but the circuit has qubits 0..1"):
        from_dict(_document(gates=[{"gate": "h", "qubits": [5]}]))
    with pytest.raises(CircuitError, match=r"n_qubits must be an integer >= 1, got 0"):
        from_dict(_document(n_qubits=0, gates=[], observables=[]))
    with pytest.raises(CircuitError, match=r"parameter index must be an integer >= 0, got -1"):
        from_dict(_document(gates=[{"gate": "rx", "qubits": [0], "angle": {"input": -1}}]))
    with pytest.raises(UnknownNameError, match=r"unknown gate 'swap'"):
        from_dict(_document(gates=[{"gate": "swap", "qubits": [0, 1]}]))
