"""``jax``: qrkt's own statevector simulator in JAX, built for training speed.

The circuit is compiled once, at trace time, into a product state and fused passes
(:mod:`qrkt.backends.fused_program`), then simulated by one of two strategies, the cheaper for
its shape by a count of multiply-adds:

- the sweep (this module): each pass is applied to the state in one sweep, skipping the entries
  that are zero by structure (a pass of real gates, such as RY, H and CNOT, does real
  arithmetic only); the cheaper for deep circuits (three layers and more of an ansatz);
- the contraction (:mod:`qrkt.backends.contraction`): a tensor network per sample, contracted
  in a greedy order; the cheaper for shallow ones, and its gradient compiles in seconds.

Every Z-string expectation is read from the probabilities in one matrix product.

When every pass is a Clifford gate (H, CNOT), as in one-layer "qrkt" and "cara" ansätze, no
state is built at all: each Z-string, carried back through those gates, is a signed Pauli string,
and its expectation in the product state is a product of single-qubit Bloch components
(:mod:`qrkt.circuits.clifford`). That costs O(n) per sample instead of O(2^n), and compiles in
milliseconds.

The sweep holds the state as real and imaginary planes with the batch as the last (contiguous)
axis, so every gate is a handful of fused, vectorized element-wise operations. The batch runs in
cache-sized blocks, in independent streams of blocks that XLA runs concurrently on a CPU's
cores.

JAX's global settings are never changed: ``complex128`` runs need 64-bit JAX, which
:meth:`Backend.run` enables in a scope of its own and a user's ``jit`` must enable itself.
"""

from __future__ import annotations

import itertools
import operator
import os
from functools import cache, partial, reduce
from typing import ClassVar

import numpy as np

from qrkt.backends.base import (
    BackendOption,
    Capabilities,
    ConformanceVariant,
    ExpectationFn,
    JaxBackend,
    check_shapes,
)
from qrkt.backends.contraction import contracted_state, network, sweep_cost
from qrkt.backends.entries import Entry, Matrix, entry_add, entry_mul, part_add, part_mul, scale
from qrkt.backends.fused_program import FusedProgram, compile_program, factor_groups, op_matrix
from qrkt.backends.readout import z_sign_matrix
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, is_integer

_DTYPES = {"complex64": np.float32, "complex128": np.float64}

# Samples per block of the batch: enough to vectorize, few enough that a block's state stays in
# cache (fresh full-batch buffers cost more in page faults than the arithmetic). Measured best
# from n = 4 to 12 on a 2-core CPU (benchmarks/backends.py), as for the hand-written baseline.
_BLOCK_SIZE = 64
# From this width on the product state is built on split planes: at n = 12, B = 1024 that made
# the forward pass 1.5-2x faster than complex arithmetic; at n = 6 complex was faster.
_SPLIT_PRODUCT_MIN_QUBITS = 10
_STRATEGIES = ("auto", "sweep", "contraction")
# "auto" contracts where the contraction order costs at most this many times the sweep's
# multiply-adds. Measured with both strategies forced, B = 64: at a cost ratio of 1.5 (qrkt,
# L = 4, n = 8) contraction's gradient was 2.8x faster and its forward pass 2x slower; at 3.2
# (L = 4, n = 12) the sweep was faster in both.
_CONTRACTION_MAX_COST = 2.0
# Amplitudes of a block of samples in the contraction strategy.
_CONTRACTION_AMPLITUDES = 1 << 22


