"""The interface models see: a quantum layer maps ``(..., width)`` to ``(..., width)``.

Models depend on this module only. Which circuit, which backend and whether any quantum
backend is involved at all is the business of the implementations.
"""

from __future__ import annotations

from typing import Protocol

import flax.linen as nn
import jax
import jax.numpy as jnp


class QuantumLayer(nn.Module):
    """A Flax module from ``(..., width)`` features to ``(..., width)`` values in ``[-1, 1]``.

    It owns its trainable parameters and is differentiable end to end in JAX. Subclasses
    implement ``__call__``.
    """

    width: int

    def __call__(self, features: jax.Array) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def check_features(self, features: jax.Array) -> jax.Array:
        """``features`` as a JAX float array; raise unless they are real with last axis ``width``.

        Integers become float32; float64 stays float64 only under 64-bit JAX (float32 else).
        """
        from qrkt.errors import BackendInputError

        name = type(self).__name__
        if features.ndim < 1 or features.shape[-1] != self.width:
            raise BackendInputError(
                f"{name} of width {self.width} needs features of shape "
                f"(..., {self.width}), got shape {tuple(features.shape)}"
            )
        dtype = jnp.result_type(features, jnp.float32)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise BackendInputError(
                f"{name} needs real features, got dtype {features.dtype}; pass real angles "
                "(x.real, or the real and imaginary parts as separate features)"
            )
        return jnp.asarray(features, dtype)


class QuantumLayerFactory(Protocol):
    """Makes the quantum layers of a model: one call per circuit, given its width.

    Models hold a factory, not a backend, so the same model runs on any implementation; a
    factory is a small hashable value (a frozen dataclass), as Flax module attributes should be.
    """

    def __call__(self, width: int, *, name: str | None = None) -> QuantumLayer:
        """A quantum layer of ``width`` qubits, named ``name`` in the parameter tree."""
        ...
