"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) of images in ``[-1, 1]``.

One call draws each image's parameters once from ``key``, so images at the same batch row of
equally shaped batches (real, fake, and points between them) get the same colour change,
translation and cutout. Every policy is affine in the pixels for fixed parameters, hence
``augment(t x + (1 - t) y) = t augment(x) + (1 - t) augment(y)``: the gradient penalty's
interpolates between augmented images are augmented interpolates.

Translation and cutout fill with ``FILL`` = -1, the background (black) of ``[-1, 1]`` images,
not DiffAugment's 0: a patch of zeros embeds to a token of almost no variance (the conv's
output is 0 and the position embedding is small), whose LayerNorm then multiplies the
critic's input gradient about 50-fold, and the gradient penalty starts near 150 instead of 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from qrkt.errors import UnknownNameError, known_names

Policy = Callable[[jax.Array, jax.Array], jax.Array]
FILL = -1.0


def color(key: jax.Array, images: jax.Array) -> jax.Array:
    """Brightness ``+ U(-0.5, 0.5)``, saturation ``x U(0, 2)``, contrast ``x U(0.5, 1.5)``."""
    brightness, saturation, contrast = jax.random.uniform(key, (3, images.shape[0], 1, 1, 1))
    images = images + (brightness - 0.5)
    channels = images.mean(axis=3, keepdims=True)
    images = (images - channels) * (2 * saturation) + channels
    pixels = images.mean(axis=(1, 2, 3), keepdims=True)
    return (images - pixels) * (contrast + 0.5) + pixels


def translation(key: jax.Array, images: jax.Array, ratio: float = 0.125) -> jax.Array:
    """Shift by up to ``ratio`` of the side (at least one pixel) each way, padding with
    ``FILL``."""
    batch, height, width, _ = images.shape
    limits = jnp.asarray([max(1, round(height * ratio)), max(1, round(width * ratio))])
    shifts = jax.random.randint(key, (batch, 2), -limits, limits + 1)
    rows = jnp.arange(height)[None, :] - shifts[:, :1]
    columns = jnp.arange(width)[None, :] - shifts[:, 1:]
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((columns >= 0) & (columns < width))[
        :, None, :
    ]
    samples = jnp.arange(batch)[:, None, None]
    gathered = images[
        samples, rows.clip(0, height - 1)[:, :, None], columns.clip(0, width - 1)[:, None, :]
    ]
    return jnp.where(inside[..., None], gathered, FILL)


def cutout(key: jax.Array, images: jax.Array, ratio: float = 0.5) -> jax.Array:
    """Fill a square of ``ratio`` of the side, centred anywhere in the image, with ``FILL``."""
    batch, height, width, _ = images.shape
    size = jnp.asarray([round(height * ratio), round(width * ratio)])
    centres = jax.random.randint(key, (batch, 2), 0, jnp.asarray([height, width]))
    start = centres - size // 2
    rows = jnp.arange(height)[None, :] - start[:, :1]
    columns = jnp.arange(width)[None, :] - start[:, 1:]
    hidden = ((rows >= 0) & (rows < size[0]))[:, :, None] & ((columns >= 0) & (columns < size[1]))[
        :, None, :
    ]
    return jnp.where(hidden[..., None], FILL, images)


POLICIES: dict[str, Policy] = {"color": color, "translation": translation, "cutout": cutout}


def check_policies(names: Sequence[str]) -> None:
    """Raise unless every name is a policy of :data:`POLICIES`."""
    for name in names:
        if name not in POLICIES:
            raise UnknownNameError(f"unknown augmentation {name!r}; known: {known_names(POLICIES)}")


def augment(key: jax.Array, images: jax.Array, policies: Sequence[str]) -> jax.Array:
    """``images`` through each named policy in order, each with its own key from ``key``."""
    for name, subkey in zip(policies, jax.random.split(key, len(policies)), strict=True):
        images = POLICIES[name](subkey, images)
    return images
