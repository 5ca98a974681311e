"""Heisenberg-picture propagation of Pauli strings through the Clifford gates H and CNOT.

For a Clifford tail ``C`` and a Pauli string ``P``, ``C^dagger P C`` is again a Pauli string
with a sign. So ``<psi| C^dagger P C |psi>`` of a product state ``psi`` is the sign times a
product of single-qubit expectations: no statevector is needed. Tables are derived from the
gates' matrices, not written by hand.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import cache

import numpy as np

from qrkt.circuits.ir import Gate
from qrkt.errors import CircuitError

CLIFFORD_GATES = frozenset({"h", "cnot"})

_PAULIS = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1, -1]),
}
_GATES = {
    "h": np.array([[1, 1], [1, -1]]) / np.sqrt(2),
    "cnot": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
}


@cache
def _conjugation_table(name: str) -> dict[str, tuple[int, str]]:
    """``G^dagger P G`` for every Pauli word ``P`` on the gate's qubits: ``P -> (sign, P')``."""
    matrix = _GATES[name]
    width = int(np.log2(len(matrix)))
    words = ["".join(w) for w in itertools.product(_PAULIS, repeat=width)]

    def dense(word: str) -> np.ndarray:
        return _kron_all(_PAULIS[letter] for letter in word)

    table = {}
    for word in words:
        image = matrix.conj().T @ dense(word) @ matrix
        for candidate in words:
            for sign in (1, -1):
                if np.allclose(image, sign * dense(candidate)):
                    table[word] = (sign, candidate)
    return table


def _kron_all(matrices: Iterable[np.ndarray]) -> np.ndarray:
    result = np.eye(1)
    for matrix in matrices:
        result = np.kron(result, matrix)
    return result


def conjugate_pauli(gates: Iterable[Gate], pauli: dict[int, str]) -> tuple[int, dict[int, str]]:
    """``C^dagger P C`` for the circuit ``C`` of H and CNOT ``gates`` (in circuit order).

    Args:
      gates: H and CNOT gates; anything else raises :class:`CircuitError`.
      pauli: qubit -> ``"X" | "Y" | "Z"`` (absent qubits are identity).

    Returns:
      ``(sign, pauli')`` with ``sign`` in {+1, -1} and identities dropped.
    """
    sign, letters = 1, dict(pauli)
    for gate in reversed(list(gates)):
        if gate.name not in CLIFFORD_GATES:
            raise CircuitError(
                f"cannot carry a Pauli string through {gate.name}; only the Clifford gates "
                f"{', '.join(sorted(CLIFFORD_GATES))} are supported"
            )
        word = "".join(letters.get(q, "I") for q in gate.qubits)
        factor, image = _conjugation_table(gate.name)[word]
        sign *= factor
        for q, letter in zip(gate.qubits, image, strict=True):
            letters[q] = letter
    return sign, {q: p for q, p in letters.items() if p != "I"}
