"""The circuit IR, ansatz builders, and export to JSON, OpenQASM 3, Qiskit, Cirq and text."""

from qrkt.circuits.ansatz import ANSATZE, AnsatzSpec, build_ansatz, cara_ansatz, qrkt_ansatz
from qrkt.circuits.cirq_convert import to_cirq
from qrkt.circuits.drawing import draw
from qrkt.circuits.ir import (
    GATES,
    Circuit,
    Gate,
    Param,
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
from qrkt.circuits.qasm import from_qasm3, to_qasm3
from qrkt.circuits.qiskit_convert import from_qiskit, to_qiskit
from qrkt.circuits.serialization import from_dict, from_json, to_dict, to_json

__all__ = [
    "ANSATZE",
    "GATES",
    "AnsatzSpec",
    "Circuit",
    "Gate",
    "Param",
    "ParamKind",
    "PauliString",
    "build_ansatz",
    "cara_ansatz",
    "circuit",
    "cnot",
    "draw",
    "from_dict",
    "from_json",
    "from_qasm3",
    "from_qiskit",
    "h",
    "input_param",
    "qrkt_ansatz",
    "rx",
    "ry",
    "rz",
    "to_cirq",
    "to_dict",
    "to_json",
    "to_qasm3",
    "to_qiskit",
    "weight_param",
    "z",
]
