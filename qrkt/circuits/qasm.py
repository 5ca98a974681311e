"""OpenQASM 3 export and import through ``qiskit.qasm3``.

:func:`to_qasm3` writes a header comment before Qiskit's output::

    // qrkt: n_inputs=6 n_weights=6
    OPENQASM 3.0;
    include "stdgates.inc";
    input float[64] _w_0_;
    ...

OpenQASM declares only the parameters that gates use, so the comment keeps unused slots (and
observables other than ``Z_j`` on every qubit, as ``observables=Z0,Z0*Z2``). Qiskit writes
``x[3]`` as ``_x_3_`` and reads it back as a plain ``Parameter`` named ``_x_3_``, listed in
alphabetical order; :func:`from_qasm3` therefore restores slots by name. Constants are written
as plain floats (``disable_constants=True``): Qiskit's default rewrites angles near multiples of
pi as ``pi`` expressions and rounds tiny angles to 0, which would not round-trip exactly.
"""

from __future__ import annotations

import re
from typing import Any

from qrkt.circuits.ir import Circuit, PauliString
from qrkt.circuits.qiskit_convert import from_qiskit, require_qiskit, to_qiskit
from qrkt.dependencies import require
from qrkt.errors import CircuitError

HEADER = "// qrkt:"
_HEADER_LINE = re.compile(r"^[ \t]*//[ \t]*qrkt:(.*)$", re.MULTILINE)
_HEADER_KEYS = ("n_inputs", "n_weights", "observables")
_HEADER_FORM = "// qrkt: n_inputs=<int> n_weights=<int> [observables=Z0,Z0*Z1]"
_EXPECTED = "OpenQASM 3 as written by qrkt.circuits.qasm.to_qasm3 or qiskit.qasm3.dumps"


def to_qasm3(circuit: Circuit) -> str:
    """The circuit as OpenQASM 3 text, led by a ``// qrkt:`` comment with its slot counts."""
    require_qiskit("to_qasm3")
    from qiskit import qasm3

    header = f"{HEADER} n_inputs={circuit.n_inputs} n_weights={circuit.n_weights}"
    if not circuit.reads_z_per_qubit:
        terms = ("*".join(f"{p}{q}" for q, p in obs.terms) for obs in circuit.observables)
        header += " observables=" + ",".join(terms)
    return header + "\n" + qasm3.dumps(to_qiskit(circuit), disable_constants=True)


def from_qasm3(text: str) -> Circuit:
    """Read OpenQASM 3 text of rx, ry, rz, h and cx gates on parameters ``x*``/``w*``.

    Slot counts and observables come from a ``// qrkt:`` comment when present; otherwise the
    counts are one past the largest index used and every qubit reads ``Z_j``.
    """
    if not isinstance(text, str):
        raise CircuitError(
            f"from_qasm3 needs the OpenQASM 3 text as str, got {type(text).__name__}"
        )
    require("from_qasm3", ["qiskit", "qiskit_qasm3_import"], "qiskit")
    from qiskit import qasm3

    header = _read_header(text)
    if not _HEADER_LINE.sub("", text).strip():
        raise CircuitError(f"the OpenQASM 3 text is empty; expected {_EXPECTED}")
    try:
        qc = qasm3.loads(text)
    except Exception as err:  # the parser raises several unrelated exception types
        raise CircuitError(
            f"could not parse the OpenQASM 3 text ({_parse_failure(err)}); expected {_EXPECTED}"
        ) from err
    circuit = from_qiskit(qc, n_inputs=header.get("n_inputs"), n_weights=header.get("n_weights"))
    observables = header.get("observables")
    if observables is None:
        return circuit
    return Circuit(
        circuit.n_qubits, circuit.gates, circuit.n_inputs, circuit.n_weights, observables
    )


def _parse_failure(err: Exception) -> str:
    """Why Qiskit's importer refused the text, where its exceptions do not say."""
    if isinstance(err, IndexError):
        return (
            "an index is out of range: every q[i] needs i below the n of its qubit[n] declaration"
        )
    if str(err):
        return f"{type(err).__name__}: {err}"
    # openqasm3 raises an empty QASM3ParsingError from ANTLR's error, which holds the token
    cause = err.__cause__
    token = getattr(cause.args[0] if cause and cause.args else None, "offendingToken", None)
    if token is None:
        return f"{type(err).__name__}, with no reason given"
    what = "end of text" if token.text == "<EOF>" else repr(token.text)
    return (
        f"{type(err).__name__}: syntax error at line {token.line}, column {token.column + 1}: "
        f"unexpected {what}, often a missing ';' before it"
    )


def _read_header(text: str) -> dict[str, Any]:
    """The fields of the ``// qrkt:`` comment, or an empty dict when there is none."""
    match = _HEADER_LINE.search(text)
    if match is None:
        return {}
    fields: dict[str, Any] = {}
    for item in match.group(1).split():
        key, sep, value = item.partition("=")
        if not sep or key not in _HEADER_KEYS or key in fields:
            raise CircuitError(
                f"malformed qrkt header item {item!r} in {match.group(0).strip()!r}; expected "
                f"{_HEADER_FORM}"
            )
        if key == "observables":
            fields[key] = tuple(
                _parse_observable(term, match.group(0)) for term in value.split(",")
            )
        elif value.isdigit():
            fields[key] = int(value)
        else:
            raise CircuitError(
                f"qrkt header field {key}={value!r} must be an integer >= 0; "
                f"expected {_HEADER_FORM}"
            )
    return fields


def _parse_observable(term: str, line: str) -> PauliString:
    factors = [re.fullmatch(r"([A-Z])(\d+)", factor) for factor in term.split("*")]
    if not all(factors):
        raise CircuitError(
            f"malformed observable {term!r} in {line.strip()!r}; expected Pauli products like "
            "Z0 or Z0*Z2, comma-separated"
        )
    return PauliString(tuple((int(m.group(2)), m.group(1)) for m in factors if m))
