"""The ``jax`` backend's contraction strategy: a circuit as one tensor network per sample.

The product state's factors and the fused passes of a :class:`FusedProgram` are the tensors of
a network, contracted by one ``einsum`` and mapped over the batch with ``jax.vmap``. This is
TensorCircuit's technique: rather than updating the whole state pass by pass, the order grows
the state from the product factors and merges passes into wider blocks where that is cheaper,
and the gradient (the ``einsum``'s own) compiles in seconds. Passes whose angles are weights
stay unbatched under ``vmap``.

The order is the cheaper of opt_einsum's greedy one (TensorCircuit's default) and the best of
its randomized greedy search (128 seeded trials, once per circuit and process): for three and
four layers of an ansatz the randomized search cut the count of multiply-adds 3-4x (``qrkt``,
L = 3, n = 12: ``network(program).cost / sweep_cost(program)`` from 3.5 to 0.88). Where even
that order costs more than sweeping the state, :func:`network` says so, and the backend
sweeps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qrkt.backends.entries import Entry
from qrkt.backends.fused_program import (
    CNOT_ROWS,
    FusedProgram,
    Op,
    factor_groups,
    gate_angle,
    pass_gates,
)

# Randomized greedy orders tried next to the plain greedy one: trial r is seeded with r, so the
# order found (and the compiled program, which the compile cache keys on) is reproducible.
_RANDOM_REPEATS = 128


_HADAMARD = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
_PAULIS = {
    "rx": np.array([[0, 1], [1, 0]]),
    "ry": np.array([[0, -1j], [1j, 0]]),
    "rz": np.array([[1, 0], [0, -1]]),
}


@dataclass(frozen=True)
class Network:
    """The legs of a program's tensors (each qubit's factor, then each pass), those of the final
    state, the contraction order, and its cost in multiply-adds (opt_einsum's count)."""

    legs: tuple[tuple[int, ...], ...]
    output: tuple[int, ...]
    path: tuple[tuple[int, ...], ...]
    cost: float


@lru_cache(maxsize=64)
def network(program: FusedProgram) -> Network:
    """The tensor network of ``program`` and the cheapest contraction order found."""
    import opt_einsum

    n = program.n_qubits
    legs: list[tuple[int, ...]] = [(q,) for q in range(n)]
    open_legs = list(range(n))
    fresh = itertools.count(n)
    for op in program.ops:
        outputs = tuple(next(fresh) for _ in op.qubits)
        legs.append(outputs + tuple(open_legs[q] for q in op.qubits))
        for q, leg in zip(op.qubits, outputs, strict=True):
            open_legs[q] = leg
    # The searches see integer legs, whose set order is the same in every process (opt_einsum's
    # own letters are strings, whose order follows the process's hash seed).
    inputs = [frozenset(tensor) for tensor in legs]
    sizes = dict.fromkeys(range(next(fresh)), 2)
    operands = [x for tensor in legs for x in (np.empty((2,) * len(tensor)), list(tensor))]
    path, info = min(
        (
            opt_einsum.contract_path(
                *operands, open_legs, optimize=search(inputs, set(open_legs), sizes)
            )
            for search in (
                opt_einsum.paths.greedy,
                opt_einsum.RandomGreedy(max_repeats=_RANDOM_REPEATS),
            )
        ),
        key=lambda found: float(found[1].opt_cost),
    )
    return Network(tuple(legs), tuple(open_legs), tuple(path), float(info.opt_cost))


def sweep_cost(program: FusedProgram) -> float:
    """Multiply-adds of applying ``program``'s passes to the full state one by one."""
    return float(sum(2**program.n_qubits * 2 ** len(op.qubits) for op in program.ops))


def contracted_state(program: FusedProgram, x, w, dtype):
    """The final state ``(2**n,)`` of one sample (``x`` of shape (n_inputs,)), qubit 0 the
    most significant bit, in the complex ``dtype``."""
    import jax.numpy as jnp

    tensors: dict[int, object] = {}
    for qubits, column in factor_groups(program, x[:, None], w[:, None]):  # a batch of one
        factors = jnp.stack([_complex(entry, (len(qubits), 1), dtype)[:, 0] for entry in column], 1)
        tensors.update(zip(qubits, factors, strict=True))
    tensors.update(
        (program.n_qubits + i, _pass_matrix(op, x, w, dtype).reshape((2,) * 2 * len(op.qubits)))
        for i, op in enumerate(program.ops)
    )
    net = network(program)
    operands = [x for i, legs in enumerate(net.legs) for x in (tensors[i], list(legs))]
    return jnp.einsum(*operands, list(net.output), optimize=list(net.path)).reshape(-1)


def _pass_matrix(op: Op, x, w, dtype):
    """The complex matrix of a pass, as :func:`op_matrix` orders it, in few traced operations
    (dense complex arithmetic; the trace of the gradient is most of its compile time)."""
    import jax.numpy as jnp

    fused = []
    for gates in pass_gates(op):
        matrix = jnp.eye(2, dtype=dtype)
        for gate in gates:
            matrix = _gate(gate.name, gate_angle(gate, x, w), dtype) @ matrix
        fused.append(matrix)
    if len(fused) == 1:
        return fused[0]
    return jnp.kron(*fused)[np.array(CNOT_ROWS)]


def _gate(name: str, theta, dtype):
    """A one-qubit gate's complex 2x2 matrix: ``cos(theta/2) I - i sin(theta/2) P``."""
    import jax.numpy as jnp

    if name == "h":
        return jnp.asarray(_HADAMARD, dtype)
    pauli = _PAULIS[name]
    return (
        jnp.cos(theta / 2).astype(dtype) * np.eye(2) - 1j * jnp.sin(theta / 2).astype(dtype) * pauli
    )


def _complex(entry: Entry, shape: tuple[int, ...], dtype):
    """``entry`` as a complex array broadcast to ``shape``; zero for ``None``."""
    import jax.numpy as jnp

    if entry is None:
        return jnp.zeros(shape, dtype)
    re, im = (jnp.zeros(shape, dtype) if p is None else jnp.asarray(p) for p in entry)
    value = re if entry[1] is None else re + 1j * im
    return jnp.broadcast_to(jnp.asarray(value, dtype), shape)
