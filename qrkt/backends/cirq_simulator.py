"""``cirq``: the circuit on Cirq's simulators, exact, sampled or noisy; or on a Google device.

Every :meth:`~qrkt.backends.base.Backend.run` is ONE parameter sweep over the whole batch
(and, for a parameter-shift gradient, over every shifted point), never a loop over samples.

On Cirq's simulators (no ``device``, no ``sampler``):

- Exact (``shots=None``): ``simulate_expectation_values_sweep`` of ``cirq.Simulator`` in
  complex128; with noise, of ``cirq.DensityMatrixSimulator``, so noisy values are exact too.
- Shots: the final state of every sweep point (``simulate_sweep_iter``), then ``shots`` basis
  states per point drawn from its probabilities by a NumPy generator seeded with ``seed``
  afresh on every run, so the same call gives the same results. Not ``run_sweep`` with
  measurements: with noise channels Cirq re-simulates the whole circuit for every repetition
  (4 minutes for 64 points x 1000 shots at 4 qubits, against a second this way).
- Noise (``noise=0.01`` or any ``cirq.NoiseModel``): applied to the circuit after every
  moment (:func:`~qrkt.circuits.cirq_convert.to_cirq`); a number ``p`` is a depolarizing
  channel of probability ``p`` on every qubit.

On a device or a sampler (:mod:`qrkt.backends.cirq_device`), ``shots`` per parameter set:

- ``device``: a virtual Google device by name, noisy (``"rainbow"``) or not
  (``"rainbow-noiseless"``), or any ``cirq.Device``: the circuit is placed, routed and compiled
  for it once, and validated by it.
- ``sampler``: any ``cirq.Sampler``, e.g. a ``cirq_google.ProcessorSampler`` of a Google
  processor through Quantum Engine (its device is then the processor's) or a Cirq simulator;
  without a device the circuit runs on ``LineQubit`` s as it is.
- A call is ONE ``sampler.run_batch`` of the circuit with the batch's sweep: one job, or, on a
  ``ProcessorSampler``, as many as Quantum Engine's limit of 5,000,000 repetitions per job
  needs. ``counts.last`` records the Engine's job ids. A sweep that fails is run again with
  back-off (:mod:`qrkt.backends.jobs`). Google publishes no price list for
  Quantum Engine (access is by agreement), so there is no :attr:`pricing`, and no QPU time.

Gradients come from the parameter-shift rule (:mod:`qrkt.backends.parameter_shift`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qrkt.backends.base import (
    DENSITY_MATRIX_MAX_QUBITS,
    Backend,
    BackendOption,
    Capabilities,
    ConformanceVariant,
    check_seed,
    check_shots,
)
from qrkt.backends.cirq_device import (
    STATE_VECTOR_MAX_QUBITS,
    SamplingTarget,
    sampling_target,
    z_expectations,
)
from qrkt.backends.hardware import CallRecord, CircuitStatistics, Cost
from qrkt.backends.jobs import (
    RETRY_OPTIONS,
    JobLog,
    check_retry_options,
    masked_reason,
    run_jobs,
)
from qrkt.backends.readout import z_sign_matrix
from qrkt.circuits.cirq_convert import CirqCircuit, require_cirq, to_cirq
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, UnsupportedError

if TYPE_CHECKING:
    import cirq

DEVICE_SHOTS = 4096
"""Shots per parameter set on a device or a sampler where none are given (IBM's default)."""

MAX_SHOTS = np.iinfo(np.int64).max
"""The most shots of one parameter set: NumPy's multinomial draws int64 counts (the memory of
one draw is one count per basis state, whatever the shots)."""


class CirqBackend(Backend):
    """Expectation values from Cirq's simulators (exact, from ``shots`` samples, or noisy), or
    from ``shots`` samples on a device or of any ``cirq.Sampler``.

    Args:
      shots: samples per parameter set; ``None`` for exact expectation values on Cirq's
        simulators, and :data:`DEVICE_SHOTS` on a device or a sampler.
      seed: seeds the sampling, so that the same call gives the same results (a ``sampler``
        of yours is seeded by you).
      noise: a depolarizing probability in [0, 1] applied to every qubit after every moment,
        or a ``cirq.NoiseModel``; ``None`` for a noiseless circuit. On Cirq's simulators only:
        a device or a sampler brings its own noise.
      device: a virtual Google device (:func:`~qrkt.backends.cirq_device.device_names`:
        ``"rainbow"`` with Google's noise, ``"rainbow-noiseless"`` without), or a
        ``cirq.Device`` to compile for, run by ``sampler`` or else by ``cirq.Simulator``.
      sampler: any ``cirq.Sampler``, e.g. a ``cirq_google.ProcessorSampler`` (whose processor's
        device is compiled for unless ``device`` is given).
      max_retries, retry_delay: on a device or a sampler, reruns of a sweep that failed
        (``RuntimeError``, as Quantum Engine raises for a failed job, or ``TimeoutError``) and
        the first back-off in seconds (:mod:`qrkt.backends.jobs`).
    """

    name = "cirq"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "device",
            str,
            "NAME",
            "a virtual Google device: 'rainbow' or 'weber' (Google's noise), "
            "'rainbow-noiseless' or 'weber-noiseless'",
        ),
        BackendOption(
            "noise",
            float,
            "P",
            "on Cirq's simulators: a depolarizing probability on every qubit after every moment",
        ),
        *RETRY_OPTIONS,
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "exact": ConformanceVariant(),
        "shots": ConformanceVariant({"shots": 4096, "seed": 7}),
        "google": ConformanceVariant(
            {"device": "rainbow-noiseless", "shots": 1024, "seed": 7}, requires=("cirq_google",)
        ),
    }
    records_calls = True
    capabilities = Capabilities(
        autodiff=False, exact=True, shots=True, noise=True, max_qubits=STATE_VECTOR_MAX_QUBITS
    )

    def __init__(
        self,
        shots: int | None = None,
        seed: int | None = None,
        noise: float | cirq.NoiseModel | None = None,
        device: str | cirq.Device | None = None,
        sampler: cirq.Sampler | None = None,
        max_retries: int = 3,
        retry_delay: float = 10.0,
    ) -> None:
        super().__init__()
        require_cirq(f"the {self.name} backend")
        check_seed(seed)
        check_retry_options(max_retries, retry_delay)
        self.max_retries = max_retries
        self.retry_delay = float(retry_delay)
        self.shots = shots
        self.seed = seed
        self.noise = noise_model(noise)
        self.target: SamplingTarget | None = None
        self._random_state = np.random.RandomState(seed)
        self._compiled: dict[Circuit, CirqCircuit] = {}
        self._programs: dict[Circuit, cirq.Circuit] = {}
        if device is None and sampler is None:
            check_shots(shots, maximum=MAX_SHOTS, limit="NumPy draws the counts as int64")
            return
        self.shots = DEVICE_SHOTS if shots is None else shots
        self._check_sampling_options(sampler)
        self.target = sampling_target(device, sampler, self._random_state)
        engine_limit = self.target.max_repetitions
        check_shots(
            self.shots,
            maximum=engine_limit or MAX_SHOTS,
            limit="Quantum Engine's repetitions per job" if engine_limit else "NumPy's int64",
        )
        self.capabilities = Capabilities(
            autodiff=False,
            exact=False,
            shots=True,
            noise=self.target.noisy,
            max_qubits=self.target.max_qubits,
        )

    def _check_sampling_options(self, sampler: object) -> None:
        """Refuse what a device or a sampler cannot take: simulator noise, and a seed for a
        sampler that is not ours to seed."""
        where = "a device or a sampler"
        if self.noise is not None:
            raise BackendInputError(
                f"noise applies to Cirq's simulators, and {where} brings its own; use a noisy "
                "device ('rainbow') or sampler (cirq.DensityMatrixSimulator(noise=...)), or "
                "leave noise out"
            )
        if sampler is not None and self.seed is not None:
            raise BackendInputError(
                f"seed={self.seed} seeds the samplers qrkt builds; seed yours itself, e.g. "
                "cirq.Simulator(seed=7), and leave seed out"
            )

    @property
    def shots_per_circuit(self) -> int:
        return self.shots or 0

    def check_circuit(self, circuit: Circuit) -> None:
        super().check_circuit(circuit)
        if self.noise is not None and circuit.n_qubits > DENSITY_MATRIX_MAX_QUBITS:
            raise UnsupportedError(
                f"noisy runs simulate a density matrix (4^n entries), so backend {self.name!r} "
                f"runs at most {DENSITY_MATRIX_MAX_QUBITS} qubits with noise, got a "
                f"{circuit.n_qubits}-qubit circuit; use fewer qubits or noise=None"
            )

    def estimate(self, circuit: Circuit, rows: int) -> Cost:
        """One local job on Cirq's simulators; on a sampler, its jobs (one unless Quantum
        Engine's repetition limit splits the call), without QPU time or price."""
        cost = super().estimate(circuit, rows)
        return cost if self.target is None else replace(cost, jobs=len(self._jobs(rows)))

    def circuit_statistics(self, circuit: Circuit) -> CircuitStatistics | None:
        """``circuit`` compiled for the device: depth (moments) and two-qubit gates; ``None``
        without a device, where it runs as it is."""
        self.check_circuit(circuit)
        if self.target is None or self.target.device is None:
            return None
        program = self.program(circuit)
        return CircuitStatistics(
            depth=len(program),
            two_qubit_gates=sum(len(op.qubits) == 2 for op in program.all_operations()),
        )

    def compiled(self, circuit: Circuit) -> CirqCircuit:
        """The Cirq circuit this backend runs for ``circuit`` (with its noise), built once."""
        if circuit not in self._compiled:
            self._compiled[circuit] = to_cirq(circuit, self.noise)
        return self._compiled[circuit]

    def program(self, circuit: Circuit) -> cirq.Circuit:
        """What the sampler runs for ``circuit``: measured and, for a device, compiled for it
        (:class:`~qrkt.backends.cirq_device.SamplingTarget`), built once."""
        if self.target is None:
            raise UnsupportedError(f"backend {self.name!r} has no device or sampler to run on")
        if circuit not in self._programs:
            self._programs[circuit] = self.target.program(self.compiled(circuit))
        return self._programs[circuit]

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self.target is None:
            values, job_ids = self._simulate(circuit, inputs, weights), ()
        else:
            values, job_ids = self._sample(circuit, inputs, weights)
        self.counts.last = CallRecord(self.estimate(circuit, inputs.shape[0]), job_ids)
        return values

    def _simulate(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        import cirq

        compiled = self.compiled(circuit)
        sweep = compiled.sweep(inputs, weights)
        simulator_class = cirq.Simulator if self.noise is None else cirq.DensityMatrixSimulator
        simulator = simulator_class(dtype=np.complex128)
        if self.shots is None:
            values = simulator.simulate_expectation_values_sweep(
                compiled.circuit, list(compiled.observables), sweep, qubit_order=compiled.qubits
            )
            return np.asarray(values, dtype=np.complex128).real
        rng = np.random.default_rng(self.seed)
        signs = z_sign_matrix(circuit)
        states = simulator.simulate_sweep_iter(compiled.circuit, sweep, qubit_order=compiled.qubits)
        counts = (rng.multinomial(self.shots, _probabilities(state)) for state in states)
        return np.stack([c @ signs for c in counts]) / self.shots

    def _sample(
        self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        """One ``run_batch`` of the sampler over the batch's sweep; the values and job ids."""
        assert self.target is not None
        compiled, program = self.compiled(circuit), self.program(circuit)
        jobs = self._jobs(inputs.shape[0])
        if self.seed is not None:
            self._random_state.seed(self.seed)  # so that the same call gives the same results
        sampler, shots = self.target.sampler, self.shots

        def sweep() -> list[cirq.Result]:
            batches = sampler.run_batch(
                [program] * len(jobs),
                params_list=[compiled.sweep(inputs[rows], weights) for rows in jobs],
                repetitions=shots,
            )
            return [result for batch in batches for result in batch]

        client, log = _SweepClient(sweep), JobLog[int]()
        results = run_jobs(
            client,
            1,
            max_retries=self.max_retries,
            retry_delay=self.retry_delay,
            where=f"on {self.target.description}",
            log=log,
        )[0]
        # Quantum Engine's job ids, else (a local sampler) the sweep's own
        engine_ids = dict.fromkeys(getattr(result, "job_id", None) for result in results)
        job_ids = tuple(i for i in engine_ids if i) or (client.job_id(log.jobs[0]),)
        return z_expectations(circuit, results), job_ids

    def _jobs(self, rows: int) -> list[slice]:
        """The rows of each job of a call: all in one, unless the sampler limits a job's
        repetitions."""
        assert self.target is not None and self.shots is not None
        limit = self.target.max_repetitions
        step = rows if limit is None else limit // self.shots
        return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]

    def __repr__(self) -> str:
        mode = "exact" if self.shots is None else f"{self.shots} shots"
        noise = "" if self.noise is None else ", noisy"
        where = "" if self.target is None else f", {self.target.description}"
        return f"<qrkt backend {self.name!r} ({mode}{noise}{where}): {self.capabilities.summary()}>"


class _SweepClient:
    """:class:`~qrkt.backends.jobs.JobClient` of one call: a sampler's ``run_batch`` is
    synchronous, so submitting holds the sweep and waiting on the result runs it, and a
    failed sweep is run again."""

    faults = (RuntimeError, TimeoutError)

    def __init__(self, sweep: Callable[[], list[cirq.Result]]) -> None:
        self.sweep = sweep
        self.submitted = 0

    def submit(self, index: int) -> int:
        self.submitted += 1
        return self.submitted

    def result(self, job: int) -> list[cirq.Result]:
        return self.sweep()

    def job_id(self, job: int) -> str:
        return f"sweep-{job}"

    def cancel(self, job: int) -> None:
        pass  # nothing runs until result()

    def reason(self, error: BaseException) -> str:
        return masked_reason(error)


def noise_model(noise: object) -> cirq.NoiseModel | None:
    """A backend's ``noise`` option as a Cirq noise model: a probability ``p`` in [0, 1] is a
    depolarizing channel of ``p`` on every qubit after every moment."""
    import cirq

    if noise is None or isinstance(noise, cirq.NoiseModel):
        return noise
    if isinstance(noise, numbers.Real) and not isinstance(noise, bool) and 0 <= noise <= 1:
        return cirq.ConstantQubitNoiseModel(cirq.depolarize(float(noise)))
    raise BackendInputError(
        f"noise must be a depolarizing probability in [0, 1], a cirq.NoiseModel or None, got "
        f"{noise!r}; e.g. noise=0.01, or noise=cirq.ConstantQubitNoiseModel(cirq.bit_flip(0.01))"
    )


def _probabilities(result: cirq.SimulationTrialResult) -> np.ndarray:
    """Basis-state probabilities of a final state vector or density matrix, qubit 0 first,
    normalized against rounding so that they can be sampled from."""
    if hasattr(result, "final_density_matrix"):
        probabilities = np.clip(np.real(np.diagonal(result.final_density_matrix)), 0.0, None)
    else:
        probabilities = np.abs(result.final_state_vector) ** 2
    return probabilities / probabilities.sum()
