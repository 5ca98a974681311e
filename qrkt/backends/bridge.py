"""Any backend as a JAX function: what a QuantumLayer calls.

A :class:`~qrkt.backends.base.JaxBackend` is traced directly. Any other (host) backend runs
through ``jax.pure_callback`` inside ``jit``, with a custom VJP whose backward pass is the
backend's :meth:`~qrkt.backends.base.Backend.vjp`: the parameter-shift rule evaluated by the
same backend, or the backend's own gradients (TensorFlow Quantum's). One host call forward,
one backward.

JAX reports an exception raised in a callback as an ``XlaRuntimeError`` ("INTERNAL:
CpuCallback error") with the backend's message buried in a traceback. The bridge keeps the
:class:`~qrkt.errors.QrktError` a host backend raises there, and :func:`host_errors` raises it
in place of JAX's error: around each call of a host function, and around whatever runs one
under ``jit`` or ``grad`` (the CLI's commands).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache, wraps
from typing import TypeVar

import numpy as np

from qrkt.backends.base import Backend, ExpectationFn, JaxBackend
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, QrktError

F = TypeVar("F", bound=Callable[..., object])


class _HostFailure:
    """The latest :class:`QrktError` raised by a host backend in a callback (XLA runs
    callbacks on its own threads, hence one slot for the process, behind a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._error: QrktError | None = None

    def keep(self, error: QrktError) -> None:
        with self._lock:
            self._error = error

    def take(self) -> QrktError | None:
        with self._lock:
            error, self._error = self._error, None
            return error


_host_failure = _HostFailure()


def _not_a_qrkt_error(record: logging.LogRecord) -> bool:
    """False for JAX's log of a failed callback whose error is a :class:`QrktError`: that
    error reaches the caller whole (:func:`host_errors`), without JAX's traceback first."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, QrktError)


logging.getLogger("jax._src.callback").addFilter(_not_a_qrkt_error)


@contextlib.contextmanager
def host_errors() -> Iterator[None]:
    """Raise a host backend's own :class:`QrktError` where JAX raises the runtime error that
    buries it; usable as a decorator too."""
    import jax

    _host_failure.take()  # one left from an error raised and handled elsewhere
    try:
        yield
    except jax.errors.JaxRuntimeError as error:
        failure = _host_failure.take()
        if failure is None or str(failure) not in str(error):
            raise
        raise failure from None


def _keeping_errors(function: F) -> F:
    """``function``, a callback, keeping the :class:`QrktError` it raises for host_errors."""

    @wraps(function)
    def callback(*args: object) -> object:
        try:
            return function(*args)
        except QrktError as error:
            _host_failure.keep(error)
            raise

    return callback  # type: ignore[return-value]


def expectation_function(
    backend: str | Backend, circuit: Circuit, *, layer: str | None = None, **options: object
) -> ExpectationFn:
    """A jit-able, differentiable ``(inputs (B, n_in), weights (n_w,)) -> (B, n_obs)``.

    ``backend`` is a registered name (with ``options``) or a backend instance. A JAX backend
    gives its :meth:`~qrkt.backends.base.JaxBackend.jitted` function, which every layer of the
    circuit shares. ``layer`` names the calling layer in the host backend's
    :meth:`~qrkt.backends.base.Backend.run_layer`.
    """
    if isinstance(backend, str):
        backend = get_backend(backend, **options)
    elif options:
        raise BackendInputError(
            f"backend options {sorted(options)} apply to a backend named by its registry name, "
            f"got the instance {backend!r}; configure the instance itself instead"
        )
    if isinstance(backend, JaxBackend):
        return backend.jitted(circuit)
    return host_errors()(_real_arguments(_host_function(backend, circuit, layer)))


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


@lru_cache(maxsize=128)  # bounded: a key holds its backend, and a recorder its last batch
def _host_function(backend: Backend, circuit: Circuit, layer: str | None) -> ExpectationFn:
    import jax

    backend.check_circuit(circuit)

    @_keeping_errors
    def host_forward(inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return backend.run_layer(layer, circuit, inputs, weights).astype(inputs.dtype)

    @_keeping_errors
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
