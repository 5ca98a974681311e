"""The ``jax`` backend's contraction strategy: a circuit as one tensor network per sample.

The product state's factors and the fused passes of a :class:`FusedProgram` are the tensors of
a network, contracted by one ``einsum`` in the order that opt_einsum's greedy search finds, and
mapped over the batch with ``jax.vmap``. This is TensorCircuit's technique: rather than
updating the whole state pass by pass, the order grows the state from the product factors and
merges passes into wider blocks where that is cheaper, and the gradient (the ``einsum``'s own)
compiles in seconds. Passes whose angles are weights stay unbatched under ``vmap``.

The order is not always cheap: for three layers and more of an ansatz, greedy merges make
blocks that cost more than sweeping the state, so :func:`network` reports the order's cost
next to the sweep's (:func:`sweep_cost`), and the backend picks the cheaper strategy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qrkt.backends.entries import Entry, Matrix
from qrkt.backends.fused_program import FusedProgram, factor_groups, op_matrix


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
    """The tensor network of ``program`` and its greedy contraction order."""
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
    operands = [x for tensor in legs for x in (np.empty((2,) * len(tensor)), list(tensor))]
    path, info = opt_einsum.contract_path(*operands, open_legs, optimize="greedy")
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
        (
            program.n_qubits + i,
            _dense(op_matrix(op, x, w), dtype).reshape((2,) * 2 * len(op.qubits)),
        )
        for i, op in enumerate(program.ops)
    )
    net = network(program)
    operands = [x for i, legs in enumerate(net.legs) for x in (tensors[i], list(legs))]
    return jnp.einsum(*operands, list(net.output), optimize=list(net.path)).reshape(-1)


def _dense(matrix: Matrix, dtype):
    import jax.numpy as jnp

    return jnp.stack([jnp.stack([_complex(entry, (), dtype) for entry in row]) for row in matrix])


def _complex(entry: Entry, shape: tuple[int, ...], dtype):
    """``entry`` as a complex array broadcast to ``shape``; zero for ``None``."""
    import jax.numpy as jnp

    if entry is None:
        return jnp.zeros(shape, dtype)
    re, im = (jnp.zeros(shape, dtype) if p is None else jnp.asarray(p) for p in entry)
    value = re if entry[1] is None else re + 1j * im
    return jnp.broadcast_to(jnp.asarray(value, dtype), shape)
