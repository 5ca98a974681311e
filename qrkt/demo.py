"""The portability demonstration: one circuit, every installed backend, side by side.

:func:`compare_backends` runs one circuit with the same inputs and weights on several
backends and measures each one's deviation from ``reference``, for values and gradients.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from qrkt.backends.bridge import expectation_function, host_errors
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import MAX_SEED, BackendInputError, QrktError, check_int

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendRun:
    """One backend's results for the demonstration's circuit."""

    backend: str
    values: np.ndarray | None  # (B, n_observables)
    value_error: float | None  # max |values - reference|
    gradient_error: float | None  # max |d(sum of values)/d weights - reference's|
    seconds: float
    failure: str | None = None


def demo_arguments(circuit: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Reproducible inputs and weights, angles uniform in [-pi, pi]."""
    check_int("batch (--batch)", batch, minimum=1, error=BackendInputError)
    check_int("seed (--seed)", seed, minimum=0, maximum=MAX_SEED, error=BackendInputError)
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, circuit.n_inputs)), rng.uniform(
        -np.pi, np.pi, circuit.n_weights
    )


def compare_backends(
    circuit: Circuit, inputs: np.ndarray, weights: np.ndarray, backends: list[str]
) -> list[BackendRun]:
    """Run ``circuit`` on each backend; compare values and weight gradients with ``reference``.

    A backend that fails is reported with its error instead of stopping the comparison.
    """
    expected_values = get_backend("reference").run(circuit, inputs, weights)
    expected_gradient = _weight_gradient("reference", circuit, inputs, weights)
    runs = []
    for name in backends:
        start = time.perf_counter()
        try:
            with host_errors():
                values = get_backend(name).run(circuit, inputs, weights)
                gradient = _weight_gradient(name, circuit, inputs, weights)
        except QrktError as error:
            logger.warning("backend %s failed: %s", name, error)
            runs.append(BackendRun(name, None, None, None, time.perf_counter() - start, str(error)))
            continue
        runs.append(
            BackendRun(
                name,
                values,
                float(np.max(np.abs(values - expected_values))),
                float(np.max(np.abs(gradient - expected_gradient), initial=0.0)),
                time.perf_counter() - start,
            )
        )
    return runs


def _weight_gradient(
    backend: str, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``d/dw sum(<O>)`` through the backend's own differentiation (autodiff or shifts)."""
    import jax
    import jax.numpy as jnp

    function = expectation_function(backend, circuit)
    gradient = jax.grad(lambda w: jnp.sum(function(jnp.asarray(inputs, jnp.float32), w)))
    return np.asarray(gradient(jnp.asarray(weights, jnp.float32)), np.float64)
