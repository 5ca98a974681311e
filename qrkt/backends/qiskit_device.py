"""What every Qiskit route to a device shares: transpile once, pack, plan, price, submit.

:class:`QiskitDeviceBackend` runs the IR on a Qiskit ``BackendV2`` through a sampler (or
estimator) primitive; :mod:`qrkt.backends.ibm_runtime` (IBM Quantum's runtime) and
:mod:`qrkt.backends.qiskit_sampler` (any Qiskit device or sampler) are its two routes and
differ only in how they reach the device and what they bill.

One :meth:`~qrkt.backends.base.Backend.run` is ONE job whatever the batch size: the B parameter
sets go in one broadcast PUB. On a device wider than the circuit they are packed, ``k`` to an
execution, on the device's best disjoint regions (``packing``, :mod:`qrkt.backends.packing`),
so the call runs ``ceil(B / k)`` executions. A call is split into several jobs only when the
per-job limit of circuit executions (executions x shots) requires it. A parameter-shift
gradient is one ``run`` as well
(:func:`~qrkt.backends.parameter_shift.parameter_shift_vjp`), so a training step is two jobs.

Traps handled before anything is submitted:

- A circuit that is not ISA is often accepted at submission and fails only at ``result()``,
  after queueing: circuits are transpiled once per (structure, device, optimization level) by
  :func:`~qrkt.backends.qiskit_compile.transpile_for` and every instruction is checked against
  the device's target (:func:`check_isa`).
- One job cannot mix precisions: every PUB of a call has the same shots.
- ``QuantumCircuit.parameters`` sorts by name (``w10`` before ``w2``): values are bound by
  parameter object (:func:`~qrkt.backends.qiskit_compile.parameter_array`).

Faults (:mod:`qrkt.backends.jobs`): a job that fails, is cancelled or runs past its time is
resubmitted, alone, with exponential back-off, up to ``max_retries`` times.

A local simulation of a packed circuit too wide to simulate whole (a 156-qubit fake device)
runs a few regions at a time, each group on a device of its own qubits
(:data:`LOCAL_SIMULATION_QUBITS`), and is recorded at the cost of the packed jobs the real
device would run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qrkt.backends.base import Backend, BackendOption, Capabilities, check_seed
from qrkt.backends.hardware import CallRecord, CircuitStatistics, Cost, Pricing
from qrkt.backends.jobs import (
    RETRY_OPTIONS,
    DeviceCounts,
    JobLog,
    check_retry_options,
    masked_reason,
    run_jobs,
)
from qrkt.backends.packing import LocalGroup, PackedCircuit, choose_regions, pack, region_device
from qrkt.backends.qiskit_compile import (
    TRANSPILE_OPTIONS,
    CompiledCircuit,
    check_optimization_level,
    circuit_duration,
    compile_circuit,
    parameter_array,
    sampler_expectations,
    sampler_pub,
    transpile_for,
)
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, UnsupportedError, is_integer, known_names

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.providers import BackendV2

MAX_EXECUTIONS_PER_JOB = 10_000_000
"""IBM Quantum's limit on circuit executions (parameter sets x shots) in one job; the default
for other services too, whose limits are usually higher."""

LOGICAL_MAX_QUBITS = 24
"""The widest circuit given to a sampler without a device, which runs the logical circuit (a
state vector of 2^24 amplitudes takes 256 MiB)."""

LOCAL_SIMULATION_QUBITS = 8
"""In a local simulation, a packed circuit with more active qubits than this is simulated
a few regions at a time (this many qubits at most), each group on a device of its own qubits
(:func:`~qrkt.backends.packing.region_device`): exact for the fake devices' noise models,
which have no crosstalk, and what makes a 156-qubit device simulable at all. The limit is low
because Aer simulates small noisy circuits as density matrices, whose cost grows as 4^qubits:
two 6-qubit regions together cost far more than each alone. Real devices add crosstalk
between regions that no fake device models."""


def packing_value(text: str) -> str | int:
    """``--packing``: a number of regions, else the text (``"auto"``, ``"off"``)."""
    return int(text) if text.isdigit() else text


@dataclass(frozen=True, eq=False)
class Program:
    """A circuit as the backend runs it: transpiled alone, or packed ``k`` parameter sets to an
    execution (:mod:`qrkt.backends.packing`). ``seconds_per_shot`` is one shot's device time
    (``None`` without a device clock). ``local_groups`` (a local simulation of a packed circuit
    too wide to simulate whole) simulate a few regions at a time, each group on a device of
    its own qubits, instead."""

    runs: CompiledCircuit | PackedCircuit
    seconds_per_shot: float | None
    local_groups: tuple[tuple[LocalGroup, BackendV2], ...] = ()

    @property
    def packed(self) -> PackedCircuit | None:
        return self.runs if isinstance(self.runs, PackedCircuit) else None

    @property
    def samples_per_execution(self) -> int:
        return 1 if self.packed is None else self.packed.n_regions

    def executions(self, samples: int) -> int:
        return samples if self.packed is None else self.packed.rows(samples)


class _Client:
    """:class:`~qrkt.backends.jobs.JobClient` of one call: job ``i`` submits ``pubs[i]``."""

    def __init__(self, backend: QiskitDeviceBackend, primitive: Any, pubs: list[list[Any]]):
        self.backend, self.primitive, self.pubs = backend, primitive, pubs
        self.faults = backend.job_faults()

    def submit(self, index: int) -> Any:
        return self.backend.submit(self.primitive, self.pubs[index])

    def result(self, job: Any) -> list[Any]:
        return list(job.result())

    def job_id(self, job: Any) -> str:
        return str(job.job_id())

    def cancel(self, job: Any) -> None:
        job.cancel()

    def reason(self, error: BaseException) -> str:
        return masked_reason(error)


class QiskitDeviceBackend(Backend):
    """Expectation values from a Qiskit device, through a primitive, one job per call.

    Subclasses resolve the device and then call :meth:`_setup`; they say how jobs reach the
    device (:meth:`make_primitive`, :meth:`submit`, :meth:`job_faults`) and what a job costs
    in device time (:meth:`qpu_seconds`).
    """

    records_calls = True
    primitive = "sampler"
    """The primitive that runs the PUBs: ``"sampler"`` (or IBM's ``"estimator"``)."""
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        *TRANSPILE_OPTIONS,
        BackendOption(
            "packing",
            packing_value,
            "auto|off|K",
            "parameter sets side by side on a wide device: 'auto' (the default), 'off' or K "
            "regions",
        ),
        BackendOption(
            "packing_floor",
            float,
            "X",
            "leave out regions below this share of the best region's fidelity (default: 0.9)",
        ),
        *RETRY_OPTIONS,
        BackendOption(
            "max_executions_per_job",
            int,
            "N",
            f"parameter sets x shots in one job; larger calls are split (default: "
            f"{MAX_EXECUTIONS_PER_JOB:,})",
        ),
    )
    device: BackendV2 | None
    device_name: str

    def _setup(
        self,
        device: BackendV2 | None,
        device_name: str,
        *,
        shots: int,
        optimization_level: int,
        max_retries: int,
        retry_delay: float,
        max_executions_per_job: int,
        seed: int | None,
        packing: str | int,
        packing_floor: float,
        pricing: Pricing | None,
        cache_dir: str | None,
        noise: bool,
    ) -> None:
        """Check the shared options and keep them, with the device (``None``: a sampler that
        runs logical circuits, so nothing is transpiled)."""
        check_optimization_level(optimization_level)
        for label, value in (("shots", shots), ("max_executions_per_job", max_executions_per_job)):
            if not is_integer(value) or value < 1:
                raise BackendInputError(f"{label} must be an integer >= 1, got {value!r}")
        check_retry_options(max_retries, retry_delay)
        check_seed(seed)
        self.device = device
        self.device_name = device_name
        self.shots = shots
        self.optimization_level = optimization_level
        self.max_retries = max_retries
        self.retry_delay = float(retry_delay)
        self.max_executions_per_job = max_executions_per_job
        self.seed = seed
        self.packing = check_packing(packing, self.primitive)
        self.packing_floor = _share("packing_floor", packing_floor)
        self.pricing = pricing
        self.cache_dir = cache_dir
        self.counts = DeviceCounts()
        self.capabilities = Capabilities(
            autodiff=False,
            exact=False,
            shots=True,
            noise=noise,
            max_qubits=LOGICAL_MAX_QUBITS if device is None else device.num_qubits,
        )
        self._check_shots()
        self._prepared: dict[Circuit, Program] = {}

    # --- what a route provides ------------------------------------------------------------------

    def make_primitive(self, mode: Any) -> Any:
        """The primitive that submits jobs to ``mode``: what :meth:`job_mode` yields, or a
        region device of a local simulation."""
        raise NotImplementedError

    def submit(self, primitive: Any, pubs: list[Any]) -> Any:
        """Submit ``pubs`` through ``primitive``; return the job."""
        return primitive.run(pubs)

    def job_faults(self) -> tuple[type[BaseException], ...]:
        """What a job's ``result()`` raises when a resubmission may succeed."""
        from concurrent.futures import CancelledError

        from qiskit.providers import JobError, JobTimeoutError

        return (JobError, JobTimeoutError, CancelledError, TimeoutError)

    def qpu_seconds(self, program: Program, sizes: list[int]) -> float | None:
        """Estimated device time of jobs running ``sizes`` executions; ``None`` without a
        device clock."""
        return None

    def usage_seconds(self, jobs: list[Any]) -> float | None:
        """What the service billed for ``jobs``, where it reports it."""
        return None

    @property
    def is_local(self) -> bool:
        """Whether the device is simulated on this machine (Aer, a fake device)."""
        return False

    @contextlib.contextmanager
    def job_mode(self, n_jobs: int) -> Iterator[Any]:
        """Where a call's jobs go (IBM: a Batch or Session); the device by default."""
        yield self.device

    # --- the hardware contract ------------------------------------------------------------------

    @property
    def shots_per_circuit(self) -> int:
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
        duration = None if self.device is None else circuit_duration(isa, self.device.target)
        return CircuitStatistics(
            depth=isa.depth(),
            two_qubit_gates=sum(1 for op in isa.data if len(op.qubits) == 2),
            duration_seconds=duration or None,
        )

    def check_circuit(self, circuit: Circuit) -> None:
        if isinstance(circuit, Circuit) and circuit.n_qubits > self.capabilities.max_qubits:
            raise UnsupportedError(
                f"backend {self.name!r} on device {self.device_name!r} runs at most "
                f"{self.capabilities.max_qubits} qubits, got a {circuit.n_qubits}-qubit circuit; "
                "choose a wider device or use fewer qubits"
            )
        super().check_circuit(circuit)

    # --- running --------------------------------------------------------------------------------

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        program, chunks, planned = self._plan(circuit, inputs.shape[0])
        if program.local_groups:
            return self._simulate_regions(program, inputs, weights, chunks, planned)
        job_pubs = [self._pubs(program, inputs[rows], weights) for rows in chunks]
        sizes = [program.executions(rows.stop - rows.start) for rows in chunks]
        log: JobLog[Any] = JobLog()
        try:
            with self.job_mode(len(job_pubs)) as mode:
                results = self._execute(mode, job_pubs, log)
        finally:
            submitted = [sizes[index] for index in log.submitted]
            cost = self._cost(program, inputs.shape[0], submitted, round_trips=1 + log.retries)
            self._record(cost, log.jobs, log.retries)
        return np.concatenate(
            [
                self._read(program, result, circuit, rows.stop - rows.start)
                for result, rows in zip(results, chunks, strict=True)
            ]
        )

    def _simulate_regions(
        self,
        program: Program,
        inputs: np.ndarray,
        weights: np.ndarray,
        chunks: list[slice],
        planned: Cost,
    ) -> np.ndarray:
        """A local simulation of a device too wide to simulate whole: a few regions at a time
        run as jobs on a device holding only their qubits (exact for a noise model without
        crosstalk). The call is recorded at the cost of the packed jobs the real device would
        run."""
        packed = program.packed
        assert packed is not None
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
                log: JobLog[Any] = JobLog()
                try:
                    by_region.append(self._execute(device, job_pubs, log))
                finally:
                    jobs += log.jobs
                    retries += log.retries
        finally:
            self._record(planned, jobs, retries)
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

    def _execute(self, mode: Any, pubs: list[list[Any]], log: JobLog[Any]) -> list[list[Any]]:
        return run_jobs(
            _Client(self, self.make_primitive(mode), pubs),
            len(pubs),
            max_retries=self.max_retries,
            retry_delay=self.retry_delay,
            where=f"on {self.device_name!r}",
            log=log,
        )

    def _record(self, cost: Cost, jobs: list[Any], retries: int) -> None:
        ids = tuple(str(job.job_id()) for job in jobs)
        record = CallRecord(cost, ids, self.usage_seconds(jobs))
        self.counts.record_call(record, retries=retries)

    # --- planning -------------------------------------------------------------------------------

    def _plan(self, circuit: Circuit, batch: int) -> tuple[Program, list[slice], Cost]:
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

    def _prepare(self, circuit: Circuit) -> Program:
        """Transpile ``circuit`` for the device (packed side by side where packing is on and
        pays) and check it, once."""
        if circuit not in self._prepared:
            self._prepared[circuit] = self._program(circuit)
        return self._prepared[circuit]

    def _program(self, circuit: Circuit) -> Program:
        device = self.device
        if device is None:
            return Program(compile_circuit(circuit), None)
        packed = self._pack(circuit, device)
        if packed is None:
            compiled = transpile_for(circuit, device, self.optimization_level, self.cache_dir)
            check_isa(compiled.sampler_circuit, device)
            duration = circuit_duration(compiled.sampler_circuit, device.target)
            return Program(compiled, self.seconds_per_shot(duration))
        check_isa(packed.wide, device)
        whole = packed.n_regions * circuit.n_qubits <= LOCAL_SIMULATION_QUBITS
        groups = (
            ()
            if whole or not self.is_local
            else tuple(
                (group, region_device(device, [packed.regions[r] for r in group.regions]))
                for group in packed.local_groups(LOCAL_SIMULATION_QUBITS)
            )
        )
        return Program(packed, self.seconds_per_shot(packed.duration_seconds), groups)

    def seconds_per_shot(self, duration: float) -> float | None:
        """One shot's device time for a circuit of ``duration`` seconds: the delay between
        shots plus the circuit (IBM's formula), where the device states its delay."""
        rep_delay = configuration_value(self.device, "default_rep_delay", None)
        return None if rep_delay is None else rep_delay + duration

    def _pack(self, circuit: Circuit, device: BackendV2) -> PackedCircuit | None:
        """``circuit`` packed on the device's best regions; ``None`` where packing is off,
        gains nothing (one region) or the primitive cannot read packed results."""
        if self.packing == "off" or self.primitive != "sampler":
            return None
        count = None if self.packing == "auto" else self.packing
        regions = choose_regions(device, circuit.n_qubits, count=count, floor=self.packing_floor)
        if len(regions) < 2:
            return None
        return pack(circuit, device, regions, self.optimization_level)

    def _cost(
        self, program: Program, parameter_sets: int, sizes: list[int], round_trips: int
    ) -> Cost:
        """The cost of one call of ``parameter_sets`` sets whose jobs run ``sizes``
        executions each (resubmissions included)."""
        cost = Cost(
            calls=1,
            jobs=len(sizes),
            round_trips=round_trips if sizes else 0,
            parameter_sets=parameter_sets,
            executions=sum(sizes),
            shots=sum(sizes) * self.shots_per_circuit,
            qpu_seconds=self.qpu_seconds(program, sizes),
        )
        return cost if self.pricing is None else replace(cost, price=self.pricing.price(cost))

    def _check_shots(self) -> None:
        """Fail at construction where one parameter set cannot be run at all."""
        shots = self.shots_per_circuit
        if shots > self.max_executions_per_job:
            raise UnsupportedError(
                f"{shots} shots per parameter set exceed the per-job limit of "
                f"{self.max_executions_per_job} circuit executions; use fewer shots"
            )
        max_shots = configuration_value(self.device, "max_shots", None)
        if max_shots is not None and shots > max_shots:
            raise UnsupportedError(
                f"device {self.device_name!r} runs at most {max_shots} shots per circuit, got "
                f"{shots}; use fewer shots (or a coarser precision)"
            )

    def _pubs(self, program: Program, inputs: np.ndarray, weights: np.ndarray) -> list[Any]:
        """The PUBs of one job: the circuit alone, or packed."""
        runs = program.runs
        if isinstance(runs, PackedCircuit):
            return [runs.sampler_pub(runs.values(inputs, weights), self.shots)]
        return [sampler_pub(runs, parameter_array(runs, inputs, weights), self.shots)]

    def _read(
        self, program: Program, results: list[Any], circuit: Circuit, samples: int
    ) -> np.ndarray:
        """``(samples, n_observables)`` from the PUB results of one job of :meth:`_pubs`."""
        packed = program.packed
        if packed is None:
            return sampler_expectations(results[0], circuit, samples)
        return packed.expectations(results[0], samples)


def check_isa(qc: QuantumCircuit, device: BackendV2) -> None:
    """Raise unless every instruction of ``qc`` is native to ``device`` on its qubits.

    A non-ISA circuit is accepted at submission and fails only at ``job.result()``, after
    queueing; this check fails in milliseconds instead.
    """
    target = device.target
    for instruction in qc.data:
        name = instruction.operation.name
        qubits = tuple(qc.find_bit(q).index for q in instruction.qubits)
        if name not in ("barrier", "measure") and not target.instruction_supported(name, qubits):
            raise UnsupportedError(
                f"the transpiled circuit has {name!r} on qubits {qubits}, which device "
                f"{device.name!r} does not run (it runs {known_names(target.operation_names)}); "
                "clear the transpile cache_dir, or try another optimization_level"
            )


def configuration_value(device: BackendV2 | None, field: str, default: Any) -> Any:
    """A field of the device's configuration (IBM and fake devices have one), else ``default``."""
    configuration = getattr(device, "configuration", None)
    value = getattr(configuration(), field, None) if callable(configuration) else None
    return default if value is None else value


def check_packing(packing: object, primitive: str) -> str | int:
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
