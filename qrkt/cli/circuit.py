"""``qrkt circuit``: build an ansatz, draw it and export it."""

from __future__ import annotations

import argparse
from pathlib import Path

from qrkt.cli.arguments import Commands, add_ansatz_arguments, circuit
from qrkt.errors import QrktError


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser("circuit", help="build an ansatz, draw it and export it")
    add_ansatz_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json", "qasm3"),
        default="text",
        help="what to print or write (default: text)",
    )
    parser.add_argument(
        "--output", type=Path, help="write the export to this file instead of printing it"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.circuits import draw, to_json, to_qasm3

    built = circuit(args)
    export = {"text": draw, "json": to_json, "qasm3": to_qasm3}[args.format](built)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(export + "\n")
        except OSError as error:
            raise QrktError(
                f"cannot write --output {str(args.output)!r} ({error.strerror}: "
                f"{error.filename}); give a file path in a folder you can write to"
            ) from error
        print(f"wrote {args.format} to {args.output}")
    else:
        print(export)
    if args.format == "text" or args.output:
        print(
            f"\n{args.ansatz} ansatz: {built.n_qubits} qubits, {built.n_inputs} inputs, "
            f"{built.n_weights} weights, {len(built.gates)} gates"
        )
    return 0
