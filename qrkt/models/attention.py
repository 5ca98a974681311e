"""Multi-head attention whose projections are d-qubit circuits or ``Dense(d -> d)`` layers."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.layers.base import QuantumLayerFactory


def projection(quantum_layer: QuantumLayerFactory | None, width: int, name: str) -> nn.Module:
    """A ``width -> width`` map: a quantum layer of ``width`` qubits, or a Dense layer."""
    if quantum_layer is None:
        return nn.Dense(width, name=name)
    return quantum_layer(width, name=name)


def attend(
    query: jax.Array,
    key: jax.Array,
    value: jax.Array,
    *,
    heads: int,
    dropout: nn.Dropout,
) -> jax.Array:
    """Scaled dot-product attention over ``heads`` heads of ``(B, T, d)`` tensors.

    The whole hidden vector is projected first; it is split into heads here, so a d-qubit
    circuit sees every feature of a token.
    """
    batch, length, width = query.shape
    head_dim = width // heads

    def split(tensor: jax.Array) -> jax.Array:
        return tensor.reshape(*tensor.shape[:2], heads, head_dim)

    scores = jnp.einsum("bqhd,bkhd->bhqk", split(query), split(key)) / jnp.sqrt(head_dim)
    weights = dropout(jax.nn.softmax(scores, axis=-1))
    attended = jnp.einsum("bhqk,bkhd->bqhd", weights, split(value))
    return attended.reshape(batch, length, width)


class SelfAttention(nn.Module):
    """Q, K, V and output projections (circuits or Dense) around multi-head attention."""

    heads: int
    dropout: float
    quantum_layer: QuantumLayerFactory | None = None
    train: bool = False

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        width = tokens.shape[-1]
        query, key, value = (
            projection(self.quantum_layer, width, name)(tokens)
            for name in ("query", "key", "value")
        )
        dropout = nn.Dropout(self.dropout, deterministic=not self.train)
        attended = attend(query, key, value, heads=self.heads, dropout=dropout)
        return projection(self.quantum_layer, width, "out")(attended)


class CrossAttention(nn.Module):
    """Projection-free cross-attention: Q = the tokens, K = V = the encoder's output ``memory``.

    Only the output projection has parameters (REFERENCE §2, decoder block).
    """

    heads: int
    dropout: float
    quantum_layer: QuantumLayerFactory | None = None
    train: bool = False

    @nn.compact
    def __call__(self, tokens: jax.Array, memory: jax.Array) -> jax.Array:
        dropout = nn.Dropout(self.dropout, deterministic=not self.train)
        attended = attend(tokens, memory, memory, heads=self.heads, dropout=dropout)
        return projection(self.quantum_layer, tokens.shape[-1], "out")(attended)