class JaxStatevectorBackend(JaxBackend):
    """Exact, differentiable statevector simulation in JAX.

    Args:
      dtype: ``"complex64"`` (default, fastest) or ``"complex128"`` (needs 64-bit JAX).
      streams: independent runs of blocks, which XLA runs concurrently; default: the CPU
        cores available to this process on a CPU, 1 on an accelerator.
      clifford_readout: read circuits whose entangling part is all H and CNOT from the product
        state (exact, O(n) per sample); ``False`` always simulates the statevector.
      strategy: how other circuits are simulated: ``"sweep"`` (pass by pass over the state),
        ``"contraction"`` (a tensor network per sample, :mod:`qrkt.backends.contraction`), or
        ``"auto"`` (default): contraction where its order costs at most twice the sweep's.
      block_size: samples simulated at a time; default: 64 for the sweep, for contraction as
        many as keep a block's states within 4M amplitudes.
    """

    name = "jax"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        *JaxBackend.cli_options,
        BackendOption(
            "block_size", int, "N", f"samples simulated at a time (default: {_BLOCK_SIZE})"
        ),
        BackendOption(
            "streams",
            int,
            "N",
            "concurrent runs of blocks (default: the CPU cores on a CPU, 1 on an accelerator)",
        ),
        BackendOption(
            "strategy",
            str,
            "NAME",
            "sweep, contraction or auto (default: the cheaper of the two for the circuit)",
        ),
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "complex64": ConformanceVariant({"dtype": "complex64"}),
        "complex128": ConformanceVariant({"dtype": "complex128"}),
        "sweep": ConformanceVariant({"strategy": "sweep"}),
        "contraction": ConformanceVariant({"strategy": "contraction"}),
    }
    capabilities = Capabilities(autodiff=True, exact=True, shots=False, noise=False, max_qubits=24)

    def __init__(
        self,
        dtype: str = "complex64",
        block_size: int | None = None,
        streams: int | None = None,
        clifford_readout: bool = True,
        strategy: str = "auto",
    ) -> None:
        super().__init__(dtype)
        for label, value in (("block_size", block_size), ("streams", streams)):
            if value is not None and (not is_integer(value) or value < 1):
                raise BackendInputError(f"{label} must be an integer >= 1 or None, got {value!r}")
        self.block_size = block_size
        self.streams = streams
        self.clifford_readout = bool(clifford_readout)
        if strategy not in _STRATEGIES:
            raise BackendInputError(
                f"strategy must be one of {', '.join(map(repr, _STRATEGIES))}, got {strategy!r}"
            )
        self.strategy = strategy

    def expectation_fn(self, circuit: Circuit) -> ExpectationFn:
        self.check_circuit(circuit)
        program = compile_program(circuit)
        strategy = self._strategy(program)
        signs = z_sign_matrix(circuit).T
        real = _DTYPES[self.dtype]

        def expectations(inputs, weights):
            import jax
            import jax.numpy as jnp

            check_shapes(circuit, inputs.shape, weights.shape)
            self.check_precision()
            w = jnp.asarray(weights, real)
            x = jnp.asarray(inputs, real)
            if strategy == "product-state readout":
                return _product_readout(program, x.T, w).T
            sign = jnp.asarray(signs, real)
            if strategy == "contraction":
                block = _contracted_block(program, w, sign, np.dtype(self.dtype))
                size = max(1, _CONTRACTION_AMPLITUDES >> program.n_qubits)
                return _blocks(block, x, self.block_size or size, 1)

            @jax.checkpoint  # the backward pass recomputes a block instead of storing it
            def block(x):  # (b, n_inputs) -> (b, n_observables)
                return (sign @ _probabilities(program, x.T, w)).T

            return _blocks(block, x, self.block_size or _BLOCK_SIZE, self._stream_count())

        return expectations

    def strategy_for(self, circuit: Circuit) -> str:
        """How :meth:`expectation_fn` simulates ``circuit``: ``"product-state readout"``,
        ``"contraction"`` or ``"sweep"``."""
        return self._strategy(compile_program(circuit))

    def _strategy(self, program: FusedProgram) -> str:
        if self.clifford_readout and program.product_readout is not None:
            return "product-state readout"
        if self.strategy != "auto":
            return self.strategy
        cheaper = network(program).cost <= _CONTRACTION_MAX_COST * sweep_cost(program)
        return "contraction" if cheaper else "sweep"

    def _stream_count(self) -> int:
        """Independent block streams, which XLA runs concurrently: one per CPU core."""
        import jax

        if self.streams is not None:
            return self.streams
        if jax.default_backend() != "cpu":
            return 1
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1


