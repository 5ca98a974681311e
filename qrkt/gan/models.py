"""The QRKT-GAN's networks (REFERENCE §5), built on the abstract ``QuantumLayer`` only.

Like :mod:`qrkt.models`, nothing here imports :mod:`qrkt.backends`: a network holds a
``QuantumLayerFactory`` (``None`` for the classical TransGAN baseline), so a generator trained
on one backend samples on any other with the same parameters.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.errors import QrktError
from qrkt.gan.config import LAST_STAGE, GanConfig
from qrkt.layers.base import QuantumLayerFactory
from qrkt.models import EncoderBlock, PatchEmbedding, RungeKuttaBlock
from qrkt.models.blocks import repeat


def pixel_shuffle(tokens: jax.Array, side: int) -> jax.Array:
    """``(B, side², 4c)`` tokens as ``(B, (2 side)², c)``: each token's features fill a 2x2
    block of the doubled grid (depth-to-space)."""
    batch, _, features = tokens.shape
    grid = tokens.reshape(batch, side, side, 2, 2, features // 4)
    grid = grid.transpose(0, 1, 3, 2, 4, 5)
    return grid.reshape(batch, (2 * side) ** 2, features // 4)


def neighbourhoods(images: jax.Array) -> jax.Array:
    """``(B, H, W, C)`` images as ``(B, H, W, 9 C)``: each pixel's 3x3 neighbourhood (zero
    padded), so that a ``Dense`` layer over them is a 3x3 convolution: on CPU, XLA runs small
    convolutions and their R1 double backward far slower than the matrix products of this form
    (``benchmarks/results/gan/README.md``)."""
    height, width = images.shape[1:3]
    padded = jnp.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    shifted = [
        padded[:, row : row + height, column : column + width]
        for row in range(3)
        for column in range(3)
    ]
    return jnp.concatenate(shifted, axis=-1)


class _Network(nn.Module):
    """What both networks share: the configuration and the quantum layer factory."""

    config: GanConfig
    quantum_layer: QuantumLayerFactory | None = None

    def check_factory(self) -> None:
        if self.config.quantum != (self.quantum_layer is not None):
            raise QrktError(
                f"a {'quantum' if self.config.quantum else 'classical'} GAN configuration "
                f"needs {'a' if self.config.quantum else 'no'} quantum_layer factory, got "
                f"{self.quantum_layer!r}; build the networks with qrkt.gan.build_gan"
            )

    def block(self, heads: int, mlp: int) -> dict:
        return {
            "heads": heads,
            "mlp": mlp,
            "dropout": 0.0,
            "quantum_layer": self.quantum_layer,
        }


class Generator(_Network):
    """Latent ``(B, latent)`` to images ``(B, H, W, C)`` in ``[-1, 1]``.

    ``Dense`` to a ``grid x grid`` token grid; then per stage a learned position embedding and
    its blocks (encoder blocks, the last stage one RK4_ENH block), with a sub-pixel up-sampling
    between stages (``Dense(d -> 4 d')`` then :func:`pixel_shuffle`); a convolution to the
    image channels (1x1 unless :attr:`GanConfig.output_kernel` says otherwise) and ``tanh``.
    """

    @nn.compact
    def __call__(self, latent: jax.Array) -> jax.Array:
        self.check_factory()
        config = self.config
        side = config.grid
        tokens = nn.Dense(side * side * config.widths[0], name="input")(latent)
        tokens = tokens.reshape(latent.shape[0], side * side, config.widths[0])
        for index, width in enumerate(config.widths):
            if index:
                tokens = nn.Dense(4 * width, name=f"upsample{index + 1}")(tokens)
                tokens = pixel_shuffle(tokens, side)
                side *= 2
            position = self.param(
                f"position{index + 1}", nn.initializers.normal(0.02), (1, side * side, width)
            )
            tokens = tokens + position
            block = self.block(config.heads, config.mlp)
            if index == len(config.depths):
                tokens = RungeKuttaBlock(**block, method=LAST_STAGE, name=f"stage{index + 1}")(
                    tokens
                )
            elif config.depths[index]:
                stage = EncoderBlock(**block, name=f"stage{index + 1}")
                tokens = repeat(stage, config.depths[index], tokens)
        images = tokens.reshape(latent.shape[0], side, side, config.widths[-1])
        kernel = (config.output_kernel, config.output_kernel)
        return jnp.tanh(nn.Conv(config.image_shape[-1], kernel, name="to_image")(images))


class Discriminator(_Network):
    """Images ``(B, H, W, C)`` to critic scores ``(B,)``.

    A convolutional stem if :attr:`GanConfig.critic_stem` asks for one;
    :class:`~qrkt.models.PatchEmbedding` (patches and their position embedding), a learned
    class token in front (its parameter is its position too), encoder blocks, LayerNorm, and
    ``Dense(1)`` on the class token (or on every token, :attr:`GanConfig.critic_readout`).
    """

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        self.check_factory()
        config = self.config
        for index in range(2 if config.critic_stem else 0):
            images = nn.Dense(config.critic_stem, name=f"stem{index + 1}")(neighbourhoods(images))
            images = nn.leaky_relu(images, 0.2)
        tokens = PatchEmbedding(config.critic_hidden, config.patch, name="embedding")(images)
        token = self.param(
            "class_token", nn.initializers.normal(0.02), (1, 1, config.critic_hidden)
        )
        token = jnp.broadcast_to(token, (tokens.shape[0], 1, config.critic_hidden))
        tokens = jnp.concatenate([token.astype(tokens.dtype), tokens], axis=1)
        block = EncoderBlock(**self.block(config.critic_heads, config.critic_mlp), name="encoders")
        tokens = nn.LayerNorm(name="norm")(repeat(block, config.critic_depth, tokens))
        if config.critic_readout == "all_tokens":
            read = tokens.reshape(tokens.shape[0], -1)
        else:
            read = tokens[:, 0]
        return nn.Dense(1, name="score")(read)[:, 0]
