"""Quantum layers: parameters, shapes, backend switching, training, the classical stand-in."""

from __future__ import annotations

import importlib.util

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.errors import BackendInputError
from qrkt.layers import CircuitLayer, ProductStateLayer, QuantumLayer


def _features(*shape: int, seed: int = 0) -> jax.Array:
    return jax.random.uniform(jax.random.PRNGKey(seed), shape, minval=-np.pi, maxval=np.pi)


def _param_shapes(layer: nn.Module, x: jax.Array) -> dict:
    shapes = jax.eval_shape(layer.init, jax.random.PRNGKey(0), x)
    return jax.tree_util.tree_map(lambda leaf: leaf.shape, shapes)


def _init(layer: nn.Module, x: jax.Array, seed: int = 0) -> dict:
    return jax.jit(layer.init)(jax.random.PRNGKey(seed), x)


# --- parameters and shapes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "n_weights"),
    [({}, 4), ({"tied": False}, 8), ({"layers": 3}, 12), ({"ansatz": "cara", "layers": 2}, 8)],
)
def test_weights_are_one_parameter_of_the_ansatz_size(
    options: dict[str, object], n_weights: int
) -> None:
    layer = CircuitLayer(width=4, **options)  # type: ignore[arg-type]
    assert _param_shapes(layer, _features(2, 4)) == {"params": {"weights": (n_weights,)}}


Width4 = tuple[CircuitLayer, jax.Array, dict, jax.Array]  # layer, features, params, outputs


@pytest.fixture(scope="module")
def width4() -> Width4:
    """A width-4 layer on the default backend, features (2, 3, 4), params and its outputs."""
    layer = CircuitLayer(width=4)
    x = _features(2, 3, 4)
    params = _init(layer, x, 1)
    return layer, x, params, jax.jit(layer.apply)(params, x)


def test_output_is_the_ansatz_with_the_input_shape(width4: Width4) -> None:
    _, x, params, y = width4
    assert y.shape == x.shape
    assert y.dtype == x.dtype
    assert bool(jnp.all(jnp.abs(y) <= 1.0 + 1e-6))
    weights = np.asarray(params["params"]["weights"])
    expected = ReferenceBackend().run(qrkt_ansatz(4), np.asarray(x).reshape(-1, 4), weights)
    np.testing.assert_allclose(y, expected.reshape(x.shape), atol=1e-5)


def test_output_shape_for_a_batch_of_vectors(width4: Width4) -> None:
    layer, x, params, y = width4
    flat = jax.jit(layer.apply)(params, x.reshape(6, 4))
    assert flat.shape == (6, 4)
    np.testing.assert_allclose(flat, y.reshape(6, 4), atol=1e-6)


@pytest.mark.parametrize("backend", ["reference", "tensorcircuit"])
def test_switching_backend_keeps_params_and_values(backend: str, width4: Width4) -> None:
    if backend == "tensorcircuit" and importlib.util.find_spec("tensorcircuit") is None:
        pytest.skip("pip install 'qrkt[tensorcircuit]'")
    layer, x, params, y = width4
    other = layer.clone(backend=backend)
    assert _param_shapes(other, x) == _param_shapes(layer, x)
    np.testing.assert_allclose(other.apply(params, x), y, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 5), (3,), (2, 4, 3)])
def test_feature_width_mismatch_names_the_expected_shape(shape: tuple[int, ...]) -> None:
    layer = CircuitLayer(width=4)
    with pytest.raises(BackendInputError, match=r"width 4 needs features of shape \(\.\.\., 4\)"):
        layer.init(jax.random.PRNGKey(0), jnp.zeros(shape))


@pytest.mark.parametrize("backend", ["jax", "reference"])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_float64_and_integer_features_give_float_values(backend: str, dtype: type) -> None:
    """NumPy float64 (64-bit JAX off) and int32 features: float values, not a crash or zeros."""
    layer = CircuitLayer(width=3, backend=backend)
    x = np.arange(12, dtype=dtype).reshape(4, 3)
    params = CircuitLayer(width=3).init(jax.random.PRNGKey(0), x.astype(np.float32))
    y = layer.apply(params, x)
    assert jnp.issubdtype(y.dtype, jnp.floating)
    weights = np.asarray(params["params"]["weights"])
    expected = ReferenceBackend().run(qrkt_ansatz(3), x, weights)
    np.testing.assert_allclose(y, expected, atol=1e-5)


