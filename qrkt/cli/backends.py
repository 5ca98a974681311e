"""``qrkt backends``: every registered backend, installed or not, and what each can do."""

from __future__ import annotations

import argparse

from qrkt.cli.arguments import Commands
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "backends", help="list backends: installed or not, and what each can do"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import backend_entries
    from qrkt.cli.progress import all_devices
    from qrkt.training.parallel import describe_devices

    rows = [("backend", "installed", "capabilities")]
    for entry in backend_entries():
        installed = "yes" if entry.installed else f"no: {entry.install_command}"
        rows.append((entry.name, installed, entry.capabilities.summary()))
    print(format_table(rows))
    print(f"\nJAX devices (jax, tensorcircuit): {describe_devices(all_devices())}")
    return 0
