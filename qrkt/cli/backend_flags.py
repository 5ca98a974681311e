"""The backend flags of ``evaluate``, ``predict`` and ``evaluate-gan``, parsed in two passes.

Every backend takes ``--shots``, ``--seed`` and ``--option KEY=VALUE``; the flags of the
backend that ``--backend`` names are those its class declares
(:attr:`qrkt.backends.Backend.cli_options`), added once ``--backend`` is known. A flag that only
other backends declare is refused, naming them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from qrkt.backends.base import BackendOption
from qrkt.cli.arguments import shots
from qrkt.errors import QrktError, UnknownNameError

COMMON = (
    BackendOption(
        "shots",
        shots,
        "N|auto",
        "shots per circuit (sampling backends); 'auto' (evaluate): the fewest that keep "
        "--shot-agreement of the exact simulator's predictions",
    ),
    BackendOption("seed", int, "N", "seed of the sampling"),
)
"""The flags that every backend is offered."""


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend``, the flags every backend is offered, and ``--option``; the chosen
    backend's own flags come with :func:`add_backend_flags`."""
    parser.add_argument(
        "--backend",
        default="jax",
        help="backend of the circuits (default: jax); --backend NAME --help lists its options",
    )
    group = parser.add_argument_group("backend options (the backend's defaults where not given)")
    for option in COMMON:
        _add(group, option)
    group.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other option of the backend (VALUE read as JSON, else as text); repeatable",
    )
    parser.set_defaults(backend_flags=tuple(option.name for option in COMMON))


def add_backend_flags(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """The second pass: add to a command's ``parser`` the flags of the backend that ``argv``
    (the command's arguments) names with ``--backend``, and refuse those of the others."""
    offered = parser.get_default("backend_flags")
    if offered is None:  # the command takes no backend options
        return
    from qrkt.backends.registry import backend_entry

    first = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    first.add_argument("--backend", default=parser.get_default("backend"))
    try:
        name = first.parse_known_args(argv)[0].backend
    except argparse.ArgumentError:  # --backend without a name: the second pass says so
        return
    try:
        declared = backend_entry(name).load().cli_options
    except UnknownNameError as error:
        parser.error(f"argument --backend: {error}")
    group = parser.add_argument_group(f"options of backend {name!r}")
    added = [option for option in declared if _add(group, option)]
    parser.set_defaults(backend_flags=(*(option.name for option in added), *offered))
    _refuse_others(parser, name, added)


def backend_options(args: argparse.Namespace) -> tuple[tuple[str, object], ...]:
    """The backend options given on the command line: its flags, then each ``--option``."""
    from qrkt.backends.registry import check_option_values

    options = [(name, getattr(args, name)) for name in args.backend_flags]
    options = [(name, value) for name, value in options if value is not None]
    for text in args.option:
        key, equals, value = text.partition("=")
        if not equals or not key:
            raise QrktError(f"--option takes KEY=VALUE, got {text!r}; e.g. --option noise=0.01")
        try:
            options.append((key, json.loads(value)))
        except (ValueError, RecursionError):  # not JSON (or nested too deeply): text
            options.append((key, value))
    check_option_values(args.backend, dict(options))
    return tuple(options)


def _refuse_others(parser: argparse.ArgumentParser, name: str, added: list[BackendOption]) -> None:
    """Make each flag that other backends declare, and backend ``name`` does not, an error
    that names the backends that take it and the flags that ``name`` takes."""
    from qrkt.backends.registry import backend_entries

    own = {option.flag for option in added}
    takers: dict[str, list[str]] = {}
    for entry in backend_entries():
        for option in entry.load().cli_options:
            if option.flag not in own:
                takers.setdefault(option.flag, []).append(entry.name)
    listed = ", ".join(option.flag for option in added) or "none"
    for flag, names in takers.items():
        message = (
            f"backend {name!r} does not take it (backends that do: {', '.join(sorted(names))}); "
            f"{name}'s own options: {listed}"
        )
        try:
            parser.add_argument(flag, action=_Refused, message=message)
        except argparse.ArgumentError:  # a flag of the command itself
            continue


def _add(group: argparse._ArgumentGroup, option: BackendOption) -> bool:
    """Add ``option``'s flag; ``False`` where the command has that flag already (``--seed``,
    or one of its own), so that the option is reached through ``--option`` only."""
    try:
        group.add_argument(option.flag, type=option.type, metavar=option.metavar, help=option.help)
    except argparse.ArgumentError:
        return False
    return True


class _Refused(argparse.Action):
    """A flag that other backends take but the chosen one does not: an error if given."""

    def __init__(self, option_strings: list[str], dest: str, message: str) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            nargs="?",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
        self.message = message

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        raise argparse.ArgumentError(self, self.message)
