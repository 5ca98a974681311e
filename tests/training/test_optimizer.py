import jax.numpy as jnp
import numpy as np
import optax
import pytest

from qrkt.training import TrainConfig
from qrkt.training.optimizer import learning_rate_schedule, make_optimizer


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_zero_at_decay_steps() -> None:
    schedule = learning_rate_schedule(TrainConfig(preset="digits-rk1"))
    values = {step: float(schedule(step)) for step in (0, 2_500, 5_000, 27_500, 50_000, 60_000)}
    assert values[0] == 0.0
    assert values[2_500] == pytest.approx(5e-4)
    assert values[5_000] == pytest.approx(1e-3)
    assert values[27_500] == pytest.approx(5e-4)  # half-way through the 45,000 cosine steps
    assert values[50_000] == values[60_000] == 0.0


def test_gradients_are_clipped_to_global_norm_one_before_adamw() -> None:
    config = TrainConfig(preset="digits-rk1", warmup_steps=0, decay_steps=10, weight_decay=0.0)
    optimizer = make_optimizer(config)
    params = {"w": jnp.zeros(2)}
    state = optimizer.init(params)
    # Adam's first step moves by -lr * sign(g) whatever the scale; look at the clipped moments.
    _, state = optimizer.update({"w": jnp.array([300.0, 400.0])}, state, params)
    first_moment = state[1][0].mu["w"]
    np.testing.assert_allclose(first_moment, 0.1 * np.array([0.6, 0.8]), rtol=1e-6)


def test_weight_decay_is_decoupled() -> None:
    config = TrainConfig(preset="digits-rk1", warmup_steps=0, decay_steps=10, weight_decay=0.5)
    optimizer = make_optimizer(config)
    params = {"w": jnp.ones(1)}
    updates, _ = optimizer.update({"w": jnp.zeros(1)}, optimizer.init(params), params)
    # zero gradient: the update is the decay alone, -lr * weight_decay * w
    np.testing.assert_allclose(optax.apply_updates(params, updates)["w"], [1 - 1e-3 * 0.5])
