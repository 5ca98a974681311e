"""Evaluating a run's best checkpoint on any backend: :func:`evaluate`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jax

from qrkt.data import Split
from qrkt.errors import TrainingError
from qrkt.models import ModelConfig
from qrkt.presets import build_model, example_inputs
from qrkt.training.checkpoint import load_checkpoint
from qrkt.training.config import TrainConfig, check_int
from qrkt.training.files import write_atomically
from qrkt.training.metrics import classification_metrics
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step, predict
from qrkt.training.trainer import load_data
from qrkt.training.workdir import WorkDir

SPLITS = ("validation", "test")


def evaluate(
    workdir: str | Path,
    *,
    backend: str = "jax",
    split: str = "validation",
    data_dir: str | Path | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
    backend_options: tuple[tuple[str, object], ...] = (),
    command: str | None = None,
) -> dict[str, Any]:
    """Evaluate the best checkpoint of the run in ``workdir``; write and return its metrics.

    The model is the one the checkpoint stores (its preset's configuration at training time),
    its circuits on ``backend``: the parameters do not depend on the backend.

    Args:
      workdir: a run's work directory (``qrkt train --workdir``).
      backend: runs the model's circuits.
      split: ``"validation"`` or ``"test"``.
      data_dir: where the dataset's files are; ``None`` takes the run's.
      limit: evaluate the split's first ``limit`` samples only.
      batch_size: samples per batch; ``None`` takes the run's.
      backend_options: options for the backend, as ``(("shots", 1000),)``.
      command: the command line, recorded in the result.

    Returns:
      What it wrote to ``path`` (``workdir/evaluation-<split>-<backend>.json``): loss,
      accuracy, F1, AUC, the number of samples, the checkpoint's epoch, what was evaluated.
    """
    if split not in SPLITS:
        raise TrainingError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    for label, value in (("limit", limit), ("batch_size", batch_size)):
        if value is not None:
            check_int(label, value, minimum=1)
    files = WorkDir(Path(workdir))
    checkpoint = load_checkpoint(files.best)
    config = TrainConfig.from_dict(checkpoint.metadata["train_config"])
    model_config = ModelConfig.from_dict(checkpoint.metadata["model"])
    dataset = load_data(model_config, config.dataset, data_dir or config.data_dir)
    data = dataset.validation if split == "validation" else dataset.test
    if data is None:
        raise TrainingError(
            f"the {dataset.name} dataset has no test split (its source has no test files); "
            "evaluate --split validation, or give a --data-dir that holds the test files"
        )
    if limit is not None:
        data = Split(data.inputs[:limit], data.labels[:limit])
    batch_size = batch_size or config.batch_size
    parallel = DataParallel.over(jax.devices())
    parallel.check_batch_size(batch_size)

    model = build_model(model_config, backend=backend, backend_options=backend_options)
    shapes = jax.eval_shape(
        lambda: model.init({"params": jax.random.PRNGKey(0)}, example_inputs(model_config))
    )
    params = parallel.replicate(checkpoint.restore("params", shapes["params"]))
    started = time.perf_counter()
    losses, probabilities = predict(
        eval_step(model_config, parallel, backend, backend_options),
        params,
        data,
        batch_size,
        parallel,
    )
    result = {
        "preset": config.preset,
        "dataset": dataset.name,
        "split": split,
        "backend": backend,
        "checkpoint": str(files.best),
        "epoch": checkpoint.metadata["epoch"],
        "samples": len(data),
        "loss": float(losses.mean()),
        **classification_metrics(data.labels, probabilities),
        "seconds": time.perf_counter() - started,
        "command": command,
        "path": str(files.evaluation(split, backend)),
    }
    if parallel.is_main_process:
        write_atomically(result["path"], (json.dumps(result, indent=2) + "\n").encode())
    return result
