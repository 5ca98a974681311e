"""Backend-specific tests of ``tfq``: float32 values in slot order, TFQ's own gradients through
the JAX bridge, shots, noise against Cirq's density matrix, options, how TensorFlow is
imported, and a model trained on ``jax`` evaluated on ``tfq`` and ``cirq``. The conformance
suite (tests/testing) checks exact and sampled values and gradients against reference.

TensorFlow is imported once per process; tests share the registry's instances where they can.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qrkt.backends.registry import backend_entry, get_backend

if not backend_entry("tfq").installed:  # checked without importing TensorFlow unprepared
    pytest.skip(backend_entry("tfq").install_command, allow_module_level=True)

import cirq
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from qrkt.backends import parameter_shift
from qrkt.backends.bridge import expectation_function
from qrkt.backends.cirq_simulator import CirqBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.backends.tfq import TfqBackend, tensorflow_quantum
from qrkt.circuits.ansatz import build_ansatz, qrkt_ansatz
from qrkt.errors import BackendInputError, UnsupportedError
from qrkt.layers import CircuitLayer
from qrkt.testing import random_circuit, sample_arguments

REFERENCE = ReferenceBackend()
ANSATZ = qrkt_ansatz(3, 2)


@pytest.fixture
def exact() -> TfqBackend:
    """A fresh exact backend, with counts of its own."""
    return TfqBackend()


def test_exact_values_in_float32_within_1e_5_with_weights_past_w10() -> None:
    c = build_ansatz("qrkt", 6, 2, tied=False)  # 24 weights: bound by slot, not by name order
    x, w = sample_arguments(c, batch=16)
    values = get_backend("tfq").run(c, x, w)
    np.testing.assert_allclose(values, REFERENCE.run(c, x, w), atol=1e-5)
    assert get_backend("tfq").dtype == "complex64"


def test_vjp_is_tfqs_adjoint_gradient_in_one_call(
    exact: TfqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parameter_shift(*args: object) -> None:
        raise AssertionError("the tfq backend used qrkt's parameter-shift rule")

    monkeypatch.setattr(parameter_shift, "parameter_shift_vjp", no_parameter_shift)
    x, w = sample_arguments(ANSATZ, batch=4)
    cotangent = np.random.default_rng(1).normal(size=(4, 3))
    grads = exact.vjp(ANSATZ, x, w, cotangent)
    monkeypatch.undo()
    expected = REFERENCE.vjp(ANSATZ, x, w, cotangent)
    for got, want in zip(grads, expected, strict=True):
        assert got.shape == want.shape and got.dtype == np.float64
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert (exact.counts.calls, exact.counts.circuits, exact.counts.shots) == (1, 8, 0)


def test_the_parameter_shift_differentiator_is_within_1e_5_of_reference() -> None:
    """TFQ's adjoint takes float32 finite differences of its gates (good to about 1e-4, the
    conformance suite's float32 tolerance); its parameter-shift rule is analytic."""
    backend = TfqBackend(differentiator="parameter_shift")
    rng = np.random.default_rng(5)
    for c in (ANSATZ, build_ansatz("cara", 4), random_circuit(rng, 3)):
        x, w = (a.astype(np.float32).astype(np.float64) for a in sample_arguments(c, batch=3))
        cotangent = rng.normal(size=(3, c.n_observables))
        backend.counts.reset()
        grads = backend.vjp(c, x, w, cotangent)
        for got, want in zip(grads, REFERENCE.vjp(c, x, w, cotangent), strict=True):
            np.testing.assert_allclose(got, want, atol=1e-5)
        assert backend.counts.shots == 0 and backend.counts.circuits > 2 * 3


