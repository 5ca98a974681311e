"""Classifying a user's own images with a run's best checkpoint, on any backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np

from qrkt.data.images import read_images
from qrkt.errors import TrainingError
from qrkt.presets import build_model
from qrkt.training.target import ModelSource, as_trained


@dataclass(frozen=True)
class Predictions:
    """Class probabilities ``(N, C)`` of the images read from ``sources``, row for row, and
    what was done to fit the images to the model (``notes``)."""

    sources: tuple[str, ...]
    probabilities: np.ndarray
    notes: tuple[str, ...]

    @property
    def classes(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)


def predict_images(
    source: ModelSource,
    paths: list[Path],
    *,
    backend: str = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
) -> Predictions:
    """Classify the images in ``paths`` (PNG or ``.npy``, see :mod:`qrkt.data.images`) with a
    trained model (a run's work directory or a :class:`~qrkt.training.target.TrainedModel`,
    as :func:`~qrkt.training.evaluation.evaluate` takes), its circuits on ``backend``."""
    trained = as_trained(source)
    if trained.model.kind != "vision":
        raise TrainingError(
            f"qrkt predict reads images, but preset {trained.config.preset!r} takes text; "
            "evaluate it with qrkt evaluate instead"
        )
    images = read_images(paths, trained.config.dataset, tuple(trained.model.image_shape))
    model = build_model(trained.model, backend=backend, backend_options=backend_options)
    logits = jax.jit(lambda params, x: model.apply({"params": params}, x))(
        trained.params, images.inputs
    )
    return Predictions(images.sources, np.asarray(jax.nn.softmax(logits)), images.notes)
