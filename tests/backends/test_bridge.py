"""Backends as JAX functions: host backends through a callback with parameter-shift VJPs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.backends.bridge import expectation_function, host_errors
from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import Circuit, PauliString, circuit, cnot, input_param, rx, ry, weight_param
from qrkt.errors import BackendInputError

CIRCUIT = qrkt_ansatz(3)


def _sample(c: Circuit, batch: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)).astype(np.float32),
        rng.uniform(-np.pi, np.pi, c.n_weights).astype(np.float32),
    )


def _uses_callback(function: object, *arguments: object) -> bool:
    return "pure_callback" in str(jax.make_jaxpr(function)(*arguments))  # type: ignore[arg-type]


def test_reference_under_jit_matches_run() -> None:
    x, w = _sample(CIRCUIT)
    f = jax.jit(expectation_function("reference", CIRCUIT))
    np.testing.assert_allclose(f(x, w), ReferenceBackend().run(CIRCUIT, x, w), atol=1e-6)


def test_float32_inputs_give_float32_without_x64() -> None:
    if jax.config.jax_enable_x64:
        pytest.skip("needs jax_enable_x64 off")
    x, w = _sample(CIRCUIT)
    values = jax.jit(expectation_function("reference", CIRCUIT))(jnp.asarray(x), jnp.asarray(w))
    assert values.dtype == jnp.float32
    assert values.shape == (4, 3)


def test_float64_and_integer_inputs_run_without_x64() -> None:
    """NumPy float64 outside jit once asked pure_callback for a float64 result JAX lacked."""
    x, w = _sample(CIRCUIT)
    f = expectation_function("reference", CIRCUIT)
    expected = ReferenceBackend().run(CIRCUIT, x, w)
    np.testing.assert_allclose(f(x.astype(np.float64), w.astype(np.float64)), expected, atol=1e-6)
    rounded = np.round(x).astype(np.int32)
    values = f(rounded, w)
    assert jnp.issubdtype(values.dtype, jnp.floating)
    np.testing.assert_allclose(values, ReferenceBackend().run(CIRCUIT, rounded, w), atol=1e-6)


def test_complex_inputs_are_refused_before_the_callback() -> None:
    x, w = _sample(CIRCUIT)
    f = jax.jit(expectation_function("reference", CIRCUIT))
    with pytest.raises(BackendInputError, match=r"must be real numbers, got dtypes complex64"):
        f(x.astype(np.complex64), w)


def _loss_gradients(f: object, c: Circuit, x: np.ndarray, w: np.ndarray) -> tuple:
    cotangent = np.random.default_rng(3).normal(size=(x.shape[0], c.n_observables))

    def loss(x: jax.Array, w: jax.Array) -> jax.Array:
        return jnp.sum(f(x, w) * cotangent.astype(np.float32))  # type: ignore[operator]

    return jax.jit(jax.grad(loss, argnums=(0, 1)))(x, w)


def _shared_weight_circuit() -> Circuit:
    w0 = weight_param(0)
    gates = [ry(0, input_param(0)), rx(0, w0), cnot(0, 1), rx(1, w0), ry(1, input_param(0))]
    zz = PauliString(((0, "Z"), (1, "Z")))
    return circuit(2, gates, observables=[zz, PauliString(((1, "Z"),))])


def test_grad_through_reference_matches_jax_autodiff() -> None:
    for c in (CIRCUIT, _shared_weight_circuit()):
        x, w = _sample(c, seed=1)
        by_shift = _loss_gradients(expectation_function("reference", c), c, x, w)
        by_autodiff = _loss_gradients(JaxStatevectorBackend().expectation_fn(c), c, x, w)
        for shifted, traced in zip(by_shift, by_autodiff, strict=True):
            assert shifted.shape == traced.shape
            np.testing.assert_allclose(shifted, traced, atol=1e-4)


def test_value_and_grad_is_one_host_call_each_way() -> None:
    backend = ReferenceBackend()
    c = qrkt_ansatz(2)
    x, w = _sample(c, batch=3)
    f = expectation_function(backend, c)
    value, grads = jax.jit(jax.value_and_grad(lambda x, w: f(x, w).sum(), argnums=(0, 1)))(x, w)
    np.testing.assert_allclose(value, ReferenceBackend().run(c, x, w).sum(), atol=1e-5)
    assert grads[0].shape == (3, 2) and grads[1].shape == (2,)
    k = len(list(c.params()))
    assert backend.counts.calls == 2  # forward, then all shifted points at once
    assert backend.counts.circuits == 3 + 2 * k * 3


def test_a_host_backend_with_gradients_of_its_own_is_differentiated_by_them() -> None:
    class OwnGradients(ReferenceBackend):
        def _vjp(self, circuit, inputs, weights, cotangent):
            self.seen = cotangent
            return np.full(inputs.shape, 2.0), np.full(weights.shape, 3.0)

    backend = OwnGradients()
    c = qrkt_ansatz(2)
    x, w = _sample(c, batch=3)
    f = expectation_function(backend, c)
    _, grads = jax.jit(jax.value_and_grad(lambda x, w: f(x, w).sum(), (0, 1)))(x, w)
    np.testing.assert_array_equal(grads[0], np.full((3, 2), 2.0, np.float32))
    np.testing.assert_array_equal(grads[1], np.full(2, 3.0, np.float32))
    np.testing.assert_array_equal(backend.seen, np.ones((3, 2)))
    assert grads[0].dtype == jnp.float32
    assert backend.counts.calls == 1  # the forward pass; no parameter shift


def test_vjp_checks_the_cotangent_before_running() -> None:
    backend = ReferenceBackend()
    x, w = _sample(CIRCUIT, batch=4)
    with pytest.raises(BackendInputError, match=r"cotangent must have shape \(4, 3\).*\(4, 2\)"):
        backend.vjp(CIRCUIT, x, w, np.zeros((4, 2)))
    with pytest.raises(BackendInputError, match="cotangent must be real numbers"):
        backend.vjp(CIRCUIT, x, w, np.zeros((4, 3), complex))
    assert backend.counts.calls == 0


def test_host_function_under_vmap() -> None:
    c = qrkt_ansatz(2)
    x = np.random.default_rng(4).uniform(-1, 1, (3, 2, 2)).astype(np.float32)
    w = np.array([0.3, -0.8], np.float32)
    mapped = jax.vmap(expectation_function("reference", c), in_axes=(0, None))(x, w)
    expected = np.stack([ReferenceBackend().run(c, row, w) for row in x])
    np.testing.assert_allclose(mapped, expected, atol=1e-6)


def test_jax_backend_name_gives_a_traced_function_without_callback() -> None:
    x, w = _sample(CIRCUIT)
    traced = expectation_function("jax", CIRCUIT)
    assert not _uses_callback(traced, x, w)
    assert _uses_callback(expectation_function("reference", CIRCUIT), x, w)
    np.testing.assert_allclose(
        jax.jit(traced)(x, w), ReferenceBackend().run(CIRCUIT, x, w), atol=1e-5
    )


def test_jax_backend_instance_gives_its_own_expectation_fn() -> None:
    backend = JaxStatevectorBackend(block_size=2, streams=1)
    c = qrkt_ansatz(2)
    x, w = _sample(c, batch=5)
    traced = expectation_function(backend, c)
    assert not _uses_callback(traced, x, w)
    np.testing.assert_allclose(jax.jit(traced)(x, w), backend.run(c, x, w), atol=1e-6)


def test_a_jax_backend_traces_a_circuit_once_per_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """Layers of one circuit share a jitted function, so a model traces each circuit once per
    input shape, not once per layer: digits-qgan's step traced in 1.6 s instead of 3.9."""
    from qrkt.backends import jax_statevector

    traces: list[tuple[int, ...]] = []
    check = jax_statevector.check_shapes
    monkeypatch.setattr(
        jax_statevector, "check_shapes", lambda c, x, w: (traces.append(x), check(c, x, w))
    )
    backend = JaxStatevectorBackend()
    x, w = _sample(CIRCUIT)

    def model(x, w):
        layers = [expectation_function(backend, CIRCUIT) for _ in range(3)]
        return sum(layer(x, w) for layer in layers), layers[0](x[:2], w)

    jax.grad(lambda x, w: model(x, w)[0].sum() + model(x, w)[1].sum(), argnums=1)(x, w)
    assert traces == [(4, 3), (2, 3)]
    np.testing.assert_allclose(
        jax.jit(model)(x, w)[0], 3 * ReferenceBackend().run(CIRCUIT, x, w), atol=1e-5
    )


