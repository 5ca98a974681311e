"""The ``jax`` backend's product-state readout: Z-strings read from Bloch vectors, no state.

When every pass of a :class:`FusedProgram` is a Clifford gate, each observable is a signed
Pauli string on the product state (``program.product_readout``), and its expectation is the
product of one Bloch component per letter. Each qubit's Bloch vector starts at ``|0>``'s
``(0, 0, 1)`` and is turned by each of its gates (RX, RY and RZ rotate it about their axis by
their angle; H swaps X and Z and negates Y), qubits with the same gates at once; components
zero by structure are never computed. The products are one gather and one reduction. For a
thesis layer (``qrkt``, 6 qubits) the forward pass traces 69 operations, against 197 when each
qubit's state was built and read (``len(jax.make_jaxpr(fn)(x, w).eqns)``).
"""

from __future__ import annotations

import numpy as np

from qrkt.backends.entries import part_add, part_mul
from qrkt.backends.fused_program import FusedProgram, factor_angles

_AXES = "XYZ"
# The two components a rotation about an axis mixes, in the order of a right-handed turn.
_PLANES = {"rx": (1, 2), "ry": (2, 0), "rz": (0, 1)}


def product_readout(program: FusedProgram, x, w):
    """The observables of ``program`` (which must have a ``product_readout``) for inputs ``x``
    (n_inputs, B) and weights ``w`` (n_weights,), shape (n_obs, B)."""
    import jax.numpy as jnp

    batch = x.shape[-1]
    components = []
    order: list[int] = []
    for qubits, gates in factor_angles(program, x, w):
        vector: list[object] = [None, None, 1.0]  # |0>: +Z
        for name, angle in gates:
            vector = _turn(vector, name, angle)
        components.append(
            jnp.stack(
                [
                    jnp.broadcast_to(
                        jnp.asarray(0.0 if c is None else c, x.dtype), (len(qubits), batch)
                    )
                    for c in vector
                ]
            )
        )
        order += qubits
    bloch = jnp.concatenate(components, 1)[:, np.argsort(order)]  # (3, n, B)
    n = program.n_qubits
    table = jnp.concatenate([bloch.reshape(3 * n, batch), jnp.ones((1, batch), x.dtype)])
    index, signs = _gather_plan(program)
    return signs[:, None] * jnp.prod(table[index], axis=1)


def _turn(vector: list, name: str, angle) -> list:
    """The Bloch vector ``vector`` (parts, None for zero) after gate ``name`` at ``angle``."""
    import jax.numpy as jnp

    if name == "h":
        x, y, z = vector
        return [z, None if y is None else -y, x]
    first, second = _PLANES[name]
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    turned = list(vector)
    turned[first] = part_add(
        part_mul(cos, vector[first]), part_mul(sin, vector[second]), subtract=True
    )
    turned[second] = part_add(part_mul(sin, vector[first]), part_mul(cos, vector[second]))
    return turned


def _gather_plan(program: FusedProgram) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the component table ``(3 n + 1, B)`` (the last all ones) that each observable
    multiplies, padded with the ones row, and the observables' signs."""
    n = program.n_qubits
    readout = program.product_readout
    width = max((len(terms) for _, terms in readout), default=0)
    index = np.full((len(readout), max(width, 1)), 3 * n)
    for row, (_, terms) in enumerate(readout):
        for column, (qubit, letter) in enumerate(terms):
            index[row, column] = _AXES.index(letter) * n + qubit
    return index, np.array([sign for sign, _ in readout], np.float32)
