"""Conversion between qrkt circuits and Qiskit ``QuantumCircuit`` objects.

IR qubit ``j`` is Qiskit qubit ``j``. Inputs become ``ParameterVector("x", n_inputs)`` and
weights ``ParameterVector("w", n_weights)``; a weight used by several gates is one Qiskit
parameter used several times. Bind values through :func:`parameter_slots` or
:func:`parameter_values`, never by the order of ``QuantumCircuit.parameters``: it sorts
plain ``Parameter`` objects by name (``_w_10_`` before ``_w_2_`` after an OpenQASM 3 round
trip), and only ``ParameterVector`` elements by index.

Qiskit is an optional dependency, imported only when a function here is called.
"""

from __future__ import annotations

import numbers
import re
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from qrkt.circuits.ir import Circuit, Gate, Param, ParamKind
from qrkt.dependencies import require
from qrkt.errors import CircuitError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

#: Qiskit gate name -> IR gate name, for the gates qrkt understands.
QISKIT_TO_IR = {"rx": "rx", "ry": "ry", "rz": "rz", "h": "h", "cx": "cnot"}
IR_TO_QISKIT = {ir: qk for qk, ir in QISKIT_TO_IR.items()}

# x[3] (ParameterVector element), x3 (Param.name) and _x_3_ (what qiskit.qasm3 makes of x[3]).
_PARAM_NAME = re.compile(r"(?:([xw])\[(\d+)\]|([xw])(\d+)|_([xw])_(\d+)_)")
_KINDS = {"x": ParamKind.INPUT, "w": ParamKind.WEIGHT}


def require_qiskit(feature: str = "this feature") -> ModuleType:
    """Import and return ``qiskit``, or raise :class:`MissingDependencyError` naming the fix."""
    require(feature, ["qiskit"], "qiskit")
    import qiskit

    return qiskit


def to_qiskit(circuit: Circuit) -> QuantumCircuit:
    """The circuit's gates as a Qiskit circuit with ``x``/``w`` parameter vectors.

    Observables are not part of the result; see :func:`observables_to_sparse_pauli`.
    """
    require_qiskit("to_qiskit")
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    if not isinstance(circuit, Circuit):
        raise CircuitError(f"to_qiskit needs a qrkt Circuit, got {type(circuit).__name__}")
    vectors = {
        ParamKind.INPUT: ParameterVector("x", circuit.n_inputs),
        ParamKind.WEIGHT: ParameterVector("w", circuit.n_weights),
    }
    qc = QuantumCircuit(circuit.n_qubits)
    for gate in circuit.gates:
        angle = gate.angle
        if isinstance(angle, Param):
            angle = vectors[angle.kind][angle.index]
        args = () if angle is None else (angle,)
        getattr(qc, IR_TO_QISKIT[gate.name])(*args, *gate.qubits)
    return qc


def parse_parameter_name(name: str) -> Param | None:
    """The slot a Qiskit parameter name stands for (``x[3]``, ``x3`` or ``_x_3_``), else None."""
    match = _PARAM_NAME.fullmatch(name)
    if match is None:
        return None
    letter, index = (group for group in match.groups() if group is not None)
    return Param(_KINDS[letter], int(index))


def parameter_slots(qc: QuantumCircuit) -> dict[Parameter, Param]:
    """Map each parameter of ``qc`` to its qrkt slot, resolved by name (not by position)."""
    slots: dict[Parameter, Param] = {}
    names: dict[Param, str] = {}
    for parameter in qc.parameters:
        slot = parse_parameter_name(parameter.name)
        if slot is None:
            raise CircuitError(
                f"Qiskit parameter {parameter.name!r} is not named like an input or weight slot; "
                "expected x[i] / w[i] (or x{i}, w{i}, _x_{i}_, _w_{i}_); rename the parameter"
            )
        if slot in names:
            raise CircuitError(
                f"Qiskit parameters {names[slot]!r} and {parameter.name!r} both name slot "
                f"{slot.name}; use one parameter per slot"
            )
        slots[parameter], names[slot] = slot, parameter.name
    return slots


