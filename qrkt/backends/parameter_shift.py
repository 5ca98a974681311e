"""The parameter-shift rule: exact gradients from the backend's own expectation values.

For a rotation ``R(t) = exp(-i t P / 2)``, ``d<O>/dt = (<O>(t + pi/2) - <O>(t - pi/2)) / 2``.
A parameter that occurs in several gates sums the derivatives of its occurrences. Every gate
angle is first made its own input slot (:func:`occurrence_circuit`); then all ``2K`` shifted
points of all ``B`` samples are evaluated in ONE backend call of ``2KB`` parameter sets, so a
hardware backend pays for one job per gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.hardware import Cost
from qrkt.circuits.ir import Circuit, Gate, ParamKind, input_param


@dataclass(frozen=True)
class OccurrenceCircuit:
    """``circuit`` with the angle of every parametrized gate moved to its own input slot.

    ``kinds[k]`` and ``indices[k]`` say which input or weight occurrence ``k`` reads.
    """

    circuit: Circuit
    is_input: np.ndarray  # (K,) bool
    indices: np.ndarray  # (K,) int

    def angles(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Every occurrence's angle for every sample, shape (B, K)."""
        angles = np.empty((inputs.shape[0], self.indices.size))
        angles[:, self.is_input] = inputs[:, self.indices[self.is_input]]
        angles[:, ~self.is_input] = weights[self.indices[~self.is_input]]
        return angles


def occurrence_circuit(circuit: Circuit) -> OccurrenceCircuit:
    """Rewrite ``circuit`` so that occurrence ``k`` of a parameter reads input slot ``k``."""
    gates: list[Gate] = []
    is_input: list[bool] = []
    indices: list[int] = []
    for gate in circuit.gates:
        if gate.param is None:
            gates.append(gate)
            continue
        is_input.append(gate.param.kind is ParamKind.INPUT)
        indices.append(gate.param.index)
        gates.append(Gate(gate.name, gate.qubits, input_param(len(indices) - 1)))
    rewritten = Circuit(circuit.n_qubits, tuple(gates), len(indices), 0, circuit.observables)
    return OccurrenceCircuit(rewritten, np.array(is_input, bool), np.array(indices, int))


def parameter_shift_vjp(
    backend: Backend,
    circuit: Circuit,
    inputs: np.ndarray,
    weights: np.ndarray,
    cotangent: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Vector-Jacobian product ``(cotangent . d<O>/dinputs, cotangent . d<O>/dweights)``.

    Args:
      backend: any backend; it is called once, with ``2 K B`` parameter sets.
      circuit: the circuit; inputs ``(B, n_inputs)``, weights ``(n_weights,)``.
      cotangent: ``(B, n_observables)``, the gradient of a scalar loss w.r.t. the outputs.

    Returns:
      Gradients with the shapes of ``inputs`` and ``weights``.
    """
    expanded = occurrence_circuit(circuit)
    angles = expanded.angles(inputs, weights)  # (B, K)
    batch, k = angles.shape
    grad_inputs = np.zeros_like(inputs, dtype=np.float64)
    grad_weights = np.zeros_like(weights, dtype=np.float64)
    if k == 0:
        return grad_inputs, grad_weights
    shifts = np.concatenate([np.eye(k), -np.eye(k)]) * (np.pi / 2)  # (2K, K)
    points = (angles[:, None, :] + shifts[None]).reshape(batch * 2 * k, k)
    values = backend.run(expanded.circuit, points, np.zeros(0)).reshape(batch, 2, k, -1)
    derivatives = (values[:, 0] - values[:, 1]) / 2  # (B, K, n_observables)
    per_occurrence = np.einsum("bko,bo->bk", derivatives, cotangent)
    for occurrence, (is_input, index) in enumerate(
        zip(expanded.is_input, expanded.indices, strict=True)
    ):
        if is_input:
            grad_inputs[:, index] += per_occurrence[:, occurrence]
        else:
            grad_weights[index] += per_occurrence[:, occurrence].sum()
    return grad_inputs, grad_weights


def parameter_shift_cost(backend: Backend, circuit: Circuit, rows: int) -> Cost:
    """What :func:`parameter_shift_vjp` of a call with ``rows`` parameter sets costs on
    ``backend``: one call of ``2 K rows`` parameter sets, nothing where no gate is parametrized."""
    shifted = occurrence_circuit(circuit).circuit
    if not shifted.n_inputs:
        return Cost()
    return backend.estimate(shifted, 2 * shifted.n_inputs * rows)
