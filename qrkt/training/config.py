"""What a training run is: a preset, its data and the recipe, as one frozen, JSON-able value."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from qrkt.errors import MAX_SEED, TrainingError, check_fields, check_finite, check_int
from qrkt.training.resume import RunSettings

MAX_EPOCHS = 1_000_000
"""The most epochs a run may ask for: more is a typo, not a plan (the thesis trains 65)."""


@dataclasses.dataclass(frozen=True)
class TrainConfig(RunSettings):
    """A training run; the defaults are the thesis's recipe (REFERENCE §4).

    Attributes:
      preset: the model, by preset name (``qrkt presets`` lists them).
      dataset: the dataset by name; ``None`` takes the preset's.
      data_dir: where the dataset's files are; ``None`` for the embedded ``digits``.
      backend: the backend of the model's circuits during training.
      epochs: passes over the training split.
      batch_size: samples per step, over all devices together.
      learning_rate: the peak of the schedule, reached after ``warmup_steps``.
      warmup_steps: linear warm-up from 0 to ``learning_rate``.
      decay_steps: total length of the schedule, warm-up included (optax's
        ``warmup_cosine_decay_schedule``): cosine decay to 0 over ``decay_steps -
        warmup_steps`` steps, then 0.
      weight_decay: AdamW's decoupled weight decay.
      clip_norm: gradients are clipped to this global norm.
      seed: initial parameters, data order and dropout.
      limit: train on the first ``limit`` samples of the training split only.
      checkpoint_every: also write the ``last`` checkpoint every this many steps within an
        epoch (``None``: at the end of each epoch only).
      time_limit: stop once the epochs have trained this many seconds (compiling not counted):
        the epoch under way ends at the step that passes it; ``None``: train every epoch
        (:func:`~qrkt.training.loop.train_loop`).
    """

    preset: str
    dataset: str | None = None
    data_dir: str | None = None
    backend: str = "jax"
    epochs: int = 65
    batch_size: int = 64
    learning_rate: float = 1e-3
    warmup_steps: int = 5_000
    decay_steps: int = 50_000
    weight_decay: float = 1e-4
    clip_norm: float = 1.0
    seed: int = 0
    limit: int | None = None
    checkpoint_every: int | None = None
    time_limit: float | None = None

    RESUMABLE_CHANGES: ClassVar[tuple[str, ...]] = (
        "epochs",
        "data_dir",
        "checkpoint_every",
        "time_limit",
    )

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, minimum=1, maximum=MAX_EPOCHS, error=TrainingError)
        for label in ("batch_size", "decay_steps"):
            check_int(label, getattr(self, label), minimum=1, error=TrainingError)
        check_int("warmup_steps", self.warmup_steps, minimum=0, error=TrainingError)
        check_int("seed", self.seed, minimum=0, maximum=MAX_SEED, error=TrainingError)
        for label in ("limit", "checkpoint_every"):
            if getattr(self, label) is not None:
                check_int(label, getattr(self, label), minimum=1, error=TrainingError)
        self.check_time_limit("time_limit")
        if self.decay_steps <= self.warmup_steps:
            raise TrainingError(
                f"decay_steps ({self.decay_steps}) counts the whole schedule, warm-up included, "
                f"so it must exceed warmup_steps ({self.warmup_steps}); raise decay_steps"
            )
        for label in ("learning_rate", "clip_norm", "weight_decay"):
            check_finite(label, getattr(self, label), error=TrainingError)
        for label in ("learning_rate", "clip_norm"):
            if not getattr(self, label) > 0:
                raise TrainingError(f"{label} must be > 0, got {getattr(self, label)!r}")
        if not self.weight_decay >= 0:
            raise TrainingError(f"weight_decay must be >= 0, got {self.weight_decay!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        check_fields(cls, data, TrainingError, "training settings")
        return cls(**data)
