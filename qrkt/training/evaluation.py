"""Evaluating a run's best checkpoint on any backend: :func:`evaluate`.

Backends that JAX traces evaluate in one compiled pass over the split. Host backends (a quantum
device above all) go through :mod:`qrkt.training.device_evaluation`: planned, journaled,
resumable, and compared with the exact simulator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from qrkt.backends.base import JaxBackend
from qrkt.backends.registry import backend_entry
from qrkt.data import Split, shipped_validation
from qrkt.errors import CheckpointError, TrainingError, check_int
from qrkt.models import ModelConfig
from qrkt.presets import get_preset, parameter_shapes
from qrkt.training.checkpoint import Checkpoint, load_checkpoint
from qrkt.training.config import TrainConfig
from qrkt.training.files import write_atomically
from qrkt.training.metrics import classification_metrics
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step, predict
from qrkt.training.trainer import load_data
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
    dataset = load_data(trained.model, name, data_dir)
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


def evaluate(
    source: ModelSource,
    *,
    backend: str = "jax",
    split: str = "validation",
    data_dir: str | Path | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
    backend_options: tuple[tuple[str, object], ...] = (),
    name: str | None = None,
    shot_agreement: float = 0.99,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Evaluate a trained model; write and return its metrics.

    The model is the one the checkpoint stores (its preset's configuration at training time),
    its circuits on ``backend``: the parameters do not depend on the backend.

    Args:
      source: a run's work directory (``qrkt train --workdir``), whose best checkpoint is
        evaluated, or a :class:`TrainedModel` such as ``qrkt.pretrained.load(name)``.
      backend: runs the model's circuits.
      split: ``"validation"`` or ``"test"``.
      data_dir: where the dataset's files are; ``None`` takes the run's (a pretrained MNIST
        model has none: its validation split is the one qrkt ships).
      limit: evaluate the split's first ``limit`` samples only.
      batch_size: samples per batch; ``None`` takes the run's, or on a host backend (a
        device) every sample up to :data:`~qrkt.training.device_evaluation.DEVICE_BATCH` at
        once, since each layer call of a batch is one job.
      backend_options: options for the backend, as ``(("shots", 1000),)``; ``("shots",
        "auto")`` chooses the fewest shots that keep ``shot_agreement`` of the exact
        predictions (:func:`~qrkt.training.shot_budget.choose_shots`).
      name: names the evaluation's files; by default the backend's name and its ``device``.
      shot_agreement: the target of ``shots="auto"``.
      resume: continue an interrupted host-backend evaluation of the same name.
      progress: called as ``progress(batches done, batches)`` by host-backend evaluations.
      command: the command line, recorded in the result.

    Returns:
      What it wrote to ``evaluation-<split>-<name>.json`` in the model's work directory:
      loss, accuracy, F1, AUC, the number of samples, the checkpoint's epoch, what was
      evaluated; host-backend evaluations add what they ran and their parity with the exact
      simulator
      (:func:`~qrkt.training.device_evaluation.evaluate_journaled`).
    """
    target = load_target(source, split=split, data_dir=data_dir, limit=limit, batch_size=batch_size)
    name = name or evaluation_name(backend, backend_options)
    if journaled(target.trained.model, backend):
        from qrkt.training.device_evaluation import evaluate_journaled

        return evaluate_journaled(
            target,
            backend,
            backend_options,
            name,
            batch_size=batch_size,
            shot_agreement=shot_agreement,
            resume=resume,
            progress=progress,
            command=command,
        )
    parallel = DataParallel.over(jax.devices())
    parallel.check_batch_size(target.batch_size)
    started = time.perf_counter()
    losses, probabilities = predict(
        eval_step(target.trained.model, parallel, backend, backend_options),
        parallel.replicate(target.trained.params),
        target.data,
        target.batch_size,
        parallel,
    )
    result = {
        **target.metrics(losses, probabilities),
        "backend": backend,
        "seconds": time.perf_counter() - started,
        "command": command,
        "path": str(target.trained.files.evaluation(split, name)),
    }
    if parallel.is_main_process:
        write_json(result["path"], result)
    return result


def journaled(model: ModelConfig, backend: str) -> bool:
    """Whether :func:`evaluate` runs ``model`` on ``backend`` call by call, on one device
    (circuits on a host backend), rather than in one compiled pass, data-parallel."""
    return model.circuit is not None and not issubclass(backend_entry(backend).load(), JaxBackend)


def evaluation_name(backend: str, backend_options: tuple[tuple[str, object], ...]) -> str:
    """The default name of an evaluation's files: the backend, and its device if it has one."""
    device = dict(backend_options).get("device")
    return backend if device is None else f"{backend}-{device}"


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode())