def _blocks(block, x, size: int, streams: int):
    """``block`` mapped over blocks of ``size`` samples of ``x``, in up to ``streams``
    independent runs of blocks (XLA runs them concurrently); a batch of one block is not
    split."""
    import jax
    import jax.numpy as jnp

    batch = x.shape[0]
    if batch <= size:
        return block(x)
    full = batch - batch % size
    runs = [
        jax.lax.map(block, run.reshape(-1, size, x.shape[1])).reshape(run.shape[0], -1)
        for run in _split(x[:full], full // size, streams)
    ]
    if full < batch:
        runs.append(block(x[full:]))
    return jnp.concatenate(runs) if len(runs) > 1 else runs[0]


def _contracted_block(program: FusedProgram, w, sign, dtype):
    """The contraction strategy on a block of samples ``(b, n_inputs) -> (b, n_obs)``,
    recomputed in the backward pass instead of stored."""
    import jax

    def sample(x):
        state = contracted_state(program, x, w, dtype)
        return sign @ (state.real**2 + state.imag**2)

    return jax.checkpoint(jax.vmap(sample))


def _split(x, blocks: int, streams: int) -> list:
    """Split ``x`` (``blocks`` blocks of samples) into up to ``streams`` runs of whole blocks."""
    if blocks == 0:
        return []
    bounds = np.linspace(0, blocks, min(streams, blocks) + 1).round().astype(int)
    size = x.shape[0] // blocks
    return [x[a * size : b * size] for a, b in itertools.pairwise(bounds)]


# --- the state ------------------------------------------------------------------------------


def _probabilities(program: FusedProgram, x, w):
    """``|psi|^2`` of the final state, shape (2**n, B), for inputs x of shape (n_in, B)."""
    import jax.numpy as jnp

    # Weights enter per sample: their gradient is then one reduction over the batch, where
    # scalar weights would make one reduction (and one compiled kernel) per use.
    w = jnp.broadcast_to(w[:, None], (w.shape[0], x.shape[-1]))
    re, im = _product_state(program, x, w)
    for op in program.ops:
        re, im = _apply(op_matrix(op, x, w), op.qubits, program.n_qubits, re, im)
    return re * re if im is None else re * re + im * im


def _product_readout(program: FusedProgram, x, w):
    """The observables from the product state's Bloch vectors, shape (n_obs, B)."""
    import jax.numpy as jnp

    batch = x.shape[-1]
    components, order = [], []
    for qubits, (a, b) in factor_groups(program, x, w):
        a_re, a_im = (None, None) if a is None else a
        b_re, b_im = (None, None) if b is None else b
        bloch = (  # 2 Re(a* b), 2 Im(a* b), |a|^2 - |b|^2
            scale(2.0, part_add(part_mul(a_re, b_re), part_mul(a_im, b_im))),
            scale(2.0, part_add(part_mul(a_re, b_im), part_mul(a_im, b_re), subtract=True)),
            part_add(
                part_add(part_mul(a_re, a_re), part_mul(a_im, a_im)),
                part_add(part_mul(b_re, b_re), part_mul(b_im, b_im)),
                subtract=True,
            ),
        )
        shape = (len(qubits), batch)
        components.append(
            jnp.stack(
                [
                    jnp.broadcast_to(jnp.asarray(0.0 if c is None else c, x.dtype), shape)
                    for c in bloch
                ]
            )
        )
        order += qubits
    bloch = jnp.concatenate(components, 1)[:, np.argsort(order)]  # (3, n, B): X, Y, Z
    rows = []
    for sign, terms in program.product_readout:
        value = reduce(operator.mul, (bloch["XYZ".index(letter), q] for q, letter in terms))
        rows.append(value if sign == 1 else -value)
    return jnp.stack(rows)


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


def _apply(matrix: Matrix, qubits: tuple[int, ...], n: int, re, im) -> tuple:
    """Apply ``matrix`` (basis ordered by the bits of ``qubits``) to the state planes.

    A plane of shape (2**n, B) is viewed with one axis of size 2 per acted-on qubit and the
    other qubits merged, e.g. (2**lo, 2, 2**(hi-lo-1), 2, 2**(n-hi-1), B), and the acted-on
    axes are gathered in front: low-rank views keep the program and its compile time small.
    """
    import jax.numpy as jnp

    view, axes = _view(qubits, n, re.shape[-1])
    k = len(qubits)
    rest = tuple(size for axis, size in enumerate(view) if axis not in axes)

    def gather(plane):
        return (
            None
            if plane is None
            else jnp.moveaxis(plane.reshape(view), axes, range(k)).reshape((1 << k, *rest))
        )

    def scatter(stacked):
        if stacked is None:
            return None
        return jnp.moveaxis(stacked.reshape((2,) * k + rest), range(k), axes).reshape(re.shape)

    pattern = tuple(
        tuple((e is not None and e[0] is not None, e is not None and e[1] is not None) for e in row)
        for row in matrix
    )
    per_sample = any(
        getattr(part, "ndim", 0) for row in matrix for e in row if e is not None for part in e
    )
    entry_shape = (re.shape[-1],) if per_sample else ()

    def parts(index: int):
        if not any(flags[index] for row in pattern for flags in row):
            return None
        return jnp.stack(
            [
                jnp.stack(
                    [
                        jnp.broadcast_to(
                            jnp.asarray(
                                0.0 if e is None or e[index] is None else e[index], re.dtype
                            ),
                            entry_shape,
                        )
                        for e in row
                    ]
                )
                for row in matrix
            ]
        )

    out_re, out_im = _matvec_with_vjp()(pattern, parts(0), parts(1), gather(re), gather(im))
    return scatter(out_re), scatter(out_im)


def _view(qubits: tuple[int, ...], n: int, batch: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The view of a (2**n, B) plane with one axis per acted-on qubit, and those axes in
    the order of ``qubits``."""
    view: list[int] = []
    axis_of: dict[int, int] = {}
    previous = -1
    for q in sorted(qubits):
        view += [1 << (q - previous - 1), 2]
        axis_of[q] = len(view) - 1
        previous = q
    view += [1 << (n - previous - 1), batch]
    return tuple(view), tuple(axis_of[q] for q in qubits)


def _sparse_matvec(pattern, m_re, m_im, s_re, s_im) -> tuple:
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


@cache
def _matvec_with_vjp():
    """``_sparse_matvec`` with a hand-written VJP: the state cotangent is ``M^dagger g`` by the
    same sparse kernel, and the matrix cotangent one contraction per part, instead of one
    reduction over the whole state per matrix entry (which makes XLA compile for minutes)."""
    import jax
    import jax.numpy as jnp

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def matvec(pattern, m_re, m_im, s_re, s_im):
        return _sparse_matvec(pattern, m_re, m_im, s_re, s_im)

    def forward(pattern, m_re, m_im, s_re, s_im):
        return _sparse_matvec(pattern, m_re, m_im, s_re, s_im), (m_re, m_im, s_re, s_im)

    def backward(pattern, residuals, cotangent):
        m_re, m_im, s_re, s_im = residuals
        g_re, g_im = cotangent
        adjoint = tuple(zip(*pattern, strict=True))  # transpose; conjugation negates m_im
        ds_re, ds_im = _sparse_matvec(
            adjoint,
            None if m_re is None else jnp.swapaxes(m_re, 0, 1),
            None if m_im is None else -jnp.swapaxes(m_im, 0, 1),
            g_re,
            g_im,
        )
        per_sample = (m_re if m_re is not None else m_im).ndim == 3
        rest = "".join(chr(ord("a") + d) for d in range(s_re.ndim - 2))
        spec = f"i{rest}z,j{rest}z->ij" + ("z" if per_sample else "")

        def contract(g, s):
            return None if g is None or s is None else jnp.einsum(spec, g, s)

        def combine(first, second, *, subtract=False):
            return part_add(first, second, subtract=subtract)

        dm_re = None if m_re is None else combine(contract(g_re, s_re), contract(g_im, s_im))
        dm_im = (
            None
            if m_im is None
            else combine(contract(g_im, s_re), contract(g_re, s_im), subtract=True)
        )
        return (
            None if dm_re is None else dm_re.astype(m_re.dtype),
            None if dm_im is None else dm_im.astype(m_im.dtype),
            ds_re,
            None if s_im is None else ds_im if ds_im is not None else jnp.zeros_like(s_im),
        )

    matvec.defvjp(forward, backward)
    return matvec
