"""``qiskit_aer``: the circuit on Qiskit Aer's V2 primitives, exact, sampled or noisy.

Every :meth:`~qrkt.backends.base.Backend.run` is ONE primitive call with ONE PUB whose
parameter array holds the whole batch (and, for a parameter-shift gradient, every shifted
point), never a loop over samples.

- Exact (``shots=None``): Aer's ``EstimatorV2`` on the statevector, precision 0.
- Shots: Aer's ``SamplerV2`` and ``<Z>`` from the bit strings. Not the estimator: with a
  precision > 0 it adds Gaussian noise to the exact value instead of sampling, and ``shots``
  in its run options still gives exact values for a noiseless circuit.
- Noise, from a user's ``NoiseModel`` or a fake IBM device's (``fake_device="fake_manila"``):
  the circuit is first transpiled (once, see :func:`~qrkt.backends.qiskit_compile.transpile_for`)
  to the device's ISA, or to the noise model's basis gates, since Aer applies errors by
  instruction name and a device noise model knows only the device's gates. With
  ``shots=None`` the noisy values are exact (density matrix) but carry no readout error,
  which Aer applies to measurements only; sampled values carry both.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

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
from qrkt.backends.qiskit_compile import (
    TRANSPILE_OPTIONS,
    CompiledCircuit,
    check_optimization_level,
    compile_circuit,
    estimator_expectations,
    estimator_pub,
    parameter_array,
    sampler_expectations,
    sampler_pub,
    transpile_for,
)
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import install_command, require
from qrkt.errors import (
    BackendInputError,
    MissingDependencyError,
    UnknownNameError,
    UnsupportedError,
    known_names,
)

if TYPE_CHECKING:
    from qiskit.providers import BackendV2
    from qiskit_aer.noise import NoiseModel

MAX_SHOTS = 10_000_000
"""The most shots of one parameter set: Aer's sampler keeps every shot's bit string in memory,
in C++ and again in Python, and 10^12 shots crashed it with ``std::bad_alloc``; 10^7 is a
bound chosen to keep one parameter set's shots within a few GB."""


