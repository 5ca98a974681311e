"""``ibm_runtime``: IBM Quantum devices through qiskit-ibm-runtime, or its local testing mode.

The device is a real one (``"ibm_brisbane"``, resolved through ``QiskitRuntimeService``), a fake
one (``"fake_manila"``: local testing mode, the same client code run on the fake device's
noise model), or ``"aer"`` (a noiseless ``AerSimulator`` in local testing mode; the default,
so that nothing is ever spent by accident).

One :meth:`~qrkt.backends.base.Backend.run` is ONE job whatever the batch size: the B parameter
sets go in one broadcast PUB. A call is split into several jobs, submitted together in one
``Batch``, only when IBM's per-job limit of circuit executions (parameter sets x shots) requires
it. A parameter-shift gradient is one ``run`` as well
(:func:`~qrkt.backends.parameter_shift.parameter_shift_vjp`), so a training step is two jobs.

Primitives: the client-side ones of qiskit-ibm-runtime 0.50+, built on its ``Executor``
(``qiskit_ibm_runtime.EstimatorV2``, the server-side estimator, is deprecated there):

- ``"sampler"`` (``qiskit_ibm_runtime.executor_sampler.Sampler``), used at resilience level 0:
  ``<Z_j>`` from the bit strings. It prepares a PUB's parameter sets as one array (about
  0.01 s for 5,408 sets) and measures only the circuit's qubits.
- ``"estimator"`` (``qiskit_ibm_runtime.executor_estimator.Estimator``), needed for error
  mitigation (resilience levels 1 and 2). It spends about 1.5 ms of client work per parameter
  set (more with mitigation; locally, level 1 is about 18x slower than level 0), and it
  measures every qubit of the device, which a local simulation of a 127-qubit fake device
  cannot afford (Aer runs out of memory at ``job.result()``): the constructor refuses it.

Gate twirling and dynamical decoupling need IBM's basis gates and gate durations, which the
``"aer"`` device lacks (its ISA keeps ``ry``): the constructor refuses them there too.

Traps handled before anything is submitted:

- Options are validated strictly (pydantic) by the client: they are built in the constructor,
  so a bad option fails there rather than at the first job.
- A circuit that is not ISA is accepted at submission and fails only at ``job.result()``
  (locally, Aer says "unknown instruction: h"), after queueing: circuits are transpiled once per
  (structure, device, optimization level) by
  :func:`~qrkt.backends.qiskit_compile.transpile_for` and every instruction is checked against
  the device's target (:func:`check_isa`).
- One job cannot mix precisions: every PUB of a call has the same shots.
- ``QuantumCircuit.parameters`` sorts by name (``w10`` before ``w2``): values are bound by
  parameter object (:func:`~qrkt.backends.qiskit_compile.parameter_array`).

Faults: a job that fails, is cancelled or runs past its time is resubmitted, alone, with
exponential back-off, up to ``max_retries`` times; then :class:`~qrkt.errors.JobError` names the
job and the reason. Jobs that completed are never resubmitted. Failed submissions are not
retried here: the client already retries its HTTP requests.

Costs (:class:`CostEstimate`, :meth:`IBMRuntimeBackend.dry_run`, :class:`RuntimeCounts`): the
estimated QPU seconds of a job are ``JOB_OVERHEAD_S + parameter sets x shots x (rep_delay +
circuit duration)``, with the device's ``default_rep_delay`` (else ``DEFAULT_REP_DELAY_S``) and
the ISA circuit's duration from the device's gate durations (0 where it has none, as on
``AerSimulator``). ``JOB_OVERHEAD_S`` is an assumption, not a measurement: compare the estimate
with ``job.usage()`` of a real job.

The account: ``QiskitRuntimeService`` reads ``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE`` and
``QISKIT_IBM_CHANNEL`` from the environment, or a saved account, itself; the token never passes
through qrkt, and errors quoting the client are masked in case the client quotes it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from qrkt.backends.base import Backend, Capabilities, ExecutionCounts, check_seed
from qrkt.backends.parameter_shift import occurrence_circuit
from qrkt.backends.qiskit_compile import (
    CompiledCircuit,
    check_optimization_level,
    estimator_expectations,
    estimator_pub,
    parameter_array,
    sampler_expectations,
    sampler_pub,
    transpile_for,
)
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import require
from qrkt.errors import (
    BackendInputError,
    JobError,
    UnsupportedError,
    is_integer,
    known_names,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.providers import BackendV2

logger = logging.getLogger(__name__)

PRIMITIVES = ("sampler", "estimator")
EXECUTION_MODES = ("job", "batch", "session")

MAX_EXECUTIONS_PER_JOB = 10_000_000
"""IBM Quantum's limit on circuit executions (parameter sets x shots) in one job."""

