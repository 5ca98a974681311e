"""``braket``: Amazon Braket's local simulators and AWS devices, one task per layer call.

The device is ``"local"`` (Braket's ``LocalSimulator()``, a state vector), ``"local_dm"``
(``LocalSimulator("braket_dm")``, a density matrix, with ``noise``) or the ARN of an AWS device
(``braket.devices.Devices.IonQ.Forte1``, ``Devices.IQM.Garnet``, ``Devices.IQM.Emerald``,
``Devices.Rigetti.Cepheus1108Q``, ``Devices.AQT.IbexQ1``), resolved through ``AwsDevice``. The
default is ``"local"``, so that nothing is ever spent by accident.

The IR becomes a Braket ``Circuit`` with one ``FreeParameter`` per input or weight slot (named
``x{i}`` and ``w{i}``), once per circuit, with a measurement of every qubit (shots) or an
``Expectation`` result type per observable (exact). Bits are read by ``measured_qubits``, so
``<Z_j>`` and every Z string come out in the IR's qubit order.

Routes, chosen from the device's ``properties.action``:

- Program sets (``braket.ir.openqasm.program_set``: "supported on all gate-based QPUs on
  Braket and the Amazon Braket Local Simulator", says https://docs.aws.amazon.com/braket/latest/
  developerguide/braket-batching-tasks.html): ONE :meth:`~qrkt.backends.base.Backend.run` is
  ONE task, a ``ProgramSet`` of one ``CircuitBinding`` with the B parameter sets as its input
  sets. A call is split into several tasks only at the device's limits
  (``maximumExecutables``, and ``maximumTotalShots`` over ``shots``; the local simulators take
  100 executables of at most 200,000 shots in all). A parameter-shift gradient is one ``run``
  as well, so a training step is two tasks.
- Devices without program sets: one task per parameter set, the B tasks ``device.run_batch``
  would create, but submitted by :func:`~qrkt.backends.jobs.run_jobs`, which resubmits only
  the tasks that fail (``run_batch`` retries on its own and holds task creation back while
  ``max_parallel`` tasks run).
- Exact values (``shots=0``, local simulators only): program sets need shots, so every
  parameter set is one local task with ``Expectation`` result types (B jobs, at no price).

Braket's simulators cannot be seeded (they sample from an unseeded NumPy generator) and AWS
devices take no seed, so this backend has no ``seed``: shot-based results vary from run to run.

Faults (:mod:`qrkt.backends.jobs`): ``AwsQuantumTask.result()`` returns ``None`` for a task that
ended FAILED or CANCELLED or was still waiting after ``poll_timeout_seconds`` (then it is
cancelled, so as not to pay twice), and a program set that ended FAILED has failed executables
in its result: each raises :class:`TaskFault`, and the task is resubmitted, alone, with
exponential back-off, up to ``max_retries`` times; then :class:`~qrkt.errors.JobError` names the
task and the reason.

Costs (:meth:`BraketBackend.estimate`, ``counts.last``): Braket bills QPUs per task and per shot,
not by time, so ``qpu_seconds`` is ``None`` and the price is ``per_job x tasks + per_shot x
shots`` at the device's :class:`~qrkt.backends.hardware.Pricing`. A program set is one task and
pays one per-task fee ("Program sets bundle many programs in one service-side task, so the
per-task fee is only billed once": AWS's Braket reference for agents, aws/agent-toolkit-for-aws,
``references/program-sets.md``; the SDK's cost ``Tracker`` likewise prices a task as one task fee
plus its shots). The local simulators cost nothing. The SDK has no price table of its own
(``braket.tracking`` downloads AWS's price list at run time): :data:`QPU_PRICES` holds the
published rates qrkt could read; for other devices, pass ``price_per_task`` and
``price_per_shot``, or the price is ``None``.

The account: ``AwsDevice`` and boto3 read credentials from the AWS environment or profile
themselves; they never pass through qrkt, and every error quoting the SDK has the values of
:data:`~qrkt.backends.jobs.CREDENTIAL_VARIABLES` masked, in case the SDK quotes them.
Results go where the SDK puts them: its default S3 bucket, or
``AMZN_BRAKET_TASK_RESULTS_S3_URI``.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from qrkt.backends.base import (
    Backend,
    BackendOption,
    Capabilities,
    ConformanceVariant,
    check_shots,
)
from qrkt.backends.hardware import CallRecord, CircuitStatistics, Cost, Pricing, check_price
from qrkt.backends.jobs import (
    RETRY_OPTIONS,
    DeviceCounts,
    JobLog,
    check_retry_options,
    mask_credentials,
    masked_reason,
    run_jobs,
)
from qrkt.circuits.ir import Circuit, Param, ParamKind
from qrkt.dependencies import require
from qrkt.errors import (
    BackendInputError,
    JobError,
    UnsupportedError,
    check_finite,
    is_integer,
    known_names,
)

if TYPE_CHECKING:
    from braket.circuits import Circuit as BraketCircuit
    from braket.circuits.noise_model import NoiseModel
    from braket.devices import Device
    from braket.ir.openqasm import Program as OpenQASMProgram

T = TypeVar("T")

LOCAL_SIMULATORS = {"local": "braket_sv", "local_dm": "braket_dm"}
"""qrkt's names of Braket's local simulators, and the SDK's."""

