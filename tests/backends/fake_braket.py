"""A stand-in for Amazon Braket that plays the SDK's device and task protocol and its faults.

AWS cannot be reached from the tests, so :class:`FakeBraketClient` stands in for it behind the
backend's :class:`~qrkt.backends.braket.BraketClient` seam:

- it resolves device ARNs to :class:`FakeAwsDevice`\\ s (IonQ Forte-1's ARN, :data:`FORTE`, by
  default) and raises the ``ClientError`` that ``AwsDevice`` raises for an unknown one;
- a device's ``properties`` are built with the SDK's own schema (``IonqDeviceCapabilities``):
  its qubits, shot range and, unless turned off, the program-set action and its limits (the
  values are the stand-in's, not IonQ's);
- ``run(spec, shots=..., inputs=..., poll_timeout_seconds=...)`` refuses what the service
  refuses (shots out of range, a program set over the limits or on a device without program
  sets) with a ``ClientError``, really runs the task on Braket's ``LocalSimulator``, and returns
  a :class:`FakeAwsQuantumTask` that behaves like ``AwsQuantumTask``: ``id`` (a task ARN),
  ``state()``, ``metadata()`` with the ``failureReason``, ``cancel()``, and ``result()``, which
  returns ``None`` for a task that ended FAILED or CANCELLED or was still QUEUED when polling
  timed out, and for a program set that ended FAILED returns a result whose failed executables
  are ``ProgramSetExecutableFailure``\\ s, as the SDK does.

Faults are scripted per submission, in submission order: ``faults[n]`` is what happens to the
n-th task submitted (``None``: it completes), a key of :data:`FAULTS` or :data:`REFUSED`;
submissions past the list complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from braket.device_schema.ionq import IonqDeviceCapabilities
from braket.devices import LocalSimulator
from braket.program_sets import ProgramSet
from braket.task_result import (
    ProgramSetExecutableFailure,
    ProgramSetExecutableFailureMetadata,
)
from braket.task_result.program_set_executable_failure_v1 import FailureCategory

from qrkt.backends.braket import BraketClient

FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
GARNET = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
EMERALD = "arn:aws:braket:eu-north-1::device/qpu/iqm/Emerald"

# fault -> (the state the task ends in, its failure reason)
FAULTS: dict[str, tuple[str, str | None]] = {
    "failed": ("FAILED", "Task failed due to a device error: calibration in progress"),
    "cancelled": ("CANCELLED", None),
    "timeout": ("QUEUED", None),  # still queued when polling times out
    "executable_failed": ("FAILED", "Executable failed: device error (retryable)"),
    "executable_invalid": ("FAILED", "Executable failed: circuit exceeds the device's depth"),
}
REFUSED = "refused"
"""A fault at submission: the service answers CreateQuantumTask with an error that quotes the
request's credentials (as a careless client might), to check that they are masked."""


