"""One training loop for every kind of run: :func:`train_loop`, resumable from any step it
checkpointed.

A run is a pure function of its settings: its initial state, data order and random draws
derive from the seed, the epoch and the step. The ``last`` checkpoint records the position
(epoch, steps done in it) with the state and what the epoch's steps kept so far, so a resumed
run takes exactly the steps an uninterrupted one would have, and writes the same metrics.

A kind of training (:mod:`qrkt.training.trainer`, :mod:`qrkt.gan.training`) describes its run
(:class:`Run`) and, once compiled, supplies what differs (:class:`Training`); the loop does
the rest, in named steps: restore the position, compile, restore or init the state, train an
epoch, end it (record, checkpoints), write the summary.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np

from qrkt.compile_cache import use_compile_cache
from qrkt.host_memory import keep_step_memory
from qrkt.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from qrkt.training.files import write_json, writing
from qrkt.training.order import epoch_order, steps_per_epoch, training_batch
from qrkt.training.parallel import DataParallel
from qrkt.training.report import (
    Record,
    append_record,
    best_record,
    trained_seconds,
    write_records,
)
from qrkt.training.resume import (
    Position,
    RunSettings,
    check_same_settings,
    checkpoint_due,
    finished_summary,
    position_metadata,
    resume_position,
    stop_if_not_finite,
)
from qrkt.training.workdir import WorkDir

logger = logging.getLogger(__name__)

S = TypeVar("S")  # a training's state


class Progress:
    """What a training reports as it goes; every hook does nothing here.

    The CLI subclasses it to draw a progress bar.
    """

    def compile_started(self, what: str) -> None:
        """Compiling ``what`` (``"the training step"``, ``"the GAN's steps"``) starts."""

    def compile_finished(self, what: str, seconds: float) -> None:
        """``what`` is compiled, in ``seconds`` (those of an earlier run in this process that
        compiled the same steps, if it did)."""

    def epoch_started(self, epoch: int, samples: int, done: int) -> None:
        """Epoch ``epoch`` (from 1) of ``samples`` training samples starts; a resumed epoch
        has trained on ``done`` of them already."""

    def step_finished(self, step: int, samples: int) -> None:
        """Global step ``step`` (from 1) has trained on ``samples`` more samples."""

    def epoch_finished(self, record: Record) -> None:
        """An epoch ended: ``record`` is its line in ``metrics.jsonl``."""


@dataclass(frozen=True)
class EpochEnd:
    """An epoch that has taken all its steps, as its record sees it.

    Attributes:
      epoch: its number, from 1; step: the steps the run has taken at its end.
      outputs: what its steps kept (:meth:`Training.step`), concatenated by name.
      samples: the training samples it trained on (fewer than an epoch's if the run's time
        limit ended it); seconds: how long its steps took.
      files: the run's work directory.
    """

    epoch: int
    step: int
    outputs: dict[str, np.ndarray]
    samples: int
    seconds: float
    files: WorkDir

    def check_finite(self, what: str, values: Any) -> None:
        """Stop the run here if ``values`` hold a NaN or an infinity."""
        stop_if_not_finite(what, values, self.files, self.epoch, self.step)


class Training(Protocol[S]):
    """What a kind of training supplies to the loop once its steps are compiled; ``S`` is its
    state.

    Attributes:
      OUTPUTS: the checkpoint entry that holds what the steps of the epoch under way kept.
      LOSSES: what the losses that :meth:`step` returns are, in messages.
      BEST: the record's entry whose highest epoch ``best.ckpt`` keeps; ``None``: no best.
      compile_seconds: how long compiling the steps took.
      facts: what the checkpoints' metadata and the summary say of the run.
    """

    OUTPUTS: ClassVar[str]
    LOSSES: ClassVar[str]
    BEST: ClassVar[str | None] = None
    compile_seconds: float
    facts: dict[str, Any]

    def start(self, checkpoint: Checkpoint | None) -> S:
        """The state fresh from the seed, or the one ``checkpoint`` stores."""

    def step(self, state: S, rows: np.ndarray) -> tuple[S, Any, dict[str, np.ndarray]]:
        """One step on the training split's ``rows``: the new state, its losses (to check) and
        what the epoch's record needs of it, as host arrays."""

    def trees(self, state: S) -> dict[str, Any]:
        """What a checkpoint stores of ``state``, as host arrays (called on every process)."""

    def record(self, state: S, end: EpochEnd) -> Record:
        """The metrics of the epoch that ends at ``end``, with ``state``."""

    def epoch_finished(self, state: S, record: Record, files: WorkDir) -> None:
        """The epoch of ``record`` is checkpointed and recorded: its extras (every process)."""

    def summary(self, history: list[Record]) -> dict[str, Any]:
        """The run's summary, from the records of its epochs."""

    def run_finished(self, files: WorkDir) -> None:
        """The summary is written: what else a run leaves (main process); here, nothing."""

    def result(self, state: S) -> Any:
        """What the run returns of its final ``state``, as host arrays."""


