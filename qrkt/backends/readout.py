"""Reading Z-string expectation values from basis-state probabilities."""

from __future__ import annotations

import numpy as np

from qrkt.circuits.ir import Circuit


def z_sign_matrix(circuit: Circuit) -> np.ndarray:
    """``S[k, o]``: the eigenvalue (+-1) of observable ``o`` on basis state ``k``.

    Basis states are numbered with qubit 0 as the most significant bit, so that
    ``<O_o> = sum_k |psi_k|^2 S[k, o]`` for a state vector in that order.
    """
    n = circuit.n_qubits
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))) & 1  # (2^n, n)
    signs = (1 - 2 * bits).astype(np.int8)
    return np.stack([signs[:, list(obs.qubits)].prod(axis=1) for obs in circuit.observables], 1)
