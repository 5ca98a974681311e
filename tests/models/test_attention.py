"""Multi-head attention: the whole hidden vector is projected, then split into heads."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from qrkt.layers import ProductStateLayer
from qrkt.models.attention import CrossAttention, SelfAttention


def manual_attention(query, key, value, heads: int):
    outputs = []
    for head in np.split(np.arange(query.shape[-1]), heads):
        q, k, v = query[..., head], key[..., head], value[..., head]
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(len(head))
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        outputs.append(weights / weights.sum(-1, keepdims=True) @ v)
    return np.concatenate(outputs, -1)


TOKENS = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (2, 4, 6)))


def test_self_attention_with_dense_projections() -> None:
    attention = SelfAttention(heads=2, dropout=0.0)
    params = attention.init(jax.random.PRNGKey(1), TOKENS)["params"]

    def dense(name, x):
        return x @ np.asarray(params[name]["kernel"]) + np.asarray(params[name]["bias"])

    q, k, v = (dense(name, TOKENS) for name in ("query", "key", "value"))
    expected = dense("out", manual_attention(q, k, v, heads=2))
    np.testing.assert_allclose(attention.apply({"params": params}, TOKENS), expected, atol=1e-5)


def test_self_attention_with_circuits_has_one_circuit_per_projection() -> None:
    attention = SelfAttention(heads=3, dropout=0.0, quantum_layer=ProductStateLayer)
    params = attention.init(jax.random.PRNGKey(1), TOKENS)["params"]
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        name: {"weights": (6,)} for name in ("query", "key", "value", "out")
    }

    def circuit(name, x):
        return np.cos(x) * np.cos(np.asarray(params[name]["weights"]))

    q, k, v = (circuit(name, TOKENS) for name in ("query", "key", "value"))
    expected = circuit("out", manual_attention(q, k, v, heads=3))
    np.testing.assert_allclose(attention.apply({"params": params}, TOKENS), expected, atol=1e-5)


def test_cross_attention_uses_the_memory_as_keys_and_values() -> None:
    memory = np.asarray(jax.random.normal(jax.random.PRNGKey(2), (2, 3, 6)))
    attention = CrossAttention(heads=2, dropout=0.0)
    params = attention.init(jax.random.PRNGKey(1), TOKENS, memory)["params"]
    out = params["out"]
    expected = manual_attention(TOKENS, memory, memory, heads=2) @ out["kernel"] + out["bias"]
    result = attention.apply({"params": params}, TOKENS, memory)
    np.testing.assert_allclose(result, expected, atol=1e-5)
