"""Training a preset: :func:`train_and_evaluate`, resumable from any step it checkpointed.

The loop is :func:`~qrkt.training.loop.train_loop`'s; a classifier's steps minimise the
softmax cross-entropy, keep the epoch's training predictions for its training metrics, and
end each epoch with the validation metrics and the checkpoint of the best validation AUC.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jax
import numpy as np

from qrkt.data import Dataset, Split, load_for_model
from qrkt.errors import TrainingError
from qrkt.models import ModelConfig, count_parameters
from qrkt.presets import Preset, get_preset, parameter_shapes
from qrkt.training.checkpoint import Checkpoint
from qrkt.training.config import TrainConfig
from qrkt.training.files import writing
from qrkt.training.loop import EpochEnd, Progress, Run, Training, train_loop
from qrkt.training.metrics import classification_metrics
from qrkt.training.optimizer import learning_rate_schedule
from qrkt.training.order import steps_per_epoch
from qrkt.training.parallel import DataParallel
from qrkt.training.report import Record, plot_curves, read_records, summarize
from qrkt.training.resume import check_new_run
from qrkt.training.steps import TrainState, batch_shapes, predict, training_steps
from qrkt.training.workdir import WorkDir

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """A finished run: its summary (also in ``summary.json``), its epochs, its last params;
    ``already_finished`` if it was resumed with nothing left to do (nothing was trained)."""

    summary: dict[str, Any]
    history: list[Record]
    params: Any
    already_finished: bool = False


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
    files = WorkDir(Path(workdir))
    check_new_run(files, resume)
    preset = get_preset(config.preset)
    config = dataclasses.replace(config, dataset=config.dataset or preset.dataset)
    dataset = load_for_model(preset.model, config.dataset, config.data_dir)
    train = dataset.train
    if config.limit is not None:
        train = Split(train.inputs[: config.limit], train.labels[: config.limit])
    parallel = DataParallel.over(devices or jax.devices())
    parallel.check_batch_size(config.batch_size)
    if steps_per_epoch(len(train), config.batch_size) == 0:
        raise TrainingError(
            f"the training split has {len(train)} samples, fewer than one batch of "
            f"{config.batch_size}; lower --batch-size or raise --limit"
        )
    run = Run(
        preset=preset.name,
        model=preset.model,
        config=config,
        train_size=len(train),
        rows=config.batch_size,
        parallel=parallel,
        compiling="the training step",
        compile=partial(_Classifier, preset, config, dataset, train, parallel),
        finished=partial(_stored_params, preset.model),
    )
    outcome = train_loop(run, files, resume=resume, progress=progress or Progress())
    return TrainResult(outcome.summary, outcome.history, outcome.result, outcome.already_finished)


def _stored_params(model: ModelConfig, checkpoint: Checkpoint) -> Any:
    return checkpoint.restore("params", parameter_shapes(model))


class _Classifier(Training[TrainState]):
    """A classifier's steps, compiled for ``train`` batches, and what its run records."""

    OUTPUTS = "predictions"  # the epoch's training losses, probabilities and labels so far
    LOSSES = "training loss"
    BEST = "validation_auc"

    def __init__(
        self,
        preset: Preset,
        config: TrainConfig,
        dataset: Dataset,
        train: Split,
        parallel: DataParallel,
    ) -> None:
        self.steps = training_steps(
            preset.model, config, batch_shapes(train, config.batch_size, parallel), parallel
        )
        self.compile_seconds = self.steps.compile_seconds
        self.facts = {
            "preset": preset.name,
            "dataset": config.dataset,
            "backend": config.backend,
            "parameters": count_parameters(self.steps.shapes.params),
            "qubits": preset.model.qubits,
            "devices": parallel.device_count,
            "processes": jax.process_count(),
            "compile_seconds": self.compile_seconds,
        }
        self.preset, self.config, self.parallel = preset, config, parallel
        self.train, self.validation = train, dataset.validation
        self.schedule = learning_rate_schedule(config)

    def start(self, checkpoint: Checkpoint | None) -> TrainState:
        if checkpoint is None:
            return self.steps.init()
        return self.parallel.replicate(
            TrainState(
                np.asarray(checkpoint.get("step", int), np.int32),
                checkpoint.restore("params", self.steps.shapes.params),
                checkpoint.restore("opt_state", self.steps.shapes.opt_state),
            )
        )

    def step(
        self, state: TrainState, rows: np.ndarray
    ) -> tuple[TrainState, np.ndarray, dict[str, np.ndarray]]:
        inputs, labels = self.train.inputs[rows], self.train.labels[rows]
        state, losses, probabilities = self.steps.train(
            state, self.parallel.shard(inputs), self.parallel.shard(labels)
        )
        losses, probabilities = self.parallel.to_host((losses, probabilities))
        return state, losses, {"losses": losses, "probabilities": probabilities, "labels": labels}

    def trees(self, state: TrainState) -> dict[str, Any]:
        host = self.parallel.to_host(state)
        return {"params": host.params, "opt_state": host.opt_state}

    def record(self, state: TrainState, end: EpochEnd) -> Record:
        losses, probabilities = predict(
            self.steps.evaluate,
            state.params,
            self.validation,
            self.config.batch_size,
            self.parallel,
        )
        end.check_finite("validation loss", losses)
        return {
            **_metrics("train", **end.outputs),
            **_metrics("validation", losses, self.validation.labels, probabilities),
            "learning_rate": float(self.schedule(end.step - 1)),
            "samples_per_second": end.samples / end.seconds,
        }

    def epoch_finished(self, state: TrainState, record: Record, files: WorkDir) -> None:
        logger.info(
            "epoch %d: train loss %.4f, validation loss %.4f, accuracy %.4f, AUC %.4f",
            record["epoch"],
            record["train_loss"],
            record["validation_loss"],
            record["validation_accuracy"],
            record["validation_auc"],
        )

    def summary(self, history: list[Record]) -> dict[str, Any]:
        return summarize(
            history,
            **self.facts,
            train_config=self.config.to_dict(),
            model=self.preset.model.to_dict(),
        )

    def run_finished(self, files: WorkDir) -> None:
        with writing(files.path):
            plot_curves(read_records(files.metrics), files.path)

    def result(self, state: TrainState) -> Any:
        return self.parallel.to_host(state.params)


def _metrics(
    split: str, losses: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> dict[str, float]:
    metrics = {"loss": float(np.mean(losses)), **classification_metrics(labels, probabilities)}
    return {f"{split}_{name}": value for name, value in metrics.items()}
