"""The feature classifier of the GAN metrics: a small CNN that qrkt trains on the real data.

FID and KID use its penultimate features (the pooled convolution features), IS its softmax.
It is trained once per dataset and cached as a checkpoint (a work directory's
``feature_classifier.ckpt``, or any path), so every evaluation of a dataset uses the same one.

A CNN trained on digits alone is sure of itself on anything: it gave a top class probability
of at least 0.9 to 31-38 % of an untrained generator's noise. So it is also trained with
outlier exposure (Hendrycks et al., ICLR 2019): on images that are no digit (uniform noise,
each real image with its pixels shuffled, and blends of two real images) its target is the
uniform distribution, and "recognisable" (:func:`qrkt.gan.metrics.recognisable`) counts what
looks like the data only.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from qrkt.errors import CheckpointError
from qrkt.gan.images import GanData
from qrkt.training.checkpoint import load_checkpoint, save_checkpoint
from qrkt.training.order import epoch_order, evaluation_batches, steps_per_epoch, training_batch

logger = logging.getLogger(__name__)

STEPS, BATCH, LEARNING_RATE = 1500, 64, 2e-3
OUTLIER_WEIGHT = 0.5
"""The weight of the cross-entropy to the uniform distribution on outliers."""
RECIPE = "outlier-exposure"
"""Names how the classifier is trained; a cached one of another recipe is not used."""


class FeatureCnn(nn.Module):
    """Three 3x3 convolutions (16, 32, 64 channels; the last two of stride 2) with GELU,
    global mean pooling to 64 features, and a Dense classifier."""

    classes: int

    @nn.compact
    def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``(features (B, 64), logits (B, classes))``."""
        hidden = images
        for channels, stride in ((16, 1), (32, 2), (64, 2)):
            hidden = nn.gelu(nn.Conv(channels, (3, 3), strides=stride)(hidden))
        features = hidden.mean(axis=(1, 2))
        return features, nn.Dense(self.classes)(features)


@dataclass(frozen=True)
class FeatureClassifier:
    """A trained :class:`FeatureCnn` and its accuracy on the held-out images."""

    network: FeatureCnn
    params: Any
    held_out_accuracy: float

    def __call__(self, images: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(features (N, 64), class probabilities (N, C))`` of images in ``[-1, 1]``."""
        return _outputs(self.network, self.params, images, batch_size)


def feature_classifier(
    data: GanData, path: str | Path, *, seed: int = 0, steps: int = STEPS
) -> FeatureClassifier:
    """The classifier of ``data``'s dataset cached at ``path``; trained for ``steps`` steps and
    cached if absent (fewer steps than :data:`STEPS` only to test the code that uses it)."""
    path = Path(path)
    network = FeatureCnn(data.num_classes)
    template = jax.eval_shape(network.init, jax.random.PRNGKey(0), data.train[:1])
    if path.exists():
        checkpoint = load_checkpoint(path)
        meta = checkpoint.metadata
        wanted = {
            "dataset": data.name,
            "image_shape": list(data.train.shape[1:]),
            "recipe": RECIPE,
        }
        if {key: meta.get(key) for key in wanted} != wanted:
            raise CheckpointError(
                f"{path} holds the feature classifier of {meta.get('dataset')!r} images "
                f"{meta.get('image_shape')} trained by recipe {meta.get('recipe')!r}, not of "
                f"{data.name!r} {wanted['image_shape']} by {RECIPE!r}; pass another "
                "--classifier path, or delete this one to train a new one"
            )
        params = checkpoint.restore("params", template)
        return FeatureClassifier(network, params, checkpoint.get("held_out_accuracy", float))
    params = _train(network, data, seed, steps)
    _, probabilities = _outputs(network, params, data.held_out)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == data.held_out_labels))
    save_checkpoint(
        path,
        {"params": params},
        {
            "dataset": data.name,
            "image_shape": list(data.train.shape[1:]),
            "recipe": RECIPE,
            "steps": steps,
            "seed": seed,
            "held_out_accuracy": accuracy,
        },
    )
    logger.info("trained the feature classifier: held-out accuracy %.4f", accuracy)
    return FeatureClassifier(network, params, accuracy)


def _outputs(
    network: FeatureCnn, params: Any, images: np.ndarray, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Features and class probabilities of ``images``, in batches of ``batch_size``."""
    apply = _apply_function(network)
    parts = [apply(params, images[rows]) for rows in evaluation_batches(len(images), batch_size)]
    features = np.concatenate([np.asarray(f) for f, _ in parts])[: len(images)]
    probabilities = np.concatenate([np.asarray(p) for _, p in parts])[: len(images)]
    return features, probabilities


@functools.lru_cache(maxsize=4)
def _apply_function(network: FeatureCnn) -> Any:
    """The jitted ``(params, images) -> (features, probabilities)``, compiled once."""

    @jax.jit
    def apply(params: Any, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        features, logits = network.apply(params, images)
        return features, jax.nn.softmax(logits)

    return apply


def outliers(key: jax.Array, images: jax.Array, labels: jax.Array) -> jax.Array:
    """As many images as ``images`` that are none of their classes: a third uniform noise in
    ``[-1, 1]``, a third ``images`` with their pixels shuffled (the same intensities, no
    shape), a third the mean of each image and one of another class (two shapes at once; of
    any image of the batch where it holds no other class)."""
    noise_key, shuffle_key, blend_key = jax.random.split(key, 3)
    count = len(images)
    flat = images.reshape(count, -1)
    noise = jax.random.uniform(noise_key, flat.shape, minval=-1.0, maxval=1.0)
    shuffled = jax.random.permutation(shuffle_key, flat, axis=1, independent=True)
    other_class = labels[:, None] != labels[None, :]
    draws = jax.random.uniform(blend_key, (count, count)) + other_class
    blended = (flat + flat[draws.argmax(axis=1)]) / 2
    which = jnp.arange(count) % 3
    mixed = jnp.where(
        (which == 0)[:, None], noise, jnp.where((which == 1)[:, None], shuffled, blended)
    )
    return mixed.reshape(images.shape)


def _train(network: FeatureCnn, data: GanData, seed: int, steps: int) -> Any:
    """Adam for ``steps`` steps of :data:`BATCH` images on their cross-entropy, plus
    :data:`OUTLIER_WEIGHT` times the cross-entropy of the uniform distribution on as many
    :func:`outliers`."""
    params = network.init(jax.random.PRNGKey(seed), data.train[:1])
    optimizer = optax.adam(LEARNING_RATE)
    outlier_key = jax.random.fold_in(jax.random.PRNGKey(seed), 1)

    @jax.jit
    def step(
        params: Any, opt_state: Any, images: jax.Array, labels: jax.Array, key: jax.Array
    ) -> tuple:
        def loss(params: Any) -> jax.Array:
            _, logits = network.apply(
                params, jnp.concatenate([images, outliers(key, images, labels)])
            )
            real, other = logits[: len(images)], logits[len(images) :]
            uniform = -jax.nn.log_softmax(other).mean(axis=1)
            return (
                optax.softmax_cross_entropy_with_integer_labels(real, labels).mean()
                + OUTLIER_WEIGHT * uniform.mean()
            )

        grads = jax.grad(loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    opt_state = optimizer.init(params)
    per_epoch = steps_per_epoch(len(data.train), BATCH)
    for index in range(steps):
        rows = training_batch(
            epoch_order(seed, index // per_epoch, len(data.train)), index % per_epoch, BATCH
        )
        params, opt_state = step(
            params,
            opt_state,
            data.train[rows],
            data.train_labels[rows],
            jax.random.fold_in(outlier_key, index),
        )
    return params
