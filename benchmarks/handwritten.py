"""A hand-written JAX statevector for exactly one circuit: the one-layer ``qrkt`` ansatz.

``RY(x_j)`` encoding, then ``RX(w_j)`` and ``RZ(w_j)`` on each qubit, then the ring entangler
(``n > 2``: ``H(j), CNOT(j, j+1 mod n)`` for ``j = 0..n-1``; ``n = 2``: ``CNOT(0, 1)``), reading
``<Z_j>`` for every ``j``. It is a benchmark baseline, written for speed, not generality:

* the pre-entangler state is a product state, built directly from per-qubit 2-vectors;
* the entangler steps that touch only the first ``n // 2`` qubits are applied to that block
  before the full state is formed (a ``2^(n/2)``-size state instead of ``2^n``);
* each ``H(j)`` is fused with the following ``CNOT``; the state is stored batch-last,
  ``(2^n, B)`` complex64, so every slice of it is a contiguous run of samples;
* the batch runs in blocks of 64 samples, so one block's state stays in cache;
* every ``<Z_j>`` comes from ``|psi|^2`` in one matmul against a ``±1`` sign matrix, oriented
  ``(n, 2^n) @ (2^n, B)`` (the transposed product is several times slower on CPU).

Variants differ in how an entangler step is applied: ``"flat"`` slices a 6-axis view,
``"tensor"`` slices the ``n``-axis view, ``"gather"`` gathers rows by precomputed indices, and
``"dense"`` multiplies by the whole ``2^n x 2^n`` entangler at once (small ``n`` only).
Qubit 0 is the most significant bit of the state index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

VARIANTS = ("flat", "tensor", "gather", "dense")
DENSE_MAX_QUBITS = 8
"""The widest circuit the ``"dense"`` variant builds a ``2^n x 2^n`` matrix for."""

_R = np.float32(1 / np.sqrt(2))

HandwrittenFn = Callable[[jax.Array, jax.Array], jax.Array]
ArrayT = TypeVar("ArrayT", np.ndarray, jax.Array)


class Step(NamedTuple):
    """One entangler step: ``H(control)`` if ``hadamard``, then ``CNOT(control, target)``."""

    hadamard: bool
    control: int
    target: int


def entangler_steps(n: int) -> list[Step]:
    """The ring entangler of the ``qrkt`` ansatz as fused steps."""
    if n == 1:
        return []
    if n == 2:
        return [Step(False, 0, 1)]
    return [Step(True, j, (j + 1) % n) for j in range(n)]


def make_handwritten(n: int, variant: str = "flat", chunk: int | None = 64) -> HandwrittenFn:
    """``f(x (B, n), w (n,)) -> <Z_j> (B, n)`` in float32 for the one-layer ``qrkt`` ansatz.

    With ``chunk``, batches larger than ``chunk`` run ``chunk`` samples at a time
    (:func:`chunked`); ``None`` runs the whole batch at once.
    """
    fn = _make_block(n, variant)
    return fn if chunk is None else chunked(fn, chunk)


def chunked(fn: HandwrittenFn, chunk: int) -> HandwrittenFn:
    """``fn`` over the batch in blocks of ``chunk`` samples (a ``lax.map``), each block's
    intermediates recomputed in the gradient rather than stored.

    One block's state stays in cache and its buffers are reused across blocks, where a whole
    batch needs fresh ``2^n x B`` buffers on every call, whose page faults dominate at large
    ``n`` (about 2 us per 4 KiB page on a small VM).
    """
    body = jax.checkpoint(fn)

    def blocks(x: jax.Array, w: jax.Array) -> jax.Array:
        batch, width = x.shape
        if batch <= chunk:
            return fn(x, w)
        full = batch - batch % chunk
        head = jax.lax.map(lambda xb: body(xb, w), x[:full].reshape(-1, chunk, width))
        parts = [head.reshape(full, -1)]
        if full < batch:
            parts.append(fn(x[full:], w))
        return jnp.concatenate(parts)

    return blocks


def _make_block(n: int, variant: str) -> HandwrittenFn:
    """The unchunked function of :func:`make_handwritten`."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; variants: {', '.join(VARIANTS)}")
    if variant == "dense" and n > DENSE_MAX_QUBITS:
        raise ValueError(f"variant 'dense' builds a 2^n x 2^n matrix: n <= {DENSE_MAX_QUBITS}")
    signs = z_signs(n)
    steps = entangler_steps(n)
    if variant == "dense":
        entangler = _apply_gather_steps(np.eye(2**n, dtype=np.float32), n, steps)

        def dense(x: jax.Array, w: jax.Array) -> jax.Array:
            psi = _kron(_qubit_states(x, w))
            return _readout(jax.lax.complex(entangler @ psi.real, entangler @ psi.imag), signs)

        return dense

    apply = {"flat": _step_flat, "tensor": _step_tensor, "gather": _step_gather}[variant]
    split = n // 2
    early = [s for s in steps if max(s.control, s.target) < split and s.target > s.control]
    late = steps[len(early) :]

    def f(x: jax.Array, w: jax.Array) -> jax.Array:
        v = _qubit_states(x, w)
        left = _kron(v[:split])
        for step in early:
            left = apply(left, split, step)
        right = _kron(v[split:])
        psi = (left[:, None, :] * right[None, :, :]).reshape(2**n, -1)
        for step in late:
            psi = apply(psi, n, step)
        return _readout(psi, signs)

    return f


