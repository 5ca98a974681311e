import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.gan.losses import (
    DRIFT,
    GRADIENT_PENALTY,
    LOSSES,
    critic_loss,
    gan_loss,
    generator_loss,
    ns_critic_loss,
)


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


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def test_ns_r1_loss_of_a_linear_critic() -> None:
    # D(x) = <a, x> + b: its gradient is a everywhere, so ||grad D(x)||² = ||a||² = 1.
    weights, bias, gamma = jnp.full((4, 4, 1), 0.25), 0.5, 2.0

    def critic(images):
        return jnp.sum(images * weights, axis=(1, 2, 3)) + bias

    real = jnp.asarray([1.0, 0.5, -1.0])[:, None, None, None] * jnp.ones((3, 4, 4, 1))
    fake = -jnp.ones((3, 4, 4, 1))
    real_scores, fake_scores = np.asarray([4.5, 2.5, -3.5]), np.full(3, -3.5)
    loss, parts = gan_loss("ns-r1", gamma).critic(critic, real, fake, jax.random.PRNGKey(0))
    assert parts["real_score"] == pytest.approx(real_scores.mean())
    assert parts["fake_score"] == pytest.approx(-3.5)
    assert parts["r1"] == pytest.approx(1.0)
    expected = _softplus(-real_scores).mean() + _softplus(fake_scores).mean() + gamma / 2 * 1.0
    assert loss == pytest.approx(expected, rel=1e-6)
    assert gan_loss("ns-r1", gamma).generator(critic, fake) == pytest.approx(_softplus(3.5))


def test_r1_is_taken_on_each_real_image_only() -> None:
    # D(x) = sum(x²)/2 has gradient x: ||grad D(x)||² = ||x||², 4 c² for x = c ones((2, 2, 1)).
    def critic(images):
        return 0.5 * jnp.sum(images**2, axis=(1, 2, 3))

    scales = jnp.asarray([1.0, 2.0, 3.0])
    real = scales[:, None, None, None] * jnp.ones((3, 2, 2, 1))
    _, parts = ns_critic_loss(critic, real, 10 * real, jax.random.PRNGKey(0), r1_gamma=1.0)
    assert parts["r1"] == pytest.approx(float(jnp.mean(4 * scales**2)))


def test_the_r1_penalty_reaches_the_critic_parameters() -> None:
    # (gamma/2) ||a||² adds gamma a to the gradient in a of D(x) = <a, x>.
    weights = jnp.arange(16.0).reshape(4, 4, 1) / 16
    real, fake = jnp.ones((2, 4, 4, 1)), jnp.zeros((2, 4, 4, 1))

    def gradient(gamma: float) -> jax.Array:
        def loss(a):
            def critic(images):
                return jnp.sum(images * a, axis=(1, 2, 3))

            return gan_loss("ns-r1", gamma).critic(critic, real, fake, jax.random.PRNGKey(0))[0]

        return jax.grad(loss)(weights)

    np.testing.assert_allclose(gradient(0.5) - gradient(0.0), 0.5 * weights, atol=1e-6)


def test_each_loss_names_the_parts_an_epoch_shows() -> None:
    assert LOSSES["wgan-gp-eps"](0.1).critic is critic_loss
    record = {"wasserstein": 0.5, "penalty": 0.25, "real_score": 1.0, "fake_score": -1.0, "r1": 2}
    assert gan_loss("wgan-gp-eps", 0.1).describe(record) == "Wasserstein 0.5000, penalty 0.2500"
    assert gan_loss("ns-r1", 0.1).describe(record) == (
        "real score 1.0000, fake score -1.0000, R1 2.0000"
    )
