"""The files of a run in its work directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkDir:
    """Where a run keeps its checkpoints, metrics, summary, plots and evaluations."""

    path: Path

    @property
    def last(self) -> Path:
        """The checkpoint a run resumes from: the end of the latest epoch, or a later step."""
        return self.path / "checkpoints" / "last.ckpt"

    @property
    def best(self) -> Path:
        """The checkpoint of the epoch of highest validation AUC."""
        return self.path / "checkpoints" / "best.ckpt"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def summary(self) -> Path:
        return self.path / "summary.json"

    def evaluation(self, split: str, name: str) -> Path:
        """The results of the evaluation ``name`` (by default its backend and device) on
        ``split``."""
        return self.path / f"evaluation-{split}-{name}.json"

    def holds_run(self) -> bool:
        return any(p.exists() for p in (self.last, self.metrics, self.summary))
