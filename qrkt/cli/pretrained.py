"""``qrkt pretrained``: the pretrained models shipped with qrkt, with their metrics."""

from __future__ import annotations

import argparse

from qrkt.cli.arguments import Commands
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "pretrained", help="list the pretrained models shipped with qrkt, with their metrics"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt import pretrained

    rows = [
        ("model", "dataset", "parameters", "qubits", "epoch", "accuracy", "F1", "AUC", "trained")
    ]
    for card in pretrained.available():
        metrics = card.validation
        rows.append(
            (
                card.name,
                card.dataset,
                f"{card.parameters:,}",
                str(card.qubits or "-"),
                f"{card.best_epoch} of {card.epochs}",
                f"{metrics['accuracy']:.1%}",
                f"{metrics['f1']:.1%}",
                f"{metrics['auc']:.4f}",
                card.trained["date"],
            )
        )
    print(format_table(rows))
    print(
        "\nvalidation metrics at the best-AUC epoch. Evaluate one with qrkt evaluate --pretrained "
        "NAME; its card (command, seed, versions, checksums) is in "
        f"{pretrained.models_directory()}/NAME/card.json"
    )
    return 0
