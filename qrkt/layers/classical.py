"""A classical stand-in for a quantum layer, so models run and test without any backend."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.layers.base import QuantumLayer


class ProductStateLayer(QuantumLayer):
    """The "qrkt" ansatz without its entangler, in closed form: ``cos(x_j) cos(w_j)``.

    ``RY(x) RX(w) RZ(w)`` on one qubit gives ``<Z> = cos(x) cos(w)``, so this layer has the
    same parameter (``"weights"``, one per feature), range and smoothness as a one-layer tied
    circuit, at the cost of an element-wise product.
    """

    weight_init: nn.initializers.Initializer = nn.initializers.uniform(scale=2 * jnp.pi)

    @nn.compact
    def __call__(self, features: jax.Array) -> jax.Array:
        features = self.check_features(features)
        weights = self.param("weights", self.weight_init, (self.width,), jnp.float32)
        return jnp.cos(features) * jnp.cos(weights).astype(features.dtype)
