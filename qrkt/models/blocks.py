"""The transformer blocks of the QRKT family (REFERENCE §2): encoder, Runge-Kutta and decoder."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.layers.base import QuantumLayerFactory
from qrkt.models.attention import CrossAttention, SelfAttention
from qrkt.models.runge_kutta import TABLEAUS


class FeedForward(nn.Module):
    """``Dense(d -> m) -> [m-qubit circuit] -> Dropout -> GELU -> Dense(m -> d)``.

    The circuit is inserted between the two Dense layers (quantum model only), not
    substituted for them.
    """

    mlp: int
    dropout: float
    quantum_layer: QuantumLayerFactory | None = None
    train: bool = False

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        hidden = nn.Dense(self.mlp, name="expand")(tokens)
        if self.quantum_layer is not None:
            hidden = self.quantum_layer(self.mlp, name="circuit")(hidden)
        hidden = nn.gelu(nn.Dropout(self.dropout, deterministic=not self.train)(hidden))
        return nn.Dense(tokens.shape[-1], name="contract")(hidden)


class Block(nn.Module):
    """What every block shares: heads, m, dropout, the quantum layer factory, train mode."""

    heads: int
    mlp: int
    dropout: float
    quantum_layer: QuantumLayerFactory | None = None
    train: bool = False

    def attention(self, name: str) -> SelfAttention:
        return SelfAttention(self.heads, self.dropout, self.quantum_layer, self.train, name=name)

    def feed_forward(self, name: str) -> FeedForward:
        return FeedForward(self.mlp, self.dropout, self.quantum_layer, self.train, name=name)

    def drop(self, tokens: jax.Array) -> jax.Array:
        return nn.Dropout(self.dropout, deterministic=not self.train)(tokens)


class EncoderBlock(Block):
    """Pre-LN: ``x + Drop(MHSA(LN(x)))``, then ``+ Drop(FFN(LN(.)))``."""

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        attended = self.attention("attention")(nn.LayerNorm(name="norm1")(tokens))
        tokens = tokens + self.drop(attended)
        fed = self.feed_forward("feed_forward")(nn.LayerNorm(name="norm2")(tokens))
        return tokens + self.drop(fed)


class OdeFunction(Block):
    """``F(z) = Drop(MHSA(z)) + Drop(FFN(z))``: attention and MLP in parallel on one input."""

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        attended = self.attention("attention")(tokens)
        fed = self.feed_forward("feed_forward")(tokens)
        return self.drop(attended) + self.drop(fed)


class RungeKuttaBlock(Block):
    """One explicit Runge-Kutta step of F from ``xn = LN(x)``; the residual stream is ``xn``.

    Each stage has its own F (the thesis's count), or all share one with ``shared_stages``.
    The stages run as one ``scan`` over their stacked parameters, so F is compiled once.
    """

    method: str = "rk4"
    shared_stages: bool = False

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        tableau = TABLEAUS[self.method]
        count = len(tableau.weights)
        start = nn.LayerNorm(name="norm")(tokens)
        coefficients = jnp.asarray(
            [row + (0.0,) * (count - len(row)) for row in tableau.a], start.dtype
        )

        def stage(function: OdeFunction, carry: tuple, row: jax.Array) -> tuple:
            slopes, index = carry
            slope = function(start + jnp.tensordot(row, slopes, axes=1))
            return (slopes.at[index].set(slope), index + 1), None

        stages = nn.scan(
            stage,
            variable_axes={} if self.shared_stages else {"params": 0},
            variable_broadcast="params" if self.shared_stages else False,
            split_rngs={"params": not self.shared_stages, "dropout": True},
            length=count,
        )
        function = OdeFunction(
            self.heads, self.mlp, self.dropout, self.quantum_layer, self.train, name="stages"
        )
        initial = (jnp.zeros((count, *start.shape), start.dtype), 0)
        (slopes, _), _ = stages(function, initial, coefficients)
        return start + jnp.tensordot(jnp.asarray(tableau.weights, start.dtype), slopes, axes=1)


class DecoderBlock(Block):
    """Unmasked decoder: self-attention, projection-free cross-attention to ``memory``, FFN."""

    @nn.compact
    def __call__(self, tokens: jax.Array, memory: jax.Array) -> jax.Array:
        attended = self.attention("attention")(nn.LayerNorm(name="norm1")(tokens))
        tokens = tokens + self.drop(attended)
        cross = CrossAttention(
            self.heads, self.dropout, self.quantum_layer, self.train, name="cross"
        )
        crossed = cross(nn.LayerNorm(name="norm2")(tokens), memory)
        tokens = tokens + self.drop(crossed)
        fed = self.feed_forward("feed_forward")(nn.LayerNorm(name="norm3")(tokens))
        return tokens + self.drop(fed)


def repeat(block: Block, count: int, tokens: jax.Array, *context: jax.Array) -> jax.Array:
    """Apply ``count`` copies of ``block`` in sequence, each with its own parameters.

    The copies' parameters are stacked on a leading axis and run as one ``scan``, so a model
    of many identical blocks compiles one. ``context`` (e.g. a decoder's memory) is shared.
    """

    def step(module: Block, carry: jax.Array, _: None) -> tuple[jax.Array, None]:
        return module(carry, *context), None

    scanned = nn.scan(
        step,
        variable_axes={"params": 0},
        split_rngs={"params": True, "dropout": True},
        length=count,
    )
    return scanned(block, tokens, None)[0]
