"""``reference``: a plain NumPy float64 statevector simulator, the oracle of every other backend.

Written for obviousness, not speed: the state is a tensor with one axis of size 2 per qubit
(axis ``j`` is qubit ``j``) and a leading batch axis; each gate is applied as a matrix on its
axes, in circuit order.
"""

from __future__ import annotations

import numpy as np

from qrkt.backends.base import Backend, Capabilities
from qrkt.circuits.ir import Circuit, Gate, Param, ParamKind

_H = np.array([[1, 1], [1, -1]], dtype=np.complex128) / np.sqrt(2)
_CNOT = np.array(
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.complex128
).reshape(2, 2, 2, 2)


def rotation(axis: str, theta: np.ndarray) -> np.ndarray:
    """``exp(-i theta P / 2)`` for ``P`` in X, Y, Z, batched over ``theta``: shape (..., 2, 2)."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    zero = np.zeros_like(c)
    rows = {
        "x": [[c, -1j * s], [-1j * s, c]],
        "y": [[c, -s], [s, c]],
        "z": [[np.exp(-0.5j * theta), zero], [zero, np.exp(0.5j * theta)]],
    }[axis]
    return np.moveaxis(np.array(rows, dtype=np.complex128), (0, 1), (-2, -1))


class ReferenceBackend(Backend):
    """Exact statevector expectation values in complex128."""

    name = "reference"
    capabilities = Capabilities(autodiff=False, exact=True, shots=False, noise=False, max_qubits=20)

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        batch, n = inputs.shape[0], circuit.n_qubits
        state = np.zeros((batch,) + (2,) * n, dtype=np.complex128)
        state[(slice(None),) + (0,) * n] = 1.0
        for gate in circuit.gates:
            state = _apply(state, gate, _angle(gate, inputs, weights))
        probabilities = np.abs(state) ** 2
        return np.stack(
            [_z_expectation(probabilities, obs.qubits) for obs in circuit.observables], axis=1
        )


def _angle(gate: Gate, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The gate's angle for every sample, shape (B,), or None for an unparametrized gate."""
    if gate.angle is None:
        return None
    if isinstance(gate.angle, Param):
        if gate.angle.kind is ParamKind.INPUT:
            return inputs[:, gate.angle.index]
        return np.full(inputs.shape[0], weights[gate.angle.index])
    return np.full(inputs.shape[0], gate.angle)


def _apply(state: np.ndarray, gate: Gate, theta: np.ndarray | None) -> np.ndarray:
    """Apply ``gate`` to the batched state tensor (axis ``1 + q`` is qubit ``q``)."""
    axes = [1 + q for q in gate.qubits]
    if gate.name == "cnot":
        moved = np.moveaxis(state, axes, [1, 2])
        moved = np.einsum("ijkl,bkl...->bij...", _CNOT, moved)
        return np.moveaxis(moved, [1, 2], axes)
    matrix = _H if gate.name == "h" else rotation(gate.name[1], theta)
    moved = np.moveaxis(state, axes[0], 1)
    if matrix.ndim == 2:
        moved = np.einsum("ij,bj...->bi...", matrix, moved)
    else:
        moved = np.einsum("bij,bj...->bi...", matrix, moved)
    return np.moveaxis(moved, 1, axes[0])


def _z_expectation(probabilities: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
    """``<Z_q1 Z_q2 ...>``: probability of even parity on ``qubits`` minus odd parity."""
    n = probabilities.ndim - 1
    sign = np.ones((2,) * n)
    for q in qubits:
        shape = [1] * n
        shape[q] = 2
        sign = sign * np.array([1.0, -1.0]).reshape(shape)
    return np.sum(probabilities * sign, axis=tuple(range(1, n + 1)))