def z_signs(n: int) -> np.ndarray:
    """``S[k, j] = <k|Z_j|k>`` (±1), qubit 0 the most significant bit of ``k``; (2^n, n)."""
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))) & 1
    return (1 - 2 * bits).astype(np.float32)


def _qubit_states(x: jax.Array, w: jax.Array) -> jax.Array:
    """``RZ(w_j) RX(w_j) RY(x_j)|0>`` per qubit and sample: (n, 2, B) complex64."""
    x, w = jnp.asarray(x, jnp.float32).T, jnp.asarray(w, jnp.float32)[:, None]
    cy, sy = jnp.cos(x / 2), jnp.sin(x / 2)
    cx, sx = jnp.cos(w / 2), jnp.sin(w / 2)
    phase = jnp.exp(-0.5j * w).astype(jnp.complex64)
    up = (cx * cy - 1j * sx * sy) * phase
    down = (cx * sy - 1j * sx * cy) * jnp.conj(phase)
    return jnp.stack([up, down], axis=1)


def _kron(v: jax.Array) -> jax.Array:
    """The product state of per-qubit vectors (m, 2, B): (2^m, B), batch last."""
    psi = jnp.ones((1, v.shape[-1]), v.dtype)
    for vj in v:
        psi = (psi[:, None, :] * vj[None, :, :]).reshape(-1, psi.shape[-1])
    return psi


def _readout(psi: jax.Array, signs: np.ndarray) -> jax.Array:
    """``<Z_j>`` for every qubit from the state (2^n, B): (B, n)."""
    return (signs.T @ (psi.real**2 + psi.imag**2)).T


def _fuse(a: jax.Array, b: jax.Array, step: Step) -> tuple[jax.Array, jax.Array]:
    """The control-0 and control-1 halves after the optional ``H(control)``."""
    return ((a + b) * _R, (a - b) * _R) if step.hadamard else (a, b)


def _step_sliced(psi: jax.Array, shape: tuple[int, ...], step: Step, c: int, t: int) -> jax.Array:
    """One step on ``psi`` viewed as ``shape``; ``c``/``t``: axes of control and target."""
    view = psi.reshape(shape)
    zero, one = _fuse(jnp.take(view, 0, axis=c), jnp.take(view, 1, axis=c), step)
    one = jnp.flip(one, axis=t - (t > c))  # the CNOT: flip the target where control is 1
    return jnp.stack([zero, one], axis=c).reshape(psi.shape)


def _step_flat(psi: jax.Array, n: int, step: Step) -> jax.Array:
    """Slices of the 6-axis view ``(2^lo, 2, 2^mid, 2, 2^hi, batch)``."""
    lo, hi = sorted((step.control, step.target))
    shape = (2**lo, 2, 2 ** (hi - lo - 1), 2, 2 ** (n - hi - 1), psi.shape[-1])
    c, t = (1, 3) if step.control < step.target else (3, 1)
    return _step_sliced(psi, shape, step, c, t)


def _step_tensor(psi: jax.Array, n: int, step: Step) -> jax.Array:
    """Slices of the ``n``-axis view ``(2, ..., 2, batch)``."""
    return _step_sliced(psi, (2,) * n + (psi.shape[-1],), step, step.control, step.target)


def _step_gather(psi: jax.Array, n: int, step: Step) -> jax.Array:
    """Rows gathered by precomputed indices."""
    return _apply_gather_steps(psi, n, [step])


def _apply_gather_steps(psi: ArrayT, n: int, steps: list[Step]) -> ArrayT:
    """Apply steps to the rows of ``psi`` (2^n, ...) by gathers; NumPy in, NumPy out."""
    k = np.arange(2**n)
    for step in steps:
        cbit, tbit = 1 << (n - 1 - step.control), 1 << (n - 1 - step.target)
        on = (k & cbit) != 0
        source = k ^ np.where(on, tbit, 0)  # CNOT: out[k] = in[source[k]]
        if step.hadamard:
            low = source & ~cbit
            sign = np.where(on, -_R, _R).astype(np.float32)[:, None]
            psi = psi[low] * _R + psi[low | cbit] * sign
        else:
            psi = psi[source]
    return psi
