"""Training a GAN preset: :func:`train_gan`, resumable from any step it checkpointed.

One generator step is ``critic_steps`` critic updates, each on its own real batch, then one
generator update and an exponential moving average (EMA) of the generator's weights; the
whole step is one compiled function. Every random draw derives from the seed and the step, and
the data order from the seed and the epoch, so a resumed run takes exactly the steps an
uninterrupted one would have. The loop is :func:`~qrkt.training.loop.train_loop`'s.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from qrkt.errors import MAX_SEED, TrainingError, check_fields, check_finite, check_int
from qrkt.gan.augment import augment, check_policies
from qrkt.gan.config import GanConfig, qubits
from qrkt.gan.images import load_gan_data, save_grid
from qrkt.gan.losses import LOSSES, gan_loss
from qrkt.gan.models import Discriminator, Generator
from qrkt.gan.presets import GanPreset, build_gan, gan_parameter_counts, get_gan_preset
from qrkt.training.checkpoint import Checkpoint
from qrkt.training.config import MAX_EPOCHS
from qrkt.training.files import writing
from qrkt.training.loop import EpochEnd, Progress, Run, Training, train_loop
from qrkt.training.order import steps_per_epoch
from qrkt.training.parallel import DataParallel
from qrkt.training.report import Record, trained_seconds
from qrkt.training.resume import RunSettings, check_new_run
from qrkt.training.workdir import WorkDir

logger = logging.getLogger(__name__)
_INIT, _STEPS, _GRID = 0, 1, 2  # streams of the seed's key


@dataclass(frozen=True)
class GanTrainConfig(RunSettings):
    """A GAN training run.

    The defaults are the recipe that ``benchmarks/gan_variants.py`` measured best on the 8x8
    digits (issue 19): the non-saturating loss with R1, Adam 5e-4, 1 critic step, DiffAugment's
    translation.
    REFERENCE §5's is :data:`REFERENCE_RECIPE`.

    Attributes:
      preset: the GAN, by preset name (``qrkt describe NAME`` describes one).
      dataset: the dataset by name; ``None`` takes the preset's.
      data_dir: where the dataset's files are; ``None`` for the embedded ``digits``.
      backend: the backend of the circuits during training.
      epochs: passes of the critic over the training split.
      batch_size: images per critic batch and per generator batch.
      learning_rate: Adam's (betas 0 and 0.99) for both networks.
      critic_steps: critic updates per generator update, each on its own real batch.
      decay: decay both learning rates linearly to 0 over the run (off by default: over a
        short run the decay starves the last steps of learning).
      ema_decay: the generator EMA's decay, ``min(ema_decay, (1 + t) / (10 + t))`` at step t.
      augment: DiffAugment policies, in order (``color``, ``translation``, ``cutout``).
      seed: initial parameters, data order, latents and augmentations.
      limit: train on the first ``limit`` images of the training split only.
      checkpoint_every: also write the ``last`` checkpoint every this many generator steps.
      time_limit: stop once the epochs have trained this many seconds (compiling not counted):
        the epoch under way ends at the generator step that passes it; ``None``: train every
        epoch.
      grid_samples: images in each epoch's sample grid.
      loss: the loss, a key of :data:`~qrkt.gan.losses.LOSSES`: ``wgan-gp-eps`` (REFERENCE
        §5's) or ``ns-r1`` (non-saturating, with an R1 penalty on the real images).
      r1_gamma: the R1 penalty's weight ``gamma`` (``ns-r1`` only; 0 turns it off). 0.1, not
        tuned here, is the middle on a log scale between StyleGAN2-ADA's rule for small images
        (``0.0002 * pixels / batch``: 0.0004 to 0.005 for 8x8 to 28x28 images in batches of 32)
        and StyleGAN2's 10 for 1024x1024 faces.
    """

    preset: str
    dataset: str | None = None
    data_dir: str | None = None
    backend: str = "jax"
    epochs: int = 50
    batch_size: int = 32
    learning_rate: float = 5e-4
    critic_steps: int = 1
    decay: bool = False
    ema_decay: float = 0.999
    augment: tuple[str, ...] = ("translation",)
    seed: int = 0
    limit: int | None = None
    checkpoint_every: int | None = None
    time_limit: float | None = None
    grid_samples: int = 64
    loss: str = "ns-r1"
    r1_gamma: float = 0.1

    RESUMABLE_CHANGES: ClassVar[tuple[str, ...]] = ("data_dir", "checkpoint_every", "time_limit")

    def __post_init__(self) -> None:
        check_int(_flag("epochs"), self.epochs, minimum=1, maximum=MAX_EPOCHS, error=TrainingError)
        for label in ("batch_size", "critic_steps", "grid_samples"):
            check_int(_flag(label), getattr(self, label), minimum=1, error=TrainingError)
        check_int(_flag("seed"), self.seed, minimum=0, maximum=MAX_SEED, error=TrainingError)
        for label in ("limit", "checkpoint_every"):
            if getattr(self, label) is not None:
                check_int(_flag(label), getattr(self, label), minimum=1, error=TrainingError)
        self.check_time_limit(_flag("time_limit"))
        for label in ("learning_rate", "ema_decay", "r1_gamma"):
            check_finite(_flag(label), getattr(self, label), error=TrainingError)
        if not self.learning_rate > 0:
            raise TrainingError(
                f"{_flag('learning_rate')} must be > 0, got {self.learning_rate!r}; REFERENCE §5 "
                "uses 1e-4"
            )
        if not 0 <= self.ema_decay < 1:
            raise TrainingError(
                f"{_flag('ema_decay')} must be in [0, 1), got {self.ema_decay!r}; 0.999 is usual"
            )
        if self.loss not in LOSSES:
            raise TrainingError(
                f"{_flag('loss')} must be one of {', '.join(LOSSES)}, got {self.loss!r}; "
                "wgan-gp-eps is REFERENCE §5's"
            )
        if not self.r1_gamma >= 0:
            raise TrainingError(
                f"{_flag('r1_gamma')} must be >= 0, got {self.r1_gamma!r}; 0 turns the R1 "
                "penalty off"
            )
        check_policies(self.augment)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GanTrainConfig:
        check_fields(cls, data, TrainingError, "GAN training settings")
        return cls(**{**STORED_BEFORE, **data, "augment": tuple(data.get("augment", ()))})


REFERENCE_RECIPE = {
    "loss": "wgan-gp-eps",
    "learning_rate": 1e-4,
    "critic_steps": 5,
    "augment": ("color", "translation", "cutout"),
}
"""REFERENCE §5's training settings, where they differ from :class:`GanTrainConfig`'s
defaults (``qrkt train-gan --loss wgan-gp-eps --learning-rate 1e-4 --critic-steps 5 --augment
color,translation,cutout``)."""
STORED_BEFORE = {"loss": "wgan-gp-eps", "r1_gamma": 0.1}
"""What runs stored before these settings existed trained with."""


def _flag(label: str) -> str:
    """A setting's name and its ``qrkt train-gan`` option, for messages."""
    return f"{label} (--{label.replace('_', '-')})"


@flax.struct.dataclass
class GanState:
    """What a generator step changes."""

    step: jax.Array  # generator steps taken
    generator: Any
    discriminator: Any
    ema: Any  # the EMA of the generator's parameters, for sampling
    generator_opt: Any
    discriminator_opt: Any


@dataclass(frozen=True)
class GanTrainResult:
    """A finished run: its summary (also in ``summary.json``), its epochs and final state;
    ``already_finished`` if it was resumed with nothing left to do (nothing was trained)."""

    summary: dict[str, Any]
    history: list[dict[str, Any]]
    state: GanState
    already_finished: bool = False


def learning_rate(config: GanTrainConfig, updates: int) -> optax.Schedule:
    """``learning_rate``, decayed linearly to 0 over ``updates`` updates if ``config.decay``."""
    if config.decay:
        return optax.linear_schedule(config.learning_rate, 0.0, updates)
    return optax.constant_schedule(config.learning_rate)


def adam(config: GanTrainConfig, updates: int) -> optax.GradientTransformation:
    """Adam with betas (0, 0.99) on :func:`learning_rate`; its own update count drives the
    schedule, so it advances with every update of its network."""
    return optax.adam(learning_rate(config, updates), b1=0.0, b2=0.99)


def ema_decay(config: GanTrainConfig, step: jax.Array) -> jax.Array:
    """The EMA decay after generator step ``step`` (from 0): low early, so the average forgets
    the untrained weights, then ``config.ema_decay``."""
    return jnp.minimum(config.ema_decay, (1.0 + step) / (10.0 + step))


@dataclass(frozen=True)
class GanSteps:
    """A GAN's compiled computations for one training setup.

    Attributes:
      init: ``() -> GanState``, fresh from the seed.
      shapes: the shapes and dtypes of that state (a restore target).
      train: ``(state, real (critic_steps, B, H, W, C)) -> (state, metrics)``: one generator
        step; ``metrics`` are means over its critic updates, and the generator's loss.
      generate: ``(params, latents) -> images``.
      compile_seconds: time spent compiling them.
    """

    init: Callable[[], GanState]
    shapes: GanState
    train: Callable[[GanState, jax.Array], tuple[GanState, dict[str, jax.Array]]]
    generate: Callable[[Any, jax.Array], jax.Array]
    compile_seconds: float


def gan_init(model: GanConfig, config: GanTrainConfig, total_steps: int) -> Callable[[], GanState]:
    """``() -> GanState``: a run's state fresh from the seed (not compiled)."""
    generator, discriminator = build_gan(model, backend=config.backend)
    generator_adam = adam(config, total_steps)
    critic_adam = adam(config, total_steps * config.critic_steps)

    def init() -> GanState:
        generator_key, critic_key = init_keys(config.seed)
        generator_params = generator.init(generator_key, jnp.zeros((1, model.latent)))
        critic_params = discriminator.init(critic_key, jnp.zeros((1, *model.image_shape)))
        return GanState(
            step=jnp.zeros((), jnp.int32),
            generator=generator_params,
            discriminator=critic_params,
            ema=generator_params,
            generator_opt=generator_adam.init(generator_params),
            discriminator_opt=critic_adam.init(critic_params),
        )

    return init


@functools.lru_cache(maxsize=4)
def gan_steps(model: GanConfig, config: GanTrainConfig, total_steps: int) -> GanSteps:
    """Compile the GAN's steps for a run of ``total_steps`` generator steps (cached: a run
    resumed in the same process does not compile again)."""
    generator, discriminator = build_gan(model, backend=config.backend)
    generator_adam = adam(config, total_steps)
    critic_adam = adam(config, total_steps * config.critic_steps)
    root = jax.random.PRNGKey(config.seed)
    init = gan_init(model, config, total_steps)
    step = make_train_step(
        generator,
        discriminator,
        config,
        generator_adam,
        critic_adam,
        jax.random.fold_in(root, _STEPS),
    )
    started = time.perf_counter()
    jit_init = jax.jit(init)
    shapes = jax.eval_shape(init)
    real = jax.ShapeDtypeStruct(
        (config.critic_steps, config.batch_size, *model.image_shape), jnp.float32
    )
    train = jax.jit(step).lower(shapes, real).compile()
    generate = jax.jit(generator.apply)
    return GanSteps(jit_init, shapes, train, generate, time.perf_counter() - started)


def make_train_step(
    generator: Generator,
    discriminator: Discriminator,
    config: GanTrainConfig,
    generator_adam: optax.GradientTransformation,
    critic_adam: optax.GradientTransformation,
    key: jax.Array,
) -> Callable[[GanState, jax.Array], tuple[GanState, dict[str, jax.Array]]]:
    """One generator step (see :class:`GanSteps`), its randomness from ``key`` and the step."""
    batch, latent = config.batch_size, generator.config.latent
    objective = gan_loss(config.loss, config.r1_gamma)

    def augmented(key: jax.Array, *images: jax.Array) -> list[jax.Array]:
        """Each batch augmented with the same parameters per row (``key``): as the policies
        are affine, the penalty's interpolates of augmented images are augmented interpolates.
        """
        return [augment(key, batch, config.augment) for batch in images]

    def step(state: GanState, real: jax.Array) -> tuple[GanState, dict[str, jax.Array]]:
        keys = jax.random.split(jax.random.fold_in(key, state.step), config.critic_steps + 1)

        def critic_update(carry: tuple, inputs: tuple) -> tuple:
            params, opt_state = carry
            images, step_key = inputs
            latent_key, augment_key, loss_key = jax.random.split(step_key, 3)
            fake = generator.apply(state.generator, jax.random.normal(latent_key, (batch, latent)))

            real_seen, fake_seen = augmented(augment_key, images, fake)

            def loss(params: Any) -> tuple[jax.Array, dict[str, jax.Array]]:
                return objective.critic(
                    partial(discriminator.apply, params), real_seen, fake_seen, loss_key
                )

            (value, parts), grads = jax.value_and_grad(loss, has_aux=True)(params)
            updates, opt_state = critic_adam.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), {
                "critic_loss": value,
                **parts,
            }

        (critic_params, critic_opt), critic_metrics = jax.lax.scan(
            critic_update, (state.discriminator, state.discriminator_opt), (real, keys[:-1])
        )
        latent_key, augment_key = jax.random.split(keys[-1])

        def loss(params: Any) -> jax.Array:
            fake = generator.apply(params, jax.random.normal(latent_key, (batch, latent)))
            (fake_seen,) = augmented(augment_key, fake)
            return objective.generator(partial(discriminator.apply, critic_params), fake_seen)

        value, grads = jax.value_and_grad(loss)(state.generator)
        updates, generator_opt = generator_adam.update(grads, state.generator_opt, state.generator)
        generator_params = optax.apply_updates(state.generator, updates)
        decay = ema_decay(config, state.step)
        ema = jax.tree_util.tree_map(
            lambda average, new: decay * average + (1 - decay) * new, state.ema, generator_params
        )
        metrics = {name: values.mean() for name, values in critic_metrics.items()}
        return (
            GanState(
                state.step + 1, generator_params, critic_params, ema, generator_opt, critic_opt
            ),
            {**metrics, "generator_loss": value},
        )

    return step


