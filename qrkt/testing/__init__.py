"""Test helpers for backend authors: the conformance suite every backend must pass."""

from qrkt.testing.conformance import (
    Case,
    assert_backend_conforms,
    conformance_cases,
    finite_difference_gradients,
    gradients,
    random_circuit,
    sample_arguments,
)

__all__ = [
    "Case",
    "assert_backend_conforms",
    "conformance_cases",
    "finite_difference_gradients",
    "gradients",
    "random_circuit",
    "sample_arguments",
]