MAX_SHOTS = np.iinfo(np.int64).max
"""The most shots qrkt counts for one parameter set; a device's own limit is usually lower."""

DEFAULT_POLL_TIMEOUT_S = 5 * 24 * 3600.0
"""How long ``result()`` waits for an AWS task: the SDK's default, 5 days (QPUs queue)."""

PRICING_SOURCE = (
    "Amazon Braket on-demand QPU pricing, https://aws.amazon.com/braket/pricing/ (a fee per "
    "task, the same on every QPU, plus a price per shot), read 2026-12-02 from a stored copy of "
    "the page that carries no date; check it before spending"
)

QPU_PRICES: dict[str, tuple[float, float]] = {
    "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1": (0.30, 0.08),
    "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-Enterprise-1": (0.30, 0.08),
    "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet": (0.30, 0.00145),
}
"""US dollars per task and per shot, by device ARN, from :data:`PRICING_SOURCE` (which prices
QPU families: "IonQ Forte", "IQM Garnet"). No published per-shot price of IQM Emerald, Rigetti
Cepheus-1-108Q or AQT IBEX-Q1 could be read: their cost has no price unless ``price_per_task``
and ``price_per_shot`` are given."""

LOCAL_PRICING = Pricing(source="Braket's local simulators run on this machine: free")


class TaskError(Exception):
    """A Braket task, or its submission, failed; the message is the reason, credentials masked."""


class TaskFault(TaskError):
    """A task ended without results (FAILED, CANCELLED, or still waiting after the poll
    timeout), or some of its executables failed: a resubmission may succeed."""


class BraketClient:
    """The call the backend makes into Braket besides running tasks: resolve a device.

    Real runs use this class: ``LocalSimulator`` for the local names, ``AwsDevice`` with
    ``aws_session`` (by default one built by the SDK from the AWS environment or profile) for
    an ARN. Tests pass a subclass whose :meth:`aws_device` returns a stand-in.
    """

    def __init__(self, aws_session: Any = None) -> None:
        self.aws_session = aws_session

    def device(self, name: str) -> Device:
        """A local simulator (``"local"``, ``"local_dm"``) or the AWS device of an ARN."""
        if name in LOCAL_SIMULATORS:
            from braket.devices import LocalSimulator

            return LocalSimulator(LOCAL_SIMULATORS[name])
        try:
            return self.aws_device(name)
        except Exception as error:  # any failure to reach Braket or to find the device
            reason = masked_reason(error)
            raise JobError(
                f"could not get device {name!r} from Amazon Braket ({reason}); check the ARN "
                "(braket.devices.Devices lists them, AwsDevice.get_devices() the account's), "
                "the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile) "
                "and the region",
                reason=reason,
            ) from None  # the SDK's own error might quote a credential

    def aws_device(self, arn: str) -> Device:
        """``AwsDevice(arn)``: this reaches the network."""
        from braket.aws import AwsDevice

        return AwsDevice(arn, aws_session=self.aws_session)


