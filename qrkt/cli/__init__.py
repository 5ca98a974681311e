"""The ``qrkt`` command: a thin layer of argparse over library functions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import qrkt.cli.backends as backends
import qrkt.cli.circuit as circuit
import qrkt.cli.demo as demo
import qrkt.cli.describe as describe
import qrkt.cli.evaluate as evaluate
import qrkt.cli.evaluate_gan as evaluate_gan
import qrkt.cli.predict as predict
import qrkt.cli.presets as presets
import qrkt.cli.pretrained as pretrained
import qrkt.cli.train as train
import qrkt.cli.train_gan as train_gan
from qrkt.cli.backend_flags import add_backend_flags
from qrkt.errors import QrktError

COMMANDS = (
    backends,
    circuit,
    demo,
    presets,
    describe,
    pretrained,
    train,
    evaluate,
    predict,
    train_gan,
    evaluate_gan,
)
"""The command modules, in the order of ``qrkt --help``: each has ``add_parser(commands)`` and
``run(args) -> int``."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in ``argv`` (default: the command line); return its exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from qrkt.backends.bridge import host_errors

    try:
        with host_errors():  # a host backend's own error, not JAX's wrapper of it
            return args.run(args)
    except QrktError as error:
        print(f"qrkt: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left early (qrkt presets | head): not an error here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed in two passes: the command's ``--backend`` first, then every argument,
    that backend's own flags among them (``qrkt evaluate --backend braket --help`` lists
    braket's)."""
    parser = argparse.ArgumentParser(prog="qrkt", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    argv = list(argv)
    if argv and argv[0] in commands.choices:
        add_backend_flags(commands.choices[argv[0]], argv[1:])
    args = parser.parse_args(argv)
    args.argv = argv
    return args
