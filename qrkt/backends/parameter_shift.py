"""The parameter-shift rule: exact gradients from the backend's own expectation values.

For a rotation ``R(t) = exp(-i t P / 2)``, ``d<O>/dt = (<O>(t + pi/2) - <O>(t - pi/2)) / 2``.
A parameter that occurs in several gates sums the derivatives of its occurrences. Every gate
angle is first made its own input slot (:func:`occurrence_circuit`); then all ``2K`` shifted
points of all ``B`` samples are evaluated in ONE backend call of ``2KB`` parameter sets, so a
hardware backend pays for one job per gradient. Only where the shifted angles (``2KB x K``, which
grow with the batch and the square of the parameters) would take more than
:data:`MEMORY_BUDGET` are they split over several calls that fit, with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qrkt.backends.hardware import Cost
from qrkt.circuits.ir import Circuit, Gate, ParamKind, input_param
from qrkt.errors import UnsupportedError


class Evaluator(Protocol):
    """What the rule needs of a backend (:class:`~qrkt.backends.base.Backend`): run a circuit
    on a batch, and price a call."""

    def run(self, circuit: Circuit, inputs: object, weights: object) -> np.ndarray: ...

    def estimate(self, circuit: Circuit, rows: int) -> Cost: ...


MEMORY_BUDGET = 2 * 2**30
"""Bytes (2 GiB) that the shifted angles of one backend call and the values of all calls may
take (float64); a gradient needing more is split into calls that fit, or refused."""


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
    backend: Evaluator,
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
    start = 0
    values = np.empty((batch * 2 * k, circuit.n_observables))
    for rows in call_sizes(batch, k, circuit.n_observables):
        points = _shifted_points(angles, start, start + rows)
        values[start : start + rows] = backend.run(expanded.circuit, points, np.zeros(0))
        start += rows
    values = values.reshape(batch, 2, k, -1)
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


def _shifted_points(angles: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the ``(2KB, K)`` shifted angles: row ``2K b + j`` is sample
    ``b``'s angles with occurrence ``j`` shifted by ``+pi/2`` (``j < K``) or ``-pi/2``."""
    k = angles.shape[1]
    sample, shift = np.divmod(np.arange(start, stop), 2 * k)
    points = angles[sample]
    points[np.arange(points.shape[0]), shift % k] += np.where(shift < k, np.pi / 2, -np.pi / 2)
    return points


def call_sizes(batch: int, k: int, n_observables: int) -> list[int]:
    """The parameter sets of each backend call of a parameter-shift gradient of ``batch``
    samples and ``k`` gate angles: all ``2kB`` in one call while their angles and values
    (float64) fit in :data:`MEMORY_BUDGET`, else as many per call as fit."""
    rows = 2 * k * batch
    values = 8 * rows * n_observables
    per_call = (MEMORY_BUDGET - values) // (8 * k)
    if per_call < 1:
        raise UnsupportedError(
            f"the parameter-shift gradient of {batch} sample(s) x {k} gate angles needs "
            f"{_size(values + 8 * k)} for its values and one shifted point, over the "
            f"{_size(MEMORY_BUDGET)} budget (qrkt.backends.parameter_shift.MEMORY_BUDGET); use "
            "a smaller batch or fewer layers, or a backend with gradients of its own (jax)"
        )
    per_call = min(per_call, rows)
    full, rest = divmod(rows, per_call)
    return [per_call] * full + ([rest] if rest else [])


def _size(n_bytes: int) -> str:
    """``n_bytes`` in the largest binary unit it reaches, e.g. ``"5.2 GiB"``."""
    for power, unit in ((3, "GiB"), (2, "MiB"), (1, "KiB")):
        if n_bytes >= 1024**power:
            return f"{n_bytes / 1024**power:.1f} {unit}"
    return f"{n_bytes} bytes"


def parameter_shift_cost(backend: Evaluator, circuit: Circuit, rows: int) -> Cost:
    """What :func:`parameter_shift_vjp` of a call with ``rows`` parameter sets costs on
    ``backend``: one call of ``2 K rows`` parameter sets (several where they exceed
    :data:`MEMORY_BUDGET`), nothing where no gate is parametrized."""
    shifted = occurrence_circuit(circuit).circuit
    if not shifted.n_inputs:
        return Cost()
    sizes = call_sizes(rows, shifted.n_inputs, shifted.n_observables)
    return sum((backend.estimate(shifted, size) for size in sizes), Cost())
