"""Ansatz builders: the variational circuits of the QRKT thesis and of Comajoan Cara et al.

Each builder is a plain function of the width ``n``, the number of layers ``L`` and options,
returning a :class:`~qrkt.circuits.ir.Circuit` with ``n`` inputs (one feature per qubit)
that reads ``<Z_j>`` on every qubit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qrkt.circuits.ir import Circuit, Gate, cnot, h, input_param, rx, ry, rz, weight_param
from qrkt.errors import CircuitError, UnknownNameError, is_integer, known_names


def ring_entangler(n_qubits: int, *, hadamard: bool) -> list[Gate]:
    """The entangler of both ansätze.

    ``n = 1``: nothing. ``n = 2``: ``CNOT(0, 1)`` alone (no H). ``n > 2``: for ``j = 0..n-1``,
    optionally ``H(j)``, then ``CNOT(j, (j + 1) mod n)``.
    """
    if n_qubits == 1:
        return []
    if n_qubits == 2:
        return [cnot(0, 1)]
    gates: list[Gate] = []
    for j in range(n_qubits):
        if hadamard:
            gates.append(h(j))
        gates.append(cnot(j, (j + 1) % n_qubits))
    return gates


def qrkt_ansatz(n_qubits: int, layers: int = 1, *, tied: bool = True) -> Circuit:
    """The thesis circuit: ``RY(x_j)`` encoding, then per layer ``RX(w) RZ(w)`` on every qubit
    and the ring entangler with Hadamards.

    With ``tied=True`` (the thesis's tables) both rotations of a qubit share one weight:
    ``n * layers`` weights. With ``tied=False`` each rotation has its own: ``2 * n * layers``,
    laid out as ``[layer, qubit, (rx, rz)]``.
    """
    _check_shape(n_qubits, layers)
    gates = [ry(j, input_param(j)) for j in range(n_qubits)]
    for layer in range(layers):
        for j in range(n_qubits):
            if tied:
                angle_x = angle_z = weight_param(layer * n_qubits + j)
            else:
                base = 2 * (layer * n_qubits + j)
                angle_x, angle_z = weight_param(base), weight_param(base + 1)
            gates += [rx(j, angle_x), rz(j, angle_z)]
        gates += ring_entangler(n_qubits, hadamard=True)
    per_layer = n_qubits if tied else 2 * n_qubits
    return Circuit(n_qubits, tuple(gates), n_inputs=n_qubits, n_weights=per_layer * layers)


def cara_ansatz(n_qubits: int, layers: int = 1, *, tied: bool = True) -> Circuit:
    """The circuit of Comajoan Cara et al.: ``RX(x_j)`` encoding, then per layer ``RX(w)`` on
    every qubit and the ring entangler without Hadamards. ``n * layers`` weights.

    Each weight sits in one gate, so ``tied`` changes nothing; it is accepted so that one
    model-wide option applies to every ansatz.
    """
    del tied
    _check_shape(n_qubits, layers)
    gates = [rx(j, input_param(j)) for j in range(n_qubits)]
    for layer in range(layers):
        gates += [rx(j, weight_param(layer * n_qubits + j)) for j in range(n_qubits)]
        gates += ring_entangler(n_qubits, hadamard=False)
    return Circuit(n_qubits, tuple(gates), n_inputs=n_qubits, n_weights=n_qubits * layers)


AnsatzBuilder = Callable[..., Circuit]

ANSATZE: dict[str, AnsatzBuilder] = {"qrkt": qrkt_ansatz, "cara": cara_ansatz}


@dataclass(frozen=True)
class AnsatzSpec:
    """A named ansatz with its options: a small value that configs and checkpoints store."""

    name: str = "qrkt"
    n_qubits: int = 4
    layers: int = 1
    tied: bool = True

    def __post_init__(self) -> None:
        if self.name not in ANSATZE:
            raise UnknownNameError(
                f"unknown ansatz {self.name!r}; known ansätze: {known_names(ANSATZE)}"
            )
        _check_shape(self.n_qubits, self.layers)

    def build(self) -> Circuit:
        return ANSATZE[self.name](self.n_qubits, self.layers, tied=self.tied)


def build_ansatz(name: str, n_qubits: int, layers: int = 1, *, tied: bool = True) -> Circuit:
    """Build a registered ansatz by name (``"qrkt"`` or ``"cara"``)."""
    return AnsatzSpec(name, n_qubits, layers, tied).build()


def _check_shape(n_qubits: int, layers: int) -> None:
    for label, value in (("n_qubits", n_qubits), ("layers", layers)):
        if not is_integer(value) or value < 1:
            raise CircuitError(f"{label} must be an integer >= 1, got {value!r}")
