"""What a run leaves behind: ``metrics.jsonl`` (one line per epoch), ``summary.json`` with the
thesis's table row, and PNG plots of the loss and AUC curves made from the metrics file."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from qrkt.training.files import write_atomically

Record = dict[str, Any]

THESIS_COLUMNS = (
    "model",
    "train time (s)",
    "accuracy",
    "F1",
    "best-AUC epoch",
    "# parameters",
    "# qubits",
)


def append_record(path: Path, record: Record) -> None:
    """Append one epoch's record as a JSON line, flushed to disk."""
    with path.open("a") as file:
        file.write(json.dumps(record) + "\n")
        file.flush()
        os.fsync(file.fileno())


def write_records(path: Path, records: list[Record]) -> None:
    """Replace the file with ``records``, atomically (a resumed run restores its history)."""
    write_atomically(path, "".join(json.dumps(record) + "\n" for record in records).encode())


def read_records(path: Path) -> list[Record]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def best_record(records: list[Record], key: str = "validation_auc") -> Record:
    """The epoch of highest ``key`` (validation AUC); the earliest of equals."""
    best = records[0]
    for record in records[1:]:
        if record[key] > best[key]:
            best = record
    return best


def trained_seconds(records: list[Record]) -> float:
    """The seconds that the epochs of ``records`` trained, compiling not counted."""
    return sum(record["epoch_seconds"] for record in records)


def summarize(records: list[Record], **facts: Any) -> dict[str, Any]:
    """The run's result: validation metrics of the best-AUC epoch, train time, and ``facts``
    (preset, parameters, qubits, ...)."""
    best = best_record(records)
    return {
        **facts,
        "epochs": len(records),
        "steps": records[-1]["step"],
        "train_seconds": trained_seconds(records),
        "best_epoch": best["epoch"],
        "validation": {
            name: best[f"validation_{name}"] for name in ("loss", "accuracy", "f1", "auc")
        },
    }


def thesis_row(summary: dict[str, Any]) -> tuple[str, ...]:
    """The summary as a row of the thesis's tables (:data:`THESIS_COLUMNS`)."""
    validation = summary["validation"]
    return (
        summary["preset"],
        f"{summary['train_seconds']:.0f}",
        _percent(validation["accuracy"]),
        _percent(validation["f1"]),
        str(summary["best_epoch"]),
        f"{summary['parameters']:,}",
        str(summary["qubits"]) if summary["qubits"] else "-",
    )


def _percent(value: float) -> str:
    return "nan" if math.isnan(value) else f"{100 * value:.1f} %"


def plot_curves(records: list[Record], directory: Path) -> list[Path]:
    """``loss.png`` and ``auc.png``: training and validation curves by epoch."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    epochs = [record["epoch"] for record in records]
    paths = []
    for metric, label in (("loss", "cross-entropy loss"), ("auc", "macro one-vs-rest AUC")):
        figure = Figure(figsize=(6, 4), layout="constrained")
        axes = figure.add_subplot()
        for split in ("train", "validation"):
            axes.plot(
                epochs,
                [record[f"{split}_{metric}"] for record in records],
                label=split,
                marker="o" if len(epochs) < 20 else None,
            )
        axes.set(xlabel="epoch", ylabel=label)
        axes.grid(alpha=0.3)
        axes.legend()
        path = directory / f"{metric}.png"
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths
