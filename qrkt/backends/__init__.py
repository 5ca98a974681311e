"""Backends: one contract, a registry of short names, and the bridge into JAX."""

from qrkt.backends.base import (
    Backend,
    BackendOption,
    Capabilities,
    ExecutionCounts,
    JaxBackend,
)
from qrkt.backends.bridge import expectation_function, host_errors
from qrkt.backends.registry import (
    backend_entries,
    backend_entry,
    get_backend,
    installed_backends,
    register_backend,
    unregister_backend,
)

__all__ = [
    "Backend",
    "BackendOption",
    "Capabilities",
    "ExecutionCounts",
    "JaxBackend",
    "backend_entries",
    "backend_entry",
    "expectation_function",
    "get_backend",
    "host_errors",
    "installed_backends",
    "register_backend",
    "unregister_backend",
]
