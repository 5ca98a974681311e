"""What the training and evaluation commands show as they go: where they compute, a bar per
epoch or over batches, compilations, and how to continue an interrupted run."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
from tqdm import tqdm

from qrkt.training import Progress
from qrkt.training.parallel import describe_devices


def all_devices() -> list[Any]:
    """Every JAX device, of every process: what training is data-parallel over."""
    return jax.devices()


def running_on(devices: Sequence[Any]) -> str:
    """Where a run computes: ``"running on 4 x gpu (NVIDIA H200), data-parallel"``."""
    return f"running on {describe_devices(devices)}" + (
        ", data-parallel" if len(devices) > 1 else ""
    )


class ProgressBar(Progress):
    """A tqdm bar per epoch, counting samples (so its rate is samples/s), and ``line`` of the
    epoch's record at its end; first, the ``devices`` the run uses. Compilations are reported
    on stderr. In a run over several hosts, process 0 alone reports."""

    def __init__(self, devices: Sequence[Any], line: Callable[[dict[str, Any]], str]) -> None:
        super().__init__()
        self.devices = devices
        self.line = line
        self.reports = jax.process_index() == 0
        self.bar: Any = None
        self.announced = False

    def announce(self) -> None:
        """The device line, once, before the first compilation or epoch."""
        if not self.announced and self.reports:
            tqdm.write(running_on(self.devices))
        self.announced = True

    def compile_started(self, what: str) -> None:
        self.announce()
        if self.reports:
            tqdm.write(f"compiling {what} ...", file=sys.stderr)

    def compile_finished(self, what: str, seconds: float) -> None:
        if self.reports:
            tqdm.write(f"compiled {what} in {seconds:.1f} s", file=sys.stderr)

    def epoch_started(self, epoch: int, samples: int, done: int) -> None:
        self.announce()
        self.bar = tqdm(
            total=samples,
            initial=done,
            desc=f"epoch {epoch}",
            unit="sample",
            dynamic_ncols=True,
            disable=not self.reports,
        )

    def step_finished(self, step: int, samples: int) -> None:
        self.bar.update(samples)

    def epoch_finished(self, record: dict[str, Any]) -> None:
        self.bar.close()
        if self.reports:
            tqdm.write(self.line(record))


class BatchBar:
    """A tqdm bar over batches, created at the first report (a simulator pass reports none).
    A run of stages (``qrkt evaluate-gan``) announces each with :meth:`stage`; the batches of
    a stage get a bar of their own."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, initial=done, desc="batches", unit="batch")
        else:
            self.bar.update(done - self.bar.n)

    def stage(self, text: str) -> None:
        """Close the bar of the stage before, and print ``text``: what starts."""
        self.close()
        print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def say_how_it_ended(summary: dict[str, Any], already_finished: bool, workdir: Path) -> None:
    """Before a run's summary: say that it stopped at its time limit, or, resumed, had
    nothing left to do."""
    if summary.get("stopped_by_time_limit"):
        config = summary["train_config"]
        print(
            f"qrkt: the run in {workdir} stopped at its time limit ({config['time_limit']:g} s "
            f"of training) after {summary['steps']} steps, in epoch {summary['epochs']} of "
            f"{config['epochs']}; resume it with a longer --time-limit to train on"
        )
    elif already_finished:
        print(
            f"qrkt: the run in {workdir} had already trained all its epochs: nothing left to "
            "do; its summary:"
        )


def interrupted(workdir: Path) -> int:
    """Tell how to continue an interrupted run; the exit status of an interrupt."""
    print(
        f"\nqrkt: interrupted; continue the run with the same command and --resume "
        f"(work directory {workdir})",
        file=sys.stderr,
    )
    return 130
