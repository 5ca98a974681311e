"""Sampling a trained generator on any backend: the weights are the run's, the backend of its
circuits is chosen here, at apply time (a simulator, ``qiskit_aer``, ``ibm_runtime``, ...)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from qrkt.errors import CheckpointError, known_names
from qrkt.gan.config import GanConfig
from qrkt.gan.presets import GAN_PRESETS, build_gan
from qrkt.gan.training import GanTrainConfig
from qrkt.training.checkpoint import load_checkpoint
from qrkt.training.order import evaluation_batches
from qrkt.training.workdir import WorkDir

if TYPE_CHECKING:
    from qrkt.backends.base import Backend


@dataclass(frozen=True)
class TrainedGenerator:
    """A run's generator as its last checkpoint holds it: the EMA of its weights."""

    preset: str
    model: GanConfig
    train_config: GanTrainConfig
    params: Any
    step: int


def load_generator(workdir: str | Path) -> TrainedGenerator:
    """The EMA generator of the run in ``workdir`` (its ``last`` checkpoint)."""
    last = WorkDir(Path(workdir)).last
    if not last.exists():
        raise CheckpointError(
            f"no GAN run in {workdir}: {last} does not exist; train one first with qrkt "
            f"train-gan --preset NAME --workdir {workdir}, or pass the work directory of one"
        )
    checkpoint = load_checkpoint(last)
    meta = checkpoint.metadata
    if meta.get("preset") not in GAN_PRESETS:
        raise CheckpointError(
            f"{workdir} holds a run of {meta.get('preset')!r}, not of a GAN preset "
            f"({known_names(GAN_PRESETS)}); pass the work directory of a qrkt train-gan run"
        )
    model = GanConfig.from_dict(checkpoint.get("model", dict))
    generator, _ = build_gan(model)
    shapes = jax.eval_shape(generator.init, jax.random.PRNGKey(0), np.zeros((1, model.latent)))
    return TrainedGenerator(
        meta["preset"],
        model,
        GanTrainConfig.from_dict(checkpoint.get("train_config", dict)),
        checkpoint.restore("ema", shapes),
        checkpoint.get("step", int),
    )


def generate(
    model: GanConfig,
    params: Any,
    latents: np.ndarray,
    *,
    backend: str | Backend = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    compiled: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Images ``(N, H, W, C)`` in ``[-1, 1]`` of ``latents`` ``(N, latent)``, the generator's
    circuits on ``backend``, in batches of ``batch_size``; ``progress(batches done, batches)``
    is called before the first batch and after each, ``compiled(seconds)`` once the generator
    is compiled for the batches."""
    latents = np.asarray(latents, np.float32)
    started = time.perf_counter()
    apply = (
        _generator_function(model, backend, backend_options)
        .lower(params, jax.ShapeDtypeStruct((batch_size, *latents.shape[1:]), latents.dtype))
        .compile()
    )
    if compiled:
        compiled(time.perf_counter() - started)
    batches = -(-len(latents) // batch_size)
    parts = []
    for index, rows in enumerate(evaluation_batches(len(latents), batch_size)):
        if progress:
            progress(index, batches)
        parts.append(np.asarray(apply(params, latents[rows])))
    if progress:
        progress(batches, batches)
    return np.concatenate(parts)[: len(latents)]


@functools.lru_cache(maxsize=8)
def _generator_function(
    model: GanConfig, backend: str | Backend, backend_options: tuple[tuple[str, object], ...]
) -> Any:
    """The jitted generator of ``model`` on ``backend``, which :func:`generate` compiles for
    its batches (from JAX's compilation cache where it can)."""
    generator, _ = build_gan(model, backend=backend, backend_options=backend_options)
    return jax.jit(generator.apply)
