"""Pretrained models shipped with qrkt: trained once with ``qrkt train``, ready to evaluate.

Each model is a folder ``qrkt/pretrained/models/<name>/``: ``best.ckpt`` (the best-AUC checkpoint
of its run, byte for byte), ``metrics.jsonl`` (the run's per-epoch metrics) and ``card.json``
(how it was trained: command, seed, package versions, machine; its validation metrics; the
SHA-256 of each file). :func:`load` checks every file against its card before reading it::

    from qrkt import pretrained
    from qrkt.training import evaluate

    print([card.name for card in pretrained.available()])
    result = evaluate(pretrained.load("digits-qrk1"), limit=100)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from qrkt.errors import CheckpointError, UnknownNameError, known_names
from qrkt.presets import get_preset
from qrkt.training.checkpoint import load_checkpoint
from qrkt.training.target import TrainedModel, read_trained
from qrkt.training.workdir import WorkDir

CARD = "card.json"
CHECKPOINT = "best.ckpt"


@dataclass(frozen=True)
class ModelCard:
    """What a pretrained model is and how it was made (its ``card.json``).

    Attributes:
      name: the model's name (its preset's); preset, dataset: what it was trained as and on.
      parameters, qubits: the preset's "# Parameters" and "# Qubits".
      command: the ``qrkt train`` command that trained it; seed: its seed.
      epochs: epochs trained; best_epoch: the epoch of the shipped checkpoint.
      validation: loss, accuracy, f1 and auc on the validation split at ``best_epoch``.
      train_seconds: the run's training time; load_average: the machine's 1-minute load
        average during the run (other work shared the machine when it is above 2).
      trained: when and on what it was trained; versions: the packages that trained it.
      files: the SHA-256 of each file of the model's folder.
    """

    name: str
    preset: str
    dataset: str
    description: str
    parameters: int
    qubits: int
    command: str
    seed: int
    epochs: int
    best_epoch: int
    validation: dict[str, float]
    train_seconds: float
    load_average: str
    trained: dict[str, Any]
    versions: dict[str, str]
    files: dict[str, str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        names = {field.name for field in dataclasses.fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise CheckpointError(
                f"a pretrained model card needs exactly the fields {sorted(names)}; got "
                f"{sorted(data) if isinstance(data, dict) else type(data).__name__}: the "
                "installation is damaged; reinstall qrkt"
            )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def models_directory() -> Path:
    """The folder that holds one folder per pretrained model."""
    return Path(str(resources.files(__package__).joinpath("models")))


def available() -> tuple[ModelCard, ...]:
    """The cards of every shipped model, by name."""
    folders = sorted(p for p in models_directory().iterdir() if (p / CARD).is_file())
    return tuple(_read_card(folder) for folder in folders)


def card(name: str) -> ModelCard:
    """The card of the pretrained model ``name``; an unknown name lists the shipped ones."""
    folder = models_directory() / name
    if not (folder / CARD).is_file():
        shipped = {card.name: card for card in available()}
        raise UnknownNameError(
            f"no pretrained model {name!r}; shipped: {known_names(shipped)} (qrkt pretrained "
            "lists them with their metrics)"
        )
    return _read_card(folder)


def default_workdir(name: str) -> Path:
    """Where evaluations of pretrained model ``name`` go when no work directory is given:
    ``$XDG_DATA_HOME/qrkt/pretrained/<name>`` (``~/.local/share/...`` by default), never the
    installed package."""
    root = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(root) / "qrkt" / "pretrained" / name


def load(name: str, workdir: str | Path | None = None) -> TrainedModel:
    """The pretrained model ``name``, its files checked against its card.

    Args:
      name: a shipped model (:func:`available`).
      workdir: where evaluations of it write their files; ``None`` takes
        :func:`default_workdir`.

    Returns:
      The model as :func:`qrkt.training.evaluate` and :func:`qrkt.training.predict_images`
      take it. It has no data directory: MNIST models are evaluated on the validation split
      shipped with qrkt unless a data directory is given.

    Raises:
      CheckpointError: a file is missing or does not match its SHA-256 (a damaged install).
    """
    model_card = card(name)
    folder = models_directory() / name
    for file, digest in model_card.files.items():
        path = folder / file
        if not path.is_file():
            raise _damaged(name, f"its file {path} is missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise _damaged(name, f"{path} does not match the SHA-256 in its {CARD}")
    checkpoint = load_checkpoint(folder / CHECKPOINT)
    checkpoint.check_model(model_card.preset, get_preset(model_card.preset).model)
    trained = read_trained(
        checkpoint, WorkDir(Path(workdir) if workdir is not None else default_workdir(name))
    )
    return dataclasses.replace(trained, config=dataclasses.replace(trained.config, data_dir=None))


def _read_card(folder: Path) -> ModelCard:
    try:
        data = json.loads((folder / CARD).read_text())
    except ValueError as error:
        raise _damaged(folder.name, f"its {CARD} is not JSON ({error})") from None
    return ModelCard.from_dict(data)


def _damaged(name: str, reason: str) -> CheckpointError:
    return CheckpointError(
        f"pretrained model {name!r} is damaged: {reason}; reinstall qrkt "
        "(pip install --force-reinstall --no-deps qrkt) to restore it"
    )
