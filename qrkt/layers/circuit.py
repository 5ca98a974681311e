"""A quantum layer that runs a variational circuit on any registered backend."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import flax.linen as nn
import jax
import jax.numpy as jnp

from qrkt.circuits.ansatz import AnsatzSpec
from qrkt.layers.base import QuantumLayer

if TYPE_CHECKING:
    from qrkt.backends.base import Backend


class CircuitLayer(QuantumLayer):
    """Features ``x`` (one per qubit) in, ``<Z_j>`` of the ansatz out.

    The circuit weights are an ordinary Flax parameter named ``"weights"`` of shape
    ``(n_weights,)``, so parameters do not depend on the backend: switch it at apply time
    with ``layer.clone(backend="tensorcircuit").apply(params, x)``.

    Attributes:
      width: number of qubits, equal to the number of features.
      ansatz: registered ansatz name, ``"qrkt"`` or ``"cara"``.
      layers: number of variational layers.
      tied: one weight shared by RX and RZ on a qubit (the thesis's count) or one each.
      backend: registered backend name, or a backend instance.
      backend_options: options for a backend given by name, as ``(("dtype", "complex128"),)``.
    """

    ansatz: str = "qrkt"
    layers: int = 1
    tied: bool = True
    backend: str | Backend = "jax"
    backend_options: tuple[tuple[str, object], ...] = ()
    weight_init: nn.initializers.Initializer = nn.initializers.uniform(scale=2 * jnp.pi)

    @property
    def spec(self) -> AnsatzSpec:
        return AnsatzSpec(self.ansatz, self.width, self.layers, self.tied)

    @nn.compact
    def __call__(self, features: jax.Array) -> jax.Array:
        from qrkt.backends.bridge import expectation_function

        features = self.check_features(features)
        circuit = self.spec.build()
        weights = self.param("weights", self.weight_init, (circuit.n_weights,), jnp.float32)
        function = expectation_function(
            self.backend, circuit, layer="/".join(self.path), **dict(self.backend_options)
        )
        flat = features.reshape(-1, self.width)
        values = function(flat, weights.astype(flat.dtype))
        return values.reshape(features.shape).astype(features.dtype)


@dataclasses.dataclass(frozen=True)
class CircuitLayerFactory:
    """Makes :class:`CircuitLayer` s of one ansatz on one backend: a ``QuantumLayerFactory``.

    Swap the backend and keep the parameters with ``dataclasses.replace(factory, backend=...)``.
    """

    ansatz: str = "qrkt"
    layers: int = 1
    tied: bool = True
    backend: str | Backend = "jax"
    backend_options: tuple[tuple[str, object], ...] = ()

    def __call__(self, width: int, *, name: str | None = None) -> CircuitLayer:
        return CircuitLayer(
            width=width,
            ansatz=self.ansatz,
            layers=self.layers,
            tied=self.tied,
            backend=self.backend,
            backend_options=self.backend_options,
            name=name,
        )
