"""Ship a finished ``qrkt train`` run as a pretrained model of qrkt.

Copies the run's best checkpoint and metrics, byte for byte, into
``qrkt/pretrained/models/<preset>/`` and writes its ``card.json``: the training command, seed,
package versions, machine and load average, the validation metrics of the best epoch, and the
SHA-256 of each file (see :mod:`qrkt.pretrained`)::

    python -m tools.ship_pretrained runs/pretrained/mnist-qrk4-enh \\
        --command "qrkt train --preset mnist-qrk4-enh --data-dir ... --workdir ..." \\
        --load-average "2.1 (1.9-2.4)" --commit 22489f1

``--mnist DIR`` also writes ``qrkt/data/mnist-validation.npz``: the validation split (seed 0) of
the MNIST IDX files in DIR, which pretrained MNIST models are evaluated on when no data
directory is given.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from benchmarks.recording import machine
from qrkt.data.dataset import split_indices
from qrkt.data.mnist import IMAGES_MAGIC, LABELS_MAGIC, SHIPPED_VALIDATION, read_idx
from qrkt.presets import get_preset, parameter_count
from qrkt.pretrained import CARD, CHECKPOINT, ModelCard, models_directory
from qrkt.training.checkpoint import load_checkpoint
from qrkt.training.trainer import SPLIT_SEED
from qrkt.training.workdir import WorkDir

TRAINING_PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy")


def ship(run: Path, command: str, load_average: str, commit: str) -> ModelCard:
    """Copy ``run``'s best checkpoint and metrics into the package and write its card."""
    files = WorkDir(run)
    summary = json.loads(files.summary.read_text())
    preset = get_preset(summary["preset"])
    checkpoint = load_checkpoint(files.best)
    checkpoint.check_model(preset.name, preset.model)
    if checkpoint.metadata["epoch"] != summary["best_epoch"]:
        raise SystemExit(f"{files.best} is not the summary's best epoch {summary['best_epoch']}")
    host = machine()
    folder = models_directory() / preset.name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(files.best, folder / CHECKPOINT)
    shutil.copyfile(files.metrics, folder / "metrics.jsonl")
    finished = datetime.datetime.fromtimestamp(files.summary.stat().st_mtime, datetime.UTC)
    card = ModelCard(
        name=preset.name,
        preset=preset.name,
        dataset=summary["train_config"]["dataset"],
        description=preset.description,
        parameters=parameter_count(preset.model),
        qubits=preset.model.qubits,
        command=command,
        seed=summary["train_config"]["seed"],
        epochs=summary["epochs"],
        best_epoch=summary["best_epoch"],
        validation=summary["validation"],
        train_seconds=round(summary["train_seconds"], 1),
        load_average=load_average,
        trained={
            "date": finished.date().isoformat(),
            "machine": f"{host['cpu']}, {host['cores']} cores, {host['platform']}",
            "qrkt_commit": commit,
        },
        versions={
            "python": str(host["python"]),
            **{name: metadata.version(name) for name in TRAINING_PACKAGES},
        },
        files={
            name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in (CHECKPOINT, "metrics.jsonl")
        },
    )
    (folder / CARD).write_text(json.dumps(card.to_dict(), indent=2) + "\n")
    return card


def ship_mnist_validation(data_dir: Path) -> Path:
    """Write the MNIST validation split of seed 0 (raw pixels and labels) into the package."""
    images = read_idx(next(data_dir.glob("train-images-idx3-ubyte*")), IMAGES_MAGIC)
    labels = read_idx(next(data_dir.glob("train-labels-idx1-ubyte*")), LABELS_MAGIC)
    _, rows = split_indices(len(labels), validation_percent=10, seed=SPLIT_SEED)
    path = Path(sys.modules["qrkt.data.mnist"].__file__).with_name(SHIPPED_VALIDATION)
    np.savez_compressed(path, images=images[rows, ..., np.newaxis], labels=labels[rows])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, nargs="*", help="finished runs of qrkt train")
    parser.add_argument("--command", action="append", default=[], help="each run's command")
    parser.add_argument("--load-average", action="append", default=[], help="each run's")
    parser.add_argument("--commit", required=True, help="the qrkt commit that trained them")
    parser.add_argument("--mnist", type=Path, help="MNIST IDX directory: ship its validation")
    args = parser.parse_args()
    if not len(args.runs) == len(args.command) == len(args.load_average):
        parser.error("give one --command and one --load-average per run")
    for run, command, load in zip(args.runs, args.command, args.load_average, strict=True):
        card = ship(run, command, load, args.commit)
        print(f"shipped {card.name}: validation {card.validation}")
    if args.mnist is not None:
        print(f"wrote {ship_mnist_validation(args.mnist)}")


if __name__ == "__main__":
    main()
