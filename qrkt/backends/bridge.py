"""Any backend as a JAX function: what a QuantumLayer calls.

A :class:`~qrkt.backends.base.JaxBackend` is traced directly. Any other (host) backend runs
through ``jax.pure_callback`` inside ``jit``, with a custom VJP whose backward pass is the
backend's :meth:`~qrkt.backends.base.Backend.vjp`: the parameter-shift rule evaluated by the
same backend, or the backend's own gradients (TensorFlow Quantum's). One host call forward,
one backward.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from qrkt.backends.base import Backend, ExpectationFn, JaxBackend
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError


def expectation_function(
    backend: str | Backend, circuit: Circuit, *, layer: str | None = None, **options: object
) -> ExpectationFn:
    """A jit-able, differentiable ``(inputs (B, n_in), weights (n_w,)) -> (B, n_obs)``.

    ``backend`` is a registered name (with ``options``) or a backend instance. ``layer`` names
    the calling layer in the host backend's :meth:`~qrkt.backends.base.Backend.run_layer`.
    """
    if isinstance(backend, str):
        backend = get_backend(backend, **options)
    elif options:
        raise BackendInputError(
            f"backend options {sorted(options)} apply to a backend named by its registry name, "
            f"got the instance {backend!r}; configure the instance itself instead"
        )
    if isinstance(backend, JaxBackend):
        return backend.expectation_fn(circuit)
    return _real_arguments(_host_function(backend, circuit, layer))


def _real_arguments(function: ExpectationFn) -> ExpectationFn:
    """``function`` called with inputs and weights as floats JAX can hold: float32, or float64
    under 64-bit JAX, so a ``pure_callback`` result never asks for a dtype JAX lacks."""
    import jax.numpy as jnp

    def real_function(inputs, weights):
        dtype = jnp.result_type(inputs, weights, jnp.float32)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise BackendInputError(
                f"inputs and weights must be real numbers, got dtypes {jnp.result_type(inputs)} "
                f"and {jnp.result_type(weights)}; pass float arrays (angles in radians)"
            )
        return function(jnp.asarray(inputs, dtype), jnp.asarray(weights, dtype))

    return real_function


@cache
def _host_function(backend: Backend, circuit: Circuit, layer: str | None) -> ExpectationFn:
    import jax

    backend.check_circuit(circuit)

    def host_forward(inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return backend.run_layer(layer, circuit, inputs, weights).astype(inputs.dtype)

    def host_vjp(inputs, weights, cotangent) -> tuple[np.ndarray, np.ndarray]:
        grads = backend.vjp(circuit, inputs, weights, cotangent)
        return grads[0].astype(inputs.dtype), grads[1].astype(weights.dtype)

    def out_shape(inputs):
        return jax.ShapeDtypeStruct((inputs.shape[0], circuit.n_observables), inputs.dtype)

    @jax.custom_vjp
    def expectations(inputs, weights):
        return jax.pure_callback(
            host_forward, out_shape(inputs), inputs, weights, vmap_method="sequential"
        )

    def forward(inputs, weights):
        return expectations(inputs, weights), (inputs, weights)

    def backward(residuals, cotangent):
        inputs, weights = residuals
        shapes = (
            jax.ShapeDtypeStruct(inputs.shape, inputs.dtype),
            jax.ShapeDtypeStruct(weights.shape, weights.dtype),
        )
        return jax.pure_callback(
            host_vjp, shapes, inputs, weights, cotangent, vmap_method="sequential"
        )

    expectations.defvjp(forward, backward)
    return expectations
