"""Classifier-based FID, KID and IS of a trained GAN, with their floor and ceiling.

Every score compares N images with the same N held-out real images (the validation split):
``real`` is N training images (the floor: what a perfect generator would score at this N),
``generated`` the run's EMA generator, ``untrained`` the generator at its initial weights (the
ceiling). Features and probabilities come from :mod:`qrkt.gan.classifier`, not Inception: the
numbers are comparable with each other, never with Inception-based scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from qrkt.compile_cache import use_compile_cache
from qrkt.errors import MAX_SEED, TrainingError, check_int
from qrkt.gan.classifier import FeatureClassifier, feature_classifier
from qrkt.gan.images import load_gan_data, save_grid
from qrkt.gan.metrics import fid, inception_score, kid
from qrkt.gan.presets import build_gan
from qrkt.gan.sampling import generate, load_generator
from qrkt.gan.training import init_keys
from qrkt.training.files import write_json

if TYPE_CHECKING:
    from qrkt.backends.base import Backend

LABEL = (
    "classifier-based: features and softmax of qrkt's own CNN trained on the real training "
    "images, not Inception; never compare with Inception-based FID/KID/IS"
)


def scores(
    classifier: FeatureClassifier, images: np.ndarray, reference: np.ndarray
) -> dict[str, float]:
    """FID and KID of ``images`` against ``reference`` features ``(N, d)``, and IS of
    ``images``."""
    features, probabilities = classifier(images)
    kid_mean, kid_std = kid(features, reference)
    is_mean, is_std = inception_score(probabilities)
    return {
        "fid": fid(features, reference),
        "kid": kid_mean,
        "kid_std": kid_std,
        "is": is_mean,
        "is_std": is_std,
    }


def evaluate_gan(
    workdir: str | Path,
    *,
    backend: str | Backend = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
    samples: int | None = None,
    classifier: str | Path | None = None,
    data_dir: str | Path | None = None,
    seed: int = 0,
    name: str | None = None,
) -> dict[str, Any]:
    """Score the run in ``workdir``; write ``evaluation-NAME.json`` and ``samples-NAME.png``.

    Args:
      workdir: a GAN run's directory (:func:`qrkt.gan.train_gan`).
      backend, backend_options: where the generator's circuits run.
      samples: N, at most (and by default) the held-out images.
      classifier: the feature classifier's checkpoint; trained there if absent (default: the
        work directory's ``feature_classifier.ckpt``).
      data_dir: the dataset's files (default: the run's).
      seed: of the latents.
      name: names the files (default: the backend's name).
    """
    use_compile_cache()
    if samples is not None:
        check_int("samples (--samples)", samples, minimum=2, error=TrainingError)
    check_int("seed", seed, minimum=0, maximum=MAX_SEED, error=TrainingError)
    workdir = Path(workdir)
    trained = load_generator(workdir)
    model, config = trained.model, trained.train_config
    data = load_gan_data(config.dataset, data_dir or config.data_dir, model.image_shape)
    count = min(samples or len(data.held_out), len(data.held_out), len(data.train))
    network = feature_classifier(data, classifier or workdir / "feature_classifier.ckpt")
    reference, _ = network(data.held_out[:count])
    latents = np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (count, model.latent)))
    options = {"backend": backend, "backend_options": backend_options}
    generated = generate(model, trained.params, latents, **options)
    generator, _ = build_gan(model)
    untrained = generate(
        model, jax.jit(generator.init)(init_keys(config.seed)[0], latents[:1]), latents, **options
    )
    name = name or (backend if isinstance(backend, str) else type(backend).__name__)
    result = {
        "preset": trained.preset,
        "step": trained.step,
        "backend": name,
        "samples": count,
        "metrics": LABEL,
        "classifier_held_out_accuracy": network.held_out_accuracy,
        "real": scores(network, data.train[:count], reference),
        "generated": scores(network, generated, reference),
        "untrained": scores(network, untrained, reference),
    }
    write_json(workdir / f"evaluation-{name}.json", result)
    save_grid(workdir / f"samples-{name}.png", generated[:64])
    return result