def client_error(code: str, message: str, operation: str) -> ClientError:
    """The ``botocore`` error a Braket API call raises."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeAwsQuantumTask:
    """A task as ``AwsQuantumTask`` shows it, over a local task that really ran (or a fault)."""

    def __init__(self, arn: str, local_task: Any, fault: str | None, program_set: bool) -> None:
        self._arn = arn
        self._local_task = local_task
        self._fault = fault
        self._program_set = program_set
        self.cancel_requested = False

    @property
    def id(self) -> str:
        return self._arn

    def state(self, use_cached_value: bool = False) -> str:
        if self.cancel_requested:
            return "CANCELLED"
        return "COMPLETED" if self._fault is None else FAULTS[self._fault][0]

    def metadata(self, use_cached_value: bool = False) -> dict[str, Any]:
        metadata = {"quantumTaskArn": self._arn, "status": self.state()}
        reason = None if self._fault is None else FAULTS[self._fault][1]
        if self.state() == "FAILED" and reason:
            metadata["failureReason"] = reason
        return metadata

    def result(self) -> Any:
        """The SDK's result: ``None`` without results; a FAILED program set's result has its
        first executable failed."""
        if self.state() == "COMPLETED":
            return self._local_task.result()
        if self.state() == "FAILED" and self._program_set:
            result = self._local_task.result()
            failure = ProgramSetExecutableFailure(
                inputsIndex=0,
                failureMetadata=ProgramSetExecutableFailureMetadata(
                    failureReason=FAULTS[self._fault][1],
                    retryable=self._fault != "executable_invalid",
                    category=FailureCategory.DEVICE,
                ),
            )
            result.entries[0].entries[0] = failure
            return result
        return None

    def cancel(self) -> None:
        self.cancel_requested = True


@dataclass
class Submission:
    """One task the service took: its ARN, specification, shots, inputs and scripted fault."""

    task_id: str
    spec: Any
    shots: int
    inputs: dict[str, float] | None
    fault: str | None
    task: FakeAwsQuantumTask | None = field(default=None, repr=False)

    @property
    def executables(self) -> int:
        return self.spec.total_executables if isinstance(self.spec, ProgramSet) else 1


class FakeAwsDevice:
    """An AWS gate-based QPU as ``AwsDevice`` shows it, with ``faults`` scripted per task.

    Args:
      arn: the device's ARN (IonQ Forte-1's by default).
      faults: for the n-th task, ``None`` (completes), a key of :data:`FAULTS` or
        :data:`REFUSED`.
      program_sets: whether the device runs program sets.
      max_executables, max_total_shots, min_total_shots: its program-set limits.
      max_shots: the most shots of one executable (``service.shotsRange``).
      qubits: ``paradigm.qubitCount``.
    """

    def __init__(
        self,
        arn: str = FORTE,
        *,
        faults: Iterable[str | None] = (),
        program_sets: bool = True,
        max_executables: int = 100,
        max_total_shots: int = 200_000,
        min_total_shots: int | None = None,
        max_shots: int = 10_000,
        qubits: int = 36,
    ) -> None:
        self.arn = arn
        self.name = arn.rsplit("/", 1)[-1]
        self.faults = list(faults)
        self.submissions: list[Submission] = []
        limits = (max_executables, max_total_shots, min_total_shots) if program_sets else None
        self.properties = _ionq_like_properties(limits, max_shots, qubits)
        self._simulator = LocalSimulator()

    def run(
        self,
        task_specification: Any,
        s3_destination_folder: Any = None,
        shots: int | None = None,
        poll_timeout_seconds: float = 432000,
        poll_interval_seconds: float | None = None,
        inputs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> FakeAwsQuantumTask:
        index = len(self.submissions)
        fault = self.faults[index] if index < len(self.faults) else None
        if fault == REFUSED:
            raise client_error(
                "UnrecognizedClientException",
                f"The security token {os.environ.get('AWS_SESSION_TOKEN')} of access key "
                f"{os.environ.get('AWS_ACCESS_KEY_ID')} included in the request is invalid.",
                "CreateQuantumTask",
            )
        self._check(task_specification, shots)
        local_task = self._simulator.run(task_specification, shots=shots, inputs=inputs)
        task_id = f"arn:aws:braket:us-east-1:123456789012:quantum-task/fake-{index}"
        program_set = isinstance(task_specification, ProgramSet)
        task = FakeAwsQuantumTask(task_id, local_task, fault, program_set)
        self.submissions.append(
            Submission(task_id, task_specification, shots or 0, inputs, fault, task)
        )
        return task

    def _check(self, spec: Any, shots: int | None) -> None:
        """Refuse a task as CreateQuantumTask does."""
        action = self.properties.action
        per_executable = shots or 0
        if isinstance(spec, ProgramSet):
            limits = action.get("braket.ir.openqasm.program_set")
            if limits is None:
                raise client_error(
                    "ValidationException",
                    f"Device {self.arn} does not support program sets",
                    "CreateQuantumTask",
                )
            if (
                spec.total_executables > limits.maximumExecutables
                or per_executable > limits.maximumTotalShots
                or per_executable < (limits.minimumTotalShots or 0)
            ):
                raise client_error(
                    "ValidationException",
                    f"Program set of {spec.total_executables} executables and {shots} shots is "
                    f"over the limits of {self.arn}",
                    "CreateQuantumTask",
                )
            per_executable //= spec.total_executables
        low, high = self.properties.service.shotsRange
        if not low <= per_executable <= high:
            raise client_error(
                "ValidationException",
                f"shots must be from {low} to {high} for device {self.arn}",
                "CreateQuantumTask",
            )


class FakeBraketClient(BraketClient):
    """Amazon Braket as the backend sees it: the given devices by ARN, and a
    ``ResourceNotFoundException`` for any other."""

    def __init__(self, *devices: FakeAwsDevice) -> None:
        super().__init__()
        self.devices = {device.arn: device for device in devices or (FakeAwsDevice(),)}

    def aws_device(self, arn: str) -> FakeAwsDevice:
        if arn not in self.devices:
            raise client_error(
                "ResourceNotFoundException", f"Braket device {arn} not found", "GetDevice"
            )
        return self.devices[arn]


def _ionq_like_properties(
    program_set_limits: tuple[int, int, int | None] | None, max_shots: int, qubits: int
) -> IonqDeviceCapabilities:
    """Device capabilities in the SDK's schema, shaped like an IonQ device's; the program-set
    action has the limits given (most executables, most and least total shots), if any."""
    action: dict[str, Any] = {
        "braket.ir.openqasm.program": {
            "actionType": "braket.ir.openqasm.program",
            "version": ["1"],
            "supportedOperations": ["x", "y", "z", "rx", "ry", "rz", "h", "cnot", "s", "t"],
            "supportedResultTypes": [],
        }
    }
    if program_set_limits is not None:
        max_executables, max_total_shots, min_total_shots = program_set_limits
        action["braket.ir.openqasm.program_set"] = {
            "actionType": "braket.ir.openqasm.program_set",
            "version": ["1"],
            "maximumExecutables": max_executables,
            "maximumTotalShots": max_total_shots,
            "minimumTotalShots": min_total_shots,
        }
    return IonqDeviceCapabilities.parse_obj(
        {
            "braketSchemaHeader": {
                "name": "braket.device_schema.ionq.ionq_device_capabilities",
                "version": "1",
            },
            "service": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.device_service_properties",
                    "version": "1",
                },
                "executionWindows": [
                    {
                        "executionDay": "Everyday",
                        "windowStartHour": "00:00",
                        "windowEndHour": "23:59:59",
                    }
                ],
                "shotsRange": [1, max_shots],
            },
            "action": action,
            "paradigm": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.gate_model_qpu_paradigm_properties",
                    "version": "1",
                },
                "qubitCount": qubits,
                "nativeGateSet": ["gpi", "gpi2", "zz"],
                "connectivity": {"fullyConnected": True, "connectivityGraph": {}},
            },
            "deviceParameters": {},
        }
    )
