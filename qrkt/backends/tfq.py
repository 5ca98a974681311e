"""``tfq``: the circuit on TensorFlow Quantum (qsim), exact, sampled or noisy, in float32.

Every :meth:`~qrkt.backends.base.Backend.run` is ONE call of a TFQ layer on the whole batch:
the circuit (serialized once per circuit) tiled to the batch, and a ``(B, n_symbols)`` array
of symbol values in the converter's own symbol order (:attr:`CirqCircuit.symbols
<qrkt.circuits.cirq_convert.CirqCircuit.symbols>`; never sorted: ``w10`` sorts before ``w2``).

- Exact (``shots=None``): ``tfq.layers.Expectation``; gradients from TFQ's adjoint
  differentiator by default: one backward sweep, but its gate derivatives are central finite
  differences (step 5e-3) in float32, good to about 1e-4. ``differentiator="parameter_shift"``
  takes TFQ's analytic parameter-shift rule instead: more circuits, within 1e-5.
- Shots: ``tfq.layers.SampledExpectation`` with ``repetitions=shots``; gradients from TFQ's
  parameter-shift differentiator. TFQ's sampling ops take no seed: results vary between calls.
- Noise (``noise=0.01`` or a ``cirq.NoiseModel``, as for the ``cirq`` backend) needs shots:
  TFQ's noiseless ops reject noise channels, and its noisy simulator draws one trajectory
  per repetition (``SampledExpectation(backend="noisy")``).

:meth:`TfqBackend.vjp` is TFQ's own gradient, so inside a JAX model
(:mod:`qrkt.backends.bridge`) the backward pass runs on TFQ too. TFQ computes in float32
(complex64 states), so the backend declares ``dtype = "complex64"``.

TensorFlow is imported once, prepared for TFQ 0.7.6 without touching what the user set:
``TF_USE_LEGACY_KERAS=1`` (TFQ needs Keras 2, ``tf-keras``) and ``TF_CPP_MIN_LOG_LEVEL=3``
unless already set; what native code writes to stderr during the import (CUDA probing) goes
to the debug log; unless TensorFlow is already running, it gets half the CPU cores for its
ops and one thread to schedule them, and no GPU (TFQ runs on the CPU, and TensorFlow would
otherwise reserve GPU memory that JAX needs).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qrkt.backends.base import (
    Backend,
    BackendOption,
    Capabilities,
    ConformanceVariant,
    check_dtype,
    check_shots,
)
from qrkt.backends.cirq_simulator import noise_model
from qrkt.circuits.cirq_convert import CirqCircuit, to_cirq
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import require
from qrkt.errors import BackendInputError, UnsupportedError

if TYPE_CHECKING:
    import cirq
    import tensorflow as tf

logger = logging.getLogger(__name__)

_ENVIRONMENT = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
_TRUE = ("1", "true", "True")  # what TensorFlow reads as TF_USE_LEGACY_KERAS on
_DIFFERENTIATORS = ("adjoint", "parameter_shift")
MAX_SHOTS = 100_000_000
"""The most shots of one parameter set: TFQ takes ``repetitions`` as an int32 (at most
2^31 - 1) and samples every shot before it averages them; 10^8 is a bound chosen below that,
so that one call's samples stay in memory."""


@dataclass(frozen=True, eq=False)
class TfqProgram:
    """An IR circuit as TFQ tensors: ``circuits`` (1,) and ``operators`` (1, n_observables)
    serialized, ``symbol_names`` (n_symbols,) in the order of the symbol values' columns."""

    cirq: CirqCircuit
    circuits: tf.Tensor
    symbol_names: tf.Tensor
    operators: tf.Tensor


