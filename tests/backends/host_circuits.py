"""Circuits with known values that the host backends' tests (Aer, Cirq) share."""

from __future__ import annotations

from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import circuit, cnot, input_param, rx, ry, weight_param

ANSATZ = qrkt_ansatz(3, 2)
# X on IR qubit 0 only: <Z> = (-1, 1, 1) in every mode, whatever the batch.
FLIP = circuit(3, [rx(0, input_param(0)), ry(2, weight_param(0))])
# Near-identity: exact <Z_j> = cos(0.1) ~ 0.995 with w = 0, through CNOTs a transpiler cannot
# cancel (the weight sits between them), so gate and readout noise both show.
NEAR_IDENTITY = circuit(
    3,
    [
        *(ry(q, input_param(q)) for q in range(3)),
        cnot(0, 1),
        cnot(1, 2),
        rx(2, weight_param(0)),
        cnot(1, 2),
        cnot(0, 1),
    ],
)
