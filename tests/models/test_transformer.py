"""The QRKT classifiers: shapes, structure, and one set of parameters on any backend."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.errors import QrktError
from qrkt.models import Transformer, count_parameters
from qrkt.presets import build_model, example_inputs, get_preset

DIGITS = get_preset("digits-qrk1").model
IMAGES = jax.random.normal(jax.random.PRNGKey(0), (3, 8, 8, 1))


def init(model, inputs):
    return jax.jit(model.init)(jax.random.PRNGKey(1), inputs)["params"]


@pytest.fixture(scope="module")
def digits_params():
    return init(build_model(DIGITS), IMAGES)


def test_vision_model_gives_logits_per_image(digits_params) -> None:
    model, params = build_model(DIGITS), digits_params
    assert jax.jit(model.apply)({"params": params}, IMAGES).shape == (3, 10)
    assert {"source_embedding", "target_embedding", "decoders"} <= set(params)


def test_without_decoders_there_is_no_second_embedding() -> None:
    config = get_preset("digits-qvit-cara").model
    params = init(build_model(config), IMAGES)
    assert "target_embedding" not in params and "decoders" not in params


def test_text_model_embeds_tokens_with_positions_up_to_max_length() -> None:
    config = dataclasses.replace(
        get_preset("imdb-qrk4-enh").model, vocabulary_size=50, max_length=12, circuit=None
    )
    tokens = jax.random.randint(jax.random.PRNGKey(0), (2, 12), 0, 50)
    model = build_model(config)
    params = init(model, tokens)
    assert model.apply({"params": params}, tokens).shape == (2, 2)
    assert params["source_embedding"]["position"].shape == (1, 12, 6)
    with pytest.raises(QrktError, match="sequences of 13 tokens exceed the model's max_length 12"):
        model.apply({"params": params}, jnp.zeros((2, 13), jnp.int32))


def test_circuits_in_the_parameter_tree_match_the_configured_widths(digits_params) -> None:
    widths: dict[int, int] = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(digits_params):
        if path[-1].key == "weights":  # one tied one-layer circuit: one weight per qubit
            circuits = int(np.prod(leaf.shape[:-1]))
            widths[leaf.shape[-1]] = widths.get(leaf.shape[-1], 0) + circuits
    assert widths == dict(DIGITS.circuit_widths)


def test_same_parameters_give_the_same_logits_on_another_backend() -> None:
    config = get_preset("digits-qvit-cara").model
    images = IMAGES[:2]
    params = init(build_model(config), images)
    on_jax = build_model(config).apply({"params": params}, images)
    on_reference = build_model(config, backend="reference").apply({"params": params}, images)
    np.testing.assert_allclose(on_reference, on_jax, atol=1e-5)


def test_example_inputs_fit_every_preset_kind() -> None:
    for name in ("digits-rk1", "imdb-rk4-enh-x3"):
        config = get_preset(name).model
        assert example_inputs(config, 2).shape[0] == 2


def test_parameter_count_counts_every_leaf(digits_params) -> None:
    leaves = jax.tree_util.tree_leaves(digits_params)
    assert count_parameters(digits_params) == sum(np.size(p) for p in leaves)


def test_inputs_of_the_wrong_shape_are_refused() -> None:
    model = build_model(DIGITS)
    with pytest.raises(QrktError, match=r"takes inputs of shape \(batch, 8, 8, 1\), got shape"):
        model.init(jax.random.PRNGKey(0), jnp.zeros((2, 28, 28, 1)))


def test_a_quantum_config_needs_a_quantum_layer_factory() -> None:
    with pytest.raises(QrktError, match="a quantum model configuration needs a quantum_layer"):
        Transformer(DIGITS).init(jax.random.PRNGKey(0), IMAGES)
