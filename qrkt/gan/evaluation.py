"""Classifier-based FID, KID and IS of a trained GAN, with their floor and ceiling, and how
many of its images the classifier recognises, over how many classes.

Every score compares N images (1,000 by default) with every held-out real image (the
validation split): ``real`` is N training images (the floor: what a perfect generator would
score at this N), ``generated`` the run's EMA generator on the chosen backend, ``untrained``
the generator at its initial weights (the ceiling), always on the exact local ``jax``
simulator: the ceiling is a property of the initial weights, not of a device. Features and
probabilities come from :mod:`qrkt.gan.classifier`, not Inception: the numbers are comparable
with each other, never with Inception-based scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jax
import numpy as np

from qrkt.compile_cache import use_compile_cache
from qrkt.errors import MAX_SEED, TrainingError, check_int
from qrkt.gan.classifier import feature_classifier
from qrkt.gan.images import load_gan_data, save_grid
from qrkt.gan.metrics import CONFIDENT, class_coverage, fid, inception_score, kid, recognisable
from qrkt.gan.presets import build_gan
from qrkt.gan.sampling import generate, load_generator
from qrkt.gan.training import init_keys
from qrkt.training.evaluation import evaluation_name
from qrkt.training.files import write_json

if TYPE_CHECKING:
    from qrkt.backends.base import Backend

LABEL = (
    "classifier-based: features and softmax of qrkt's own CNN trained on the real training "
    "images, not Inception; never compare with Inception-based FID/KID/IS"
)
CEILING_BACKEND = "jax"
"""Where the untrained generator runs, whatever the backend: the exact simulator, here."""
GRID = 64
"""Samples per grid."""
SAMPLES = 1000
"""Images per score by default (fewer where the training split has fewer)."""


class EvaluationProgress(Protocol):
    """What :func:`evaluate_gan` reports as it goes (:class:`qrkt.cli.progress.BatchBar`
    shows it)."""

    def stage(self, text: str) -> None:
        """A stage starts; ``text`` says which."""

    def __call__(self, done: int, total: int) -> None:
        """``done`` of the stage's ``total`` batches of generated samples are done."""


def scores(
    features: np.ndarray, probabilities: np.ndarray, reference: np.ndarray
) -> dict[str, float]:
    """FID and KID of ``features`` against ``reference`` features ``(N, d)``; IS, the share
    recognisable (top class probability >= :data:`~qrkt.gan.metrics.CONFIDENT`), the class
    coverage and the classes present of the class ``probabilities`` ``(N, C)``."""
    kid_mean, kid_std = kid(features, reference)
    is_mean, is_std = inception_score(probabilities)
    coverage, present = class_coverage(probabilities)
    return {
        "fid": fid(features, reference),
        "kid": kid_mean,
        "kid_std": kid_std,
        "is": is_mean,
        "is_std": is_std,
        "recognisable": recognisable(probabilities),
        "class_coverage": coverage,
        "classes_present": present,
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
    progress: EvaluationProgress | None = None,
) -> dict[str, Any]:
    """Score the run in ``workdir``; write ``evaluation-NAME.json`` and the sample grids
    ``samples-NAME.png`` (the first 64), ``samples-NAME-most-sure.png`` and
    ``samples-NAME-least-sure.png`` (the 64 with the highest and the lowest top class
    probability).

    Args:
      workdir: a GAN run's directory (:func:`qrkt.gan.train_gan`).
      backend, backend_options: where the trained generator's circuits run; the untrained
        generator (the ceiling) runs on the exact ``jax`` simulator whatever they are.
      samples: N, the images of each score (default :data:`SAMPLES`); at most the training
        images, since the floor takes N of them.
      classifier: the feature classifier's checkpoint; trained there if absent (default: the
        work directory's ``feature_classifier.ckpt``).
      data_dir: the dataset's files (default: the run's).
      seed: of the latents.
      name: names the files (default: the backend's name, and its ``device`` if given, as
        :func:`qrkt.training.evaluate` names its files).
      progress: told each stage and each batch of generated samples; silent by default.

    Returns:
      What it wrote to ``evaluation-NAME.json``: the scores of ``real``, ``generated`` and
      ``untrained`` (:func:`scores`), what was evaluated, and the grids' file names.
    """
    use_compile_cache()
    if samples is not None:
        check_int("samples (--samples)", samples, minimum=2, error=TrainingError)
    check_int("seed", seed, minimum=0, maximum=MAX_SEED, error=TrainingError)

    def stage(text: str) -> None:
        if progress:
            progress.stage(text)

    def compiled(seconds: float) -> None:
        stage(f"compiled the generator in {seconds:.1f} s")

    workdir = Path(workdir)
    trained = load_generator(workdir)
    model, config = trained.model, trained.train_config
    data = load_gan_data(config.dataset, data_dir or config.data_dir, model.image_shape)
    count = min(samples or SAMPLES, len(data.train))
    path = Path(classifier or workdir / "feature_classifier.ckpt")
    stage(f"{'loading' if path.exists() else 'training'} the feature classifier {path}")
    network = feature_classifier(data, path)
    latents = np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (count, model.latent)))
    backend_name = backend if isinstance(backend, str) else backend.name
    stage(f"generating {count} samples on {backend_name}")
    generated = generate(
        model,
        trained.params,
        latents,
        backend=backend,
        backend_options=backend_options,
        progress=progress,
        compiled=compiled,
    )
    stage(
        f"generating {count} samples of the untrained generator (the ceiling) on "
        f"{CEILING_BACKEND}, exactly"
    )
    generator, _ = build_gan(model)
    initial = jax.jit(generator.init)(init_keys(config.seed)[0], latents[:1])
    untrained = generate(
        model, initial, latents, backend=CEILING_BACKEND, progress=progress, compiled=compiled
    )
    stage("scoring")
    reference, held_out_probabilities = network(data.held_out)
    outputs = {
        "real": network(data.train[:count]),
        "generated": network(generated),
        "untrained": network(untrained),
    }
    name = name or evaluation_name(backend_name, backend_options)
    surest = np.argsort(-outputs["generated"][1].max(axis=1), kind="stable")
    grids = {
        "samples": (f"samples-{name}.png", generated),
        "most_sure": (f"samples-{name}-most-sure.png", generated[surest]),
        "least_sure": (f"samples-{name}-least-sure.png", generated[surest[::-1]]),
    }
    result = {
        "preset": trained.preset,
        "step": trained.step,
        "backend": backend_name,
        "name": name,
        "samples": count,
        "held_out": len(data.held_out),
        "classes": data.num_classes,
        "metrics": LABEL,
        "recognisable_threshold": CONFIDENT,
        "held_out_recognisable": recognisable(held_out_probabilities),
        "classifier_held_out_accuracy": network.held_out_accuracy,
        **{key: scores(*output, reference) for key, output in outputs.items()},
        "untrained_backend": CEILING_BACKEND,
        "grids": {key: file for key, (file, _) in grids.items()},
    }
    write_json(workdir / f"evaluation-{name}.json", result)
    for file, images in grids.values():
        save_grid(workdir / file, images[:GRID])
    return result
