"""The backend conformance suite: one table of cases that every backend must pass.

Each case compares a backend with ``reference``: values of every single gate, of both ansätze
over widths, layers and ``tied``, of random circuits and of batch shapes; gradients with
respect to inputs and weights against finite differences of ``reference`` (including a weight
used in two gates); and the documented error of every bad input. A shot-based backend
(``shots_per_circuit > 0``) is held to 5 standard errors of its sampling noise instead of a
precision's tolerance (:func:`shot_tolerances`).

Use :func:`assert_backend_conforms` to check a new backend in one call, or iterate
:func:`conformance_cases` to get one test per case (qrkt's own test suite does this).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.parameter_shift import occurrence_circuit
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import build_ansatz
from qrkt.circuits.ir import (
    GATES,
    Circuit,
    Gate,
    PauliString,
    circuit,
    cnot,
    input_param,
    weight_param,
)
from qrkt.errors import BackendInputError, QrktError, UnsupportedError

# Exact backends agree with reference within these, by the precision they compute in.
VALUE_TOLERANCE = {"complex64": 1e-5, "complex128": 1e-10}
GRADIENT_TOLERANCE = {"complex64": 1e-4, "complex128": 1e-7}
_FINITE_DIFFERENCE_STEP = 1e-6
_STANDARD_ERRORS = 5  # a shot-based result may differ by this many standard errors


@dataclass(frozen=True)
class Case:
    """One conformance check: a name for reports and the function that runs it."""

    name: str
    run: Callable[[Backend], None] = field(repr=False)


def precision(backend: Backend) -> str:
    """The complex precision a backend computes in (``complex128`` unless it says otherwise)."""
    return getattr(backend, "dtype", "complex128")


def conformance_cases(*, seed: int = 0) -> list[Case]:
    """Every case of the suite, in a stable order."""
    cases = [_values_case(f"gate-{name}", c) for name, c in _single_gate_circuits()]
    for ansatz in ("qrkt", "cara"):
        for n in (1, 2, 3, 6, 12):
            for layers in (1, 2):
                for tied in (True, False) if ansatz == "qrkt" else (True,):
                    label = f"ansatz-{ansatz}-n{n}-L{layers}-{'tied' if tied else 'untied'}"
                    cases.append(_values_case(label, build_ansatz(ansatz, n, layers, tied=tied)))
    rng = np.random.default_rng(seed)
    for index in range(6):
        cases.append(_values_case(f"random-{index}", random_circuit(rng, n_qubits=1 + index % 5)))
    cases += [
        _values_case("batch-1", build_ansatz("qrkt", 4), batch=1),
        _values_case("batch-1024", build_ansatz("qrkt", 4), batch=1024),
        _gradient_case("gradient-qrkt-n3-L2-tied", build_ansatz("qrkt", 3, 2, tied=True)),
        _gradient_case("gradient-cara-n4", build_ansatz("cara", 4)),
        _gradient_case("gradient-random", random_circuit(np.random.default_rng(seed + 1), 3)),
        _gradient_case("gradient-shared-weight", _shared_weight_circuit()),
    ]
    cases += [Case(f"error-{name}", check) for name, check in _error_checks()]
    return cases


def assert_backend_conforms(backend: str | Backend, **options: object) -> None:
    """Run every case on ``backend`` (a name with ``options``, or an instance).

    Raises:
      AssertionError: listing every failing case and why.
    """
    from qrkt.backends.registry import get_backend

    instance = get_backend(backend, **options) if isinstance(backend, str) else backend
    failures = []
    for case in conformance_cases():
        try:
            case.run(instance)
        except AssertionError as error:
            failures.append(f"{case.name}: {error}")
    if failures:
        raise AssertionError(
            f"{instance.name} fails {len(failures)} case(s):\n" + "\n".join(failures)
        )


def random_circuit(rng: np.random.Generator, n_qubits: int, n_gates: int = 24) -> Circuit:
    """A random circuit over the whole gate set, with input, weight and constant angles and a
    Z-product observable besides the per-qubit ones."""
    gates: list[Gate] = []
    names = sorted(GATES) if n_qubits > 1 else sorted(n for n in GATES if n != "cnot")
    for _ in range(n_gates):
        name = str(rng.choice(names))
        if name == "cnot":
            control, target = rng.choice(n_qubits, size=2, replace=False)
            gates.append(cnot(int(control), int(target)))
            continue
        qubit = int(rng.integers(n_qubits))
        if name == "h":
            gates.append(Gate("h", (qubit,)))
            continue
        kind = rng.integers(3)
        angle = (
            (input_param, weight_param)[kind](int(rng.integers(3)))
            if kind < 2
            else float(rng.uniform(-4, 4))
        )
        gates.append(Gate(name, (qubit,), angle))
    observables = [PauliString(((q, "Z"),)) for q in range(n_qubits)]
    if n_qubits > 1:
        observables.append(PauliString(((0, "Z"), (n_qubits - 1, "Z"))))
    return circuit(n_qubits, gates, n_inputs=3, n_weights=3, observables=observables)


def sample_arguments(c: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(batch, n_inputs)`` and weights ``(n_weights,)`` drawn uniformly from [-pi, pi]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)), rng.uniform(-np.pi, np.pi, c.n_weights)


def gradients(
    backend: Backend, c: Circuit, inputs: np.ndarray, weights: np.ndarray, cotangent: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``cotangent . d<O>/d(inputs, weights)`` through the backend's own differentiation."""
    import jax
    import jax.numpy as jnp

    from qrkt.backends.bridge import expectation_function

    real = np.float64 if precision(backend) == "complex128" else np.float32
    with _x64_if(real is np.float64):
        function = expectation_function(backend, c)

        def loss(x, w):
            return jnp.sum(function(x, w) * cotangent.astype(real))

        grad = jax.jit(jax.grad(loss, argnums=(0, 1)))(inputs.astype(real), weights.astype(real))
        return np.asarray(grad[0], np.float64), np.asarray(grad[1], np.float64)