@dataclass(frozen=True, eq=False)
class BraketProgram:
    """A circuit as the backend runs it: ``gates`` (the IR's gates); ``runs``, with noise and
    measurements (or ``Expectation`` result types, for exact values); ``qasm``, ``runs`` as
    OpenQASM 3, serialized once for the tasks of one parameter set each; and the slots that its
    ``FreeParameter`` objects, named ``param.name``, stand for."""

    gates: BraketCircuit
    runs: BraketCircuit
    qasm: OpenQASMProgram
    params: tuple[Param, ...]

    def columns(self, inputs: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Each parameter's value for every parameter set, ``(B,)`` arrays by name."""
        batch = inputs.shape[0]
        return {
            p.name: inputs[:, p.index]
            if p.kind is ParamKind.INPUT
            else np.full(batch, weights[p.index])
            for p in self.params
        }


@dataclass(frozen=True)
class _Task:
    """One task of a call: a program set of ``rows`` parameter sets, or one parameter set's
    circuit with its ``inputs``."""

    spec: Any
    rows: int
    shots: int
    inputs: dict[str, float] | None = None


class _Client:
    """:class:`~qrkt.backends.jobs.JobClient` of one call: job ``i`` runs ``tasks[i]``.

    Every error it raises is a :class:`TaskError` whose message has credentials masked, so that
    no traceback quotes the SDK's own message.
    """

    faults = (TaskFault,)

    def __init__(self, backend: BraketBackend, circuit: Circuit, tasks: list[_Task]) -> None:
        self.backend, self.circuit, self.tasks = backend, circuit, tasks

    def submit(self, index: int) -> Any:
        task = self.tasks[index]
        return _masked(
            lambda: self.backend.device.run(
                task.spec, shots=task.shots, inputs=task.inputs, **self.backend._run_options
            )
        )

    def result(self, job: Any) -> np.ndarray:
        """``(rows, n_observables)`` of a task; :class:`TaskFault` if it has no results."""
        return _masked(lambda: self._read(job))

    def job_id(self, job: Any) -> str:
        return str(job.id)

    def cancel(self, job: Any) -> None:
        job.cancel()

    def reason(self, error: BaseException) -> str:
        return str(error) if isinstance(error, TaskError) else masked_reason(error)

    def _read(self, job: Any) -> np.ndarray:
        result = job.result()
        if result is None:
            raise TaskFault(self._no_result(job))
        if not self.backend.shots:
            return np.asarray([result.values], dtype=np.float64)
        if not self.backend.uses_program_sets:
            return z_means([result], self.circuit)
        measured = [entry for program in result.entries for entry in program.entries]
        _check_executables(job.id, measured)
        return z_means(measured, self.circuit)

    def _no_result(self, job: Any) -> str:
        """Why ``job.result()`` returned ``None``: the task failed, was cancelled, or polling
        timed out (then the task is cancelled, so that it does not run besides its
        resubmission)."""
        state = job.state()
        if state == "FAILED":
            reason = job.metadata().get("failureReason", "no reason given")
            return mask_credentials(f"task {job.id} ended FAILED: {reason}")
        if state == "CANCELLED":
            return f"task {job.id} was CANCELLED"
        with contextlib.suppress(Exception):  # best effort: the timeout is what matters
            job.cancel()
        return (
            f"task {job.id} was still {state} after poll_timeout_seconds="
            f"{self.backend.poll_timeout_seconds:g}; cancelled it"
        )


class BraketBackend(Backend):
    """Expectation values from Braket's local simulators or an AWS device, one task per call.

    Args:
      device: ``"local"`` (state vector), ``"local_dm"`` (density matrix, for ``noise``) or an
        AWS device ARN (``braket.devices.Devices.IonQ.Forte1``).
      shots: per parameter set; ``0`` (Braket's convention) or ``None`` (qrkt's) for exact
        values, on the local simulators only.
      noise: on ``"local_dm"`` only: a probability ``p`` in [0, 1], a depolarizing channel of
        ``p`` on each qubit of every gate, after the gate; or a
        ``braket.circuits.noise_model.NoiseModel``.
      max_retries: resubmissions of a failed, cancelled or timed-out task before giving up.
      retry_delay: seconds before the first resubmission; doubled for each next one.
      poll_timeout_seconds: how long to wait for an AWS task's result before cancelling and
        resubmitting it.
      price_per_task, price_per_shot: US dollars, for cost estimates (default: the device's
        published rates, :data:`QPU_PRICES`; both are needed for a device without them).
      aws_session: a ``braket.aws.AwsSession`` (or a :class:`BraketClient`, e.g. a test
        stand-in); by default the SDK builds one from the AWS environment or profile.
    """

    name = "braket"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "device",
            str,
            "NAME",
            "'local' (state vector, the default), 'local_dm' (density matrix, for --noise) or "
            "a device ARN",
        ),
        BackendOption(
            "noise",
            float,
            "P",
            "on local_dm: a depolarizing channel of probability P on each qubit after every gate",
        ),
        *RETRY_OPTIONS,
        BackendOption(
            "poll_timeout_seconds",
            float,
            "S",
            "how long to wait for a task's result before cancelling and resubmitting it "
            f"(default: {DEFAULT_POLL_TIMEOUT_S:.0f})",
        ),
        BackendOption(
            "price_per_task",
            float,
            "USD",
            "US dollars a task, for cost estimates (default: the device's published rate)",
        ),
        BackendOption(
            "price_per_shot",
            float,
            "USD",
            "US dollars a shot, for cost estimates (default: the device's published rate)",
        ),
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "exact": ConformanceVariant({"shots": 0}),
        "shots": ConformanceVariant({"shots": 1000}),
    }  # Braket's sampling has no seed; its local results cost time by the shot (the SDK
    # validates every measurement), and 1,000 shots' tolerance still catches a wrong bit order
    records_calls = True
    # An instance reports its device's width; 26 qubits is the local state-vector simulator's.
    capabilities = Capabilities(autodiff=False, exact=True, shots=True, noise=True, max_qubits=26)

    def __init__(
        self,
        device: str = "local",
        *,
        shots: int | None = 1000,
        noise: float | NoiseModel | None = None,
        max_retries: int = 3,
        retry_delay: float = 10.0,
        poll_timeout_seconds: float = DEFAULT_POLL_TIMEOUT_S,
        price_per_task: float | None = None,
        price_per_shot: float | None = None,
        aws_session: Any = None,
    ) -> None:
        super().__init__()
        require(f"the {self.name} backend", ["braket"], "braket")
        local = isinstance(device, str) and device in LOCAL_SIMULATORS
        if not isinstance(device, str) or not (local or device.startswith("arn:aws:braket:")):
            raise BackendInputError(
                f"device must be one of {known_names(LOCAL_SIMULATORS)} or a Braket device ARN "
                f"(e.g. braket.devices.Devices.IonQ.Forte1), got {device!r}"
            )
        check_retry_options(max_retries, retry_delay)
        check_finite("poll_timeout_seconds", poll_timeout_seconds, error=BackendInputError)
        if poll_timeout_seconds <= 0:
            raise BackendInputError(
                f"poll_timeout_seconds must be > 0, got {poll_timeout_seconds!r}; e.g. 3600"
            )
        for label, price in (
            ("price_per_task", price_per_task),
            ("price_per_shot", price_per_shot),
        ):
            if price is not None:
                check_price(label, price)
        if shots is None or (is_integer(shots) and shots == 0):
            if not local:
                raise UnsupportedError(
                    f"device {device!r} needs shots: exact values (shots=0) come only from the "
                    f"local simulators {known_names(LOCAL_SIMULATORS)}; give shots, e.g. 1000"
                )
            shots = 0
        else:
            check_shots(shots, maximum=MAX_SHOTS, limit="a NumPy int64 count")
        self.device_name = device
        self.noise = _noise_model(noise, device)
        self.max_retries = max_retries
        self.retry_delay = float(retry_delay)
        self.poll_timeout_seconds = float(poll_timeout_seconds)
        self._run_options = {} if local else {"poll_timeout_seconds": self.poll_timeout_seconds}
        self.client = (
            aws_session if isinstance(aws_session, BraketClient) else BraketClient(aws_session)
        )
        self.device = self.client.device(device)
        self.program_sets = self._program_set_limits()
        self.shots = self._check_shots(shots)
        self.pricing = _pricing(device, local, price_per_task, price_per_shot)
        self.capabilities = Capabilities(
            autodiff=False,
            exact=local,
            shots=True,
            noise=device != "local",
            max_qubits=self.device.properties.paradigm.qubitCount,
        )
        self.counts = DeviceCounts()
        self._programs: dict[Circuit, BraketProgram] = {}

    @property
    def shots_per_circuit(self) -> int:
        return self.shots

    @property
    def uses_program_sets(self) -> bool:
        """Whether a call runs as program sets (the device has them, and there are shots)."""
        return self.program_sets is not None and self.shots > 0

    def estimate(self, circuit: Circuit, rows: int) -> Cost:
        """What a call with ``rows`` parameter sets would cost, without submitting anything."""
        super().estimate(circuit, rows)  # checks as run would
        return self._cost(rows, [s.stop - s.start for s in self._plan(rows)], retries=0)

    def circuit_statistics(self, circuit: Circuit) -> CircuitStatistics:
        """The Braket circuit as submitted (an AWS device compiles it to its native gates):
        its depth and two-qubit gates; Braket states no gate durations."""
        self.check_circuit(circuit)
        gates = self.program(circuit).gates
        return CircuitStatistics(
            depth=gates.depth,
            two_qubit_gates=sum(1 for i in gates.instructions if len(i.target) == 2),
        )

    def program(self, circuit: Circuit) -> BraketProgram:
        """The Braket circuit this backend runs for ``circuit``, built once."""
        if circuit not in self._programs:
            from braket.circuits.serialization import IRType

            gates, params = to_braket(circuit)
            runs = gates.copy()
            if self.shots:
                for qubit in range(circuit.n_qubits):
                    runs.measure(qubit)
            else:
                for observable in circuit.observables:
                    runs.expectation(_z_string(len(observable.qubits)), target=observable.qubits)
            if self.noise is not None:
                runs = self.noise.apply(runs)
            qasm = runs.to_ir(IRType.OPENQASM)
            self._programs[circuit] = BraketProgram(gates, runs, qasm, params)
        return self._programs[circuit]

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        program = self.program(circuit)
        columns = program.columns(inputs, weights)
        tasks = [self._task(program, columns, rows) for rows in self._plan(inputs.shape[0])]
        client = _Client(self, circuit, tasks)
        log: JobLog[Any] = JobLog()
        try:
            results = run_jobs(
                client,
                len(tasks),
                max_retries=self.max_retries,
                retry_delay=self.retry_delay,
                where=f"on device {self.device_name!r}",
                log=log,
            )
        finally:
            sizes = [tasks[index].rows for index in log.submitted]
            record = CallRecord(
                self._cost(inputs.shape[0], sizes, log.retries),
                tuple(client.job_id(job) for job in log.jobs),
            )
            self.counts.record_call(record, retries=log.retries)
        return np.concatenate(results)

    def _task(self, program: BraketProgram, columns: dict[str, np.ndarray], rows: slice) -> _Task:
        """The task of the parameter sets ``rows``: a program set, or one circuit."""
        size = rows.stop - rows.start
        if not self.uses_program_sets:
            values = {name: float(column[rows.start]) for name, column in columns.items()}
            return _Task(program.qasm, 1, self.shots, values)
        from braket.program_sets import CircuitBinding, ProgramSet

        bindings = {name: column[rows].tolist() for name, column in columns.items()}
        entries = [CircuitBinding(program.runs, bindings)] if bindings else [program.runs] * size
        return _Task(ProgramSet(entries, shots_per_executable=self.shots), size, size * self.shots)

    def _plan(self, rows: int) -> list[slice]:
        """The parameter sets of each task of a call of ``rows`` sets."""
        per_task = 1
        if self.uses_program_sets:
            limits = self.program_sets
            per_task = max(
                1, min(limits.maximumExecutables, limits.maximumTotalShots // self.shots)
            )
            least, last = limits.minimumTotalShots or 0, rows % per_task or per_task
            if last * self.shots < least:
                raise UnsupportedError(
                    f"device {self.device_name!r} runs at least {least} shots in a program set, "
                    f"but the last task of this call runs {last} parameter sets x {self.shots} "
                    "shots; raise shots, or the batch size"
                )
        return [slice(start, min(start + per_task, rows)) for start in range(0, rows, per_task)]

    def _cost(self, parameter_sets: int, sizes: list[int], retries: int) -> Cost:
        """A call of ``parameter_sets`` sets whose tasks, resubmissions included, ran ``sizes``
        parameter sets each."""
        executions = sum(sizes)
        cost = Cost(
            calls=1,
            jobs=len(sizes),
            round_trips=1 + retries if sizes else 0,
            parameter_sets=parameter_sets,
            executions=executions,
            shots=executions * self.shots,
        )
        return replace(cost, price=None if self.pricing is None else self.pricing.price(cost))

    def _program_set_limits(self) -> Any:
        """The device's program-set action properties (``None`` without program sets); refuse a
        device that runs no OpenQASM circuits."""
        from braket.device_schema import DeviceActionType

        action = self.device.properties.action
        if DeviceActionType.OPENQASM not in action:
            raise UnsupportedError(
                f"device {self.device_name!r} runs no gate-based OpenQASM programs (it runs "
                f"{known_names(action)}); choose a gate-based device"
            )
        return action.get(DeviceActionType.OPENQASM_PROGRAM_SET)

    def _check_shots(self, shots: int) -> int:
        """``shots``, checked against the device's shot range and program-set limit."""
        if shots == 0:
            return 0
        maximum = self.device.properties.service.shotsRange[1]
        if self.program_sets is not None:
            maximum = min(maximum, self.program_sets.maximumTotalShots)
        check_shots(shots, maximum=maximum, limit=f"what device {self.device_name!r} runs")
        return int(shots)

    def __repr__(self) -> str:
        mode = f"{self.shots} shots" if self.shots else "exact"
        noise = "" if self.noise is None else ", noisy"
        return (
            f"<qrkt backend {self.name!r} ({self.device_name}, {mode}{noise}): "
            f"{self.capabilities.summary()}>"
        )


def to_braket(circuit: Circuit) -> tuple[BraketCircuit, tuple[Param, ...]]:
    """``circuit``'s gates as a Braket ``Circuit`` (qubit ``j`` is Braket's qubit ``j``), with a
    ``FreeParameter`` named ``param.name`` per slot it uses, and those slots in gate order."""
    from braket.circuits import Circuit as BraketCircuit
    from braket.circuits import FreeParameter

    braket_circuit = BraketCircuit()
    free: dict[Param, FreeParameter] = {}
    for gate in circuit.gates:
        angle: tuple[Any, ...] = () if gate.angle is None else (gate.angle,)
        if gate.param is not None:
            angle = (free.setdefault(gate.param, FreeParameter(gate.param.name)),)
        getattr(braket_circuit, gate.name)(*gate.qubits, *angle)
    return braket_circuit, tuple(free)


def z_means(measured: list[Any], circuit: Circuit) -> np.ndarray:
    """``<O>`` of every observable of ``circuit``, ``(len(measured), n_obs)``, from results with
    ``measurements`` (shots x bits) and ``measured_qubits`` (the qubit of each bit): a Z
    string's value on one shot is ``(-1)**parity`` of its qubits' bits."""
    masks = np.zeros((circuit.n_qubits, circuit.n_observables), dtype=np.int64)
    for column, observable in enumerate(circuit.observables):
        masks[list(observable.qubits), column] = 1
    values = []
    for result in measured:
        order = [list(result.measured_qubits).index(q) for q in range(circuit.n_qubits)]
        bits = np.asarray(result.measurements, dtype=np.int64)[:, order]
        values.append(1.0 - 2.0 * ((bits @ masks) & 1).mean(axis=0))
    return np.stack(values)


def _masked(call: Callable[[], T]) -> T:
    """``call()``, any error but a :class:`TaskError` raised again as one, credentials masked
    and the SDK's own error left out of the traceback."""
    try:
        return call()
    except TaskError:
        raise
    except Exception as error:
        raise TaskError(masked_reason(error)) from None


def _check_executables(task_id: str, measured: list[Any]) -> None:
    """Raise if executables of a program set failed (a FAILED program set has a result whose
    failed entries are ``ProgramSetExecutableFailure`` objects): :class:`TaskFault` where Braket
    marks them retryable, else :class:`TaskError`."""
    from braket.task_result import ProgramSetExecutableFailure

    failed = [e for e in measured if isinstance(e, ProgramSetExecutableFailure)]
    if not failed:
        return
    metadata = failed[0].failureMetadata
    message = mask_credentials(
        f"task {task_id}: {len(failed)} of {len(measured)} executables failed, the first with "
        f"{metadata.failureReason}"
    )
    raise (TaskFault if all(e.failureMetadata.retryable for e in failed) else TaskError)(message)


def _z_string(length: int) -> Any:
    """Braket's observable ``Z x Z x ...`` on ``length`` qubits."""
    from braket.circuits import Observable

    return functools.reduce(operator.matmul, [Observable.Z() for _ in range(length)])


def _noise_model(noise: object, device: str) -> NoiseModel | None:
    """The ``noise`` option as a Braket noise model: a probability ``p`` is a depolarizing
    channel of ``p`` on each qubit of every gate, after the gate."""
    from braket.circuits import Noise
    from braket.circuits.noise_model import GateCriteria, NoiseModel

    if noise is None:
        return None
    if device != "local_dm":
        raise UnsupportedError(
            f"noise is simulated by the density-matrix simulator only, got noise={noise!r} with "
            f"device={device!r}; use device='local_dm' (an AWS device has noise of its own)"
        )
    if isinstance(noise, NoiseModel):
        return noise
    if isinstance(noise, numbers.Real) and not isinstance(noise, bool) and 0 <= noise <= 1:
        return NoiseModel().add_noise(Noise.Depolarizing(float(noise)), GateCriteria())
    raise BackendInputError(
        f"noise must be a depolarizing probability in [0, 1], a braket NoiseModel or None, got "
        f"{noise!r}; e.g. noise=0.01"
    )


def _pricing(
    device: str, local: bool, per_task: float | None, per_shot: float | None
) -> Pricing | None:
    """The device's pricing (:data:`LOCAL_PRICING`, :data:`QPU_PRICES`), with the rates given
    replacing the published ones; ``None`` for a device without published rates."""
    base = LOCAL_PRICING if local else None
    if device in QPU_PRICES:
        task_fee, shot_price = QPU_PRICES[device]
        base = Pricing(PRICING_SOURCE, per_job=task_fee, per_shot=shot_price)
    if per_task is None and per_shot is None:
        return base
    per_job = base.per_job if base is not None and per_task is None else per_task
    shot_price = base.per_shot if base is not None and per_shot is None else per_shot
    if per_job is None or shot_price is None:
        raise BackendInputError(
            f"device {device!r} has no published price in qrkt's table (QPU_PRICES); give both "
            f"price_per_task and price_per_shot, got price_per_task={per_task!r}, "
            f"price_per_shot={per_shot!r}"
        )
    source = "price_per_task and price_per_shot given to the backend"
    return Pricing(
        source if base is None else f"{source}; otherwise {base.source}",
        per_job=float(per_job),
        per_shot=float(shot_price),
    )
