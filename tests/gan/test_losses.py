import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.gan.losses import DRIFT, GRADIENT_PENALTY, critic_loss, generator_loss


def test_critic_loss_of_a_linear_critic() -> None:
    # D(x) = <w, x>: its gradient is w everywhere, so the penalty is (||w|| - 1)².
    weights = jnp.full((4, 4, 1), 0.5)  # ||w|| = 2

    def critic(images):
        return jnp.sum(images * weights, axis=(1, 2, 3))

    real, fake = jnp.ones((3, 4, 4, 1)), -jnp.ones((3, 4, 4, 1))
    loss, parts = critic_loss(critic, real, fake, jax.random.PRNGKey(0))
    assert parts["wasserstein"] == pytest.approx(8.0 - (-8.0))
    assert parts["penalty"] == pytest.approx(1.0, rel=1e-5)
    assert parts["drift"] == pytest.approx(64.0)
    expected = -16.0 + GRADIENT_PENALTY * 1.0 + DRIFT * 64.0
    assert loss == pytest.approx(expected, rel=1e-5)
    assert generator_loss(critic, fake) == pytest.approx(8.0)


def test_penalty_is_taken_between_real_and_fake() -> None:
    # D(x) = sum(x²)/2 has gradient x: its norm at x^ = t r + (1 - t) f tells where x^ was.
    def critic(images):
        return 0.5 * jnp.sum(images**2, axis=(1, 2, 3))

    real, fake = jnp.ones((512, 1, 1, 1)), jnp.zeros((512, 1, 1, 1))
    _, parts = critic_loss(critic, real, fake, jax.random.PRNGKey(1))
    # ||grad|| = t ~ U(0, 1): E[(t - 1)²] = 1/3.
    assert parts["penalty"] == pytest.approx(1 / 3, abs=0.03)
    assert np.isfinite(
        jax.grad(lambda r: critic_loss(critic, r, fake, jax.random.PRNGKey(1))[0])(real)
    ).all()
