"""Arguments that several commands share, their value parsers, and configs built from them."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from qrkt.errors import QrktError

if TYPE_CHECKING:
    from qrkt.circuits.ir import Circuit

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What each command module's ``add_parser`` adds its parser to."""

Config = TypeVar("Config")


def workdir(text: str) -> Path:
    """A ``--workdir``: any path but the empty one, which would mean the current directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"got {text!r}, an empty path; give the run's folder, e.g. --workdir runs/digits "
            "(--workdir . for the current directory)"
        )
    return Path(text)


def shots(text: str) -> int | str:
    """``--shots``: a count, or ``auto``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"got {text!r}; give a whole number of shots, e.g. 1024, or auto"
        ) from None


def add_ansatz_arguments(
    parser: argparse.ArgumentParser, default_qubits: int | None = None
) -> None:
    """``--ansatz``, ``--qubits``, ``--layers`` and ``--untied``: a circuit of :func:`circuit`."""
    from qrkt.circuits.ansatz import ANSATZE

    parser.add_argument(
        "--ansatz", default="qrkt", choices=sorted(ANSATZE), help="ansatz name (default: qrkt)"
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


def circuit(args: argparse.Namespace) -> Circuit:
    """The ansatz that :func:`add_ansatz_arguments`' arguments describe."""
    from qrkt.circuits.ansatz import build_ansatz

    return build_ansatz(args.ansatz, args.qubits, args.layers, tied=not args.untied)


def add_run_arguments(parser: argparse.ArgumentParser, preset: str, dataset: str) -> None:
    """What a training command needs: the preset, data, backend and work directory."""
    parser.add_argument("--preset", required=True, help=preset)
    parser.add_argument("--dataset", help=dataset)
    parser.add_argument("--data-dir", help="directory of the dataset's files (not for digits)")
    parser.add_argument("--backend", default="jax", help="backend of the circuits (default: jax)")
    parser.add_argument("--workdir", type=workdir, required=True, help="the run's directory")
    parser.add_argument("--resume", action="store_true", help="continue the run in --workdir")


def add_settings(
    parser: argparse.ArgumentParser, config: type, *settings: tuple[str, type, str]
) -> None:
    """An optional ``--flag-name`` for each ``(field, type, what)`` of the dataclass ``config``,
    its default in the help."""
    defaults = {field.name: field.default for field in dataclasses.fields(config)}
    for name, kind, what in settings:
        default = "default: off" if defaults[name] is None else f"default: {defaults[name]}"
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            metavar="N" if kind is int else "X",
            help=f"{what} ({default})",
        )


def build_config(config: type[Config], args: argparse.Namespace) -> Config:
    """The dataclass ``config`` from the arguments named after its fields; a field whose
    argument was not given keeps its default."""
    fields = {field.name for field in dataclasses.fields(config)}
    given = {name: value for name, value in vars(args).items() if value is not None}
    return config(**{name: value for name, value in given.items() if name in fields})


def add_model_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workdir`` (a run, whose best checkpoint the command uses) and ``--pretrained``."""
    parser.add_argument(
        "--workdir",
        type=workdir,
        help=f"a run's directory: the command {what} (with --pretrained: where its files go, "
        "default ~/.local/share/qrkt/pretrained/NAME)",
    )
    parser.add_argument(
        "--pretrained",
        metavar="NAME",
        help="a pretrained model shipped with qrkt instead of a run (qrkt pretrained lists them)",
    )


def trained_model(args: argparse.Namespace) -> Any:
    """The model of :func:`add_model_arguments`: ``--pretrained NAME``, else the run in
    ``--workdir``."""
    if args.pretrained is not None:
        from qrkt import pretrained

        return pretrained.load(args.pretrained, args.workdir)
    if args.workdir is None:
        raise QrktError(
            "give --workdir DIR (a run of qrkt train) or --pretrained NAME (a model shipped with "
            "qrkt; qrkt pretrained lists them)"
        )
    return args.workdir
