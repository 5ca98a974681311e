"""docs/backends.md: its example backend, installed as a package with a ``qrkt.backends`` entry
point, is found by the registry, passes the conformance suite and offers its flag in the CLI."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qrkt.backends.registry import (
    backend_entry,
    get_backend,
    register_backend,
    register_entry_points,
    unregister_backend,
)
from qrkt.errors import BackendInputError
from qrkt.testing import assert_backend_conforms

DOC = Path(__file__).parents[1] / "docs" / "backends.md"


@pytest.fixture
def installed_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The doc's example as an installed distribution: its module and its entry point."""
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    entry = re.search(r'\[project\.entry-points\."qrkt\.backends"\]\n(.*?)\n```', text, re.S)
    package = tmp_path / "qrkt_example_backend"
    package.mkdir()
    (package / "__init__.py").write_text(code)
    info = tmp_path / "qrkt_example_backend-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qrkt-example-backend\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text("[qrkt.backends]\n" + entry.group(1).replace('"', ""))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield "example"
    finally:
        unregister_backend("example")
        sys.modules.pop("qrkt_example_backend", None)


def test_the_example_backend_is_found_through_its_entry_point_and_conforms(
    installed_example: str,
) -> None:
    assert register_entry_points() == [installed_example]
    assert backend_entry(installed_example).target == "qrkt_example_backend:ExampleBackend"
    assert register_entry_points() == []  # registered once
    assert_backend_conforms(installed_example)
    assert get_backend(installed_example).counts.calls > 0


def test_a_name_registered_twice_is_refused(installed_example: str) -> None:
    register_entry_points()
    with pytest.raises(BackendInputError, match="backend 'example' is registered already"):
        register_backend("example", "somewhere.else:Backend")
    with pytest.raises(BackendInputError, match="backend 'jax' is registered already"):
        register_backend("jax", "qrkt_example_backend:ExampleBackend")


def test_the_example_backend_flag_is_offered_with_it_and_refused_without_it(
    installed_example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from qrkt.cli import main, parse_args
    from qrkt.cli.backend_flags import backend_options

    register_entry_points()
    with pytest.raises(SystemExit):
        main(["evaluate", "--backend", installed_example, "--help"])
    assert "options of backend 'example':\n  --dtype DTYPE" in capsys.readouterr().out
    args = parse_args(["evaluate", "--backend", installed_example, "--dtype", "complex64"])
    assert backend_options(args) == (("dtype", "complex64"),)
    with pytest.raises(SystemExit):
        main(["evaluate", "--backend", "reference", "--dtype", "complex64"])
    assert (
        "backend 'reference' does not take it (backends that do: example, jax, tensorcircuit)"
        in capsys.readouterr().err
    )
