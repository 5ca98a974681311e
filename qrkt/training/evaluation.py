"""Evaluating a run's best checkpoint on any backend: :func:`evaluate`.

Backends that JAX traces evaluate in one compiled pass over the split. Host backends (a quantum
device above all) go through :mod:`qrkt.training.device_evaluation`: planned, journaled,
resumable, and compared with the exact simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax

from qrkt.backends.base import JaxBackend
from qrkt.backends.registry import backend_entry
from qrkt.compile_cache import use_compile_cache
from qrkt.models import ModelConfig
from qrkt.training.device_evaluation import evaluate_journaled
from qrkt.training.files import write_json
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import batch_shapes, eval_step, predict
from qrkt.training.target import ModelSource, load_target


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
      evaluated, its seconds (compiling included) and, on a JAX backend, the seconds it spent
      compiling; host-backend evaluations add what they ran and their parity with the exact
      simulator
      (:func:`~qrkt.training.device_evaluation.evaluate_journaled`).
    """
    use_compile_cache()
    target = load_target(source, split=split, data_dir=data_dir, limit=limit, batch_size=batch_size)
    name = name or evaluation_name(backend, backend_options)
    if journaled(target.trained.model, backend):
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
    params = parallel.replicate(target.trained.params)
    step = eval_step(target.trained.model, parallel, backend, backend_options)
    compiled = step.lower(params, *batch_shapes(target.data, target.batch_size, parallel))
    compiled = compiled.compile()
    compile_seconds = time.perf_counter() - started
    losses, probabilities = predict(compiled, params, target.data, target.batch_size, parallel)
    result = {
        **target.metrics(losses, probabilities),
        "backend": backend,
        "seconds": time.perf_counter() - started,
        "compile_seconds": compile_seconds,
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