def finite_difference_gradients(
    c: Circuit, inputs: np.ndarray, weights: np.ndarray, cotangent: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Central finite differences of ``reference``, one input or weight at a time."""
    reference = ReferenceBackend()

    def loss(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.sum(reference.run(c, x, w) * cotangent, axis=1)  # per sample

    step = _FINITE_DIFFERENCE_STEP
    grad_x = np.zeros_like(inputs)
    for j in range(inputs.shape[1]):
        shift = np.zeros_like(inputs)
        shift[:, j] = step
        grad_x[:, j] = (loss(inputs + shift, weights) - loss(inputs - shift, weights)) / (2 * step)
    grad_w = np.zeros_like(weights)
    for j in range(weights.shape[0]):
        shift = np.zeros_like(weights)
        shift[j] = step
        grad_w[j] = np.sum(loss(inputs, weights + shift) - loss(inputs, weights - shift)) / (
            2 * step
        )
    return grad_x, grad_w


# --- cases ------------------------------------------------------------------------------------


def _values_case(name: str, c: Circuit, batch: int = 7) -> Case:
    def run(backend: Backend) -> None:
        inputs, weights = sample_arguments(c, batch)
        expected = ReferenceBackend().run(c, inputs, weights)
        actual = backend.run(c, inputs, weights)
        assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
        shots = backend.shots_per_circuit
        tolerance = (
            _STANDARD_ERRORS / math.sqrt(shots) if shots else VALUE_TOLERANCE[precision(backend)]
        )
        _assert_close(actual, expected, tolerance, "values")

    return Case(name, run)


def _gradient_case(name: str, c: Circuit) -> Case:
    def run(backend: Backend) -> None:
        inputs, weights = sample_arguments(c, batch=3, seed=1)
        cotangent = np.random.default_rng(2).normal(size=(3, c.n_observables))
        actual = gradients(backend, c, inputs, weights, cotangent)
        expected = finite_difference_gradients(c, inputs, weights, cotangent)
        exact = GRADIENT_TOLERANCE[precision(backend)]
        shots = backend.shots_per_circuit
        tolerances = shot_tolerances(c, cotangent, shots) if shots else (exact, exact)
        _assert_close(actual[0], expected[0], tolerances[0], "input gradients")
        _assert_close(actual[1], expected[1], tolerances[1], "weight gradients")

    return Case(name, run)


def shot_tolerances(c: Circuit, cotangent: np.ndarray, shots: int) -> tuple[np.ndarray, np.ndarray]:
    """Tolerances of parameter-shift gradients from ``shots`` samples per parameter set.

    One occurrence's term for sample ``b`` is ``sum_o cot[b, o] (v+ - v-) / 2`` with each
    ``<O>`` a mean of +-1 values over ``shots``: its variance is at most
    ``(sum_o |cot[b, o]|)**2 / (2 shots)``. Terms of distinct shifted points are independent,
    so a gradient entry's variance is at most the sum over its occurrences (and, for a weight,
    over samples). Returns 5 standard errors per input and per weight.
    """
    expanded = occurrence_circuit(c)
    per_sample = np.abs(cotangent).sum(axis=1) ** 2 / (2 * shots)  # (B,)
    inputs = np.bincount(expanded.indices[expanded.is_input], minlength=c.n_inputs)
    weights = np.bincount(expanded.indices[~expanded.is_input], minlength=c.n_weights)
    return (
        _STANDARD_ERRORS * np.sqrt(per_sample[:, None] * inputs[None, :]),
        _STANDARD_ERRORS * np.sqrt(weights * per_sample.sum()),
    )


def _single_gate_circuits() -> Iterator[tuple[str, Circuit]]:
    """Each gate after a generic state preparation, so no gate acts on a trivial state."""
    prepare = [
        Gate("ry", (0,), 0.7),
        Gate("rx", (1,), -1.1),
        Gate("rz", (0,), 0.3),
        Gate("ry", (1,), 2.1),
    ]
    for angle_name, angle in (
        ("input", input_param(0)),
        ("weight", weight_param(0)),
        ("constant", 0.9),
    ):
        for name in ("rx", "ry", "rz"):
            for qubit in (0, 1):
                gate = Gate(name, (qubit,), angle)
                yield (
                    f"{name}-q{qubit}-{angle_name}",
                    circuit(2, [*prepare, gate], n_inputs=1, n_weights=1),
                )
    for qubit in (0, 1):
        yield f"h-q{qubit}", circuit(2, [*prepare, Gate("h", (qubit,))], n_inputs=1, n_weights=1)
    for control, target in ((0, 1), (1, 0)):
        yield (
            f"cnot-{control}{target}",
            circuit(2, [*prepare, cnot(control, target)], n_inputs=1, n_weights=1),
        )
    yield (
        "cnot-02-of-3",
        circuit(
            3,
            [Gate("ry", (0,), input_param(0)), Gate("ry", (2,), 0.4), cnot(0, 2)],
            n_inputs=1,
            n_weights=1,
        ),
    )


def _shared_weight_circuit() -> Circuit:
    """Weight 0 drives gates on two qubits and on both sides of an entangler."""
    w0 = weight_param(0)
    gates = [
        Gate("ry", (0,), input_param(0)),
        Gate("ry", (1,), input_param(1)),
        Gate("rx", (0,), w0),
        Gate("rz", (0,), w0),
        cnot(0, 1),
        Gate("rx", (1,), w0),
        Gate("ry", (0,), weight_param(1)),
        cnot(1, 0),
    ]
    return circuit(2, gates)


def _error_checks() -> Iterator[tuple[str, Callable[[Backend], None]]]:
    c = build_ansatz("qrkt", 3)
    inputs, weights = sample_arguments(c, batch=2)

    def expect(
        error: type[QrktError], fragment: str, *arguments: object
    ) -> Callable[[Backend], None]:
        def check(backend: Backend) -> None:
            try:
                backend.run(*arguments)
            except error as raised:
                assert fragment in str(raised), f"message {str(raised)!r} lacks {fragment!r}"
            except Exception as raised:
                raise AssertionError(f"raised {type(raised).__name__}: {raised}") from raised
            else:
                raise AssertionError(f"accepted bad input, expected {error.__name__}")

        return check

    nan_inputs = inputs.copy()
    nan_inputs[1, 2] = np.nan
    yield (
        "inputs-shape",
        expect(BackendInputError, "inputs must have shape (batch, 3)", c, inputs[:, :2], weights),
    )
    yield (
        "inputs-1d",
        expect(BackendInputError, "inputs must have shape (batch, 3)", c, inputs[0], weights),
    )
    yield (
        "weights-shape",
        expect(BackendInputError, "weights must have shape (3,)", c, inputs, weights[:2]),
    )
    yield "inputs-nan", expect(BackendInputError, "inputs must be finite", c, nan_inputs, weights)
    yield (
        "inputs-complex",
        expect(BackendInputError, "must be real numbers", c, inputs + 1j, weights),
    )
    yield (
        "not-a-circuit",
        expect(BackendInputError, "expected a qrkt Circuit", "qrkt", inputs, weights),
    )

    def too_wide(backend: Backend) -> None:
        wide = build_ansatz("cara", backend.capabilities.max_qubits + 1)
        x, w = sample_arguments(wide, batch=1)
        expect(UnsupportedError, f"at most {backend.capabilities.max_qubits} qubits", wide, x, w)(
            backend
        )

    yield "too-many-qubits", too_wide


def _assert_close(
    actual: np.ndarray, expected: np.ndarray, tolerance: float | np.ndarray, what: str
) -> None:
    """Within ``tolerance``: a number, or one per entry."""
    errors = np.abs(np.asarray(actual) - expected)
    bounds = np.broadcast_to(tolerance, errors.shape)
    if np.any(errors > bounds):
        worst = np.unravel_index(np.argmax(errors - bounds), errors.shape)
        raise AssertionError(
            f"{what} differ from reference by {errors[worst]:.3g} > {bounds[worst]:g}"
        )


def _x64_if(enabled: bool) -> contextlib.AbstractContextManager[object]:
    if not enabled:
        return contextlib.nullcontext()
    import jax

    return jax.experimental.enable_x64()


__all__ = [
    "Case",
    "assert_backend_conforms",
    "conformance_cases",
    "finite_difference_gradients",
    "gradients",
    "random_circuit",
    "sample_arguments",
    "shot_tolerances",
]
