"""The backend contract: what every backend declares, validates, computes and counts.

A backend maps a circuit, a batch of inputs ``(B, n_inputs)`` and weights ``(n_weights,)`` to
the observables' expectation values ``(B, n_observables)`` (``<Z_0> ... <Z_{n-1}>`` for the
ansätze), in qubit order on every backend. :meth:`Backend.run` is the host entry point: it
validates before spending any compute, runs, and counts what it ran.

Backends that JAX can trace (:class:`JaxBackend`) also hand out a pure function for use inside
``jax.jit`` and ``jax.grad``; the others are differentiated through :meth:`Backend.vjp`, the
parameter-shift rule unless the backend brings gradients of its own.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qrkt.backends.hardware import CallRecord, CircuitStatistics, Cost, Pricing
from qrkt.backends.parameter_shift import parameter_shift_vjp
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import require
from qrkt.errors import MAX_SEED, BackendInputError, UnsupportedError, is_integer

if TYPE_CHECKING:
    import jax

ExpectationFn = Callable[["jax.Array", "jax.Array"], "jax.Array"]

DENSITY_MATRIX_MAX_QUBITS = 12
"""The widest circuit a backend simulates as a density matrix (4^12 entries take 256 MiB)."""


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do.

    Attributes:
      autodiff: JAX can trace it, so gradients come from autodiff; otherwise from the
        parameter-shift rule on the host.
      exact: it can return exact expectation values.
      shots: it can estimate expectation values from a finite number of shots.
      noise: it can simulate noise.
      max_qubits: the widest circuit it accepts.
    """

    autodiff: bool
    exact: bool
    shots: bool
    noise: bool
    max_qubits: int

    def summary(self) -> str:
        flags = [k for k, v in asdict(self).items() if v is True]
        return ", ".join([*flags, f"max {self.max_qubits} qubits"])


@dataclass(frozen=True)
class BackendOption:
    """An option of a backend's constructor that the ``qrkt`` command offers as a flag.

    Attributes:
      name: the constructor's keyword; the flag is ``--`` and the name with dashes
        (``resilience_level``: ``--resilience-level``).
      type: turns the flag's text into the value (``int``, ``float``, ``str`` or a function).
      metavar: names the value in the help (``N``, ``NAME``).
      help: what the option does, with its default.
    """

    name: str
    type: Callable[[str], object]
    metavar: str
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ConformanceVariant:
    """A configuration the conformance suite (:mod:`qrkt.testing`) runs a backend in: its
    options, and the modules it needs beyond the backend's own (a device's provider), without
    which it is skipped."""

    options: dict[str, object] = field(default_factory=dict)
    requires: tuple[str, ...] = ()


@dataclass
class ExecutionCounts:
    """What a backend ran through :meth:`Backend.run`: calls, circuit executions, shots.

    ``circuits`` counts one execution per parameter set (a batch of B samples is B
    circuits). ``shots`` is 0 for exact runs. ``last`` is what the latest call ran: its cost,
    job ids and billed usage (see :mod:`qrkt.backends.hardware`).
    """

    calls: int = 0
    circuits: int = 0
    shots: int = 0
    last: CallRecord = field(default_factory=CallRecord)

    def record(self, *, circuits: int, shots: int = 0) -> None:
        self.calls += 1
        self.circuits += circuits
        self.shots += shots

    def reset(self) -> None:
        self.calls = self.circuits = self.shots = 0
        self.last = CallRecord()