def parameter_values(qc: QuantumCircuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Values for ``qc.parameters``, in that order, for every sample: shape (B, num_parameters).

    ``inputs`` has shape (B, n_inputs) and ``weights`` shape (n_weights,). The columns follow
    ``qc.parameters`` as Qiskit's primitives expect, each looked up through its slot.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if inputs.ndim != 2 or weights.ndim != 1:
        raise CircuitError(
            f"parameter_values needs inputs of shape (B, n_inputs) and weights of shape "
            f"(n_weights,), got {inputs.shape} and {weights.shape}"
        )
    slots = parameter_slots(qc)
    values = np.empty((inputs.shape[0], len(slots)))
    for column, (parameter, slot) in enumerate(slots.items()):
        is_input = slot.kind is ParamKind.INPUT
        size = inputs.shape[1] if is_input else weights.shape[0]
        if slot.index >= size:
            field = "inputs.shape[1]" if is_input else "weights.shape[0]"
            raise CircuitError(
                f"Qiskit parameter {parameter.name!r} needs slot {slot.name}, but {field} is "
                f"{size}; pass at least {slot.index + 1} values"
            )
        values[:, column] = inputs[:, slot.index] if is_input else weights[slot.index]
    return values


def from_qiskit(
    qc: QuantumCircuit, *, n_inputs: int | None = None, n_weights: int | None = None
) -> Circuit:
    """A qrkt circuit from a Qiskit circuit of rx, ry, rz, h and cx gates.

    Each angle must be a number or a single parameter named like ``x[i]``/``w[i]`` (also
    ``x{i}``, ``_x_{i}_``). ``n_inputs`` and ``n_weights`` default to one past the largest
    index used. The global phase is dropped: it changes no expectation value. The result reads
    ``Z_j`` on every qubit.
    """
    require_qiskit("from_qiskit")
    from qiskit import QuantumCircuit

    if not isinstance(qc, QuantumCircuit):
        raise CircuitError(f"from_qiskit needs a qiskit QuantumCircuit, got {type(qc).__name__}")
    supported = ", ".join(QISKIT_TO_IR)
    if qc.num_clbits:
        raise CircuitError(
            f"the Qiskit circuit has {qc.num_clbits} classical bit(s); qrkt circuits have no "
            "classical bits or measurements; remove them (e.g. qc.remove_final_measurements())"
        )
    gates = []
    for position, instruction in enumerate(qc.data):
        operation = instruction.operation
        name = QISKIT_TO_IR.get(operation.name)
        if name is None:
            raise CircuitError(
                f"instruction {position} is {operation.name!r}, which qrkt does not support; "
                f"supported gates: {supported}; transpile the circuit to that basis first"
            )
        qubits = tuple(qc.find_bit(qubit).index for qubit in instruction.qubits)
        angle = None
        if operation.params:
            angle = _angle(position, operation.name, operation.params[0])
        gates.append(Gate(name, qubits, angle))
    parameter_slots(qc)  # rejects two parameters naming one slot, e.g. x0 and x[0]

    def count(kind: ParamKind) -> int:
        used = [g.param.index for g in gates if g.param is not None and g.param.kind is kind]
        return 1 + max(used, default=-1)

    return Circuit(
        qc.num_qubits,
        tuple(gates),
        count(ParamKind.INPUT) if n_inputs is None else n_inputs,
        count(ParamKind.WEIGHT) if n_weights is None else n_weights,
    )


def _angle(position: int, gate_name: str, value: object) -> Param | float:
    from qiskit.circuit import Parameter, ParameterExpression

    where = f"instruction {position} ({gate_name})"
    if isinstance(value, Parameter):
        slot = parse_parameter_name(value.name)
        if slot is None:
            raise CircuitError(
                f"{where} uses parameter {value.name!r}; expected a parameter named x[i] or "
                "w[i] (or x{i}, w{i}); rename it with qc.assign_parameters({old: new})"
            )
        return slot
    if isinstance(value, ParameterExpression):
        if not value.parameters:
            return float(value)
        raise CircuitError(
            f"{where} has the angle expression {value}; expected a number or exactly one "
            "parameter x[i] / w[i]; rewrite it with a fresh parameter or bind it to a number"
        )
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise CircuitError(
        f"{where} has the angle {value!r} of type {type(value).__name__}; expected a number or "
        "one parameter x[i] / w[i]"
    )


def observables_to_sparse_pauli(circuit: Circuit) -> list[SparsePauliOp]:
    """One ``SparsePauliOp`` per observable, in Qiskit's little-endian labels.

    ``Z`` on qubit ``j`` of an ``n``-qubit circuit is the label with ``'Z'`` at string
    position ``n - 1 - j``, e.g. ``Z_0`` on 3 qubits is ``"IIZ"``.
    """
    require_qiskit("observables_to_sparse_pauli")
    from qiskit.quantum_info import SparsePauliOp

    n = circuit.n_qubits
    operators = []
    for observable in circuit.observables:
        label = ["I"] * n
        for qubit, letter in observable.terms:
            label[n - 1 - qubit] = letter
        operators.append(SparsePauliOp("".join(label)))
    return operators
