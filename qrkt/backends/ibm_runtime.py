"""``ibm_runtime``: IBM Quantum devices through qiskit-ibm-runtime, or its local testing mode.

The device is a real one (``"ibm_brisbane"``, resolved through ``QiskitRuntimeService``), a fake
one (``"fake_manila"``: local testing mode, the same client code run on the fake device's
noise model), or ``"aer"`` (a noiseless ``AerSimulator`` in local testing mode; the default,
so that nothing is ever spent by accident).

Planning, packing, transpiling and resubmitting are shared with every Qiskit route
(:mod:`qrkt.backends.qiskit_device`): one :meth:`~qrkt.backends.base.Backend.run` is ONE job
whatever the batch size, packed side by side on the device's best regions, and split into
several jobs, submitted together in one ``Batch``, only when IBM's per-job limit of circuit
executions (executions x shots) requires it.

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

Options are validated strictly (pydantic) by the client: they are built in the constructor,
so a bad option fails there rather than at the first job.

Faults: a job that fails, is cancelled or runs past its time is resubmitted
(:mod:`qrkt.backends.jobs`). Failed submissions are not retried here: the client already
retries its HTTP requests.

Costs (:meth:`IBMRuntimeBackend.estimate`, a :class:`~qrkt.backends.hardware.Cost`;
:class:`~qrkt.backends.jobs.DeviceCounts`): the estimated QPU seconds of a job
are ``JOB_OVERHEAD_S + executions x shots x (rep_delay + circuit duration)``, IBM's
documented formula, with the device's ``default_rep_delay`` (else ``DEFAULT_REP_DELAY_S``) and
the ISA circuit's duration from the device's gate durations (0 where it has none, as on
``AerSimulator``). ``JOB_OVERHEAD_S`` is an assumption, not a measurement: each call records
the billed ``job.usage()`` of its jobs beside the estimate (``counts.last``), so the two can
be compared. The price is :data:`IBM_PRICING`'s rate per second, ``price_per_second`` to
change it.

The account: ``QiskitRuntimeService`` reads ``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE`` and
``QISKIT_IBM_CHANNEL`` from the environment, or a saved account, itself; the token never passes
through qrkt, and errors quoting the client are masked in case the client quotes it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qrkt.backends.base import BackendOption, Capabilities
from qrkt.backends.hardware import Pricing, check_price
from qrkt.backends.jobs import masked_reason
from qrkt.backends.qiskit_compile import (
    estimator_expectations,
    estimator_pub,
    parameter_array,
)
from qrkt.backends.qiskit_device import (
    MAX_EXECUTIONS_PER_JOB,
    Program,
    QiskitDeviceBackend,
    configuration_value,
)
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import require
from qrkt.errors import BackendInputError, JobError, UnsupportedError

if TYPE_CHECKING:
    from qiskit.providers import BackendV2

PRIMITIVES = ("sampler", "estimator")
EXECUTION_MODES = ("job", "batch", "session")

DEFAULT_REP_DELAY_S = 250e-6
"""Delay between shots where the device does not state one (IBM's usual default)."""

JOB_OVERHEAD_S = 2.0
"""QPU seconds assumed for every job besides its shots (loading, initialization)."""


IBM_PRICING = Pricing(
    source="IBM Quantum Pay-As-You-Go Plan: USD 1.60 per second of quantum usage (the published "
    "rate as of 2026; check IBM's pricing page before spending)",
    per_second=1.60,
    free_seconds=600.0,
    free_plan="IBM Quantum Open Plan: 10 minutes of quantum usage per 28 days",
)


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


class IBMRuntimeBackend(QiskitDeviceBackend):
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
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "device",
            str,
            "NAME",
            "'aer' (the default), a fake device ('fake_fez') or a real one ('ibm_fez'); the IBM "
            "Quantum account comes from QISKIT_IBM_TOKEN, QISKIT_IBM_INSTANCE or a saved "
            "account, never from arguments",
        ),
        BackendOption(
            "primitive",
            str,
            "NAME",
            "'sampler' or 'estimator' (default: the sampler at resilience level 0, the "
            "estimator above)",
        ),
        BackendOption(
            "precision", float, "X", "the estimator's target precision instead of --shots"
        ),
        BackendOption(
            "resilience_level",
            int,
            "K",
            "0 none (the default), 1 readout mitigation, 2 ZNE; above 0 needs the estimator",
        ),
        BackendOption(
            "execution_mode",
            str,
            "MODE",
            "'session' (one Session for the run: no queueing between a batch's dependent jobs), "
            "'batch' (one Batch per call, the default) or 'job'",
        ),
        *QiskitDeviceBackend.cli_options,
        BackendOption(
            "price_per_second",
            float,
            "USD",
            f"US dollars per QPU second, for cost estimates (default: {IBM_PRICING.per_second})",
        ),
    )
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
        per_second = check_price("price_per_second", price_per_second)
        self.precision = precision
        self.resilience_level = resilience_level
        self.dynamical_decoupling = bool(dynamical_decoupling)
        self.twirling = twirling
        self.execution_mode = execution_mode
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
        self._setup(
            self.client.device(device),
            device,
            shots=shots,
            optimization_level=optimization_level,
            max_retries=max_retries,
            retry_delay=retry_delay,
            max_executions_per_job=max_executions_per_job,
            seed=seed,
            packing=packing,
            packing_floor=packing_floor,
            pricing=replace(IBM_PRICING, per_second=per_second),
            cache_dir=cache_dir,
            noise=device != "aer",
        )
        self._check_local_estimator()
        self._options = self._primitive_options()
        self._session: Any = None

    @property
    def shots_per_circuit(self) -> int:
        if self.precision is not None:
            return math.ceil(1 / self.precision**2)  # what the estimator runs for a precision
        return self.shots

    def close(self) -> None:
        """End the Session of ``execution_mode="session"``, if one is open."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- the route to IBM Quantum ---------------------------------------------------------------

    @property
    def is_local(self) -> bool:
        """Whether the device is local testing mode's (Aer or a fake device), not IBM's."""
        from qiskit_ibm_runtime import IBMBackend

        return not isinstance(self.device, IBMBackend)

    @contextlib.contextmanager
    def job_mode(self, n_jobs: int) -> Iterator[Any]:
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

    def make_primitive(self, mode: Any) -> Any:
        if self.primitive == "sampler":
            from qiskit_ibm_runtime.executor_sampler import Sampler

            return Sampler(mode=mode, options=self._options)
        from qiskit_ibm_runtime.executor_estimator import Estimator

        return Estimator(mode=mode, options=self._options)

    def submit(self, primitive: Any, pubs: list[Any]) -> Any:
        return self.client.submit(primitive, pubs)

    def job_faults(self) -> tuple[type[BaseException], ...]:
        """What ``job.result()`` raises for a job that may succeed when resubmitted: it failed,
        ran past its maximum execution time, timed out while waited on, or was cancelled (on
        the service: ``RuntimeInvalidStateError``; in local mode: ``CancelledError``)."""
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

    def seconds_per_shot(self, duration: float) -> float:
        rep_delay = configuration_value(self.device, "default_rep_delay", DEFAULT_REP_DELAY_S)
        return rep_delay + duration

    def qpu_seconds(self, program: Program, sizes: list[int]) -> float:
        per_shot = program.seconds_per_shot or 0.0
        return sum(JOB_OVERHEAD_S + n * self.shots_per_circuit * per_shot for n in sizes)

    def usage_seconds(self, jobs: list[Any]) -> float | None:
        """The quantum seconds the service billed for ``jobs`` (``job.usage()``); ``None`` if
        none was billed by the service (local testing mode's jobs report 0 for every job)."""
        from qiskit_ibm_runtime.fake_provider.local_runtime_job import LocalRuntimeJob

        billed = [job for job in jobs if not isinstance(job, LocalRuntimeJob)]
        usages = [job.usage() for job in billed if callable(getattr(job, "usage", None))]
        known = [float(u) for u in usages if u is not None]
        return sum(known) if known else None

    # --- the estimator --------------------------------------------------------------------------

    def _pubs(self, program: Program, inputs: np.ndarray, weights: np.ndarray) -> list[Any]:
        if self.primitive == "sampler":
            return super()._pubs(program, inputs, weights)
        return [estimator_pub(program.runs, parameter_array(program.runs, inputs, weights))]

    def _read(
        self, program: Program, results: list[Any], circuit: Circuit, samples: int
    ) -> np.ndarray:
        if self.primitive == "sampler":
            return super()._read(program, results, circuit, samples)
        return estimator_expectations(results[0], samples)

    def _check_local_estimator(self) -> None:
        """Fail at construction where the estimator cannot run locally at all: it measures
        every qubit of the device, so locally it simulates them all (Aer then fails at
        ``job.result()`` for want of memory); the sampler measures only the circuit's."""
        from qiskit_aer import AerSimulator

        limit = AerSimulator().num_qubits  # what Aer can hold in this machine's memory
        if self.primitive == "estimator" and self.is_local and self.device.num_qubits > limit:
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


def _check_choice(label: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices or isinstance(value, bool):
        raise BackendInputError(
            f"{label} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
