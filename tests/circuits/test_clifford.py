"""Pauli strings carried through H and CNOT match the dense matrices."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from qrkt.circuits import cnot, h, rx, weight_param
from qrkt.circuits.clifford import conjugate_pauli
from qrkt.errors import CircuitError

PAULIS = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]),
}


def dense_pauli(pauli: dict[int, str], n: int) -> np.ndarray:
    return functools.reduce(np.kron, [PAULIS[pauli.get(q, "I")] for q in range(n)])


def dense_gate(gate, n: int) -> np.ndarray:
    """Qubit 0 is the most significant bit."""
    if gate.name == "h":
        single = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
        return functools.reduce(
            np.kron, [single if q == gate.qubits[0] else np.eye(2) for q in range(n)]
        )
    control, target = gate.qubits
    matrix = np.zeros((2**n, 2**n))
    for state in range(2**n):
        bits = [(state >> (n - 1 - q)) & 1 for q in range(n)]
        bits[target] ^= bits[control]
        matrix[sum(b << (n - 1 - q) for q, b in enumerate(bits)), state] = 1
    return matrix


@pytest.mark.parametrize("seed", range(20))
def test_matches_dense_conjugation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3
    gates = []
    for _ in range(8):
        if rng.random() < 0.5:
            gates.append(h(int(rng.integers(n))))
        else:
            control, target = rng.choice(n, 2, replace=False)
            gates.append(cnot(int(control), int(target)))
    pauli = {q: str(rng.choice(list("XYZ"))) for q in rng.choice(n, 2, replace=False)}
    circuit = functools.reduce(lambda m, g: dense_gate(g, n) @ m, gates, np.eye(2**n))
    sign, image = conjugate_pauli(gates, pauli)
    np.testing.assert_allclose(
        circuit.conj().T @ dense_pauli(pauli, n) @ circuit, sign * dense_pauli(image, n), atol=1e-12
    )


def test_refuses_non_clifford_gates() -> None:
    with pytest.raises(CircuitError, match="cannot carry a Pauli string through rx; only"):
        conjugate_pauli([rx(0, weight_param(0))], {0: "Z"})
