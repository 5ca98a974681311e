"""The blocks compute REFERENCE §2's formulas, written out here independently of the tableaus."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.layers import ProductStateLayer
from qrkt.models import DecoderBlock, EncoderBlock, FeedForward, RungeKuttaBlock
from qrkt.models.attention import SelfAttention
from qrkt.models.blocks import OdeFunction, repeat


def rk_reference(method: str, xn, f):
    """The thesis's Runge-Kutta steps; ``f(i, z)`` is stage i's F."""
    k1 = f(0, xn)
    if method == "rk1":
        return xn + k1
    if method == "rk2":
        k2 = f(1, xn + k1)
        return xn + (k1 + k2) / 2
    if method == "rk3":
        k2 = f(1, xn + k1 / 2)
        k3 = f(2, xn + 3 * k2 / 4)
        return xn + (2 * k1 + 3 * k2 + 4 * k3) / 9
    if method == "rk4":
        k2 = f(1, xn + k1 / 2)
        k3 = f(2, xn + k2 / 2)
        k4 = f(3, xn + k3)
        return xn + (k1 + 2 * k2 + 2 * k3 + k4) / 6
    k2 = f(1, xn + k1)  # rk4_enh
    k3 = f(2, xn + k2)
    k4 = f(3, xn + k3)
    return xn + k1 + k4


BLOCK = {"heads": 2, "mlp": 3, "dropout": 0.0}
TOKENS = jax.random.normal(jax.random.PRNGKey(1), (2, 4, 6))


@pytest.mark.parametrize("quantum", [False, True], ids=["classical", "quantum"])
@pytest.mark.parametrize("method", ["rk1", "rk2", "rk3", "rk4", "rk4_enh"])
def test_runge_kutta_block_is_the_thesis_formula(method: str, quantum: bool) -> None:
    factory = ProductStateLayer if quantum else None
    block = RungeKuttaBlock(**BLOCK, quantum_layer=factory, method=method)
    params = block.init(jax.random.PRNGKey(0), TOKENS)["params"]
    xn = nn.LayerNorm().apply({"params": params["norm"]}, TOKENS)
    function = OdeFunction(**BLOCK, quantum_layer=factory)

    def f(stage: int, z):
        stage_params = jax.tree_util.tree_map(lambda p: p[stage], params["stages"])
        return function.apply({"params": stage_params}, z)

    expected = rk_reference(method, xn, f)
    np.testing.assert_allclose(block.apply({"params": params}, TOKENS), expected, atol=1e-5)


def test_shared_stages_use_one_function() -> None:
    block = RungeKuttaBlock(**BLOCK, method="rk4", shared_stages=True)
    params = block.init(jax.random.PRNGKey(0), TOKENS)["params"]
    per_stage = RungeKuttaBlock(**BLOCK, method="rk4").init(jax.random.PRNGKey(0), TOKENS)
    stacked = jax.tree_util.tree_leaves(per_stage["params"]["stages"])
    shared = jax.tree_util.tree_leaves(params["stages"])
    assert [leaf.shape[1:] for leaf in stacked] == [leaf.shape for leaf in shared]
    xn = nn.LayerNorm().apply({"params": params["norm"]}, TOKENS)
    function = OdeFunction(**BLOCK)
    expected = rk_reference("rk4", xn, lambda _, z: function.apply({"params": params["stages"]}, z))
    np.testing.assert_allclose(block.apply({"params": params}, TOKENS), expected, atol=1e-5)


def test_encoder_block_is_pre_layer_norm() -> None:
    block = EncoderBlock(**BLOCK)
    params = block.init(jax.random.PRNGKey(0), TOKENS)["params"]
    norm1 = nn.LayerNorm().apply({"params": params["norm1"]}, TOKENS)
    attended = SelfAttention(2, 0.0).apply({"params": params["attention"]}, norm1)
    middle = TOKENS + attended
    norm2 = nn.LayerNorm().apply({"params": params["norm2"]}, middle)
    fed = FeedForward(3, 0.0).apply({"params": params["feed_forward"]}, norm2)
    np.testing.assert_allclose(block.apply({"params": params}, TOKENS), middle + fed, atol=1e-5)


def test_decoder_cross_attention_has_only_an_output_projection() -> None:
    memory = jax.random.normal(jax.random.PRNGKey(2), (2, 3, 6))
    params = DecoderBlock(**BLOCK).init(jax.random.PRNGKey(0), TOKENS, memory)["params"]
    assert set(params["cross"]) == {"out"}
    quantum = DecoderBlock(**BLOCK, quantum_layer=ProductStateLayer)
    quantum_params = quantum.init(jax.random.PRNGKey(0), TOKENS, memory)["params"]
    assert jax.tree_util.tree_map(jnp.shape, quantum_params["cross"]) == {"out": {"weights": (6,)}}


def test_repeat_stacks_parameters_and_applies_blocks_in_order() -> None:
    class Twice(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            return repeat(EncoderBlock(**BLOCK, name="encoders"), 2, tokens)

    params = Twice().init(jax.random.PRNGKey(0), TOKENS)["params"]["encoders"]
    first, second = (jax.tree_util.tree_map(lambda p, i=i: p[i], params) for i in (0, 1))
    block = EncoderBlock(**BLOCK)
    expected = block.apply({"params": second}, block.apply({"params": first}, TOKENS))
    result = Twice().apply({"params": {"encoders": params}}, TOKENS)
    np.testing.assert_allclose(result, expected, atol=1e-5)


def test_dropout_acts_only_in_training() -> None:
    block = EncoderBlock(heads=2, mlp=3, dropout=0.5)
    params = block.init(jax.random.PRNGKey(0), TOKENS)
    evaluated = block.apply(params, TOKENS)
    np.testing.assert_array_equal(evaluated, block.apply(params, TOKENS))
    trained = block.clone(train=True).apply(params, TOKENS, rngs={"dropout": jax.random.PRNGKey(3)})
    assert not np.allclose(trained, evaluated)
