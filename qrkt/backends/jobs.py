"""Jobs on a remote service: submit a call's jobs, collect their results, resubmit failures.

Every device backend (IBM Quantum, Braket, any Qiskit provider) runs a layer call as one or a
few jobs. :func:`run_jobs` submits them all, so that they queue side by side, then waits for
each in order. A job whose result raises one of the client's ``faults`` (it failed, was
cancelled, ran past its time) is resubmitted, alone, with exponential back-off, up to
``max_retries`` times; then :class:`~qrkt.errors.JobError` names the job and the reason, after
cancelling the jobs still pending. Jobs that completed are never resubmitted. Any other error
(the program itself is wrong, so resubmitting would fail the same way) raises at once.

The vendor's side is a :class:`JobClient`: five small calls that a backend implements with its
SDK, and that tests implement with a stand-in playing the service's faults. What the calls
spent is counted in :class:`DeviceCounts`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from qrkt.backends.base import BackendOption, ExecutionCounts
from qrkt.backends.hardware import CallRecord
from qrkt.errors import BackendInputError, JobError, is_integer

logger = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

CREDENTIAL_VARIABLES = (
    "QISKIT_IBM_TOKEN",
    "IONQ_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
"""Environment variables holding the vendors' credentials, masked in every error message."""

MAX_RETRY_DELAY_S = 3600.0
"""The longest first back-off accepted (an hour): anything longer is a typo, not a policy."""


class JobClient(Protocol[J, R]):
    """What :func:`run_jobs` needs of a vendor's client.

    ``faults`` are the errors of :meth:`result` after which a resubmission may succeed.
    """

    faults: tuple[type[BaseException], ...]

    def submit(self, index: int) -> J:
        """Submit job ``index`` of the call; return its handle."""
        ...

    def result(self, job: J) -> R:
        """Wait for ``job`` and return its result; raise if it did not complete."""
        ...

    def job_id(self, job: J) -> str: ...

    def cancel(self, job: J) -> None: ...

    def reason(self, error: BaseException) -> str:
        """``Type: message`` of ``error``, with any credential masked."""
        ...


@dataclass
class JobLog(Generic[J]):
    """What a call submitted, kept even when it fails (for its cost and its record).

    Attributes:
      submitted: the job index of every submission, resubmissions included.
      jobs: the latest handle of each job submitted.
    """

    submitted: list[int] = field(default_factory=list)
    jobs: list[J] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return len(self.submitted) - len(self.jobs)


@dataclass
class DeviceCounts(ExecutionCounts):
    """:class:`~qrkt.backends.base.ExecutionCounts` plus what the calls spent on the service.

    ``jobs`` counts every submission, ``retries`` the resubmissions among them; ``qpu_seconds``
    (estimated) includes resubmissions, ``usage_seconds`` is what the service billed for the
    jobs that reported it. ``last`` is the latest call's
    :class:`~qrkt.backends.hardware.CallRecord`: its cost, resubmissions included and recorded
    even when the call failed (without faults it equals ``estimate`` of that call), the ids of
    the jobs whose results it returned, and their billed usage.
    """

    jobs: int = 0
    retries: int = 0
    qpu_seconds: float = 0.0
    usage_seconds: float = 0.0

    def record_call(self, record: CallRecord, *, retries: int) -> None:
        self.jobs += record.cost.jobs
        self.retries += retries
        self.qpu_seconds += record.cost.qpu_seconds or 0.0
        self.usage_seconds += record.usage_seconds or 0.0
        self.last = record

    def reset(self) -> None:
        super().reset()
        self.jobs = self.retries = 0
        self.qpu_seconds = self.usage_seconds = 0.0


def run_jobs(
    client: JobClient[J, R],
    n_jobs: int,
    *,
    max_retries: int,
    retry_delay: float,
    where: str,
    log: JobLog[J],
) -> list[R]:
    """The results of jobs ``0 .. n_jobs - 1``, in order.

    Args:
      client: the vendor's side.
      n_jobs: jobs of the call.
      max_retries: resubmissions of one job before giving up.
      retry_delay: seconds before the first resubmission; doubled for each next one.
      where: the device, for messages ("on device 'ibm_fez'").
      log: filled with what was submitted, also when this raises.

    Raises:
      JobError: a submission was refused, a job failed with an error that is not a fault,
        or a job still faulted after ``max_retries`` resubmissions.
    """
    results: list[R] = []
    try:
        for index in range(n_jobs):
            log.jobs.append(_submit(client, index, n_jobs, where, log))
        for index in range(n_jobs):
            results.append(_result(client, index, n_jobs, max_retries, retry_delay, where, log))
    except JobError:
        for job in log.jobs[len(results) :]:
            with contextlib.suppress(Exception):  # best effort: the error raised matters
                client.cancel(job)
        raise
    return results


