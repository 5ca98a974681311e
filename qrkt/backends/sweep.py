"""The ``jax`` backend's sweep strategy: each pass applied to the whole state in turn, and the
adjoint gradient.

The state is held as real and imaginary planes of shape (2**n, B), the batch the last
(contiguous) axis, so a pass is a handful of fused, vectorized element-wise operations that
skip the entries of its matrix that are zero by structure (a pass of real gates, such as RY, H
and CNOT, does real arithmetic only).

The gradient is the adjoint method (Jones and Gacon, arXiv:2009.02823; TFQ's and PennyLane's
adjoint differentiators): the backward pass walks the passes in reverse, uncomputing the state
(``U^dagger psi``) next to the cotangent (``U^dagger lambda``) and reading each pass's matrix
cotangent from the two. It stores one state per block of samples instead of one per pass, and
costs about twice the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, reduce

import numpy as np

from qrkt.backends.entries import Entry, Matrix, entry_add, entry_mul, part_add
from qrkt.backends.fused_program import FusedProgram, factor_groups, op_matrix
from qrkt.circuits.ir import Param, ParamKind

# From this width on the product state is built on split planes: at n = 12, B = 1024 that made
# the forward pass 1.5-2x faster than complex arithmetic; at n = 6 complex was faster.
_SPLIT_PRODUCT_MIN_QUBITS = 10

#: Per matrix entry, whether its real and imaginary parts are nonzero by structure.
Pattern = tuple[tuple[tuple[bool, bool], ...], ...]


def sweep_block(program: FusedProgram, signs: np.ndarray) -> Callable:
    """``f(x, w) -> (b, n_obs)``: the expectations ``signs @ |psi|^2`` of a block of samples
    ``x`` (b, n_inputs) under weights ``w`` (n_weights,), differentiable by the adjoint
    method. ``signs`` (n_obs, 2**n) is a constant (a traced value would leak out of the custom
    gradient)."""
    import jax
    import jax.numpy as jnp

    patterns = _pass_patterns(program)

    def parameters(x, w):
        return _parameters(program, patterns, x, w)

    def final_state(x, w):
        state, passes = parameters(x, w)
        for op, pattern, parts in zip(program.ops, patterns, passes, strict=True):
            gather, scatter = _gather_scatter(op.qubits, program.n_qubits, state[0].shape)
            state = tuple(map(scatter, _sparse_matvec(pattern, *parts, *map(gather, state))))
        return state

    def readout(state):
        re, im = state
        sign = jnp.asarray(signs, re.dtype)
        return (sign @ (re * re if im is None else re * re + im * im)).T

    @jax.custom_vjp
    def block(x, w):
        return readout(final_state(x, w))

    def forward(x, w):
        state = final_state(x, w)
        return readout(state), (x, w, state)

    def backward(residuals, cotangent):
        x, w, psi = residuals
        (state, passes), pullback = jax.vjp(parameters, x, w)
        # (2**n, b): the cotangent of |psi|^2, doubled
        g = 2 * (jnp.asarray(signs, cotangent.dtype).T @ cotangent.T)
        lam = tuple(None if part is None else g * part for part in psi)
        pass_cotangents = []
        for op, pattern, parts in reversed(list(zip(program.ops, patterns, passes, strict=True))):
            gather, scatter = _gather_scatter(op.qubits, program.n_qubits, psi[0].shape)
            inverse = _adjoint(pattern, *parts)
            before = _sparse_matvec(*inverse, *map(gather, psi))
            lam_gathered = tuple(map(gather, lam))
            pass_cotangents.append(_matrix_cotangent(parts, lam_gathered, before))
            psi = tuple(map(scatter, before))
            lam = tuple(map(scatter, _sparse_matvec(*inverse, *lam_gathered)))
        state_cotangent = (lam[0], _like(lam[1], state[1]))
        return pullback((state_cotangent, tuple(reversed(pass_cotangents))))

    block.defvjp(forward, backward)
    return block


@lru_cache(maxsize=64)
def _pass_patterns(program: FusedProgram) -> tuple[Pattern, ...]:
    """The pattern of each pass's matrix, which follows from its gates alone (read here from
    the matrices at angles of 1)."""
    slots = {kind: 0 for kind in ParamKind}
    for gate in (gate for op in program.ops for gate in op.gates):
        if isinstance(gate.angle, Param):
            slots[gate.angle.kind] = max(slots[gate.angle.kind], gate.angle.index + 1)
    x, w = (np.ones((slots[kind], 1), np.float32) for kind in (ParamKind.INPUT, ParamKind.WEIGHT))
    return tuple(
        tuple(tuple(_nonzero_parts(e) for e in row) for row in op_matrix(op, x, w))
        for op in program.ops
    )


def _nonzero_parts(entry: Entry) -> tuple[bool, bool]:
    return entry is not None and entry[0] is not None, entry is not None and entry[1] is not None


def _parameters(program: FusedProgram, patterns: tuple[Pattern, ...], x, w) -> tuple:
    """What the sweep consumes, for samples ``x`` (b, n_inputs): the product state's planes
    (re, im) of shape (2**n, b), and each pass's matrix as stacked parts (m_re, m_im) of shape
    (2**k, 2**k) or, per sample, (2**k, 2**k, b); ``None`` for a part zero by structure."""

    x = x.T
    passes = tuple(
        _stacked_parts(op_matrix(op, x, w), pattern, x.shape[-1], x.dtype)
        for op, pattern in zip(program.ops, patterns, strict=True)
    )
    return _product_state(program, x, w), passes


def _stacked_parts(matrix: Matrix, pattern: Pattern, batch: int, dtype) -> tuple:
    import jax.numpy as jnp

    per_sample = any(
        getattr(part, "ndim", 0) for row in matrix for e in row if e is not None for part in e
    )
    shape = (batch,) if per_sample else ()

    def part(index: int):
        if not any(flags[index] for row in pattern for flags in row):
            return None
        return jnp.stack(
            [
                jnp.stack(
                    [
                        jnp.broadcast_to(
                            jnp.asarray(0.0 if e is None or e[index] is None else e[index], dtype),
                            shape,
                        )
                        for e in row
                    ]
                )
                for row in matrix
            ]
        )

    return part(0), part(1)


def _product_state(program: FusedProgram, x, w) -> tuple:
    """The product of every qubit's factor, (re, im) of shape (2**n, B); im is None if real.

    The Kronecker products run on real and imaginary planes for wide states, and in complex
    arithmetic (fewer operations) for narrow ones.
    """
    import jax.numpy as jnp

    batch = x.shape[-1]
    factors = {}
    for qubits, column in factor_groups(program, x, w):
        re, im = (
            _stack_entries(
                [None if e is None else e[p] for e in column], (len(qubits), batch), x.dtype
            )
            for p in (0, 1)
        )
        for i, q in enumerate(qubits):
            factors[q] = (None if re is None else re[i], None if im is None else im[i])  # (2, B)
    planes = [
        (jnp.zeros((2, batch), x.dtype) if re is None else re, im)
        for re, im in map(factors.get, range(program.n_qubits))
    ]
    if program.n_qubits >= _SPLIT_PRODUCT_MIN_QUBITS or all(im is None for _, im in planes):
        state: Entry = None
        for factor in planes:
            outer = (
                factor
                if state is None
                else entry_mul(
                    (state[0][:, None], None if state[1] is None else state[1][:, None]),
                    (factor[0][None], None if factor[1] is None else factor[1][None]),
                )
            )
            state = tuple(None if p is None else p.reshape(-1, batch) for p in outer)
        return state
    state = None
    for re, im in planes:
        factor = re + 1j * (jnp.zeros_like(re) if im is None else im)
        state = factor if state is None else (state[:, None, :] * factor[None]).reshape(-1, batch)
    return state.real, state.imag


def _stack_entries(values: list, shape: tuple[int, ...], dtype):
    """Entries (floats, arrays broadcastable to ``shape``, or None for zero) stacked on axis 1;
    None if all are None."""
    import jax.numpy as jnp

    if all(v is None for v in values):
        return None
    return jnp.stack(
        [jnp.broadcast_to(jnp.asarray(0.0 if v is None else v, dtype), shape) for v in values], 1
    )


def _gather_scatter(qubits: tuple[int, ...], n: int, shape: tuple[int, ...]) -> tuple:
    """Functions between a plane of ``shape`` (2**n, B) and its stacked view (2**k, ...) with
    the acted-on qubits' axes in front, in the order of ``qubits`` (None passes through).

    The plane is viewed with one axis of size 2 per acted-on qubit and the other qubits merged,
    e.g. (2**lo, 2, 2**(hi-lo-1), 2, 2**(n-hi-1), B): low-rank views keep the program and its
    compile time small.
    """
    import jax.numpy as jnp

    view: list[int] = []
    axis_of: dict[int, int] = {}
    previous = -1
    for q in sorted(qubits):
        view += [1 << (q - previous - 1), 2]
        axis_of[q] = len(view) - 1
        previous = q
    view += [1 << (n - previous - 1), shape[-1]]
    axes = tuple(axis_of[q] for q in qubits)
    k = len(qubits)
    rest = tuple(size for axis, size in enumerate(view) if axis not in axes)

    def gather(plane):
        if plane is None:
            return None
        return jnp.moveaxis(plane.reshape(view), axes, range(k)).reshape((1 << k, *rest))

    def scatter(stacked):
        if stacked is None:
            return None
        return jnp.moveaxis(stacked.reshape((2,) * k + rest), range(k), axes).reshape(shape)

    return gather, scatter


def _sparse_matvec(pattern: Pattern, m_re, m_im, s_re, s_im) -> tuple:
    """``M s`` on stacked planes (2**k, ...), computing only the entries ``pattern`` marks."""
    import jax.numpy as jnp

    rows = []
    for i, row in enumerate(pattern):
        terms = []
        for j, (has_re, has_im) in enumerate(row):
            entry = (m_re[i, j] if has_re else None, m_im[i, j] if has_im else None)
            terms.append(
                entry_mul(entry, (s_re[j], None if s_im is None else s_im[j]))
                if has_re or has_im
                else None
            )
        rows.append(reduce(entry_add, terms, None))
    shape = s_re.shape[1:]

    def stack(part: int):
        if all(r is None or r[part] is None for r in rows):
            return None
        return jnp.stack(
            [
                jnp.broadcast_to(0.0 if r is None or r[part] is None else r[part], shape).astype(
                    s_re.dtype
                )
                for r in rows
            ]
        )

    return (stack(0) if stack(0) is not None else jnp.zeros_like(s_re)), stack(1)


def _adjoint(pattern: Pattern, m_re, m_im) -> tuple:
    """The pattern and parts of ``M^dagger``: transposed, the imaginary part negated."""
    import jax.numpy as jnp

    return (
        tuple(zip(*pattern, strict=True)),
        None if m_re is None else jnp.swapaxes(m_re, 0, 1),
        None if m_im is None else -jnp.swapaxes(m_im, 0, 1),
    )


def _matrix_cotangent(parts: tuple, lam: tuple, before: tuple) -> tuple:
    """The cotangent of a pass's matrix parts, from the cotangent ``lam`` after the pass and
    the state ``before`` it (both stacked): ``dM = lam before^dagger``, summed over the state
    and, for a matrix shared by the batch, over the samples."""
    import jax.numpy as jnp

    m_re, m_im = parts
    l_re, l_im = lam
    s_re, s_im = before
    per_sample = (m_re if m_re is not None else m_im).ndim == 3
    rest = "".join(chr(ord("a") + d) for d in range(s_re.ndim - 2))
    spec = f"i{rest}z,j{rest}z->ij" + ("z" if per_sample else "")

    def contract(a, b):
        return None if a is None or b is None else jnp.einsum(spec, a, b)

    dm_re = part_add(contract(l_re, s_re), contract(l_im, s_im))
    dm_im = part_add(contract(l_im, s_re), contract(l_re, s_im), subtract=True)
    return _like(dm_re, m_re), _like(dm_im, m_im)


def _like(cotangent, primal):
    """``cotangent`` shaped for ``primal``: None for a part that is None, zeros for one whose
    cotangent is structurally zero."""
    import jax.numpy as jnp

    if primal is None:
        return None
    return jnp.zeros_like(primal) if cotangent is None else cotangent.astype(primal.dtype)