def epoch_line(config: GanTrainConfig, record: Record) -> str:
    """An epoch's losses: the critic's with the parts its loss shows, and the generator's."""
    parts = gan_loss(config.loss, config.r1_gamma).describe(record)
    return (
        f"epoch {record['epoch']}: critic loss {record['critic_loss']:.4f} ({parts}), "
        f"generator loss {record['generator_loss']:.4f}"
    )


def init_keys(seed: int) -> tuple[jax.Array, jax.Array]:
    """The keys of the generator's and the discriminator's initial parameters."""
    generator_key, critic_key = jax.random.split(
        jax.random.fold_in(jax.random.PRNGKey(seed), _INIT)
    )
    return generator_key, critic_key


def sample_grid_path(workdir: Path, epoch: int) -> Path:
    """The EMA generator's sample grid at the end of epoch ``epoch``."""
    return workdir / "samples" / f"epoch-{epoch:03d}.png"


def train_gan(
    config: GanTrainConfig,
    workdir: str | Path,
    *,
    resume: bool = False,
    progress: Progress | None = None,
) -> GanTrainResult:
    """Train ``config.preset`` on one device.

    Writes to ``workdir``: ``checkpoints/last.ckpt`` (each epoch, and every
    ``config.checkpoint_every`` generator steps), ``metrics.jsonl`` (one line per epoch),
    ``samples/epoch-NNN.png`` (the EMA generator on fixed latents, each epoch) and
    ``summary.json``.

    Args:
      config: the run; ``config.dataset`` ``None`` takes the preset's.
      workdir: the run's directory; it must not hold another run unless ``resume``.
      resume: continue the run in ``workdir`` from its ``last`` checkpoint (or from its start,
        if it has none yet); a run that has trained its epochs returns its stored summary. Only
        ``data_dir`` and ``checkpoint_every`` may differ.
      progress: receives progress events (samples are real images the critic sees).
    """
    files = WorkDir(Path(workdir))
    check_new_run(files, resume)
    preset = get_gan_preset(config.preset)
    config = dataclasses.replace(config, dataset=config.dataset or preset.dataset)
    data = load_gan_data(config.dataset, config.data_dir, preset.model.image_shape)
    train = data.train[: config.limit]
    rows = config.critic_steps * config.batch_size
    total_steps = config.epochs * steps_per_epoch(len(train), rows)
    if total_steps == 0:
        raise TrainingError(
            f"a generator step takes {config.critic_steps} critic batches of "
            f"{config.batch_size} = {rows} images, more than the {len(train)} training images; "
            "lower --batch-size or --critic-steps, or raise --limit"
        )
    run = Run(
        preset=preset.name,
        model=preset.model,
        config=config,
        train_size=len(train),
        rows=rows,
        parallel=DataParallel.over(jax.devices()[:1]),  # one device, one process
        compiling="the GAN's steps",
        compile=partial(_Gan, preset, config, train, total_steps),
        finished=partial(_stored_state, preset.model, config, total_steps),
    )
    outcome = train_loop(run, files, resume=resume, progress=progress or Progress())
    return GanTrainResult(
        outcome.summary, outcome.history, outcome.result, outcome.already_finished
    )


