"""``qrkt demo``: one circuit on every installed backend, values and gradients side by side."""

from __future__ import annotations

import argparse

from qrkt.cli.arguments import Commands, add_ansatz_arguments, circuit
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "demo", help="run one circuit on every installed backend and compare values and gradients"
    )
    add_ansatz_arguments(parser, default_qubits=4)
    parser.add_argument("--batch", type=int, default=4, help="samples (default: 4)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the inputs and weights (default: 0)"
    )
    parser.add_argument(
        "--backends", help="comma-separated backend names (default: every installed one)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import installed_backends
    from qrkt.circuits import draw
    from qrkt.demo import compare_backends, demo_arguments

    built = circuit(args)
    names = args.backends.split(",") if args.backends else installed_backends()
    inputs, weights = demo_arguments(built, args.batch, args.seed)
    print(draw(built), end="\n\n")
    runs = compare_backends(built, inputs, weights, names)
    width = built.n_observables
    rows = [
        (
            "backend",
            f"sample 0: <Z_0> ... <Z_{width - 1}>",
            "max |Δ value|",
            "max |Δ grad|",
            "time s",
        )
    ]
    for result in runs:
        if result.failure:
            rows.append(
                (result.backend, f"failed: {result.failure}", "", "", f"{result.seconds:.2f}")
            )
            continue
        rows.append(
            (
                result.backend,
                " ".join(f"{v:+.5f}" for v in result.values[0]),
                f"{result.value_error:.1e}",
                f"{result.gradient_error:.1e}",
                f"{result.seconds:.2f}",
            )
        )
    print(format_table(rows))
    print(
        f"\n{args.batch} samples, seed {args.seed}; Δ: against the reference backend (complex128)."
    )
    return 1 if any(result.failure for result in runs) else 0
