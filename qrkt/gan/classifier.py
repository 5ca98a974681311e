"""The feature classifier of the GAN metrics: a small CNN that qrkt trains on the real data.

FID and KID use its penultimate features (the pooled convolution features), IS its softmax.
It is trained once per dataset and cached as a checkpoint (a work directory's
``feature_classifier.ckpt``, or any path), so every evaluation of a dataset uses the same one.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import numpy as np
import optax

from qrkt.errors import CheckpointError
from qrkt.gan.images import GanData
from qrkt.training.checkpoint import load_checkpoint, save_checkpoint
from qrkt.training.order import epoch_order, evaluation_batches, steps_per_epoch, training_batch

logger = logging.getLogger(__name__)

STEPS, BATCH, LEARNING_RATE = 500, 64, 2e-3


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


def feature_classifier(data: GanData, path: str | Path, *, seed: int = 0) -> FeatureClassifier:
    """The classifier of ``data``'s dataset cached at ``path``; trained and cached if absent."""
    path = Path(path)
    network = FeatureCnn(data.num_classes)
    template = jax.eval_shape(network.init, jax.random.PRNGKey(0), data.train[:1])
    if path.exists():
        checkpoint = load_checkpoint(path)
        meta = checkpoint.metadata
        wanted = {"dataset": data.name, "image_shape": list(data.train.shape[1:])}
        if {key: meta.get(key) for key in wanted} != wanted:
            raise CheckpointError(
                f"{path} holds the feature classifier of {meta.get('dataset')!r} images "
                f"{meta.get('image_shape')}, not of {data.name!r} {wanted['image_shape']}; "
                "pass another --classifier path, or delete this one to train a new one"
            )
        params = checkpoint.restore("params", template)
        return FeatureClassifier(network, params, checkpoint.get("held_out_accuracy", float))
    params = _train(network, data, seed)
    _, probabilities = _outputs(network, params, data.held_out)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == data.held_out_labels))
    save_checkpoint(
        path,
        {"params": params},
        {
            "dataset": data.name,
            "image_shape": list(data.train.shape[1:]),
            "steps": STEPS,
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


def _train(network: FeatureCnn, data: GanData, seed: int) -> Any:
    """Adam on cross-entropy for :data:`STEPS` steps of :data:`BATCH` images."""
    params = network.init(jax.random.PRNGKey(seed), data.train[:1])
    optimizer = optax.adam(LEARNING_RATE)

    @jax.jit
    def step(params: Any, opt_state: Any, images: jax.Array, labels: jax.Array) -> tuple:
        def loss(params: Any) -> jax.Array:
            _, logits = network.apply(params, images)
            return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

        grads = jax.grad(loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    opt_state = optimizer.init(params)
    per_epoch = steps_per_epoch(len(data.train), BATCH)
    for index in range(STEPS):
        rows = training_batch(
            epoch_order(seed, index // per_epoch, len(data.train)), index % per_epoch, BATCH
        )
        params, opt_state = step(params, opt_state, data.train[rows], data.train_labels[rows])
    return params
