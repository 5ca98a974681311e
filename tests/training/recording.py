"""A progress that records its events, for tests of what a training reports."""

from qrkt.training import Progress
from qrkt.training.report import Record


class Recording(Progress):
    """Records every event; raises :class:`KeyboardInterrupt` at step ``crash_at`` (after its
    checkpoint), as a run killed there stops."""

    def __init__(self, crash_at: int | None = None) -> None:
        self.events: list[tuple] = []
        self.crash_at = crash_at

    def compile_started(self, what: str) -> None:
        self.events.append(("compile_started", what))

    def compile_finished(self, what: str, seconds: float) -> None:
        self.events.append(("compile_finished", what, seconds))

    def epoch_started(self, epoch: int, samples: int, done: int) -> None:
        self.events.append(("epoch_started", epoch, samples, done))

    def step_finished(self, step: int, samples: int) -> None:
        if step == self.crash_at:
            raise KeyboardInterrupt
        self.events.append(("step_finished", step, samples))

    def epoch_finished(self, record: Record) -> None:
        self.events.append(("epoch_finished", record["epoch"]))

    def compiling(self) -> list[tuple]:
        """The compile events."""
        return [event for event in self.events if event[0].startswith("compile")]