@dataclass(frozen=True)
class Run(Generic[S]):
    """A run as the loop starts it, before anything is compiled.

    Attributes:
      preset: the preset's name; model: its model configuration.
      config: the run's settings.
      train_size: samples in the training split; rows: samples a step trains on.
      parallel: the devices it trains on; only the main process writes.
      compiling: what ``compile`` compiles, for :class:`Progress`.
      compile: compiles the steps.
      finished: what a run that has trained all its epochs returns, from its last checkpoint,
        without compiling.
    """

    preset: str
    model: Any
    config: RunSettings
    train_size: int
    rows: int
    parallel: DataParallel
    compiling: str
    compile: Callable[[], Training[S]]
    finished: Callable[[Checkpoint], Any]

    @property
    def epoch_steps(self) -> int:
        return steps_per_epoch(self.train_size, self.rows)


@dataclass(frozen=True)
class Outcome:
    """A finished run: its summary (also in ``summary.json``), its epochs' records and its
    result; ``already_finished`` if it was resumed with nothing left to do."""

    summary: dict[str, Any]
    history: list[Record]
    result: Any
    already_finished: bool


def train_loop(run: Run[S], files: WorkDir, *, resume: bool, progress: Progress) -> Outcome:
    """Train ``run`` in ``files`` (checked by :func:`~qrkt.training.resume.check_new_run`).

    With ``resume``, continue the run there from its ``last`` checkpoint (or from its start,
    if it has none yet); a run that has trained its epochs, or its ``time_limit``, returns its
    stored summary.

    A ``time_limit`` ends the epoch under way at the first step that passes it (the epoch is
    recorded and checkpointed with the steps it took) and the run there; its summary says
    ``stopped_by_time_limit``. Resumed with a longer limit, it trains on from the next epoch.
    """
    use_compile_cache()
    keep_step_memory()
    checkpoint, at = restore_position(run, files, resume)
    summary = finished_summary(files, at, trained_all(run, at))
    if checkpoint is not None and summary is not None:
        logger.info(
            "the run in %s has trained its %d epochs: nothing left to do", files.path, at.epoch
        )
        return Outcome(summary, at.history, run.finished(checkpoint), already_finished=True)
    loop = _Loop(run, compile_steps(run, progress), files, progress)
    state, kept = loop.restore_or_init(checkpoint, at)
    while not trained_all(run, at):
        started = time.perf_counter() - at.seconds
        state, end = loop.train_epoch(state, at, kept, started)
        at, kept = loop.end_epoch(state, at, end, started), EpochOutputs()
    summary = loop.write_summary(at.history)
    return Outcome(summary, at.history, loop.training.result(state), already_finished=False)


def trained_all(run: Run[Any], at: Position) -> bool:
    """Whether ``run``, at the end of an epoch at ``at``, has trained all its epochs or its
    time limit."""
    return at.epoch >= run.config.epochs or out_of_time(run, trained_seconds(at.history))


def out_of_time(run: Run[Any], seconds: float) -> bool:
    """Whether ``run``'s ``time_limit`` is spent by ``seconds`` of training (as process 0
    measured them, on every process)."""
    limit = run.config.time_limit
    return limit is not None and run.parallel.main_process_says(seconds >= limit)


def restore_position(
    run: Run[S], files: WorkDir, resume: bool
) -> tuple[Checkpoint | None, Position]:
    """The ``last`` checkpoint of the run to resume, checked to hold this run, and where it
    stands; without one, none and the start."""
    if not (resume and files.last.exists()):
        return None, Position()
    checkpoint = load_checkpoint(files.last)
    checkpoint.check_model(run.preset, run.model)
    stored = type(run.config).from_dict(checkpoint.get("train_config", dict))
    check_same_settings(files, stored, run.config)
    return checkpoint, resume_position(checkpoint, run.epoch_steps, files)


def compile_steps(run: Run[S], progress: Progress) -> Training[S]:
    """``run``'s steps, compiled, as ``progress`` is told."""
    progress.compile_started(run.compiling)
    training = run.compile()
    logger.info("compiled %s in %.1f s", run.compiling, training.compile_seconds)
    progress.compile_finished(run.compiling, training.compile_seconds)
    return training


class EpochOutputs:
    """What the steps of the epoch under way kept, concatenated by name; a checkpoint stores
    it, so that a resumed epoch's record is the uninterrupted one's."""

    def __init__(self, saved: dict[str, np.ndarray] | None = None) -> None:
        self._parts = {name: [array] for name, array in (saved or {}).items()}

    def add(self, outputs: dict[str, np.ndarray]) -> None:
        for name, array in outputs.items():
            self._parts.setdefault(name, []).append(np.atleast_1d(array))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self._parts.items()}