class _Gan(Training[GanState]):
    """A GAN's steps, compiled for a run of ``total_steps`` generator steps, and what its run
    records."""

    OUTPUTS = "epoch_metrics"  # the epoch's per-step losses so far
    LOSSES = "losses"

    def __init__(
        self, preset: GanPreset, config: GanTrainConfig, train: np.ndarray, total_steps: int
    ) -> None:
        self.steps = gan_steps(preset.model, config, total_steps)
        self.compile_seconds = self.steps.compile_seconds
        self.facts = gan_facts(preset.model) | {
            "preset": preset.name,
            "dataset": config.dataset,
            "backend": config.backend,
            "compile_seconds": self.compile_seconds,
        }
        self.preset, self.config, self.train, self.total_steps = preset, config, train, total_steps
        self.latents = jax.random.normal(
            jax.random.fold_in(jax.random.PRNGKey(config.seed), _GRID),
            (config.grid_samples, preset.model.latent),
        )

    def start(self, checkpoint: Checkpoint | None) -> GanState:
        return self.steps.init() if checkpoint is None else _restore(checkpoint, self.steps.shapes)

    def step(
        self, state: GanState, rows: np.ndarray
    ) -> tuple[GanState, dict[str, Any], dict[str, np.ndarray]]:
        real = self.train[rows]
        state, metrics = self.steps.train(
            state, real.reshape(self.config.critic_steps, -1, *real.shape[1:])
        )
        metrics = jax.device_get(metrics)
        return state, metrics, {name: np.float64(value) for name, value in metrics.items()}

    def trees(self, state: GanState) -> dict[str, Any]:
        return jax.device_get({name: getattr(state, name) for name in _TREES})

    def record(self, state: GanState, end: EpochEnd) -> Record:
        return {
            **{name: float(np.mean(values)) for name, values in end.outputs.items()},
            "generator_learning_rate": float(
                learning_rate(self.config, self.total_steps)(end.step)
            ),
            "ema_decay": float(ema_decay(self.config, jnp.asarray(end.step - 1))),
        }

    def epoch_finished(self, state: GanState, record: Record, files: WorkDir) -> None:
        grid = sample_grid_path(files.path, record["epoch"])
        with writing(grid):
            save_grid(grid, np.asarray(self.steps.generate(state.ema, self.latents)))
        logger.info("%s", epoch_line(self.config, record))

    def summary(self, history: list[Record]) -> dict[str, Any]:
        return {
            **self.facts,
            "train_config": self.config.to_dict(),
            "model": self.preset.model.to_dict(),
            "epochs": len(history),
            "steps": history[-1]["step"],
            "train_seconds": trained_seconds(history),
            "last": history[-1],
        }

    def result(self, state: GanState) -> GanState:
        return jax.device_get(state)


_TREES = ("generator", "discriminator", "ema", "generator_opt", "discriminator_opt")


def _restore(checkpoint: Checkpoint, shapes: GanState) -> GanState:
    """The state stored in ``checkpoint``."""
    return GanState(
        jnp.asarray(checkpoint.get("step", int), jnp.int32),
        *(checkpoint.restore(name, getattr(shapes, name)) for name in _TREES),
    )


def _stored_state(
    model: GanConfig, config: GanTrainConfig, total_steps: int, checkpoint: Checkpoint
) -> GanState:
    """The state stored in ``checkpoint``, without compiling the steps."""
    return _restore(checkpoint, jax.eval_shape(gan_init(model, config, total_steps)))


def gan_facts(model: GanConfig) -> dict[str, Any]:
    """Parameters and circuits of a GAN, for summaries and reports."""
    counts = gan_parameter_counts(model)
    return {
        "generator_parameters": counts["generator"],
        "discriminator_parameters": counts["discriminator"],
        "generator_qubits": qubits(model.generator_circuits),
        "discriminator_qubits": qubits(model.discriminator_circuits),
        "max_circuit_qubits": model.max_qubits,
    }
