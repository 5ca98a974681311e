"""Optional dependencies: imported lazily, where they are needed, or named with their fix."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from qrkt.errors import MissingDependencyError


def install_command(extra: str) -> str:
    """The pip command that installs qrkt's optional ``extra`` (its core if empty)."""
    return f"pip install 'qrkt[{extra}]'" if extra else "pip install qrkt"


def require(feature: str, modules: Sequence[str], extra: str) -> None:
    """Import ``modules``, or raise :class:`MissingDependencyError` naming the pip command.

    Args:
      feature: what needs them, for the message (``"the qiskit_aer backend"``).
      modules: importable module names.
      extra: the qrkt extra that installs them.
    """
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise MissingDependencyError(
                f"{feature} needs {module}, which is not installed ({error}); install it with "
                f"{install_command(extra)}"
            ) from error
