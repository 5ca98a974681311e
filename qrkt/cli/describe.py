"""``qrkt describe NAME``: a preset's blocks, parameters, qubits and circuits."""

from __future__ import annotations

import argparse

from qrkt.cli.arguments import Commands


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "describe", help="a preset's blocks, parameters, qubits and circuits"
    )
    parser.add_argument("preset", help="preset name (qrkt presets lists them)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.gan import GAN_PRESETS, describe_gan_preset
    from qrkt.presets import describe_preset

    if args.preset in GAN_PRESETS:
        print(describe_gan_preset(args.preset))
    else:
        print(describe_preset(args.preset))
    return 0
