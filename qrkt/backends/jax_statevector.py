"""``jax``: qrkt's own statevector simulator in JAX, built for training speed.

The circuit is compiled once, at trace time, into a product state and fused passes
(:mod:`qrkt.backends.fused_program`), then simulated by one of two strategies, the cheaper for
its shape by a count of multiply-adds:

- the contraction (:mod:`qrkt.backends.contraction`): a tensor network per sample, in the
  cheapest order a greedy and a randomized greedy search find; the cheaper for most circuits,
  and its gradient compiles in seconds;
- the sweep (:mod:`qrkt.backends.sweep`): each pass is applied to the state in one sweep,
  skipping the entries that are zero by structure, with the adjoint gradient; the cheaper where
  no order is cheap and the state fits in cache (of the ansätze up to L = 4, n = 16: four
  layers at n = 12).

Every Z-string expectation is read from the probabilities in one matrix product.

When every pass is a Clifford gate (H, CNOT), as in one-layer "qrkt" and "cara" ansätze, no
state is built at all: each Z-string, carried back through those gates, is a signed Pauli string,
and its expectation in the product state is a product of single-qubit Bloch components
(:mod:`qrkt.circuits.clifford`). That costs O(n) per sample instead of O(2^n), and compiles in
milliseconds.

The batch runs in blocks, for the sweep cache-sized and in independent streams of blocks that
XLA runs concurrently on a CPU's cores.

JAX's global settings are never changed: ``complex128`` runs need 64-bit JAX, which
:meth:`Backend.run` enables in a scope of its own and a user's ``jit`` must enable itself.
"""

from __future__ import annotations

import itertools
import os
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
from qrkt.backends.fused_program import FusedProgram, compile_program
from qrkt.backends.product_readout import product_readout
from qrkt.backends.readout import z_sign_matrix
from qrkt.backends.sweep import sweep_block
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, is_integer

_DTYPES = {"complex64": np.float32, "complex128": np.float64}

# Samples per block of the batch: enough to vectorize, few enough that a block's state stays in
# cache (fresh full-batch buffers cost more in page faults than the arithmetic). Measured best
# from n = 4 to 12 on a 2-core CPU (benchmarks/backends.py), as for the hand-written baseline.
_BLOCK_SIZE = 64
_STRATEGIES = ("auto", "sweep", "contraction")
# "auto" contracts where the contraction order costs at most this many times the sweep's
# multiply-adds. Measured with the `strategy` option forced each way (B = 64, `qrkt` ansatz,
# medians of `benchmarks.timing` in one process): at a cost ratio of 1.5 (L = 4, n = 8)
# contraction's gradient was 2.8x faster and its forward pass 2x slower; at 3.2 (L = 4, n = 12)
# the sweep was 3x faster in the forward pass and 1.7x in the gradient.
_CONTRACTION_MAX_COST = 2.0
# From this width on, a block of the sweep's state outgrows the cache and its passes are bound
# by memory: at L = 4, n = 14 (ratio 2.3) contraction's gradient was 2.9x faster, its forward
# pass 1.3x slower; at L = 3, n = 16 (ratio 3.0, a greedy order) 2.7x faster and 1.1x slower.
_WIDE_QUBITS = 14
_WIDE_CONTRACTION_MAX_COST = 4.0
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
        ``"auto"`` (default): contraction where its order costs at most twice the sweep's
        multiply-adds, or four times from 14 qubits on (where the sweep is bound by memory).
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
            import jax.numpy as jnp

            check_shapes(circuit, inputs.shape, weights.shape)
            self.check_precision()
            w = jnp.asarray(weights, real)
            x = jnp.asarray(inputs, real)
            if strategy == "product-state readout":
                return product_readout(program, x.T, w).T
            if strategy == "contraction":
                sign = jnp.asarray(signs, real)
                block = _contracted_block(program, w, sign, np.dtype(self.dtype))
                size = max(1, _CONTRACTION_AMPLITUDES >> program.n_qubits)
                # A block of a split batch is recomputed in the backward pass, not stored: its
                # intermediate states would otherwise be kept for every block at once.
                return _blocks(block, x, self.block_size or size, 1, recompute=True)

            block = sweep_block(program, signs)
            return _blocks(
                lambda x: block(x, w), x, self.block_size or _BLOCK_SIZE, self._stream_count()
            )

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
        wide = program.n_qubits >= _WIDE_QUBITS
        bar = _WIDE_CONTRACTION_MAX_COST if wide else _CONTRACTION_MAX_COST
        return "contraction" if network(program).cost <= bar * sweep_cost(program) else "sweep"

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


def _blocks(block, x, size: int, streams: int, *, recompute: bool = False):
    """``block`` mapped over blocks of ``size`` samples of ``x``, in up to ``streams``
    independent runs of blocks (XLA runs them concurrently), each recomputed in the backward
    pass if ``recompute``; a batch of one block is not split."""
    import jax
    import jax.numpy as jnp

    batch = x.shape[0]
    if batch <= size:
        return block(x)
    if recompute:
        block = jax.checkpoint(block)
    full = batch - batch % size
    runs = [
        jax.lax.map(block, run.reshape(-1, size, x.shape[1])).reshape(run.shape[0], -1)
        for run in _split(x[:full], full // size, streams)
    ]
    if full < batch:
        runs.append(block(x[full:]))
    return jnp.concatenate(runs) if len(runs) > 1 else runs[0]


def _contracted_block(program: FusedProgram, w, sign, dtype):
    """The contraction strategy on a block of samples ``(b, n_inputs) -> (b, n_obs)``."""
    import jax

    def sample(x):
        state = contracted_state(program, x, w, dtype)
        return sign @ (state.real**2 + state.imag**2)

    return jax.vmap(sample)


def _split(x, blocks: int, streams: int) -> list:
    """Split ``x`` (``blocks`` blocks of samples) into up to ``streams`` runs of whole blocks."""
    if blocks == 0:
        return []
    bounds = np.linspace(0, blocks, min(streams, blocks) + 1).round().astype(int)
    size = x.shape[0] // blocks
    return [x[a * size : b * size] for a, b in itertools.pairwise(bounds)]
