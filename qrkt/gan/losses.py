"""The GAN losses, by name (:data:`LOSSES`, :func:`gan_loss`).

``wgan-gp-eps``, REFERENCE §5's: ``L_D = -E[D(x)] + E[D(G(z))] + 10 E[(||grad D(x^)||_2 - 1)^2]
+ 1e-3 E[D(x)^2]``, ``x^`` a uniformly random point on the line between a real and a fake
image; ``L_G = -E[D(G(z))]``.

``ns-r1``, the non-saturating logistic loss with an R1 penalty (Mescheder et al. 2018;
StyleGAN2's default): ``L_D = E[softplus(-D(x))] + E[softplus(D(G(z)))] + (gamma / 2)
E[||grad_x D(x)||^2]`` on the real images; ``L_G = E[softplus(-D(G(z)))]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

GRADIENT_PENALTY = 10.0
DRIFT = 1e-3

Critic = Callable[[jax.Array], jax.Array]  # images (B, H, W, C) -> scores (B,)
CriticLoss = Callable[
    [Critic, jax.Array, jax.Array, jax.Array], tuple[jax.Array, dict[str, jax.Array]]
]  # (critic, real, fake, key) -> (L_D, its parts)


@dataclass(frozen=True)
class GanLoss:
    """A GAN loss with its weights.

    Attributes:
      critic: ``(critic, real, fake, key) -> (L_D, parts)``; ``real`` and ``fake`` are what
        the critic sees (augmented), ``key`` draws the loss's randomness, if any.
      generator: ``(critic, fake) -> L_G``.
      shown: ``(part, label)`` of the parts an epoch's line shows.
    """

    critic: CriticLoss
    generator: Callable[[Critic, jax.Array], jax.Array]
    shown: tuple[tuple[str, str], ...]

    def describe(self, parts: Mapping[str, float]) -> str:
        """The shown parts of ``parts`` (e.g. an epoch's record), labelled."""
        return ", ".join(f"{label} {parts[name]:.4f}" for name, label in self.shown)


def critic_loss(
    critic: Critic, real: jax.Array, fake: jax.Array, key: jax.Array
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """WGAN-GP-eps's ``L_D`` and its parts: ``wasserstein`` (E[D(x)] - E[D(G(z))]),
    ``penalty``, ``drift``.

    Real, fake and interpolated images go through ``critic`` as one batch, whose pullback
    gives the interpolates' input gradients (each score depends on its own image only): one
    critic graph to differentiate twice instead of two, which shortens compilation.
    """
    count = len(real)
    share = jax.random.uniform(key, (count, 1, 1, 1), real.dtype)
    between = share * real + (1 - share) * fake
    scores, gradients = _scores_and_gradients(critic, [real, fake, between], 2)
    real_scores, fake_scores = scores[:count], scores[count : 2 * count]
    norms = jnp.sqrt(jnp.sum(gradients**2, axis=(1, 2, 3)) + 1e-12)
    parts = {
        "wasserstein": real_scores.mean() - fake_scores.mean(),
        "penalty": jnp.mean((norms - 1) ** 2),
        "drift": jnp.mean(real_scores**2),
    }
    loss = -parts["wasserstein"] + GRADIENT_PENALTY * parts["penalty"] + DRIFT * parts["drift"]
    return loss, parts


def generator_loss(critic: Critic, fake: jax.Array) -> jax.Array:
    """WGAN-GP-eps's ``L_G = -E[D(G(z))]``."""
    return -critic(fake).mean()


def ns_critic_loss(
    critic: Critic, real: jax.Array, fake: jax.Array, key: jax.Array, *, r1_gamma: float
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """ns-r1's ``L_D`` and its parts: ``real_score`` (E[D(x)]), ``fake_score`` (E[D(G(z))])
    and ``r1`` (E[||grad_x D(x)||^2], before its weight ``r1_gamma / 2``); ``key`` is unused
    (the loss draws nothing). Real and fake images go through ``critic`` as one batch, as in
    :func:`critic_loss`."""
    del key
    scores, gradients = _scores_and_gradients(critic, [real, fake], 0)
    real_scores, fake_scores = scores[: len(real)], scores[len(real) :]
    parts = {
        "real_score": real_scores.mean(),
        "fake_score": fake_scores.mean(),
        "r1": jnp.mean(jnp.sum(gradients**2, axis=(1, 2, 3))),
    }
    loss = (
        jax.nn.softplus(-real_scores).mean()
        + jax.nn.softplus(fake_scores).mean()
        + r1_gamma / 2 * parts["r1"]
    )
    return loss, parts


def ns_generator_loss(critic: Critic, fake: jax.Array) -> jax.Array:
    """ns-r1's ``L_G = E[softplus(-D(G(z)))]``."""
    return jax.nn.softplus(-critic(fake)).mean()


def _scores_and_gradients(
    critic: Critic, batches: list[jax.Array], of: int
) -> tuple[jax.Array, jax.Array]:
    """The scores of ``batches`` (equal sizes), run as one batch, and the input gradients of
    the scores of batch ``of``, from the same pullback."""
    count = len(batches[0])
    scores, pullback = jax.vjp(critic, jnp.concatenate(batches))
    which = jnp.zeros(len(batches), scores.dtype).at[of].set(1)
    (gradients,) = pullback(jnp.repeat(which, count))
    return scores, gradients[of * count : (of + 1) * count]


def wgan_gp_eps(r1_gamma: float) -> GanLoss:
    """REFERENCE §5's loss, its weights fixed (``r1_gamma`` weighs ns-r1's penalty only)."""
    return GanLoss(
        critic_loss, generator_loss, (("wasserstein", "Wasserstein"), ("penalty", "penalty"))
    )


def ns_r1(r1_gamma: float) -> GanLoss:
    """The non-saturating loss, its R1 penalty weighted ``r1_gamma / 2``."""
    return GanLoss(
        partial(ns_critic_loss, r1_gamma=r1_gamma),
        ns_generator_loss,
        (("real_score", "real score"), ("fake_score", "fake score"), ("r1", "R1")),
    )


LOSSES: dict[str, Callable[[float], GanLoss]] = {"wgan-gp-eps": wgan_gp_eps, "ns-r1": ns_r1}
"""Each loss by name, from its R1 weight; ``wgan-gp-eps`` is REFERENCE §5's."""


def gan_loss(name: str, r1_gamma: float) -> GanLoss:
    """The loss called ``name`` (a key of :data:`LOSSES`) with R1 weight ``r1_gamma``."""
    return LOSSES[name](r1_gamma)
