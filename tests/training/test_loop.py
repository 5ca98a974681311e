"""The loop on a toy training that runs no JAX: its events, resuming, a finished run."""

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import jax
import numpy as np
import pytest

from qrkt.training.checkpoint import Checkpoint
from qrkt.training.loop import EpochEnd, Outcome, Progress, Run, Training, train_loop
from qrkt.training.parallel import DataParallel
from qrkt.training.report import Record, read_records
from qrkt.training.resume import RunSettings
from qrkt.training.workdir import WorkDir
from tests.training.recording import Recording


@dataclasses.dataclass(frozen=True)
class ToyConfig(RunSettings):
    epochs: int = 2
    seed: int = 0
    checkpoint_every: int | None = 1
    time_limit: float | None = None

    RESUMABLE_CHANGES: ClassVar[tuple[str, ...]] = ("epochs", "time_limit")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ToyConfig":
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class ToyModel:
    def to_dict(self) -> dict[str, Any]:
        return {"kind": "toy"}


class Toy(Training[np.ndarray]):
    """Its state is the sum of the rows it has seen; an epoch records the rows in order."""

    OUTPUTS = "rows"
    LOSSES = "total"
    compile_seconds = 0.25
    facts: ClassVar[dict[str, Any]] = {"toy": True}

    def start(self, checkpoint: Checkpoint | None) -> np.ndarray:
        return np.zeros((), np.int64) if checkpoint is None else checkpoint.state["total"]

    def step(self, state: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, Any, dict]:
        total = state + rows.sum()
        return total, total, {"rows": rows}

    def trees(self, state: np.ndarray) -> dict[str, Any]:
        return {"total": state}

    def record(self, state: np.ndarray, end: EpochEnd) -> Record:
        return {"total": int(state), "rows": end.outputs["rows"].tolist()}

    def epoch_finished(self, state: np.ndarray, record: Record, files: WorkDir) -> None:
        pass

    def summary(self, history: list[Record]) -> dict[str, Any]:
        return {"epochs": len(history), "total": history[-1]["total"]}

    def result(self, state: np.ndarray) -> int:
        return int(state)


def _train(
    workdir: Path,
    progress: Progress,
    resume: bool = False,
    config: ToyConfig = ToyConfig(),
    training: type[Toy] = Toy,
) -> Outcome:
    """Two epochs of 3 steps of 2 rows (7 rows: the last is never used)."""
    run = Run(
        preset="toy",
        model=ToyModel(),
        config=config,
        train_size=7,
        rows=2,
        parallel=DataParallel.over(jax.devices()[:1]),
        compiling="the toy step",
        compile=training,
        finished=lambda checkpoint: "restored",
    )
    return train_loop(run, WorkDir(workdir), resume=resume, progress=progress)


def _without_timings(records: list[Record]) -> list[Record]:
    return [{k: v for k, v in record.items() if k != "epoch_seconds"} for record in records]


def test_the_loop_reports_compiling_and_each_step_and_epoch(tmp_path: Path) -> None:
    progress = Recording()
    outcome = _train(tmp_path, progress)
    assert progress.events[:3] == [
        ("compile_started", "the toy step"),
        ("compile_finished", "the toy step", 0.25),
        ("epoch_started", 1, 6, 0),
    ]
    assert progress.events[3:] == [
        *[("step_finished", step, 2) for step in (1, 2, 3)],
        ("epoch_finished", 1),
        ("epoch_started", 2, 6, 0),
        *[("step_finished", step, 2) for step in (4, 5, 6)],
        ("epoch_finished", 2),
    ]
    total = sum(sum(record["rows"]) for record in outcome.history)
    assert outcome.summary == {"epochs": 2, "total": total, "stopped_by_time_limit": False}
    assert outcome.result == total and not outcome.already_finished


def test_a_resumed_run_records_what_an_uninterrupted_one_does(tmp_path: Path) -> None:
    _train(tmp_path / "straight", Progress())
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "resumed", Recording(crash_at=5))
    progress = Recording()
    _train(tmp_path / "resumed", progress, resume=True)
    assert progress.events[2] == ("epoch_started", 2, 6, 4)  # from the checkpoint of step 5
    records = [read_records(tmp_path / name / "metrics.jsonl") for name in ("straight", "resumed")]
    assert _without_timings(records[0]) == _without_timings(records[1])


def test_a_finished_run_returns_its_summary_without_compiling(tmp_path: Path) -> None:
    first = _train(tmp_path, Progress())
    progress = Recording()
    again = _train(tmp_path, progress, resume=True)
    assert progress.events == []
    assert again.already_finished and again.result == "restored"
    assert again.summary == first.summary and again.history == first.history


class StepClock:
    """``time.perf_counter`` for the loop, one second further on at every step."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


class TimedToy(Toy):
    clock = StepClock()

    def step(self, state: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, Any, dict]:
        self.clock.now += 1.0
        return super().step(state, rows)


def test_a_time_limit_ends_the_epoch_and_the_run_at_the_step_that_passes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qrkt.training.loop.time", TimedToy.clock)
    limited = ToyConfig(time_limit=1.5)
    progress = Recording()
    outcome = _train(tmp_path, progress, config=limited, training=TimedToy)
    assert progress.events[2:] == [
        ("epoch_started", 1, 6, 0),
        *[("step_finished", step, 2) for step in (1, 2)],
        ("epoch_finished", 1),
    ]
    [record] = outcome.history
    assert record["step"] == 2 and len(record["rows"]) == 4
    assert outcome.summary["stopped_by_time_limit"]
    assert read_records(tmp_path / "metrics.jsonl") == outcome.history

    progress = Recording()
    again = _train(tmp_path, progress, resume=True, config=limited, training=TimedToy)
    assert progress.events == [] and again.already_finished

    longer = ToyConfig(time_limit=100.0)
    on = _train(tmp_path, Recording(), resume=True, config=longer, training=TimedToy)
    assert [record["step"] for record in on.history] == [2, 6]  # on from the next epoch
    assert not on.summary["stopped_by_time_limit"]


def test_without_a_time_limit_a_run_is_not_stopped(tmp_path: Path) -> None:
    assert not _train(tmp_path, Progress()).summary["stopped_by_time_limit"]
