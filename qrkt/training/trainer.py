"""Training a preset: :func:`train_and_evaluate`, resumable from any step it checkpointed.

A run is a pure function of its :class:`TrainConfig`: initial parameters, data order and
dropout keys derive from the seed, the epoch and the step. A checkpoint records the position
(epoch, batches done in it) with the parameters, the optimizer state and the epoch's training
predictions so far, so a resumed run takes exactly the steps an uninterrupted one would have,
and writes the same metrics.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from qrkt.data import Dataset, Split, load_dataset
from qrkt.errors import TrainingError
from qrkt.models import ModelConfig, count_parameters
from qrkt.presets import get_preset, parameter_shapes
from qrkt.training.checkpoint import load_checkpoint, save_checkpoint
from qrkt.training.config import RESUMABLE_CHANGES, TrainConfig
from qrkt.training.files import write_atomically, writing
from qrkt.training.metrics import classification_metrics
from qrkt.training.optimizer import learning_rate_schedule
from qrkt.training.order import epoch_order, steps_per_epoch, training_batch
from qrkt.training.parallel import DataParallel
from qrkt.training.report import (
    Record,
    append_record,
    best_record,
    plot_curves,
    read_records,
    summarize,
    write_records,
)
from qrkt.training.resume import (
    Position,
    check_new_run,
    check_same_settings,
    checkpoint_due,
    finished_summary,
    position_metadata,
    resume_position,
    stop_if_not_finite,
)
from qrkt.training.steps import (
    TrainState,
    batch_shapes,
    predict,
    training_steps,
)
from qrkt.training.workdir import WorkDir

logger = logging.getLogger(__name__)

# The validation split is the same for every run, whatever its seed, so runs compare on it.
SPLIT_SEED = 0


class Progress:
    """What :func:`train_and_evaluate` reports as it goes; every hook does nothing here.

    The CLI subclasses it to draw a progress bar.
    """

    def epoch_started(self, epoch: int, samples: int, done: int) -> None:
        """Epoch ``epoch`` (from 1) of ``samples`` training samples starts; a resumed epoch
        has trained on ``done`` of them already."""

    def step_finished(self, step: int, samples: int) -> None:
        """Global step ``step`` (from 1) has trained on ``samples`` more samples."""

    def epoch_finished(self, record: Record) -> None:
        """An epoch ended: ``record`` is its line in ``metrics.jsonl``."""


@dataclass(frozen=True)
class TrainResult:
    """A finished run: its summary (also in ``summary.json``), its epochs, its last params;
    ``already_finished`` if it was resumed with nothing left to do (nothing was trained)."""

    summary: dict[str, Any]
    history: list[Record]
    params: Any
    already_finished: bool = False


def load_data(model: ModelConfig, name: str, data_dir: str | Path | None) -> Dataset:
    """The dataset ``name``, checked to fit ``model``'s inputs and classes."""
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