class TfqBackend(Backend):
    """Expectation values and their gradients from TensorFlow Quantum.

    Args:
      shots: samples per parameter set; ``None`` for exact expectation values.
      noise: a depolarizing probability in [0, 1] applied to every qubit after every moment,
        or a ``cirq.NoiseModel`` of channels TFQ supports; needs ``shots``.
      seed: not supported (TFQ's sampling ops take none); only ``None`` is accepted.
      dtype: only ``"complex64"``: TFQ simulates in single precision.
      differentiator: ``"adjoint"`` (the default when exact) or ``"parameter_shift"`` (the
        default, and the only choice, with shots).
    """

    name = "tfq"
    cli_options: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "noise",
            float,
            "P",
            "a depolarizing probability on every qubit after every moment; needs --shots",
        ),
        BackendOption(
            "differentiator",
            str,
            "NAME",
            "'adjoint' (the default when exact) or 'parameter_shift' (the one with --shots)",
        ),
    )
    conformance_variants: ClassVar[dict[str, ConformanceVariant]] = {
        "exact": ConformanceVariant(),
        "shots": ConformanceVariant({"shots": 4096}),
    }  # TFQ's sampling has no seed
    capabilities = Capabilities(autodiff=False, exact=True, shots=True, noise=True, max_qubits=20)

    def __init__(
        self,
        shots: int | None = None,
        noise: float | cirq.NoiseModel | None = None,
        seed: None = None,
        dtype: str = "complex64",
        differentiator: str | None = None,
    ) -> None:
        super().__init__()
        check_shots(shots, maximum=MAX_SHOTS, limit="TFQ keeps every sample in memory")
        check_dtype(
            self.name,
            dtype,
            ("complex64",),
            "TFQ simulates in single precision; use the cirq backend for complex128",
        )
        if seed is not None:
            raise UnsupportedError(
                f"backend {self.name!r} got seed={seed!r}, but TensorFlow Quantum's sampling ops "
                "take no seed, so its shots differ from call to call; drop seed, or use the "
                "cirq or qiskit_aer backend for seeded shots"
            )
        if noise is not None and shots is None:
            raise BackendInputError(
                f"backend {self.name!r} got noise={noise!r} with shots=None, but TFQ's noisy "
                "simulator samples one trajectory per shot; pass shots=... (e.g. 1000), or use "
                "the cirq backend for exact noisy values"
            )
        accepted = _DIFFERENTIATORS if shots is None else ("parameter_shift",)
        differentiator = differentiator or accepted[0]
        if differentiator not in accepted:
            raise BackendInputError(
                f"backend {self.name!r} got differentiator={differentiator!r} with "
                f"shots={shots!r}; accepted: 'adjoint' or 'parameter_shift' with shots=None, "
                "only 'parameter_shift' with shots (TFQ's adjoint method needs exact values)"
            )
        self.shots = shots
        self.noise = noise_model(noise)
        self.dtype = dtype
        self.differentiator = differentiator
        tfq = tensorflow_quantum()
        gradient = (
            tfq.differentiators.Adjoint()
            if differentiator == "adjoint"
            else tfq.differentiators.ParameterShift()
        )
        if shots is None:
            self._layer = tfq.layers.Expectation(differentiator=gradient)
        else:
            self._layer = tfq.layers.SampledExpectation(
                backend="noiseless" if self.noise is None else "noisy", differentiator=gradient
            )
        self._programs: dict[Circuit, TfqProgram] = {}

    @classmethod
    def import_dependencies(cls, feature: str, modules: Sequence[str], extra: str) -> None:
        tensorflow_quantum()  # prepares TensorFlow before anything imports it
        super().import_dependencies(feature, modules, extra)

    @property
    def shots_per_circuit(self) -> int:
        return self.shots or 0

    def program(self, circuit: Circuit) -> TfqProgram:
        """The TFQ tensors this backend runs for ``circuit`` (with its noise), built once."""
        if circuit not in self._programs:
            import tensorflow as tf
            import tensorflow_quantum as tfq

            compiled = to_cirq(circuit, self.noise)
            try:
                circuits = tfq.convert_to_tensor([compiled.circuit])
            except (ValueError, TypeError) as error:
                raise UnsupportedError(
                    f"TensorFlow Quantum cannot run this noise model: {error}; build it from "
                    "channels TFQ supports (cirq.depolarize, cirq.asymmetric_depolarize, "
                    "cirq.bit_flip, cirq.phase_flip, cirq.amplitude_damp, cirq.phase_damp), "
                    "or use the cirq backend"
                ) from error
            self._programs[circuit] = TfqProgram(
                compiled,
                circuits,
                tf.constant([str(s) for s in compiled.symbols], dtype=tf.string),
                tfq.convert_to_tensor([list(compiled.observables)]),
            )
        return self._programs[circuit]

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self._expectations(circuit, self._symbol_values(circuit, inputs, weights)).numpy()

    def _vjp(
        self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray, cotangent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """TFQ's own gradient, by the backend's ``differentiator``.

        Counted as one call of the circuits TFQ runs: the forward pass it differentiates (B),
        then the adjoint pass (B) or the shifted circuits its parameter-shift differentiator
        builds (two per symbol and per occurrence of the most used symbol, for every sample).
        """
        import tensorflow as tf

        values = self._symbol_values(circuit, inputs, weights)
        with tf.GradientTape() as tape:
            tape.watch(values)
            expectations = self._expectations(circuit, values)
            loss = tf.reduce_sum(expectations * tf.constant(cotangent, tf.float32))
        grads = np.asarray(tape.gradient(loss, values), dtype=np.float64)
        batch = inputs.shape[0]
        if self.differentiator == "adjoint":
            circuits = 2 * batch
        else:
            most_uses = max(Counter(circuit.params()).values(), default=0)
            circuits = batch * (1 + 2 * (circuit.n_inputs + circuit.n_weights) * most_uses)
        self.counts.record(circuits=circuits, shots=circuits * self.shots_per_circuit)
        return grads[:, : circuit.n_inputs], grads[:, circuit.n_inputs :].sum(axis=0)

    def _symbol_values(
        self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray
    ) -> tf.Tensor:
        import tensorflow as tf

        values = self.program(circuit).cirq.symbol_values(inputs, weights)
        return tf.constant(values, dtype=tf.float32)

    def _expectations(self, circuit: Circuit, values: tf.Tensor) -> tf.Tensor:
        """The layer's ``(B, n_observables)`` expectation values for symbol values ``(B, n)``."""
        import tensorflow as tf

        program = self.program(circuit)
        batch = values.shape[0]
        options = {} if self.shots is None else {"repetitions": self.shots}
        return self._layer(
            tf.tile(program.circuits, [batch]),
            symbol_names=program.symbol_names,
            symbol_values=values,
            operators=tf.tile(program.operators, [batch, 1]),
            **options,
        )

    def __repr__(self) -> str:
        mode = "exact" if self.shots is None else f"{self.shots} shots"
        noise = "" if self.noise is None else ", noisy"
        return (
            f"<qrkt backend {self.name!r} ({mode}{noise}, {self.differentiator}): "
            f"{self.capabilities.summary()}>"
        )


@cache
def tensorflow_quantum() -> ModuleType:
    """``tensorflow_quantum``, imported once with TensorFlow prepared for it (see the module
    docstring), or :class:`MissingDependencyError` naming the fix."""
    for key, value in _ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    legacy = os.environ["TF_USE_LEGACY_KERAS"]
    if legacy not in _TRUE:
        raise UnsupportedError(
            f"TensorFlow Quantum 0.7.6 needs Keras 2 (tf-keras), but the environment sets "
            f"TF_USE_LEGACY_KERAS={legacy!r}; unset it or set it to 1"
        )
    with _native_stderr_to_log():
        require("the tfq backend", ["cirq", "sympy", "tensorflow"], "tfq")
        import tensorflow as tf

        _limit_tensorflow(tf)
        require("the tfq backend", ["tensorflow_quantum"], "tfq")
    import tensorflow_quantum

    return tensorflow_quantum


def _limit_tensorflow(tf: ModuleType) -> None:
    """Half the CPU cores for TensorFlow's ops, one scheduling thread and no GPU, unless the
    user configured them or TensorFlow is running already (then it is theirs)."""
    threading = tf.config.threading
    try:
        if threading.get_intra_op_parallelism_threads() == 0:
            threading.set_intra_op_parallelism_threads(max(1, (os.cpu_count() or 2) // 2))
        if threading.get_inter_op_parallelism_threads() == 0:
            threading.set_inter_op_parallelism_threads(1)
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError as error:  # raised once TensorFlow's runtime is initialized
        logger.debug("TensorFlow is running already; its settings stay as they are (%s)", error)


@contextlib.contextmanager
def _native_stderr_to_log() -> Iterator[None]:
    """Send what is written to file descriptor 2 meanwhile to the debug log: TensorFlow's
    native code writes there on import before its log level applies."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace").strip()
            if text:
                logger.debug("importing TensorFlow wrote to stderr:\n%s", text)