DEFAULT_REP_DELAY_S = 250e-6
"""Delay between shots where the device does not state one (IBM's usual default)."""

JOB_OVERHEAD_S = 2.0
"""QPU seconds assumed for every job besides its shots (loading, initialization)."""


@dataclass(frozen=True)
class CostEstimate:
    """What calls cost on a device.

    Attributes:
      device: the device's name.
      jobs: jobs submitted; pubs: PUBs in them (one per job).
      circuits: parameter sets executed; shots: their shots in total.
      round_trips: sequential waits on the service (the jobs of one call run side by side).
      qpu_seconds: estimated QPU time (see the module's documentation).
    """

    device: str
    jobs: int
    pubs: int
    circuits: int
    shots: int
    round_trips: int
    qpu_seconds: float

    def __add__(self, other: CostEstimate) -> CostEstimate:
        return CostEstimate(
            self.device, *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)[1:])
        )


@dataclass
class RuntimeCounts(ExecutionCounts):
    """:class:`~qrkt.backends.base.ExecutionCounts` plus what the calls spent on the service.

    ``jobs`` counts every submission, ``retries`` the resubmissions among them; ``pubs`` and
    ``qpu_seconds`` (estimated) include resubmissions. ``last`` is the latest call's cost,
    resubmissions included, recorded even when the call failed; without faults it equals
    :meth:`IBMRuntimeBackend.dry_run` of that call. ``last_job_ids`` are the ids of the jobs
    whose results the latest successful call returned.
    """

    jobs: int = 0
    retries: int = 0
    pubs: int = 0
    qpu_seconds: float = 0.0
    last: CostEstimate | None = None
    last_job_ids: tuple[str, ...] = ()

    def record_cost(self, cost: CostEstimate, *, retries: int) -> None:
        self.jobs += cost.jobs
        self.retries += retries
        self.pubs += cost.pubs
        self.qpu_seconds += cost.qpu_seconds
        self.last = cost

    def reset(self) -> None:
        super().reset()
        self.jobs = self.retries = self.pubs = 0
        self.qpu_seconds = 0.0
        self.last = None
        self.last_job_ids = ()


class RuntimeClient:
    """The two calls the backend makes into IBM Quantum: resolve a device, submit PUBs.

    Real runs use this class, that is the real client: ``QiskitRuntimeService`` (``service``, or
    one built on first use from the environment or a saved account, with ``channel``,
    ``instance`` and the saved ``account`` name) and the primitives' own ``run``. Tests pass a
    stand-in that plays the remote service and its faults.
    """

    def __init__(
        self,
        service: Any = None,
        *,
        channel: str | None = None,
        instance: str | None = None,
        account: str | None = None,
    ) -> None:
        self._service = service
        self._service_options = {"channel": channel, "instance": instance, "name": account}

    def device(self, name: str) -> BackendV2:
        """``"aer"``, a fake device (``"fake_manila"``) or a device of the account's service."""
        if name == "aer":
            from qiskit_aer import AerSimulator

            return AerSimulator()
        if name.startswith("fake_"):
            from qrkt.backends.qiskit_aer import fake_ibm_device

            return fake_ibm_device(name)
        try:
            return self.service().backend(name)
        except Exception as error:  # any failure to reach the service or find the device
            reason = masked_reason(error)
            raise JobError(
                f"could not get device {name!r} from IBM Quantum ({reason}); check the name "
                "(QiskitRuntimeService().backends() lists the account's devices; local ones are "
                "'aer' and 'fake_*') and the account: QISKIT_IBM_TOKEN, QISKIT_IBM_INSTANCE and "
                "QISKIT_IBM_CHANNEL, or QiskitRuntimeService.save_account(...)",
                reason=reason,
            ) from None  # the client's own error might quote the token

    def service(self) -> Any:
        """The ``QiskitRuntimeService``, built on first use (this is what reaches the network)."""
        if self._service is None:
            from qiskit_ibm_runtime import QiskitRuntimeService

            options = {k: v for k, v in self._service_options.items() if v is not None}
            self._service = QiskitRuntimeService(**options)
        return self._service

    def submit(self, primitive: Any, pubs: list[Any]) -> Any:
        """Submit ``pubs`` through a sampler or estimator; return the job."""
        return primitive.run(pubs)


class IBMRuntimeBackend(Backend):
    """Expectation values from an IBM Quantum device, a fake one, or Aer, through the runtime.

    Args:
      device: ``"aer"`` (noiseless, local), a fake device (``"fake_manila"``, local, noisy) or
        a real device name (``"ibm_brisbane"``).
      primitive: ``"sampler"`` or ``"estimator"``; by default the sampler at resilience level 0
        and the estimator above (the sampler cannot mitigate).
      shots: per parameter set.
      precision: the estimator's target precision instead of ``shots`` (``ceil(1 /
        precision**2)`` shots).
      resilience_level: 0 (none), 1 (readout mitigation) or 2 (ZNE); above 0 needs the
        estimator.
      dynamical_decoupling: insert DD sequences in idle periods (needs gate durations).
      twirling: twirl gates and measurements; ``None`` leaves it to the primitive (off for the
        sampler, by resilience level for the estimator).
      optimization_level: of the preset pass manager that transpiles to the device's ISA.
      execution_mode: ``"job"`` (a call needing several jobs still uses a Batch), ``"batch"``
        (one Batch per call) or ``"session"`` (one Session kept across calls, so that the
        forward and gradient jobs of a training loop do not queue again; :meth:`close` ends it).
      max_retries: resubmissions of a failed, cancelled or timed-out job before giving up.
      retry_delay: seconds before the first resubmission; doubled for each next one.
      max_executions_per_job: parameter sets x shots in one job; larger calls are split.
      seed: seeds local-mode sampling.
      cache_dir: where transpiled circuits are kept as QPY for other processes.
      service: a ``QiskitRuntimeService`` (or a :class:`RuntimeClient`, e.g. a test stand-in);
        by default one is built from the environment or a saved account when a real device
        is named, with ``channel``, ``instance`` and ``account`` (a saved account's name).
    """

    name = "ibm_runtime"
    # An instance reports its device's width; 156 is the widest IBM device (Heron r2).
    capabilities = Capabilities(autodiff=False, exact=False, shots=True, noise=True, max_qubits=156)

    def __init__(
        self,
        device: str = "aer",
        *,
        primitive: str | None = None,
        shots: int = 4096,
        precision: float | None = None,
        resilience_level: int = 0,
        dynamical_decoupling: bool = False,
        twirling: bool | None = None,
        optimization_level: int = 1,
        execution_mode: str = "batch",
        max_retries: int = 3,
        retry_delay: float = 10.0,
        max_executions_per_job: int = MAX_EXECUTIONS_PER_JOB,
        seed: int | None = None,
        cache_dir: str | None = None,
        service: Any = None,
        channel: str | None = None,
        instance: str | None = None,
        account: str | None = None,
    ) -> None:
        super().__init__()
        require_runtime()
        _check_choice("primitive", primitive, (None, *PRIMITIVES))
        _check_choice("resilience_level", resilience_level, (0, 1, 2))
        _check_choice("execution_mode", execution_mode, EXECUTION_MODES)
        check_optimization_level(optimization_level)
        for label, value, low in (
            ("shots", shots, 1),
            ("max_retries", max_retries, 0),
            ("max_executions_per_job", max_executions_per_job, 1),
        ):
            if not is_integer(value) or value < low:
                raise BackendInputError(f"{label} must be an integer >= {low}, got {value!r}")
        check_seed(seed)
        if not isinstance(retry_delay, int | float) or retry_delay < 0:
            raise BackendInputError(f"retry_delay must be seconds >= 0, got {retry_delay!r}")
        if primitive == "sampler" and resilience_level > 0:
            raise UnsupportedError(
                f"resilience_level={resilience_level} needs the estimator, got "
                "primitive='sampler'; pass primitive='estimator' (or leave it out)"
            )
        self.primitive = primitive or ("sampler" if resilience_level == 0 else "estimator")
        if precision is not None and (
            self.primitive != "estimator"
            or not isinstance(precision, int | float)
            or precision <= 0
        ):
            raise BackendInputError(
                f"precision must be a number > 0 and needs primitive='estimator', got "
                f"precision={precision!r} with primitive={self.primitive!r}; or give shots"
            )
        if not isinstance(device, str):
            raise BackendInputError(
                f"device must be a name ('aer', 'fake_manila', 'ibm_brisbane'), got {device!r}"
            )
        self.device_name = device
        self.shots = shots
        self.precision = precision
        self.resilience_level = resilience_level
        self.dynamical_decoupling = bool(dynamical_decoupling)
        self.twirling = twirling
        self.optimization_level = optimization_level
        self.execution_mode = execution_mode
        self.max_retries = max_retries
        self.retry_delay = float(retry_delay)
        self.max_executions_per_job = max_executions_per_job
        self.seed = seed
        self.cache_dir = cache_dir
        self.counts = RuntimeCounts()
        self.client = (
            service
            if isinstance(service, RuntimeClient)
            else RuntimeClient(service, channel=channel, instance=instance, account=account)
        )
        gate_twirling = twirling if twirling is not None else resilience_level == 2
        if device == "aer" and (self.dynamical_decoupling or gate_twirling):
            raise UnsupportedError(
                "dynamical decoupling and gate twirling need gate durations and IBM's basis "
                "gates (rz, sx, x), which device='aer' lacks (AerSimulator runs ry and has no "
                "timing); use a fake device such as 'fake_manila', or turn them off"
            )
        self.device = self.client.device(device)
        self._check_local_estimator()
        self.capabilities = Capabilities(
            autodiff=False,
            exact=False,
            shots=True,
            noise=device != "aer",
            max_qubits=self.device.num_qubits,
        )
        self._options = self._primitive_options()
        self._check_shots()
        self._prepared: dict[Circuit, tuple[CompiledCircuit, float]] = {}
        self._session: Any = None

    @property
    def shots_per_circuit(self) -> int:
        if self.precision is not None:
            return math.ceil(1 / self.precision**2)  # what the estimator runs for a precision
        return self.shots

    def dry_run(self, circuit: Circuit, batch_size: int, gradient: bool = False) -> CostEstimate:
        """What a call with ``batch_size`` samples would cost, without submitting anything.

        Fails as :meth:`run` would if the circuit does not fit the device. With ``gradient``,
        the cost of a training step: the forward call plus its parameter-shift gradient call
        (``2 K batch_size`` parameter sets for ``K`` parametrized gates, one more round trip).
        """
        self.check_circuit(circuit)
        if not is_integer(batch_size) or batch_size < 1:
            raise BackendInputError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        cost = self._plan(circuit, batch_size)[2]
        shifted = occurrence_circuit(circuit).circuit if gradient else None
        if shifted is not None and shifted.n_inputs:  # no parametrized gate: no gradient call
            cost = cost + self._plan(shifted, 2 * shifted.n_inputs * batch_size)[2]
        return cost

    def transpiled(self, circuit: Circuit) -> QuantumCircuit:
        """``circuit`` as it runs on the device: transpiled to its ISA (once), measured."""
        self.check_circuit(circuit)
        return self._prepare(circuit)[0].sampler_circuit

    def check_circuit(self, circuit: Circuit) -> None:
        if isinstance(circuit, Circuit) and circuit.n_qubits > self.capabilities.max_qubits:
            raise UnsupportedError(
                f"backend {self.name!r} on device {self.device_name!r} runs at most "
                f"{self.capabilities.max_qubits} qubits, got a {circuit.n_qubits}-qubit circuit; "
                "choose a wider device or use fewer qubits"
            )
        super().check_circuit(circuit)

    def close(self) -> None:
        """End the Session of ``execution_mode="session"``, if one is open."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        compiled, chunks, _ = self._plan(circuit, inputs.shape[0])
        values = parameter_array(compiled, inputs, weights)
        pubs = [self._pub(compiled, values[rows]) for rows in chunks]
        sizes = [rows.stop - rows.start for rows in chunks]
        submitted: list[int] = []  # parameter sets of every job submitted, resubmissions too
        try:
            with self._execution_mode(len(pubs)) as mode:
                results = self._execute(mode, pubs, sizes, submitted)
        finally:
            retries = max(0, len(submitted) - len(pubs))
            cost = self._cost(submitted, self._prepared[circuit][1], round_trips=1 + retries)
            self.counts.record_cost(cost, retries=retries)
        return np.concatenate(
            [self._expectations(r, circuit, n) for r, n in zip(results, sizes, strict=True)]
        )

    # --- planning -------------------------------------------------------------------------------

    def _plan(
        self, circuit: Circuit, batch: int
    ) -> tuple[CompiledCircuit, list[slice], CostEstimate]:
        """The ISA circuit, the rows of each job and the cost, all before submitting."""
        compiled, seconds_per_shot = self._prepare(circuit)
        rows = self.max_executions_per_job // self.shots_per_circuit
        chunks = [slice(start, min(start + rows, batch)) for start in range(0, batch, rows)]
        sizes = [c.stop - c.start for c in chunks]
        return compiled, chunks, self._cost(sizes, seconds_per_shot, round_trips=1)

    def _prepare(self, circuit: Circuit) -> tuple[CompiledCircuit, float]:
        """Transpile ``circuit`` for the device and check it, once; with its seconds per shot."""
        if circuit not in self._prepared:
            compiled = transpile_for(circuit, self.device, self.optimization_level, self.cache_dir)
            check_isa(compiled.sampler_circuit, self.device)
            seconds_per_shot = _configuration_value(
                self.device, "default_rep_delay", DEFAULT_REP_DELAY_S
            ) + _duration(compiled.sampler_circuit, self.device)
            self._prepared[circuit] = (compiled, seconds_per_shot)
        return self._prepared[circuit]

    def _cost(self, sizes: list[int], seconds_per_shot: float, round_trips: int) -> CostEstimate:
        """The cost of jobs of ``sizes`` parameter sets each."""
        shots = self.shots_per_circuit
        return CostEstimate(
            device=self.device_name,
            jobs=len(sizes),
            pubs=len(sizes),
            circuits=sum(sizes),
            shots=sum(sizes) * shots,
            round_trips=round_trips if sizes else 0,
            qpu_seconds=sum(JOB_OVERHEAD_S + n * shots * seconds_per_shot for n in sizes),
        )

    def _check_shots(self) -> None:
        """Fail at construction where one parameter set cannot be run at all."""
        shots = self.shots_per_circuit
        if shots > self.max_executions_per_job:
            raise UnsupportedError(
                f"{shots} shots per parameter set exceed the per-job limit of "
                f"{self.max_executions_per_job} circuit executions; use fewer shots"
            )
        max_shots = _configuration_value(self.device, "max_shots", None)
        if max_shots is not None and shots > max_shots:
            raise UnsupportedError(
                f"device {self.device_name!r} runs at most {max_shots} shots per circuit, got "
                f"{shots}; use fewer shots (or a coarser precision)"
            )

    def _check_local_estimator(self) -> None:
        """Fail at construction where the estimator cannot run locally at all: it measures
        every qubit of the device, so locally it simulates them all (Aer then fails at
        ``job.result()`` for want of memory); the sampler measures only the circuit's."""
        from qiskit_aer import AerSimulator
        from qiskit_ibm_runtime import IBMBackend

        limit = AerSimulator().num_qubits  # what Aer can hold in this machine's memory
        if (
            self.primitive == "estimator"
            and not isinstance(self.device, IBMBackend)  # local testing mode
            and self.device.num_qubits > limit
        ):
            raise UnsupportedError(
                f"the estimator measures all {self.device.num_qubits} qubits of "
                f"{self.device_name!r}, which local testing mode cannot simulate (at most "
                f"{limit} here); use primitive='sampler' (resilience_level=0) or a fake device "
                "with fewer qubits"
            )

    def _primitive_options(self) -> Any:
        """The primitive's options, validated now (the client rejects unknown or bad values)."""
        from pydantic import ValidationError
        from qiskit_ibm_runtime.options_models import EstimatorOptions, SamplerOptions

        options: dict[str, Any] = {"dynamical_decoupling": {"enable": self.dynamical_decoupling}}
        if self.twirling is not None:
            options["twirling"] = {"enable_gates": self.twirling, "enable_measure": self.twirling}
        if self.seed is not None:
            options["simulator"] = {"seed_simulator": self.seed}
        try:
            if self.primitive == "sampler":
                return SamplerOptions(default_shots=self.shots, **options)
            if self.precision is not None:
                options["default_precision"] = self.precision
            else:
                options["default_shots"] = self.shots
            return EstimatorOptions(resilience_level=self.resilience_level, **options)
        except ValidationError as error:
            raise BackendInputError(
                f"qiskit-ibm-runtime rejects these {self.primitive} options: {error}"
            ) from None

    # --- execution ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _execution_mode(self, n_jobs: int) -> Iterator[Any]:
        """Where jobs go: the device (job mode, one job), the kept Session, or a new Batch whose
        jobs run side by side and which is closed once their results are in."""
        from qiskit_ibm_runtime import Batch, Session

        if self.execution_mode == "session":
            if self._session is None:
                self._session = Session(backend=self.device)
            yield self._session
        elif self.execution_mode == "job" and n_jobs == 1:
            yield self.device
        else:
            batch = Batch(backend=self.device)
            try:
                yield batch
            finally:
                batch.close()

    def _execute(
        self, mode: Any, pubs: list[Any], sizes: list[int], submitted: list[int]
    ) -> list[Any]:
        """Submit every PUB as a job, then collect the results in order, resubmitting only
        the jobs that fail; on giving up, cancel the jobs still pending."""
        primitive = self._primitive_class()(mode=mode, options=self._options)
        jobs: list[Any] = []
        results: list[Any] = []
        try:
            for index in range(len(pubs)):
                jobs.append(self._submit(primitive, pubs, sizes, index, submitted))
            for index in range(len(pubs)):
                results.append(self._result(primitive, pubs, sizes, jobs, index, submitted))
        except JobError:
            for job in jobs[len(results) :]:
                with contextlib.suppress(Exception):  # best effort: the error raised matters
                    job.cancel()
            raise
        self.counts.last_job_ids = tuple(job.job_id() for job in jobs)
        return results

    def _submit(
        self, primitive: Any, pubs: list[Any], sizes: list[int], index: int, submitted: list[int]
    ) -> Any:
        where = f"job {index + 1} of {len(pubs)} on {self.device_name!r}"
        try:
            job = self.client.submit(primitive, [pubs[index]])
        except Exception as error:
            reason = masked_reason(error)
            raise JobError(
                f"could not submit {where}: {reason}; the client refused the job before it ran: "
                "check the options, the device's status and the account",
                reason=reason,
            ) from error
        submitted.append(sizes[index])
        logger.info(
            "submitted %s, job %s: %d parameter sets x %d shots",
            where,
            job.job_id(),
            sizes[index],
            self.shots_per_circuit,
        )
        return job

    def _result(
        self,
        primitive: Any,
        pubs: list[Any],
        sizes: list[int],
        jobs: list[Any],
        index: int,
        submitted: list[int],
    ) -> Any:
        """The PUB result of job ``index``, resubmitting it with back-off while it faults."""
        faults = job_faults()
        where = f"job {index + 1} of {len(pubs)} on {self.device_name!r}"
        for attempt in range(self.max_retries + 1):
            job = jobs[index]
            try:
                return job.result()[0]
            except faults as error:
                reason, cause = masked_reason(error), error
            except Exception as error:  # not a job fault: resubmitting would fail the same way
                reason = masked_reason(error)
                raise JobError(
                    f"{where}, job {job.job_id()}, failed and was not resubmitted: {reason}",
                    job_id=job.job_id(),
                    reason=reason,
                ) from error
            if attempt == self.max_retries:
                break
            delay = self.retry_delay * 2**attempt
            logger.warning(
                "%s, job %s, failed (%s); resubmitting in %.3g s (retry %d of %d)",
                where,
                job.job_id(),
                reason,
                delay,
                attempt + 1,
                self.max_retries,
            )
            time.sleep(delay)
            jobs[index] = self._submit(primitive, pubs, sizes, index, submitted)
        done = ", ".join(j.job_id() for j in jobs[:index]) or "none"
        raise JobError(
            f"{where}, job {job.job_id()}, failed after {self.max_retries + 1} attempt(s): "
            f"{reason}; completed jobs of this call: {done}; retry later, raise max_retries, or "
            "check the device's status",
            job_id=job.job_id(),
            reason=reason,
        ) from cause

    def _primitive_class(self) -> Any:
        if self.primitive == "sampler":
            from qiskit_ibm_runtime.executor_sampler import Sampler

            return Sampler
        from qiskit_ibm_runtime.executor_estimator import Estimator

        return Estimator

    def _pub(self, compiled: CompiledCircuit, values: np.ndarray) -> tuple[Any, ...]:
        if self.primitive == "sampler":
            return sampler_pub(compiled, values, self.shots)
        return estimator_pub(compiled, values)

    def _expectations(self, pub_result: Any, circuit: Circuit, batch: int) -> np.ndarray:
        if self.primitive == "sampler":
            return sampler_expectations(pub_result, circuit, batch)
        return estimator_expectations(pub_result, batch)

    def __repr__(self) -> str:
        shots = f"precision {self.precision}" if self.precision else f"{self.shots} shots"
        return (
            f"<qrkt backend {self.name!r} ({self.device_name}, {self.primitive}, {shots}, "
            f"resilience {self.resilience_level}, {self.execution_mode} mode): "
            f"{self.capabilities.summary()}>"
        )


def require_runtime() -> None:
    """Raise :class:`MissingDependencyError` naming the fix unless the runtime client imports
    (local testing mode simulates with Aer)."""
    require("the ibm_runtime backend", ["qiskit", "qiskit_aer", "qiskit_ibm_runtime"], "ibm")


def job_faults() -> tuple[type[BaseException], ...]:
    """What ``job.result()`` raises for a job that may succeed when resubmitted: it failed,
    ran past its maximum execution time, timed out while waited on, or was cancelled (on the
    service: ``RuntimeInvalidStateError``; in local mode: ``CancelledError``)."""
    from qiskit_ibm_runtime.exceptions import (
        RuntimeInvalidStateError,
        RuntimeJobFailureError,
        RuntimeJobMaxTimeoutError,
        RuntimeJobTimeoutError,
    )

    return (
        RuntimeJobFailureError,
        RuntimeJobMaxTimeoutError,
        RuntimeJobTimeoutError,
        RuntimeInvalidStateError,
        CancelledError,
    )


def check_isa(qc: QuantumCircuit, device: BackendV2) -> None:
    """Raise unless every instruction of ``qc`` is native to ``device`` on its qubits.

    A non-ISA circuit is accepted at submission and fails only at ``job.result()``, after
    queueing; this check fails in milliseconds instead.
    """
    target = device.target
    for instruction in qc.data:
        name = instruction.operation.name
        qubits = tuple(qc.find_bit(q).index for q in instruction.qubits)
        if name != "barrier" and not target.instruction_supported(name, qubits):
            raise UnsupportedError(
                f"the transpiled circuit has {name!r} on qubits {qubits}, which device "
                f"{device.name!r} does not run (it runs {known_names(target.operation_names)}); "
                "clear the transpile cache_dir, or try another optimization_level"
            )


def masked_reason(error: BaseException) -> str:
    """``Type: message`` of a client error, with the environment's token masked, in case the
    client quotes its request."""
    text = f"{type(error).__name__}: {error}"
    token = os.environ.get("QISKIT_IBM_TOKEN")
    return text.replace(token, "***") if token else text


def _duration(qc: QuantumCircuit, device: BackendV2) -> float:
    """Seconds ``qc`` takes on ``device``; 0 where the target has no durations (Aer)."""
    from qiskit.exceptions import QiskitError

    try:
        return float(qc.estimate_duration(device.target, unit="s"))
    except QiskitError:
        return 0.0


def _configuration_value(device: BackendV2, field: str, default: Any) -> Any:
    """A field of the device's configuration (IBM and fake devices have one), else ``default``."""
    configuration = getattr(device, "configuration", None)
    value = getattr(configuration(), field, None) if callable(configuration) else None
    return default if value is None else value


def _check_choice(label: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices or isinstance(value, bool):
        raise BackendInputError(
            f"{label} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
