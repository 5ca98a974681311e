"""The WGAN-GP-eps loss of REFERENCE §5.

``L_D = -E[D(x)] + E[D(G(z))] + 10 E[(||grad D(x^)||_2 - 1)^2] + 1e-3 E[D(x)^2]``, ``x^`` a
uniformly random point on the line between a real and a fake image; ``L_G = -E[D(G(z))]``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

GRADIENT_PENALTY = 10.0
DRIFT = 1e-3

Critic = Callable[[jax.Array], jax.Array]  # images (B, H, W, C) -> scores (B,)


def critic_loss(
    critic: Critic, real: jax.Array, fake: jax.Array, key: jax.Array
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """``L_D`` and its parts: ``wasserstein`` (E[D(x)] - E[D(G(z))]), ``penalty``, ``drift``.

    ``real`` and ``fake`` are what the critic sees (augmented). Real, fake and interpolated
    images go through ``critic`` as one batch, whose pullback gives the interpolates' input
    gradients (each score depends on its own image only): one critic graph to differentiate
    twice instead of two, which shortens compilation.
    """
    count = len(real)
    share = jax.random.uniform(key, (count, 1, 1, 1), real.dtype)
    between = share * real + (1 - share) * fake
    scores, pullback = jax.vjp(critic, jnp.concatenate([real, fake, between]))
    (gradients,) = pullback(jnp.repeat(jnp.asarray([0.0, 0.0, 1.0], scores.dtype), count))
    real_scores, fake_scores = scores[:count], scores[count : 2 * count]
    norms = jnp.sqrt(jnp.sum(gradients[2 * count :] ** 2, axis=(1, 2, 3)) + 1e-12)
    parts = {
        "wasserstein": real_scores.mean() - fake_scores.mean(),
        "penalty": jnp.mean((norms - 1) ** 2),
        "drift": jnp.mean(real_scores**2),
    }
    loss = -parts["wasserstein"] + GRADIENT_PENALTY * parts["penalty"] + DRIFT * parts["drift"]
    return loss, parts


def generator_loss(critic: Critic, fake: jax.Array) -> jax.Array:
    """``L_G = -E[D(G(z))]``."""
    return -critic(fake).mean()
