"""A circuit fused for simulation: a product state, then one- and two-qubit passes.

:func:`compile_program` turns a :class:`~qrkt.circuits.ir.Circuit` into

1. every single-qubit gate before a qubit's first CNOT, folded into that qubit's factor of an
   initial product state (for the ansätze: encoding and first rotation layer);
2. one pass per CNOT, which absorbs the single-qubit gates pending on its two qubits;
3. the gates left pending at the end, except diagonal ones (RZ) before a Z readout;
4. with Clifford passes only, each observable carried back to a Pauli string on the product
   state (:mod:`qrkt.circuits.clifford`).

The matrices of the factors and passes are built in :mod:`qrkt.backends.entries`' arithmetic,
from inputs and weights of any batch shape; both of the ``jax`` backend's simulation
strategies start from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qrkt.backends.entries import IDENTITY, Entry, Matrix, kron, matmul
from qrkt.circuits.clifford import CLIFFORD_GATES, conjugate_pauli
from qrkt.circuits.ir import Circuit, Gate, Param, ParamKind


@dataclass(frozen=True)
class Op:
    """One pass over the state: the product of ``gates`` acting on ``qubits``."""

    qubits: tuple[int, ...]
    gates: tuple[Gate, ...]


@dataclass(frozen=True)
class FusedProgram:
    """A circuit compiled for the simulator: per-qubit product factors, then state passes."""

    n_qubits: int
    factors: tuple[tuple[Gate, ...], ...]  # single-qubit gates folded into the product state
    ops: tuple[Op, ...]
    # With Clifford passes only: each observable as (sign, ((qubit, "X" | "Y" | "Z"), ...)) on
    # the product state; otherwise None.
    product_readout: tuple[tuple[int, tuple[tuple[int, str], ...]], ...] | None


def compile_program(circuit: Circuit) -> FusedProgram:
    """Fuse ``circuit`` into a product state and a list of one- and two-qubit passes."""
    n = circuit.n_qubits
    factors: list[list[Gate]] = [[] for _ in range(n)]
    pending: list[list[Gate]] = [[] for _ in range(n)]
    entangled = [False] * n
    ops: list[Op] = []
    for gate in circuit.gates:
        if len(gate.qubits) == 1:
            q = gate.qubits[0]
            (pending if entangled[q] else factors)[q].append(gate)
            continue
        c, t = gate.qubits
        absorbed = pending[c] + pending[t]
        pending[c], pending[t] = [], []
        entangled[c] = entangled[t] = True
        ops.append(Op((c, t), (*absorbed, gate)))
    diagonal_readout = all(p == "Z" for obs in circuit.observables for _, p in obs.terms)
    for q in range(n):
        remaining = pending[q]
        while diagonal_readout and remaining and remaining[-1].name == "rz":
            remaining = remaining[:-1]  # a phase just before a Z readout changes nothing
        if remaining:
            ops.append(Op((q,), tuple(remaining)))
    product_readout = None
    tail = [gate for op in ops for gate in op.gates]
    if all(gate.name in CLIFFORD_GATES for gate in tail):
        product_readout = []
        for observable in circuit.observables:
            sign, pauli = conjugate_pauli(tail, dict(observable.terms))
            product_readout.append((sign, tuple(sorted(pauli.items()))))
        product_readout = tuple(product_readout)
    return FusedProgram(n, tuple(map(tuple, factors)), tuple(ops), product_readout)


def gate_matrix(name: str, theta) -> Matrix:
    """The 2x2 matrix of a one-qubit gate at angle ``theta`` (a float, or an array of angles
    for a batch of samples or a stack of qubits); ``theta`` is ignored for H."""
    if name == "h":
        r = float(1 / np.sqrt(2))
        return [[(r, None), (r, None)], [(r, None), (-r, None)]]
    if isinstance(theta, float):
        c, s = float(np.cos(theta / 2)), float(np.sin(theta / 2))
    else:
        from qrkt.backends.trig import sincos

        s, c = sincos(theta / 2)
    minus_s = -s
    if name == "rx":
        return [[(c, None), (None, minus_s)], [(None, minus_s), (c, None)]]
    if name == "ry":
        return [[(c, None), (minus_s, None)], [(s, None), (c, None)]]
    return [[(c, minus_s), None], [None, (c, s)]]  # rz


def gate_angle(gate: Gate, x, w):
    """A gate's angle: a float, or per-sample values (B,) read from x (n_in, B) or w (n_w, B)."""
    angle = gate.angle
    if isinstance(angle, Param):
        return (x if angle.kind is ParamKind.INPUT else w)[angle.index]
    return angle


