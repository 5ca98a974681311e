"""What an evaluation evaluates: a trained model and its samples (:class:`EvaluationTarget`).

Both evaluations (:mod:`qrkt.training.evaluation`, one compiled pass, and
:mod:`qrkt.training.device_evaluation`, call by call on a device) start from
:func:`load_target`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qrkt.data import Split, load_for_model, shipped_validation
from qrkt.errors import CheckpointError, TrainingError, check_int
from qrkt.models import ModelConfig
from qrkt.presets import get_preset, parameter_shapes
from qrkt.training.checkpoint import Checkpoint, load_checkpoint
from qrkt.training.config import TrainConfig
from qrkt.training.metrics import classification_metrics
from qrkt.training.workdir import WorkDir

SPLITS = ("validation", "test")


@dataclass(frozen=True)
class TrainedModel:
    """A run's best checkpoint, ready to apply.

    Attributes:
      files: where its evaluations write (the run's work directory); config: its training
        configuration.
      model: the checkpoint's model configuration; params: its parameters (NumPy leaves).
      checkpoint: the checkpoint's path; digest: its SHA-256; epoch: the epoch it is from.
    """

    files: WorkDir
    config: TrainConfig
    model: ModelConfig
    params: Any
    checkpoint: Path
    digest: str
    epoch: int


ModelSource = str | Path | TrainedModel
"""What an evaluation takes: a run's work directory, or a trained model already read."""


def load_best(workdir: str | Path) -> TrainedModel:
    """The best checkpoint of the run in ``workdir``."""
    files = WorkDir(Path(workdir))
    return read_trained(load_checkpoint(files.best), files)


def read_trained(checkpoint: Checkpoint, files: WorkDir) -> TrainedModel:
    """``checkpoint`` (a best checkpoint, as read) as a model to apply; its evaluations write
    to ``files``. Its model must be its preset's, and its training settings name that preset."""
    preset = checkpoint.get("preset", str)
    checkpoint.check_model(preset, get_preset(preset).model)
    config = TrainConfig.from_dict(checkpoint.get("train_config", dict))
    if config.preset != preset:
        raise CheckpointError(
            f"checkpoint {checkpoint.path} holds preset {preset!r} but its training settings "
            f"name preset {config.preset!r}; its header was edited: restore it from a copy, or "
            "train again"
        )
    model_config = ModelConfig.from_dict(checkpoint.get("model", dict))
    return TrainedModel(
        files=files,
        config=config,
        model=model_config,
        params=checkpoint.restore("params", parameter_shapes(model_config)),
        checkpoint=checkpoint.path,
        digest=checkpoint.digest,
        epoch=checkpoint.get("epoch", int),
    )


@dataclass(frozen=True)
class EvaluationTarget:
    """What an evaluation runs: a trained model, and the samples it is evaluated on.

    Attributes:
      trained: the run's best checkpoint.
      dataset: the dataset's name; split: which split; data: its samples (after ``limit``).
      batch_size: samples per batch.
    """

    trained: TrainedModel
    dataset: str
    split: str
    data: Split
    batch_size: int

    def metrics(self, losses: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
        """What every evaluation reports: the run, the samples, loss, accuracy, F1 and AUC."""
        return {
            "preset": self.trained.config.preset,
            "dataset": self.dataset,
            "split": self.split,
            "checkpoint": str(self.trained.checkpoint),
            "epoch": self.trained.epoch,
            "samples": len(self.data),
            "loss": float(np.mean(losses)),
            **classification_metrics(self.data.labels, probabilities),
        }


def load_target(
    source: ModelSource,
    *,
    split: str = "validation",
    data_dir: str | Path | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
) -> EvaluationTarget:
    """The trained model of ``source`` and the samples to evaluate it on; the arguments are
    :func:`evaluate`'s."""
    if split not in SPLITS:
        raise TrainingError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    for label, value in (("limit", limit), ("batch_size", batch_size)):
        if value is not None:
            check_int(label, value, minimum=1, error=TrainingError)
    trained = as_trained(source)
    data = _samples(trained, split, data_dir or trained.config.data_dir)
    if limit is not None:
        data = Split(data.inputs[:limit], data.labels[:limit])
    return EvaluationTarget(
        trained=trained,
        dataset=trained.config.dataset,
        split=split,
        data=data,
        batch_size=batch_size or trained.config.batch_size,
    )


def _samples(trained: TrainedModel, split: str, data_dir: str | Path | None) -> Split:
    """The ``split`` that ``trained`` is evaluated on: read from ``data_dir``, or, with no data
    directory, the validation split qrkt ships for datasets read from files (MNIST)."""
    name = trained.config.dataset
    shipped = shipped_validation(name) if data_dir is None and split == "validation" else None
    if shipped is not None:
        return shipped
    dataset = load_for_model(trained.model, name, data_dir)
    data = dataset.validation if split == "validation" else dataset.test
    if data is None:
        raise TrainingError(
            f"the {dataset.name} dataset has no test split (its source has no test files); "
            "evaluate --split validation, or give a --data-dir that holds the test files"
        )
    return data


def as_trained(source: ModelSource) -> TrainedModel:
    """``source`` itself if it is a :class:`TrainedModel`, else the best checkpoint of the run
    in the work directory ``source``."""
    return source if isinstance(source, TrainedModel) else load_best(source)
