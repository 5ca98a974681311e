"""The compiled computations: initialisation, one training step, one evaluation batch, and a
pass over a split.

Initial parameters and dropout keys are pure functions of the seed (and the step), so a step
computes the same thing whether the run was interrupted before it or not.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flax
import flax.linen as nn
import jax
import numpy as np
import optax

from qrkt.data import Split
from qrkt.models import ModelConfig
from qrkt.presets import build_model
from qrkt.training.config import TrainConfig
from qrkt.training.optimizer import make_optimizer
from qrkt.training.order import evaluation_batches
from qrkt.training.parallel import DataParallel

if TYPE_CHECKING:
    from qrkt.backends.base import Backend

_INIT, _DROPOUT = 0, 1  # streams of the seed's key

EvalStep = Callable[[Any, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]


@flax.struct.dataclass
class TrainState:
    """What a training step changes: the step count, the parameters, the optimizer state."""

    step: jax.Array
    params: Any
    opt_state: Any


@dataclass(frozen=True)
class TrainingSteps:
    """A model's compiled computations for one training setup.

    Attributes:
      init: ``() -> TrainState``, fresh from the seed, replicated over the devices.
      shapes: the shapes and dtypes of that state (a restore target).
      train: ``(state, inputs, labels) -> (state, per-sample losses, probabilities)``.
      evaluate: ``(params, inputs, labels) -> (per-sample losses, probabilities)``.
      compile_seconds: time spent compiling them.
    """

    init: Callable[[], TrainState]
    shapes: TrainState
    train: Callable[[TrainState, jax.Array, jax.Array], tuple[TrainState, jax.Array, jax.Array]]
    evaluate: EvalStep
    compile_seconds: float


def training_steps(
    model_config: ModelConfig,
    config: TrainConfig,
    batch: tuple[jax.ShapeDtypeStruct, jax.ShapeDtypeStruct],
    parallel: DataParallel,
) -> TrainingSteps:
    """Build and compile ahead of time.

    Runs in one process that differ only in what the steps do not depend on (the data, how
    long they train, how often they checkpoint) share the compiled steps: a resumed run, say.
    """
    recipe = dataclasses.replace(
        config, dataset=None, data_dir=None, epochs=1, limit=None, checkpoint_every=None
    )
    return _training_steps(model_config, recipe, batch, parallel)


@functools.lru_cache(maxsize=8)
def _training_steps(
    model_config: ModelConfig,
    config: TrainConfig,
    batch: tuple[jax.ShapeDtypeStruct, jax.ShapeDtypeStruct],
    parallel: DataParallel,
) -> TrainingSteps:
    started = time.perf_counter()
    model = build_model(model_config, backend=config.backend)
    optimizer = make_optimizer(config)
    inputs = np.zeros(batch[0].shape[1:], batch[0].dtype)[np.newaxis]

    def init() -> TrainState:
        key = jax.random.fold_in(jax.random.PRNGKey(config.seed), _INIT)
        params = model.init({"params": key}, inputs, train=False)["params"]
        return TrainState(np.zeros((), np.int32), params, optimizer.init(params))

    shapes = jax.eval_shape(init)
    state = jax.tree_util.tree_map(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=parallel.replicated), shapes
    )
    train = make_train_step(model, optimizer, config.seed, parallel)
    evaluate = eval_step(model_config, parallel, config.backend, ())
    return TrainingSteps(
        init=jax.jit(init, out_shardings=parallel.replicated).lower().compile(),
        shapes=shapes,
        train=train.lower(state, *batch).compile(),
        evaluate=evaluate.lower(state.params, *batch).compile(),
        compile_seconds=time.perf_counter() - started,
    )


def batch_shapes(
    split: Split, batch_size: int, parallel: DataParallel
) -> tuple[jax.ShapeDtypeStruct, jax.ShapeDtypeStruct]:
    """Inputs and labels of one batch of ``split``, sharded over the devices."""
    inputs, labels = (
        jax.ShapeDtypeStruct((batch_size, *a.shape[1:]), a.dtype, sharding=parallel.sharded)
        for a in (split.inputs, split.labels)
    )
    return inputs, labels


def _losses(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels)


def make_train_step(
    model: nn.Module,
    optimizer: optax.GradientTransformation,
    seed: int,
    parallel: DataParallel,
) -> Any:
    """``step(state, inputs, labels) -> (state, per-sample losses, probabilities)``, jitted:
    one update on the mean softmax cross-entropy of a batch sharded over the devices."""
    dropout = jax.random.fold_in(jax.random.PRNGKey(seed), _DROPOUT)

    def step(state: TrainState, inputs: jax.Array, labels: jax.Array):
        key = jax.random.fold_in(dropout, state.step)

        def loss(params):
            logits = model.apply({"params": params}, inputs, train=True, rngs={"dropout": key})
            losses = _losses(logits, labels)
            return losses.mean(), (losses, logits)

        grads, (losses, logits) = jax.grad(loss, has_aux=True)(state.params)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return TrainState(state.step + 1, params, opt_state), losses, jax.nn.softmax(logits)

    return jax.jit(
        step,
        out_shardings=(parallel.replicated, parallel.sharded, parallel.sharded),
        donate_argnums=0,
    )


def eval_step(
    model_config: ModelConfig,
    parallel: DataParallel,
    backend: str | Backend,
    backend_options: tuple[tuple[str, object], ...],
) -> Any:
    """``step(params, inputs, labels) -> (per-sample losses, probabilities)``, jitted, without
    dropout. The steps of named backends are cached (a few), so that evaluating after training
    in one process reuses the compilation; a backend object (a recorder, say) gets a new step,
    so that no cache keeps it, or the batch it last saw, alive."""
    if isinstance(backend, str):
        return _named_eval_step(model_config, parallel, backend, backend_options)
    return _eval_step(model_config, parallel, backend, backend_options)


def _eval_step(
    model_config: ModelConfig,
    parallel: DataParallel,
    backend: str | Backend,
    backend_options: tuple[tuple[str, object], ...],
) -> Any:
    model = build_model(model_config, backend=backend, backend_options=backend_options)

    def step(params: Any, inputs: jax.Array, labels: jax.Array):
        logits = model.apply({"params": params}, inputs, train=False)
        return _losses(logits, labels), jax.nn.softmax(logits)

    return jax.jit(step, out_shardings=(parallel.sharded, parallel.sharded))


_named_eval_step = functools.lru_cache(maxsize=4)(_eval_step)


def predict(
    eval_step: EvalStep, params: Any, split: Split, batch_size: int, parallel: DataParallel
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample losses ``(N,)`` and probabilities ``(N, C)`` of a whole split, in order."""
    outputs = [
        parallel.to_host(
            eval_step(
                params, parallel.shard(split.inputs[rows]), parallel.shard(split.labels[rows])
            )
        )
        for rows in evaluation_batches(len(split), batch_size)
    ]
    losses, probabilities = (
        np.concatenate(parts)[: len(split)] for parts in zip(*outputs, strict=True)
    )
    return losses, probabilities
