"""``ibm_runtime``: IBM Quantum devices through qiskit-ibm-runtime, or its local testing mode.

The device is a real one (``"ibm_brisbane"``, resolved through ``QiskitRuntimeService``), a fake
one (``"fake_manila"``: local testing mode, the same client code run on the fake device's
noise model), or ``"aer"`` (a noiseless ``AerSimulator`` in local testing mode; the default,
so that nothing is ever spent by accident).

One :meth:`~qrkt.backends.base.Backend.run` is ONE job whatever the batch size: the B parameter
sets go in one broadcast PUB. On a device wider than the circuit they are packed, ``k`` to an
execution, on the device's best disjoint regions (``packing``, :mod:`qrkt.backends.packing`),
so the call runs ``ceil(B / k)`` executions. A call is split into several jobs, submitted
together in one ``Batch``, only when IBM's per-job limit of circuit executions (executions x
shots) requires it. A parameter-shift gradient is one ``run`` as well
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

Costs (:meth:`IBMRuntimeBackend.estimate`, a :class:`~qrkt.backends.hardware.Cost`;
:class:`RuntimeCounts`): the estimated QPU seconds of a job are ``JOB_OVERHEAD_S + executions x
shots x (rep_delay + circuit duration)``, IBM's documented formula, with the device's
``default_rep_delay`` (else ``DEFAULT_REP_DELAY_S``) and the ISA circuit's duration from the
device's gate durations (0 where it has none, as on ``AerSimulator``). ``JOB_OVERHEAD_S`` is an
assumption, not a measurement: each call records the billed ``job.usage()`` of its jobs beside
the estimate (``counts.last``), so the two can be compared. The price is
:data:`IBM_PRICING`'s rate per second, ``price_per_second`` to change it.

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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qrkt.backends.base import Backend, Capabilities, ExecutionCounts, check_seed
from qrkt.backends.hardware import CallRecord, CircuitStatistics, Cost, Pricing
from qrkt.backends.packing import (
    LocalGroup,
    PackedCircuit,
    choose_regions,
    pack,
    region_device,
)
from qrkt.backends.qiskit_compile import (
    CompiledCircuit,
    check_optimization_level,
    circuit_duration,
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


LOCAL_SIMULATION_QUBITS = 8
"""In local testing mode, a packed circuit with more active qubits than this is simulated
a few regions at a time (this many qubits at most), each group on a device of its own qubits
(:func:`~qrkt.backends.packing.region_device`): exact for the fake devices' noise models,
which have no crosstalk, and what makes a 156-qubit device simulable at all. The limit is low
because Aer simulates small noisy circuits as density matrices, whose cost grows as 4^qubits:
two 6-qubit regions together cost far more than each alone. Real devices add crosstalk
between regions that no fake device models."""


@dataclass(frozen=True, eq=False)
class _Program:
    """A circuit as the backend runs it: transpiled alone, or packed ``k`` parameter sets to an
    execution (:mod:`qrkt.backends.packing`). ``local_groups`` (local testing mode, a packed
    circuit too wide to simulate whole) simulate a few regions at a time, each group on a
    device of its own qubits, instead."""

    runs: CompiledCircuit | PackedCircuit
    seconds_per_shot: float
    local_groups: tuple[tuple[LocalGroup, BackendV2], ...] = ()

    @property
    def packed(self) -> PackedCircuit | None:
        return self.runs if isinstance(self.runs, PackedCircuit) else None

    @property
    def samples_per_execution(self) -> int:
        return 1 if self.packed is None else self.packed.n_regions

    def executions(self, samples: int) -> int:
        return samples if self.packed is None else self.packed.rows(samples)


IBM_PRICING = Pricing(
    source="IBM Quantum Pay-As-You-Go Plan: USD 1.60 per second of quantum usage (the published "
    "rate as of 2026; check IBM's pricing page before spending)",
    per_second=1.60,
    free_seconds=600.0,
    free_plan="IBM Quantum Open Plan: 10 minutes of quantum usage per 28 days",
)


@dataclass
class RuntimeCounts(ExecutionCounts):
    """:class:`~qrkt.backends.base.ExecutionCounts` plus what the calls spent on the service.

    ``jobs`` counts every submission, ``retries`` the resubmissions among them; ``qpu_seconds``
    (estimated) includes resubmissions, ``usage_seconds`` is what the service billed for the
    jobs that reported it (``job.usage()``; local testing mode reports none). ``last`` is the
    latest call's :class:`~qrkt.backends.hardware.CallRecord`: its cost, resubmissions
    included and recorded even when the call failed (without faults it equals
    :meth:`IBMRuntimeBackend.estimate` of that call), the ids of the jobs whose results it
    returned, and their billed usage.
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
      packing: ``"auto"`` (the default) runs as many parameter sets side by side per
        execution as the device has good disjoint regions for, ``"off"`` one per execution,
        an integer ``k`` exactly ``k`` (:mod:`qrkt.backends.packing`; sampler only).
      packing_floor: leave out regions whose estimated fidelity is below this share of the
        best region's.
      price_per_second: US dollars per QPU second, for cost estimates (default: IBM's
        published pay-as-you-go rate, :data:`IBM_PRICING`).
      cache_dir: where transpiled circuits are kept as QPY for other processes.
      service: a ``QiskitRuntimeService`` (or a :class:`RuntimeClient`, e.g. a test stand-in);
        by default one is built from the environment or a saved account when a real device
        is named, with ``channel``, ``instance`` and ``account`` (a saved account's name).
    """

    name = "ibm_runtime"
    records_calls = True
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
        packing: str | int = "auto",
        packing_floor: float = 0.9,
        price_per_second: float = IBM_PRICING.per_second,
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
        for label, value in (("retry_delay", retry_delay), ("price_per_second", price_per_second)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise BackendInputError(f"{label} must be a number >= 0, got {value!r}")
        if primitive == "sampler" and resilience_level > 0:
            raise UnsupportedError(
                f"resilience_level={resilience_level} needs the estimator, got "
                "primitive='sampler'; pass primitive='estimator' (or leave it out)"
            )
        self.primitive = primitive or ("sampler" if resilience_level == 0 else "estimator")
        # 1 / precision**2 shots: below 1e-4 that is past any device's shots (1e8)
        if precision is not None and (
            self.primitive != "estimator"
            or isinstance(precision, bool)
            or not isinstance(precision, int | float)
            or not 1e-4 <= precision < 1
        ):
            raise BackendInputError(
                f"precision must be a number from 1e-4 to below 1 and needs "
                f"primitive='estimator', got precision={precision!r} with "
                f"primitive={self.primitive!r}; or give shots"
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
        self.packing = _packing(packing, self.primitive)
        self.packing_floor = _share("packing_floor", packing_floor)
        self.pricing = replace(IBM_PRICING, per_second=float(price_per_second))
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
        self._prepared: dict[Circuit, _Program] = {}
        self._session: Any = None

    @property
    def shots_per_circuit(self) -> int:
        if self.precision is not None:
            return math.ceil(1 / self.precision**2)  # what the estimator runs for a precision
        return self.shots

    def estimate(self, circuit: Circuit, rows: int) -> Cost:
        """What a call with ``rows`` parameter sets would cost, without submitting anything.

        Fails as :meth:`run` would if the circuit does not fit the device.
        """
        self.check_circuit(circuit)
        if not is_integer(rows) or rows < 1:
            raise BackendInputError(f"rows must be an integer >= 1, got {rows!r}")
        return self._plan(circuit, rows)[2]

    def circuit_statistics(self, circuit: Circuit) -> CircuitStatistics:
        """``circuit`` as it runs on the device: transpiled to its ISA (once), with its depth,
        two-qubit gates and duration."""
        self.check_circuit(circuit)
        program = self._prepare(circuit)
        if program.packed is not None:
            packed = program.packed
            return CircuitStatistics(
                depth=packed.depth,
                two_qubit_gates=packed.two_qubit_gates,
                duration_seconds=packed.duration_seconds or None,
                regions=tuple(region.to_dict() for region in packed.regions),
            )
        isa = program.runs.sampler_circuit
        return CircuitStatistics(
            depth=isa.depth(),
            two_qubit_gates=sum(1 for op in isa.data if len(op.qubits) == 2),
            duration_seconds=circuit_duration(isa, self.device.target) or None,
        )

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
        program, chunks, planned = self._plan(circuit, inputs.shape[0])
        if program.local_groups:
            return self._simulate_regions(program, inputs, weights, chunks, planned)
        job_pubs = [self._pubs(program, inputs[rows], weights) for rows in chunks]
        sizes = [program.executions(rows.stop - rows.start) for rows in chunks]
        submitted: list[int] = []  # executions of every job submitted, resubmissions too
        jobs: list[Any] = []
        try:
            with self._execution_mode(len(job_pubs)) as mode:
                results = self._execute(mode, job_pubs, sizes, submitted, jobs)
        finally:
            retries = max(0, len(submitted) - len(job_pubs))
            cost = self._cost(program, inputs.shape[0], submitted, round_trips=1 + retries)
            record = CallRecord(cost, tuple(job.job_id() for job in jobs), _usage(jobs))
            self.counts.record_call(record, retries=retries)
        return np.concatenate(
            [
                self._read(program, result, circuit, rows.stop - rows.start)
                for result, rows in zip(results, chunks, strict=True)
            ]
        )

    def _simulate_regions(
        self,
        program: _Program,
        inputs: np.ndarray,
        weights: np.ndarray,
        chunks: list[slice],
        planned: Cost,
    ) -> np.ndarray:
        """Local testing mode on a device too wide to simulate whole: a few regions at a time
        run as jobs on a device holding only their qubits (exact for a noise model without
        crosstalk). The call is recorded at the cost of the packed jobs the real device would
        run."""
        packed = program.packed
        assert packed is not None
        sizes = [program.executions(rows.stop - rows.start) for rows in chunks]
        jobs: list[Any] = []
        retries = 0
        by_region = []
        try:
            for group, device in program.local_groups:
                job_pubs = [
                    [
                        packed.sampler_pub(
                            packed.values(inputs[rows], weights, region=group),
                            self.shots,
                            region=group,
                        )
                    ]
                    for rows in chunks
                ]
                submitted: list[int] = []
                region_jobs: list[Any] = []
                try:
                    by_region.append(self._execute(device, job_pubs, sizes, submitted, region_jobs))
                finally:
                    jobs += region_jobs
                    retries += len(submitted) - len(job_pubs)
        finally:
            record = CallRecord(planned, tuple(job.job_id() for job in jobs), _usage(jobs))
            self.counts.record_call(record, retries=retries)
        return np.concatenate(
            [
                packed.local_expectations(
                    [results[c][0] for results in by_region],
                    [group for group, _ in program.local_groups],
                    rows.stop - rows.start,
                )
                for c, rows in enumerate(chunks)
            ]
        )

    # --- planning -------------------------------------------------------------------------------

    def _plan(self, circuit: Circuit, batch: int) -> tuple[_Program, list[slice], Cost]:
        """How ``circuit`` runs, the samples of each job and the cost, all before submitting.

        A job holds at most ``max_executions_per_job`` executions x shots; with packing, an
        execution runs ``k`` samples, so a job's samples are whole rows of ``k``.
        """
        program = self._prepare(circuit)
        rows = program.samples_per_execution * (
            self.max_executions_per_job // self.shots_per_circuit
        )
        chunks = [slice(start, min(start + rows, batch)) for start in range(0, batch, rows)]
        sizes = [program.executions(c.stop - c.start) for c in chunks]
        return program, chunks, self._cost(program, batch, sizes, round_trips=1)

    def _prepare(self, circuit: Circuit) -> _Program:
        """Transpile ``circuit`` for the device (packed side by side where packing is on and
        pays) and check it, once."""
        if circuit not in self._prepared:
            rep_delay = _configuration_value(self.device, "default_rep_delay", DEFAULT_REP_DELAY_S)
            packed = self._pack(circuit)
            if packed is None:
                compiled = transpile_for(
                    circuit, self.device, self.optimization_level, self.cache_dir
                )
                check_isa(compiled.sampler_circuit, self.device)
                duration = circuit_duration(compiled.sampler_circuit, self.device.target)
                program = _Program(compiled, rep_delay + duration)
            else:
                check_isa(packed.wide, self.device)
                whole = packed.n_regions * circuit.n_qubits <= LOCAL_SIMULATION_QUBITS
                groups = (
                    ()
                    if whole or not self._local
                    else tuple(
                        (
                            group,
                            region_device(self.device, [packed.regions[r] for r in group.regions]),
                        )
                        for group in packed.local_groups(LOCAL_SIMULATION_QUBITS)
                    )
                )
                program = _Program(packed, rep_delay + packed.duration_seconds, groups)
            self._prepared[circuit] = program
        return self._prepared[circuit]

    def _pack(self, circuit: Circuit) -> PackedCircuit | None:
        """``circuit`` packed on the device's best regions; ``None`` where packing is off,
        gains nothing (one region) or the primitive cannot read packed results."""
        if self.packing == "off" or self.primitive != "sampler":
            return None
        count = None if self.packing == "auto" else self.packing
        regions = choose_regions(
            self.device, circuit.n_qubits, count=count, floor=self.packing_floor
        )
        if len(regions) < 2:
            return None
        return pack(circuit, self.device, regions, self.optimization_level)

    def _cost(
        self, program: _Program, parameter_sets: int, sizes: list[int], round_trips: int
    ) -> Cost:
        """The cost of one call of ``parameter_sets`` sets whose jobs run ``sizes``
        executions each (resubmissions included)."""
        shots = self.shots_per_circuit
        cost = Cost(
            calls=1,
            jobs=len(sizes),
            round_trips=round_trips if sizes else 0,
            parameter_sets=parameter_sets,
            executions=sum(sizes),
            shots=sum(sizes) * shots,
            qpu_seconds=sum(JOB_OVERHEAD_S + n * shots * program.seconds_per_shot for n in sizes),
        )
        return replace(cost, price=self.pricing.price(cost))

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

    @property
    def _local(self) -> bool:
        """Whether the device is local testing mode's (Aer or a fake device), not IBM's."""
        from qiskit_ibm_runtime import IBMBackend

        return not isinstance(self.device, IBMBackend)

    def _check_local_estimator(self) -> None:
        """Fail at construction where the estimator cannot run locally at all: it measures
        every qubit of the device, so locally it simulates them all (Aer then fails at
        ``job.result()`` for want of memory); the sampler measures only the circuit's."""
        from qiskit_aer import AerSimulator

        limit = AerSimulator().num_qubits  # what Aer can hold in this machine's memory
        if self.primitive == "estimator" and self._local and self.device.num_qubits > limit:
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
        self,
        mode: Any,
        pubs: list[list[Any]],
        sizes: list[int],
        submitted: list[int],
        jobs: list[Any],
    ) -> list[list[Any]]:
        """Submit each job's PUBs (into ``jobs``), then collect the results in order,
        resubmitting only the jobs that fail; on giving up, cancel the jobs still pending."""
        primitive = self._primitive_class()(mode=mode, options=self._options)
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
        return results

    def _submit(
        self,
        primitive: Any,
        pubs: list[list[Any]],
        sizes: list[int],
        index: int,
        submitted: list[int],
    ) -> Any:
        where = f"job {index + 1} of {len(pubs)} on {self.device_name!r}"
        try:
            job = self.client.submit(primitive, pubs[index])
        except Exception as error:
            reason = masked_reason(error)
            raise JobError(
                f"could not submit {where}: {reason}; the client refused the job before it ran: "
                "check the options, the device's status and the account",
                reason=reason,
            ) from error
        submitted.append(sizes[index])
        logger.info(
            "submitted %s, job %s: %d executions x %d shots",
            where,
            job.job_id(),
            sizes[index],
            self.shots_per_circuit,
        )
        return job

    def _result(
        self,
        primitive: Any,
        pubs: list[list[Any]],
        sizes: list[int],
        jobs: list[Any],
        index: int,
        submitted: list[int],
    ) -> list[Any]:
        """The PUB results of job ``index``, resubmitting it with back-off while it faults."""
        faults = job_faults()
        where = f"job {index + 1} of {len(pubs)} on {self.device_name!r}"
        for attempt in range(self.max_retries + 1):
            job = jobs[index]
            try:
                return list(job.result())
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

    def _pubs(self, program: _Program, inputs: np.ndarray, weights: np.ndarray) -> list[Any]:
        """The PUB of one job: the circuit alone, or packed."""
        runs = program.runs
        if isinstance(runs, PackedCircuit):
            return [runs.sampler_pub(runs.values(inputs, weights), self.shots)]
        values = parameter_array(runs, inputs, weights)
        if self.primitive == "sampler":
            return [sampler_pub(runs, values, self.shots)]
        return [estimator_pub(runs, values)]

    def _read(
        self, program: _Program, results: list[Any], circuit: Circuit, samples: int
    ) -> np.ndarray:
        """``(samples, n_observables)`` from the PUB results of one job of :meth:`_pubs`."""
        packed = program.packed
        if packed is None:
            if self.primitive == "sampler":
                return sampler_expectations(results[0], circuit, samples)
            return estimator_expectations(results[0], samples)
        return packed.expectations(results[0], samples)

    def __repr__(self) -> str:
        shots = f"precision {self.precision}" if self.precision else f"{self.shots} shots"
        return (
            f"<qrkt backend {self.name!r} ({self.device_name}, {self.primitive}, {shots}, "
            f"resilience {self.resilience_level}, packing {self.packing} (floor "
            f"{self.packing_floor}), {self.execution_mode} mode): "
            f"{self.capabilities.summary()}>"
        )


