"""Backend-specific tests of ``qiskit_aer``: bit order, real shot noise, seeds, one primitive
call per run, noise in the right direction, binding by slot, and training through the bridge.
The conformance suite (tests/testing) checks exact values and gradients against reference."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

import jax
import jax.numpy as jnp
import optax
import qiskit_aer.primitives
from qiskit.primitives.containers import BindingsArray
from qiskit_aer.noise import NoiseModel, depolarizing_error

from qrkt.backends import qiskit_compile
from qrkt.backends.bridge import expectation_function
from qrkt.backends.qiskit_aer import QiskitAerBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.backends.registry import get_backend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import Circuit, circuit, cnot, input_param, rx, ry, rz, weight_param
from qrkt.errors import (
    BackendInputError,
    MissingDependencyError,
    UnknownNameError,
    UnsupportedError,
)
from qrkt.layers import CircuitLayer
from tests.backends.host_circuits import ANSATZ, FLIP, NEAR_IDENTITY

REFERENCE = ReferenceBackend()


def _arguments(c: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)), rng.uniform(-np.pi, np.pi, c.n_weights)


@pytest.fixture
def primitive_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[int, ...]]]:
    """Every Aer primitive ``run``: the primitive's name and each PUB's parameter shape."""
    calls: list[tuple[str, tuple[int, ...]]] = []

    def counting(cls: type) -> Callable[..., object]:
        original = cls.run

        def run(self: object, pubs: list, **kwargs: object) -> object:
            for pub in pubs:
                bindings = next(p for p in pub if isinstance(p, BindingsArray))
                calls.append((cls.__name__, bindings.shape))
            return original(self, pubs, **kwargs)

        return run

    for cls in (qiskit_aer.primitives.EstimatorV2, qiskit_aer.primitives.SamplerV2):
        monkeypatch.setattr(cls, "run", counting(cls))
    return calls


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    yield
    qiskit_compile.clear_caches()


# --- modes, bit order, shot noise -------------------------------------------------------------


@pytest.mark.parametrize("shots", [None, 100])
def test_x_on_qubit_zero_reads_minus_one_on_z_zero(shots: int | None) -> None:
    values = QiskitAerBackend(shots=shots, seed=0).run(FLIP, np.full((4, 1), np.pi), [0.0])
    np.testing.assert_allclose(values, [[-1.0, 1.0, 1.0]] * 4, atol=1e-12)


def test_shot_estimates_have_real_sampling_noise_within_the_shot_tolerance() -> None:
    shots = 2000
    x, w = _arguments(ANSATZ, batch=8)
    exact = REFERENCE.run(ANSATZ, x, w)
    sampled = QiskitAerBackend(shots=shots, seed=3).run(ANSATZ, x, w)
    tolerance = 5 * np.sqrt((1 - exact**2) / shots) + 1e-9
    assert np.all(np.abs(sampled - exact) <= tolerance)
    assert not np.allclose(sampled, exact, atol=1e-6)  # sampled, not exact plus nothing
    assert np.allclose(sampled * shots, np.round(sampled * shots))  # (+1 count - -1 count) / shots


def test_same_seed_same_results_other_seed_other_results() -> None:
    x, w = _arguments(ANSATZ, batch=4)
    first = QiskitAerBackend(shots=200, seed=11)
    again = QiskitAerBackend(shots=200, seed=11)
    np.testing.assert_array_equal(first.run(ANSATZ, x, w), again.run(ANSATZ, x, w))
    np.testing.assert_array_equal(first.run(ANSATZ, x, w), first.run(ANSATZ, x, w))
    other = QiskitAerBackend(shots=200, seed=12).run(ANSATZ, x, w)
    assert not np.array_equal(first.run(ANSATZ, x, w), other)


def test_exact_mode_agrees_with_reference() -> None:
    x, w = _arguments(ANSATZ, batch=5)
    values = QiskitAerBackend().run(ANSATZ, x, w)
    np.testing.assert_allclose(values, REFERENCE.run(ANSATZ, x, w), atol=1e-10)


# --- one primitive call per run ---------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 64])
@pytest.mark.parametrize(("shots", "primitive"), [(None, "EstimatorV2"), (50, "SamplerV2")])
def test_one_run_is_one_primitive_call_with_the_whole_batch(
    primitive_calls: list, batch: int, shots: int | None, primitive: str
) -> None:
    backend = QiskitAerBackend(shots=shots, seed=0)
    backend.run(ANSATZ, *_arguments(ANSATZ, batch))
    expected_shape = (batch, 1) if shots is None else (batch,)  # (B, 1): against the observables
    assert primitive_calls == [(primitive, expected_shape)]
    assert (backend.counts.calls, backend.counts.circuits) == (1, batch)
    assert backend.counts.shots == batch * (shots or 0)


def test_a_parameter_shift_gradient_is_one_primitive_call(primitive_calls: list) -> None:
    backend = QiskitAerBackend()
    x, w = _arguments(ANSATZ, batch=16)
    f = expectation_function(backend, ANSATZ)
    jax.jit(jax.grad(lambda x, w: f(x, w).sum(), argnums=(0, 1)))(x, w)
    occurrences = sum(1 for _ in ANSATZ.params())
    # jit drops the unused forward callback: only the 2 K B shifted points run, in one call
    assert primitive_calls == [("EstimatorV2", (16 * 2 * occurrences, 1))]


# --- noise ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shots", [None, 4000])
def test_fake_device_noise_shrinks_z_towards_zero(shots: int | None) -> None:
    x, w = np.full((4, 3), 0.1), np.zeros(1)
    exact = REFERENCE.run(NEAR_IDENTITY, x, w)
    backend = QiskitAerBackend(fake_device="fake_manila", shots=shots, seed=5)
    noisy = backend.run(NEAR_IDENTITY, x, w)
    assert backend.compiled(NEAR_IDENTITY).device == "fake_manila"
    if shots is None:  # exact gate noise (density matrix): every |<Z>| shrinks
        assert np.all(np.abs(noisy) < np.abs(exact) - 1e-5)
    else:  # gate and readout noise, far beyond the shot noise (~0.0016 per entry)
        assert np.mean(np.abs(noisy)) < np.mean(np.abs(exact)) - 0.02


def test_a_user_noise_model_applies_after_translation_to_its_basis() -> None:
    noise = NoiseModel()  # basis gates id, rz, sx, cx: the circuit's RY and RX become sx/rz
    noise.add_all_qubit_quantum_error(depolarizing_error(0.02, 1), ["sx"])
    x, w = np.full((2, 3), 0.1), np.zeros(1)
    backend = QiskitAerBackend(noise_model=noise)
    noisy = backend.run(NEAR_IDENTITY, x, w)
    assert "sx" in backend.compiled(NEAR_IDENTITY).sampler_circuit.count_ops()
    assert np.all(np.abs(noisy) < np.abs(REFERENCE.run(NEAR_IDENTITY, x, w)) - 1e-3)


def test_exact_noisy_values_are_limited_to_a_density_matrix_that_fits() -> None:
    backend = QiskitAerBackend(noise_model=NoiseModel())
    wide = qrkt_ansatz(13)
    with pytest.raises(UnsupportedError, match="at most 12 qubits with a noise model"):
        backend.run(wide, np.zeros((1, 13)), np.zeros(wide.n_weights))


# --- binding by slot --------------------------------------------------------------------------

# Twelve weights with distinct values: "w10" sorts before "w2" by name.
MANY_WEIGHTS = circuit(
    3,
    [ry(q, input_param(q)) for q in range(3)]
    + [(rx, ry, rz)[i % 3](i % 3, weight_param(i)) for i in range(12)]
    + [cnot(0, 1), cnot(1, 2), rx(2, weight_param(10)), ry(0, weight_param(2))],
)


@pytest.mark.parametrize("transpiled", [False, True])
def test_eleven_or_more_weights_bind_by_slot_not_by_name_order(
    transpiled: bool, tmp_path: object
) -> None:
    x, w = _arguments(MANY_WEIGHTS, batch=3)
    # A noise model without errors still transpiles (and, with cache_dir, round-trips QPY).
    options = {"noise_model": NoiseModel(), "cache_dir": str(tmp_path)} if transpiled else {}
    backend = QiskitAerBackend(**options)  # type: ignore[arg-type]
    for _ in range(2 if transpiled else 1):  # the second pass reads the QPY file
        qiskit_compile.clear_caches()
        values = backend.run(MANY_WEIGHTS, x, w)
        np.testing.assert_allclose(values, REFERENCE.run(MANY_WEIGHTS, x, w), atol=1e-9)


# --- options and dependencies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"shots": 0}, BackendInputError, "shots must be an integer from 1 to .*, or None"),
        ({"shots": 1.5}, BackendInputError, "shots must be an integer"),
        (
            {"shots": 10**12},
            BackendInputError,
            r"from 1 to 10000000 \(Aer keeps every shot's bit string in memory\).*"
            "got 1000000000000; use fewer shots",
        ),
        ({"seed": "a"}, BackendInputError, "seed must be an integer or None"),
        ({"optimization_level": 5}, BackendInputError, "optimization_level must be 0, 1, 2"),
        ({"noise_model": "depolarizing"}, BackendInputError, "must be a qiskit_aer.noise"),
        (
            {"noise_model": NoiseModel(), "fake_device": "fake_manila"},
            BackendInputError,
            "give noise_model or fake_device, not both",
        ),
        ({"fake_device": "fake_nowhere"}, UnknownNameError, "known: .*fake_manila"),
    ],
)
def test_bad_options_are_rejected(options: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        QiskitAerBackend(**options)


def test_missing_aer_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit_aer", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'qrkt\[qiskit\]'"):
        QiskitAerBackend()


def test_importing_the_backend_module_does_not_import_qiskit() -> None:
    code = "import sys, qrkt.backends.qiskit_aer; print('qiskit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_registered_with_its_capabilities() -> None:
    backend = get_backend("qiskit_aer", shots=10)
    assert isinstance(backend, QiskitAerBackend)
    assert backend.shots_per_circuit == 10
    assert get_backend("qiskit_aer").shots_per_circuit == 0
    capabilities = backend.capabilities
    assert (capabilities.autodiff, capabilities.exact, capabilities.shots) == (False, True, True)
    assert capabilities.noise


# --- training through the bridge --------------------------------------------------------------


def test_training_with_parameter_shift_gradients_and_matching_outputs_on_jax() -> None:
    layer = CircuitLayer(width=2, backend="qiskit_aer")
    x = jax.random.uniform(jax.random.PRNGKey(4), (20, 2), minval=-np.pi, maxval=np.pi)
    target = 0.8 * jnp.cos(x) * jnp.array([0.5, -0.7])
    params = jax.jit(layer.init)(jax.random.PRNGKey(5), x)
    optimizer = optax.adam(0.1)
    state = optimizer.init(params)

    def loss(params: dict) -> jax.Array:
        return jnp.mean((layer.apply(params, x) - target) ** 2)

    @jax.jit
    def step(params: dict, state: optax.OptState) -> tuple[dict, optax.OptState]:
        grads = jax.grad(loss)(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    first = float(loss(params))
    for _ in range(8):
        params, state = step(params, state)
    assert float(loss(params)) < 0.5 * first
    on_aer = layer.apply(params, x)
    on_jax = layer.clone(backend="jax").apply(params, x)
    np.testing.assert_allclose(on_aer, on_jax, atol=1e-5)
    pytest.importorskip("qiskit_ibm_runtime")
    on_ibm = layer.clone(backend="ibm_runtime").apply(params, x)  # local mode, 4096 shots
    np.testing.assert_allclose(on_ibm, on_jax, atol=5 / np.sqrt(4096))
