"""The ``jax`` backend's product-state readout: Z-strings read from Bloch vectors, no state.

When every pass of a :class:`FusedProgram` is a Clifford gate, each observable is a signed
Pauli string on the product state (``program.product_readout``), and its expectation is the
product of one Bloch component per letter. Each qubit's Bloch vector starts at ``|0>``'s
``(0, 0, 1)`` and is turned by each of its gates (RX, RY and RZ rotate it about their axis by
their angle; H swaps X and Z and negates Y), qubits with the same gates at once; components
zero by structure are never computed. Each observable multiplies its components, static
slices of those vectors, which XLA fuses with them: the gradient of a thesis layer (``qrkt``,
6 qubits, batch 64) compiles to 25 instructions in 12 fusions, against 50 in 17 when the
products gathered rows of a table of every component (the instructions of the ``ENTRY``
computation in ``jax.jit(grad).lower(x, w).compile().as_text()``); the MNIST QRK4_ENH
training step took 13.8 ms against 16.2 (``benchmarks/models.py``, issue 17). The rotations'
sines and cosines, most of the work, come from :func:`~qrkt.backends.trig.sincos`: with them
the same step took 9.5 ms.
"""

from __future__ import annotations

from functools import reduce

from qrkt.backends.entries import part_add, part_mul
from qrkt.backends.fused_program import FusedProgram, factor_angles

_AXES = "XYZ"
# The two components a rotation about an axis mixes, in the order of a right-handed turn.
_PLANES = {"rx": (1, 2), "ry": (2, 0), "rz": (0, 1)}


def product_readout(program: FusedProgram, x, w):
    """The observables of ``program`` (which must have a ``product_readout``) for inputs ``x``
    (n_inputs, B) and weights ``w`` (n_weights,), shape (n_obs, B)."""
    import jax.numpy as jnp

    components: dict[tuple[str, int], object] = {}  # (axis, qubit) -> its row; absent: zero
    for qubits, gates in factor_angles(program, x, w):
        vector: list[object] = [None, None, 1.0]  # |0>: +Z
        for name, angle in gates:
            vector = _turn(vector, name, angle)
        for axis, part in zip(_AXES, vector, strict=True):
            if part is not None:
                for position, qubit in enumerate(qubits):
                    components[axis, qubit] = part if isinstance(part, float) else part[position]
    rows = []
    for sign, terms in program.product_readout:
        factors = [components.get((letter, qubit)) for qubit, letter in terms]
        row = 0.0 if None in factors else reduce(part_mul, factors, float(sign))
        rows.append(jnp.broadcast_to(jnp.asarray(row, x.dtype), x.shape[-1:]))
    return jnp.stack(rows)


def _turn(vector: list, name: str, angle) -> list:
    """The Bloch vector ``vector`` (parts, None for zero) after gate ``name`` at ``angle``."""
    from qrkt.backends.trig import sincos

    if name == "h":
        x, y, z = vector
        return [z, None if y is None else -y, x]
    first, second = _PLANES[name]
    sin, cos = sincos(angle)
    turned = list(vector)
    turned[first] = part_add(
        part_mul(cos, vector[first]), part_mul(sin, vector[second]), subtract=True
    )
    turned[second] = part_add(part_mul(sin, vector[first]), part_mul(cos, vector[second]))
    return turned