class Backend(abc.ABC):
    """A quantum backend. Subclasses set ``name`` and ``capabilities`` and implement ``_run``.

    The hardware part of the contract (:mod:`qrkt.backends.hardware`) has defaults for
    simulators, which device backends override: :meth:`estimate` prices a call before it runs,
    :meth:`circuit_statistics` describes a circuit as the device runs it, ``pricing`` says how
    the vendor bills, ``counts.last`` records what the latest call ran (job ids, usage; set by
    ``_run`` where ``records_calls``), and
    :meth:`close` releases what the backend holds open.
    """

    name: ClassVar[str]
    capabilities: Capabilities
    pricing: Pricing | None = None
    records_calls: ClassVar[bool] = False
    """Whether ``_run`` sets ``counts.last`` itself (a device backend: the jobs it really ran);
    otherwise :meth:`run` records :meth:`estimate` of the call."""
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {"": ConformanceVariant()}
    """The configurations the conformance suite runs, by label: the default options alone,
    unless a backend names its own (both precisions, shot-based sampling, a local device).
    Noisy ones do not belong here: noise moves values away from ``reference`` by design."""
    cli_options: ClassVar[tuple[BackendOption, ...]] = ()
    """The constructor's options that ``qrkt evaluate``, ``predict`` and ``evaluate-gan`` offer
    as flags with ``--backend NAME``; ``--shots`` and ``--seed`` are offered for every backend,
    and ``--option KEY=VALUE`` passes any option."""

    def __init__(self) -> None:
        self.counts = ExecutionCounts()

    @classmethod
    def import_dependencies(cls, feature: str, modules: Sequence[str], extra: str) -> None:
        """Import ``modules``, or raise :class:`MissingDependencyError` naming ``extra``.

        The registry calls this before it builds the backend; a backend whose SDK needs the
        process prepared before the SDK is first imported (TensorFlow Quantum) overrides it.
        """
        require(feature, modules, extra)

    def run(self, circuit: Circuit, inputs: object, weights: object) -> np.ndarray:
        """Expectation values ``(B, n_observables)`` as float64, for inputs ``(B, n_inputs)``
        and weights ``(n_weights,)``."""
        x, w = self.validate(circuit, inputs, weights)
        values = np.asarray(self._run(circuit, x, w), dtype=np.float64)
        if not self.records_calls:
            self.counts.last = CallRecord(self.estimate(circuit, x.shape[0]))
        self.counts.record(circuits=x.shape[0], shots=x.shape[0] * self.shots_per_circuit)
        return values

    def estimate(self, circuit: Circuit, rows: int) -> Cost:
        """What one call with ``rows`` parameter sets would cost; nothing runs.

        Fails as :meth:`run` would where the backend cannot run ``circuit``. A simulator's call
        is one local job; device backends add their service's jobs, executions, QPU time and
        price.
        """
        self.check_circuit(circuit)
        if not is_integer(rows) or rows < 1:
            raise BackendInputError(f"rows must be an integer >= 1, got {rows!r}")
        shots = rows * self.shots_per_circuit
        return Cost(
            calls=1, jobs=1, round_trips=1, parameter_sets=rows, executions=rows, shots=shots
        )

    def circuit_statistics(self, circuit: Circuit) -> CircuitStatistics | None:
        """``circuit`` as the device runs it (depth, two-qubit gates, duration, regions);
        ``None`` for a simulator, which runs the circuit as it is."""
        self.check_circuit(circuit)
        return None

    def close(self) -> None:  # noqa: B027  (optional hook: simulators hold nothing open)
        """Release what the backend holds open, such as a device session."""

    def run_layer(
        self, layer: str | None, circuit: Circuit, inputs: object, weights: object
    ) -> np.ndarray:
        """:meth:`run`, for a call from a model's quantum layer named ``layer`` (its module path).

        Backends ignore the name; wrappers that record or replay a model's calls
        (:class:`~qrkt.training.layer_calls.LayerCallRecorder`) use it.
        """
        return self.run(circuit, inputs, weights)

    @property
    def shots_per_circuit(self) -> int:
        """Shots spent on one parameter set; 0 for exact backends."""
        return 0

    def validate(
        self, circuit: Circuit, inputs: object, weights: object
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check a call before any compute; return inputs and weights as float64 arrays."""
        self.check_circuit(circuit)
        x = _as_real_array("inputs", inputs)
        w = _as_real_array("weights", weights)
        check_shapes(circuit, x.shape, w.shape)
        for label, array in (("inputs", x), ("weights", w)):
            if not np.all(np.isfinite(array)):
                bad = np.argwhere(~np.isfinite(array))[0]
                raise BackendInputError(
                    f"{label} must be finite, got {array[tuple(bad)]!r} at index {tuple(bad)}; "
                    "check the data or the model for NaN or infinity"
                )
        return x, w

    def vjp(
        self, circuit: Circuit, inputs: object, weights: object, cotangent: object
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vector-Jacobian product ``(cotangent . d<O>/dinputs, cotangent . d<O>/dweights)``.

        Args:
          circuit: the circuit; inputs ``(B, n_inputs)``, weights ``(n_weights,)``.
          cotangent: ``(B, n_observables)``, the gradient of a scalar loss w.r.t. the outputs.

        Returns:
          float64 gradients with the shapes of ``inputs`` and ``weights``.
        """
        x, w = self.validate(circuit, inputs, weights)
        cot = _as_real_array("cotangent", cotangent)
        if cot.shape != (x.shape[0], circuit.n_observables):
            raise BackendInputError(
                f"cotangent must have shape ({x.shape[0]}, {circuit.n_observables}), one entry "
                f"per sample and observable, got shape {cot.shape}"
            )
        return self._vjp(circuit, x, w, cot)

    def _vjp(
        self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray, cotangent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The parameter-shift rule, all shifted points in one :meth:`run`; a backend with
        gradients of its own overrides this."""
        return parameter_shift_vjp(self, circuit, inputs, weights, cotangent)

    def check_circuit(self, circuit: Circuit) -> None:
        """Raise unless this backend can run ``circuit``."""
        if not isinstance(circuit, Circuit):
            raise BackendInputError(
                f"expected a qrkt Circuit, got {type(circuit).__name__}; build one with "
                "qrkt.circuits.build_ansatz(...) or qrkt.circuits.circuit(...)"
            )
        if circuit.n_qubits > self.capabilities.max_qubits:
            raise UnsupportedError(
                f"backend {self.name!r} runs at most {self.capabilities.max_qubits} qubits, got a "
                f"{circuit.n_qubits}-qubit circuit; use fewer qubits or another backend"
            )

    @abc.abstractmethod
    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Compute expectation values for validated float64 inputs and weights."""

    def __repr__(self) -> str:
        return f"<qrkt backend {self.name!r}: {self.capabilities.summary()}>"


class JaxBackend(Backend):
    """A backend that JAX can trace: it hands out a pure, jit-able, differentiable function.

    ``dtype`` is the complex precision it simulates in, ``"complex64"`` or ``"complex128"``.
    """

    @abc.abstractmethod
    def expectation_fn(self, circuit: Circuit) -> ExpectationFn:
        """A pure JAX function ``(inputs (B, n_inputs), weights (n_weights,)) -> (B, n_obs)``.

        Shapes are checked when it is traced; values cannot be checked inside ``jit``.
        """

    DTYPES: ClassVar[tuple[str, ...]] = ("complex64", "complex128")
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption("dtype", str, "DTYPE", "complex64 (the default) or complex128"),
    )

    def __init__(self, dtype: str = "complex64") -> None:
        super().__init__()
        check_dtype(self.name, dtype, self.DTYPES, "complex64 is the default")
        self.dtype = dtype

    def check_precision(self) -> None:
        """Raise inside a trace if ``complex128`` is asked for while 64-bit JAX is off."""
        import jax

        if self.dtype == "complex128" and not jax.config.jax_enable_x64:
            raise UnsupportedError(
                f"backend {self.name!r} with dtype='complex128' needs 64-bit JAX, which is off; "
                "call jax.config.update('jax_enable_x64', True) at start-up, or use "
                "dtype='complex64'"
            )

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Run the jitted function; ``complex128`` in a scope of 64-bit JAX that ends here."""
        import jax

        if self.dtype == "complex128":
            with jax.experimental.enable_x64():
                return np.asarray(self.jitted(circuit)(inputs, weights))
        return np.asarray(
            self.jitted(circuit)(inputs.astype(np.float32), weights.astype(np.float32))
        )

    def jitted(self, circuit: Circuit) -> ExpectationFn:
        """``jax.jit`` of :meth:`expectation_fn`, one per circuit: traced once per input shape
        however many layers of a model call it (XLA inlines it into the model's program)."""
        import jax

        cache: dict[Circuit, ExpectationFn] = self.__dict__.setdefault("_jitted", {})
        if circuit not in cache:
            cache[circuit] = jax.jit(self.expectation_fn(circuit))
        return cache[circuit]


def check_shapes(
    circuit: Circuit, inputs_shape: tuple[int, ...], weights_shape: tuple[int, ...]
) -> None:
    """Raise a :class:`BackendInputError` unless the shapes fit ``circuit``."""
    if len(inputs_shape) != 2 or inputs_shape[1] != circuit.n_inputs or inputs_shape[0] < 1:
        raise BackendInputError(
            f"inputs must have shape (batch, {circuit.n_inputs}) with batch >= 1 for this "
            f"circuit, got shape {tuple(inputs_shape)}; reshape a single sample with x[None, :]"
        )
    if tuple(weights_shape) != (circuit.n_weights,):
        raise BackendInputError(
            f"weights must have shape ({circuit.n_weights},) for this circuit, got shape "
            f"{tuple(weights_shape)}; weights are shared by the whole batch"
        )


def check_dtype(backend: str, dtype: object, accepted: tuple[str, ...], note: str) -> None:
    """Raise a :class:`BackendInputError` unless ``dtype`` is one of ``accepted``."""
    if dtype not in accepted:
        raise BackendInputError(
            f"backend {backend!r} got dtype={dtype!r}; accepted: {', '.join(accepted)} ({note})"
        )


def check_shots(shots: object, *, maximum: int, limit: str) -> None:
    """Raise a :class:`BackendInputError` unless ``shots`` is None or an integer from 1 to
    ``maximum``, the most one parameter set of the backend can take; ``limit`` says why."""
    if shots is not None and not (is_integer(shots) and 1 <= shots <= maximum):  # type: ignore[operator]
        raise BackendInputError(
            f"shots must be an integer from 1 to {maximum} ({limit}), or None for exact "
            f"values, got {shots!r}; use fewer shots"
        )


def check_seed(seed: object) -> None:
    """Raise a :class:`BackendInputError` unless ``seed`` is None or an integer from 0 to
    :data:`~qrkt.errors.MAX_SEED`."""
    if seed is not None and not (is_integer(seed) and 0 <= seed <= MAX_SEED):  # type: ignore[operator]
        raise BackendInputError(
            f"seed must be an integer or None, got {seed!r}; give a seed from 0 to {MAX_SEED}"
        )


def _as_real_array(label: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise BackendInputError(
            f"{label} must be real numbers, got an array of dtype {array.dtype}; "
            "pass a float array (angles in radians)"
        )
    return array.astype(np.float64, copy=False)