@dataclass(frozen=True)
class _Loop(Generic[S]):
    """The named steps of :func:`train_loop` for one run, its steps compiled."""

    run: Run[S]
    training: Training[S]
    files: WorkDir
    progress: Progress

    def restore_or_init(
        self, checkpoint: Checkpoint | None, at: Position
    ) -> tuple[S, EpochOutputs]:
        """The state and the epoch's kept outputs at ``at``; ``metrics.jsonl`` is made to hold
        the records of the epochs before."""
        state = self.training.start(checkpoint)
        kept = EpochOutputs(None if checkpoint is None else checkpoint.state[self.training.OUTPUTS])
        if checkpoint is not None:
            step = at.step(self.run.epoch_steps)
            logger.info("resuming %s at epoch %d, step %d", self.files.path, at.epoch + 1, step)
        self.run.parallel.barrier("qrkt: work directory checked")  # before process 0 writes
        if self.run.parallel.is_main_process:
            with writing(self.files.metrics):
                write_records(self.files.metrics, at.history)
        return state, kept

    def train_epoch(
        self, state: S, at: Position, kept: EpochOutputs, started: float
    ) -> tuple[S, EpochEnd]:
        """Take the steps of epoch ``at.epoch`` from ``at.position`` on, adding what they keep
        to ``kept``; ``started`` is when the epoch started (``time.perf_counter``)."""
        run, epoch_steps = self.run, self.run.epoch_steps
        order = epoch_order(run.config.seed, at.epoch, run.train_size)
        self.progress.epoch_started(at.epoch + 1, epoch_steps * run.rows, at.position * run.rows)
        done, before = at.position, trained_seconds(at.history)
        while done < epoch_steps:
            rows = training_batch(order, done, run.rows)
            state, losses, outputs = self.training.step(state, rows)
            done += 1
            step = at.epoch * epoch_steps + done
            stop_if_not_finite(self.training.LOSSES, losses, self.files, at.epoch + 1, step)
            kept.add(outputs)
            if checkpoint_due(run.config.checkpoint_every, step, done, epoch_steps):
                elapsed = time.perf_counter() - started
                here = dataclasses.replace(at, position=done, seconds=elapsed)
                self.save(self.files.last, self.training.trees(state), kept, here)
            self.progress.step_finished(step, run.rows)
            if out_of_time(run, before + time.perf_counter() - started):
                logger.info(
                    "the time limit of %g s is spent at step %d", run.config.time_limit, step
                )
                break
        end = EpochEnd(
            epoch=at.epoch + 1,
            step=at.epoch * epoch_steps + done,
            outputs=kept.arrays(),
            samples=done * run.rows,
            seconds=time.perf_counter() - started,
            files=self.files,
        )
        return state, end

    def end_epoch(self, state: S, at: Position, end: EpochEnd, started: float) -> Position:
        """Record the epoch that ``end`` ends, checkpoint it, and return where the run stands:
        at the start of the next one."""
        record = {
            "epoch": end.epoch,
            "step": end.step,
            **self.training.record(state, end),
            "epoch_seconds": time.perf_counter() - started,
        }
        at = Position(end.epoch, 0, 0.0, [*at.history, record])
        trees = self.training.trees(state)
        best = self.training.BEST
        if best is not None and best_record(at.history, best) is record:
            self.save(self.files.best, trees, EpochOutputs(), at)
        self.save(self.files.last, trees, EpochOutputs(), at)
        if self.run.parallel.is_main_process:
            with writing(self.files.metrics):
                append_record(self.files.metrics, record)
        self.training.epoch_finished(state, record, self.files)
        self.progress.epoch_finished(record)
        return at

    def save(self, path: Path, trees: dict[str, Any], kept: EpochOutputs, at: Position) -> None:
        """Checkpoint ``trees`` and ``kept`` at ``at`` to ``path``, unless a tree is not
        finite."""
        epoch_steps = self.run.epoch_steps
        step = at.step(epoch_steps)
        stop_if_not_finite("parameters", trees, self.files, at.epoch + bool(at.position), step)
        metadata = {
            "preset": self.run.preset,
            "model": self.run.model.to_dict(),
            "train_config": self.run.config.to_dict(),
            **position_metadata(at, epoch_steps),
            **self._best(at.history),
            **self.training.facts,
        }
        if self.run.parallel.is_main_process:
            with writing(path):
                save_checkpoint(path, {**trees, self.training.OUTPUTS: kept.arrays()}, metadata)

    def _best(self, history: list[Record]) -> dict[str, Any]:
        """The best epoch so far and its :attr:`Training.BEST`, for the metadata."""
        key = self.training.BEST
        if key is None:
            return {}
        best = best_record(history, key) if history else {}
        return {"best_epoch": best.get("epoch"), f"best_{key}": best.get(key)}

    def write_summary(self, history: list[Record]) -> dict[str, Any]:
        """The run's summary, written to ``summary.json``, then what else the run leaves."""
        summary = {
            **self.training.summary(history),
            "stopped_by_time_limit": history[-1]["epoch"] < self.run.config.epochs,
        }
        if self.run.parallel.is_main_process:
            with writing(self.files.summary):
                write_json(self.files.summary, summary)
            self.training.run_finished(self.files)
        return summary