def require_runtime() -> None:
    """Raise :class:`MissingDependencyError` naming the fix unless the runtime client imports
    (local testing mode simulates with Aer)."""
    require("the ibm_runtime backend", ["qiskit", "qiskit_aer", "qiskit_ibm_runtime"], "ibm")


def _usage(jobs: list[Any]) -> float | None:
    """The quantum seconds the service billed for ``jobs`` (``job.usage()``); ``None`` if none
    was billed by the service (local testing mode's jobs report 0 for every job)."""
    from qiskit_ibm_runtime.fake_provider.local_runtime_job import LocalRuntimeJob

    billed = [job for job in jobs if not isinstance(job, LocalRuntimeJob)]
    usages = [job.usage() for job in billed if callable(getattr(job, "usage", None))]
    known = [float(u) for u in usages if u is not None]
    return sum(known) if known else None


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


def _configuration_value(device: BackendV2, field: str, default: Any) -> Any:
    """A field of the device's configuration (IBM and fake devices have one), else ``default``."""
    configuration = getattr(device, "configuration", None)
    value = getattr(configuration(), field, None) if callable(configuration) else None
    return default if value is None else value


def _packing(packing: object, primitive: str) -> str | int:
    """``packing`` checked: ``"auto"``, ``"off"`` or a number of regions >= 1 (sampler only)."""
    if packing in ("auto", "off"):
        return str(packing)
    if not is_integer(packing) or packing < 1:
        raise BackendInputError(
            f"packing must be 'auto', 'off' or a number of regions >= 1, got {packing!r}"
        )
    if packing > 1 and primitive != "sampler":
        raise UnsupportedError(
            f"packing={packing} needs the sampler (it reads each region's bits), got "
            f"primitive={primitive!r}; use resilience_level=0, or packing='off'"
        )
    return int(packing)


def _share(label: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BackendInputError(f"{label} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _check_choice(label: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices or isinstance(value, bool):
        raise BackendInputError(
            f"{label} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
