"""Lossless JSON export and import of circuits.

A document looks like::

    {
      "format": "qrkt.circuit",
      "version": 1,
      "n_qubits": 2,
      "n_inputs": 2,
      "n_weights": 1,
      "gates": [
        {"gate": "ry", "qubits": [0], "angle": {"input": 0}},
        {"gate": "rx", "qubits": [1], "angle": {"weight": 0}},
        {"gate": "rz", "qubits": [1], "angle": 0.5},
        {"gate": "cnot", "qubits": [0, 1]}
      ],
      "observables": ["Z0", "Z1", "Z0 Z1"]
    }

Constant angles are written with Python's shortest round-tripping float repr, so
``from_json(to_json(c)) == c`` holds exactly. Structural problems in a document raise
:class:`~qrkt.errors.CircuitError`; the IR's own validation errors pass through unchanged.
"""

from __future__ import annotations

import json
import numbers
import re
from typing import Any

from qrkt.circuits.ir import Circuit, Gate, Param, ParamKind, PauliString
from qrkt.errors import CircuitError

FORMAT = "qrkt.circuit"
VERSION = 1

_KEYS = ("format", "version", "n_qubits", "n_inputs", "n_weights", "gates", "observables")
_GATE_KEYS = ("gate", "qubits", "angle")
_PAULI_TERM = re.compile(r"([A-Z])(\d+)")
_HOW_TO_WRITE = "write documents with qrkt.circuits.serialization.to_json"


def to_dict(circuit: Circuit) -> dict[str, Any]:
    """The circuit as a JSON-ready dict (see the module docstring for the layout)."""
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"to_dict needs a qrkt Circuit, got {type(circuit).__name__}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "n_qubits": circuit.n_qubits,
        "n_inputs": circuit.n_inputs,
        "n_weights": circuit.n_weights,
        "gates": [_gate_to_dict(gate) for gate in circuit.gates],
        "observables": [str(observable) for observable in circuit.observables],
    }


def to_json(circuit: Circuit) -> str:
    """The circuit as a JSON document, one gate per line."""
    document = to_dict(circuit)
    lines = [f"  {json.dumps(key)}: {_dumps(document[key])}," for key in _KEYS[:5]]
    gates = [f"    {_dumps(gate)}" for gate in document["gates"]]
    lines.append('  "gates": [' + ("\n" + ",\n".join(gates) + "\n  " if gates else "") + "],")
    lines.append(f'  "observables": {_dumps(document["observables"])}')
    return "{\n" + "\n".join(lines) + "\n}\n"


def from_json(text: str | bytes) -> Circuit:
    """Read a circuit written by :func:`to_json`."""
    if not isinstance(text, str | bytes | bytearray):
        raise CircuitError(
            f"from_json needs the JSON text as str or bytes, got {type(text).__name__}; "
            "pass the file's contents, e.g. from_json(path.read_text())"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise CircuitError(
            f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}; expected a "
            f"qrkt circuit document ({_HOW_TO_WRITE})"
        ) from err
    except RecursionError:
        raise CircuitError(
            "invalid JSON: arrays or objects nested too deeply to read; a qrkt circuit "
            f"document nests at most four levels ({_HOW_TO_WRITE})"
        ) from None
    return from_dict(document)


def from_dict(document: dict[str, Any]) -> Circuit:
    """Build a circuit from a dict in the layout of :func:`to_dict`."""
    if not isinstance(document, dict):
        raise CircuitError(
            f"a qrkt circuit document must be a JSON object, got {type(document).__name__}; "
            f"{_HOW_TO_WRITE}"
        )
    fmt = document.get("format")
    if fmt != FORMAT:
        raise CircuitError(
            f"expected a document with format {FORMAT!r}, got format={fmt!r}; this is not a "
            f"qrkt circuit document ({_HOW_TO_WRITE})"
        )
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise CircuitError(
            f"unsupported {FORMAT} version {version!r}; this qrkt reads version {VERSION}; "
            "upgrade qrkt or export the circuit again with this version"
        )
    missing = [key for key in _KEYS if key not in document]
    if missing:
        raise CircuitError(
            f"{FORMAT} document is missing key(s) {', '.join(missing)}; version {VERSION} "
            f"needs keys {', '.join(_KEYS)}"
        )
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise CircuitError(
            f"{FORMAT} document has unknown key(s) {', '.join(map(str, unknown))}; version "
            f"{VERSION} allows only {', '.join(_KEYS)}; remove them"
        )
    gates = _expect_list(document["gates"], "gates")
    observables = _expect_list(document["observables"], "observables")
    return Circuit(
        document["n_qubits"],
        tuple(_gate_from_dict(position, entry) for position, entry in enumerate(gates)),
        document["n_inputs"],
        document["n_weights"],
        tuple(_observable_from_str(position, entry) for position, entry in enumerate(observables)),
    )


def _dumps(value: object) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _gate_to_dict(gate: Gate) -> dict[str, Any]:
    entry: dict[str, Any] = {"gate": gate.name, "qubits": list(gate.qubits)}
    if isinstance(gate.angle, Param):
        entry["angle"] = {gate.angle.kind.value: gate.angle.index}
    elif gate.angle is not None:
        entry["angle"] = gate.angle
    return entry


def _gate_from_dict(position: int, entry: object) -> Gate:
    where = f"gates[{position}]"
    if not isinstance(entry, dict):
        raise CircuitError(
            f'{where} must be an object like {{"gate": "rx", "qubits": [0], "angle": '
            f'{{"weight": 0}}}}, got {entry!r}'
        )
    missing = [key for key in ("gate", "qubits") if key not in entry]
    unknown = sorted(map(str, set(entry) - set(_GATE_KEYS)))
    if missing or unknown:
        problem = f"missing key(s) {', '.join(missing)}" if missing else ""
        problem += ("; " if missing and unknown else "") + (
            f"unknown key(s) {', '.join(unknown)}" if unknown else ""
        )
        raise CircuitError(
            f"{where} has {problem}; a gate needs keys 'gate' and 'qubits' and, for rotations, "
            f"'angle', got {entry!r}"
        )
    qubits = _expect_list(entry["qubits"], f"{where}.qubits")
    angle = _angle_from_json(where, entry["angle"]) if "angle" in entry else None
    return Gate(entry["gate"], tuple(qubits), angle)


def _angle_from_json(where: str, value: object) -> Param | float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict) and len(value) == 1:
        ((kind, index),) = value.items()
        if kind in ("input", "weight") and isinstance(index, int) and not isinstance(index, bool):
            return Param(ParamKind(kind), index)
    raise CircuitError(
        f'{where}.angle must be a number, {{"input": i}} or {{"weight": i}} with an integer '
        f"i >= 0, got {value!r}"
    )


def _observable_from_str(position: int, entry: object) -> PauliString:
    tokens = entry.split() if isinstance(entry, str) else []
    matches = [_PAULI_TERM.fullmatch(token) for token in tokens]
    if not tokens or not all(matches):
        raise CircuitError(
            f'observables[{position}] must be a Pauli string like "Z0" or "Z0 Z2" '
            f"(letter then qubit, space-separated), got {entry!r}"
        )
    return PauliString(tuple((int(m.group(2)), m.group(1)) for m in matches if m))


def _expect_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise CircuitError(f"{where} must be a JSON array, got {type(value).__name__} {value!r}")
    return value