def test_value_and_grad_through_the_bridge_is_one_tfq_call_each_way(exact: TfqBackend) -> None:
    x, w = (a.astype(np.float32) for a in sample_arguments(ANSATZ, batch=3, seed=2))
    f = expectation_function(exact, ANSATZ)
    g = expectation_function(ReferenceBackend(), ANSATZ)  # parameter shift in float64

    def loss(f: object) -> object:
        return jax.jit(jax.value_and_grad(lambda x, w: (f(x, w) ** 2).sum(), argnums=(0, 1)))

    value, grads = loss(f)(x, w)
    value_reference, grads_reference = loss(g)(x, w)
    np.testing.assert_allclose(value, value_reference, atol=1e-5)
    for got, want in zip(grads, grads_reference, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert exact.counts.calls == 2  # forward, then TFQ's gradient


def test_shots_sample_and_vary_between_calls_and_count_tfqs_shifted_circuits() -> None:
    shots = 2000
    backend = TfqBackend(shots=shots)
    x, w = sample_arguments(ANSATZ, batch=6)
    exact = REFERENCE.run(ANSATZ, x, w)
    first, second = backend.run(ANSATZ, x, w), backend.run(ANSATZ, x, w)
    for sampled in (first, second):
        assert np.all(np.abs(sampled - exact) <= 5 * np.sqrt((1 - exact**2) / shots) + 1e-6)
    assert not np.array_equal(first, second)  # TFQ's sampling takes no seed
    backend.counts.reset()
    backend.vjp(ANSATZ, x, w, np.ones((6, 3)))
    # 9 symbols, weights in 2 gates each: 2 x 9 x 2 shifted circuits per sample, and the forward.
    assert backend.counts.circuits == 6 * (1 + 2 * 9 * 2)
    assert backend.counts.shots == backend.counts.circuits * shots


def test_noisy_shots_match_cirqs_exact_density_matrix() -> None:
    shots = 4000
    x, w = sample_arguments(ANSATZ, batch=4)
    noisy = CirqBackend(noise=0.02).run(ANSATZ, x, w)
    assert np.abs(noisy - REFERENCE.run(ANSATZ, x, w)).max() > 0.05
    sampled = TfqBackend(shots=shots, noise=0.02).run(ANSATZ, x, w)
    np.testing.assert_allclose(sampled, noisy, atol=5 / np.sqrt(shots))


def test_a_noise_channel_tfq_cannot_run_is_named() -> None:
    flip = np.array([[0, 1], [1, 0]])
    kraus = cirq.KrausChannel([np.sqrt(0.9) * np.eye(2), np.sqrt(0.1) * flip])
    backend = TfqBackend(shots=10, noise=cirq.ConstantQubitNoiseModel(kraus))
    with pytest.raises(UnsupportedError, match=r"cannot run this noise model: .*KrausChannel"):
        backend.run(ANSATZ, *sample_arguments(ANSATZ, batch=1))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"dtype": "complex128"}, BackendInputError, "accepted: complex64 .*use the cirq backend"),
        ({"shots": 0}, BackendInputError, "shots must be an integer from 1 to"),
        (
            {"shots": 10**12},
            BackendInputError,
            r"from 1 to 100000000 \(TFQ keeps every sample in memory\).*got 1000000000000",
        ),
        ({"shots": 10, "seed": 7}, UnsupportedError, "got seed=7.*take no seed"),
        ({"noise": 0.01}, BackendInputError, "noise=0.01 with shots=None.*pass shots="),
        ({"shots": 10, "noise": -0.1}, BackendInputError, "noise must be a depolarizing"),
        ({"differentiator": "finite"}, BackendInputError, "got differentiator='finite'"),
        ({"shots": 10, "differentiator": "adjoint"}, BackendInputError, "adjoint method needs"),
    ],
)
def test_bad_options_are_rejected(options: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        TfqBackend(**options)


def test_keras_3_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "0")
    with pytest.raises(UnsupportedError, match=r"needs Keras 2.*TF_USE_LEGACY_KERAS='0'"):
        tensorflow_quantum.__wrapped__()


def test_tensorflow_is_prepared_on_import_without_overriding_the_user() -> None:
    """In a fresh process: the backend modules import no SDK; the registry sets what
    TFQ needs before TensorFlow is imported, keeps the user's log level, writes nothing to
    stderr, limits TensorFlow's threads and keeps it off GPUs."""
    code = textwrap.dedent(
        """
        import os, sys
        import qrkt.backends.tfq  # and qrkt.backends.cirq_simulator: no SDK imported
        assert not {"tensorflow", "cirq"} & set(sys.modules)
        from qrkt.backends import get_backend
        from qrkt.circuits import build_ansatz
        get_backend("tfq").run(build_ansatz("qrkt", 2), [[0.1, 0.2]], [0.3, 0.4])
        import tensorflow as tf
        threads = tf.config.threading
        print(os.environ["TF_USE_LEGACY_KERAS"], os.environ["TF_CPP_MIN_LOG_LEVEL"],
              threads.get_intra_op_parallelism_threads(),
              threads.get_inter_op_parallelism_threads(),
              tf.config.get_visible_devices("GPU"), tf.keras.__name__.split(".")[0])
        """
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "2"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    threads = max(1, (os.cpu_count() or 2) // 2)
    assert result.stdout.split() == ["1", "2", str(threads), "1", "[]", "tf_keras"]


def test_registered_with_its_capabilities() -> None:
    backend = get_backend("tfq", shots=10)
    assert isinstance(backend, TfqBackend)
    assert backend.shots_per_circuit == 10
    capabilities = backend.capabilities
    assert (capabilities.autodiff, capabilities.exact, capabilities.shots) == (False, True, True)
    assert capabilities.noise
    assert repr(backend).startswith("<qrkt backend 'tfq' (10 shots, parameter_shift)")
    assert get_backend("tfq").differentiator == "adjoint"


# --- one model, three backends ----------------------------------------------------------------


class _Model(nn.Module):
    """Dense -> a width-4 CircuitLayer -> Dense."""

    backend: str = "jax"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.Dense(4)(x)
        x = CircuitLayer(width=4, backend=self.backend)(x)
        return nn.Dense(2)(x)


def test_a_model_trained_on_jax_gives_the_same_outputs_on_tfq_and_cirq() -> None:
    model = _Model()
    x = jax.random.normal(jax.random.PRNGKey(0), (16, 3))
    target = jnp.stack([jnp.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=1)
    params = jax.jit(model.init)(jax.random.PRNGKey(1), x)

    def loss(params: dict, model: nn.Module = model) -> jax.Array:
        return jnp.mean((model.apply(params, x) - target) ** 2)

    gradient = jax.jit(jax.grad(loss))
    optimizer = optax.adam(0.05)
    state = optimizer.init(params)
    first = float(loss(params))
    for _ in range(5):
        updates, state = optimizer.update(gradient(params), state, params)
        params = optax.apply_updates(params, updates)
    assert float(loss(params)) < first
    on_jax = model.apply(params, x)
    for backend in ("tfq", "cirq"):
        np.testing.assert_allclose(model.clone(backend=backend).apply(params, x), on_jax, atol=1e-5)
    # The trained model's gradient on TFQ (its adjoint, through the bridge) is JAX's.
    on_tfq = jax.grad(lambda params: loss(params, model.clone(backend="tfq")))(params)
    for got, want in zip(
        jax.tree_util.tree_leaves(on_tfq), jax.tree_util.tree_leaves(gradient(params)), strict=True
    ):
        np.testing.assert_allclose(got, want, atol=1e-4)
