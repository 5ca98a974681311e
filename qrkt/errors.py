"""The errors qrkt raises.

Every error derives from :class:`QrktError`. A message says what was received, what was
expected, and how to fix it, so a user can act on it without reading qrkt's source.
"""

from __future__ import annotations


class QrktError(Exception):
    """Base class of every error raised by qrkt."""


class CircuitError(QrktError, ValueError):
    """A circuit, gate, parameter or observable is malformed."""


class UnknownNameError(QrktError, KeyError):
    """A name (backend, ansatz, gate) is not registered; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class BackendInputError(QrktError, ValueError):
    """Inputs or weights passed to a backend have the wrong shape, dtype or values."""


class UnsupportedError(QrktError):
    """A backend cannot run what it was given (too many qubits, an unsupported option)."""


class MissingDependencyError(QrktError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class JobError(QrktError):
    """A remote quantum service failed us: a job failed, was cancelled or timed out after its
    retries, or the service could not be reached; the message names the job and the reason."""

    def __init__(self, message: str, *, job_id: str | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.job_id = job_id
        self.reason = reason


def known_names(names: object) -> str:
    """Format a collection of names as a sorted, comma-separated list for error messages."""
    return ", ".join(sorted(str(n) for n in names))  # type: ignore[attr-defined]