RETRY_OPTIONS = (
    BackendOption("max_retries", int, "N", "resubmissions of a failed job (default: 3)"),
    BackendOption(
        "retry_delay",
        float,
        "S",
        "seconds before the first resubmission, doubled for each next one (default: 10)",
    ),
)
"""The flags of :func:`check_retry_options`' options, for a backend's ``cli_options``."""


def check_retry_options(max_retries: object, retry_delay: object) -> None:
    """Raise a :class:`BackendInputError` unless ``max_retries`` is an integer >= 0 and
    ``retry_delay`` a number of seconds from 0 to :data:`MAX_RETRY_DELAY_S`."""
    if not is_integer(max_retries) or max_retries < 0:
        raise BackendInputError(f"max_retries must be an integer >= 0, got {max_retries!r}; e.g. 3")
    if (
        isinstance(retry_delay, bool)
        or not isinstance(retry_delay, int | float)
        or not 0 <= retry_delay <= MAX_RETRY_DELAY_S
    ):
        raise BackendInputError(
            f"retry_delay must be a number of seconds from 0 to {MAX_RETRY_DELAY_S:g}, got "
            f"{retry_delay!r}; e.g. 10"
        )


def masked_reason(error: BaseException) -> str:
    """``Type: message`` of a vendor client's error, credentials masked
    (:func:`mask_credentials`), in case the client quotes its request."""
    return mask_credentials(f"{type(error).__name__}: {error}")


def mask_credentials(text: str) -> str:
    """``text`` with the value of every :data:`CREDENTIAL_VARIABLES` in the environment
    masked."""
    for variable in CREDENTIAL_VARIABLES:
        secret = os.environ.get(variable)
        if secret:
            text = text.replace(secret, "***")
    return text


def _label(index: int, n_jobs: int, where: str) -> str:
    return f"job {index + 1} of {n_jobs} {where}"


def _submit(client: JobClient[J, R], index: int, n_jobs: int, where: str, log: JobLog[J]) -> J:
    label = _label(index, n_jobs, where)
    try:
        job = client.submit(index)
    except Exception as error:
        reason = client.reason(error)
        raise JobError(
            f"could not submit {label}: {reason}; the service refused the job before it ran: "
            "check the options, the device's status and the account",
            reason=reason,
        ) from error
    log.submitted.append(index)
    logger.info("submitted %s: %s", label, client.job_id(job))
    return job


def _result(
    client: JobClient[J, R],
    index: int,
    n_jobs: int,
    max_retries: int,
    retry_delay: float,
    where: str,
    log: JobLog[J],
) -> R:
    """The result of job ``index``, resubmitting it with back-off while it faults."""
    label = _label(index, n_jobs, where)
    for attempt in range(max_retries + 1):
        job = log.jobs[index]
        job_id = client.job_id(job)
        try:
            return client.result(job)
        except client.faults as error:
            reason, cause = client.reason(error), error
        except Exception as error:  # not a fault: resubmitting would fail the same way
            reason = client.reason(error)
            raise JobError(
                f"{label}, job {job_id}, failed and was not resubmitted: {reason}",
                job_id=job_id,
                reason=reason,
            ) from error
        if attempt == max_retries:
            break
        delay = retry_delay * 2**attempt
        logger.warning(
            "%s, job %s, failed (%s); resubmitting in %.3g s (retry %d of %d)",
            label,
            job_id,
            reason,
            delay,
            attempt + 1,
            max_retries,
        )
        time.sleep(delay)
        log.jobs[index] = _submit(client, index, n_jobs, where, log)
    done = ", ".join(client.job_id(j) for j in log.jobs[:index]) or "none"
    raise JobError(
        f"{label}, job {job_id}, failed after {max_retries + 1} attempt(s): {reason}; completed "
        f"jobs of this call: {done}; retry later, raise max_retries, or check the device's "
        "status",
        job_id=job_id,
        reason=reason,
    ) from cause
