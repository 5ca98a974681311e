"""Conversion of qrkt circuits to Cirq circuits with ``sympy`` symbols.

IR qubit ``j`` is ``cirq.LineQubit(j)``. Input slot ``i`` becomes the symbol ``x{i}`` and weight
slot ``i`` the symbol ``w{i}``; a weight used by several gates is one symbol used several
times, and constant angles stay floats. Cirq's gates follow REFERENCE §1 as they are:
``cirq.rx(t) = exp(-i t X / 2)`` (likewise ``ry``, ``rz``), ``cirq.H`` and ``cirq.CNOT``.

Bind values through :meth:`CirqCircuit.symbol_values` (columns in :attr:`CirqCircuit.symbols`
order) or :meth:`CirqCircuit.sweep`, never by sorting symbol names: ``w10`` sorts before ``w2``.

Cirq is an optional dependency, imported only when a function here is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qrkt.circuits.ir import Circuit, Param, ParamKind
from qrkt.dependencies import require
from qrkt.errors import CircuitError

if TYPE_CHECKING:
    import cirq
    import sympy


@dataclass(frozen=True, eq=False)
class CirqCircuit:
    """A qrkt circuit in Cirq.

    Attributes:
      circuit: the gates (and noise, if any), with ``cirq.I`` on every qubit no gate touches,
        so that simulators that only know a circuit's own qubits (TensorFlow Quantum) still
        see every qubit.
      qubits: ``LineQubit(0) ... LineQubit(n - 1)``, the order to simulate in.
      input_symbols: ``x0 ... x{n_inputs - 1}``, one per input slot, used or not.
      weight_symbols: ``w0 ... w{n_weights - 1}``, one per weight slot, used or not.
      observables: one ``cirq.PauliSum`` per IR observable, in order.
    """

    circuit: cirq.Circuit
    qubits: tuple[cirq.LineQubit, ...]
    input_symbols: tuple[sympy.Symbol, ...]
    weight_symbols: tuple[sympy.Symbol, ...]
    observables: tuple[cirq.PauliSum, ...]

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """Input symbols, then weight symbols: the column order of :meth:`symbol_values`."""
        return (*self.input_symbols, *self.weight_symbols)

    def symbol_values(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Every symbol's value for every sample, shape ``(B, n_inputs + n_weights)``."""
        inputs, weights = np.asarray(inputs), np.asarray(weights)
        if inputs.shape[1:] != (len(self.input_symbols),) or weights.shape != (
            len(self.weight_symbols),
        ):
            raise CircuitError(
                f"the Cirq circuit binds inputs of shape (B, {len(self.input_symbols)}) and "
                f"weights of shape ({len(self.weight_symbols)},), got {inputs.shape} and "
                f"{weights.shape}; pass the arguments of the circuit it was converted from"
            )
        tiled = np.broadcast_to(weights, (inputs.shape[0], weights.shape[0]))
        return np.concatenate([inputs, tiled], axis=1)

    def sweep(self, inputs: np.ndarray, weights: np.ndarray) -> cirq.Sweep:
        """One parameter resolver per sample, as a Cirq sweep."""
        import cirq

        values = self.symbol_values(inputs, weights)
        return cirq.ListSweep([dict(zip(self.symbols, row, strict=True)) for row in values])


def require_cirq(feature: str = "this feature") -> None:
    """Raise :class:`MissingDependencyError` naming the fix unless Cirq and sympy import."""
    require(feature, ["cirq", "sympy"], "cirq")


def to_cirq(circuit: Circuit, noise: cirq.NOISE_MODEL_LIKE = None) -> CirqCircuit:
    """The circuit's gates and observables in Cirq, with ``x{i}``/``w{i}`` symbols.

    ``noise`` (a ``cirq.NoiseModel`` or a channel) is applied after every moment.
    """
    require_cirq("to_cirq")
    import cirq
    import sympy

    if not isinstance(circuit, Circuit):
        raise CircuitError(f"to_cirq needs a qrkt Circuit, got {type(circuit).__name__}")
    qubits = tuple(cirq.LineQubit.range(circuit.n_qubits))
    counts = {ParamKind.INPUT: circuit.n_inputs, ParamKind.WEIGHT: circuit.n_weights}
    symbols = {
        kind: tuple(sympy.Symbol(Param(kind, i).name) for i in range(count))
        for kind, count in counts.items()
    }
    rotations = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}
    fixed = {"h": cirq.H, "cnot": cirq.CNOT}
    operations = []
    for gate in circuit.gates:
        targets = [qubits[q] for q in gate.qubits]
        if gate.angle is None:
            operations.append(fixed[gate.name].on(*targets))
            continue
        param = gate.param
        angle = gate.angle if param is None else symbols[param.kind][param.index]
        operations.append(rotations[gate.name](angle).on(*targets))
    touched = {q for gate in circuit.gates for q in gate.qubits}
    idle = [cirq.I(qubits[q]) for q in range(circuit.n_qubits) if q not in touched]
    observables = tuple(
        cirq.PauliSum.from_pauli_strings(
            cirq.PauliString({qubits[q]: getattr(cirq, letter) for q, letter in observable.terms})
        )
        for observable in circuit.observables
    )
    gates = cirq.Circuit(idle + operations)
    return CirqCircuit(
        gates if noise is None else gates.with_noise(noise),
        qubits,
        symbols[ParamKind.INPUT],
        symbols[ParamKind.WEIGHT],
        observables,
    )
