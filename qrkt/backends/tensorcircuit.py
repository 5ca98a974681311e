"""``tensorcircuit``: the circuit compiled to TensorCircuit-NG on its JAX backend.

Each sample's circuit is built as a TensorCircuit ``Circuit`` and contracted to its state once;
every ``Z`` observable is then read from ``|psi|^2`` with one matmul against a ``±1`` sign
matrix. The batch is ``jax.vmap``-ed, so the function is pure, jit-able and differentiable.

TensorCircuit keeps its backend, dtype and contractor in module-level globals, and both
importing it and ``tc.set_dtype`` overwrite JAX's ``jax_enable_x64`` flag. This module imports
it lazily with the flag saved and restored, and points the globals at JAX, the chosen dtype
and the greedy contractor only while a circuit is being traced, never touching the flag.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qrkt.backends.base import (
    Capabilities,
    ConformanceVariant,
    ExpectationFn,
    JaxBackend,
    check_shapes,
)
from qrkt.backends.readout import z_sign_matrix
from qrkt.circuits.ir import Circuit, Gate, Param, ParamKind

if TYPE_CHECKING:
    import jax

DTYPES: dict[str, str] = {"complex64": "float32", "complex128": "float64"}
"""The accepted state dtypes and their real counterparts."""

_SCOPE_LOCK = threading.RLock()


class TensorCircuitBackend(JaxBackend):
    """Exact statevector expectation values from TensorCircuit-NG (JAX backend).

    ``dtype``: ``"complex64"`` (default) or ``"complex128"``. For complex128, :meth:`run` turns
    64-bit JAX on for its own call only; a user's ``jit`` of :meth:`expectation_fn` needs
    ``jax.config.update("jax_enable_x64", True)`` first.
    """

    name = "tensorcircuit"
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "complex64": ConformanceVariant({"dtype": "complex64"}),
        "complex128": ConformanceVariant({"dtype": "complex128"}),
    }
    capabilities = Capabilities(autodiff=True, exact=True, shots=False, noise=False, max_qubits=20)

    def __init__(self, dtype: str = "complex64") -> None:
        super().__init__(dtype)
        _tensorcircuit()  # import now, on the host: the import rewrites JAX's x64 flag

    def expectation_fn(self, circuit: Circuit) -> ExpectationFn:
        self.check_circuit(circuit)
        tc = _tensorcircuit()
        dtype = self.dtype
        signs = z_sign_matrix(circuit).astype(DTYPES[dtype])

        def probabilities(x: jax.Array, w: jax.Array) -> jax.Array:
            c = tc.Circuit(circuit.n_qubits)
            for gate in circuit.gates:
                _apply(c, gate, x, w)
            psi = c.state()
            return psi.real**2 + psi.imag**2  # not abs(psi)**2: its gradient is NaN at 0

        def expectation(inputs: jax.Array, weights: jax.Array) -> jax.Array:
            import jax

            check_shapes(circuit, inputs.shape, weights.shape)
            self.check_precision()
            with _tensorcircuit_scope(tc, dtype):
                probs = jax.vmap(probabilities, in_axes=(0, None))(inputs, weights)
            return probs @ signs

        return expectation

    def __repr__(self) -> str:
        return f"<qrkt backend {self.name!r} ({self.dtype}): {self.capabilities.summary()}>"


def _apply(c: object, gate: Gate, x: jax.Array, w: jax.Array) -> None:
    """Append ``gate`` to the TensorCircuit circuit ``c`` with its angle bound to ``x``/``w``."""
    if gate.angle is None:
        getattr(c, gate.name)(*gate.qubits)
        return
    angle = gate.angle
    if isinstance(angle, Param):
        angle = (x if angle.kind is ParamKind.INPUT else w)[angle.index]
    getattr(c, gate.name)(*gate.qubits, theta=angle)


@functools.cache
def _tensorcircuit() -> ModuleType:
    """Import TensorCircuit, keeping JAX's x64 flag as it was (the import resets it)."""
    import jax

    x64 = jax.config.jax_enable_x64
    try:
        import tensorcircuit
    finally:
        jax.config.update("jax_enable_x64", x64)
    return tensorcircuit


@contextlib.contextmanager
def _tensorcircuit_scope(tc: ModuleType, dtype: str) -> Iterator[None]:
    """Point TensorCircuit's globals at JAX, ``dtype`` and the greedy contractor for the
    block (the "branch" contractor stalls compilation), then restore them.

    ``tc.set_dtype``/``tc.runtime_dtype`` would also overwrite ``jax_enable_x64``, so the
    dtype attributes are set here the way ``set_dtype`` sets them, without touching JAX.
    """
    import tensornetwork

    with _SCOPE_LOCK:
        old_backend, old_dtype = tc.backend.name, tc.cons.dtypestr
        old_tn_backend = tensornetwork.backend_contextmanager.get_default_backend()
        tc.set_backend("jax")
        _set_tensorcircuit_dtype(dtype)
        try:
            with tc.runtime_contractor("greedy", preprocessing=True):
                yield
        finally:
            _set_tensorcircuit_dtype(old_dtype)
            tc.set_backend(old_backend)
            tensornetwork.set_default_backend(old_tn_backend)


def _set_tensorcircuit_dtype(dtype: str) -> None:
    """What ``tc.set_dtype(dtype)`` does to TensorCircuit's modules, minus the JAX flag."""
    values = {
        "dtypestr": dtype,
        "rdtypestr": DTYPES[dtype],
        "idtypestr": "int64" if dtype == "complex128" else "int32",
        "npdtype": np.dtype(dtype).type,
    }
    for name, module in list(sys.modules.items()):
        if name.startswith("tensorcircuit") and module is not None:
            for attr, value in values.items():
                setattr(module, attr, value)