def test_host_calls_name_their_layer_and_instances_take_no_options() -> None:
    layers: list[str | None] = []

    class Named(ReferenceBackend):
        def run_layer(self, layer, circuit, inputs, weights):
            layers.append(layer)
            return super().run_layer(layer, circuit, inputs, weights)

    backend = Named()
    x, w = np.zeros((2, CIRCUIT.n_inputs), np.float32), np.zeros(CIRCUIT.n_weights, np.float32)
    jax.jit(expectation_function(backend, CIRCUIT, layer="block/query"))(x, w).block_until_ready()
    assert layers == ["block/query"]
    with pytest.raises(BackendInputError, match=r"backend options \['shots'\] apply to a backend"):
        expectation_function(backend, CIRCUIT, shots=10)


NAN_MESSAGE = r"inputs must be finite, got np.float64\(nan\) at index .*NaN or infinity"


def test_a_host_backend_error_reaches_the_caller_not_jax_wrapper() -> None:
    function = expectation_function("reference", CIRCUIT)
    x, w = _sample(CIRCUIT)
    x[0, 1] = np.nan
    with pytest.raises(BackendInputError, match=NAN_MESSAGE):
        function(x, w)  # eager: the function itself re-raises it
    with pytest.raises(BackendInputError, match=NAN_MESSAGE):
        jax.grad(lambda w: jnp.sum(function(x, w)))(w)
    with pytest.raises(BackendInputError, match=NAN_MESSAGE), host_errors():
        jax.jit(function)(x, w)  # under jit: host_errors around whatever runs it


def test_host_errors_leaves_other_errors_alone() -> None:
    function = expectation_function("reference", CIRCUIT)
    x, w = _sample(CIRCUIT)
    x[0, 1] = np.nan
    with pytest.raises(jax.errors.JaxRuntimeError, match="CpuCallback error"):
        jax.jit(function)(x, w)  # no host_errors around it: JAX's own error
    with pytest.raises(ZeroDivisionError), host_errors():
        1 / 0  # noqa: B018
