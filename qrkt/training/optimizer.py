"""The thesis's optimizer: AdamW on a warm-up + cosine schedule, after global-norm clipping."""

from __future__ import annotations

import optax

from qrkt.training.config import TrainConfig


def learning_rate_schedule(config: TrainConfig) -> optax.Schedule:
    """Linear warm-up 0 -> ``learning_rate`` over ``warmup_steps``, then cosine decay to 0 at
    step ``decay_steps`` (counted from step 0, warm-up included), then 0.

    With the defaults (5,000 and 50,000) this is the schedule of the thesis's code base,
    ``optax.warmup_cosine_decay_schedule(0, 1e-3, 5_000, 50_000)``: its cosine phase lasts
    45,000 steps.
    """
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=config.learning_rate,
        warmup_steps=config.warmup_steps,
        decay_steps=config.decay_steps,
        end_value=0.0,
    )


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """``clip_by_global_norm(clip_norm)`` then ``adamw(schedule, weight_decay=weight_decay)``."""
    return optax.chain(
        optax.clip_by_global_norm(config.clip_norm),
        optax.adamw(learning_rate_schedule(config), weight_decay=config.weight_decay),
    )