class QiskitAerBackend(Backend):
    """Expectation values from Qiskit Aer: exact, from ``shots`` samples, or noisy.

    Args:
      shots: samples per parameter set; ``None`` for exact expectation values.
      seed: seeds the sampler, so that the same call gives the same results.
      noise_model: a ``qiskit_aer.noise.NoiseModel``; the circuit is transpiled to its basis.
      fake_device: the name of a fake IBM device (``"fake_manila"``) whose noise model is used;
        the circuit is transpiled to its ISA. Needs ``pip install 'qrkt[ibm]'``.
      optimization_level: of the preset pass manager, for noisy runs.
      cache_dir: where transpiled circuits are kept as QPY for other processes.
    """

    name = "qiskit_aer"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "fake_device",
            str,
            "NAME",
            "a fake IBM device ('fake_manila') whose noise model is simulated",
        ),
        *TRANSPILE_OPTIONS,
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "exact": ConformanceVariant(),
        "shots": ConformanceVariant({"shots": 4096, "seed": 7}),
    }
    capabilities = Capabilities(autodiff=False, exact=True, shots=True, noise=True, max_qubits=24)

    def __init__(
        self,
        shots: int | None = None,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
        fake_device: str | None = None,
        optimization_level: int = 1,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        require_aer()
        check_shots(shots, maximum=MAX_SHOTS, limit="Aer keeps every shot's bit string in memory")
        check_seed(seed)
        check_optimization_level(optimization_level)
        if noise_model is not None and fake_device is not None:
            raise BackendInputError(
                "give noise_model or fake_device, not both; a fake device brings its own noise"
            )
        from qiskit_aer.noise import NoiseModel

        if noise_model is not None and not isinstance(noise_model, NoiseModel):
            raise BackendInputError(
                f"noise_model must be a qiskit_aer.noise.NoiseModel, got "
                f"{type(noise_model).__name__}; build one with NoiseModel.from_backend(...)"
            )
        self.shots = shots
        self.seed = seed
        self.optimization_level = optimization_level
        self.cache_dir = cache_dir
        self.device = None if fake_device is None else fake_ibm_device(fake_device)
        if self.device is not None:
            noise_model = NoiseModel.from_backend(self.device)
        self.noise_model = noise_model

    @property
    def shots_per_circuit(self) -> int:
        return self.shots or 0

    def check_circuit(self, circuit: Circuit) -> None:
        super().check_circuit(circuit)
        exact_noisy = self.shots is None and self.noise_model is not None
        if exact_noisy and circuit.n_qubits > DENSITY_MATRIX_MAX_QUBITS:
            raise UnsupportedError(
                f"exact noisy values need a density matrix (4^n entries), so backend "
                f"{self.name!r} runs at most {DENSITY_MATRIX_MAX_QUBITS} qubits with a noise "
                f"model and shots=None, got a {circuit.n_qubits}-qubit circuit; pass shots=..."
            )

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        compiled = self.compiled(circuit)
        values = parameter_array(compiled, inputs, weights)
        batch = inputs.shape[0]
        if self.shots is None:
            result = self._estimator.run([estimator_pub(compiled, values)]).result()
            return estimator_expectations(result[0], batch)
        result = self._sampler.run([sampler_pub(compiled, values, self.shots)]).result()
        return sampler_expectations(result[0], circuit, batch)

    def compiled(self, circuit: Circuit) -> CompiledCircuit:
        """The Qiskit circuits this backend runs for ``circuit`` (transpiled when noisy)."""
        if self.noise_model is None:
            return compile_circuit(circuit)  # Aer runs rx, ry, rz, h and cx as they are
        target = self.device if self.device is not None else self._noisy_simulator
        return transpile_for(circuit, target, self.optimization_level, self.cache_dir)

    @cached_property
    def _noisy_simulator(self) -> BackendV2:
        """An ``AerSimulator`` whose target is the noise model's basis gates (no coupling map,
        so transpiling to it translates gates without adding qubits)."""
        from qiskit_aer import AerSimulator

        return AerSimulator(noise_model=self.noise_model)

    @cached_property
    def _estimator(self) -> Any:
        from qiskit_aer.primitives import EstimatorV2

        # precision 0: exact values. A density matrix makes noisy values exact too.
        method = "statevector" if self.noise_model is None else "density_matrix"
        backend_options: dict[str, Any] = {"method": method, "noise_model": self.noise_model}
        return EstimatorV2(options={"default_precision": 0.0, "backend_options": backend_options})

    @cached_property
    def _sampler(self) -> Any:
        from qiskit_aer.primitives import SamplerV2

        return SamplerV2(
            seed=self.seed, options={"backend_options": {"noise_model": self.noise_model}}
        )

    def __repr__(self) -> str:
        mode = "exact" if self.shots is None else f"{self.shots} shots"
        noise = "" if self.noise_model is None else ", noisy"
        device = "" if self.device is None else f" ({self.device.name})"
        return (
            f"<qrkt backend {self.name!r} ({mode}{noise}{device}): {self.capabilities.summary()}>"
        )


def require_aer() -> None:
    """Raise :class:`MissingDependencyError` naming the fix unless Qiskit and Aer import."""
    require("the qiskit_aer backend", ["qiskit", "qiskit_aer"], "qiskit")


def fake_ibm_device(name: str) -> BackendV2:
    """The fake IBM device ``name`` (e.g. ``"fake_manila"``) from qiskit-ibm-runtime.

    Tries the class the name implies (``FakeManilaV2``) before loading every fake device,
    which takes seconds.
    """
    try:
        from qiskit_ibm_runtime import fake_provider
    except ImportError as err:
        raise MissingDependencyError(
            f"fake_device={name!r} needs qiskit-ibm-runtime, which is not installed ({err}); "
            f"install it with {install_command('ibm')}"
        ) from err
    if not isinstance(name, str):
        raise BackendInputError(f"fake_device must be a name like 'fake_manila', got {name!r}")
    stem = "Fake" + "".join(part.capitalize() for part in name.removeprefix("fake_").split("_"))
    for class_name in (f"{stem}V2", stem):
        device_class = getattr(fake_provider, class_name, None)
        if device_class is not None and (device := device_class()).name == name:
            return device
    with warnings.catch_warnings():  # some fake devices warn that their numbers are made up
        warnings.simplefilter("ignore", UserWarning)
        provider = fake_provider.FakeProviderForBackendV2()
    devices = {device.name: device for device in provider.backends()}
    if name not in devices:
        raise UnknownNameError(f"unknown fake device {name!r}; known: {known_names(devices)}")
    return devices[name]
