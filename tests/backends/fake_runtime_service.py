"""A stand-in for IBM Quantum that plays the runtime client's protocol and its faults.

IBM Quantum cannot be reached from the tests, so :class:`FakeRuntimeService` stands in for it
behind the backend's :class:`~qrkt.backends.ibm_runtime.RuntimeClient` seam:

- its service resolves "remote" device names (``ibm_fake_remote``) to fake devices and raises
  ``QiskitBackendNotFoundError`` for others, as ``QiskitRuntimeService.backend`` does;
- every submission really runs in local testing mode (the real primitive prepares the PUBs
  and Aer simulates the fake device), and comes back as a :class:`FakeRuntimeJob` that behaves
  like ``RuntimeJobV2``: ``job_id()``, ``status()`` with the service's status strings,
  ``error_message()``, ``cancel()``, ``usage()`` (the quantum seconds billed: here
  :data:`BILLED_PER_JOB` plus 250 us per shot, a stand-in for the service's own clock), and
  ``result()`` raising the exception types of ``qiskit_ibm_runtime.exceptions`` when a fault
  is scripted for that submission.

Faults are scripted per submission, in submission order: ``faults[n]`` is what happens to the
n-th job submitted (``None``: it completes); submissions past the list complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit_ibm_runtime.api.exceptions import RequestsApiError
from qiskit_ibm_runtime.exceptions import (
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
    RuntimeJobTimeoutError,
)

from qrkt.backends.ibm_runtime import RuntimeClient
from qrkt.backends.qiskit_aer import fake_ibm_device

# fault -> (status the job shows, what result() raises, its message as the client words it)
FAULTS: dict[str, tuple[str, type[Exception], str]] = {
    "failed": (
        "ERROR",
        RuntimeJobFailureError,
        "Unable to retrieve job result. Job {} has failed:\nError code 1517; internal error",
    ),
    "too_long": (
        "ERROR",
        RuntimeJobMaxTimeoutError,
        "Job {} ran longer than maximum execution time. Job was cancelled:\n",
    ),
    "cancelled": (
        "CANCELLED",
        RuntimeInvalidStateError,
        "Unable to retrieve result for job {}. Job was cancelled.",
    ),
    "timeout": (
        "RUNNING",
        RuntimeJobTimeoutError,
        "Timed out waiting for job to complete after 60 secs.",
    ),
}
BILLED_PER_JOB = 1.5
"""Seconds the stand-in bills every job besides its shots."""
REFUSED = "refused"
"""A fault at submission: the service answers the request with an HTTP error."""


class FakeRuntimeJob:
    """A job as ``RuntimeJobV2`` shows it, over a local job that really ran (or a fault)."""

    def __init__(self, job_id: str, local_job: Any, fault: str | None, shots: int) -> None:
        self._job_id = job_id
        self._local_job = local_job
        self._fault = fault
        self._shots = shots
        self.cancel_requested = False

    def usage(self) -> float:
        return BILLED_PER_JOB + self._shots * 250e-6

    def job_id(self) -> str:
        return self._job_id

    def status(self) -> str:
        if self._fault is not None:
            return FAULTS[self._fault][0]
        return self._local_job.status().name  # JobStatus.DONE -> "DONE", as the service says

    def error_message(self) -> str | None:
        if self.status() != "ERROR":
            return None
        return FAULTS[self._fault][2].format(self._job_id)

    def result(self, timeout: float | None = None) -> Any:
        if self._fault is not None:
            _, error, message = FAULTS[self._fault]
            raise error(message.format(self._job_id))
        return self._local_job.result()

    def cancel(self) -> None:
        self.cancel_requested = True


@dataclass
class Submission:
    """One job the service took: its id, PUBs, execution mode and scripted fault."""

    job_id: str
    pubs: list[Any]
    mode: Any
    fault: str | None
    job: FakeRuntimeJob | None = field(default=None, repr=False)

    @property
    def parameter_values(self) -> np.ndarray:
        """The parameter sets of the job's PUBs, ``(sets, n_parameters)``, PUB after PUB."""
        rows = []
        for pub in self.pubs:
            is_sampler = isinstance(pub[2], int)  # (circuit, bindings, shots)
            bindings = pub[1] if is_sampler else pub[2]  # (circuit, observables, bindings)
            (values,) = bindings.data.values()
            rows.append(values.reshape(bindings.shape[0], -1))
        return np.concatenate(rows)


class _FakeQiskitRuntimeService:
    """What ``QiskitRuntimeService.backend`` does, for a few "remote" names."""

    def __init__(self, devices: Mapping[str, str]) -> None:
        self.devices = dict(devices)

    def backend(self, name: str) -> Any:
        if name not in self.devices:
            raise QiskitBackendNotFoundError("No backend matches the criteria.")
        return fake_ibm_device(self.devices[name])


class FakeRuntimeService(RuntimeClient):
    """IBM Quantum as the backend sees it, with ``faults`` scripted per submission.

    Args:
      faults: for the n-th submission, ``None`` (completes), a key of :data:`FAULTS`, or
        :data:`REFUSED` (the submission itself fails).
      devices: "remote" device names and the fake device each one really is.
    """

    def __init__(
        self,
        faults: Iterable[str | None] = (),
        devices: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(_FakeQiskitRuntimeService(devices or {"ibm_fake_remote": "fake_manila"}))
        self.faults = list(faults)
        self.submissions: list[Submission] = []

    def submit(self, primitive: Any, pubs: list[Any]) -> FakeRuntimeJob:
        index = len(self.submissions)
        fault = self.faults[index] if index < len(self.faults) else None
        if fault == REFUSED:
            raise RequestsApiError("'503 Server Error: Service Unavailable for url'")
        shots = sum(_shots(pub) for pub in pubs)
        job = FakeRuntimeJob(f"fake-job-{index}", super().submit(primitive, pubs), fault, shots)
        self.submissions.append(Submission(job.job_id(), pubs, primitive.mode, fault, job))
        return job


def _shots(pub: Any) -> int:
    """Shots of a sampler PUB ``(circuit, bindings, shots)`` over all its parameter sets (an
    estimator PUB counts as one shot per set: the stand-in bills it by its sets alone)."""
    if isinstance(pub[2], int):
        return pub[1].size * pub[2]
    return pub[2].size
