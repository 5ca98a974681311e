"""``qiskit``: any Qiskit device or sampler, from any provider.

The route for every vendor with a Qiskit provider: a ``BackendV2`` (wrapped in Qiskit's
``BackendSamplerV2``), any ``BaseSamplerV2`` passed in Python, or a named device:

- ``"aer"``: a noiseless ``AerSimulator``; ``"fake_<name>"`` (``"fake_fez"``): an IBM fake
  device simulated with its noise model (needs qiskit-ibm-runtime's fake devices);
- ``"braket_local"`` or ``"braket_local:<simulator>"`` (``braket_sv``, ``braket_dm``): Amazon
  Braket's local simulators through qiskit-braket-provider, offline;
- ``"braket:<device>"`` (a name or ARN: IonQ Forte, IQM Garnet, Rigetti Cepheus, ...): Amazon
  Braket through qiskit-braket-provider, with the AWS account of the environment or profile;
- ``"ionq:<backend>"`` (``"ionq:simulator"``, ``"ionq:qpu.forte-1"``): IonQ's cloud through
  qiskit-ionq, with the ``IONQ_API_KEY`` of the environment.

Everything after the device is shared with the IBM route (:mod:`qrkt.backends.qiskit_device`):
circuits transpiled once to the device's ISA (cached on disk with ``cache_dir``), packed side
by side on a wide device, one job per call, split only at ``max_executions_per_job``, failed
jobs resubmitted. A sampler without a device runs the logical circuits as they are (as
``StatevectorSampler`` does).

Cost: jobs, executions and shots, priced by ``price_per_job`` and ``price_per_shot`` where
given (a provider's prices are not part of the Qiskit API); devices report no clock here, so
``qpu_seconds`` is ``None``. Credentials stay with the providers, which read them from the
environment; error messages mask their values (:func:`~qrkt.backends.jobs.masked_reason`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from qrkt.backends.base import BackendOption, Capabilities, ConformanceVariant
from qrkt.backends.hardware import Pricing, check_price
from qrkt.backends.jobs import masked_reason
from qrkt.backends.qiskit_device import MAX_EXECUTIONS_PER_JOB, QiskitDeviceBackend
from qrkt.dependencies import require
from qrkt.errors import BackendInputError, JobError

if TYPE_CHECKING:
    from qiskit.providers import BackendV2

PROVIDERS = {
    "braket_local": ("qiskit_braket_provider", "qiskit-braket"),
    "braket": ("qiskit_braket_provider", "qiskit-braket"),
    "ionq": ("qiskit_ionq", "ionq"),
}
"""Device name prefix -> (the provider's module, the pip extra that installs it)."""


class QiskitSamplerBackend(QiskitDeviceBackend):
    """Expectation values from any Qiskit device or sampler, one job per call.

    Args:
      device: a named device (``"aer"``, ``"fake_fez"``, ``"braket_local:braket_dm"``,
        ``"braket:<name or ARN>"``, ``"ionq:<backend>"``; see the module) or a ``BackendV2``;
        ``None`` with a ``sampler`` that runs logical circuits.
      sampler: a ``BaseSamplerV2`` to submit through (for a device, the circuits are
        transpiled to it); by default ``BackendSamplerV2`` on the device.
      shots: per parameter set.
      seed: ``seed_simulator`` of simulator devices (Aer, fake devices); not for others.
      optimization_level: of the preset pass manager that transpiles to the device's ISA.
      packing, packing_floor: parameter sets side by side on a wide device
        (:mod:`qrkt.backends.packing`): ``"auto"``, ``"off"`` or a number of regions.
      max_retries, retry_delay: resubmissions of a failed job and the first back-off (s).
      max_executions_per_job: parameter sets x shots in one job; larger calls are split.
      price_per_job, price_per_shot: US dollars, for cost estimates (``None``: no price).
      cache_dir: where transpiled circuits are kept as QPY for other processes.
    """

    name = "qiskit"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "device",
            str,
            "NAME",
            "'aer' (the default), 'fake_fez', 'braket_local[:SIMULATOR]', 'braket:<ARN>' or "
            "'ionq:<backend>'; see the README's vendor table",
        ),
        *QiskitDeviceBackend.cli_options,
        BackendOption("price_per_job", float, "USD", "US dollars a job, for cost estimates"),
        BackendOption("price_per_shot", float, "USD", "US dollars a shot, for cost estimates"),
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "aer": ConformanceVariant({"seed": 7}),
        "braket_local": ConformanceVariant(  # shots: as BraketBackend's variant
            {"device": "braket_local", "shots": 1000}, requires=("qiskit_braket_provider",)
        ),
    }
    # An instance reports its device's width; 156 qubits is the widest such device (IBM's).
    capabilities = Capabilities(autodiff=False, exact=False, shots=True, noise=True, max_qubits=156)

    def __init__(
        self,
        device: str | BackendV2 | None = "aer",
        *,
        sampler: Any = None,
        shots: int = 4096,
        seed: int | None = None,
        optimization_level: int = 1,
        packing: str | int = "auto",
        packing_floor: float = 0.9,
        max_retries: int = 3,
        retry_delay: float = 10.0,
        max_executions_per_job: int = MAX_EXECUTIONS_PER_JOB,
        price_per_job: float | None = None,
        price_per_shot: float | None = None,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        require("the qiskit backend", ["qiskit", "qiskit_aer"], "qiskit")
        from qiskit.primitives import BaseSamplerV2

        if sampler is not None and not isinstance(sampler, BaseSamplerV2):
            raise BackendInputError(
                f"sampler must be a Qiskit BaseSamplerV2 (StatevectorSampler, BackendSamplerV2, "
                f"a provider's SamplerV2), got {type(sampler).__name__}; or give a device"
            )
        if device is None and sampler is None:
            raise BackendInputError(
                "got neither a device nor a sampler; give device='aer', a device name or a "
                "BackendV2, or sampler=<a BaseSamplerV2>"
            )
        resolved = resolve_device(device) if device is not None else _sampler_device(sampler)
        self.sampler = sampler
        self._setup(
            resolved,
            _device_label(device, resolved, sampler),
            shots=shots,
            optimization_level=optimization_level,
            max_retries=max_retries,
            retry_delay=retry_delay,
            max_executions_per_job=max_executions_per_job,
            seed=seed,
            packing=packing,
            packing_floor=packing_floor,
            pricing=_pricing(price_per_job, price_per_shot),
            cache_dir=cache_dir,
            noise=not _noiseless(resolved),
        )

    @property
    def is_local(self) -> bool:
        """Whether the device is simulated here: Aer, a fake device, a local Braket simulator."""
        module = type(self.device).__module__
        return (
            module.startswith(
                ("qiskit_aer", "qiskit_ibm_runtime.fake_provider", "qiskit.providers.fake_provider")
            )
            or type(self.device).__name__ == "BraketLocalBackend"
        )

    def make_primitive(self, mode: Any) -> Any:
        """The given sampler, else ``BackendSamplerV2`` on ``mode``: the device, or (a local
        simulation of a wide packed circuit) Aer holding a region device's qubits."""
        if self.sampler is not None:
            return self.sampler
        from qiskit.primitives import BackendSamplerV2
        from qiskit_aer import AerSimulator

        backend = mode if mode is self.device else AerSimulator.from_backend(mode)
        options: dict[str, Any] = {"default_shots": self.shots}
        if self.seed is not None:
            options["seed_simulator"] = self.seed
        return BackendSamplerV2(backend=backend, options=options)

    def __repr__(self) -> str:
        through = "" if self.sampler is None else f", through {type(self.sampler).__name__}"
        return (
            f"<qrkt backend {self.name!r} ({self.device_name}{through}, {self.shots} shots, "
            f"packing {self.packing}): {self.capabilities.summary()}>"
        )


def resolve_device(device: object) -> BackendV2:
    """A ``BackendV2`` as it is, or the named device (see the module)."""
    from qiskit.providers import BackendV2

    if isinstance(device, BackendV2):
        return device
    if not isinstance(device, str):
        raise BackendInputError(
            f"device must be a name ('aer', 'fake_fez', 'braket_local', 'ionq:simulator') or a "
            f"Qiskit BackendV2, got {type(device).__name__}"
        )
    if device == "aer":
        from qiskit_aer import AerSimulator

        return AerSimulator()
    if device.startswith("fake_"):
        from qrkt.backends.qiskit_aer import fake_ibm_device

        return fake_ibm_device(device)
    prefix, _, name = device.partition(":")
    if prefix not in PROVIDERS:
        raise BackendInputError(
            f"unknown device {device!r}; give 'aer', 'fake_<name>' (an IBM fake device), "
            "'braket_local[:braket_sv|braket_dm]', 'braket:<device name or ARN>', "
            "'ionq:<backend>' (e.g. 'ionq:simulator'), or pass a BackendV2 object"
        )
    if not name and prefix != "braket_local":
        raise BackendInputError(f"give the device after '{prefix}:', e.g. '{prefix}:simulator'")
    module, extra = PROVIDERS[prefix]
    require(f"device {device!r}", [module], extra)
    try:
        return _provider_device(prefix, name)
    except Exception as error:  # any failure to reach the provider or find the device
        reason = masked_reason(error)
        raise JobError(
            f"could not get device {device!r} ({reason}); check the name and the account "
            "the provider reads from the environment",
            reason=reason,
        ) from None


def _provider_device(prefix: str, name: str) -> BackendV2:
    if prefix == "braket_local":
        from qiskit_braket_provider import BraketLocalBackend

        return BraketLocalBackend(name or "braket_sv")
    if prefix == "braket":
        from qiskit_braket_provider import BraketProvider

        return BraketProvider().get_backend(name)
    from qiskit_ionq import IonQProvider

    return IonQProvider().get_backend(name)


def _sampler_device(sampler: Any) -> BackendV2 | None:
    """The device a sampler runs on, where it says (``BackendSamplerV2.backend``)."""
    from qiskit.providers import BackendV2

    device = getattr(sampler, "backend", None)
    if callable(device) and not isinstance(device, BackendV2):
        device = device()  # qiskit-ibm-runtime's primitives: backend()
    return device if isinstance(device, BackendV2) else None


def _device_label(device: object, resolved: BackendV2 | None, sampler: Any) -> str:
    if isinstance(device, str):
        return device
    if resolved is not None:
        return str(resolved.name)
    return type(sampler).__name__


def _noiseless(device: BackendV2 | None) -> bool:
    """A logical sampler or a plain ``AerSimulator`` (no noise model)."""
    if device is None:
        return True
    return type(device).__name__ == "AerSimulator" and device.options.noise_model is None


def _pricing(per_job: object, per_shot: object) -> Pricing | None:
    if per_job is None and per_shot is None:
        return None
    return Pricing(
        source="the price_per_job and price_per_shot options (check the vendor's price list)",
        per_job=0.0 if per_job is None else check_price("price_per_job", per_job),
        per_shot=0.0 if per_shot is None else check_price("price_per_shot", per_shot),
    )
