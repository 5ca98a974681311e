"""The QRKT classifiers: a vision or text transformer of encoder, Runge-Kutta and decoder blocks."""

from __future__ import annotations

import itertools

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.errors import QrktError
from qrkt.layers.base import QuantumLayerFactory
from qrkt.models.blocks import DecoderBlock, EncoderBlock, RungeKuttaBlock, repeat
from qrkt.models.config import ModelConfig


class PatchEmbedding(nn.Module):
    """Conv with kernel = stride = patch to ``d`` features, plus a learned position embedding."""

    hidden: int
    patch: int

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        patches = nn.Conv(
            self.hidden, (self.patch, self.patch), strides=self.patch, padding="VALID"
        )(images)
        tokens = patches.reshape(patches.shape[0], -1, self.hidden)
        position = self.param(
            "position", nn.initializers.normal(0.02), (1, tokens.shape[1], self.hidden)
        )
        return tokens + position


class TokenEmbedding(nn.Module):
    """Token embedding plus a learned position embedding of ``max_length`` positions."""

    hidden: int
    vocabulary_size: int
    max_length: int

    @nn.compact
    def __call__(self, token_ids: jax.Array) -> jax.Array:
        length = token_ids.shape[1]
        if length > self.max_length:
            raise QrktError(
                f"sequences of {length} tokens exceed the model's max_length {self.max_length}; "
                "truncate them or build the model with a larger max_length"
            )
        tokens = nn.Embed(self.vocabulary_size, self.hidden)(token_ids)
        position = self.param(
            "position", nn.initializers.normal(0.02), (1, self.max_length, self.hidden)
        )
        return tokens + position[:, :length]


class Transformer(nn.Module):
    """A QRKT classifier (REFERENCE §2), vision or text as ``config.kind`` says.

    The encoder path embeds the input, runs E encoder blocks and the Runge-Kutta blocks and
    normalises: ``e``. With D decoders, a second embedding of the same input runs D decoder
    blocks that cross-attend to ``e``, is normalised and mean-pooled; with none, ``e`` is
    pooled. A Dense layer gives the logits.

    Attributes:
      config: the architecture.
      quantum_layer: makes the circuits of a quantum config (``config.circuit`` set); ``None``
        for a classical one. The model never sees a backend: the factory does.
    """

    config: ModelConfig
    quantum_layer: QuantumLayerFactory | None = None

    def setup(self) -> None:
        if self.config.quantum != (self.quantum_layer is not None):
            raise QrktError(
                f"a {'quantum' if self.config.quantum else 'classical'} model configuration "
                f"needs {'a' if self.config.quantum else 'no'} quantum_layer factory, got "
                f"{self.quantum_layer!r}; build models with qrkt.presets.build_model"
            )

    @nn.compact
    def __call__(self, inputs: jax.Array, *, train: bool = False) -> jax.Array:
        config = self.config
        self._check_inputs(inputs)
        block = {
            "heads": config.heads,
            "mlp": config.mlp,
            "dropout": config.dropout,
            "quantum_layer": self.quantum_layer,
            "train": train,
        }
        memory = self._embed(inputs, "source", train)
        if config.encoders:
            memory = repeat(EncoderBlock(**block, name="encoders"), config.encoders, memory)
        runs = itertools.groupby(config.ode_blocks)
        for index, (method, run) in enumerate(runs):
            ode = RungeKuttaBlock(
                **block, method=method, shared_stages=config.shared_stages, name=f"ode{index + 1}"
            )
            memory = repeat(ode, len(list(run)), memory)
        memory = nn.LayerNorm(name="encoder_norm")(memory)
        if config.decoders:
            tokens = self._embed(inputs, "target", train)
            decoder = DecoderBlock(**block, name="decoders")
            memory = nn.LayerNorm(name="decoder_norm")(
                repeat(decoder, config.decoders, tokens, memory)
            )
        return nn.Dense(config.num_classes, name="classifier")(memory.mean(axis=1))

    def _embed(self, inputs: jax.Array, path: str, train: bool) -> jax.Array:
        config = self.config
        if config.kind == "vision":
            embedding = PatchEmbedding(config.hidden, config.patch, name=f"{path}_embedding")
        else:
            embedding = TokenEmbedding(
                config.hidden, config.vocabulary_size, config.max_length, name=f"{path}_embedding"
            )
        tokens = embedding(inputs)
        return nn.Dropout(config.embedding_dropout, deterministic=not train)(tokens)

    def _check_inputs(self, inputs: jax.Array) -> None:
        config = self.config
        if config.quantum != (self.quantum_layer is not None):
            raise QrktError(
                f"a {'quantum' if config.quantum else 'classical'} model configuration needs "
                f"{'a' if config.quantum else 'no'} quantum_layer factory, got "
                f"{self.quantum_layer!r}; build models with qrkt.presets.build_model"
            )
        if config.kind == "vision":
            expected = "(batch, " + ", ".join(map(str, config.image_shape)) + ")"
            ok = inputs.ndim == 4 and tuple(inputs.shape[1:]) == tuple(config.image_shape)
        else:
            expected = "(batch, length) integer token ids"
            ok = inputs.ndim == 2 and jnp.issubdtype(inputs.dtype, jnp.integer)
        if not ok:
            raise QrktError(
                f"the {config.kind} model takes inputs of shape {expected}, got shape "
                f"{tuple(inputs.shape)} ({inputs.dtype}); pass a batch of the dataset the "
                "preset was built for"
            )
