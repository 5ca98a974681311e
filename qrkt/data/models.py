"""A dataset for a model: its splits as every run sees them, checked to fit the model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qrkt.data.dataset import Dataset, load_dataset
from qrkt.errors import TrainingError

if TYPE_CHECKING:
    from qrkt.models import ModelConfig

SPLIT_SEED = 0
"""The seed of the validation split: the same for every run, whatever its own seed, so runs
compare on it."""


def load_for_model(model: ModelConfig, name: str, data_dir: str | Path | None) -> Dataset:
    """The dataset ``name``, read as ``model`` needs it (a text model's sequence length and
    vocabulary) and checked to fit its inputs and classes."""
    options = (
        {"max_length": model.max_length, "vocabulary_size": model.vocabulary_size}
        if model.kind == "text"
        else {}
    )
    dataset = load_dataset(name, data_dir, seed=SPLIT_SEED, **options)
    fits = dataset.num_classes == model.num_classes and (
        model.kind == "text" or dataset.input_shape == tuple(model.image_shape or ())
    )
    if not fits:
        wanted = model.image_shape if model.kind == "vision" else "token ids"
        raise TrainingError(
            f"the {name} dataset ({dataset.num_classes} classes, inputs {dataset.input_shape}) "
            f"does not fit the model ({model.num_classes} classes, inputs {wanted}); choose a "
            f"preset made for {name} (qrkt presets lists them)"
        )
    return dataset
