"""Starting or resuming a run in its work directory: what every trainer checks and restores.

A trainer's ``last`` checkpoint stores, beside its arrays, where in the run it was written
and the record of its latest epoch (:func:`position_metadata`); :func:`resume_position` reads
that back, with the earlier records from ``metrics.jsonl``, and checks that it still fits the
training data.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jax
import numpy as np

from qrkt.errors import CheckpointError, TrainingError, check_finite
from qrkt.training.checkpoint import Checkpoint
from qrkt.training.files import check_writable
from qrkt.training.workdir import WorkDir


def check_new_run(files: WorkDir, resume: bool) -> None:
    """Raise unless ``files`` holds no run yet and ``resume`` is off, or holds one and
    ``resume`` asks to continue it; then check that the directory can be written."""
    if files.holds_run() and not resume:
        raise TrainingError(
            f"work directory {files.path} already holds a run; pass --resume to continue it, "
            "or choose another --workdir"
        )
    if resume and not files.holds_run():
        raise TrainingError(
            f"--resume: work directory {files.path} holds no run to resume (no "
            f"{files.last.relative_to(files.path)}, metrics.jsonl or summary.json); drop "
            "--resume to start a new run there, or pass the --workdir of the run to continue"
        )
    check_writable(files.path)


class RunSettings:
    """The base of a kind of run's settings: a frozen dataclass with (at least) the fields
    ``epochs``, ``seed``, ``checkpoint_every`` and ``time_limit``, and a ``from_dict`` that
    inverts :meth:`to_dict`. Only :attr:`RESUMABLE_CHANGES` may change when a run resumes."""

    RESUMABLE_CHANGES: ClassVar[tuple[str, ...]] = ()
    """Settings that do not change what a step computes."""

    epochs: int
    seed: int
    checkpoint_every: int | None
    time_limit: float | None

    def check_time_limit(self, label: str) -> None:
        """Raise unless ``time_limit`` (named ``label`` in messages) is off or a positive,
        finite number of seconds."""
        if self.time_limit is None:
            return
        check_finite(label, self.time_limit, error=TrainingError)
        if not self.time_limit > 0:
            raise TrainingError(
                f"{label} must be > 0 seconds of training, got {self.time_limit!r}; leave it out "
                "to train every epoch"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    def differences(self, other: RunSettings) -> list[str]:
        """``"name: ours vs theirs"`` for each setting, other than :attr:`RESUMABLE_CHANGES`,
        in which ``other`` differs."""
        return setting_differences(self.to_dict(), other.to_dict(), self.RESUMABLE_CHANGES)


def setting_differences(
    stored: Mapping[str, Any], requested: Mapping[str, Any], resumable: Collection[str] = ()
) -> list[str]:
    """``"name: stored vs requested"`` for each setting, other than the ``resumable`` ones, in
    which they differ, by name; a setting one of them lacks is ``None`` there."""
    return [
        f"{name}: {stored.get(name)!r} vs {requested.get(name)!r}"
        for name in sorted(set(stored) | set(requested))
        if name not in resumable and stored.get(name) != requested.get(name)
    ]


def check_same_settings(files: WorkDir, stored: RunSettings, requested: RunSettings) -> None:
    """Raise if a resumed run's ``requested`` settings differ from the ``stored`` ones it was
    started with in more than :attr:`~RunSettings.RESUMABLE_CHANGES`."""
    differences = stored.differences(requested)
    if differences:
        raise TrainingError(
            f"work directory {files.path} holds a run with other settings: "
            f"{'; '.join(differences)} (stored vs requested); resume with the settings it was "
            f"started with (only {', '.join(stored.RESUMABLE_CHANGES)} may change), or choose "
            "another --workdir"
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
    """The checkpoint metadata that :func:`resume_position` reads back: the latest epoch's
    record only (it may not be in ``metrics.jsonl`` yet), not the whole history."""
    return {
        "epoch": at.epoch,
        "position": at.position,
        "step": at.step(epoch_steps),
        "epoch_seconds": at.seconds,
        "last_record": at.history[-1] if at.history else None,
    }


def resume_position(checkpoint: Checkpoint, epoch_steps: int, files: WorkDir) -> Position:
    """Where the run of ``checkpoint`` (``files.last``) continues, checked against
    ``epoch_steps`` steps per epoch; its history is read from ``files.metrics``."""
    epoch, step = checkpoint.get("epoch", int), checkpoint.get("step", int)
    at = Position(
        epoch, checkpoint.get("position", int), checkpoint.get("epoch_seconds", (float, int))
    )
    if step != at.step(epoch_steps):
        raise CheckpointError(
            f"checkpoint {checkpoint.path} is at step {step} (epoch {epoch + 1}, batch "
            f"{at.position}), which does not match {epoch_steps} steps per epoch: the training "
            "data changed since it was written; resume with the same data, or start a new run"
        )
    if "history" in checkpoint.metadata:  # written before checkpoints kept only the last record
        return dataclasses.replace(at, history=checkpoint.get("history", list))
    if epoch == 0:
        return at
    last = checkpoint.get("last_record", dict)
    return dataclasses.replace(at, history=[*_earlier_records(files.metrics, epoch - 1), last])


def _earlier_records(path: Path, epochs: int) -> list[dict[str, Any]]:
    """The records of epochs 1 to ``epochs`` from the run's ``metrics.jsonl``."""
    records = []
    try:
        for line in path.read_text().splitlines()[:epochs]:
            record = json.loads(line)
            if record.get("epoch") != len(records) + 1:
                break
            records.append(record)
    except (OSError, ValueError, AttributeError):
        pass
    if len(records) != epochs:
        raise CheckpointError(
            f"{path} holds the records of {len(records)} epoch(s) before the first damaged or "
            f"missing one; resuming needs those of epochs 1 to {epochs}: restore it from a copy, "
            "or start a new run in another --workdir"
        )
    return records


def finished_summary(files: WorkDir, at: Position, done: bool) -> dict[str, Any] | None:
    """The stored summary of a run that is ``done`` (its epochs or its time limit) at the end
    of an epoch, or ``None`` if there is something left to do."""
    if not done or at.position:
        return None
    try:
        return json.loads(files.summary.read_text())
    except (OSError, ValueError):
        return None  # written again at the end of the (empty) run


def stop_if_not_finite(what: str, values: Any, files: WorkDir, epoch: int, step: int) -> None:
    """Stop the run if ``values`` (losses, a tree of parameters) hold a NaN or an infinity,
    before any of them is written to ``files``; ``epoch`` and ``step`` (from 1) say where."""
    if all(np.isfinite(leaf).all() for leaf in jax.tree_util.tree_leaves(values)):
        return
    kept = (
        f"the last good checkpoint, {files.last}, is kept"
        if files.last.exists()
        else "no checkpoint had been written yet"
    )
    raise TrainingError(
        f"training stopped at epoch {epoch}, step {step}: the {what} became NaN or infinite; "
        f"{kept} and {files.metrics.name} holds only finite records; lower --learning-rate "
        "(or check the data for NaN) and start a new run in another --workdir"
    )