def _stacked_angle(gates: Sequence[Gate], x, w):
    """The angles of same-named gates on several qubits, stacked to (G, B) or (G, 1).

    Slots of one kind are read with one gather; other mixes are stacked angle by angle.
    """
    import jax.numpy as jnp

    angles = [g.angle for g in gates]
    if angles[0] is None:
        return None
    kinds = {a.kind for a in angles if isinstance(a, Param)}
    if len(kinds) == 1 and all(isinstance(a, Param) for a in angles):
        source = x if kinds == {ParamKind.INPUT} else w
        first, indices = angles[0].index, [a.index for a in angles]
        if indices == list(range(first, first + len(indices))):  # a slice: no scatter in VJP
            return source[first : first + len(indices)].reshape(len(angles), -1)
        return source[np.array(indices)].reshape(len(angles), -1)
    return jnp.stack([jnp.broadcast_to(gate_angle(g, x, w), x.shape[-1:]) for g in gates]).astype(
        x.dtype
    )


#: The rows of a two-qubit pass's matrix after its CNOT: rows 10 and 11 (control 1) swap.
CNOT_ROWS = (0, 1, 3, 2)


def pass_gates(op: Op) -> list[tuple[Gate, ...]]:
    """The single-qubit gates of a pass on each of its qubits, in order; in a two-qubit pass,
    its CNOT comes after them (:data:`CNOT_ROWS`)."""
    return [tuple(gate for gate in op.gates if gate.qubits == (q,)) for q in op.qubits]


def op_matrix(op: Op, x, w) -> Matrix:
    """The matrix of a pass, on the basis ordered by (bits of op.qubits) big-endian."""
    fused = []
    for gates in pass_gates(op):
        matrix = IDENTITY
        for gate in gates:
            matrix = matmul(gate_matrix(gate.name, gate_angle(gate, x, w)), matrix)
        fused.append(matrix)
    if len(fused) == 1:
        return fused[0]
    local = kron(*fused)
    return [local[row] for row in CNOT_ROWS]


def factor_angles(program: FusedProgram, x, w) -> list[tuple[list[int], list[tuple[str, object]]]]:
    """The product state's gates, for groups of qubits at once: qubits whose gates have the
    same names form a group (an ansatz's qubits all have the same encoding and rotations, so
    this is one group, not n). Returns (qubits, [(name, angles)]) in gate order, the angles of
    a group's gates stacked to (G, B) or (G, 1), None for H."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for q, gates in enumerate(program.factors):
        groups.setdefault(tuple(g.name for g in gates), []).append(q)
    return [
        (
            qubits,
            [
                (name, _stacked_angle([program.factors[q][position] for q in qubits], x, w))
                for position, name in enumerate(names)
            ],
        )
        for names, qubits in groups.items()
    ]


def factor_groups(program: FusedProgram, x, w) -> list[tuple[list[int], list[Entry]]]:
    """Each qubit's factor of the product state, computed for the groups of
    :func:`factor_angles` at once. Returns (qubits, [a, b]): the gates applied to |0>, entries
    of shape (G, B) or (G, 1)."""
    columns = []
    for qubits, gates in factor_angles(program, x, w):
        matrix = IDENTITY
        for name, angle in gates:
            matrix = matmul(gate_matrix(name, angle), matrix)
        columns.append((qubits, [row[0] for row in matrix]))
    return columns
