"""The errors qrkt raises.

Every error derives from :class:`QrktError`. A message says what was received, what was
expected, and how to fix it, so a user can act on it without reading qrkt's source.
"""

from __future__ import annotations

import dataclasses
import math
import numbers


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


class DataError(QrktError, ValueError):
    """A data file, or an array of labels or predictions, is missing or malformed."""


class TrainingError(QrktError, ValueError):
    """A training or evaluation request cannot run as given: a setting out of range, a work
    directory that already holds a run, a batch that does not split over the devices."""


class CheckpointError(QrktError, ValueError):
    """A checkpoint is missing, corrupt or truncated, or belongs to a different model."""


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


def check_fields(cls: type, data: dict, error: type[QrktError], what: str) -> None:
    """Raise ``error`` naming the keys of ``data`` that are not fields of dataclass ``cls``
    (``what`` says what they are, e.g. "training settings"), and the known ones."""
    fields = {field.name for field in dataclasses.fields(cls)}
    unknown = set(data) - fields
    if unknown:
        raise error(f"unknown {what} {known_names(unknown)}; known: {known_names(fields)}")


def is_integer(value: object) -> bool:
    """An integer (Python or NumPy) that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


MAX_SEED = 2**32 - 1
"""The largest seed: JAX's ``PRNGKey`` keeps only 32 bits of a seed while 64-bit JAX is off."""


def check_int(
    label: str,
    value: object,
    *,
    minimum: int,
    maximum: int | None = None,
    error: type[QrktError],
) -> None:
    """Raise ``error`` unless ``value`` is an integer (:func:`is_integer`) of at least
    ``minimum`` and at most ``maximum`` (if given); ``label`` names the setting in the message."""
    if not is_integer(value) or value < minimum:  # type: ignore[operator]
        raise error(f"{label} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:  # type: ignore[operator]
        raise error(f"{label} must be an integer from {minimum} to {maximum}, got {value!r}")


def check_finite(label: str, value: object, *, error: type[QrktError]) -> None:
    """Raise ``error`` unless ``value`` is a finite real number (not a bool, inf or nan)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise error(f"{label} must be a finite number, got {value!r}")
