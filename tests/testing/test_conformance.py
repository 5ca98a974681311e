"""The conformance suite, one test per (backend configuration, case)."""

from __future__ import annotations

import importlib.util

import pytest

from qrkt.backends.registry import backend_entries, get_backend
from qrkt.testing import assert_backend_conforms, conformance_cases

CASES = {case.name: case for case in conformance_cases()}


def _configurations(selected: list[str]) -> list:
    """One configuration per registered backend and variant (``Backend.conformance_variants``):
    built-in backends and those of installed packages (the ``qrkt.backends`` entry points)."""
    params = []
    for entry in backend_entries():
        if selected and entry.name not in selected:
            continue
        skip = pytest.mark.skip(reason=entry.install_command)
        marks = [] if entry.installed or selected else [skip]
        for variant, configuration in entry.load().conformance_variants.items():
            label = f"{entry.name}-{variant}" if variant else entry.name
            missing = [m for m in configuration.requires if importlib.util.find_spec(m) is None]
            extra = (
                [pytest.mark.skip(reason=f"{label} needs {', '.join(missing)}")] if missing else []
            )
            params.append(
                pytest.param((entry.name, configuration.options), id=label, marks=marks + extra)
            )
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", _configurations(metafunc.config.getoption("backend")))


@pytest.mark.parametrize("case_name", list(CASES))
def test_case(configuration: tuple[str, dict], case_name: str) -> None:
    name, options = configuration
    CASES[case_name].run(get_backend(name, **options))


def test_assert_backend_conforms_reports_every_failing_case() -> None:
    class Negating(type(get_backend("reference"))):  # a backend that gets every sign wrong
        name = "negating"

        def _run(self, circuit, inputs, weights):
            return -super()._run(circuit, inputs, weights)

    with pytest.raises(AssertionError, match=r"negating fails \d+ case\(s\):\n.*gate-rx-q0-input"):
        assert_backend_conforms(Negating())
