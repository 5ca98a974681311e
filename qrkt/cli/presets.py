"""``qrkt presets``: the model presets, GANs included, one line each."""

from __future__ import annotations

import argparse

from qrkt.cli.arguments import Commands
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser("presets", help="list the model presets, GANs included")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.gan import GAN_PRESETS
    from qrkt.presets import PRESETS

    rows = [("preset", "dataset", "kind", "description")]
    rows += [(name, p.dataset, "classifier", p.description) for name, p in PRESETS.items()]
    rows += [(name, p.dataset, "GAN", p.description) for name, p in GAN_PRESETS.items()]
    print(format_table(rows))
    return 0