@pytest.mark.parametrize(
    "layer", [CircuitLayer(width=2, backend="reference"), ProductStateLayer(width=2)]
)
def test_complex_features_are_refused(layer: QuantumLayer) -> None:
    with pytest.raises(BackendInputError, match=r"needs real features, got dtype complex64"):
        layer.init(jax.random.PRNGKey(0), jnp.ones((3, 2), jnp.complex64))


def test_product_state_layer_promotes_integer_features() -> None:
    layer = ProductStateLayer(width=2)
    x = np.array([[0, 1], [2, 3]], np.int32)
    params = layer.init(jax.random.PRNGKey(0), x)
    w = params["params"]["weights"]
    np.testing.assert_allclose(layer.apply(params, x), np.cos(x) * np.cos(w), atol=1e-6)


# --- training ---------------------------------------------------------------------------------


def _train(layer: nn.Module, steps: int, learning_rate: float = 0.1) -> tuple[float, float]:
    """Adam on a toy regression; the loss before and after ``steps`` jit-compiled steps."""
    x = _features(20, 2, seed=4)
    target = 0.8 * jnp.cos(x) * jnp.array([0.5, -0.7])
    params = _init(layer, x, 5)
    optimizer = optax.adam(learning_rate)
    state = optimizer.init(params)

    def loss(params: dict) -> jax.Array:
        return jnp.mean((layer.apply(params, x) - target) ** 2)

    @jax.jit
    def step(params: dict, state: optax.OptState) -> tuple[dict, optax.OptState, jax.Array]:
        value, grads = jax.value_and_grad(loss)(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    first = float(loss(params))
    for _ in range(steps):
        params, state, _ = step(params, state)
    return first, float(loss(params))


def test_adam_reduces_the_loss_on_the_jax_backend() -> None:
    first, last = _train(CircuitLayer(width=2), steps=30)
    assert last < 0.5 * first


def test_adam_reduces_the_loss_with_parameter_shift_gradients() -> None:
    first, last = _train(CircuitLayer(width=2, backend="reference"), steps=10)
    assert last < 0.5 * first


# --- the classical stand-in -------------------------------------------------------------------


def test_product_state_layer_is_a_quantum_layer() -> None:
    assert issubclass(ProductStateLayer, QuantumLayer)
    assert issubclass(CircuitLayer, QuantumLayer)


def test_product_state_layer_closed_form() -> None:
    layer = ProductStateLayer(width=3)
    x = _features(2, 4, 3)
    params = _init(layer, x, 6)
    assert _param_shapes(layer, x) == {"params": {"weights": (3,)}}
    w = params["params"]["weights"]
    y = layer.apply(params, x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, jnp.cos(x) * jnp.cos(w), atol=1e-6)
    # one qubit per feature, the qrkt ansatz without entangler
    one_qubit = ReferenceBackend()
    for j in range(3):
        expected = one_qubit.run(qrkt_ansatz(1), np.asarray(x[..., j]).reshape(-1, 1), w[j : j + 1])
        np.testing.assert_allclose(np.asarray(y[..., j]).reshape(-1, 1), expected, atol=1e-6)


def test_product_state_layer_rejects_a_width_mismatch() -> None:
    with pytest.raises(BackendInputError, match=r"width 3 needs features of shape \(\.\.\., 3\)"):
        ProductStateLayer(width=3).init(jax.random.PRNGKey(0), jnp.zeros((2, 4)))


def test_a_host_backend_error_surfaces_from_apply_with_its_own_message() -> None:
    layer = CircuitLayer(width=2, backend="reference")
    params = layer.init(jax.random.PRNGKey(0), jnp.zeros((1, 2)))
    with pytest.raises(BackendInputError, match=r"inputs must be finite, got np.float64\(nan\)"):
        layer.apply(params, jnp.array([[0.1, jnp.nan]]))
