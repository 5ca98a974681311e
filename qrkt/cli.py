"""The ``qrkt`` command: a thin layer of argparse over library functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from qrkt.errors import QrktError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except QrktError as error:
        print(f"qrkt: error: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    from qrkt.circuits.ansatz import ANSATZE

    parser = argparse.ArgumentParser(prog="qrkt", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    backends = commands.add_parser(
        "backends", help="list backends: installed or not, and what each can do"
    )
    backends.set_defaults(command=_backends)

    circuit = commands.add_parser("circuit", help="build an ansatz, draw it and export it")
    _add_ansatz_arguments(circuit, ANSATZE)
    circuit.add_argument(
        "--format",
        choices=("text", "json", "qasm3"),
        default="text",
        help="what to print or write (default: text)",
    )
    circuit.add_argument(
        "--output", type=Path, help="write the export to this file instead of printing it"
    )
    circuit.set_defaults(command=_circuit)

    demo = commands.add_parser(
        "demo", help="run one circuit on every installed backend and compare values and gradients"
    )
    _add_ansatz_arguments(demo, ANSATZE, default_qubits=4)
    demo.add_argument("--batch", type=int, default=4, help="samples (default: 4)")
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the inputs and weights (default: 0)"
    )
    demo.add_argument(
        "--backends", help="comma-separated backend names (default: every installed one)"
    )
    demo.set_defaults(command=_demo)
    return parser


def _add_ansatz_arguments(
    parser: argparse.ArgumentParser, ansatze: object, default_qubits: int | None = None
) -> None:
    parser.add_argument(
        "--ansatz", default="qrkt", choices=sorted(ansatze), help="ansatz name (default: qrkt)"
    )
    parser.add_argument(
        "--qubits",
        type=int,
        required=default_qubits is None,
        default=default_qubits,
        help="circuit width",
    )
    parser.add_argument("--layers", type=int, default=1, help="variational layers (default: 1)")
    parser.add_argument(
        "--untied", action="store_true", help="separate RX and RZ weights (qrkt ansatz)"
    )


def _build(args: argparse.Namespace):
    from qrkt.circuits.ansatz import build_ansatz

    return build_ansatz(args.ansatz, args.qubits, args.layers, tied=not args.untied)


def _backends(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import backend_entries

    rows = [("backend", "installed", "capabilities")]
    for entry in backend_entries():
        installed = "yes" if entry.installed else f"no: {entry.install_command}"
        rows.append((entry.name, installed, entry.capabilities.summary()))
    print(_table(rows))
    return 0


def _circuit(args: argparse.Namespace) -> int:
    from qrkt.circuits import draw, to_json, to_qasm3

    circuit = _build(args)
    export = {"text": draw, "json": to_json, "qasm3": to_qasm3}[args.format](circuit)
    if args.output:
        args.output.write_text(export + "\n")
        print(f"wrote {args.format} to {args.output}")
    else:
        print(export)
    if args.format == "text" or args.output:
        print(
            f"\n{args.ansatz} ansatz: {circuit.n_qubits} qubits, {circuit.n_inputs} inputs, "
            f"{circuit.n_weights} weights, {len(circuit.gates)} gates"
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import installed_backends
    from qrkt.circuits import draw
    from qrkt.demo import compare_backends, demo_arguments

    circuit = _build(args)
    names = args.backends.split(",") if args.backends else installed_backends()
    inputs, weights = demo_arguments(circuit, args.batch, args.seed)
    print(draw(circuit), end="\n\n")
    runs = compare_backends(circuit, inputs, weights, names)
    width = circuit.n_observables
    rows = [
        (
            "backend",
            f"sample 0: <Z_0> ... <Z_{width - 1}>",
            "max |Δ value|",
            "max |Δ grad|",
            "time s",
        )
    ]
    for run in runs:
        if run.failure:
            rows.append((run.backend, f"failed: {run.failure}", "", "", f"{run.seconds:.2f}"))
            continue
        rows.append(
            (
                run.backend,
                " ".join(f"{v:+.5f}" for v in run.values[0]),
                f"{run.value_error:.1e}",
                f"{run.gradient_error:.1e}",
                f"{run.seconds:.2f}",
            )
        )
    print(_table(rows))
    print(
        f"\n{args.batch} samples, seed {args.seed}; Δ: against the reference backend (complex128)."
    )
    return 1 if any(run.failure for run in runs) else 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