def train_and_evaluate(
    config: TrainConfig,
    workdir: str | Path,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> TrainResult:
    """Train ``config.preset`` and keep the epoch of best validation AUC.

    Writes to ``workdir``: ``checkpoints/last.ckpt`` (each epoch, and every
    ``config.checkpoint_every`` steps), ``checkpoints/best.ckpt``, ``metrics.jsonl``,
    ``summary.json``, ``loss.png`` and ``auc.png``.

    Args:
      config: the run; ``config.dataset`` ``None`` takes the preset's.
      workdir: the run's directory; it must not hold another run unless ``resume``.
      resume: continue the run in ``workdir`` from its ``last`` checkpoint (or from its start,
        if it has none yet); a run that has trained its epochs returns its stored summary. Only
        ``epochs``, ``data_dir`` and ``checkpoint_every`` may differ from the settings it was
        started with.
      progress: receives progress events.
      devices: train data-parallel over these; ``None``: every device of every process.
    """
    progress = progress or Progress()
    files = WorkDir(Path(workdir))
    check_new_run(files, resume)
    preset = get_preset(config.preset)
    config = dataclasses.replace(config, dataset=config.dataset or preset.dataset)
    dataset = load_data(preset.model, config.dataset, config.data_dir)
    train = dataset.train
    if config.limit is not None:
        train = Split(train.inputs[: config.limit], train.labels[: config.limit])
    parallel = DataParallel.over(devices or jax.devices())
    parallel.check_batch_size(config.batch_size)
    epoch_steps = steps_per_epoch(len(train), config.batch_size)
    if epoch_steps == 0:
        raise TrainingError(
            f"the training split has {len(train)} samples, fewer than one batch of "
            f"{config.batch_size}; lower --batch-size or raise --limit"
        )

    checkpoint, at = None, Position()
    if resume and files.last.exists():
        checkpoint = load_checkpoint(files.last)
        checkpoint.check_model(preset.name, preset.model)
        stored = TrainConfig.from_dict(checkpoint.get("train_config", dict))
        check_same_settings(files, stored.differences(config), RESUMABLE_CHANGES)
        at = resume_position(checkpoint, epoch_steps, files)
        summary = finished_summary(files, at, config.epochs)
        if summary is not None:
            logger.info(
                "the run in %s has trained its %d epochs: nothing left to do", files.path, at.epoch
            )
            params = checkpoint.restore("params", parameter_shapes(preset.model))
            return TrainResult(summary, at.history, params, already_finished=True)
    compiled = training_steps(
        preset.model, config, batch_shapes(train, config.batch_size, parallel), parallel
    )
    logger.info("compiled the training steps in %.1f s", compiled.compile_seconds)
    facts = {
        "preset": preset.name,
        "dataset": config.dataset,
        "backend": config.backend,
        "parameters": count_parameters(compiled.shapes.params),
        "qubits": preset.model.qubits,
        "devices": parallel.device_count,
        "processes": jax.process_count(),
        "compile_seconds": compiled.compile_seconds,
    }
    epoch, position, seconds, history = at.epoch, at.position, at.seconds, at.history
    predictions = _EpochPredictions(dataset.num_classes)
    if checkpoint is None:
        state = compiled.init()
    else:
        state = parallel.replicate(
            TrainState(
                np.asarray(at.step(epoch_steps), np.int32),
                checkpoint.restore("params", compiled.shapes.params),
                checkpoint.restore("opt_state", compiled.shapes.opt_state),
            )
        )
        predictions = _EpochPredictions(dataset.num_classes, checkpoint.state["predictions"])
        logger.info("resuming %s at epoch %d, step %d", files.path, epoch + 1, at.step(epoch_steps))
    parallel.barrier("qrkt: work directory checked")  # before process 0 writes to it
    if parallel.is_main_process:
        with writing(files.metrics):
            write_records(files.metrics, history)

    def save(path: Path, host: TrainState, at_position: int, elapsed: float) -> None:
        step = epoch * epoch_steps + at_position
        stop_if_not_finite("parameters", host.params, files, epoch + bool(at_position), step)
        best = best_record(history) if history else {}
        metadata = {
            "preset": preset.name,
            "model": preset.model.to_dict(),
            "train_config": config.to_dict(),
            **position_metadata(Position(epoch, at_position, elapsed, history), epoch_steps),
            "best_epoch": best.get("epoch"),
            "best_validation_auc": best.get("validation_auc"),
            **facts,
        }
        arrays = {
            "params": host.params,
            "opt_state": host.opt_state,
            "predictions": predictions.arrays(),
        }
        if parallel.is_main_process:
            with writing(path):
                save_checkpoint(path, arrays, metadata)

    schedule = learning_rate_schedule(config)
    while epoch < config.epochs:
        order = epoch_order(config.seed, epoch, len(train))
        progress.epoch_started(
            epoch + 1, epoch_steps * config.batch_size, position * config.batch_size
        )
        started = time.perf_counter() - seconds
        while position < epoch_steps:
            rows = training_batch(order, position, config.batch_size)
            labels = train.labels[rows]
            state, losses, probabilities = compiled.train(
                state, parallel.shard(train.inputs[rows]), parallel.shard(labels)
            )
            losses, probabilities = parallel.to_host((losses, probabilities))
            position += 1
            step = epoch * epoch_steps + position
            stop_if_not_finite("training loss", losses, files, epoch + 1, step)
            predictions.add(losses, probabilities, labels)
            if checkpoint_due(config.checkpoint_every, step, position, epoch_steps):
                save(files.last, parallel.to_host(state), position, time.perf_counter() - started)
            progress.step_finished(step, config.batch_size)
        training_time = time.perf_counter() - started
        train_predictions = predictions.arrays()
        validation_losses, validation_probabilities = predict(
            compiled.evaluate, state.params, dataset.validation, config.batch_size, parallel
        )
        stop_if_not_finite(
            "validation loss", validation_losses, files, epoch + 1, (epoch + 1) * epoch_steps
        )
        record = {
            "epoch": epoch + 1,
            "step": (epoch + 1) * epoch_steps,
            **_metrics("train", **train_predictions),
            **_metrics(
                "validation",
                losses=validation_losses,
                probabilities=validation_probabilities,
                labels=dataset.validation.labels,
            ),
            "learning_rate": float(schedule((epoch + 1) * epoch_steps - 1)),
            "epoch_seconds": time.perf_counter() - started,
            "samples_per_second": epoch_steps * config.batch_size / training_time,
        }
        history = [*history, record]
        epoch, position, seconds = epoch + 1, 0, 0.0
        predictions = _EpochPredictions(dataset.num_classes)
        host = parallel.to_host(state)
        if best_record(history) is record:
            save(files.best, host, 0, 0.0)
        save(files.last, host, 0, 0.0)
        if parallel.is_main_process:
            with writing(files.metrics):
                append_record(files.metrics, record)
        logger.info(
            "epoch %d: train loss %.4f, validation loss %.4f, accuracy %.4f, AUC %.4f",
            record["epoch"],
            record["train_loss"],
            record["validation_loss"],
            record["validation_accuracy"],
            record["validation_auc"],
        )
        progress.epoch_finished(record)

    summary = summarize(
        history, **facts, train_config=config.to_dict(), model=preset.model.to_dict()
    )
    if parallel.is_main_process:
        with writing(files.path):
            write_atomically(files.summary, (json.dumps(summary, indent=2) + "\n").encode())
            plot_curves(read_records(files.metrics), files.path)
    return TrainResult(summary, history, parallel.to_host(state.params))


class _EpochPredictions:
    """The current epoch's training predictions so far, for its training metrics."""

    def __init__(self, classes: int, saved: dict[str, np.ndarray] | None = None) -> None:
        self._parts: dict[str, list[np.ndarray]] = {
            "losses": [np.zeros(0, np.float32)],
            "probabilities": [np.zeros((0, classes), np.float32)],
            "labels": [np.zeros(0, np.int32)],
        }
        for name, array in (saved or {}).items():
            self._parts[name].append(array)

    def add(self, losses: np.ndarray, probabilities: np.ndarray, labels: np.ndarray) -> None:
        for name, array in zip(self._parts, (losses, probabilities, labels), strict=True):
            self._parts[name].append(array)

    def arrays(self) -> dict[str, np.ndarray]:
        """``losses`` (n,), ``probabilities`` (n, C) and ``labels`` (n,) so far."""
        return {name: np.concatenate(parts) for name, parts in self._parts.items()}


def _metrics(
    split: str, losses: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> dict[str, float]:
    metrics = {"loss": float(np.mean(losses)), **classification_metrics(labels, probabilities)}
    return {f"{split}_{name}": value for name, value in metrics.items()}
