"""Starting or resuming a run in its work directory: what every trainer checks and restores.

A trainer's ``last`` checkpoint stores, beside its arrays, where in the run it was written
(:func:`position_metadata`); :func:`resume_position` reads that back and checks that it still
fits the training data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qrkt.errors import CheckpointError, TrainingError
from qrkt.training.checkpoint import Checkpoint
from qrkt.training.workdir import WorkDir


def check_new_run(files: WorkDir, resume: bool) -> None:
    """Raise unless ``files`` holds no run yet, or ``resume`` asks to continue it."""
    if files.holds_run() and not resume:
        raise TrainingError(
            f"work directory {files.path} already holds a run; pass --resume to continue it, "
            "or choose another --workdir"
        )


def setting_differences(stored: Any, requested: Any, resumable: Sequence[str]) -> list[str]:
    """``"name: stored vs requested"`` for each field of two settings dataclasses, other than
    the ``resumable`` ones, in which they differ."""
    return [
        f"{field.name}: {getattr(stored, field.name)!r} vs {getattr(requested, field.name)!r}"
        for field in dataclasses.fields(stored)
        if field.name not in resumable
        and getattr(stored, field.name) != getattr(requested, field.name)
    ]


def check_same_settings(files: WorkDir, differences: list[str], resumable: Sequence[str]) -> None:
    """Raise if a resumed run's settings differ (``differences``, from
    :func:`setting_differences`) from those it was started with."""
    if differences:
        raise TrainingError(
            f"work directory {files.path} holds a run with other settings: "
            f"{'; '.join(differences)} (stored vs requested); resume with the settings it was "
            f"started with (only {', '.join(resumable)} may change), or choose another "
            "--workdir"
        )


def checkpoint_due(every: int | None, step: int, position: int, epoch_steps: int) -> bool:
    """Whether to write the ``last`` checkpoint after ``step`` (``position`` steps into its
    epoch) besides the one at the epoch's end: every ``every`` steps, if ``every`` is set."""
    return bool(every) and step % every == 0 and position < epoch_steps  # type: ignore[operator]


@dataclass(frozen=True)
class Position:
    """Where a run stands: ``position`` steps into epoch ``epoch`` (from 0), ``seconds`` spent
    in that epoch so far, and the records of the finished epochs."""

    epoch: int = 0
    position: int = 0
    seconds: float = 0.0
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def step(self, epoch_steps: int) -> int:
        return self.epoch * epoch_steps + self.position


def position_metadata(at: Position, epoch_steps: int) -> dict[str, Any]:
    """The checkpoint metadata that :func:`resume_position` reads back."""
    return {
        "epoch": at.epoch,
        "position": at.position,
        "step": at.step(epoch_steps),
        "epoch_seconds": at.seconds,
        "history": at.history,
    }


def resume_position(checkpoint: Checkpoint, epoch_steps: int, path: object) -> Position:
    """Where the run of ``checkpoint`` (read from ``path``) continues, checked against
    ``epoch_steps`` steps per epoch."""
    meta = checkpoint.metadata
    at = Position(meta["epoch"], meta["position"], meta["epoch_seconds"], meta["history"])
    if meta["step"] != at.step(epoch_steps):
        raise CheckpointError(
            f"checkpoint {path} is at step {meta['step']} (epoch {at.epoch + 1}, batch "
            f"{at.position}), which does not match {epoch_steps} steps per epoch: the training "
            "data changed since it was written; resume with the same data, or start a new run"
        )
    return at
